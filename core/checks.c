/* Checks over manifest records (SPEC §4.3; see imgeda/checks.h).
 * DESIGN: a check lists what the scan flagged. The flags were computed by the analyser from
 * unrounded values (imgeda stores blur_score rounded to 2 decimals but compares the raw score),
 * so re-applying a threshold to the stored value would disagree with the scan exactly at the
 * threshold; the thresholds, taken from the manifest when it records them, are reported so the
 * reader knows what "dark" meant for this scan. Duplicates come from core/duplicates.c. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/checks.h"
#include "imgeda/util.h"

static const char *const kind_names[IE_CHECK_NKINDS] = {
    [IE_CHECK_CORRUPT] = "corrupt",       [IE_CHECK_EXPOSURE] = "exposure",
    [IE_CHECK_ARTIFACTS] = "artifacts",   [IE_CHECK_BLUR] = "blur",
    [IE_CHECK_DUPLICATES] = "duplicates",
};

const char *ie_check_name(enum ie_check_kind k)
{
    return (unsigned)k < IE_CHECK_NKINDS ? kind_names[k] : "unknown";
}

int ie_check_parse(const char *name, unsigned *kinds, struct ie_err *err)
{
    if (name && strcmp(name, "all") == 0) {
        *kinds = IE_CHECK_ALL;
        return 0;
    }
    for (unsigned k = 0; name && k < IE_CHECK_NKINDS; k++) {
        if (strcmp(name, kind_names[k]) == 0) {
            *kinds = 1u << k;
            return 0;
        }
    }
    return ie_err_set(err, IE_EINVAL,
                      "unknown check '%s' (choose corrupt, exposure, artifacts, blur, "
                      "duplicates, all or leakage)",
                      name ? name : "");
}

void ie_check_thresholds_init(struct ie_check_thresholds *t)
{
    t->dark = 40.0;
    t->overexposed = 220.0;
    t->artifact = 50.0;
    t->blur = 100.0;
    t->near = IE_DUP_DEFAULT_THRESHOLD;
    t->from_manifest = 0;
}

static void take_double(const cJSON *o, const char *key, double *slot, unsigned bit, unsigned *from)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        *slot = v->valuedouble;
        *from |= bit;
    }
}

void ie_check_thresholds_from_settings(struct ie_check_thresholds *t, const char *settings_json)
{
    cJSON *o = settings_json ? cJSON_Parse(settings_json) : NULL;
    if (cJSON_IsObject(o)) {
        take_double(o, "dark_threshold", &t->dark, IE_THR_DARK, &t->from_manifest);
        take_double(o, "overexposed_threshold", &t->overexposed, IE_THR_OVEREXPOSED,
                    &t->from_manifest);
        take_double(o, "artifact_threshold", &t->artifact, IE_THR_ARTIFACT, &t->from_manifest);
        take_double(o, "blur_threshold", &t->blur, IE_THR_BLUR, &t->from_manifest);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "duplicate_hamming_threshold");
        if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
            v->valuedouble <= IE_HASH_INDEX_MAX_THRESHOLD &&
            v->valuedouble == floor(v->valuedouble)) {
            t->near = (int)v->valuedouble;
            t->from_manifest |= IE_THR_NEAR;
        }
    }
    cJSON_Delete(o);
}

void ie_check_result_init(struct ie_check_result *r)
{
    memset(r, 0, sizeof(*r));
    ie_duplicates_init(&r->dups);
}

void ie_check_result_release(struct ie_check_result *r)
{
    free(r->items);
    ie_duplicates_release(&r->dups);
    ie_check_result_init(r);
}

static void add_item(struct ie_check_result *r, size_t *cap, size_t rec, unsigned issues,
                     bool has_value, double value)
{
    ie_grow((void **)&r->items, cap, r->n_items + 1, sizeof(*r->items));
    r->items[r->n_items++] = (struct ie_check_item){rec, issues, has_value, value};
}

int ie_check_run(enum ie_check_kind kind, const struct ie_record *recs, size_t n,
                 const struct ie_check_thresholds *t, struct ie_check_result *out,
                 struct ie_err *err)
{
    struct ie_recsrc s = ie_recsrc_array(recs, n);
    return ie_check_run_src(kind, &s, t, out, err);
}

int ie_check_run_src(enum ie_check_kind kind, const struct ie_recsrc *s,
                     const struct ie_check_thresholds *t, struct ie_check_result *out,
                     struct ie_err *err)
{
    struct ie_check_thresholds defaults;
    struct ie_record tmp;
    size_t cap = 0, n = s->n;
    int rc = 0;

    if (!t) {
        ie_check_thresholds_init(&defaults);
        t = &defaults;
    }
    ie_check_result_release(out);
    out->kind = kind;
    out->total_images = n;
    switch (kind) {
    case IE_CHECK_CORRUPT:
        for (size_t i = 0; i < n; i++)
            if (ie_recsrc_at(s, i, &tmp)->is_corrupt)
                add_item(out, &cap, i, 0, false, 0);
        break;
    case IE_CHECK_EXPOSURE:
        for (size_t i = 0; i < n; i++) {
            const struct ie_record *r = ie_recsrc_at(s, i, &tmp);
            unsigned issues =
                (r->is_dark ? IE_ISSUE_DARK : 0u) | (r->is_overexposed ? IE_ISSUE_OVEREXPOSED : 0u);
            if (!issues)
                continue;
            out->n_dark += r->is_dark;
            out->n_overexposed += r->is_overexposed;
            add_item(out, &cap, i, issues, r->has_pixel_stats, r->pixel_stats.mean_brightness);
        }
        break;
    case IE_CHECK_ARTIFACTS:
        for (size_t i = 0; i < n; i++) {
            const struct ie_record *r = ie_recsrc_at(s, i, &tmp);
            if (r->has_border_artifact)
                add_item(out, &cap, i, 0, r->has_corner_stats, r->corner_stats.delta);
        }
        break;
    case IE_CHECK_BLUR:
        for (size_t i = 0; i < n; i++) {
            const struct ie_record *r = ie_recsrc_at(s, i, &tmp);
            if (r->is_blurry)
                add_item(out, &cap, i, 0, r->has_blur_score, r->blur_score);
        }
        break;
    case IE_CHECK_DUPLICATES: {
        struct ie_dup_opts o;
        ie_dup_opts_init(&o);
        o.threshold = t->near;
        rc = ie_duplicates_find_src(s, &o, &out->dups, err);
        if (rc < 0)
            goto out;
        out->has_dups = true;
        out->flagged = ie_duplicates_exact_extra(&out->dups);
        goto out;
    }
    default:
        rc = ie_err_set(err, IE_EINVAL, "unknown check kind %d", (int)kind);
        goto out;
    }
    out->flagged = out->n_items;
out:
    return rc;
}

/* ---- JSON ---- */

static cJSON *must(cJSON *item)
{
    if (!item)
        abort(); /* cJSON fails only when out of memory */
    return item;
}

static void add_int(cJSON *o, const char *k, long long v)
{
    char num[32];
    /* Raw so that counts print as integers whatever cJSON's double formatting does. */
    snprintf(num, sizeof(num), "%lld", v);
    cJSON_AddItemToObject(o, k, must(cJSON_CreateRaw(num)));
}

/* Floats keep a decimal point (40.0, not 40), as Python writes them; absent values are null. */
static void add_float(cJSON *o, const char *k, bool has, double v)
{
    char num[40];
    ie_fmt_double(num, sizeof(num), has ? v : NAN);
    cJSON_AddItemToObject(o, k, must(cJSON_CreateRaw(num)));
}

static void add_str(cJSON *o, const char *k, const char *s)
{
    cJSON_AddItemToObject(o, k, must(s ? cJSON_CreateString(s) : cJSON_CreateNull()));
}

static const char *path_of(const struct ie_record *r)
{
    return r->path ? r->path : "";
}

static void add_thresholds(cJSON *o, const struct ie_check_thresholds *t, unsigned which)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {IE_THR_DARK, "dark_threshold"},
        {IE_THR_OVEREXPOSED, "overexposed_threshold"},
        {IE_THR_ARTIFACT, "artifact_threshold"},
        {IE_THR_BLUR, "blur_threshold"},
        {IE_THR_NEAR, "duplicate_hamming_threshold"},
    };
    cJSON *vals = must(cJSON_AddObjectToObject(o, "thresholds"));
    cJSON *defaulted = must(cJSON_AddArrayToObject(o, "threshold_defaults"));
    for (size_t i = 0; i < IE_ARRAY_LEN(names); i++) {
        unsigned bit = names[i].bit;
        if (!(which & bit))
            continue;
        if (bit == IE_THR_NEAR)
            add_int(vals, names[i].name, t->near);
        else
            add_float(vals, names[i].name, true,
                      bit == IE_THR_DARK          ? t->dark
                      : bit == IE_THR_OVEREXPOSED ? t->overexposed
                      : bit == IE_THR_ARTIFACT    ? t->artifact
                                                  : t->blur);
        if (!(t->from_manifest & bit))
            cJSON_AddItemToArray(defaulted, must(cJSON_CreateString(names[i].name)));
    }
}

static cJSON *paths_array(const size_t *idx, size_t k, const struct ie_recsrc *recs)
{
    struct ie_record tmp;
    cJSON *a = must(cJSON_CreateArray());
    for (size_t i = 0; i < k; i++)
        cJSON_AddItemToArray(a,
                             must(cJSON_CreateString(path_of(ie_recsrc_at(recs, idx[i], &tmp)))));
    return a;
}

static void add_groups(cJSON *items, const struct ie_dup_list *l, const char *type,
                       const struct ie_recsrc *recs)
{
    struct ie_record tmp;
    for (size_t g = 0; g < l->n; g++) {
        const struct ie_dup_group *grp = &l->groups[g];
        cJSON *it = must(cJSON_CreateObject());
        add_str(it, "type", type);
        if (strcmp(type, "exact") == 0) {
            char hex[65];
            ie_hash256_to_hex(&ie_recsrc_at(recs, grp->recs[0], &tmp)->phash, hex);
            add_str(it, "phash", hex);
        }
        add_int(it, "count", (long long)grp->n);
        if (strcmp(type, "near") == 0)
            add_int(it, "max_distance", grp->max_distance);
        cJSON_AddItemToObject(it, "paths", paths_array(grp->recs, grp->n, recs));
        cJSON_AddItemToArray(items, it);
    }
}

cJSON *ie_check_result_to_json(const struct ie_check_result *r, const struct ie_record *recs,
                               const struct ie_check_thresholds *t)
{
    struct ie_recsrc s = ie_recsrc_array(recs, SIZE_MAX);
    return ie_check_result_to_json_src(r, &s, t);
}

cJSON *ie_check_result_to_json_src(const struct ie_check_result *r, const struct ie_recsrc *recs,
                                   const struct ie_check_thresholds *t)
{
    struct ie_check_thresholds defaults;
    struct ie_record tmp;
    if (!t) {
        ie_check_thresholds_init(&defaults);
        t = &defaults;
    }
    cJSON *o = must(cJSON_CreateObject());
    add_str(o, "check", ie_check_name(r->kind));
    add_int(o, "total_images", (long long)r->total_images);
    add_int(o, "count", (long long)r->flagged);
    switch (r->kind) {
    case IE_CHECK_EXPOSURE:
        add_int(o, "dark_count", (long long)r->n_dark);
        add_int(o, "overexposed_count", (long long)r->n_overexposed);
        add_thresholds(o, t, IE_THR_DARK | IE_THR_OVEREXPOSED);
        break;
    case IE_CHECK_ARTIFACTS:
        add_thresholds(o, t, IE_THR_ARTIFACT);
        break;
    case IE_CHECK_BLUR:
        add_thresholds(o, t, IE_THR_BLUR);
        break;
    case IE_CHECK_DUPLICATES:
        add_int(o, "exact_groups", (long long)r->dups.exact.n);
        add_int(o, "exact_images", (long long)r->flagged);
        add_int(o, "near_groups", (long long)r->dups.near.n);
        add_int(o, "byte_identical_groups", (long long)r->dups.byte_identical.n);
        add_thresholds(o, t, IE_THR_NEAR);
        break;
    default:
        break;
    }
    cJSON *items = must(cJSON_AddArrayToObject(o, "items"));
    if (r->kind == IE_CHECK_DUPLICATES) {
        add_groups(items, &r->dups.exact, "exact", recs);
        add_groups(items, &r->dups.near, "near", recs);
        add_groups(items, &r->dups.byte_identical, "byte_identical", recs);
        cJSON_AddItemToObject(o, "flat", paths_array(r->dups.flat, r->dups.n_flat, recs));
        return o;
    }
    for (size_t i = 0; i < r->n_items; i++) {
        const struct ie_check_item *it = &r->items[i];
        const struct ie_record *rec = ie_recsrc_at(recs, it->rec, &tmp);
        cJSON *j = must(cJSON_CreateObject());
        add_str(j, "path", path_of(rec));
        switch (r->kind) {
        case IE_CHECK_CORRUPT:
            add_str(j, "filename", rec->filename ? rec->filename : "");
            add_str(j, "error", rec->error);
            break;
        case IE_CHECK_EXPOSURE: {
            cJSON *issues = must(cJSON_AddArrayToObject(j, "issues"));
            if (it->issues & IE_ISSUE_DARK)
                cJSON_AddItemToArray(issues, must(cJSON_CreateString("dark")));
            if (it->issues & IE_ISSUE_OVEREXPOSED)
                cJSON_AddItemToArray(issues, must(cJSON_CreateString("overexposed")));
            add_float(j, "mean_brightness", it->has_value, it->value);
            break;
        }
        case IE_CHECK_ARTIFACTS:
            add_float(j, "delta", it->has_value, it->value);
            break;
        case IE_CHECK_BLUR:
            add_float(j, "blur_score", it->has_value, it->value);
            break;
        default:
            break;
        }
        cJSON_AddItemToArray(items, j);
    }
    return o;
}
