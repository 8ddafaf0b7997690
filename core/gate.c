/* Quality-gate evaluation (SPEC §4.5), compatible with imgeda's evaluate_policy (core/gate.py).
 * DESIGN: one pass over the slim manifest collects every count, extreme and first offenders;
 * exact-duplicate groups come from ie_slim_manifest_exact_groups, numbered in order of first
 * appearance like the Python dict they replace. Percentages are computed as imgeda does,
 * count / total * 100 in doubles, compared unrounded and reported rounded with ie_round, so
 * verdicts agree exactly at the thresholds. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imgeda/gate.h"
#include "imgeda/util.h"

/* ---- formats ---- */

/* The name a format goes by for allowed_formats (compared case-insensitively afterwards). */
static const char *format_alias(const char *f)
{
    if (strcasecmp(f, "jpg") == 0 || strcasecmp(f, "mpo") == 0)
        return "JPEG";
    if (strcasecmp(f, "tif") == 0)
        return "TIFF";
    return f;
}

bool ie_policy_format_allowed(const struct ie_policy *p, const char *format)
{
    const char *want = format_alias(format);
    for (size_t i = 0; i < p->n_allowed_formats; i++)
        if (strcasecmp(format_alias(p->allowed_formats[i]), want) == 0)
            return true;
    return false;
}

/* ---- result ---- */

void ie_gate_result_init(struct ie_gate_result *g)
{
    memset(g, 0, sizeof(*g));
}

void ie_gate_result_release(struct ie_gate_result *g)
{
    for (size_t i = 0; i < g->n_checks; i++)
        for (size_t j = 0; j < g->checks[i].n_samples; j++)
            free(g->checks[i].sample_paths[j]);
    ie_gate_result_init(g);
}

static struct ie_gate_check *add_check(struct ie_gate_result *g, const char *name, double threshold,
                                       bool threshold_is_int, double observed, bool passed)
{
    struct ie_gate_check *c = &g->checks[g->n_checks++];
    c->name = name;
    c->threshold = threshold;
    c->threshold_is_int = threshold_is_int;
    c->observed = observed;
    c->passed = passed;
    return c;
}

/* The first offenders of one check, in manifest order. */
struct samples {
    size_t count;
    const char *paths[IE_GATE_MAX_SAMPLES];
};

static void sample(struct samples *s, const char *path)
{
    if (s->count < IE_GATE_MAX_SAMPLES)
        s->paths[s->count] = path;
    s->count++;
}

static void take_samples(struct ie_gate_check *c, const struct samples *s)
{
    c->n_samples = IE_MIN(s->count, (size_t)IE_GATE_MAX_SAMPLES);
    for (size_t i = 0; i < c->n_samples; i++)
        c->sample_paths[i] = ie_xstrdup(s->paths[i]);
}

static double pct(size_t count, size_t total)
{
    return (double)count / (double)total * 100.0; /* imgeda: len(x) / total * 100 */
}

static void pct_check(struct ie_gate_result *g, const struct ie_policy *p, const char *name,
                      enum ie_policy_key key, double threshold, size_t total,
                      const struct samples *s)
{
    double v = pct(s->count, total);
    struct ie_gate_check *c = add_check(g, name, threshold, (p->written_as_int >> key) & 1,
                                        ie_round(v, 2), v <= threshold);
    take_samples(c, s);
}

/* imgeda's max_duplicate_pct: every member of an exact-phash group but the first counts; the
 * samples are the groups' later members, group by group, until there are 10. */
static void duplicate_check(struct ie_gate_result *g, const struct ie_slim_manifest *m,
                            const struct ie_policy *p)
{
    uint32_t *group_of = NULL, *sizes = NULL;
    size_t n_groups = 0, dup_count = 0, wanted = 0, n_chosen = 0;
    uint32_t chosen[IE_GATE_MAX_SAMPLES];
    struct samples per_group[IE_GATE_MAX_SAMPLES], s = {0};
    bool *seen_first = NULL;

    ie_slim_manifest_exact_groups(m, &group_of, &sizes, &n_groups);
    for (size_t gi = 0; gi < n_groups; gi++) {
        if (sizes[gi] < 2)
            continue;
        dup_count += sizes[gi] - 1;
        if (wanted < IE_GATE_MAX_SAMPLES) {
            chosen[n_chosen++] = (uint32_t)gi;
            wanted += sizes[gi] - 1;
        }
    }
    memset(per_group, 0, sizeof(per_group));
    seen_first = ie_xcalloc(n_chosen ? n_chosen : 1, sizeof(*seen_first));
    for (size_t i = 0; i < m->n && n_chosen; i++) {
        uint32_t gid = group_of[i];
        if (gid == UINT32_MAX || gid > chosen[n_chosen - 1])
            continue;
        for (size_t k = 0; k < n_chosen; k++) {
            if (chosen[k] != gid)
                continue;
            if (seen_first[k])
                sample(&per_group[k], m->recs[i].path);
            seen_first[k] = true;
            break;
        }
    }
    for (size_t k = 0; k < n_chosen; k++)
        for (size_t j = 0; j < IE_MIN(per_group[k].count, (size_t)IE_GATE_MAX_SAMPLES); j++)
            if (s.count < IE_GATE_MAX_SAMPLES)
                sample(&s, per_group[k].paths[j]);
    s.count = dup_count; /* the percentage counts all of them */
    pct_check(g, p, "max_duplicate_pct", IE_POLICY_MAX_DUPLICATE_PCT, p->max_duplicate_pct, m->n,
              &s);
    free(seen_first);
    free(group_of);
    free(sizes);
}

void ie_gate_evaluate(const struct ie_slim_manifest *m, const struct ie_policy *p,
                      struct ie_gate_result *g)
{
    struct samples corrupt = {0}, over = {0}, dark = {0}, blurry = {0}, artifact = {0};
    struct samples narrow = {0}, short_ = {0}, bad_format = {0}, extreme = {0};
    int64_t min_w = 0, min_h = 0;
    double max_ar = 0.0;
    bool any_valid = false, max_ar_is_int = false;
    /* Formats are interned, so the verdict of each distinct pointer is remembered. */
    const char *fmt_seen[16] = {0};
    bool fmt_ok[16];
    size_t n_fmt = 0;
    size_t total = m->n;

    ie_gate_result_release(g);
    g->total_images = total;
    if (total == 0) {
        add_check(g, "min_images_total", (double)p->min_images_total, false, 0.0, false);
        g->passed = false;
        return;
    }
    for (size_t i = 0; i < total; i++) {
        const struct ie_slim_record *r = &m->recs[i];
        if (r->flags & IE_SLIM_F_CORRUPT)
            sample(&corrupt, r->path);
        if (r->flags & IE_SLIM_F_OVEREXPOSED)
            sample(&over, r->path);
        if (r->flags & IE_SLIM_F_DARK)
            sample(&dark, r->path);
        if (r->flags & IE_SLIM_F_BLURRY)
            sample(&blurry, r->path);
        if (r->flags & IE_SLIM_F_ARTIFACT)
            sample(&artifact, r->path);
        if (r->flags & IE_SLIM_F_CORRUPT)
            continue;
        /* The rest is over valid (not corrupt) records only, as imgeda's `valid`. */
        if (!any_valid || r->width < min_w)
            min_w = r->width;
        if (!any_valid || r->height < min_h)
            min_h = r->height;
        if (!any_valid || r->aspect_ratio > max_ar) {
            max_ar = r->aspect_ratio;
            /* Python's max() keeps the first of equal maxima, and round() keeps an int. */
            max_ar_is_int = (r->irregular & (1u << IE_SLIM_ASPECT_RATIO)) &&
                            m->irr[r->irregular_block - 1].v[IE_SLIM_ASPECT_RATIO].type == IE_JINT;
        }
        any_valid = true;
        if (p->min_width > 0 && r->width < p->min_width)
            sample(&narrow, r->path);
        if (p->min_height > 0 && r->height < p->min_height)
            sample(&short_, r->path);
        if (p->max_aspect_ratio > 0 && r->aspect_ratio > p->max_aspect_ratio)
            sample(&extreme, r->path);
        if (p->n_allowed_formats) {
            size_t k = 0;
            while (k < n_fmt && fmt_seen[k] != r->format)
                k++;
            bool ok;
            if (k < n_fmt) {
                ok = fmt_ok[k];
            } else {
                ok = ie_policy_format_allowed(p, r->format);
                if (n_fmt < IE_ARRAY_LEN(fmt_seen)) {
                    fmt_seen[n_fmt] = r->format;
                    fmt_ok[n_fmt++] = ok;
                }
            }
            if (!ok)
                sample(&bad_format, r->path);
        }
    }
    /* max(..., default=0.0) over an empty `valid` */
    if (!any_valid) {
        max_ar = 0.0;
        max_ar_is_int = false;
    }

    add_check(g, "min_images_total", (double)p->min_images_total, false, (double)total,
              (int64_t)total >= p->min_images_total);
    pct_check(g, p, "max_corrupt_pct", IE_POLICY_MAX_CORRUPT_PCT, p->max_corrupt_pct, total,
              &corrupt);
    pct_check(g, p, "max_overexposed_pct", IE_POLICY_MAX_OVEREXPOSED_PCT, p->max_overexposed_pct,
              total, &over);
    pct_check(g, p, "max_underexposed_pct", IE_POLICY_MAX_UNDEREXPOSED_PCT, p->max_underexposed_pct,
              total, &dark);
    duplicate_check(g, m, p);
    if (p->max_blurry_pct < 100.0)
        pct_check(g, p, "max_blurry_pct", IE_POLICY_MAX_BLURRY_PCT, p->max_blurry_pct, total,
                  &blurry);
    if (p->max_artifact_pct < 100.0)
        pct_check(g, p, "max_artifact_pct", IE_POLICY_MAX_ARTIFACT_PCT, p->max_artifact_pct, total,
                  &artifact);
    if (p->min_width > 0)
        take_samples(add_check(g, "min_width", (double)p->min_width, false, (double)min_w,
                               narrow.count == 0),
                     &narrow);
    if (p->min_height > 0)
        take_samples(add_check(g, "min_height", (double)p->min_height, false, (double)min_h,
                               short_.count == 0),
                     &short_);
    if (p->n_allowed_formats)
        take_samples(add_check(g, "allowed_formats", 0.0, false, (double)bad_format.count,
                               bad_format.count == 0),
                     &bad_format);
    if (p->max_aspect_ratio > 0)
        take_samples(add_check(g, "max_aspect_ratio", p->max_aspect_ratio,
                               (p->written_as_int >> IE_POLICY_MAX_ASPECT_RATIO) & 1,
                               ie_round(max_ar, 2), extreme.count == 0),
                     &extreme);
    if (p->max_aspect_ratio > 0)
        g->checks[g->n_checks - 1].observed_is_int = max_ar_is_int;
    g->passed = true;
    for (size_t i = 0; i < g->n_checks; i++)
        g->passed = g->passed && g->checks[i].passed;
}

/* ---- JSON ---- */

static cJSON *raw_number(double v, bool as_int)
{
    char tmp[320]; /* "%.0f" of the largest double has 309 digits */
    if (as_int)
        snprintf(tmp, sizeof(tmp), "%.0f", v);
    else
        ie_fmt_double(tmp, sizeof(tmp), v);
    return cJSON_CreateRaw(tmp);
}

cJSON *ie_gate_result_to_cjson(const struct ie_gate_result *g)
{
    cJSON *o = cJSON_CreateObject();
    char tmp[32];
    cJSON_AddBoolToObject(o, "passed", g->passed);
    snprintf(tmp, sizeof(tmp), "%zu", g->total_images);
    cJSON_AddItemToObject(o, "total_images", cJSON_CreateRaw(tmp));
    cJSON *checks = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; i < g->n_checks; i++) {
        const struct ie_gate_check *c = &g->checks[i];
        cJSON *co = cJSON_CreateObject();
        cJSON_AddStringToObject(co, "name", c->name);
        cJSON_AddItemToObject(co, "threshold", raw_number(c->threshold, c->threshold_is_int));
        cJSON_AddItemToObject(co, "observed", raw_number(c->observed, c->observed_is_int));
        cJSON_AddBoolToObject(co, "passed", c->passed);
        cJSON *sp = cJSON_AddArrayToObject(co, "sample_paths");
        for (size_t j = 0; j < c->n_samples; j++)
            cJSON_AddItemToArray(sp, cJSON_CreateString(c->sample_paths[j]));
        cJSON_AddItemToArray(checks, co);
    }
    return o;
}

/* Escapes like Python's json/orjson: quote, backslash and control characters; UTF-8 as is. */
static void put_string(struct ie_buf *b, const char *s)
{
    ie_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            ie_buf_adds(b, "\\\"");
            break;
        case '\\':
            ie_buf_adds(b, "\\\\");
            break;
        case '\n':
            ie_buf_adds(b, "\\n");
            break;
        case '\r':
            ie_buf_adds(b, "\\r");
            break;
        case '\t':
            ie_buf_adds(b, "\\t");
            break;
        case '\b':
            ie_buf_adds(b, "\\b");
            break;
        case '\f':
            ie_buf_adds(b, "\\f");
            break;
        default:
            if (*p < 0x20)
                ie_buf_addf(b, "\\u%04x", *p);
            else
                ie_buf_addc(b, (char)*p);
        }
    }
    ie_buf_addc(b, '"');
}

/* Prints a cJSON tree like orjson: compact, or indented by 2 (OPT_INDENT_2); cJSON's own
 * formatter indents with tabs. */
static void put_json(struct ie_buf *b, const cJSON *item, int depth, bool pretty)
{
    if (cJSON_IsRaw(item)) {
        ie_buf_adds(b, item->valuestring);
    } else if (cJSON_IsString(item)) {
        put_string(b, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        char tmp[40];
        ie_fmt_double(tmp, sizeof(tmp), item->valuedouble);
        ie_buf_adds(b, tmp);
    } else if (cJSON_IsBool(item)) {
        ie_buf_adds(b, cJSON_IsTrue(item) ? "true" : "false");
    } else if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
        bool obj = cJSON_IsObject(item);
        ie_buf_addc(b, obj ? '{' : '[');
        for (const cJSON *c = item->child; c; c = c->next) {
            if (c != item->child)
                ie_buf_addc(b, ',');
            if (pretty)
                ie_buf_addf(b, "\n%*s", 2 * (depth + 1), "");
            if (obj) {
                put_string(b, c->string);
                ie_buf_adds(b, pretty ? ": " : ":");
            }
            put_json(b, c, depth + 1, pretty);
        }
        if (pretty && item->child)
            ie_buf_addf(b, "\n%*s", 2 * depth, "");
        ie_buf_addc(b, obj ? '}' : ']');
    } else {
        ie_buf_adds(b, "null");
    }
}

char *ie_gate_result_to_json(const struct ie_gate_result *g, bool pretty)
{
    struct ie_buf b;
    cJSON *o = ie_gate_result_to_cjson(g);
    ie_buf_init(&b);
    put_json(&b, o, 0, pretty);
    cJSON_Delete(o);
    return ie_buf_detach(&b);
}
