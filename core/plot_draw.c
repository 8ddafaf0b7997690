/* The plotting layer: text measured before it is placed, number formats, binning and axes with
 * nice ticks (see plot_internal.h; the marks drawn on the axes are in plot_marks.c).
 * DESIGN: layout happens in points on a figure of known size. Every piece of text is measured
 * with the font it will be drawn in; tick sets are thinned until their labels have room, margins
 * grow to fit the widest label, and free-floating labels go through ie__plot_place, which keeps
 * them inside the data area and off earlier text. So nothing overlaps or clips whatever the
 * numbers are, and the same layout comes out in PNG, SVG and PDF. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"
#include "plot_internal.h"

#define RGB(hex, alpha)                                                                            \
    {                                                                                              \
        ((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0, ((hex)&0xff) / 255.0, alpha     \
    }

const struct ie__plot_rgba IE__PLOT_BG = RGB(0xffffff, 1);
const struct ie__plot_rgba IE__PLOT_TEXT = RGB(0x262626, 1);
const struct ie__plot_rgba IE__PLOT_TEXT2 = RGB(0x555555, 1);
const struct ie__plot_rgba IE__PLOT_TEXT3 = RGB(0x8a8a8a, 1);
const struct ie__plot_rgba IE__PLOT_GRID = RGB(0xe8e8e8, 1);
const struct ie__plot_rgba IE__PLOT_AXIS = RGB(0x9e9e9e, 1);
const struct ie__plot_rgba IE__PLOT_PRIMARY = RGB(0x4c72b0, 1);
const struct ie__plot_rgba IE__PLOT_HIGHLIGHT = RGB(0xc44e52, 1);
const struct ie__plot_rgba IE__PLOT_SHADE = RGB(0x34495e, 0.09);
const struct ie__plot_rgba IE__PLOT_WARM = RGB(0xe8a33d, 0.16);
const struct ie__plot_rgba IE__PLOT_RED = RGB(0xc44e52, 1);
const struct ie__plot_rgba IE__PLOT_GREEN = RGB(0x55a868, 1);
const struct ie__plot_rgba IE__PLOT_BLUE = RGB(0x4c72b0, 1);

#define TICK_LEN  3.5
#define LABEL_PAD 3.0

/* ---- figure and text ---- */

void ie__plot_fig_init(struct ie__plot_fig *fig, cairo_t *cr, double w, double h)
{
    memset(fig, 0, sizeof(*fig));
    fig->cr = cr;
    fig->w = w;
    fig->h = h;
}

void ie__plot_fig_release(struct ie__plot_fig *fig)
{
    free(fig->occ);
    fig->occ = NULL;
    fig->nocc = fig->occ_cap = 0;
}

void ie__plot_set_rgba(cairo_t *cr, struct ie__plot_rgba c)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

void ie__plot_font(struct ie__plot_fig *fig, double size, bool bold, bool italic)
{
    cairo_select_font_face(fig->cr, IE__PLOT_FONT,
                           italic ? CAIRO_FONT_SLANT_OBLIQUE : CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(fig->cr, size);
}

double ie__plot_text_w(struct ie__plot_fig *fig, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(fig->cr, s, &te);
    return te.x_advance;
}

double ie__plot_line_h(struct ie__plot_fig *fig)
{
    cairo_font_extents_t fe;
    cairo_font_extents(fig->cr, &fe);
    return fe.ascent + fe.descent;
}

struct ie__plot_rect ie__plot_text(struct ie__plot_fig *fig, double x, double y, const char *s,
                                   double ax, double ay, struct ie__plot_rgba c)
{
    cairo_font_extents_t fe;
    cairo_font_extents(fig->cr, &fe);
    double w = ie__plot_text_w(fig, s), lh = fe.ascent + fe.descent;
    double left = x - ax * w, top = y - ay * lh;
    ie__plot_set_rgba(fig->cr, c);
    cairo_move_to(fig->cr, left, top + fe.ascent);
    cairo_show_text(fig->cr, s);
    cairo_new_path(fig->cr);
    return (struct ie__plot_rect){left, top, left + w, top + lh};
}

struct fit_in_plot {
    struct ie__plot_fig *fig;
    double maxw;
};

static bool fits_in_plot(const char *text, void *ud)
{
    const struct fit_in_plot *f = ud;
    return ie__plot_text_w(f->fig, text) <= f->maxw;
}

void ie__plot_fit(struct ie__plot_fig *fig, const char *s, double maxw, char *out, size_t n)
{
    struct fit_in_plot f = {fig, maxw};
    ie_utf8_fit(s, out, n, fits_in_plot, &f);
}

void ie__plot_occupy(struct ie__plot_fig *fig, struct ie__plot_rect r)
{
    ie_grow((void **)&fig->occ, &fig->occ_cap, fig->nocc + 1, sizeof(*fig->occ));
    fig->occ[fig->nocc++] = r;
}

static double overlap_area(struct ie__plot_rect a, struct ie__plot_rect b)
{
    double w = IE_MIN(a.x1, b.x1) - IE_MAX(a.x0, b.x0);
    double h = IE_MIN(a.y1, b.y1) - IE_MAX(a.y0, b.y0);
    return w > 0 && h > 0 ? w * h : 0;
}

static bool inside(struct ie__plot_rect r, struct ie__plot_rect b)
{
    return r.x0 >= b.x0 - 1e-6 && r.y0 >= b.y0 - 1e-6 && r.x1 <= b.x1 + 1e-6 && r.y1 <= b.y1 + 1e-6;
}

static struct ie__plot_rect clamp_into(struct ie__plot_rect r, struct ie__plot_rect b)
{
    double dx = 0, dy = 0;
    if (r.x1 > b.x1)
        dx = b.x1 - r.x1;
    if (r.x0 + dx < b.x0)
        dx = b.x0 - r.x0;
    if (r.y1 > b.y1)
        dy = b.y1 - r.y1;
    if (r.y0 + dy < b.y0)
        dy = b.y0 - r.y0;
    return (struct ie__plot_rect){r.x0 + dx, r.y0 + dy, r.x1 + dx, r.y1 + dy};
}

struct ie__plot_rect ie__plot_place(struct ie__plot_fig *fig, const char *s, const double *cx,
                                    const double *cy, size_t ncand, struct ie__plot_rect bounds,
                                    struct ie__plot_rgba c)
{
    const double pad = 1.5;
    char fitted[256];
    ie__plot_fit(fig, s, bounds.x1 - bounds.x0 - 2 * pad, fitted, sizeof(fitted));
    double w = ie__plot_text_w(fig, fitted) + 2 * pad, h = ie__plot_line_h(fig) + 2 * pad;
    struct ie__plot_rect best = {0, 0, 0, 0};
    double best_cost = DBL_MAX;
    for (size_t i = 0; i < ncand; i++) {
        struct ie__plot_rect r = {cx[i], cy[i], cx[i] + w, cy[i] + h};
        bool in = inside(r, bounds);
        r = clamp_into(r, bounds);
        double cost = 0;
        for (size_t k = 0; k < fig->nocc; k++)
            cost += overlap_area(r, fig->occ[k]);
        if (!in)
            cost += 0.5; /* a clamped position is a little worse than a free one */
        if (cost < best_cost) {
            best_cost = cost;
            best = r;
            if (cost == 0)
                break;
        }
    }
    /* A soft background keeps the label readable over bars and lines. */
    cairo_rectangle(fig->cr, best.x0, best.y0, best.x1 - best.x0, best.y1 - best.y0);
    cairo_set_source_rgba(fig->cr, 1, 1, 1, 0.82);
    cairo_fill(fig->cr);
    ie__plot_text(fig, best.x0 + pad, best.y0 + pad, fitted, 0, 0, c);
    ie__plot_occupy(fig, best);
    return best;
}

struct ie__plot_rect ie__plot_header(struct ie__plot_fig *fig, struct ie__plot_rect box,
                                     const char *title, const char *subtitle)
{
    char buf[512];
    double maxw = box.x1 - box.x0;
    ie__plot_font(fig, IE__PLOT_TITLE_SIZE, true, false);
    ie__plot_fit(fig, title, maxw, buf, sizeof(buf));
    struct ie__plot_rect r = ie__plot_text(fig, box.x0, box.y0, buf, 0, 0, IE__PLOT_TEXT);
    box.y0 = r.y1 + 1;
    if (subtitle && *subtitle) {
        ie__plot_font(fig, IE__PLOT_SUB_SIZE, false, false);
        ie__plot_fit(fig, subtitle, maxw, buf, sizeof(buf));
        r = ie__plot_text(fig, box.x0, box.y0, buf, 0, 0, IE__PLOT_TEXT2);
        box.y0 = r.y1;
    }
    box.y0 += 8;
    return box;
}

static void draw_swatch(cairo_t *cr, enum ie__plot_swatch kind, struct ie__plot_rgba c, double x,
                        double ymid)
{
    if (kind == IE__PLOT_SW_PATCH) {
        struct ie__plot_rgba solid = c;
        /* Very light shades are shown a little stronger so the swatch is visible. */
        if (solid.a < 0.3)
            solid.a = IE_MIN(1.0, solid.a * 2.2);
        cairo_rectangle(cr, x, ymid - 4.5, 14, 9);
        ie__plot_set_rgba(cr, solid);
        cairo_fill_preserve(cr);
        cairo_set_line_width(cr, 0.6);
        struct ie__plot_rgba edge = c;
        edge.a = IE_MIN(1.0, c.a * 4 + 0.2);
        ie__plot_set_rgba(cr, edge);
        cairo_stroke(cr);
        return;
    }
    cairo_move_to(cr, x, ymid);
    cairo_line_to(cr, x + 14, ymid);
    cairo_set_line_width(cr, 1.4);
    if (kind == IE__PLOT_SW_DASH) {
        static const double dash[] = {3.5, 2.5};
        cairo_set_dash(cr, dash, 2, 0);
    }
    ie__plot_set_rgba(cr, c);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

struct ie__plot_rect ie__plot_legend(struct ie__plot_fig *fig, struct ie__plot_rect box,
                                     const struct ie__plot_legend_item *items, size_t n)
{
    if (n == 0)
        return box;
    ie__plot_font(fig, IE__PLOT_NOTE_SIZE, false, false);
    double lh = ie__plot_line_h(fig), x = box.x0, y = box.y0;
    const double sw = 14 + 5, gap = 16;
    char buf[256];
    for (size_t i = 0; i < n; i++) {
        double maxw = box.x1 - box.x0 - sw;
        ie__plot_fit(fig, items[i].text, maxw, buf, sizeof(buf));
        double w = sw + ie__plot_text_w(fig, buf);
        if (x > box.x0 && x + w > box.x1) {
            x = box.x0;
            y += lh + 3;
        }
        draw_swatch(fig->cr, items[i].kind, items[i].color, x, y + lh / 2);
        ie__plot_text(fig, x + sw, y, buf, 0, 0, IE__PLOT_TEXT2);
        x += w + gap;
    }
    box.y0 = y + lh + 6;
    return box;
}

/* ---- numbers ---- */

void ie__plot_fmt_count(uint64_t v, char *out, size_t n)
{
    char digits[32], tmp[48];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            tmp[o++] = ',';
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    snprintf(out, n, "%s", tmp);
}

/* Fewest decimals (0..6) that write step exactly. */
static int decimals_for(double step)
{
    for (int d = 0; d < 6; d++) {
        double s = step * pow(10, d);
        if (fabs(s - round(s)) < 1e-6 * IE_MAX(1.0, s))
            return d;
    }
    return 6;
}

void ie__plot_fmt_num(double v, double step, char *out, size_t n)
{
    if (fabs(v) < 1e-12 * IE_MAX(1.0, fabs(step)))
        v = 0;
    if (fabs(v) >= 1e6 && fabs(step) >= 1e5) {
        /* Millions as "2.5M": long digit strings crowd the axis. */
        int d = decimals_for(step / 1e6);
        snprintf(out, n, "%.*fM", d, v / 1e6);
        return;
    }
    int d = step > 0 ? decimals_for(step) : 0;
    if (d == 0 && fabs(v) < 1e18) {
        char tmp[48];
        ie__plot_fmt_count((uint64_t)llround(fabs(v)), tmp, sizeof(tmp));
        snprintf(out, n, "%s%s", v < 0 ? "-" : "", tmp);
        return;
    }
    snprintf(out, n, "%.*f", d, v);
}

/* "%.*f" without trailing zeros. */
static void fmt_trim(double v, int maxd, char *out, size_t n)
{
    snprintf(out, n, "%.*f", maxd, v);
    if (strchr(out, '.')) {
        size_t l = strlen(out);
        while (l > 0 && out[l - 1] == '0')
            out[--l] = '\0';
        if (l > 0 && out[l - 1] == '.')
            out[--l] = '\0';
    }
}

/* Decimal units (1 KB = 1000 bytes, 1 MB = 10^6), as imgeda and the dashboard count: one
 * convention in plots, reports and the web page. */
void ie__plot_fmt_bytes(double bytes, char *out, size_t n)
{
    static const char *units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    double v = bytes;
    while (fabs(v) >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    char num[48];
    fmt_trim(v, u == 0 ? 0 : (fabs(v) >= 100 ? 0 : fabs(v) >= 10 ? 1 : 2), num, sizeof(num));
    snprintf(out, n, "%s %s", num, units[u]);
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ie__plot_sort(double *v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_double);
}

double ie__plot_percentile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1)
        return sorted[n - 1];
    double f = pos - (double)lo;
    return sorted[lo] + f * (sorted[lo + 1] - sorted[lo]);
}

size_t ie__plot_histogram(const double *v, size_t n, double lo, double hi, size_t nbins, bool log,
                          double *edges, uint64_t *counts)
{
    double a = log ? log10(lo) : lo, b = log ? log10(hi) : hi;
    size_t outside = 0;
    if (!(b > a))
        b = a + 1;
    for (size_t i = 0; i <= nbins; i++) {
        double t = a + (b - a) * (double)i / (double)nbins;
        edges[i] = log ? pow(10, t) : t;
    }
    memset(counts, 0, nbins * sizeof(*counts));
    double scale = (double)nbins / (b - a);
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!(x >= lo && x <= hi)) {
            outside++;
            continue;
        }
        double t = log ? log10(x) : x;
        long k = (long)((t - a) * scale);
        if (k < 0)
            k = 0;
        if (k >= (long)nbins)
            k = (long)nbins - 1;
        counts[k]++;
    }
    return outside;
}

/* ---- axes ---- */

static double axis_frac(const struct ie__plot_axis *ax, double v)
{
    if (ax->log) {
        double a = log10(ax->min), b = log10(ax->max);
        return v > 0 ? (log10(v) - a) / (b - a) : -1;
    }
    return (v - ax->min) / (ax->max - ax->min);
}

double ie__plot_px(const struct ie__plot_axes *a, double x)
{
    return a->area.x0 + axis_frac(&a->x, x) * (a->area.x1 - a->area.x0);
}

double ie__plot_py(const struct ie__plot_axes *a, double y)
{
    return a->area.y1 - axis_frac(&a->y, y) * (a->area.y1 - a->area.y0);
}

void ie__plot_clip(const struct ie__plot_axes *a)
{
    cairo_save(a->fig->cr);
    cairo_rectangle(a->fig->cr, a->area.x0, a->area.y0, a->area.x1 - a->area.x0,
                    a->area.y1 - a->area.y0);
    cairo_clip(a->fig->cr);
}

void ie__plot_unclip(const struct ie__plot_axes *a)
{
    cairo_restore(a->fig->cr);
}

static void tick_label(const struct ie__plot_axis *ax, double v, char *out, size_t n)
{
    if (ax->cats) {
        long i = lround(v);
        snprintf(out, n, "%s", i >= 0 && (size_t)i < ax->ncats ? ax->cats[i] : "");
        return;
    }
    if (ax->fmt) {
        ax->fmt(v, ax->step, out, n);
        return;
    }
    ie__plot_fmt_num(v, ax->log ? (v >= 1 ? 1 : v) : ax->step, out, n);
}

/* Makes the range usable: non-empty, positive for log axes. */
static void sanitize_range(struct ie__plot_axis *ax)
{
    if (ax->cats) {
        ax->min = -0.5;
        ax->max = (double)(ax->ncats ? ax->ncats : 1) - 0.5;
        return;
    }
    if (!isfinite(ax->min) || !isfinite(ax->max)) {
        ax->min = ax->log ? 1 : 0;
        ax->max = ax->log ? 10 : 1;
    }
    if (ax->log) {
        if (ax->min <= 0)
            ax->min = ax->max > 0 ? ax->max / 1000 : 1;
        if (ax->max <= ax->min * 1.0001) {
            ax->min /= 2;
            ax->max = ax->min * 4 + (ax->max - ax->min);
        }
    } else if (ax->max - ax->min <= 1e-12 * IE_MAX(1.0, fabs(ax->max))) {
        double d = ax->integer ? 1 : IE_MAX(0.5, fabs(ax->min) * 0.1);
        ax->min -= d;
        ax->max += d;
    }
}

/* The nice number (1, 2, 2.5, 5 x 10^k; no 2.5 for whole-number axes) at or above raw. */
static double nice_step(double raw, bool integer)
{
    if (!(raw > 0))
        return 1;
    double e = floor(log10(raw)), p = pow(10, e), f = raw / p;
    double nf = f <= 1                               ? 1
                : f <= 2                             ? 2
                : (f <= 2.5 && !(integer && p < 10)) ? 2.5
                : f <= 5                             ? 5
                                                     : 10;
    double s = nf * p;
    return integer && s < 1 ? 1 : s;
}

static double next_step(double s, bool integer)
{
    return nice_step(s * 1.01, integer);
}

static void linear_ticks(struct ie__plot_axis *ax, double step)
{
    ax->step = step;
    ax->nticks = 0;
    double first = ceil(ax->min / step - 1e-9) * step;
    for (double t = first; t <= ax->max + step * 1e-9 && ax->nticks < IE__PLOT_MAX_TICKS; t += step)
        ax->ticks[ax->nticks++] = fabs(t) < step * 1e-9 ? 0 : t;
}

/* Candidate ticks of a log axis: decades, or 1-2-5 inside them when the range is short. */
static void log_ticks(struct ie__plot_axis *ax, int every)
{
    int a = (int)floor(log10(ax->min) - 1e-9), b = (int)ceil(log10(ax->max) + 1e-9);
    bool fine = b - a <= 2;
    ax->nticks = 0;
    ax->step = 0;
    for (int e = a; e <= b && ax->nticks < IE__PLOT_MAX_TICKS; e++) {
        if ((e - a) % every)
            continue;
        static const double mult[] = {1, 2, 5};
        for (int k = 0; k < (fine ? 3 : 1); k++) {
            double t = mult[k] * pow(10, e);
            if (t >= ax->min * (1 - 1e-9) && t <= ax->max * (1 + 1e-9) &&
                ax->nticks < IE__PLOT_MAX_TICKS)
                ax->ticks[ax->nticks++] = t;
        }
    }
}

/* True when the tick labels of a horizontal axis of length len (starting at x0) would touch. */
static bool x_labels_crowd(struct ie__plot_fig *fig, const struct ie__plot_axis *ax, double x0,
                           double len)
{
    double prev_right = -DBL_MAX;
    char buf[128];
    for (size_t i = 0; i < ax->nticks; i++) {
        tick_label(ax, ax->ticks[i], buf, sizeof(buf));
        double w = ie__plot_text_w(fig, buf);
        double c = x0 + axis_frac(ax, ax->ticks[i]) * len;
        if (c - w / 2 < prev_right + 8)
            return true;
        prev_right = c + w / 2;
    }
    return false;
}

/* Keeps every k-th of the fixed (or categorical) ticks, the smallest k that does not crowd. */
static void thin_ticks(struct ie__plot_fig *fig, struct ie__plot_axis *ax, const double *cand,
                       size_t ncand, bool horizontal, double x0, double len)
{
    double lh = ie__plot_line_h(fig);
    for (size_t k = 1; k <= IE_MAX((size_t)1, ncand); k++) {
        ax->nticks = 0;
        for (size_t i = 0; i < ncand && ax->nticks < IE__PLOT_MAX_TICKS; i += k)
            ax->ticks[ax->nticks++] = cand[i];
        if (horizontal ? !x_labels_crowd(fig, ax, x0, len)
                       : ax->nticks < 2 || len / (double)(ax->nticks - 1) >= lh * 2.0 || k == ncand)
            return;
    }
}

static void choose_ticks(struct ie__plot_fig *fig, struct ie__plot_axis *ax, bool horizontal,
                         double x0, double len)
{
    double lh = ie__plot_line_h(fig);
    if (ax->cats) {
        double cand[IE__PLOT_MAX_TICKS];
        size_t n = IE_MIN(ax->ncats, (size_t)IE__PLOT_MAX_TICKS);
        for (size_t i = 0; i < n; i++)
            cand[i] = (double)i;
        thin_ticks(fig, ax, cand, n, horizontal, x0, len);
        return;
    }
    if (ax->nfixed) {
        double cand[IE__PLOT_MAX_TICKS];
        size_t n = 0;
        for (size_t i = 0; i < ax->nfixed; i++)
            if (ax->fixed[i] >= ax->min * (1 - 1e-9) - 1e-12 &&
                ax->fixed[i] <= ax->max * (1 + 1e-9) + 1e-12)
                cand[n++] = ax->fixed[i];
        thin_ticks(fig, ax, cand, n, horizontal, x0, len);
        return;
    }
    if (ax->log) {
        for (int every = 1; every < 12; every++) {
            log_ticks(ax, every);
            if (horizontal ? !x_labels_crowd(fig, ax, x0, len)
                           : ax->nticks < 2 || len / (double)(ax->nticks - 1) >= lh * 1.6)
                return;
        }
        return;
    }
    /* Linear: about one tick per 3 line heights vertically, then coarser until labels fit. */
    double target = horizontal ? IE_MAX(2.0, len / 60) : IE_MAX(2.0, len / (lh * 3.2));
    double step = nice_step((ax->max - ax->min) / IE_MIN(target, 10.0), ax->integer);
    for (int guard = 0; guard < 40; guard++) {
        linear_ticks(ax, step);
        if (!horizontal || !x_labels_crowd(fig, ax, x0, len))
            return;
        step = next_step(step, ax->integer);
    }
}

void ie__plot_axes_layout(struct ie__plot_axes *a, struct ie__plot_fig *fig,
                          struct ie__plot_rect box, double right_reserve)
{
    char buf[256];
    a->fig = fig;
    sanitize_range(&a->x);
    sanitize_range(&a->y);

    ie__plot_font(fig, IE__PLOT_LABEL_SIZE, false, false);
    double label_h = ie__plot_line_h(fig);
    ie__plot_font(fig, IE__PLOT_TICK_SIZE, false, false);
    double tick_h = ie__plot_line_h(fig);

    a->area.y0 = box.y0 + tick_h / 2 + 1; /* the top y tick label sticks out by half a line */
    a->area.y1 = box.y1 - (TICK_LEN + LABEL_PAD + tick_h + (a->x.label ? 4 + label_h : 0));
    if (a->area.y1 < a->area.y0 + 20)
        a->area.y1 = a->area.y0 + 20;

    choose_ticks(fig, &a->y, false, 0, a->area.y1 - a->area.y0);
    double ylab_w = 0;
    for (size_t i = 0; i < a->y.nticks; i++) {
        tick_label(&a->y, a->y.ticks[i], buf, sizeof(buf));
        double w = ie__plot_text_w(fig, buf);
        if (a->y.cats && a->ycat_maxw > 0 && w > a->ycat_maxw)
            w = a->ycat_maxw;
        ylab_w = IE_MAX(ylab_w, w);
    }
    a->area.x0 = box.x0 + (a->y.label ? label_h + 6 : 0) + ylab_w + LABEL_PAD + TICK_LEN;
    a->area.x1 = box.x1 - right_reserve - 4;
    if (a->area.x1 < a->area.x0 + 20)
        a->area.x1 = a->area.x0 + 20;

    /* x ticks; the outermost labels must not stick out of the box, so shrink and redo once. */
    for (int pass = 0; pass < 3; pass++) {
        double len = a->area.x1 - a->area.x0;
        choose_ticks(fig, &a->x, true, a->area.x0, len);
        if (a->x.nticks == 0)
            break;
        tick_label(&a->x, a->x.ticks[a->x.nticks - 1], buf, sizeof(buf));
        double right = ie__plot_px(a, a->x.ticks[a->x.nticks - 1]) + ie__plot_text_w(fig, buf) / 2;
        double limit = box.x1 - (right_reserve > 0 ? right_reserve : 0);
        if (right <= limit + 0.01)
            break;
        a->area.x1 -= right - limit;
    }
}

void ie__plot_axes_draw(struct ie__plot_axes *a)
{
    struct ie__plot_fig *fig = a->fig;
    cairo_t *cr = fig->cr;
    char buf[256], cut[256];
    struct ie__plot_rect ar = a->area;

    /* Grid first, underneath everything. */
    cairo_set_line_width(cr, 0.6);
    ie__plot_set_rgba(cr, IE__PLOT_GRID);
    if (!a->y.no_grid)
        for (size_t i = 0; i < a->y.nticks; i++) {
            double y = round(ie__plot_py(a, a->y.ticks[i]) * 2) / 2;
            cairo_move_to(cr, ar.x0, y);
            cairo_line_to(cr, ar.x1, y);
        }
    if (!a->x.no_grid)
        for (size_t i = 0; i < a->x.nticks; i++) {
            double x = round(ie__plot_px(a, a->x.ticks[i]) * 2) / 2;
            cairo_move_to(cr, x, ar.y0);
            cairo_line_to(cr, x, ar.y1);
        }
    cairo_stroke(cr);

    /* Spines (left and bottom) and outward ticks. */
    ie__plot_set_rgba(cr, IE__PLOT_AXIS);
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, ar.x0, ar.y0);
    cairo_line_to(cr, ar.x0, ar.y1);
    cairo_line_to(cr, ar.x1, ar.y1);
    for (size_t i = 0; i < a->x.nticks; i++) {
        double x = ie__plot_px(a, a->x.ticks[i]);
        cairo_move_to(cr, x, ar.y1);
        cairo_line_to(cr, x, ar.y1 + TICK_LEN);
    }
    for (size_t i = 0; i < a->y.nticks; i++) {
        double y = ie__plot_py(a, a->y.ticks[i]);
        cairo_move_to(cr, ar.x0, y);
        cairo_line_to(cr, ar.x0 - TICK_LEN, y);
    }
    cairo_stroke(cr);

    ie__plot_font(fig, IE__PLOT_TICK_SIZE, false, false);
    double label_bottom = ar.y1 + TICK_LEN + LABEL_PAD;
    for (size_t i = 0; i < a->x.nticks; i++) {
        tick_label(&a->x, a->x.ticks[i], buf, sizeof(buf));
        struct ie__plot_rect r =
            ie__plot_text(fig, ie__plot_px(a, a->x.ticks[i]), ar.y1 + TICK_LEN + LABEL_PAD, buf,
                          0.5, 0, IE__PLOT_TEXT2);
        label_bottom = IE_MAX(label_bottom, r.y1);
    }
    double label_left = ar.x0 - TICK_LEN - LABEL_PAD;
    for (size_t i = 0; i < a->y.nticks; i++) {
        tick_label(&a->y, a->y.ticks[i], buf, sizeof(buf));
        const char *s = buf;
        if (a->y.cats && a->ycat_maxw > 0) {
            ie__plot_fit(fig, buf, a->ycat_maxw, cut, sizeof(cut));
            s = cut;
        }
        struct ie__plot_rect r =
            ie__plot_text(fig, ar.x0 - TICK_LEN - LABEL_PAD, ie__plot_py(a, a->y.ticks[i]), s, 1,
                          0.5, a->y.cats ? IE__PLOT_TEXT : IE__PLOT_TEXT2);
        label_left = IE_MIN(label_left, r.x0);
    }

    ie__plot_font(fig, IE__PLOT_LABEL_SIZE, false, false);
    if (a->x.label) {
        ie__plot_fit(fig, a->x.label, ar.x1 - ar.x0, cut, sizeof(cut));
        ie__plot_text(fig, (ar.x0 + ar.x1) / 2, label_bottom + 4, cut, 0.5, 0, IE__PLOT_TEXT);
    }
    if (a->y.label) {
        ie__plot_fit(fig, a->y.label, ar.y1 - ar.y0, cut, sizeof(cut));
        cairo_save(cr);
        cairo_translate(cr, label_left - 6, (ar.y0 + ar.y1) / 2);
        cairo_rotate(cr, -M_PI / 2);
        ie__plot_text(fig, 0, 0, cut, 0.5, 1, IE__PLOT_TEXT);
        cairo_restore(cr);
    }
}
