/* The report content model (see report_internal.h): everything a report shows, computed once
 * as display text for both writers (report_html.c, report_pdf.c). Thumbnails are decoded with
 * libvips' vips_thumbnail (shrink on load, so a 50 MP JPEG costs little), flattened on white and
 * saved as small JPEGs; a corrupt, missing, oversized or undecodable file gets a placeholder with
 * the reason instead.
 * THREADS: see report.h; libvips' error buffer is cleared after each failed thumbnail. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "imgeda/report.h"
#include "imgeda/util.h"
#include "plot_internal.h"
#include "report_internal.h"

/* Decoding for a thumbnail stops here as analysis does (Pillow's limit, SPEC §3.1). */
#define THUMB_MAX_PIXELS 178956970LL

const char *ie__report_name(const struct ie_record *rec)
{
    if (rec->filename && *rec->filename)
        return rec->filename;
    const char *p = rec->path ? rec->path : "";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---- small formatting helpers ---- */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = ie_xmalloc((size_t)(n > 0 ? n : 0) + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void fmt_count(size_t v, char *out, size_t n)
{
    ie__plot_fmt_count(v, out, n);
}

/* "12.3" with up to d decimals, trailing zeros dropped. */
static void fmt_num(double v, int d, char *out, size_t n)
{
    if (!isfinite(v)) {
        snprintf(out, n, "n/a");
        return;
    }
    snprintf(out, n, "%.*f", d, v);
    if (strchr(out, '.')) {
        size_t l = strlen(out);
        while (l && out[l - 1] == '0')
            out[--l] = '\0';
        if (l && out[l - 1] == '.')
            out[--l] = '\0';
    }
}

static void fmt_pct(size_t part, size_t whole, char *out, size_t n)
{
    if (!whole)
        snprintf(out, n, "0%%");
    else
        snprintf(out, n, "%.1f%%", 100.0 * (double)part / (double)whole);
}

/* ---- cards, summary rows, checks ---- */

static void add_kv(struct ie__report_kv **v, size_t *n, size_t *cap, bool warn, char *key,
                   char *value)
{
    ie_grow((void **)v, cap, *n + 1, sizeof(**v));
    (*v)[(*n)++] = (struct ie__report_kv){key, value, warn};
}

static char *join_counts(const struct ie_counts *c, size_t max)
{
    struct ie_buf b;
    char num[32];
    ie_buf_init(&b);
    for (size_t i = 0; i < c->n && i < max; i++) {
        fmt_count(c->v[i].count, num, sizeof(num));
        ie_buf_addf(&b, "%s%s %s", i ? ", " : "", c->v[i].key, num);
    }
    if (c->n > max)
        ie_buf_addf(&b, ", and %zu more", c->n - max);
    if (!b.len)
        ie_buf_adds(&b, "none");
    return ie_buf_detach(&b);
}

static char *pcts_text(const struct ie_pcts *p, bool bytes, const char *unit)
{
    char a[32], b[32], c[32];
    if (p->n == 0)
        return ie_xstrdup("no values");
    if (bytes) {
        ie__plot_fmt_bytes(p->p5, a, sizeof(a));
        ie__plot_fmt_bytes(p->p50, b, sizeof(b));
        ie__plot_fmt_bytes(p->p95, c, sizeof(c));
        return xasprintf("%s / %s / %s", a, b, c);
    }
    fmt_num(p->p5, 1, a, sizeof(a));
    fmt_num(p->p50, 1, b, sizeof(b));
    fmt_num(p->p95, 1, c, sizeof(c));
    return xasprintf("%s / %s / %s%s", a, b, c, unit);
}

/* Headline numbers. */
static void build_cards(struct ie__report *r)
{
    const struct ie_summary *s = &r->sum;
    size_t cap = 0, total = s->total_images;
    char n1[32], n2[32];
    fmt_count(total, n1, sizeof(n1));
    add_kv(&r->cards, &r->ncards, &cap, false, ie_xstrdup("Images"), ie_xstrdup(n1));
    ie__plot_fmt_bytes((double)s->total_size_bytes, n1, sizeof(n1));
    add_kv(&r->cards, &r->ncards, &cap, false, ie_xstrdup("Total size"), ie_xstrdup(n1));
    static const struct {
        const char *label;
        size_t off;
    } flags[] = {
        {"Corrupt", offsetof(struct ie_summary, corrupt_count)},
        {"Dark", offsetof(struct ie_summary, dark_count)},
        {"Overexposed", offsetof(struct ie_summary, overexposed_count)},
        {"Blurry", offsetof(struct ie_summary, blurry_count)},
        {"Border artifacts", offsetof(struct ie_summary, artifact_count)},
        {"Exact duplicates", offsetof(struct ie_summary, exact_duplicate_images)},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(flags); i++) {
        size_t v = *(const size_t *)((const char *)s + flags[i].off);
        fmt_count(v, n1, sizeof(n1));
        fmt_pct(v, total, n2, sizeof(n2));
        add_kv(&r->cards, &r->ncards, &cap, v > 0, ie_xstrdup(flags[i].label),
               v ? xasprintf("%s (%s)", n1, n2) : ie_xstrdup(n1));
    }
    add_kv(&r->cards, &r->ncards, &cap, false, ie_xstrdup("Dimensions"),
           total > s->corrupt_count
               ? xasprintf("%d\xc3\x97%d \xe2\x80\x93 %d\xc3\x97%d", s->min_width, s->min_height,
                           s->max_width, s->max_height)
               : ie_xstrdup("n/a"));
}

/* The summary table. */
static void build_summary_rows(struct ie__report *r)
{
    const struct ie_summary *s = &r->sum;
    const struct ie_manifest *m = r->m;
    size_t cap = 0, total = s->total_images;
    char n1[32], n2[32], n3[32];
    if (m->meta.present && m->meta.input_dir)
        add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Dataset root"),
               ie_xstrdup(m->meta.input_dir));
    if (r->o->manifest_path)
        add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Manifest"),
               ie_xstrdup(r->o->manifest_path));
    if (m->meta.present && m->meta.created_at)
        add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Scanned"),
               ie_xstrdup(m->meta.created_at));
    if (m->skipped_lines)
        add_kv(&r->rows, &r->nrows, &cap, true, ie_xstrdup("Unreadable manifest lines"),
               xasprintf("%zu (skipped)", m->skipped_lines));
    fmt_count(total, n1, sizeof(n1));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Total images"), ie_xstrdup(n1));
    ie__plot_fmt_bytes((double)s->total_size_bytes, n1, sizeof(n1));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Total size"),
           xasprintf("%s (%lld bytes)", n1, (long long)s->total_size_bytes));
    fmt_num((double)s->total_pixels / 1e6, 1, n1, sizeof(n1));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Total pixels"),
           xasprintf("%s megapixels", n1));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Width: min / max"),
           xasprintf("%d / %d px", s->min_width, s->max_width));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Height: min / max"),
           xasprintf("%d / %d px", s->min_height, s->max_height));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Width: p5 / median / p95"),
           pcts_text(&s->width, false, " px"));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Height: p5 / median / p95"),
           pcts_text(&s->height, false, " px"));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("File size: p5 / median / p95"),
           pcts_text(&s->file_size, true, ""));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Brightness: p5 / median / p95"),
           pcts_text(&s->brightness, false, ""));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Blur score: p5 / median / p95"),
           pcts_text(&s->blur, false, ""));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Formats"),
           join_counts(&s->format_counts, 12));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Colour modes"),
           join_counts(&s->mode_counts, 12));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Extensions"),
           join_counts(&s->extension_counts, 12));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Camera makes"),
           join_counts(&s->camera_make_counts, 8));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Camera models"),
           join_counts(&s->camera_model_counts, 8));
    fmt_count(s->exif_present_count, n1, sizeof(n1));
    fmt_count(s->gps_flagged_count, n2, sizeof(n2));
    fmt_count(s->rotated_count, n3, sizeof(n3));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("With EXIF camera / GPS / rotated"),
           xasprintf("%s / %s / %s", n1, n2, n3));
    fmt_count(s->high_distortion_risk_count, n1, sizeof(n1));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("High lens distortion risk"),
           ie_xstrdup(n1));
    fmt_count(s->exact_duplicate_groups, n1, sizeof(n1));
    fmt_count(s->exact_duplicate_images, n2, sizeof(n2));
    add_kv(&r->rows, &r->nrows, &cap, s->exact_duplicate_images > 0,
           ie_xstrdup("Exact duplicates (phash)"),
           xasprintf("%s group%s, %s extra image%s", n1, s->exact_duplicate_groups == 1 ? "" : "s",
                     n2, s->exact_duplicate_images == 1 ? "" : "s"));
    fmt_count(s->byte_identical_groups, n1, sizeof(n1));
    fmt_count(s->byte_identical_images, n2, sizeof(n2));
    add_kv(&r->rows, &r->nrows, &cap, false, ie_xstrdup("Byte-identical files"),
           xasprintf("%s group%s, %s extra file%s", n1, s->byte_identical_groups == 1 ? "" : "s",
                     n2, s->byte_identical_images == 1 ? "" : "s"));
}

static void build_check_rows(struct ie__report *r, const struct ie_check_result *res,
                             const struct ie_check_thresholds *thr)
{
    size_t total = r->sum.total_images;
    char n1[32], n2[32];
    /* Checks: each flag with its count, share and threshold (and where the threshold came
     * from: the scan's settings or imgeda's default). */
    size_t ccap = 0;
    struct check_row {
        const char *name;
        size_t flagged;
        char *thr;
    } rows[8];
    size_t nr = 0;
    char t[32];
#define SRC(bit) ((thr->from_manifest & (bit)) ? "from the scan" : "default")
    rows[nr++] = (struct check_row){"Corrupt", res[IE_CHECK_CORRUPT].flagged,
                                    ie_xstrdup("cannot be decoded")};
    fmt_num(thr->dark, 2, t, sizeof(t));
    rows[nr++] = (struct check_row){"Dark", res[IE_CHECK_EXPOSURE].n_dark,
                                    xasprintf("brightness < %s (%s)", t, SRC(IE_THR_DARK))};
    fmt_num(thr->overexposed, 2, t, sizeof(t));
    rows[nr++] = (struct check_row){"Overexposed", res[IE_CHECK_EXPOSURE].n_overexposed,
                                    xasprintf("brightness > %s (%s)", t, SRC(IE_THR_OVEREXPOSED))};
    fmt_num(thr->artifact, 2, t, sizeof(t));
    rows[nr++] = (struct check_row){"Border artifacts", res[IE_CHECK_ARTIFACTS].flagged,
                                    xasprintf("corner\xe2\x80\x93"
                                              "centre delta > %s (%s)",
                                              t, SRC(IE_THR_ARTIFACT))};
    fmt_num(thr->blur, 2, t, sizeof(t));
    rows[nr++] = (struct check_row){"Blurry", res[IE_CHECK_BLUR].flagged,
                                    xasprintf("blur score < %s (%s)", t, SRC(IE_THR_BLUR))};
    const struct ie_duplicates *d = &res[IE_CHECK_DUPLICATES].dups;
    rows[nr++] = (struct check_row){
        "Exact duplicates", res[IE_CHECK_DUPLICATES].flagged,
        xasprintf("identical phash; %zu group%s", d->exact.n, d->exact.n == 1 ? "" : "s")};
    size_t near_imgs = 0;
    for (size_t i = 0; i < d->near.n; i++)
        near_imgs += d->near.groups[i].n;
    rows[nr++] =
        (struct check_row){"Near duplicates", near_imgs,
                           xasprintf("phash distance \xe2\x89\xa4 %d (%s); %zu group%s", thr->near,
                                     SRC(IE_THR_NEAR), d->near.n, d->near.n == 1 ? "" : "s")};
    rows[nr++] = (struct check_row){"Flat images", d->n_flat,
                                    ie_xstrdup("constant colour (share one phash)")};
#undef SRC
    for (size_t i = 0; i < nr; i++) {
        ie_grow((void **)&r->checks, &ccap, r->nchecks + 1, sizeof(*r->checks));
        fmt_count(rows[i].flagged, n1, sizeof(n1));
        fmt_pct(rows[i].flagged, total, n2, sizeof(n2));
        r->checks[r->nchecks++] =
            (struct ie__report_check){ie_xstrdup(rows[i].name), ie_xstrdup(n1), ie_xstrdup(n2),
                                      rows[i].thr, rows[i].flagged > 0};
    }
}

static void build_tables(struct ie__report *r, const struct ie_check_result *res,
                         const struct ie_check_thresholds *thr)
{
    build_cards(r);
    build_summary_rows(r);
    build_check_rows(r, res, thr);
}

/* A number from a gate result as text: whole numbers plainly, others with up to 2 decimals;
 * other JSON values as compact JSON. */
static char *gate_value(const cJSON *v)
{
    char num[48];
    if (!v)
        return ie_xstrdup("");
    if (cJSON_IsNumber(v)) {
        fmt_num(v->valuedouble, 2, num, sizeof(num));
        return ie_xstrdup(num);
    }
    if (cJSON_IsString(v))
        return ie_xstrdup(v->valuestring);
    if (cJSON_IsRaw(v) && v->valuestring) {
        /* imgeda's float spelling ("66.0") as a plain number. */
        char *end;
        double d = strtod(v->valuestring, &end);
        if (end != v->valuestring && !*end) {
            fmt_num(d, 2, num, sizeof(num));
            return ie_xstrdup(num);
        }
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0)
        return ie_xstrdup("any");
    char *s = cJSON_PrintUnformatted(v);
    char *out = ie_xstrdup(s ? s : "");
    cJSON_free(s);
    return out;
}

static void build_gate(struct ie__report *r)
{
    const cJSON *g = r->o->gate;
    size_t cap = 0;
    if (!g || !cJSON_IsObject(g))
        return;
    r->has_gate = true;
    r->gate_passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "passed"));
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(g, "checks"), *c;
    cJSON_ArrayForEach(c, checks)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        bool passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "passed"));
        ie_grow((void **)&r->gate, &cap, r->ngate + 1, sizeof(*r->gate));
        r->gate[r->ngate++] = (struct ie__report_gate_check){
            ie_xstrdup(cJSON_IsString(name) ? name->valuestring : "?"),
            gate_value(cJSON_GetObjectItemCaseSensitive(c, "threshold")),
            gate_value(cJSON_GetObjectItemCaseSensitive(c, "observed")), passed};
        r->gate_failed += !passed;
    }
}

/* ---- thumbnails ---- */

/* Undoes the "\xNN" escapes a manifest uses for file-name bytes that are not UTF-8. Returns a
 * new string, or NULL when there is nothing to undo. */
static char *unescape_path(const char *p)
{
    if (!strstr(p, "\\x"))
        return NULL;
    char *out = ie_xmalloc(strlen(p) + 1), *o = out;
    for (const char *s = p; *s;) {
        unsigned v;
        if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1 && s[2] && s[3]) {
            *o++ = (char)v;
            s += 4;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

/* Finds the file of a record: its path as written, with "\xNN" escapes undone, and for a
 * relative path (a scan of a relative root) that path under the manifest's absolute input_dir
 * with 0, 1, 2... leading components dropped (the root as it was typed). Returns a malloc'd
 * path that exists, or NULL. */
static char *locate(const char *path, const char *input_dir, struct stat *st)
{
    char *alt = NULL;
    if (!path)
        return NULL;
    if (stat(path, st) == 0)
        return ie_xstrdup(path);
    if ((alt = unescape_path(path)) && stat(alt, st) == 0)
        return alt;
    const char *p = alt ? alt : path;
    char *found = NULL;
    if (*p != '/' && input_dir && *input_dir == '/') {
        for (const char *rest = p; rest && *rest && !found; rest = strchr(rest, '/')) {
            while (*rest == '/')
                rest++;
            char *cand = xasprintf("%s/%s", input_dir, rest);
            if (stat(cand, st) == 0)
                found = cand;
            else
                free(cand);
        }
    }
    free(alt);
    return found;
}

/* Opens the located file once, confined to o->confine, and decodes its thumbnail from that
 * descriptor: the pixel limit is checked on the file's own header (a manifest's width and
 * height may lie), and a link swapped after the check cannot redirect the decode. Returns the
 * image, or NULL with t->why set. */
static VipsImage *open_thumb(const char *path, const struct ie_report_opts *o,
                             struct ie__report_thumb *t)
{
    struct stat st;
    struct ie_err err = {0};
    VipsImage *header = NULL, *img = NULL;
    int fd = ie_open_confined(path, o->confine, &st, &err);
    if (fd < 0) {
        t->why = err.code == IE_EPERM ? "outside the allowed roots"
                 : st.st_mode != 0    ? "not a file"
                                      : "file not found";
        return NULL;
    }
    VipsSource *src = vips_source_new_from_descriptor(fd);
    close(fd);
    if (!src)
        goto fail;
    header = vips_image_new_from_source(src, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!header)
        goto fail;
    if ((long long)header->Xsize * header->Ysize > THUMB_MAX_PIXELS) {
        t->why = "too large to preview";
        goto out;
    }
    if (vips_thumbnail_source(src, &img, o->thumb_px, "height", o->thumb_px, "size", VIPS_SIZE_DOWN,
                              NULL) < 0)
        goto fail;
    goto out;
fail:
    vips_error_clear();
    t->why = "cannot decode";
out:
    if (header)
        g_object_unref(header);
    if (src)
        g_object_unref(src);
    return img;
}

static void make_thumb(const struct ie_record *rec, const struct ie_report_opts *o,
                       const char *input_dir, struct ie__report_thumb *t)
{
    VipsImage *img = NULL, *tmp = NULL;
    char *alt = NULL;
    struct stat st;

    memset(t, 0, sizeof(*t));
    if (!o->thumbnails) {
        t->why = "no preview";
        return;
    }
    if (rec->is_corrupt) {
        t->why = "corrupt";
        return;
    }
    if ((long long)rec->width * rec->height > THUMB_MAX_PIXELS) {
        t->why = "too large to preview";
        return;
    }
    if (!(alt = locate(rec->path, input_dir, &st))) {
        t->why = "file not found";
        goto out;
    }
    if (!(img = open_thumb(alt, o, t)))
        goto out;
    if (vips_image_hasalpha(img)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int rc = vips_flatten(img, &tmp, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (rc < 0)
            goto fail;
        g_object_unref(img);
        img = tmp;
        tmp = NULL;
    }
    /* 8-bit sRGB (or grey) whatever the source: 16-bit, CMYK, Lab... */
    if (vips_colourspace(img, &tmp,
                         img->Bands < 3 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB,
                         NULL) < 0)
        goto fail;
    g_object_unref(img);
    img = tmp;
    tmp = NULL;
    if (vips_cast_uchar(img, &tmp, NULL) < 0)
        goto fail;
    g_object_unref(img);
    img = tmp;
    tmp = NULL;
    if (vips_jpegsave_buffer(img, &t->jpeg, &t->len, "Q", 82, "strip", TRUE, NULL) < 0)
        goto fail;
    t->w = vips_image_get_width(img);
    t->h = vips_image_get_height(img);
    goto out;
fail:
    vips_error_clear();
    t->why = "cannot decode";
    if (t->jpeg)
        g_free(t->jpeg);
    t->jpeg = NULL;
    t->len = 0;
out:
    if (img)
        g_object_unref(img);
    if (tmp)
        g_object_unref(tmp);
    free(alt);
}

/* ---- flagged images ---- */

struct ranked {
    size_t rec;
    double v;
};

static int cmp_ranked_asc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->rec > y->rec) - (x->rec < y->rec);
}

static int cmp_ranked_desc(const void *a, const void *b)
{
    return cmp_ranked_asc(b, a);
}

static void add_item(struct ie__report_section *s, size_t *cap, size_t rec, char *value,
                     char *detail)
{
    ie_grow((void **)&s->items, cap, s->n + 1, sizeof(*s->items));
    s->items[s->n++] = (struct ie__report_item){rec, value, detail, {0}};
}

/* The top items of a check ordered by value: flagged images with issue bit `issue` (0: any). */
static void rank_section(struct ie__report *r, struct ie__report_section *s,
                         const struct ie_check_result *res, unsigned issue, bool ascending,
                         const char *what, int decimals)
{
    struct ranked *rk = ie_xmalloc((res->n_items ? res->n_items : 1) * sizeof(*rk));
    size_t n = 0, cap = 0;
    char num[32];
    for (size_t i = 0; i < res->n_items; i++) {
        if (issue && !(res->items[i].issues & issue))
            continue;
        rk[n].rec = res->items[i].rec;
        rk[n].v = res->items[i].has_value ? res->items[i].value : NAN;
        if (isnan(rk[n].v))
            rk[n].v = ascending ? INFINITY : -INFINITY; /* unknown values go last */
        n++;
    }
    s->total = n;
    qsort(rk, n, sizeof(*rk), ascending ? cmp_ranked_asc : cmp_ranked_desc);
    for (size_t i = 0; i < n && i < r->o->top_n; i++) {
        fmt_num(rk[i].v, decimals, num, sizeof(num));
        add_item(s, &cap, rk[i].rec, xasprintf("%s %s", what, num), NULL);
    }
    free(rk);
}

static void build_sections(struct ie__report *r, const struct ie_check_result *res,
                           const struct ie_check_thresholds *thr)
{
    const struct ie_record *recs = r->m->recs;
    struct ie__report_section *s;
    char t[32];
    size_t cap;

    s = &r->sec[IE__ISSUE_CORRUPT];
    s->title = "Corrupt images";
    s->unit = "image";
    snprintf(s->explain, sizeof(s->explain),
             "Files that could not be read or decoded, in manifest order, with the reason.");
    s->total = res[IE_CHECK_CORRUPT].n_items;
    cap = 0;
    for (size_t i = 0; i < s->total && i < r->o->top_n; i++) {
        const struct ie_record *rec = &recs[res[IE_CHECK_CORRUPT].items[i].rec];
        add_item(s, &cap, res[IE_CHECK_CORRUPT].items[i].rec, ie_xstrdup("corrupt"),
                 ie_xstrdup(rec->error ? rec->error : "unreadable"));
    }

    s = &r->sec[IE__ISSUE_DARK];
    s->title = "Dark images";
    s->unit = "image";
    fmt_num(thr->dark, 2, t, sizeof(t));
    snprintf(s->explain, sizeof(s->explain),
             "Mean brightness below %s (0 = black, 255 = white); darkest first.", t);
    rank_section(r, s, &res[IE_CHECK_EXPOSURE], IE_ISSUE_DARK, true, "brightness", 1);

    s = &r->sec[IE__ISSUE_OVEREXPOSED];
    s->title = "Overexposed images";
    s->unit = "image";
    fmt_num(thr->overexposed, 2, t, sizeof(t));
    snprintf(s->explain, sizeof(s->explain), "Mean brightness above %s; brightest first.", t);
    rank_section(r, s, &res[IE_CHECK_EXPOSURE], IE_ISSUE_OVEREXPOSED, false, "brightness", 1);

    s = &r->sec[IE__ISSUE_BLURRY];
    s->title = "Blurry images";
    s->unit = "image";
    fmt_num(thr->blur, 2, t, sizeof(t));
    snprintf(s->explain, sizeof(s->explain),
             "Blur score (variance of the Laplacian) below %s; blurriest first.", t);
    rank_section(r, s, &res[IE_CHECK_BLUR], 0, true, "blur", 2);

    s = &r->sec[IE__ISSUE_ARTIFACT];
    s->title = "Border artifacts";
    s->unit = "image";
    fmt_num(thr->artifact, 2, t, sizeof(t));
    snprintf(s->explain, sizeof(s->explain),
             "Corners differ from the centre by more than %s in brightness (letterboxing, "
             "frames, vignetting); largest difference first.",
             t);
    rank_section(r, s, &res[IE_CHECK_ARTIFACTS], 0, false, "delta", 1);

    s = &r->sec[IE__ISSUE_DUPLICATE];
    s->title = "Exact duplicates";
    s->unit = "group";
    snprintf(s->explain, sizeof(s->explain),
             "Groups of images with an identical perceptual hash, largest first; the first "
             "image of each group is shown.");
    const struct ie_dup_list *ex = &res[IE_CHECK_DUPLICATES].dups.exact;
    s->total = ex->n;
    cap = 0;
    for (size_t g = 0; g < ex->n && g < r->o->top_n; g++) {
        struct ie_buf b;
        ie_buf_init(&b);
        ie_buf_adds(&b, "also: ");
        for (size_t k = 1; k < ex->groups[g].n; k++) {
            if (b.len > 160) {
                ie_buf_addf(&b, ", and %zu more", ex->groups[g].n - k);
                break;
            }
            ie_buf_addf(&b, "%s%s", k > 1 ? ", " : "",
                        ie__report_name(&recs[ex->groups[g].recs[k]]));
        }
        add_item(s, &cap, ex->groups[g].recs[0], xasprintf("%zu identical", ex->groups[g].n),
                 ie_buf_detach(&b));
    }

    for (int i = 0; i < IE__ISSUE_N; i++)
        for (size_t k = 0; k < r->sec[i].n; k++)
            make_thumb(&recs[r->sec[i].items[k].rec], r->o,
                       r->m->meta.present ? r->m->meta.input_dir : NULL, &r->sec[i].items[k].thumb);
}

/* ---- build ---- */

int ie__report_build(struct ie__report *r, const struct ie_manifest *m,
                     const struct ie_report_opts *o, struct ie_err *err)
{
    struct ie_check_result res[IE_CHECK_NKINDS];
    struct ie_check_thresholds thr;
    struct ie_plot_opts po;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    r->m = m;
    r->o = o;
    for (int k = 0; k < IE_CHECK_NKINDS; k++)
        ie_check_result_init(&res[k]);
    for (int t = 0; t < IE_PLOT_NTYPES; t++)
        ie_buf_init(&r->plots[t]);

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(r->generated, sizeof(r->generated), "%Y-%m-%d %H:%M UTC", &tm);

    ie_summary_compute(m->recs, m->n, &r->sum);
    ie_check_thresholds_init(&thr);
    if (m->meta.present)
        ie_check_thresholds_from_settings(&thr, m->meta.settings_json);
    for (int k = 0; k < IE_CHECK_NKINDS; k++) {
        rc = ie_check_run((enum ie_check_kind)k, m->recs, m->n, &thr, &res[k], err);
        if (rc < 0)
            goto out;
    }
    build_tables(r, res, &thr);
    build_gate(r);
    build_sections(r, res, &thr);

    /* Plots as PNG at a size that reads well both on a page (scaled to ~7 in) and on screen. */
    ie_plot_opts_init(&po);
    po.format = IE_PLOT_PNG;
    po.dpi = o->plot_dpi;
    po.width_in = 8;
    po.height_in = 5;
    if (m->meta.present)
        ie_plot_opts_apply_settings(&po, m->meta.settings_json);
    r->plot_w = (int)round(po.width_in * po.dpi);
    r->plot_h = (int)round(po.height_in * po.dpi);
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        rc = ie_plot_render(m->recs, m->n, (enum ie_plot_type)t, &po, &r->plots[t], err);
        if (rc < 0)
            goto out;
    }
out:
    for (int k = 0; k < IE_CHECK_NKINDS; k++)
        ie_check_result_release(&res[k]);
    return rc;
}

void ie__report_release(struct ie__report *r)
{
    for (size_t i = 0; i < r->ncards; i++) {
        free(r->cards[i].key);
        free(r->cards[i].value);
    }
    free(r->cards);
    for (size_t i = 0; i < r->nrows; i++) {
        free(r->rows[i].key);
        free(r->rows[i].value);
    }
    free(r->rows);
    for (size_t i = 0; i < r->nchecks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].flagged);
        free(r->checks[i].share);
        free(r->checks[i].threshold);
    }
    free(r->checks);
    for (size_t i = 0; i < r->ngate; i++) {
        free(r->gate[i].name);
        free(r->gate[i].threshold);
        free(r->gate[i].observed);
    }
    free(r->gate);
    for (int s = 0; s < IE__ISSUE_N; s++) {
        for (size_t k = 0; k < r->sec[s].n; k++) {
            free(r->sec[s].items[k].value);
            free(r->sec[s].items[k].detail);
            if (r->sec[s].items[k].thumb.jpeg)
                g_free(r->sec[s].items[k].thumb.jpeg);
        }
        free(r->sec[s].items);
    }
    for (int t = 0; t < IE_PLOT_NTYPES; t++)
        ie_buf_release(&r->plots[t]);
    ie_summary_release(&r->sum);
    memset(r, 0, sizeof(*r));
}
