/* The eleven plot types of SPEC §5: what they share (selection, titles, histograms, values) and
 * their table; each type is drawn in plot_t_*.c with the layer in plot_draw.c and plot_marks.c.
 * DESIGN: every type follows imgeda's chart (same data, reference lines and thresholds) with
 * these deliberate changes: thresholds come from the options (the manifest's settings) rather
 * than constants; the title carries n and the ie__pt_subtitle says what was left out or sampled;
 * data that would make a chart unreadable is handled (hexbin above density_above points, log scales
 * for heavy-tailed blur and ISO values, far outliers of aspect ratio counted rather than drawn);
 * and an empty input gives a "no data" panel instead of an error. Every pass over the records
 * is linear (plus one sort where percentiles are shown), so 10^6 records render in well under a
 * second per plot. */

#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "plot_internal.h"
#include "plot_types_internal.h"

/* ---- selection ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Non-corrupt records; with o->sample, a seeded sample of them without replacement (partial
 * Fisher-Yates), put back in manifest order so the output does not depend on draw order. */
static void select_records(struct ctx *c)
{
    c->idx = ie_xmalloc((c->n ? c->n : 1) * sizeof(*c->idx));
    c->nvalid = 0;
    struct ie_record tmp;
    for (size_t i = 0; i < c->n; i++)
        if (!ie__pt_rec(c, i, &tmp)->is_corrupt)
            c->idx[c->nvalid++] = i;
    c->nidx = c->nvalid;
    c->sampled = false;
    if (c->o->sample > 0 && c->o->sample < c->nvalid) {
        uint64_t state = c->o->seed;
        for (size_t i = 0; i < c->o->sample; i++) {
            size_t range = c->nvalid - i;
            size_t j = i + (size_t)(((unsigned __int128)splitmix64(&state) * range) >> 64);
            size_t t = c->idx[i];
            c->idx[i] = c->idx[j];
            c->idx[j] = t;
        }
        c->nidx = c->o->sample;
        qsort(c->idx, c->nidx, sizeof(*c->idx), cmp_size);
        c->sampled = true;
    }
}

/* The getter's values over the selected records (malloc'd; *n_out of them). */
double *ie__pt_gather(const struct ctx *c, getter_fn get, size_t *n_out)
{
    double *v = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(*v));
    struct ie_record tmp;
    size_t k = 0;
    for (size_t i = 0; i < c->nidx; i++)
        if (get(ie__pt_rec(c, c->idx[i], &tmp), &v[k]))
            k++;
    *n_out = k;
    return v;
}

double ie__pt_vmin_of(const double *v, size_t n)
{
    double m = INFINITY;
    for (size_t i = 0; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

double ie__pt_vmax_of(const double *v, size_t n)
{
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* ---- titles ---- */

void ie__pt_fmt_n(uint64_t v, char *out, size_t n)
{
    ie__plot_fmt_count(v, out, n);
}

/* "Image dimensions (n = 1,234)". */
void ie__pt_title_n(char *out, size_t sz, const char *what, size_t n)
{
    char nb[32];
    ie__pt_fmt_n(n, nb, sizeof(nb));
    snprintf(out, sz, "%s (n = %s)", what, nb);
}

/* The subtitle: what is drawn, then what was left out or sampled. */
void ie__pt_subtitle(const struct ctx *c, char *out, size_t sz, const char *what, size_t shown,
                     const char *extra)
{
    struct ie_buf b;
    char n1[32], n2[32];
    ie_buf_init(&b);
    ie_buf_adds(&b, what);
    size_t corrupt = c->n - c->nvalid;
    if (c->sampled) {
        ie__pt_fmt_n(c->nidx, n1, sizeof(n1));
        ie__pt_fmt_n(c->nvalid, n2, sizeof(n2));
        ie_buf_addf(&b, " \xc2\xb7 random sample of %s of %s images (seed %llu)", n1, n2,
                    (unsigned long long)c->o->seed);
    }
    if (shown < c->nidx) {
        ie__pt_fmt_n(c->nidx - shown, n1, sizeof(n1));
        ie_buf_addf(&b, " \xc2\xb7 %s without this value", n1);
    }
    if (corrupt) {
        ie__pt_fmt_n(corrupt, n1, sizeof(n1));
        ie_buf_addf(&b, " \xc2\xb7 %s corrupt left out", n1);
    }
    if (extra && *extra)
        ie_buf_addf(&b, " \xc2\xb7 %s", extra);
    snprintf(out, sz, "%s", b.data ? b.data : "");
    ie_buf_release(&b);
}

struct ie__plot_rect ie__pt_figure_box(const struct ctx *c)
{
    return (struct ie__plot_rect){IE__PLOT_MARGIN, IE__PLOT_MARGIN - 2, c->fig->w - IE__PLOT_MARGIN,
                                  c->fig->h - IE__PLOT_MARGIN};
}

/* The "no data" panel with a reason that names what is missing. */
void ie__pt_no_data(const struct ctx *c, struct ie__plot_rect box, const char *what,
                    const char *field_hint)
{
    char msg[160], detail[256];
    snprintf(msg, sizeof(msg), "No %s to show", what);
    if (c->n == 0)
        snprintf(detail, sizeof(detail), "the manifest has no records");
    else if (c->nvalid == 0)
        snprintf(detail, sizeof(detail), "all %zu records are corrupt", c->n);
    else
        snprintf(detail, sizeof(detail), "none of the %zu readable images has %s", c->nidx,
                 field_hint);
    ie__plot_no_data(c->fig, box, msg, detail);
}

/* ---- histogram scaffolding ---- */

void ie__pt_hist_compute(struct hist *h, const double *v, size_t n)
{
    h->edges = ie_xmalloc((h->nbins + 1) * sizeof(double));
    h->counts = ie_xmalloc(h->nbins * sizeof(uint64_t));
    h->outside = ie__plot_histogram(v, n, h->lo, h->hi, h->nbins, h->log, h->edges, h->counts);
}

void ie__pt_hist_release(struct hist *h)
{
    free(h->edges);
    free(h->counts);
}

/* Bins for whole-number data (focal lengths, ISO): a width of 1, 2, 5, 10, 20, ... giving
 * about target bins, with edges half-way between integers so no value sits on an edge, and one
 * empty bin of margin on each side. */
void ie__pt_int_bins(struct hist *h, double vlo, double vhi, size_t target)
{
    static const double seq[] = {1, 2, 5};
    double raw = (vhi - vlo + 1) / (double)target, width = 0;
    for (double p = 1; width == 0; p *= 10)
        for (size_t k = 0; k < IE_ARRAY_LEN(seq) && width == 0; k++)
            if (seq[k] * p >= raw)
                width = seq[k] * p;
    h->lo = (floor(vlo / width) - 1) * width - 0.5;
    h->hi = (floor(vhi / width) + 2) * width - 0.5;
    h->nbins = (size_t)llround((h->hi - h->lo) / width);
    h->log = false;
}

/* ISO on a log axis: one bin per third of a stop (100, 125, 160, 200, 250, 320, 400, ...),
 * centred on the standard values, with an empty bin of margin on each side. */
void ie__pt_iso_third_stop_bins(struct hist *h, double vlo, double vhi)
{
    double k0 = floor(3 * log2(vlo / 100) + 0.5), k1 = floor(3 * log2(vhi / 100) + 0.5);
    h->lo = 100 * pow(2, (k0 - 1.5) / 3);
    h->hi = 100 * pow(2, (k1 + 1.5) / 3);
    h->nbins = (size_t)(k1 - k0 + 3);
    h->log = true;
}

/* Axes for a histogram: x over [lo, hi], y from 0 to a little above the tallest bar (room for
 * labels along the top). The caller may set ticks/formatters on a->x before; this lays out and
 * draws the axes. */
void ie__pt_hist_axes(struct ctx *c, struct ie__plot_axes *a, struct ie__plot_rect box,
                      const struct hist *h, const char *xlabel)
{
    uint64_t maxc = 1;
    for (size_t i = 0; i < h->nbins; i++)
        maxc = h->counts[i] > maxc ? h->counts[i] : maxc;
    a->x.min = h->lo;
    a->x.max = h->hi;
    a->x.log = h->log;
    a->x.label = xlabel;
    a->y.min = 0;
    a->y.max = (double)maxc * 1.15;
    a->y.integer = true;
    a->y.label = "Images";
    ie__plot_axes_layout(a, c->fig, box, 0);
    ie__plot_axes_draw(a);
}

/* ---- value getters ---- */

bool ie__pt_get_size(const struct ie_record *r, double *v)
{
    *v = r->file_size_bytes > 0 ? (double)r->file_size_bytes : 1;
    return r->file_size_bytes >= 0;
}

bool ie__pt_get_aspect(const struct ie_record *r, double *v)
{
    *v = r->aspect_ratio > 0             ? r->aspect_ratio
         : r->height > 0 && r->width > 0 ? (double)r->width / r->height
                                         : 0;
    return *v > 0 && isfinite(*v);
}

bool ie__pt_get_brightness(const struct ie_record *r, double *v)
{
    *v = r->pixel_stats.mean_brightness;
    return r->has_pixel_stats && isfinite(*v);
}

bool ie__pt_get_delta(const struct ie_record *r, double *v)
{
    *v = r->corner_stats.delta;
    return r->has_corner_stats && isfinite(*v);
}

bool ie__pt_get_blur(const struct ie_record *r, double *v)
{
    *v = r->blur_score;
    return r->has_blur_score && isfinite(*v) && *v >= 0;
}

bool ie__pt_get_focal35(const struct ie_record *r, double *v)
{
    *v = r->focal_length_35mm;
    return r->has_focal_length_35mm && r->focal_length_35mm > 0;
}

bool ie__pt_get_iso(const struct ie_record *r, double *v)
{
    *v = r->iso_speed;
    return r->has_iso_speed && r->iso_speed > 0;
}

void ie__plot_draw(struct ie__plot_fig *fig, enum ie_plot_type t, const struct ie_recsrc *src,
                   const struct ie_plot_opts *o)
{
    static void (*const fns[IE_PLOT_NTYPES])(struct ctx *) = {
        [IE_PLOT_DIMENSIONS] = ie__pt_plot_dimensions,
        [IE_PLOT_FILE_SIZE] = ie__pt_plot_file_size,
        [IE_PLOT_ASPECT_RATIO] = ie__pt_plot_aspect_ratio,
        [IE_PLOT_BRIGHTNESS] = ie__pt_plot_brightness,
        [IE_PLOT_CHANNELS] = ie__pt_plot_channels,
        [IE_PLOT_ARTIFACTS] = ie__pt_plot_artifacts,
        [IE_PLOT_DUPLICATES] = ie__pt_plot_duplicates,
        [IE_PLOT_BLUR] = ie__pt_plot_blur,
        [IE_PLOT_EXIF_CAMERA] = ie__pt_plot_exif_camera,
        [IE_PLOT_EXIF_FOCAL] = ie__pt_plot_exif_focal,
        [IE_PLOT_EXIF_ISO] = ie__pt_plot_exif_iso,
    };
    struct ctx c = {.fig = fig, .o = o, .src = src, .n = src->n};
    select_records(&c);
    fns[t](&c);
    free(c.idx);
}
