/* What the plot types (core/plot_types.c and core/plot_t_*.c) share: the drawing context,
 * selection, titles, histogram scaffolding and value getters. Private to the core. */
#ifndef IMGEDA_PLOT_TYPES_INTERNAL_H
#define IMGEDA_PLOT_TYPES_INTERNAL_H

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "plot_internal.h"

/* What one plot draws from: the selected records (non-corrupt, sampled) and counts for the
 * subtitle. */
struct ctx {
    struct ie__plot_fig *fig;
    const struct ie_plot_opts *o;
    const struct ie_recsrc *src;
    size_t n;    /* all records */
    size_t *idx; /* selected records, in manifest order */
    size_t nidx;
    size_t nvalid; /* non-corrupt records before sampling */
    bool sampled;
};

struct hist {
    double lo, hi;
    size_t nbins;
    bool log;
    double *edges;
    uint64_t *counts;
    size_t outside;
};

/* Images of one size (scatter mode): many images often share a size, and one dot per image
 * would hide how many stand on one spot. */
struct size_count {
    double w, h;
    size_t n;
};

struct hash_ref {
    struct ie_hash256 h;
    size_t rec;
};

struct cam_count {
    const char *label;
    size_t count;
};

typedef bool (*getter_fn)(const struct ie_record *r, double *v);

/* Record i of the plot's records (see ie_recsrc_at). */
static inline const struct ie_record *ie__pt_rec(const struct ctx *c, size_t i,
                                                 struct ie_record *tmp)
{
    return ie_recsrc_at(c->src, i, tmp);
}

/* shared functions */
struct ie__plot_rect ie__pt_figure_box(const struct ctx *c);
void ie__pt_fmt_n(uint64_t v, char *out, size_t n);
double *ie__pt_gather(const struct ctx *c, getter_fn get, size_t *n_out);
bool ie__pt_get_aspect(const struct ie_record *r, double *v);
bool ie__pt_get_blur(const struct ie_record *r, double *v);
bool ie__pt_get_brightness(const struct ie_record *r, double *v);
bool ie__pt_get_delta(const struct ie_record *r, double *v);
bool ie__pt_get_focal35(const struct ie_record *r, double *v);
bool ie__pt_get_iso(const struct ie_record *r, double *v);
bool ie__pt_get_size(const struct ie_record *r, double *v);
void ie__pt_hist_axes(struct ctx *c, struct ie__plot_axes *a, struct ie__plot_rect box,
                      const struct hist *h, const char *xlabel);
void ie__pt_hist_compute(struct hist *h, const double *v, size_t n);
void ie__pt_hist_release(struct hist *h);
void ie__pt_int_bins(struct hist *h, double vlo, double vhi, size_t target);
void ie__pt_iso_third_stop_bins(struct hist *h, double vlo, double vhi);
void ie__pt_no_data(const struct ctx *c, struct ie__plot_rect box, const char *what,
                    const char *field_hint);
void ie__pt_plot_artifacts(struct ctx *c);
void ie__pt_plot_aspect_ratio(struct ctx *c);
void ie__pt_plot_blur(struct ctx *c);
void ie__pt_plot_brightness(struct ctx *c);
void ie__pt_plot_channels(struct ctx *c);
void ie__pt_plot_dimensions(struct ctx *c);
void ie__pt_plot_duplicates(struct ctx *c);
void ie__pt_plot_exif_camera(struct ctx *c);
void ie__pt_plot_exif_focal(struct ctx *c);
void ie__pt_plot_exif_iso(struct ctx *c);
void ie__pt_plot_file_size(struct ctx *c);
void ie__pt_subtitle(const struct ctx *c, char *out, size_t sz, const char *what, size_t shown,
                     const char *extra);
void ie__pt_title_n(char *out, size_t sz, const char *what, size_t n);
double ie__pt_vmax_of(const double *v, size_t n);
double ie__pt_vmin_of(const double *v, size_t n);

#endif
