/* Plots of image quality: brightness, channels, border artifacts, blur. */

#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "plot_internal.h"
#include "plot_types_internal.h"

/* ---- brightness ---- */

static void fmt_thr(double v, char *out, size_t n)
{
    ie__plot_fmt_num(v, fabs(v - round(v)) < 1e-9 ? 1 : 0.1, out, n);
}

void ie__pt_plot_brightness(struct ctx *c)
{
    char title[128], sub[512], t1[32], t2[32], n1[32], n2[32];
    size_t n;
    double *v = ie__pt_gather(c, ie__pt_get_brightness, &n);
    double dark = c->o->dark_threshold, over = c->o->overexposed_threshold;
    ie__pt_title_n(title, sizeof(title), "Brightness", n);
    ie__pt_subtitle(c, sub, sizeof(sub), "mean of (R+G+B)/3 per image, 0 = black, 255 = white", n,
                    NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "brightness values", "pixel statistics");
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
    ie__pt_fmt_n(ndark, n1, sizeof(n1));
    ie__pt_fmt_n(nover, n2, sizeof(n2));
    struct ie__plot_legend_item items[2] = {{IE__PLOT_SW_PATCH, IE__PLOT_SHADE, ""},
                                            {IE__PLOT_SW_PATCH, IE__PLOT_WARM, ""}};
    snprintf(items[0].text, sizeof(items[0].text), "Dark (< %s): %s image%s", t1, n1,
             ndark == 1 ? "" : "s");
    snprintf(items[1].text, sizeof(items[1].text), "Overexposed (> %s): %s image%s", t2, n2,
             nover == 1 ? "" : "s");
    box = ie__plot_legend(c->fig, box, items, 2);
    /* Bins of 5 levels: the default thresholds (40, 220) fall on bin edges. */
    struct hist h = {.lo = 0, .hi = 255, .nbins = 51, .log = false};
    ie__pt_hist_compute(&h, v, n);
    struct ie__plot_axes a = {0};
    a.x.no_grid = true;
    a.x.integer = true;
    ie__pt_hist_axes(c, &a, box, &h, "Mean brightness");
    ie__plot_vspan(&a, 0, dark, IE__PLOT_SHADE);
    ie__plot_vspan(&a, over, 255, IE__PLOT_WARM);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    ie__pt_hist_release(&h);
    free(v);
}

/* ---- channels ---- */

void ie__pt_plot_channels(struct ctx *c)
{
    static const char *const cats[] = {"Red", "Green", "Blue"};
    const struct ie__plot_rgba colors[3] = {IE__PLOT_RED, IE__PLOT_GREEN, IE__PLOT_BLUE};
    char title[128], sub[512];
    size_t n = 0;
    double *ch[3];
    for (int k = 0; k < 3; k++)
        ch[k] = ie_xmalloc((c->nidx ? c->nidx : 1) * sizeof(double));
    for (size_t i = 0; i < c->nidx; i++) {
        struct ie_record tmp;
        const struct ie_record *r = ie__pt_rec(c, c->idx[i], &tmp);
        if (!r->has_pixel_stats)
            continue;
        ch[0][n] = r->pixel_stats.mean_r;
        ch[1][n] = r->pixel_stats.mean_g;
        ch[2][n] = r->pixel_stats.mean_b;
        n++;
    }
    ie__pt_title_n(title, sizeof(title), "Colour channels", n);
    ie__pt_subtitle(c, sub, sizeof(sub),
                    "per-image mean of each channel; box = middle half, dot = median", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "channel means", "pixel statistics");
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
    ie__pt_fmt_n(flagged, nb, sizeof(nb));
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
    ie__pt_hist_compute(h, v, n);
    struct ie__plot_axes a = {0};
    a.x.no_grid = !x_grid;
    ie__pt_hist_axes(c, &a, box, h, xlabel);
    ie__plot_vspan(&a, span_lo, span_hi, shade);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h->edges, h->counts, h->nbins, bars);
    ie__plot_vline(&a, thr, IE__PLOT_HIGHLIGHT, 1.3, true);
    ie__pt_hist_release(h);
}

void ie__pt_plot_artifacts(struct ctx *c)
{
    char title[128], sub[512];
    size_t n;
    double *v = ie__pt_gather(c, ie__pt_get_delta, &n);
    double thr = c->o->artifact_threshold;
    ie__pt_title_n(title, sizeof(title), "Border artifacts", n);
    ie__pt_subtitle(c, sub, sizeof(sub),
                    "|mean of the corner patches \xe2\x88\x92 mean of the centre| per image", n,
                    NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "corner statistics", "corner statistics");
        free(v);
        return;
    }
    size_t flagged = 0;
    for (size_t i = 0; i < n; i++)
        flagged += v[i] > thr;
    struct ie__plot_rgba shade;
    box = threshold_legend(c, box, thr, "Flagged", ">", flagged, &shade);
    double hi = IE_MAX(ie__pt_vmax_of(v, n), thr * 1.15);
    struct hist h = {.lo = 0, .hi = hi * 1.02, .nbins = 60, .log = false};
    threshold_hist(c, box, &h, v, n,
                   "Corner\xe2\x80\x93"
                   "centre brightness delta",
                   false, thr, h.hi, shade, thr);
    free(v);
}

/* ---- blur ---- */

void ie__pt_plot_blur(struct ctx *c)
{
    char title[128], sub[512], extra[160] = "", nb[32];
    size_t n;
    double *v = ie__pt_gather(c, ie__pt_get_blur, &n);
    double thr = c->o->blur_threshold;
    ie__pt_title_n(title, sizeof(title), "Blur score", n);
    if (n == 0) {
        ie__pt_subtitle(c, sub, sizeof(sub), "variance of the Laplacian; low = blurry", n, NULL);
        struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
        ie__pt_no_data(c, box, "blur scores", "a blur score");
        free(v);
        return;
    }
    size_t blurry = 0, zeros = 0;
    double pmin = INFINITY, hi = ie__pt_vmax_of(v, n);
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
                v[i] = lo; /* zeros go into the first bin, as the ie__pt_subtitle says */
        if (zeros) {
            ie__pt_fmt_n(zeros, nb, sizeof(nb));
            snprintf(extra, sizeof(extra), "%s score%s of 0 in the first bin", nb,
                     zeros == 1 ? "" : "s");
        }
    } else {
        lo = 0;
        hi = IE_MAX(hi * 1.08, thr * 1.2);
    }
    ie__pt_subtitle(c, sub, sizeof(sub),
                    log ? "variance of the Laplacian (log scale); low = blurry"
                        : "variance of the Laplacian; low = blurry",
                    n, extra);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    struct ie__plot_rgba shade;
    box = threshold_legend(c, box, thr, "Blurry", "<", blurry, &shade);
    struct hist h = {.lo = lo, .hi = hi, .nbins = log ? 60 : 80, .log = log};
    threshold_hist(c, box, &h, vv, n, log ? "Blur score (log scale)" : "Blur score", log, lo, thr,
                   shade, thr);
    free(v);
}
