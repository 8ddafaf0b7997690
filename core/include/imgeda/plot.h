/* Plots of a manifest (SPEC §5): eleven chart types drawn with cairo into PNG, SVG or PDF, in
 * one quiet theme (white background, light grid, DejaVu Sans). A plot is a pure function of the
 * records and the options: nothing is cached between calls.
 * THREADS: ie_plot_render* use only their arguments and may run on several threads at once
 * (cairo and fontconfig guard their own caches). */
#ifndef IMGEDA_PLOT_H
#define IMGEDA_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/record.h"
#include "imgeda/util.h"

enum ie_plot_type {
    IE_PLOT_DIMENSIONS,   /* width vs height: scatter, or hexbin density above density_above */
    IE_PLOT_FILE_SIZE,    /* log-x histogram with median, P95 and P99 lines */
    IE_PLOT_ASPECT_RATIO, /* histogram with 1:1, 4:3, 3:2 and 16:9 lines */
    IE_PLOT_BRIGHTNESS,   /* histogram with the dark and overexposed regions shaded */
    IE_PLOT_CHANNELS,     /* violin (with box) of the per-image R, G, B means */
    IE_PLOT_ARTIFACTS,    /* corner-centre delta histogram with the threshold */
    IE_PLOT_DUPLICATES,   /* exact-phash group sizes and unique vs duplicate share */
    IE_PLOT_BLUR,         /* blur-score histogram (log x when spread) with the threshold */
    IE_PLOT_EXIF_CAMERA,  /* top 15 camera models */
    IE_PLOT_EXIF_FOCAL,   /* 35 mm equivalent focal length histogram with lens zones */
    IE_PLOT_EXIF_ISO,     /* ISO histogram with the high-noise zone */
    IE_PLOT_NTYPES
};

enum ie_plot_format { IE_PLOT_PNG, IE_PLOT_SVG, IE_PLOT_PDF };

/* "file-size": the name used by the CLI and the REST API. Static storage. */
const char *ie_plot_type_name(enum ie_plot_type t);
/* "file_size": imgeda's output file stem (plots land in DIR/<stem>.<ext> as with imgeda). */
const char *ie_plot_type_file_stem(enum ie_plot_type t);
/* "File size": a heading for reports. */
const char *ie_plot_type_title(enum ie_plot_type t);
/* Parses a type name; '-' and '_' are interchangeable. Returns the type or -1. */
int ie_plot_type_parse(const char *name);
/* "png", "svg", "pdf". */
const char *ie_plot_format_ext(enum ie_plot_format f);
/* Parses "png", "svg" or "pdf" (case-insensitive). Returns the format or -1. */
int ie_plot_format_parse(const char *name);

#define IE_PLOT_MIN_DPI      10
#define IE_PLOT_MAX_DPI      1200
#define IE_PLOT_MAX_PIXELS   (16384 * 16384) /* PNG surfaces above this fail with IE_ELIMIT */
#define IE_PLOT_DEFAULT_SEED 42

struct ie_plot_opts {
    enum ie_plot_format format; /* default PNG */
    double dpi;                 /* PNG pixels per inch; fallback resolution of vector output; 150 */
    double width_in, height_in; /* figure size in inches; 9 x 6 (imgeda's figsize) */
    size_t sample;              /* 0: every record; else at most this many non-corrupt records,
                                 * drawn without replacement with a generator seeded by seed */
    uint64_t seed;              /* IE_PLOT_DEFAULT_SEED */
    size_t density_above;       /* dimensions: hexbin instead of dots above this many; 5000 */
    /* Thresholds drawn on the plots; defaults as SPEC §3.3, or from the manifest header. */
    double dark_threshold;        /* 40 */
    double overexposed_threshold; /* 220 */
    double artifact_threshold;    /* 50 */
    double blur_threshold;        /* 100 */
};

/* Fills the defaults above. */
void ie_plot_opts_init(struct ie_plot_opts *o);
/* Takes dark/overexposed/artifact/blur thresholds from a manifest header's "settings" JSON text
 * (NULL, malformed text and missing or non-numeric keys leave the current values). */
void ie_plot_opts_apply_settings(struct ie_plot_opts *o, const char *settings_json);

/* Renders one plot of recs[0..n) into out (appended; PNG, SVG or PDF bytes as o->format says).
 * Corrupt records are left out of every plot but duplicates (which, like imgeda, counts all
 * records); with nothing to show, the plot is a clear "no data" panel, not an error.
 * Returns 0; IE_EINVAL for an unknown type or a DPI/size outside the limits; IE_ELIMIT when the
 * PNG would exceed IE_PLOT_MAX_PIXELS; IE_EIO when cairo fails. out keeps its old length on
 * failure. */
int ie_plot_render(const struct ie_record *recs, size_t n, enum ie_plot_type type,
                   const struct ie_plot_opts *o, struct ie_buf *out, struct ie_err *err);
/* The same over a record source (imgeda/record.h), e.g. a lean manifest: the same bytes. */
int ie_plot_render_src(const struct ie_recsrc *src, enum ie_plot_type type,
                       const struct ie_plot_opts *o, struct ie_buf *out, struct ie_err *err);

/* Renders to path (written through path.tmp + rename). Same returns as ie_plot_render, plus
 * IE_EIO when the file cannot be written. */
int ie_plot_render_file(const struct ie_record *recs, size_t n, enum ie_plot_type type,
                        const struct ie_plot_opts *o, const char *path, struct ie_err *err);

#endif
