/* Plots of EXIF facts: cameras, focal lengths, ISO. */

#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "plot_internal.h"
#include "plot_types_internal.h"

/* ---- EXIF: cameras ---- */

static int cmp_cam(const void *a, const void *b)
{
    const struct cam_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->label, y->label);
}

void ie__pt_plot_exif_camera(struct ctx *c)
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
        struct ie_record tmp;
        const struct ie_record *r = ie__pt_rec(c, c->idx[i], &tmp);
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
    ie__pt_title_n(title, sizeof(title), "Camera models", with);
    ie__pt_fmt_n(IE_MIN(ncams, (size_t)TOP), nb, sizeof(nb));
    ie__pt_fmt_n(ncams, nb2, sizeof(nb2));
    if (ncams > TOP)
        snprintf(what, sizeof(what), "EXIF make and model; top %s of %s models", nb, nb2);
    else
        snprintf(what, sizeof(what), "EXIF make and model; %s model%s", nb2, ncams == 1 ? "" : "s");
    ie__pt_subtitle(c, sub, sizeof(sub), what, with, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (ncams == 0) {
        ie__pt_no_data(c, box, "camera models", "an EXIF camera model");
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
        ie__pt_fmt_n(cams[i].count, lbl, sizeof(lbl));
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

void ie__pt_plot_exif_focal(struct ctx *c)
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
    double *v = ie__pt_gather(c, ie__pt_get_focal35, &n);
    ie__pt_title_n(title, sizeof(title), "Focal length", n);
    ie__pt_subtitle(c, sub, sizeof(sub), "35 mm equivalent (EXIF FocalLengthIn35mmFilm)", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "focal lengths", "an EXIF 35 mm focal length");
        free(v);
        return;
    }
    struct hist h = {0};
    double vlo = ie__pt_vmin_of(v, n), vhi = ie__pt_vmax_of(v, n);
    if (vhi - vlo < 20) { /* one or a few lenses: show some context around them */
        vlo = IE_MAX(0.0, vlo - 10);
        vhi += 10;
    }
    ie__pt_int_bins(&h, vlo, vhi, 50);
    double lo = h.lo, hi = h.hi;
    ie__pt_hist_compute(&h, v, n);
    struct ie__plot_axes a = {0};
    a.x.no_grid = true;
    a.x.integer = true;
    ie__pt_hist_axes(c, &a, box, &h, "Focal length, 35 mm equivalent (mm)");
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
    ie__pt_hist_release(&h);
    free(v);
}

/* ---- EXIF: ISO ---- */

void ie__pt_plot_exif_iso(struct ctx *c)
{
    static const double stops[] = {25,   50,    100,   200,   400,    800,    1600,  3200,
                                   6400, 12800, 25600, 51200, 102400, 204800, 409600};
    const double high = 3200;
    char title[128], sub[512], nb[32];
    size_t n;
    double *v = ie__pt_gather(c, ie__pt_get_iso, &n);
    ie__pt_title_n(title, sizeof(title), "ISO speed", n);
    double lo = n ? ie__pt_vmin_of(v, n) : 1, hi = n ? ie__pt_vmax_of(v, n) : 1;
    bool log = hi / lo >= 16;
    ie__pt_subtitle(c, sub, sizeof(sub),
                    log ? "EXIF ISOSpeedRatings (log scale)" : "EXIF ISOSpeedRatings", n, NULL);
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (n == 0) {
        ie__pt_no_data(c, box, "ISO values", "an EXIF ISO speed");
        free(v);
        return;
    }
    size_t nhigh = 0;
    for (size_t i = 0; i < n; i++)
        nhigh += v[i] >= high;
    ie__pt_fmt_n(nhigh, nb, sizeof(nb));
    struct ie__plot_legend_item item = {IE__PLOT_SW_PATCH, IE__PLOT_HIGHLIGHT, ""};
    item.color.a = 0.07;
    snprintf(item.text, sizeof(item.text), "High ISO (\xe2\x89\xa5 3200, noise risk): %s image%s",
             nb, nhigh == 1 ? "" : "s");
    box = ie__plot_legend(c->fig, box, &item, 1);
    struct ie__plot_axes a = {0};
    struct hist h = {0};
    if (log) {
        ie__pt_iso_third_stop_bins(&h, lo, hi);
        for (size_t i = 0; i < IE_ARRAY_LEN(stops); i++)
            a.x.fixed[a.x.nfixed++] = stops[i];
    } else {
        if (hi - lo < 100) {
            lo = IE_MAX(0.0, lo - 50);
            hi += 50;
        }
        ie__pt_int_bins(&h, lo, hi, 50);
        a.x.no_grid = true;
        a.x.integer = true;
    }
    lo = h.lo;
    hi = h.hi;
    ie__pt_hist_compute(&h, v, n);
    ie__pt_hist_axes(c, &a, box, &h, log ? "ISO (log scale)" : "ISO");
    if (hi > high)
        ie__plot_vspan(&a, high, hi, item.color);
    struct ie__plot_rgba bars = IE__PLOT_PRIMARY;
    bars.a = 0.88;
    ie__plot_hist_bars(&a, h.edges, h.counts, h.nbins, bars);
    if (high > lo && high < hi)
        ie__plot_vline(&a, high, IE__PLOT_HIGHLIGHT, 1.0, true);
    ie__pt_hist_release(&h);
    free(v);
}
