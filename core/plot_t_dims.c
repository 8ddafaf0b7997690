/* Plots of image geometry: dimensions, file size, aspect ratio. */

#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "plot_internal.h"
#include "plot_types_internal.h"

/* ---- dimensions ---- */

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

/* Common video resolutions drawn as reference lines. */
static const struct {
    const char *label;
    double w, h;
} res_refs[] = {{"720p", 1280, 720}, {"1080p", 1920, 1080}, {"4K", 3840, 2160}};

/* The value below the k largest of v's n (k = 0.5 % of n, at least 1); tmp is scratch of n. */
static double below_largest(double *tmp, const double *v, size_t n)
{
    size_t k = IE_MAX((size_t)1, n / 200);
    memcpy(tmp, v, n * sizeof(double));
    ie__plot_sort(tmp, n);
    return tmp[n - 1 - k];
}

/* An axis whose maximum is more than 3 times the value below its largest 0.5 % (at least one
 * image: one 16000 px photo among 640 px ones) stops a little above that value; extra says how
 * many images lie beyond the axes. A percentile would not do for a small scan: the 99.5th of 19
 * values lies between the two largest, so one huge image kept the others in a corner. */
static void trim_extremes(const double *xs, const double *ys, size_t n, double *wmax, double *hmax,
                          char *extra, size_t extra_size)
{
    size_t beyond = 0;
    double *tmp = ie_xmalloc(n * sizeof(double));
    double pw = below_largest(tmp, xs, n), ph = below_largest(tmp, ys, n);
    free(tmp);
    if (*wmax > 3 * pw)
        *wmax = pw * 1.1;
    if (*hmax > 3 * ph)
        *hmax = ph * 1.1;
    for (size_t i = 0; i < n; i++)
        beyond += xs[i] > *wmax * 1.06 || ys[i] > *hmax * 1.08;
    if (beyond) {
        char nb[32];
        ie__pt_fmt_n(beyond, nb, sizeof(nb));
        snprintf(extra, extra_size, "%s very large %s beyond the axes", nb,
                 beyond == 1 ? "image" : "images");
    }
}

/* One bubble per distinct size, its area growing with the count; the biggest are labelled. */
static void draw_bubbles(struct ctx *c, struct ie__plot_axes *ax, const struct size_count *sizes,
                         size_t nsizes)
{
    /* Largest first so small dots stay visible on top; area grows with the count. */
    cairo_t *cr = c->fig->cr;
    size_t maxn = sizes[0].n;
    ie__plot_clip(ax);
    cairo_set_line_width(cr, 0.7);
    for (size_t i = 0; i < nsizes; i++) {
        double rad = bubble_radius(sizes[i].n, maxn);
        cairo_new_sub_path(cr);
        cairo_arc(cr, ie__plot_px(ax, sizes[i].w), ie__plot_py(ax, sizes[i].h), rad, 0, 2 * M_PI);
        struct ie__plot_rgba fillc = IE__PLOT_PRIMARY, edge = IE__PLOT_PRIMARY;
        fillc.a = 0.4;
        edge.a = 0.85;
        ie__plot_set_rgba(cr, fillc);
        cairo_fill_preserve(cr);
        ie__plot_set_rgba(cr, edge);
        cairo_stroke(cr);
    }
    ie__plot_unclip(ax);
    /* The biggest groups get their count written beside them. */
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, false);
    for (size_t i = 0; i < nsizes && i < 6 && sizes[i].n > 1; i++) {
        char lbl[40], nb[32];
        ie__pt_fmt_n(sizes[i].n, nb, sizeof(nb));
        snprintf(lbl, sizeof(lbl), "\xc3\x97%s", nb);
        double rad = bubble_radius(sizes[i].n, maxn);
        double px = ie__plot_px(ax, sizes[i].w), py = ie__plot_py(ax, sizes[i].h);
        double w = ie__plot_text_w(c->fig, lbl) + 3, lh = ie__plot_line_h(c->fig) + 3;
        double cx[4] = {px + rad + 2, px - rad - 2 - w, px - w / 2, px - w / 2};
        double cy[4] = {py - lh / 2, py - lh / 2, py - rad - 2 - lh, py + rad + 2};
        struct ie__plot_rect bounds = {ax->area.x0 + 1, ax->area.y0 + 1, ax->area.x1 - 1,
                                       ax->area.y1 - 1};
        ie__plot_place(c->fig, lbl, cx, cy, 4, bounds, IE__PLOT_TEXT2);
    }
}

/* The reference resolutions' names, at the corner of their rectangle or along their line. */
static void label_references(struct ctx *c, const struct ie__plot_axes *ax)
{
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, true);
    for (size_t i = 0; i < IE_ARRAY_LEN(res_refs); i++) {
        bool in_w = res_refs[i].w <= ax->x.max, in_h = res_refs[i].h <= ax->y.max;
        if (!in_w && !in_h)
            continue;
        /* At the corner of the reference rectangle when both lines show, else along the one
         * line that does. */
        double lw = ie__plot_text_w(c->fig, res_refs[i].label) + 3,
               lh = ie__plot_line_h(c->fig) + 3;
        double px = in_w ? ie__plot_px(ax, res_refs[i].w) : ax->area.x1 - lw - 2;
        double py = in_h ? ie__plot_py(ax, res_refs[i].h) : ax->area.y0 + 2 + lh;
        double cx[4] = {px + 3, px + 3, px - lw - 3, px - lw - 3};
        double cy[4] = {py - lh - 2, py + 2, py - lh - 2, py + 2};
        struct ie__plot_rect bounds = {ax->area.x0 + 1, ax->area.y0 + 1, ax->area.x1 - 1,
                                       ax->area.y1 - 1};
        ie__plot_place(c->fig, res_refs[i].label, cx, cy, 4, bounds, IE__PLOT_TEXT2);
    }
}

void ie__pt_plot_dimensions(struct ctx *c)
{
    char title[128], sub[512];
    size_t n = 0;
    double *xs = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(double));
    double *ys = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(double));
    for (size_t i = 0; i < c->nidx; i++) {
        struct ie_record tmp;
        const struct ie_record *r = ie__pt_rec(c, c->idx[i], &tmp);
        if (r->width > 0 && r->height > 0) {
            xs[n] = r->width;
            ys[n] = r->height;
            n++;
        }
    }
    bool dense = n > c->o->density_above;
    /* A few extreme sizes (a 100000 x 10 strip) would squash every other image into a corner:
     * an axis whose maximum is far beyond the rest stops a little above the rest (trim_extremes),
     * and the ie__pt_subtitle counts the images beyond. */
    double wmax = n ? ie__pt_vmax_of(xs, n) : 0, hmax = n ? ie__pt_vmax_of(ys, n) : 0;
    char extra[96] = "";
    if (n >= 4)
        trim_extremes(xs, ys, n, &wmax, &hmax, extra, sizeof(extra));
    struct size_count *sizes = NULL;
    size_t nsizes = 0;
    if (!dense)
        sizes = count_sizes(xs, ys, n, &nsizes);
    bool bubbles = nsizes && sizes[0].n > 1;
    ie__pt_title_n(title, sizeof(title), "Image dimensions", n);
    ie__pt_subtitle(c, sub, sizeof(sub),
                    dense     ? "width \xc3\x97 height in pixels; colour = images per hexagon"
                    : bubbles ? "width \xc3\x97 height in pixels; dot area = images of that size"
                              : "width \xc3\x97 height in pixels; one dot per image",
                    n, extra);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "image dimensions", "a width and height");
        goto out;
    }

    struct ie__plot_axes a = {0};
    /* Reference resolutions slightly beyond the data still get a line: they tell the reader how
     * far the images are from a common size. */
    double xmax = wmax, ymax = hmax;
    for (size_t i = 0; i < IE_ARRAY_LEN(res_refs); i++) {
        if (res_refs[i].w <= wmax * 1.25)
            xmax = IE_MAX(xmax, res_refs[i].w);
        if (res_refs[i].h <= hmax * 1.25)
            ymax = IE_MAX(ymax, res_refs[i].h);
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
    for (size_t i = 0; i < IE_ARRAY_LEN(res_refs); i++) {
        bool in_w = res_refs[i].w <= a.x.max, in_h = res_refs[i].h <= a.y.max;
        if (in_w)
            ie__plot_vline(&a, res_refs[i].w, refc, 0.7, true);
        if (in_h)
            ie__plot_hline(&a, res_refs[i].h, refc, 0.7, true);
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
        draw_bubbles(c, &a, sizes, nsizes);
    }
    label_references(c, &a);
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
        double unit = pow(1000, u); /* decimal, as ie__plot_fmt_bytes labels them */
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

void ie__pt_plot_file_size(struct ctx *c)
{
    char title[128], sub[512];
    size_t n;
    double *v = ie__pt_gather(c, ie__pt_get_size, &n);
    ie__pt_title_n(title, sizeof(title), "File size", n);
    ie__pt_subtitle(c, sub, sizeof(sub), "bytes on disk, log scale", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "file sizes", "a file size");
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
    ie__pt_hist_compute(&h, v, n);
    struct ie__plot_axes a = {0};
    a.x.fmt = fmt_bytes_tick;
    a.x.no_grid = false;
    byte_ticks(&a.x, lo, hi);
    ie__pt_hist_axes(c, &a, box, &h, "File size (log scale)");
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    ie__plot_vline(&a, p99, IE__PLOT_TEXT3, 1.0, true);
    ie__plot_vline(&a, p95, IE__PLOT_TEXT2, 1.0, true);
    ie__plot_vline(&a, med, IE__PLOT_HIGHLIGHT, 1.3, true);
    ie__pt_hist_release(&h);
    free(v);
}

/* ---- aspect ratio ---- */

void ie__pt_plot_aspect_ratio(struct ctx *c)
{
    static const struct {
        const char *label;
        double v;
    } refs[] = {{"1:1", 1.0}, {"4:3", 4.0 / 3}, {"3:2", 1.5}, {"16:9", 16.0 / 9}};
    char title[128], sub[512], extra[128] = "";
    size_t n;
    double *v = ie__pt_gather(c, ie__pt_get_aspect, &n);
    ie__pt_title_n(title, sizeof(title), "Aspect ratio", n);
    if (n == 0) {
        ie__pt_subtitle(c, sub, sizeof(sub), "width / height as stored", n, NULL);
        struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
        ie__pt_no_data(c, box, "aspect ratios", "a width and height");
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
    ie__pt_hist_compute(&h, v, n);
    if (h.outside) {
        char nb[32];
        ie__pt_fmt_n(h.outside, nb, sizeof(nb));
        snprintf(extra, sizeof(extra), "%s outside the range shown", nb);
    }
    ie__pt_subtitle(c, sub, sizeof(sub), "width / height as stored (no EXIF rotation)", n, extra);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    struct ie__plot_axes a = {0};
    a.x.no_grid = true;
    ie__pt_hist_axes(c, &a, box, &h, "Aspect ratio (width / height)");
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++)
        ie__plot_vline(&a, refs[i].v, IE__PLOT_TEXT3, 0.8, true);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    ie__plot_font(c->fig, IE__PLOT_NOTE_SIZE, false, true);
    for (size_t i = 0; i < IE_ARRAY_LEN(refs); i++)
        ie__plot_vline_label(&a, refs[i].v, refs[i].label, IE__PLOT_TEXT2);
    ie__pt_hist_release(&h);
    free(v);
}
