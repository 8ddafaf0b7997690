/* The marks plot types are made of: bars, reference lines and spans, empty-state boxes,
 * hexagonal bins with their colour bar, dots and violins (see plot_internal.h). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"
#include "plot_internal.h"

/* ---- marks ---- */

void ie__plot_hist_bars(const struct ie__plot_axes *a, const double *edges, const uint64_t *counts,
                        size_t nbins, struct ie__plot_rgba c)
{
    cairo_t *cr = a->fig->cr;
    double y0 = ie__plot_py(a, a->y.min > 0 ? a->y.min : 0);
    double narrowest = DBL_MAX;
    ie__plot_clip(a);
    for (size_t i = 0; i < nbins; i++) {
        if (!counts[i])
            continue;
        double x0 = ie__plot_px(a, edges[i]), x1 = ie__plot_px(a, edges[i + 1]);
        double y1 = ie__plot_py(a, (double)counts[i]);
        /* At least a hairline, so a bin of one image among millions still shows. */
        if (y0 - y1 < 0.6)
            y1 = y0 - 0.6;
        cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
        narrowest = IE_MIN(narrowest, x1 - x0);
    }
    ie__plot_set_rgba(cr, c);
    if (narrowest > 3) {
        /* Thin white gaps between wide bars read better than a solid block. */
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 0.5);
        cairo_stroke(cr);
    } else {
        cairo_fill(cr);
    }
    ie__plot_unclip(a);
}

static void line_between(const struct ie__plot_axes *a, double x0, double y0, double x1, double y1,
                         struct ie__plot_rgba c, double width, bool dashed)
{
    cairo_t *cr = a->fig->cr;
    ie__plot_clip(a);
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    if (dashed) {
        static const double dash[] = {4, 3};
        cairo_set_dash(cr, dash, 2, 0);
    }
    cairo_set_line_width(cr, width);
    ie__plot_set_rgba(cr, c);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    ie__plot_unclip(a);
}

void ie__plot_vline(const struct ie__plot_axes *a, double x, struct ie__plot_rgba c, double width,
                    bool dashed)
{
    double px = ie__plot_px(a, x);
    line_between(a, px, a->area.y0, px, a->area.y1, c, width, dashed);
}

void ie__plot_hline(const struct ie__plot_axes *a, double y, struct ie__plot_rgba c, double width,
                    bool dashed)
{
    double py = ie__plot_py(a, y);
    line_between(a, a->area.x0, py, a->area.x1, py, c, width, dashed);
}

void ie__plot_vspan(const struct ie__plot_axes *a, double x0, double x1, struct ie__plot_rgba c)
{
    cairo_t *cr = a->fig->cr;
    double p0 = IE_MAX(a->area.x0, ie__plot_px(a, x0)), p1 = IE_MIN(a->area.x1, ie__plot_px(a, x1));
    if (p1 <= p0)
        return;
    cairo_rectangle(cr, p0, a->area.y0, p1 - p0, a->area.y1 - a->area.y0);
    ie__plot_set_rgba(cr, c);
    cairo_fill(cr);
}

void ie__plot_vline_label(struct ie__plot_axes *a, double x, const char *s, struct ie__plot_rgba c)
{
    struct ie__plot_fig *fig = a->fig;
    double cx[16], cy[16];
    size_t n = 0;
    double px = ie__plot_px(a, x), w = ie__plot_text_w(fig, s) + 3, lh = ie__plot_line_h(fig) + 3;
    for (int row = 0; row < 8 && n + 2 <= 16; row++) {
        double y = a->area.y0 + 2 + row * (lh + 1);
        cx[n] = px + 3;
        cy[n++] = y;
        cx[n] = px - 3 - w;
        cy[n++] = y;
    }
    struct ie__plot_rect bounds = {a->area.x0 + 1, a->area.y0 + 1, a->area.x1 - 1, a->area.y1 - 1};
    ie__plot_place(fig, s, cx, cy, n, bounds, c);
}

void ie__plot_no_data(struct ie__plot_fig *fig, struct ie__plot_rect box, const char *msg,
                      const char *detail)
{
    cairo_t *cr = fig->cr;
    char buf[512];
    cairo_rectangle(cr, box.x0 + 0.5, box.y0 + 0.5, box.x1 - box.x0 - 1, box.y1 - box.y0 - 1);
    cairo_set_source_rgb(cr, 0.975, 0.975, 0.975);
    cairo_fill_preserve(cr);
    ie__plot_set_rgba(cr, IE__PLOT_GRID);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double cxm = (box.x0 + box.x1) / 2, cym = (box.y0 + box.y1) / 2;
    ie__plot_font(fig, 14, false, false);
    ie__plot_fit(fig, msg, box.x1 - box.x0 - 20, buf, sizeof(buf));
    ie__plot_text(fig, cxm, cym, buf, 0.5, detail ? 1 : 0.5, IE__PLOT_TEXT2);
    if (detail) {
        ie__plot_font(fig, IE__PLOT_SUB_SIZE, false, false);
        ie__plot_fit(fig, detail, box.x1 - box.x0 - 20, buf, sizeof(buf));
        ie__plot_text(fig, cxm, cym + 4, buf, 0.5, 0, IE__PLOT_TEXT3);
    }
}

/* ---- density, dots, violins ---- */

/* A light-to-dark blue ramp, t in [0, 1]. */
static struct ie__plot_rgba ramp(double t)
{
    static const double stops[3][3] = {
        {0.80, 0.86, 0.94}, /* #ccdbef */
        {0.30, 0.45, 0.69}, /* #4c72b0 */
        {0.09, 0.17, 0.33}, /* #172b54 */
    };
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    int k = t < 0.5 ? 0 : 1;
    double f = (t - 0.5 * k) * 2;
    return (struct ie__plot_rgba){stops[k][0] + f * (stops[k + 1][0] - stops[k][0]),
                                  stops[k][1] + f * (stops[k + 1][1] - stops[k][1]),
                                  stops[k][2] + f * (stops[k + 1][2] - stops[k][2]), 1};
}

static void hex_path(cairo_t *cr, double cx, double cy, double r)
{
    for (int k = 0; k < 6; k++) {
        double ang = M_PI / 180 * (60 * k - 30);
        double x = cx + r * cos(ang), y = cy + r * sin(ang);
        if (k == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    cairo_close_path(cr);
}

static void colorbar(struct ie__plot_fig *fig, struct ie__plot_rect bar, uint32_t maxc)
{
    cairo_t *cr = fig->cr;
    char buf[64];
    double lmax = log((double)IE_MAX(maxc, 2u));
    const int steps = 64;
    double h = bar.y1 - bar.y0;
    for (int i = 0; i < steps; i++) {
        double t0 = (double)i / steps;
        cairo_rectangle(cr, bar.x0, bar.y1 - (t0 + 1.0 / steps) * h, bar.x1 - bar.x0,
                        h / steps + 0.3);
        ie__plot_set_rgba(cr, ramp(t0 + 0.5 / steps));
        cairo_fill(cr);
    }
    cairo_rectangle(cr, bar.x0, bar.y0, bar.x1 - bar.x0, h);
    ie__plot_set_rgba(cr, IE__PLOT_AXIS);
    cairo_set_line_width(cr, 0.6);
    cairo_stroke(cr);
    ie__plot_font(fig, IE__PLOT_TICK_SIZE, false, false);
    double lh = ie__plot_line_h(fig), last_y = DBL_MAX;
    /* Ticks at 1, 10, 100, ... (and the maximum when it is not close to one of them). */
    for (double v = 1; v <= maxc; v *= 10) {
        double y = bar.y1 - log(v) / lmax * h;
        if (last_y - y < lh * 2.0)
            continue;
        ie__plot_fmt_num(v, 1, buf, sizeof(buf));
        ie__plot_text(fig, bar.x1 + 3, y, buf, 0, 0.5, IE__PLOT_TEXT2);
        last_y = y;
    }
    double ytop = bar.y1 - log((double)maxc) / lmax * h;
    if (maxc > 1 && last_y - ytop >= lh * 2.0) {
        ie__plot_fmt_num((double)maxc, 1, buf, sizeof(buf));
        ie__plot_text(fig, bar.x1 + 3, ytop, buf, 0, 0.5, IE__PLOT_TEXT2);
    }
    /* Above the top tick label, which is centred on the top of the bar. */
    ie__plot_text(fig, bar.x0, bar.y0 - lh / 2 - 3, "images", 0, 1, IE__PLOT_TEXT2);
}

void ie__plot_hexbin(const struct ie__plot_axes *a, const double *x, const double *y, size_t n,
                     double r, struct ie__plot_rect bar)
{
    cairo_t *cr = a->fig->cr;
    double W = a->area.x1 - a->area.x0, H = a->area.y1 - a->area.y0;
    /* Pointy-top hexagons in figure space (regular on the page whatever the data ranges):
     * axial coordinates (q, s), stored in an odd-row offset grid. */
    long rows = (long)(H / (1.5 * r)) + 3, cols = (long)(W / (sqrt(3) * r)) + 3;
    uint32_t *cnt = ie_xcalloc((size_t)(rows * cols), sizeof(*cnt));
    uint32_t maxc = 0;
    for (size_t i = 0; i < n; i++) {
        double px = ie__plot_px(a, x[i]) - a->area.x0, py = ie__plot_py(a, y[i]) - a->area.y0;
        if (!(px >= -r && px <= W + r && py >= -r && py <= H + r))
            continue;
        double fq = (sqrt(3) / 3 * px - py / 3) / r, fs = (2.0 / 3 * py) / r, fz = -fq - fs;
        double rq = round(fq), rs = round(fs), rz = round(fz);
        double dq = fabs(rq - fq), ds = fabs(rs - fs), dz = fabs(rz - fz);
        if (dq > ds && dq > dz)
            rq = -rs - rz;
        else if (ds > dz)
            rs = -rq - rz;
        long row = (long)rs + 1, col = (long)rq + ((long)rs - ((long)rs & 1)) / 2 + 1;
        if (row < 0 || row >= rows || col < 0 || col >= cols)
            continue;
        uint32_t c = ++cnt[row * cols + col];
        if (c > maxc)
            maxc = c;
    }
    ie__plot_clip(a);
    double lmax = log((double)IE_MAX(maxc, 2u));
    for (long row = 0; row < rows; row++)
        for (long col = 0; col < cols; col++) {
            uint32_t c = cnt[row * cols + col];
            if (!c)
                continue;
            long s = row - 1, q = col - 1 - (s - (s & 1)) / 2;
            double cx = a->area.x0 + r * sqrt(3) * (q + s / 2.0), cy = a->area.y0 + r * 1.5 * s;
            hex_path(cr, cx, cy, r + 0.25);
            ie__plot_set_rgba(cr, ramp(maxc <= 1 ? 1 : 0.12 + 0.88 * log((double)c) / lmax));
            cairo_fill(cr);
        }
    ie__plot_unclip(a);
    free(cnt);
    if (maxc > 0)
        colorbar(a->fig, bar, maxc);
}

void ie__plot_dots(const struct ie__plot_axes *a, const double *x, const double *y, size_t n,
                   double r, struct ie__plot_rgba c)
{
    cairo_t *cr = a->fig->cr;
    ie__plot_clip(a);
    ie__plot_set_rgba(cr, c);
    for (size_t i = 0; i < n; i++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, ie__plot_px(a, x[i]), ie__plot_py(a, y[i]), r, 0, 2 * M_PI);
        /* One fill per dot so that overlaps darken: density stays visible. */
        cairo_fill(cr);
    }
    ie__plot_unclip(a);
}

void ie__plot_violin(const struct ie__plot_axes *a, double pos, double hw, const double *sorted,
                     size_t n, double lo, double hi, struct ie__plot_rgba c)
{
    cairo_t *cr = a->fig->cr;
    if (n == 0)
        return;
    double vmin = sorted[0], vmax = sorted[n - 1];
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += sorted[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (sorted[i] - mean) * (sorted[i] - mean);
    double sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0;
    struct ie__plot_rgba fill = c, edge = c;
    fill.a = 0.45;
    ie__plot_clip(a);
    if (sd <= 1e-9 || vmax - vmin <= 1e-9) {
        /* All values equal: a density would be a spike; a bar says it plainly. */
        double y = ie__plot_py(a, vmin);
        cairo_rectangle(cr, ie__plot_px(a, pos - hw), y - 1.2,
                        ie__plot_px(a, pos + hw) - ie__plot_px(a, pos - hw), 2.4);
        ie__plot_set_rgba(cr, edge);
        cairo_fill(cr);
        ie__plot_unclip(a);
        return;
    }
    /* Gaussian KDE (Scott's bandwidth, as matplotlib's violinplot) evaluated from a fine
     * histogram, so the cost is linear in n. */
    enum { NB = 512, NG = 120 };
    double bw = sd * pow((double)n, -0.2);
    double glo = IE_MAX(lo, vmin), ghi = IE_MIN(hi, vmax);
    if (ghi <= glo)
        ghi = glo + 1e-6;
    double *bins = ie_xcalloc(NB, sizeof(double));
    double bwid = (vmax - vmin) / NB;
    for (size_t i = 0; i < n; i++) {
        long k = (long)((sorted[i] - vmin) / bwid);
        bins[k < 0 ? 0 : k >= NB ? NB - 1 : k] += 1;
    }
    double dens[NG], dmax = 0;
    for (int g = 0; g < NG; g++) {
        double xg = glo + (ghi - glo) * g / (NG - 1), s = 0;
        for (int k = 0; k < NB; k++) {
            if (!bins[k])
                continue;
            double z = (xg - (vmin + (k + 0.5) * bwid)) / bw;
            if (fabs(z) < 6)
                s += bins[k] * exp(-0.5 * z * z);
        }
        dens[g] = s;
        dmax = IE_MAX(dmax, s);
    }
    free(bins);
    for (int g = 0; g < NG; g++) {
        double yv = glo + (ghi - glo) * g / (NG - 1);
        double xv = pos + hw * dens[g] / dmax;
        if (g == 0)
            cairo_move_to(cr, ie__plot_px(a, xv), ie__plot_py(a, yv));
        else
            cairo_line_to(cr, ie__plot_px(a, xv), ie__plot_py(a, yv));
    }
    for (int g = NG - 1; g >= 0; g--) {
        double yv = glo + (ghi - glo) * g / (NG - 1);
        cairo_line_to(cr, ie__plot_px(a, pos - hw * dens[g] / dmax), ie__plot_py(a, yv));
    }
    cairo_close_path(cr);
    ie__plot_set_rgba(cr, fill);
    cairo_fill_preserve(cr);
    ie__plot_set_rgba(cr, edge);
    cairo_set_line_width(cr, 0.9);
    cairo_stroke(cr);

    /* Inner box: whisker min..max, box q1..q3, white median dot. */
    double q1 = ie__plot_percentile(sorted, n, 25), q3 = ie__plot_percentile(sorted, n, 75);
    double med = ie__plot_percentile(sorted, n, 50), px = ie__plot_px(a, pos);
    cairo_set_source_rgba(cr, 0.15, 0.15, 0.15, 0.85);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, px, ie__plot_py(a, vmin));
    cairo_line_to(cr, px, ie__plot_py(a, vmax));
    cairo_stroke(cr);
    double bw_pt = IE_MAX(4.0, (ie__plot_px(a, pos + hw) - px) * 0.12);
    cairo_rectangle(cr, px - bw_pt / 2, ie__plot_py(a, q3), bw_pt,
                    ie__plot_py(a, q1) - ie__plot_py(a, q3));
    cairo_fill(cr);
    cairo_arc(cr, px, ie__plot_py(a, med), bw_pt * 0.42, 0, 2 * M_PI);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill(cr);
    ie__plot_unclip(a);
}
