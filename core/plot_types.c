/* The eleven plot types of SPEC §5, each drawn from the records with the layer in plot_draw.c.
 * DESIGN: every type follows imgeda's chart (same data, reference lines and thresholds) with
 * these deliberate changes: thresholds come from the options (the manifest's settings) rather
 * than constants; the title carries n and the subtitle says what was left out or sampled; data
 * that would make a chart unreadable is handled (hexbin above density_above points, log scales
 * for heavy-tailed blur and ISO values, far outliers of aspect ratio counted rather than drawn);
 * and an empty input gives a "no data" panel instead of an error. Every pass over the records
 * is linear (plus one sort where percentiles are shown), so 10^6 records render in well under a
 * second per plot. */
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
    const struct ie_record *recs;
    size_t n;    /* all records */
    size_t *idx; /* selected records, in manifest order */
    size_t nidx;
    size_t nvalid; /* non-corrupt records before sampling */
    bool sampled;
};

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
    for (size_t i = 0; i < c->n; i++)
        if (!c->recs[i].is_corrupt)
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

typedef bool (*getter_fn)(const struct ie_record *r, double *v);

/* The getter's values over the selected records (malloc'd; *n_out of them). */
static double *gather(const struct ctx *c, getter_fn get, size_t *n_out)
{
    double *v = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < c->nidx; i++)
        if (get(&c->recs[c->idx[i]], &v[k]))
            k++;
    *n_out = k;
    return v;
}

static double vmin_of(const double *v, size_t n)
{
    double m = INFINITY;
    for (size_t i = 0; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double vmax_of(const double *v, size_t n)
{
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* ---- titles ---- */

static void fmt_n(uint64_t v, char *out, size_t n)
{
    ie__plot_fmt_count(v, out, n);
}

/* "Image dimensions (n = 1,234)". */
static void title_n(char *out, size_t sz, const char *what, size_t n)
{
    char nb[32];
    fmt_n(n, nb, sizeof(nb));
    snprintf(out, sz, "%s (n = %s)", what, nb);
}

/* The subtitle: what is drawn, then what was left out or sampled. */
static void subtitle(const struct ctx *c, char *out, size_t sz, const char *what, size_t shown,
                     const char *extra)
{
    struct ie_buf b;
    char n1[32], n2[32];
    ie_buf_init(&b);
    ie_buf_adds(&b, what);
    size_t corrupt = c->n - c->nvalid;
    if (c->sampled) {
        fmt_n(c->nidx, n1, sizeof(n1));
        fmt_n(c->nvalid, n2, sizeof(n2));
        ie_buf_addf(&b, " \xc2\xb7 random sample of %s of %s images (seed %llu)", n1, n2,
                    (unsigned long long)c->o->seed);
    }
    if (shown < c->nidx) {
        fmt_n(c->nidx - shown, n1, sizeof(n1));
        ie_buf_addf(&b, " \xc2\xb7 %s without this value", n1);
    }
    if (corrupt) {
        fmt_n(corrupt, n1, sizeof(n1));
        ie_buf_addf(&b, " \xc2\xb7 %s corrupt left out", n1);
    }
    if (extra && *extra)
        ie_buf_addf(&b, " \xc2\xb7 %s", extra);
    snprintf(out, sz, "%s", b.data ? b.data : "");
    ie_buf_release(&b);
}

static struct ie__plot_rect figure_box(const struct ctx *c)
{
    return (struct ie__plot_rect){IE__PLOT_MARGIN, IE__PLOT_MARGIN - 2, c->fig->w - IE__PLOT_MARGIN,
                                  c->fig->h - IE__PLOT_MARGIN};
}

/* The "no data" panel with a reason that names what is missing. */
static void no_data(const struct ctx *c, struct ie__plot_rect box, const char *what,
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

struct hist {
    double lo, hi;
    size_t nbins;
    bool log;
    double *edges;
    uint64_t *counts;
    size_t outside;
};

static void hist_compute(struct hist *h, const double *v, size_t n)
{
    h->edges = ie_xmalloc((h->nbins + 1) * sizeof(double));
    h->counts = ie_xmalloc(h->nbins * sizeof(uint64_t));
    h->outside = ie__plot_histogram(v, n, h->lo, h->hi, h->nbins, h->log, h->edges, h->counts);
}

static void hist_release(struct hist *h)
{
    free(h->edges);
    free(h->counts);
}

/* Bins for whole-number data (focal lengths, ISO): a width of 1, 2, 5, 10, 20, ... giving
 * about target bins, with edges half-way between integers so no value sits on an edge, and one
 * empty bin of margin on each side. */
static void int_bins(struct hist *h, double vlo, double vhi, size_t target)
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
static void iso_third_stop_bins(struct hist *h, double vlo, double vhi)
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
static void hist_axes(struct ctx *c, struct ie__plot_axes *a, struct ie__plot_rect box,
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

static bool get_size(const struct ie_record *r, double *v)
{
    *v = r->file_size_bytes > 0 ? (double)r->file_size_bytes : 1;
    return r->file_size_bytes >= 0;
}

static bool get_aspect(const struct ie_record *r, double *v)
{
    *v = r->aspect_ratio > 0             ? r->aspect_ratio
         : r->height > 0 && r->width > 0 ? (double)r->width / r->height
                                         : 0;
    return *v > 0 && isfinite(*v);
}

static bool get_brightness(const struct ie_record *r, double *v)
{
    *v = r->pixel_stats.mean_brightness;
    return r->has_pixel_stats && isfinite(*v);
}

static bool get_delta(const struct ie_record *r, double *v)
{
    *v = r->corner_stats.delta;
    return r->has_corner_stats && isfinite(*v);
}

static bool get_blur(const struct ie_record *r, double *v)
{
    *v = r->blur_score;
    return r->has_blur_score && isfinite(*v) && *v >= 0;
}

static bool get_focal35(const struct ie_record *r, double *v)
{
    *v = r->focal_length_35mm;
    return r->has_focal_length_35mm && r->focal_length_35mm > 0;
}

static bool get_iso(const struct ie_record *r, double *v)
{
    *v = r->iso_speed;
    return r->has_iso_speed && r->iso_speed > 0;
}

/* ---- dimensions ---- */

/* Images of one size (scatter mode): many images often share a size, and one dot per image
 * would hide how many stand on one spot. */
struct size_count {
    double w, h;
    size_t n;
};

static int cmp_size_wh(const void *a, const void *b)
{
    const struct size_count *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    return (x->h > y->h) - (x->h < y->h);
}

static int cmp_size_n_desc(const void *a, const void *b)
{
    const struct size_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return cmp_size_wh(a, b);
}

/* Dot radius for k images of one size when the largest group has maxn: area proportional to k
 * while that stays under 15 pt, else squeezed between 2.8 and 15 pt. */
static double bubble_radius(size_t k, size_t maxn)
{
    if (2.8 * sqrt((double)maxn) <= 15)
        return 2.8 * sqrt((double)k);
    return 2.8 + 12.2 * sqrt(((double)k - 1) / ((double)maxn - 1));
}

/* Distinct sizes with their counts, largest count first (malloc'd, *np entries). */
static struct size_count *count_sizes(const double *xs, const double *ys, size_t n, size_t *np)
{
    struct size_count *v = ie_xmalloc((n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (struct size_count){xs[i], ys[i], 1};
    qsort(v, n, sizeof(*v), cmp_size_wh);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && v[k - 1].w == v[i].w && v[k - 1].h == v[i].h)
            v[k - 1].n++;
        else
            v[k++] = v[i];
    }
    qsort(v, k, sizeof(*v), cmp_size_n_desc);
    *np = k;
    return v;
}

static void plot_dimensions(struct ctx *c)
{
    static const struct {
        const char *label;
        double w, h;
    } refs[] = {{"720p", 1280, 720}, {"1080p", 1920, 1080}, {"4K", 3840, 2160}};
    char title[128], sub[512];
    size_t n = 0;
    double *xs = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(double));
    double *ys = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(double));
    for (size_t i = 0; i < c->nidx; i++) {
        const struct ie_record *r = &c->recs[c->idx[i]];
        if (r->width > 0 && r->height > 0) {
            xs[n] = r->width;
            ys[n] = r->height;
            n++;
        }
    }
    bool dense = n > c->o->density_above;
    /* A few extreme sizes (a 100000 x 10 strip) would squash every other image into a corner:
     * an axis whose maximum is far beyond its 99.5th percentile stops a little above that
     * percentile, and the subtitle counts the images beyond. */
    double wmax = n ? vmax_of(xs, n) : 0, hmax = n ? vmax_of(ys, n) : 0;
    size_t beyond = 0;
    char extra[96] = "";
    if (n >= 20) {
        double *tmp = ie_xmalloc(n * sizeof(double));
        memcpy(tmp, xs, n * sizeof(double));
        ie__plot_sort(tmp, n);
        double pw = ie__plot_percentile(tmp, n, 99.5);
        memcpy(tmp, ys, n * sizeof(double));
        ie__plot_sort(tmp, n);
        double ph = ie__plot_percentile(tmp, n, 99.5);
        free(tmp);
        if (wmax > 3 * pw)
            wmax = pw * 1.1;
        if (hmax > 3 * ph)
            hmax = ph * 1.1;
        for (size_t i = 0; i < n; i++)
            beyond += xs[i] > wmax * 1.06 || ys[i] > hmax * 1.08;
        if (beyond) {
            char nb[32];
            fmt_n(beyond, nb, sizeof(nb));
            snprintf(extra, sizeof(extra), "%s very large beyond the axes", nb);
        }
    }
    struct size_count *sizes = NULL;
    size_t nsizes = 0;
    if (!dense)
        sizes = count_sizes(xs, ys, n, &nsizes);
    bool bubbles = nsizes && sizes[0].n > 1;
    title_n(title, sizeof(title), "Image dimensions", n);
    subtitle(c, sub, sizeof(sub),
             dense     ? "width \xc3\x97 height in pixels; colour = images per hexagon"
             : bubbles ? "width \xc3\x97 height in pixels; dot area = images of that size"
                       : "width \xc3\x97 height in pixels; one dot per image",
             n, extra);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "image dimensions", "a width and height");
        goto out;
    }

    struct ie__plot_axes a = {0};
    /* Reference resolutions slightly beyond the data still get a line: they tell the reader how
     * far the images are from a common size. */
    double xmax = wmax, ymax = hmax;
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++) {
        if (refs[i].w <= wmax * 1.25)
            xmax = IE_MAX(xmax, refs[i].w);
        if (refs[i].h <= hmax * 1.25)
            ymax = IE_MAX(ymax, refs[i].h);
    }
    a.x.min = 0;
    a.x.max = xmax * 1.06;
    a.x.integer = true;
    a.x.label = "Width (px)";
    a.y.min = 0;
    a.y.max = ymax * 1.08;
    a.y.integer = true;
    a.y.label = "Height (px)";
    ie__plot_axes_layout(&a, c->fig, box, dense ? 52 : 0);
    ie__plot_axes_draw(&a);

    struct ie__plot_rgba refc = IE__PLOT_TEXT3;
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++) {
        bool in_w = refs[i].w <= a.x.max, in_h = refs[i].h <= a.y.max;
        if (in_w)
            ie__plot_vline(&a, refs[i].w, refc, 0.7, true);
        if (in_h)
            ie__plot_hline(&a, refs[i].h, refc, 0.7, true);
    }
    if (dense) {
        struct ie__plot_rect bar = {a.area.x1 + 14, a.area.y0 + 14, a.area.x1 + 24, a.area.y1 - 10};
        double r = IE_MAX(3.0, (a.area.x1 - a.area.x0) / 100);
        ie__plot_hexbin(&a, xs, ys, n, r, bar);
    } else if (!bubbles) {
        struct ie__plot_rgba dot = IE__PLOT_PRIMARY;
        dot.a = 0.45;
        ie__plot_dots(&a, xs, ys, n, n > 1000 ? 2.0 : 2.8, dot);
    } else {
        /* Largest first so small dots stay visible on top; area grows with the count. */
        cairo_t *cr = c->fig->cr;
        size_t maxn = sizes[0].n;
        ie__plot_clip(&a);
        cairo_set_line_width(cr, 0.7);
        for (size_t i = 0; i < nsizes; i++) {
            double rad = bubble_radius(sizes[i].n, maxn);
            cairo_new_sub_path(cr);
            cairo_arc(cr, ie__plot_px(&a, sizes[i].w), ie__plot_py(&a, sizes[i].h), rad, 0,
                      2 * M_PI);
            struct ie__plot_rgba fillc = IE__PLOT_PRIMARY, edge = IE__PLOT_PRIMARY;
            fillc.a = 0.4;
            edge.a = 0.85;
            ie__plot_set_rgba(cr, fillc);
            cairo_fill_preserve(cr);
            ie__plot_set_rgba(cr, edge);
            cairo_stroke(cr);
        }
        ie__plot_unclip(&a);
        /* The biggest groups get their count written beside them. */
        ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, false);
        for (size_t i = 0; i < nsizes && i < 6 && sizes[i].n > 1; i++) {
            char lbl[40], nb[32];
            fmt_n(sizes[i].n, nb, sizeof(nb));
            snprintf(lbl, sizeof(lbl), "\xc3\x97%s", nb);
            double rad = bubble_radius(sizes[i].n, maxn);
            double px = ie__plot_px(&a, sizes[i].w), py = ie__plot_py(&a, sizes[i].h);
            double w = ie__plot_text_w(c->fig, lbl) + 3, lh = ie__plot_line_h(c->fig) + 3;
            double cx[4] = {px + rad + 2, px - rad - 2 - w, px - w / 2, px - w / 2};
            double cy[4] = {py - lh / 2, py - lh / 2, py - rad - 2 - lh, py + rad + 2};
            struct ie__plot_rect bounds = {a.area.x0 + 1, a.area.y0 + 1, a.area.x1 - 1,
                                           a.area.y1 - 1};
            ie__plot_place(c->fig, lbl, cx, cy, 4, bounds, IE__PLOT_TEXT2);
        }
    }
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, true);
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++) {
        bool in_w = refs[i].w <= a.x.max, in_h = refs[i].h <= a.y.max;
        if (!in_w && !in_h)
            continue;
        /* At the corner of the reference rectangle when both lines show, else along the one
         * line that does. */
        double lw = ie__plot_text_w(c->fig, refs[i].label) + 3, lh = ie__plot_line_h(c->fig) + 3;
        double px = in_w ? ie__plot_px(&a, refs[i].w) : a.area.x1 - lw - 2;
        double py = in_h ? ie__plot_py(&a, refs[i].h) : a.area.y0 + 2 + lh;
        double cx[4] = {px + 3, px + 3, px - lw - 3, px - lw - 3};
        double cy[4] = {py - lh - 2, py + 2, py - lh - 2, py + 2};
        struct ie__plot_rect bounds = {a.area.x0 + 1, a.area.y0 + 1, a.area.x1 - 1, a.area.y1 - 1};
        ie__plot_place(c->fig, refs[i].label, cx, cy, 4, bounds, IE__PLOT_TEXT2);
    }
out:
    free(sizes);
    free(xs);
    free(ys);
}

/* ---- file size ---- */

static void fmt_bytes_tick(double v, double step, char *out, size_t n)
{
    (void)step;
    ie__plot_fmt_bytes(v, out, n);
}

/* Ticks at 1, 10, 100 (and 2, 5 when the range is short) of B, KB, MB, GB. */
static void byte_ticks(struct ie__plot_axis *ax, double lo, double hi)
{
    static const double fine[] = {1, 2, 5, 10, 20, 50, 100, 200, 500};
    bool short_range = hi / lo < 300;
    ax->nfixed = 0;
    for (int u = 0; u < 5; u++) {
        double unit = pow(1024, u);
        for (size_t k = 0; k < IE_ARRAY_LEN(fine); k++) {
            double m = fine[k];
            if (!short_range && m != 1 && m != 10 && m != 100)
                continue;
            double t = m * unit;
            if (t >= lo && t <= hi && ax->nfixed < IE__PLOT_MAX_TICKS)
                ax->fixed[ax->nfixed++] = t;
        }
    }
}

static void plot_file_size(struct ctx *c)
{
    char title[128], sub[512];
    size_t n;
    double *v = gather(c, get_size, &n);
    title_n(title, sizeof(title), "File size", n);
    subtitle(c, sub, sizeof(sub), "bytes on disk, log scale", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "file sizes", "a file size");
        free(v);
        return;
    }
    ie__plot_sort(v, n);
    double lo = v[0], hi = v[n - 1];
    double med = ie__plot_percentile(v, n, 50), p95 = ie__plot_percentile(v, n, 95),
           p99 = ie__plot_percentile(v, n, 99);
    if (hi / lo < 2) {
        double mid = sqrt(lo * hi);
        lo = mid / 2;
        hi = mid * 2;
    }
    lo /= 1.08;
    hi *= 1.08;
    /* imgeda's bin rule: more bins for more data and for a wider spread. */
    size_t nbins = (size_t)IE_MAX(15.0, IE_MIN(80.0, sqrt((double)n) * 1.5));
    if (hi / lo > 1000)
        nbins = (size_t)IE_MIN(100.0, nbins * 1.3);

    char b1[32], b2[32], b3[32];
    ie__plot_fmt_bytes(med, b1, sizeof(b1));
    ie__plot_fmt_bytes(p95, b2, sizeof(b2));
    ie__plot_fmt_bytes(p99, b3, sizeof(b3));
    struct ie__plot_legend_item items[3] = {
        {IE__PLOT_SW_DASH, IE__PLOT_HIGHLIGHT, ""},
        {IE__PLOT_SW_DASH, IE__PLOT_TEXT2, ""},
        {IE__PLOT_SW_DASH, IE__PLOT_TEXT3, ""},
    };
    snprintf(items[0].text, sizeof(items[0].text), "Median %s", b1);
    snprintf(items[1].text, sizeof(items[1].text), "P95 %s", b2);
    snprintf(items[2].text, sizeof(items[2].text), "P99 %s", b3);
    box = ie__plot_legend(c->fig, box, items, 3);

    struct hist h = {.lo = lo, .hi = hi, .nbins = nbins, .log = true};
    hist_compute(&h, v, n);
    struct ie__plot_axes a = {0};
    a.x.fmt = fmt_bytes_tick;
    a.x.no_grid = false;
    byte_ticks(&a.x, lo, hi);
    hist_axes(c, &a, box, &h, "File size (log scale)");
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    ie__plot_vline(&a, p99, IE__PLOT_TEXT3, 1.0, true);
    ie__plot_vline(&a, p95, IE__PLOT_TEXT2, 1.0, true);
    ie__plot_vline(&a, med, IE__PLOT_HIGHLIGHT, 1.3, true);
    hist_release(&h);
    free(v);
}

/* ---- aspect ratio ---- */

static void plot_aspect_ratio(struct ctx *c)
{
    static const struct {
        const char *label;
        double v;
    } refs[] = {{"1:1", 1.0}, {"4:3", 4.0 / 3}, {"3:2", 1.5}, {"16:9", 16.0 / 9}};
    char title[128], sub[512], extra[128] = "";
    size_t n;
    double *v = gather(c, get_aspect, &n);
    title_n(title, sizeof(title), "Aspect ratio", n);
    if (n == 0) {
        subtitle(c, sub, sizeof(sub), "width / height as stored", n, NULL);
        struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
        no_data(c, box, "aspect ratios", "a width and height");
        free(v);
        return;
    }
    ie__plot_sort(v, n);
    double lo = v[0], hi = v[n - 1];
    /* A few extreme panoramas or strips would squash everything else into one bar: beyond
     * 6:1 of spread, show the central 98 % and count the rest. */
    if (hi / lo > 6) {
        lo = ie__plot_percentile(v, n, 1);
        hi = ie__plot_percentile(v, n, 99);
    }
    /* Always show the common ratios for context. */
    lo = IE_MIN(lo, 0.95);
    hi = IE_MAX(hi, 1.85);
    double pad = (hi - lo) * 0.03;
    lo = IE_MAX(0.0, lo - pad);
    hi += pad;
    size_t nbins = (size_t)IE_MIN(60.0, IE_MAX(20.0, (double)n / 5));
    struct hist h = {.lo = lo, .hi = hi, .nbins = nbins, .log = false};
    hist_compute(&h, v, n);
    if (h.outside) {
        char nb[32];
        fmt_n(h.outside, nb, sizeof(nb));
        snprintf(extra, sizeof(extra), "%s outside the range shown", nb);
    }
    subtitle(c, sub, sizeof(sub), "width / height as stored (no EXIF rotation)", n, extra);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    struct ie__plot_axes a = {0};
    a.x.no_grid = true;
    hist_axes(c, &a, box, &h, "Aspect ratio (width / height)");
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++)
        ie__plot_vline(&a, refs[i].v, IE__PLOT_TEXT3, 0.8, true);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, true);
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++)
        ie__plot_vline_label(&a, refs[i].v, refs[i].label, IE__PLOT_TEXT2);
    hist_release(&h);
    free(v);
}

/* ---- brightness ---- */

static void fmt_thr(double v, char *out, size_t n)
{
    ie__plot_fmt_num(v, fabs(v - round(v)) < 1e-9 ? 1 : 0.1, out, n);
}

static void plot_brightness(struct ctx *c)
{
    char title[128], sub[512], t1[32], t2[32], n1[32], n2[32];
    size_t n;
    double *v = gather(c, get_brightness, &n);
    double dark = c->o->dark_threshold, over = c->o->overexposed_threshold;
    title_n(title, sizeof(title), "Brightness", n);
    subtitle(c, sub, sizeof(sub), "mean of (R+G+B)/3 per image, 0 = black, 255 = white", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "brightness values", "pixel statistics");
        free(v);
        return;
    }
    size_t ndark = 0, nover = 0;
    for (size_t i = 0; i < n; i++) {
        ndark += v[i] < dark;
        nover += v[i] > over;
    }
    fmt_thr(dark, t1, sizeof(t1));
    fmt_thr(over, t2, sizeof(t2));
    fmt_n(ndark, n1, sizeof(n1));
    fmt_n(nover, n2, sizeof(n2));
    struct ie__plot_legend_item items[2] = {{IE__PLOT_SW_PATCH, IE__PLOT_SHADE, ""},
                                            {IE__PLOT_SW_PATCH, IE__PLOT_WARM, ""}};
    snprintf(items[0].text, sizeof(items[0].text), "Dark (< %s): %s image%s", t1, n1,
             ndark == 1 ? "" : "s");
    snprintf(items[1].text, sizeof(items[1].text), "Overexposed (> %s): %s image%s", t2, n2,
             nover == 1 ? "" : "s");
    box = ie__plot_legend(c->fig, box, items, 2);
    /* Bins of 5 levels: the default thresholds (40, 220) fall on bin edges. */
    struct hist h = {.lo = 0, .hi = 255, .nbins = 51, .log = false};
    hist_compute(&h, v, n);
    struct ie__plot_axes a = {0};
    a.x.no_grid = true;
    a.x.integer = true;
    hist_axes(c, &a, box, &h, "Mean brightness");
    ie__plot_vspan(&a, 0, dark, IE__PLOT_SHADE);
    ie__plot_vspan(&a, over, 255, IE__PLOT_WARM);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    hist_release(&h);
    free(v);
}

/* ---- channels ---- */

static void plot_channels(struct ctx *c)
{
    static const char *const cats[] = {"Red", "Green", "Blue"};
    const struct ie__plot_rgba colors[3] = {IE__PLOT_RED, IE__PLOT_GREEN, IE__PLOT_BLUE};
    char title[128], sub[512];
    size_t n = 0;
    double *ch[3];
    for (int k = 0; k < 3; k++)
        ch[k] = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(double));
    for (size_t i = 0; i < c->nidx; i++) {
        const struct ie_record *r = &c->recs[c->idx[i]];
        if (!r->has_pixel_stats)
            continue;
        ch[0][n] = r->pixel_stats.mean_r;
        ch[1][n] = r->pixel_stats.mean_g;
        ch[2][n] = r->pixel_stats.mean_b;
        n++;
    }
    title_n(title, sizeof(title), "Colour channels", n);
    subtitle(c, sub, sizeof(sub), "per-image mean of each channel; box = middle half, dot = median",
             n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "channel means", "pixel statistics");
        goto out;
    }
    struct ie__plot_axes a = {0};
    a.x.cats = cats;
    a.x.ncats = 3;
    a.x.no_grid = true;
    a.y.min = 0;
    a.y.max = 255;
    a.y.integer = true;
    a.y.label = "Mean channel value";
    ie__plot_axes_layout(&a, c->fig, box, 0);
    ie__plot_axes_draw(&a);
    for (int k = 0; k < 3; k++) {
        ie__plot_sort(ch[k], n);
        ie__plot_violin(&a, k, 0.36, ch[k], n, 0, 255, colors[k]);
    }
out:
    for (int k = 0; k < 3; k++)
        free(ch[k]);
}

/* ---- artifacts ---- */

/* The legend of a one-threshold plot: the dashed threshold line and the shaded side where images
 * are flagged ("<label> (<op> thr): n images"). Returns the box left for the plot; *shade gets
 * the shading colour. */
static struct ie__plot_rect threshold_legend(struct ctx *c, struct ie__plot_rect box, double thr,
                                             const char *label, const char *op, size_t flagged,
                                             struct ie__plot_rgba *shade)
{
    char t[32], nb[32];
    fmt_thr(thr, t, sizeof(t));
    fmt_n(flagged, nb, sizeof(nb));
    struct ie__plot_legend_item items[2] = {{IE__PLOT_SW_DASH, IE__PLOT_HIGHLIGHT, ""},
                                            {IE__PLOT_SW_PATCH, IE__PLOT_HIGHLIGHT, ""}};
    items[1].color.a = 0.07;
    snprintf(items[0].text, sizeof(items[0].text), "Threshold %s", t);
    snprintf(items[1].text, sizeof(items[1].text), "%s (%s %s): %s image%s", label, op, t, nb,
             flagged == 1 ? "" : "s");
    *shade = items[1].color;
    return ie__plot_legend(c->fig, box, items, 2);
}

/* Draws histogram h of v with [span_lo, span_hi] shaded and the threshold line, then releases
 * h. */
static void threshold_hist(struct ctx *c, struct ie__plot_rect box, struct hist *h, const double *v,
                           size_t n, const char *xlabel, bool x_grid, double span_lo,
                           double span_hi, struct ie__plot_rgba shade, double thr)
{
    hist_compute(h, v, n);
    struct ie__plot_axes a = {0};
    a.x.no_grid = !x_grid;
    hist_axes(c, &a, box, h, xlabel);
    ie__plot_vspan(&a, span_lo, span_hi, shade);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h->edges, h->counts, h->nbins, bars);
    ie__plot_vline(&a, thr, IE__PLOT_HIGHLIGHT, 1.3, true);
    hist_release(h);
}

static void plot_artifacts(struct ctx *c)
{
    char title[128], sub[512];
    size_t n;
    double *v = gather(c, get_delta, &n);
    double thr = c->o->artifact_threshold;
    title_n(title, sizeof(title), "Border artifacts", n);
    subtitle(c, sub, sizeof(sub),
             "|mean of the corner patches \xe2\x88\x92 mean of the centre| per image", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "corner statistics", "corner statistics");
        free(v);
        return;
    }
    size_t flagged = 0;
    for (size_t i = 0; i < n; i++)
        flagged += v[i] > thr;
    struct ie__plot_rgba shade;
    box = threshold_legend(c, box, thr, "Flagged", ">", flagged, &shade);
    double hi = IE_MAX(vmax_of(v, n), thr * 1.15);
    struct hist h = {.lo = 0, .hi = hi * 1.02, .nbins = 60, .log = false};
    threshold_hist(c, box, &h, v, n,
                   "Corner\xe2\x80\x93"
                   "centre brightness delta",
                   false, thr, h.hi, shade, thr);
    free(v);
}

/* ---- duplicates ---- */

struct hash_ref {
    struct ie_hash256 h;
    size_t rec;
};

static int cmp_hash_ref(const void *a, const void *b)
{
    const struct hash_ref *x = a, *y = b;
    for (int k = 0; k < 4; k++)
        if (x->h.w[k] != y->h.w[k])
            return x->h.w[k] < y->h.w[k] ? -1 : 1;
    return (x->rec > y->rec) - (x->rec < y->rec);
}

/* A flat (near-constant) image: all such images share one phash, so they form one big "group"
 * that says nothing about duplication; the subtitle says how many are in the count. */
static bool is_flat(const struct ie_record *r)
{
    return r->has_pixel_stats && r->pixel_stats.std_r <= 1.0 && r->pixel_stats.std_g <= 1.0 &&
           r->pixel_stats.std_b <= 1.0;
}

static void plot_duplicates(struct ctx *c)
{
    char title[128], sub[512], nb[32], lbl[64];
    /* Exact groups as imgeda finds them: non-corrupt records with identical phash, over every
     * record (a sample would split groups, so --sample does not apply here). */
    struct hash_ref *hr = ie_xmalloc((c->n ? c->n : 1) * sizeof(*hr));
    size_t nh = 0;
    for (size_t i = 0; i < c->n; i++)
        if (!c->recs[i].is_corrupt && c->recs[i].has_phash)
            hr[nh++] = (struct hash_ref){c->recs[i].phash, i};
    qsort(hr, nh, sizeof(*hr), cmp_hash_ref);
    /* size_counts[s] = groups of size s (sizes above 64 share the last slot). */
    enum { MAXS = 64 };
    uint64_t size_counts[MAXS + 1] = {0};
    uint64_t groups = 0, dup_extra = 0, flat_in_groups = 0;
    for (size_t i = 0; i < nh;) {
        size_t j = i + 1;
        while (j < nh && memcmp(&hr[j].h, &hr[i].h, sizeof(hr[i].h)) == 0)
            j++;
        size_t s = j - i;
        if (s >= 2) {
            groups++;
            dup_extra += s - 1;
            size_counts[s > MAXS ? MAXS : s]++;
            for (size_t k = i; k < j; k++)
                flat_in_groups += is_flat(&c->recs[hr[k].rec]);
        }
        i = j;
    }
    free(hr);

    title_n(title, sizeof(title), "Exact duplicates", c->n);
    /* Written here rather than by subtitle(): every record counts (no sample), and corrupt
     * records are in the total as imgeda counts them, never in a group. */
    snprintf(sub, sizeof(sub), "images with an identical perceptual hash (phash); all records");
    if (c->n > c->nvalid) {
        fmt_n(c->n - c->nvalid, nb, sizeof(nb));
        snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub),
                 " \xc2\xb7 %s corrupt counted as unique", nb);
    }
    if (flat_in_groups) {
        fmt_n(flat_in_groups, nb, sizeof(nb));
        snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub),
                 " \xc2\xb7 %s flat (constant-colour) images included", nb);
    }
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (c->n == 0) {
        no_data(c, box, "images", "");
        return;
    }
    double gap = 28, mid = box.x0 + (box.x1 - box.x0) * 0.52;
    struct ie__plot_rect left = {box.x0, box.y0, mid - gap / 2, box.y1};
    struct ie__plot_rect right = {mid + gap / 2, box.y0, box.x1, box.y1};

    /* Left: how many groups of each size. */
    ie__plot_font(c->fig, IE__PLOT_LABEL_SIZE + 0.5, true, false);
    struct ie__plot_rect r =
        ie__plot_text(c->fig, left.x0, left.y0, "Group sizes", 0, 0, IE__PLOT_TEXT);
    left.y0 = r.y1 + 8;
    r = ie__plot_text(c->fig, right.x0, right.y0, "Unique vs duplicate images", 0, 0,
                      IE__PLOT_TEXT);
    right.y0 = r.y1 + 8;
    if (groups == 0) {
        ie__plot_no_data(c->fig, left, "No duplicate groups",
                         "no two images share a perceptual hash");
    } else {
        /* Categories: the sizes that occur, at most 12 (larger ones pooled as "k+"). */
        char names[13][16];
        const char *cats[13];
        uint64_t vals[13];
        size_t ncat = 0;
        size_t sizes[MAXS + 1], nsizes = 0;
        for (size_t s = 2; s <= MAXS; s++)
            if (size_counts[s])
                sizes[nsizes++] = s;
        for (size_t i = 0; i < nsizes; i++) {
            if (ncat == 12 || (ncat == 11 && nsizes > 12)) {
                uint64_t rest = 0;
                for (size_t k = i; k < nsizes; k++)
                    rest += size_counts[sizes[k]];
                snprintf(names[ncat], sizeof(names[ncat]), "%zu+", sizes[i]);
                vals[ncat++] = rest;
                break;
            }
            if (sizes[i] == MAXS)
                snprintf(names[ncat], sizeof(names[ncat]), "%d+", MAXS);
            else
                snprintf(names[ncat], sizeof(names[ncat]), "%zu", sizes[i]);
            vals[ncat++] = size_counts[sizes[i]];
        }
        uint64_t maxv = 1;
        for (size_t i = 0; i < ncat; i++) {
            cats[i] = names[i];
            maxv = vals[i] > maxv ? vals[i] : maxv;
        }
        struct ie__plot_axes a = {0};
        a.x.cats = cats;
        a.x.ncats = ncat;
        a.x.no_grid = true;
        a.x.label = "Images in the group";
        a.y.min = 0;
        a.y.max = (double)maxv * 1.18;
        a.y.integer = true;
        a.y.label = "Groups";
        ie__plot_axes_layout(&a, c->fig, left, 0);
        ie__plot_axes_draw(&a);
        double hw = IE_MIN(0.38, 0.38 * 6 / (double)IE_MAX(ncat, (size_t)6) + 0.05);
        double *edges = ie_xmalloc(2 * sizeof(double));
        ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, false);
        for (size_t i = 0; i < ncat; i++) {
            edges[0] = (double)i - hw;
            edges[1] = (double)i + hw;
            struct ie__plot_rgba bc = IE__PLOT_PRIMARY;
            bc.a = 0.88;
            ie__plot_hist_bars(&a, edges, &vals[i], 1, bc);
            fmt_n(vals[i], lbl, sizeof(lbl));
            double w = ie__plot_text_w(c->fig, lbl) + 3, lh = ie__plot_line_h(c->fig) + 3;
            double cx = ie__plot_px(&a, (double)i) - w / 2,
                   cy = ie__plot_py(&a, (double)vals[i]) - lh - 1;
            struct ie__plot_rect bounds = {a.area.x0, a.area.y0, a.area.x1, a.area.y1};
            ie__plot_place(c->fig, lbl, &cx, &cy, 1, bounds, IE__PLOT_TEXT2);
        }
        free(edges);
    }

    /* Right: unique vs duplicates (imgeda's count: images beyond the first of each group). */
    {
        static const char *const cats[] = {"Duplicates", "Unique"};
        uint64_t vals[2] = {dup_extra, (uint64_t)c->n - dup_extra};
        const struct ie__plot_rgba colors[2] = {IE__PLOT_HIGHLIGHT, IE__PLOT_PRIMARY};
        struct ie__plot_axes a = {0};
        a.y.cats = cats;
        a.y.ncats = 2;
        a.y.no_grid = true;
        a.x.min = 0;
        a.x.max = (double)IE_MAX(vals[0], vals[1]) * 1.45;
        a.x.integer = true;
        a.x.label = "Images";
        ie__plot_axes_layout(&a, c->fig, right, 0);
        ie__plot_axes_draw(&a);
        ie__plot_clip(&a);
        for (int i = 0; i < 2; i++) {
            double y0 = ie__plot_py(&a, i + 0.3), y1 = ie__plot_py(&a, i - 0.3);
            double x0 = ie__plot_px(&a, 0), x1 = ie__plot_px(&a, (double)vals[i]);
            cairo_rectangle(c->fig->cr, x0, y0, IE_MAX(x1 - x0, 0.6), y1 - y0);
            struct ie__plot_rgba bc = colors[i];
            bc.a = 0.88;
            ie__plot_set_rgba(c->fig->cr, bc);
            cairo_fill(c->fig->cr);
        }
        ie__plot_unclip(&a);
        ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, false);
        for (int i = 0; i < 2; i++) {
            char cnt[32];
            fmt_n(vals[i], cnt, sizeof(cnt));
            snprintf(lbl, sizeof(lbl), "%s (%.1f%%)", cnt,
                     c->n ? 100.0 * (double)vals[i] / (double)c->n : 0.0);
            double lh = ie__plot_line_h(c->fig) + 3, w = ie__plot_text_w(c->fig, lbl) + 3;
            double end = ie__plot_px(&a, (double)vals[i]), y = ie__plot_py(&a, i);
            if (end + 4 + w <= a.area.x1 || end - a.area.x0 < w + 8) {
                double cx = end + 4, cy = y - lh / 2;
                struct ie__plot_rect bounds = {a.area.x0, a.area.y0, a.area.x1, a.area.y1};
                ie__plot_place(c->fig, lbl, &cx, &cy, 1, bounds, IE__PLOT_TEXT2);
            } else {
                /* No room after the bar: inside its end, white on the bar colour. */
                struct ie__plot_rgba white = {1, 1, 1, 1};
                ie__plot_text(c->fig, end - 5, y, lbl, 1, 0.5, white);
            }
        }
    }
}

/* ---- blur ---- */

static void plot_blur(struct ctx *c)
{
    char title[128], sub[512], extra[160] = "", nb[32];
    size_t n;
    double *v = gather(c, get_blur, &n);
    double thr = c->o->blur_threshold;
    title_n(title, sizeof(title), "Blur score", n);
    if (n == 0) {
        subtitle(c, sub, sizeof(sub), "variance of the Laplacian; low = blurry", n, NULL);
        struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
        no_data(c, box, "blur scores", "a blur score");
        free(v);
        return;
    }
    size_t blurry = 0, zeros = 0;
    double pmin = INFINITY, hi = vmax_of(v, n);
    for (size_t i = 0; i < n; i++) {
        blurry += v[i] < thr;
        if (v[i] > 0)
            pmin = IE_MIN(pmin, v[i]);
        else
            zeros++;
    }
    /* Blur scores span decades (flat images score ~0, sharp textures 10^4): a log axis keeps
     * both the threshold region and the bulk readable. */
    double lo = isfinite(pmin) ? pmin : 1;
    bool log = hi > 0 && hi / IE_MAX(lo, 0.01) > 50;
    double *vv = v;
    if (log) {
        lo = IE_MAX(IE_MIN(lo, thr / 4), 0.01) / 1.1;
        hi *= 1.1;
        for (size_t i = 0; i < n; i++)
            if (v[i] < lo)
                v[i] = lo; /* zeros go into the first bin, as the subtitle says */
        if (zeros) {
            fmt_n(zeros, nb, sizeof(nb));
            snprintf(extra, sizeof(extra), "%s score%s of 0 in the first bin", nb,
                     zeros == 1 ? "" : "s");
        }
    } else {
        lo = 0;
        hi = IE_MAX(hi * 1.08, thr * 1.2);
    }
    subtitle(c, sub, sizeof(sub),
             log ? "variance of the Laplacian (log scale); low = blurry"
                 : "variance of the Laplacian; low = blurry",
             n, extra);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    struct ie__plot_rgba shade;
    box = threshold_legend(c, box, thr, "Blurry", "<", blurry, &shade);
    struct hist h = {.lo = lo, .hi = hi, .nbins = log ? 60 : 80, .log = log};
    threshold_hist(c, box, &h, vv, n, log ? "Blur score (log scale)" : "Blur score", log, lo, thr,
                   shade, thr);
    free(v);
}

/* ---- EXIF: cameras ---- */

struct cam_count {
    const char *label;
    size_t count;
};

static int cmp_cam(const void *a, const void *b)
{
    const struct cam_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->label, y->label);
}

static void plot_exif_camera(struct ctx *c)
{
    enum { TOP = 15 };
    char title[128], sub[512], what[160], nb[32], nb2[32];
    struct ie_strmap map;
    struct cam_count *cams = NULL;
    size_t ncams = 0, cap = 0, with = 0;
    char **owned = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(char *));
    size_t nowned = 0;
    ie_strmap_init(&map);
    for (size_t i = 0; i < c->nidx; i++) {
        const struct ie_record *r = &c->recs[c->idx[i]];
        if (!r->camera_model || !*r->camera_model)
            continue;
        with++;
        /* imgeda's label: "Make Model" unless the model already starts with the make. */
        char *label;
        size_t ml = r->camera_make ? strlen(r->camera_make) : 0;
        if (ml && strncasecmp(r->camera_model, r->camera_make, ml) != 0) {
            label = ie_xmalloc(ml + strlen(r->camera_model) + 2);
            sprintf(label, "%s %s", r->camera_make, r->camera_model);
        } else {
            label = ie_xstrdup(r->camera_model);
        }
        size_t slot;
        if (ie_strmap_get(&map, label, &slot)) {
            cams[slot].count++;
            free(label);
            continue;
        }
        owned[nowned++] = label;
        ie_grow((void **)&cams, &cap, ncams + 1, sizeof(*cams));
        cams[ncams] = (struct cam_count){label, 1};
        ie_strmap_put(&map, label, ncams++);
    }
    title_n(title, sizeof(title), "Camera models", with);
    fmt_n(IE_MIN(ncams, (size_t)TOP), nb, sizeof(nb));
    fmt_n(ncams, nb2, sizeof(nb2));
    if (ncams > TOP)
        snprintf(what, sizeof(what), "EXIF make and model; top %s of %s models", nb, nb2);
    else
        snprintf(what, sizeof(what), "EXIF make and model; %s model%s", nb2, ncams == 1 ? "" : "s");
    subtitle(c, sub, sizeof(sub), what, with, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (ncams == 0) {
        no_data(c, box, "camera models", "an EXIF camera model");
        goto out;
    }
    qsort(cams, ncams, sizeof(*cams), cmp_cam);
    size_t k = IE_MIN(ncams, (size_t)TOP);
    const char *cats[TOP];
    for (size_t i = 0; i < k; i++)
        cats[k - 1 - i] = cams[i].label; /* most common at the top */
    struct ie__plot_axes a = {0};
    a.y.cats = cats;
    a.y.ncats = k;
    a.y.no_grid = true;
    a.ycat_maxw = (box.x1 - box.x0) * 0.36;
    a.x.min = 0;
    a.x.max = (double)cams[0].count * 1.18;
    a.x.integer = true;
    a.x.label = "Images";
    ie__plot_axes_layout(&a, c->fig, box, 0);
    ie__plot_axes_draw(&a);
    double band = (a.area.y1 - a.area.y0) / (double)k;
    double half = IE_MIN(0.36, 9.0 / band); /* bars at most ~18 pt thick */
    ie__plot_clip(&a);
    struct ie__plot_rgba bc = IE__PLOT_PRIMARY;
    bc.a = 0.88;
    ie__plot_set_rgba(c->fig->cr, bc);
    for (size_t i = 0; i < k; i++) {
        double pos = (double)(k - 1 - i);
        double y0 = ie__plot_py(&a, pos + half), y1 = ie__plot_py(&a, pos - half);
        double x0 = ie__plot_px(&a, 0), x1 = ie__plot_px(&a, (double)cams[i].count);
        cairo_rectangle(c->fig->cr, x0, y0, x1 - x0, y1 - y0);
    }
    cairo_fill(c->fig->cr);
    ie__plot_unclip(&a);
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, false);
    for (size_t i = 0; i < k; i++) {
        double pos = (double)(k - 1 - i);
        char lbl[32];
        fmt_n(cams[i].count, lbl, sizeof(lbl));
        double lh = ie__plot_line_h(c->fig) + 3;
        double cx = ie__plot_px(&a, (double)cams[i].count) + 3, cy = ie__plot_py(&a, pos) - lh / 2;
        struct ie__plot_rect bounds = {a.area.x0, a.area.y0 - 2, a.area.x1, a.area.y1 + 2};
        ie__plot_place(c->fig, lbl, &cx, &cy, 1, bounds, IE__PLOT_TEXT2);
    }
out:
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(cams);
    ie_strmap_release(&map);
}

/* ---- EXIF: focal length ---- */

static void plot_exif_focal(struct ctx *c)
{
    static const struct {
        double lo, hi;
        const char *label;
    } zones[] = {{0, 24, "Ultra-wide"},
                 {24, 35, "Wide"},
                 {35, 70, "Normal"},
                 {70, 200, "Telephoto"},
                 {200, 1e9, "Super-telephoto"}};
    char title[128], sub[512];
    size_t n;
    double *v = gather(c, get_focal35, &n);
    title_n(title, sizeof(title), "Focal length", n);
    subtitle(c, sub, sizeof(sub), "35 mm equivalent (EXIF FocalLengthIn35mmFilm)", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "focal lengths", "an EXIF 35 mm focal length");
        free(v);
        return;
    }
    struct hist h = {0};
    double vlo = vmin_of(v, n), vhi = vmax_of(v, n);
    if (vhi - vlo < 20) { /* one or a few lenses: show some context around them */
        vlo = IE_MAX(0.0, vlo - 10);
        vhi += 10;
    }
    int_bins(&h, vlo, vhi, 50);
    double lo = h.lo, hi = h.hi;
    hist_compute(&h, v, n);
    struct ie__plot_axes a = {0};
    a.x.no_grid = true;
    a.x.integer = true;
    hist_axes(c, &a, box, &h, "Focal length, 35 mm equivalent (mm)");
    for (size_t i = 1; i < IE_ARRAY_LEN(zones); i++)
        if (zones[i].lo > lo && zones[i].lo < hi)
            ie__plot_vline(&a, zones[i].lo, IE__PLOT_TEXT3, 0.7, true);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    /* Zone names centred on the visible part of each zone, on a lower row when a neighbour's
     * name is in the way. */
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, true);
    for (size_t i = 0; i < IE_ARRAY_LEN(zones); i++) {
        double z0 = IE_MAX(zones[i].lo, lo), z1 = IE_MIN(zones[i].hi, hi);
        if (z1 <= z0)
            continue;
        double p0 = ie__plot_px(&a, z0), p1 = ie__plot_px(&a, z1);
        if (p1 - p0 < 6)
            continue;
        double w = ie__plot_text_w(c->fig, zones[i].label) + 3, lh = ie__plot_line_h(c->fig) + 3;
        double cx[3], cy[3];
        for (int k = 0; k < 3; k++) {
            cx[k] = (p0 + p1) / 2 - w / 2;
            cy[k] = a.area.y0 + 2 + k * (lh + 1);
        }
        struct ie__plot_rect bounds = {a.area.x0 + 1, a.area.y0, a.area.x1 - 1, a.area.y1};
        ie__plot_place(c->fig, zones[i].label, cx, cy, 3, bounds, IE__PLOT_TEXT3);
    }
    hist_release(&h);
    free(v);
}

/* ---- EXIF: ISO ---- */

static void plot_exif_iso(struct ctx *c)
{
    static const double stops[] = {25,   50,    100,   200,   400,    800,    1600,  3200,
                                   6400, 12800, 25600, 51200, 102400, 204800, 409600};
    const double high = 3200;
    char title[128], sub[512], nb[32];
    size_t n;
    double *v = gather(c, get_iso, &n);
    title_n(title, sizeof(title), "ISO speed", n);
    double lo = n ? vmin_of(v, n) : 1, hi = n ? vmax_of(v, n) : 1;
    bool log = hi / lo >= 16;
    subtitle(c, sub, sizeof(sub), log ? "EXIF ISOSpeedRatings (log scale)" : "EXIF ISOSpeedRatings",
             n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, figure_box(c), title, sub);
    if (n == 0) {
        no_data(c, box, "ISO values", "an EXIF ISO speed");
        free(v);
        return;
    }
    size_t nhigh = 0;
    for (size_t i = 0; i < n; i++)
        nhigh += v[i] >= high;
    fmt_n(nhigh, nb, sizeof(nb));
    struct ie__plot_legend_item item = {IE__PLOT_SW_PATCH, IE__PLOT_HIGHLIGHT, ""};
    item.color.a = 0.07;
    snprintf(item.text, sizeof(item.text), "High ISO (\xe2\x89\xa5 3200, noise risk): %s image%s",
             nb, nhigh == 1 ? "" : "s");
    box = ie__plot_legend(c->fig, box, &item, 1);
    struct ie__plot_axes a = {0};
    struct hist h = {0};
    if (log) {
        iso_third_stop_bins(&h, lo, hi);
        for (size_t i = 0; i < IE_ARRAY_LEN(stops); i++)
            a.x.fixed[a.x.nfixed++] = stops[i];
    } else {
        if (hi - lo < 100) {
            lo = IE_MAX(0.0, lo - 50);
            hi += 50;
        }
        int_bins(&h, lo, hi, 50);
        a.x.no_grid = true;
        a.x.integer = true;
    }
    lo = h.lo;
    hi = h.hi;
    hist_compute(&h, v, n);
    hist_axes(c, &a, box, &h, log ? "ISO (log scale)" : "ISO");
    if (hi > high)
        ie__plot_vspan(&a, high, hi, item.color);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    if (high > lo && high < hi)
        ie__plot_vline(&a, high, IE__PLOT_HIGHLIGHT, 1.0, true);
    hist_release(&h);
    free(v);
}

void ie__plot_draw(struct ie__plot_fig *fig, enum ie_plot_type t, const struct ie_record *recs,
                   size_t n, const struct ie_plot_opts *o)
{
    static void (*const fns[IE_PLOT_NTYPES])(struct ctx *) = {
        [IE_PLOT_DIMENSIONS] = plot_dimensions,     [IE_PLOT_FILE_SIZE] = plot_file_size,
        [IE_PLOT_ASPECT_RATIO] = plot_aspect_ratio, [IE_PLOT_BRIGHTNESS] = plot_brightness,
        [IE_PLOT_CHANNELS] = plot_channels,         [IE_PLOT_ARTIFACTS] = plot_artifacts,
        [IE_PLOT_DUPLICATES] = plot_duplicates,     [IE_PLOT_BLUR] = plot_blur,
        [IE_PLOT_EXIF_CAMERA] = plot_exif_camera,   [IE_PLOT_EXIF_FOCAL] = plot_exif_focal,
        [IE_PLOT_EXIF_ISO] = plot_exif_iso,
    };
    struct ctx c = {.fig = fig, .o = o, .recs = recs, .n = n};
    select_records(&c);
    fns[t](&c);
    free(c.idx);
}
