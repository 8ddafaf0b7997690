/* Dataset summary over manifest records (SPEC §4.2; see imgeda/summary.h).
 * DESIGN: one pass adds each record to counters and to compact value arrays; finish sorts the
 * arrays once for the percentiles and sorts the kept hashes to count duplicate groups, so memory
 * is a few plain arrays (about 90 bytes per image) and time O(n log n). Counting follows
 * imgeda's aggregator.py field by field; where imgeda's choice is odd (exif_present_count counts
 * images with a camera make, rotated_count counts orientation 0 too), it is kept for compat. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "imgeda/checks.h"
#include "imgeda/manifest.h"
#include "imgeda/strmap.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"

struct dvec {
    double *v;
    size_t n, cap;
};

enum { C_FORMAT, C_MODE, C_EXT, C_MAKE, C_MODEL, C_COUNT };

/* Counters fill the summary's ie_counts in first-seen order; index maps a key to its entry. The
 * summary's address is not kept, so a caller may move the struct between calls. */
struct ie__summary_acc {
    struct ie_strmap index[C_COUNT];
    struct dvec width, height, size, brightness, blur;
    struct ie_hash256 *phash;
    size_t n_phash, cap_phash;
    XXH128_hash_t *chash;
    size_t n_chash, cap_chash;
    bool any_valid;
};

static void dvec_push(struct dvec *d, double x)
{
    ie_grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
    d->v[d->n++] = x;
}

static struct ie_counts *counts_of(struct ie_summary *s, int which)
{
    switch (which) {
    case C_FORMAT:
        return &s->format_counts;
    case C_MODE:
        return &s->mode_counts;
    case C_EXT:
        return &s->extension_counts;
    case C_MAKE:
        return &s->camera_make_counts;
    default:
        return &s->camera_model_counts;
    }
}

static void counter_add(struct ie_summary *s, int which, const char *key, size_t keylen)
{
    struct ie_counts *o = counts_of(s, which);
    struct ie_strmap *index = &s->acc->index[which];
    char *k = ie_xstrndup(key, keylen);
    size_t at;
    if (ie_strmap_get(index, k, &at)) {
        o->v[at].count++;
        free(k);
        return;
    }
    ie_grow((void **)&o->v, &o->cap, o->n + 1, sizeof(*o->v));
    o->v[o->n].key = k;
    o->v[o->n].count = 1;
    /* The key string is heap-owned by the entry, so it stays put when o->v moves. */
    ie_strmap_put(index, k, o->n);
    o->n++;
}

static void counts_release(struct ie_counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].key);
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/* Stable sort by count descending: Counter.most_common() is a stable sort of first-seen order,
 * and qsort is not stable. */
static void counts_sort(struct ie_counts *c)
{
    if (c->n < 2)
        return;
    struct ie_count_entry *tmp = ie_xmalloc(c->n * sizeof(*tmp));
    struct ie_count_entry *a = c->v, *b = tmp;
    for (size_t width = 1; width < c->n; width *= 2) {
        for (size_t lo = 0; lo < c->n; lo += 2 * width) {
            size_t mid = IE_MIN(lo + width, c->n), hi = IE_MIN(lo + 2 * width, c->n);
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = a[j].count > a[i].count ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        struct ie_count_entry *t = a;
        a = b;
        b = t;
    }
    if (a != c->v)
        memcpy(c->v, a, c->n * sizeof(*a));
    free(tmp);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static int cmp_hash256(const void *pa, const void *pb)
{
    const struct ie_hash256 *a = pa, *b = pb;
    for (int i = 0; i < 4; i++)
        if (a->w[i] != b->w[i])
            return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

static int cmp_xxh128(const void *pa, const void *pb)
{
    return XXH128_cmp(pa, pb);
}

double ie_percentile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    /* numpy: virtual index (n-1)*quantile with quantile = q/100; neighbours floor and floor+1,
     * both clamped to the last element; _lerp(a, b, t) computes b - (b-a)*(1-t) for t >= 0.5
     * (which keeps the result monotonic and exact at t = 1). */
    double vi = (double)(n - 1) * (q / 100.0);
    if (!(vi > 0))
        return sorted[0];
    if (vi >= (double)(n - 1))
        return sorted[n - 1];
    double lo_f = floor(vi);
    size_t lo = (size_t)lo_f;
    double t = vi - lo_f;
    double a = sorted[lo], b = sorted[lo + 1], diff = b - a;
    return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

static void pcts_finish(struct dvec *d, struct ie_pcts *p)
{
    if (d->n)
        qsort(d->v, d->n, sizeof(*d->v), cmp_double);
    p->n = d->n;
    p->p5 = ie_percentile(d->v, d->n, 5);
    p->p50 = ie_percentile(d->v, d->n, 50);
    p->p95 = ie_percentile(d->v, d->n, 95);
}

/* Counts groups of equal elements (size >= 2) in a sorted array, and their members beyond the
 * first. */
static void count_runs(const void *base, size_t n, size_t sz,
                       int (*cmp)(const void *, const void *), size_t *groups, size_t *extra)
{
    const char *p = base;
    *groups = *extra = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && cmp(p + i * sz, p + j * sz) == 0)
            j++;
        if (j - i >= 2) {
            (*groups)++;
            *extra += j - i - 1;
        }
        i = j;
    }
}

static void acc_free(struct ie__summary_acc *a)
{
    if (!a)
        return;
    for (int i = 0; i < C_COUNT; i++)
        ie_strmap_release(&a->index[i]);
    free(a->width.v);
    free(a->height.v);
    free(a->size.v);
    free(a->brightness.v);
    free(a->blur.v);
    free(a->phash);
    free(a->chash);
    free(a);
}

void ie_summary_init(struct ie_summary *s)
{
    /* Nothing is allocated until the first record, so init twice or init + release are free. */
    memset(s, 0, sizeof(*s));
    s->width.p5 = s->width.p50 = s->width.p95 = NAN;
    s->height = s->file_size = s->brightness = s->blur = s->width;
}

void ie_summary_release(struct ie_summary *s)
{
    counts_release(&s->format_counts);
    counts_release(&s->mode_counts);
    counts_release(&s->extension_counts);
    counts_release(&s->camera_make_counts);
    counts_release(&s->camera_model_counts);
    acc_free(s->acc);
    ie_summary_init(s);
}

static bool nonempty(const char *s)
{
    return s && *s;
}

void ie_summary_add(struct ie_summary *s, const struct ie_record *r)
{
    if (s->finished)
        return; /* adding now would be silently lost from the percentiles */
    if (!s->acc) {
        s->acc = ie_xcalloc(1, sizeof(*s->acc));
        for (int i = 0; i < C_COUNT; i++)
            ie_strmap_init(&s->acc->index[i]);
    }
    struct ie__summary_acc *a = s->acc;

    s->total_images++;
    s->total_size_bytes += r->file_size_bytes;
    s->corrupt_count += r->is_corrupt;
    s->dark_count += r->is_dark;
    s->overexposed_count += r->is_overexposed;
    s->artifact_count += r->has_border_artifact;
    s->blurry_count += r->is_blurry;

    /* imgeda counts formats, modes, extensions and EXIF over every record, corrupt ones too. */
    if (nonempty(r->format))
        counter_add(s, C_FORMAT, r->format, strlen(r->format));
    if (nonempty(r->color_mode))
        counter_add(s, C_MODE, r->color_mode, strlen(r->color_mode));
    const char *dot = r->filename ? strrchr(r->filename, '.') : NULL;
    if (dot && dot[1]) {
        char *ext = ie_xstrdup(dot + 1);
        /* Python's str.lower() also folds non-ASCII letters; extensions are ASCII in practice. */
        for (char *p = ext; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        counter_add(s, C_EXT, ext, strlen(ext));
        free(ext);
    }
    if (nonempty(r->camera_make)) {
        counter_add(s, C_MAKE, r->camera_make, strlen(r->camera_make));
        s->exif_present_count++;
    }
    if (nonempty(r->camera_model))
        counter_add(s, C_MODEL, r->camera_model, strlen(r->camera_model));
    if (r->distortion_risk && strcmp(r->distortion_risk, "high") == 0)
        s->high_distortion_risk_count++;
    s->gps_flagged_count += r->has_gps_data;
    if (r->has_orientation_tag && r->orientation_tag != 1)
        s->rotated_count++;

    dvec_push(&a->size, (double)r->file_size_bytes);
    if (r->content_hash) {
        ie_grow((void **)&a->chash, &a->cap_chash, a->n_chash + 1, sizeof(*a->chash));
        a->chash[a->n_chash++] = XXH3_128bits(r->content_hash, strlen(r->content_hash));
    }
    if (r->is_corrupt)
        return;

    /* Dimensions, pixels and content statistics describe decodable images only. */
    if (!a->any_valid || r->width < s->min_width)
        s->min_width = r->width;
    if (!a->any_valid || r->width > s->max_width)
        s->max_width = r->width;
    if (!a->any_valid || r->height < s->min_height)
        s->min_height = r->height;
    if (!a->any_valid || r->height > s->max_height)
        s->max_height = r->height;
    a->any_valid = true;
    dvec_push(&a->width, r->width);
    dvec_push(&a->height, r->height);
    if (r->width > 0 && r->height > 0)
        s->total_pixels += (int64_t)r->width * r->height;
    if (r->has_pixel_stats && isfinite(r->pixel_stats.mean_brightness))
        dvec_push(&a->brightness, r->pixel_stats.mean_brightness);
    if (r->has_blur_score && isfinite(r->blur_score))
        dvec_push(&a->blur, r->blur_score);
    if (r->has_phash) {
        ie_grow((void **)&a->phash, &a->cap_phash, a->n_phash + 1, sizeof(*a->phash));
        a->phash[a->n_phash++] = r->phash;
    }
}

void ie_summary_finish(struct ie_summary *s)
{
    struct ie__summary_acc *a = s->acc;
    if (s->finished)
        return;
    s->finished = true;
    if (!a)
        return; /* no records: zeros and NaN percentiles as initialised */
    for (int i = 0; i < C_COUNT; i++)
        counts_sort(counts_of(s, i));
    pcts_finish(&a->width, &s->width);
    pcts_finish(&a->height, &s->height);
    pcts_finish(&a->size, &s->file_size);
    pcts_finish(&a->brightness, &s->brightness);
    pcts_finish(&a->blur, &s->blur);
    if (a->n_phash)
        qsort(a->phash, a->n_phash, sizeof(*a->phash), cmp_hash256);
    count_runs(a->phash, a->n_phash, sizeof(*a->phash), cmp_hash256, &s->exact_duplicate_groups,
               &s->exact_duplicate_images);
    if (a->n_chash)
        qsort(a->chash, a->n_chash, sizeof(*a->chash), cmp_xxh128);
    count_runs(a->chash, a->n_chash, sizeof(*a->chash), cmp_xxh128, &s->byte_identical_groups,
               &s->byte_identical_images);
    acc_free(a);
    s->acc = NULL;
}

void ie_summary_compute(const struct ie_record *recs, size_t n, struct ie_summary *s)
{
    ie_summary_init(s);
    for (size_t i = 0; i < n; i++)
        ie_summary_add(s, &recs[i]);
    ie_summary_finish(s);
}

/* ---- JSON ---- */

static cJSON *must(cJSON *item)
{
    if (!item)
        abort(); /* cJSON fails only when out of memory */
    return item;
}

static void add_int(cJSON *o, const char *k, int64_t v)
{
    char num[32];
    /* Raw, because cJSON stores numbers as double and would print 2^53+1 wrongly. */
    snprintf(num, sizeof(num), "%lld", (long long)v);
    cJSON_AddItemToObject(o, k, must(cJSON_CreateRaw(num)));
}

static void add_float(cJSON *o, const char *k, double v)
{
    char num[40];
    ie_fmt_double(num, sizeof(num), v);
    cJSON_AddItemToObject(o, k, must(cJSON_CreateRaw(num)));
}

static void add_counts(cJSON *o, const char *k, const struct ie_counts *c)
{
    cJSON *m = must(cJSON_AddObjectToObject(o, k));
    for (size_t i = 0; i < c->n; i++)
        add_int(m, c->v[i].key, (int64_t)c->v[i].count);
}

static void add_pcts(cJSON *o, const char *k, const struct ie_pcts *p)
{
    cJSON *m = must(cJSON_AddObjectToObject(o, k));
    add_int(m, "n", (int64_t)p->n);
    add_float(m, "p5", p->p5);
    add_float(m, "p50", p->p50);
    add_float(m, "p95", p->p95);
}

struct cJSON *ie_summary_to_cjson(const struct ie_summary *s)
{
    cJSON *o = must(cJSON_CreateObject());
    add_int(o, "total_images", (int64_t)s->total_images);
    add_int(o, "total_size_bytes", s->total_size_bytes);
    add_int(o, "corrupt_count", (int64_t)s->corrupt_count);
    add_int(o, "dark_count", (int64_t)s->dark_count);
    add_int(o, "overexposed_count", (int64_t)s->overexposed_count);
    add_int(o, "artifact_count", (int64_t)s->artifact_count);
    add_int(o, "blurry_count", (int64_t)s->blurry_count);
    add_int(o, "min_width", s->min_width);
    add_int(o, "max_width", s->max_width);
    add_int(o, "min_height", s->min_height);
    add_int(o, "max_height", s->max_height);
    add_counts(o, "format_counts", &s->format_counts);
    add_counts(o, "mode_counts", &s->mode_counts);
    add_counts(o, "extension_counts", &s->extension_counts);
    add_counts(o, "camera_make_counts", &s->camera_make_counts);
    add_counts(o, "camera_model_counts", &s->camera_model_counts);
    add_int(o, "high_distortion_risk_count", (int64_t)s->high_distortion_risk_count);
    add_int(o, "gps_flagged_count", (int64_t)s->gps_flagged_count);
    add_int(o, "rotated_count", (int64_t)s->rotated_count);
    add_int(o, "exif_present_count", (int64_t)s->exif_present_count);
    add_int(o, "total_pixels", s->total_pixels);
    cJSON *p = must(cJSON_AddObjectToObject(o, "percentiles"));
    add_pcts(p, "width", &s->width);
    add_pcts(p, "height", &s->height);
    add_pcts(p, "file_size_bytes", &s->file_size);
    add_pcts(p, "mean_brightness", &s->brightness);
    add_pcts(p, "blur_score", &s->blur);
    cJSON *d = must(cJSON_AddObjectToObject(o, "duplicates"));
    add_int(d, "exact_groups", (int64_t)s->exact_duplicate_groups);
    add_int(d, "exact_images", (int64_t)s->exact_duplicate_images);
    add_int(d, "byte_identical_groups", (int64_t)s->byte_identical_groups);
    add_int(d, "byte_identical_images", (int64_t)s->byte_identical_images);
    return o;
}

static cJSON *manifest_json(const char *path, const struct ie_manifest *m,
                            const struct ie_check_thresholds *t)
{
    char num[40];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddBoolToObject(o, "has_header", m->meta.present);
    if (m->meta.present) {
        cJSON_AddStringToObject(o, "input_dir", m->meta.input_dir ? m->meta.input_dir : "");
        cJSON_AddStringToObject(o, "created_at", m->meta.created_at ? m->meta.created_at : "");
        snprintf(num, sizeof(num), "%lld", (long long)m->meta.total_files);
        cJSON_AddItemToObject(o, "total_files", cJSON_CreateRaw(num));
    }
    snprintf(num, sizeof(num), "%zu", m->skipped_lines);
    cJSON_AddItemToObject(o, "skipped_lines", cJSON_CreateRaw(num));
    snprintf(num, sizeof(num), "%zu", m->replaced);
    cJSON_AddItemToObject(o, "replaced_records", cJSON_CreateRaw(num));
    cJSON *th = cJSON_AddObjectToObject(o, "thresholds");
    static const char *const names[] = {"dark_threshold", "overexposed_threshold",
                                        "artifact_threshold", "blur_threshold"};
    const double vals[] = {t->dark, t->overexposed, t->artifact, t->blur};
    const unsigned bits[] = {IE_THR_DARK, IE_THR_OVEREXPOSED, IE_THR_ARTIFACT, IE_THR_BLUR};
    /* As in check's JSON: which thresholds are imgeda's defaults because the manifest lacks them.
     */
    cJSON *defaulted = cJSON_AddArrayToObject(o, "threshold_defaults");
    for (size_t i = 0; i < IE_ARRAY_LEN(names); i++) {
        ie_fmt_double(num, sizeof(num), vals[i]);
        cJSON_AddItemToObject(th, names[i], cJSON_CreateRaw(num));
        if (!(t->from_manifest & bits[i]))
            cJSON_AddItemToArray(defaulted, cJSON_CreateString(names[i]));
    }
    return o;
}

struct cJSON *ie_summary_info_cjson(const struct ie_summary *s, const char *path,
                                    const struct ie_manifest *m)
{
    struct ie_check_thresholds t;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, m->meta.settings_json);
    cJSON *o = ie_summary_to_cjson(s);
    cJSON_AddItemToObject(o, "manifest", manifest_json(path, m, &t));
    return o;
}

char *ie_summary_to_json(const struct ie_summary *s, bool pretty)
{
    cJSON *o = ie_summary_to_cjson(s);
    char *text = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        abort(); /* cJSON fails only when out of memory */
    return text;
}
