/* The small plotting layer (core/plot_draw.c, core/plot_marks.c) under the plot types
 * (core/plot_types.c, core/plot_t_*.c): a figure on a cairo context, axes with nice
 * ticks (linear, log or categorical), histograms, dots, hexbin density, violins, bars, reference
 * lines, shaded regions, legends and labels that are measured before they are placed, so text
 * never overlaps other text and never leaves the figure.
 * Units are points (1/72 inch) for every output format; PNG scales them by dpi/72.
 * THREADS: a figure belongs to one thread. */
#ifndef IMGEDA_PLOT_INTERNAL_H
#define IMGEDA_PLOT_INTERNAL_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/plot.h"

struct ie__plot_rgba {
    double r, g, b, a;
};

/* The theme: one palette and one type scale for every plot. */
extern const struct ie__plot_rgba IE__PLOT_BG, IE__PLOT_TEXT, IE__PLOT_TEXT2, IE__PLOT_TEXT3,
    IE__PLOT_GRID, IE__PLOT_AXIS, IE__PLOT_PRIMARY, IE__PLOT_HIGHLIGHT, IE__PLOT_SHADE,
    IE__PLOT_WARM, IE__PLOT_RED, IE__PLOT_GREEN, IE__PLOT_BLUE;

#define IE__PLOT_FONT       "DejaVu Sans"
#define IE__PLOT_TITLE_SIZE 13.0
#define IE__PLOT_SUB_SIZE   9.0
#define IE__PLOT_LABEL_SIZE 9.5
#define IE__PLOT_TICK_SIZE  8.5
#define IE__PLOT_NOTE_SIZE  8.5
#define IE__PLOT_MARGIN     14.0 /* figure edge to content */

struct ie__plot_rect {
    double x0, y0, x1, y1;
};

struct ie__plot_fig {
    cairo_t *cr;
    double w, h; /* points */
    /* Rectangles already holding text: labels are placed where they do not overlap these. */
    struct ie__plot_rect *occ;
    size_t nocc, occ_cap;
};

void ie__plot_fig_init(struct ie__plot_fig *fig, cairo_t *cr, double w, double h);
void ie__plot_fig_release(struct ie__plot_fig *fig);
void ie__plot_set_rgba(cairo_t *cr, struct ie__plot_rgba c);

/* Text: select a font, measure, draw anchored. ax: 0 left, 0.5 centre, 1 right of the text;
 * ay: 0 top, 0.5 middle, 1 bottom of the line box (ascent + descent). */
void ie__plot_font(struct ie__plot_fig *fig, double size, bool bold, bool italic);
double ie__plot_text_w(struct ie__plot_fig *fig, const char *s);
double ie__plot_line_h(struct ie__plot_fig *fig); /* ascent + descent of the current font */
struct ie__plot_rect ie__plot_text(struct ie__plot_fig *fig, double x, double y, const char *s,
                                   double ax, double ay, struct ie__plot_rgba c);
/* Copies s into out (size n), cut at a UTF-8 boundary with "…" so that it is at most maxw wide
 * in the current font. */
void ie__plot_fit(struct ie__plot_fig *fig, const char *s, double maxw, char *out, size_t n);
/* Remembers r as occupied by text. */
void ie__plot_occupy(struct ie__plot_fig *fig, struct ie__plot_rect r);
/* Puts a label of the current font at the first candidate position (top-left corners) where it
 * stays inside bounds and overlaps no occupied rectangle; if none is free, the candidate with
 * the least overlap, clamped into bounds. Draws it on a soft background and occupies it. */
struct ie__plot_rect ie__plot_place(struct ie__plot_fig *fig, const char *s, const double *cx,
                                    const double *cy, size_t ncand, struct ie__plot_rect bounds,
                                    struct ie__plot_rgba c);

/* Title (bold) and subtitle (grey) at the top of box; returns what is left of box below them. */
struct ie__plot_rect ie__plot_header(struct ie__plot_fig *fig, struct ie__plot_rect box,
                                     const char *title, const char *subtitle);

enum ie__plot_swatch { IE__PLOT_SW_PATCH, IE__PLOT_SW_LINE, IE__PLOT_SW_DASH };
struct ie__plot_legend_item {
    enum ie__plot_swatch kind;
    struct ie__plot_rgba color;
    char text[160];
};
/* One or more rows of legend items at the top of box (wrapping as needed); returns the rest. */
struct ie__plot_rect ie__plot_legend(struct ie__plot_fig *fig, struct ie__plot_rect box,
                                     const struct ie__plot_legend_item *items, size_t n);

/* Tick label formatter: v is the tick value, step the tick spacing (linear axes). */
typedef void (*ie__plot_fmt_fn)(double v, double step, char *out, size_t n);

#define IE__PLOT_MAX_TICKS 64

struct ie__plot_axis {
    double min, max; /* data range shown; log axes need min > 0 */
    bool log;
    bool integer; /* linear ticks only at whole numbers */
    const char *label;
    ie__plot_fmt_fn fmt; /* NULL: plain numbers with thousands separators */
    /* Categorical axis: positions 0..ncats-1 labelled cats[i] (min/max set by the layout). */
    const char *const *cats;
    size_t ncats;
    /* Fixed ticks set by the caller (e.g. byte units); the layout thins them if they crowd. */
    size_t nfixed;
    double fixed[IE__PLOT_MAX_TICKS];
    bool no_grid;
    /* Filled by the layout. */
    double ticks[IE__PLOT_MAX_TICKS];
    size_t nticks;
    double step;
};

struct ie__plot_axes {
    struct ie__plot_fig *fig;
    struct ie__plot_rect area; /* the data area in figure coordinates */
    struct ie__plot_axis x, y;
    double ycat_maxw; /* widest categorical y label allowed (labels are cut to fit) */
};

/* Lays the axes out in box: measures tick and axis labels, picks ticks that do not crowd and
 * sets area. right_reserve keeps room on the right (e.g. for a colour bar). */
void ie__plot_axes_layout(struct ie__plot_axes *a, struct ie__plot_fig *fig,
                          struct ie__plot_rect box, double right_reserve);
/* Grid, spines, ticks and axis labels. Call before drawing data (the grid goes underneath). */
void ie__plot_axes_draw(struct ie__plot_axes *a);
double ie__plot_px(const struct ie__plot_axes *a, double x);
double ie__plot_py(const struct ie__plot_axes *a, double y);
void ie__plot_clip(const struct ie__plot_axes *a); /* clips drawing to the data area */
void ie__plot_unclip(const struct ie__plot_axes *a);

/* Data marks (plot_marks.c). */
void ie__plot_hist_bars(const struct ie__plot_axes *a, const double *edges, const uint64_t *counts,
                        size_t nbins, struct ie__plot_rgba c);
void ie__plot_vline(const struct ie__plot_axes *a, double x, struct ie__plot_rgba c, double width,
                    bool dashed);
void ie__plot_hline(const struct ie__plot_axes *a, double y, struct ie__plot_rgba c, double width,
                    bool dashed);
void ie__plot_vspan(const struct ie__plot_axes *a, double x0, double x1, struct ie__plot_rgba c);
/* A label beside the vertical line at data x, near the top of the area, avoiding other text. */
void ie__plot_vline_label(struct ie__plot_axes *a, double x, const char *s, struct ie__plot_rgba c);
/* A "no data" message in the middle of box (with a faint frame). */
void ie__plot_no_data(struct ie__plot_fig *fig, struct ie__plot_rect box, const char *msg,
                      const char *detail);

/* Binning. */
/* counts[nbins] of values in [lo, hi] with equal-width (or, log, equal-ratio) bins; values
 * outside are not counted; returns how many were outside. edges gets nbins + 1 values. */
size_t ie__plot_histogram(const double *v, size_t n, double lo, double hi, size_t nbins, bool log,
                          double *edges, uint64_t *counts);
/* Percentile q (0..100) of sorted[0..n) with linear interpolation (numpy's default). */
double ie__plot_percentile(const double *sorted, size_t n, double q);
void ie__plot_sort(double *v, size_t n);

/* Number formatting. */
void ie__plot_fmt_count(uint64_t v, char *out, size_t n);          /* 1,234,567 */
void ie__plot_fmt_num(double v, double step, char *out, size_t n); /* per tick step */
void ie__plot_fmt_bytes(double bytes, char *out, size_t n);        /* 1.25 MB (base 1024) */

/* More marks (plot_marks.c). Hexbin density of points (x, y) over the axes' area with hexagons of
 * radius r points, in a blue ramp on a log count scale, plus a colour bar in bar (figure
 * coordinates). */
void ie__plot_hexbin(const struct ie__plot_axes *a, const double *x, const double *y, size_t n,
                     double r, struct ie__plot_rect bar);
/* Dots of radius r (points), colour c. */
void ie__plot_dots(const struct ie__plot_axes *a, const double *x, const double *y, size_t n,
                   double r, struct ie__plot_rgba c);
/* A violin with an inner box (quartiles, median dot) for values sorted[0..n) at category
 * position pos with half-width hw (data units of x). */
void ie__plot_violin(const struct ie__plot_axes *a, double pos, double hw, const double *sorted,
                     size_t n, double lo, double hi, struct ie__plot_rgba c);

/* Draws plot type t of the records of src over the whole figure (plot_types.c, with the types
 * in plot_t_*.c). */
void ie__plot_draw(struct ie__plot_fig *fig, enum ie_plot_type t, const struct ie_recsrc *src,
                   const struct ie_plot_opts *o);

#endif
