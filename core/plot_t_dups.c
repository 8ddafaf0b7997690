/* The duplicates plot: group sizes and the near-duplicate distance. */

#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "plot_internal.h"
#include "plot_types_internal.h"

/* ---- duplicates ---- */

static int cmp_hash_ref(const void *a, const void *b)
{
    const struct hash_ref *x = a, *y = b;
    for (int k = 0; k < 4; k++)
        if (x->h.w[k] != y->h.w[k])
            return x->h.w[k] < y->h.w[k] ? -1 : 1;
    return (x->rec > y->rec) - (x->rec < y->rec);
}

/* A flat (near-constant) image: all such images share one phash, so they form one big "group"
 * that says nothing about duplication; the ie__pt_subtitle says how many are in the count. */
static bool is_flat(const struct ie_record *r)
{
    return r->has_pixel_stats && r->pixel_stats.std_r <= 1.0 && r->pixel_stats.std_g <= 1.0 &&
           r->pixel_stats.std_b <= 1.0;
}

enum { MAXS = 64 };

/* Exact-duplicate groups: size_counts[s] = groups of size s (above MAXS in the last slot). */
struct dup_counts {
    uint64_t size_counts[MAXS + 1];
    uint64_t groups, dup_extra, flat_in_groups;
};

static void count_groups(const struct ctx *c, struct dup_counts *d)
{
    /* Exact groups as imgeda finds them: non-corrupt records with identical phash, over every
     * record (a sample would split groups, so --sample does not apply here). */
    struct hash_ref *hr = ie_xmalloc((c->n ? c->n : 1) * sizeof(*hr));
    struct ie_record tmp;
    size_t nh = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct ie_record *r = ie__pt_rec(c, i, &tmp);
        if (!r->is_corrupt && r->has_phash)
            hr[nh++] = (struct hash_ref){r->phash, i};
    }
    qsort(hr, nh, sizeof(*hr), cmp_hash_ref);
    /* size_counts[s] = groups of size s (sizes above 64 share the last slot). */
    memset(d, 0, sizeof(*d));
    for (size_t i = 0; i < nh;) {
        size_t j = i + 1;
        while (j < nh && memcmp(&hr[j].h, &hr[i].h, sizeof(hr[i].h)) == 0)
            j++;
        size_t s = j - i;
        if (s >= 2) {
            d->groups++;
            d->dup_extra += s - 1;
            d->size_counts[s > MAXS ? MAXS : s]++;
            for (size_t k = i; k < j; k++)
                d->flat_in_groups += is_flat(ie__pt_rec(c, hr[k].rec, &tmp));
        }
        i = j;
    }
    free(hr);
}

/* Left: how many groups of each size. */
static void draw_group_sizes(struct ctx *c, struct ie__plot_rect left, const struct dup_counts *d)
{
    char lbl[64];
    const uint64_t *size_counts = d->size_counts;
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
        ie__pt_fmt_n(vals[i], lbl, sizeof(lbl));
        double w = ie__plot_text_w(c->fig, lbl) + 3, lh = ie__plot_line_h(c->fig) + 3;
        double cx = ie__plot_px(&a, (double)i) - w / 2,
               cy = ie__plot_py(&a, (double)vals[i]) - lh - 1;
        struct ie__plot_rect bounds = {a.area.x0, a.area.y0, a.area.x1, a.area.y1};
        ie__plot_place(c->fig, lbl, &cx, &cy, 1, bounds, IE__PLOT_TEXT2);
    }
    free(edges);
}

static void draw_unique_vs_duplicates(struct ctx *c, struct ie__plot_rect right, uint64_t dup_extra)
{
    char lbl[64];
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
        ie__pt_fmt_n(vals[i], cnt, sizeof(cnt));
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

void ie__pt_plot_duplicates(struct ctx *c)
{
    char title[128], sub[512], nb[32];
    struct dup_counts d;
    count_groups(c, &d);
    ie__pt_title_n(title, sizeof(title), "Exact duplicates", c->n);
    /* Written here rather than by ie__pt_subtitle(): every record counts (no sample), and corrupt
     * records are in the total as imgeda counts them, never in a group. */
    snprintf(sub, sizeof(sub), "images with an identical perceptual hash (phash); all records");
    if (c->n > c->nvalid) {
        ie__pt_fmt_n(c->n - c->nvalid, nb, sizeof(nb));
        snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub),
                 " \xc2\xb7 %s corrupt counted as unique", nb);
    }
    if (d.flat_in_groups) {
        ie__pt_fmt_n(d.flat_in_groups, nb, sizeof(nb));
        snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub),
                 " \xc2\xb7 %s flat (constant-colour) images included", nb);
    }
    struct ie__plot_rect box = ie__plot_header(c->fig, ie__pt_figure_box(c), title, sub);
    if (c->n == 0) {
        ie__pt_no_data(c, box, "images", "");
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
    if (d.groups == 0) {
        ie__plot_no_data(c->fig, left, "No duplicate groups",
                         "no two images share a perceptual hash");
    } else {
        draw_group_sizes(c, left, &d);
    }

    /* Right: unique vs duplicates (imgeda's count: images beyond the first of each group). */
    draw_unique_vs_duplicates(c, right, d.dup_extra);
}
