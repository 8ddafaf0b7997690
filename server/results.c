/* Results of finished scans and their warm-up (see results.h).
 * DESIGN: one function per result, shared by the API (which computes on a cache miss) and the
 * warm-up after a scan succeeds (which computes before anyone asks), so both produce the same
 * bytes under the same key. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/checks.h"
#include "imgeda/duplicates.h"
#include "imgeda/json.h"
#include "imgeda/summary.h"
#include "results.h"

struct srv_records srv_records_of_manifest(const struct ie_manifest *m)
{
    struct srv_records r = {ie_recsrc_array(m->recs, m->n), m->meta.settings_json, m};
    return r;
}

struct srv_records srv_records_of_lean(const struct ie_lean_manifest *m)
{
    struct srv_records r = {ie_lean_manifest_src(m), m->settings_json, NULL};
    return r;
}

void srv_result_key(char *out, size_t n, const struct srv_scan_row *row, const char *what)
{
    /* Keys are bounded by the caller's buffer; a longer one (never made by the API) is cut. */
    if (snprintf(out, n, "%s|%s|%s", row->id, row->finished_at ? row->finished_at : "", what) >=
        (int)n)
        out[n - 1] = '\0';
}

void srv_result_duplicates_what(char *out, size_t n, int threshold)
{
    snprintf(out, n, "duplicates:%d", threshold);
}

void srv_result_check_what(char *out, size_t n, const char *name)
{
    snprintf(out, n, "check:%s", name);
}

/* Prints o (consumed) into out. Paths of an imported manifest may hold bytes that are not
 * UTF-8 (cJSON reads and prints them as they are): they are written as \xNN, as scans record
 * such names, so the result stays JSON. */
static void json_into(struct ie_buf *out, cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s && !ie_utf8_valid(s, strlen(s))) {
        char *safe = ie_utf8_sanitize_json(s, strlen(s));
        free(s);
        s = safe;
    }
    if (s)
        ie_buf_adds(out, s);
    free(s);
}

int srv_result_summary(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                       struct ie_buf *out, const char **mime, struct ie_err *err)
{
    struct ie_summary sum;
    struct ie_record tmp;
    (void)row;
    (void)ctx;
    (void)mime;
    (void)err;
    ie_summary_init(&sum);
    for (size_t i = 0; i < m->src.n; i++)
        ie_summary_add(&sum, ie_recsrc_at(&m->src, i, &tmp));
    ie_summary_finish(&sum);
    json_into(out, ie_summary_to_cjson(&sum));
    ie_summary_release(&sum);
    return 0;
}

/* The image ids of records given by their index in the loaded manifest. An image's id is its
 * record's 1-based position in ie_manifest_load's order (srv_store_index_manifest numbers them
 * so, and results are computed from the same load), so no database lookup is needed. */
static cJSON *ids_array(const size_t *idx, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)idx[i] + 1));
    return a;
}

static cJSON *group_ids(const struct ie_dup_list *l)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < l->n; i++)
        cJSON_AddItemToArray(a, ids_array(l->groups[i].recs, l->groups[i].n));
    return a;
}

/* SPEC 4.1's object plus, for the dashboard's thumbnails and links, the image id of every path:
 * "exact_ids" and "byte_identical_ids" parallel to "exact" and "byte_identical", "ids" in each
 * near group parallel to its "paths", and "flat_ids" parallel to "flat". */
int srv_result_duplicates(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err)
{
    const struct ie_dup_opts *opts = ctx;
    struct ie_duplicates d;
    (void)row;
    (void)mime;
    ie_duplicates_init(&d);
    int rc = ie_duplicates_find_src(&m->src, opts, &d, err);
    if (rc == 0) {
        cJSON *o = ie_duplicates_to_json_src(&d, &m->src);
        cJSON_AddItemToObject(o, "exact_ids", group_ids(&d.exact));
        cJSON_AddItemToObject(o, "byte_identical_ids", group_ids(&d.byte_identical));
        cJSON *near = cJSON_GetObjectItemCaseSensitive(o, "near");
        size_t i = 0;
        for (cJSON *g = near ? near->child : NULL; g && i < d.near.n; g = g->next, i++)
            cJSON_AddItemToObject(g, "ids", ids_array(d.near.groups[i].recs, d.near.groups[i].n));
        cJSON_AddItemToObject(o, "flat_ids", ids_array(d.flat, d.n_flat));
        cJSON_AddNumberToObject(o, "threshold", opts->threshold);
        json_into(out, o);
    }
    ie_duplicates_release(&d);
    return rc;
}

void srv_result_dup_index_what(char *out, size_t n, const struct srv_dup_page_req *q)
{
    snprintf(out, n, "dup_index:%s:%d", q->near ? "near" : "exact", q->near ? q->threshold : 0);
}

static int phash_distance(const struct ie_record *a, const struct ie_record *b)
{
    if (!a->has_phash || !b->has_phash)
        return -1;
    int d = 0;
    for (int w = 0; w < 4; w++)
        d += __builtin_popcountll(a->phash.w[w] ^ b->phash.w[w]);
    return d;
}

static cJSON *dup_group_json(const struct ie_recsrc *recs, const struct ie_dup_group *g)
{
    struct ie_record ta, tf;
    cJSON *o = cJSON_CreateObject(), *members;
    size_t keeper = ie_duplicates_keeper_src(recs, g);
    const struct ie_record *first = ie_recsrc_at(recs, g->recs[0], &tf);
    size_t shown = g->n < SRV_DUP_PAGE_GROUP_MEMBERS ? g->n : SRV_DUP_PAGE_GROUP_MEMBERS;
    ie_json_add_int(o, "size", (int64_t)g->n);
    ie_json_add_int(o, "keeper", (int64_t)g->recs[keeper] + 1);
    cJSON_AddBoolToObject(o, "members_truncated", shown < g->n);
    members = cJSON_AddArrayToObject(o, "members");
    for (size_t k = 0; k < shown; k++) {
        const struct ie_record *r = ie_recsrc_at(recs, g->recs[k], &ta);
        cJSON *mo = cJSON_CreateObject();
        int d = phash_distance(first, r);
        ie_json_add_int(mo, "id", (int64_t)g->recs[k] + 1);
        ie_json_add_str_or_null(mo, "path", r->path);
        ie_json_add_int(mo, "width", r->width);
        ie_json_add_int(mo, "height", r->height);
        ie_json_add_int(mo, "file_size_bytes", r->file_size_bytes);
        ie_json_add_str_or_null(mo, "format", r->format);
        if (d >= 0)
            ie_json_add_int(mo, "distance", d);
        else
            cJSON_AddNullToObject(mo, "distance");
        cJSON_AddItemToArray(members, mo);
    }
    return o;
}

/* The index blob: a header, one entry per group, then each group's JSON text. */
struct dup_index_head {
    uint64_t n_groups, total_images;
};
struct dup_index_entry {
    uint64_t off, len, listed;
};

int srv_result_dup_index(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                         struct ie_buf *out, const char **mime, struct ie_err *err)
{
    const struct srv_dup_page_req *q = ctx;
    struct ie_dup_opts opts;
    struct ie_duplicates d;
    struct ie_buf text;
    (void)row;
    *mime = "application/octet-stream";
    ie_dup_opts_init(&opts);
    opts.threshold = q->threshold;
    ie_duplicates_init(&d);
    ie_buf_init(&text);
    int rc = ie_duplicates_find_src(&m->src, &opts, &d, err);
    if (rc < 0)
        goto out;
    const struct ie_dup_list *l = q->near ? &d.near : &d.exact;
    struct dup_index_head head = {l->n, 0};
    struct dup_index_entry *ents = ie_xcalloc(l->n ? l->n : 1, sizeof(*ents));
    for (size_t i = 0; i < l->n; i++) {
        size_t before = text.len;
        head.total_images += l->groups[i].n;
        json_into(&text, dup_group_json(&m->src, &l->groups[i]));
        ents[i] = (struct dup_index_entry){before, text.len - before,
                                           l->groups[i].n < SRV_DUP_PAGE_GROUP_MEMBERS
                                               ? l->groups[i].n
                                               : SRV_DUP_PAGE_GROUP_MEMBERS};
    }
    ie_buf_add(out, &head, sizeof(head));
    ie_buf_add(out, ents, l->n * sizeof(*ents));
    ie_buf_add(out, text.data ? text.data : "", text.len);
    free(ents);
out:
    ie_buf_release(&text);
    ie_duplicates_release(&d);
    return rc;
}

int srv_dup_page_from_index(const void *blob, size_t len, const struct srv_dup_page_req *q,
                            struct ie_buf *out)
{
    struct dup_index_head head;
    const char *p = blob;
    size_t i, listed = 0;
    if (len < sizeof(head))
        return IE_EINVAL;
    memcpy(&head, p, sizeof(head));
    if (head.n_groups > (len - sizeof(head)) / sizeof(struct dup_index_entry))
        return IE_EINVAL;
    const char *ents = p + sizeof(head);
    const char *text = ents + head.n_groups * sizeof(struct dup_index_entry);
    size_t text_len = len - (size_t)(text - p);
    ie_buf_adds(out, q->near ? "{\"kind\":\"near\"" : "{\"kind\":\"exact\"");
    if (q->near)
        ie_buf_addf(out, ",\"threshold\":%d", q->threshold);
    else
        ie_buf_adds(out, ",\"threshold\":null");
    /* The duplicate count: images beyond one per group (see README, "Duplicates"). */
    ie_buf_addf(out,
                ",\"total_groups\":%llu,\"total_images\":%llu,\"duplicate_count\":%llu,"
                "\"groups\":[",
                (unsigned long long)head.n_groups, (unsigned long long)head.total_images,
                (unsigned long long)(head.total_images - head.n_groups));
    for (i = q->cursor; i < head.n_groups && i < q->cursor + (size_t)q->limit; i++) {
        struct dup_index_entry e;
        memcpy(&e, ents + i * sizeof(e), sizeof(e));
        if (i > q->cursor && listed >= SRV_DUP_PAGE_MEMBERS)
            break;
        if (e.off > text_len || e.len > text_len - e.off)
            return IE_EINVAL;
        if (i > q->cursor)
            ie_buf_addc(out, ',');
        ie_buf_add(out, text + e.off, e.len);
        listed += e.listed;
    }
    if (i < head.n_groups)
        ie_buf_addf(out, "],\"next_cursor\":\"%zu\"}", i);
    else
        ie_buf_adds(out, "],\"next_cursor\":null}");
    return 0;
}

/* Thresholds are the scan's own (its manifest settings). */
int srv_result_checks(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                      struct ie_buf *out, const char **mime, struct ie_err *err)
{
    unsigned kinds = *(const unsigned *)ctx;
    struct ie_check_thresholds t;
    cJSON *result = NULL, *checks = NULL;
    (void)row;
    (void)mime;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, m->settings_json);
    if (kinds == IE_CHECK_ALL) {
        result = cJSON_CreateObject();
        cJSON_AddNumberToObject(result, "total_images", (double)m->src.n);
        checks = cJSON_AddObjectToObject(result, "checks");
    }
    for (int k = 0; k < IE_CHECK_NKINDS; k++) {
        struct ie_check_result res;
        if (!(kinds & (1u << k)))
            continue;
        ie_check_result_init(&res);
        if (ie_check_run_src((enum ie_check_kind)k, &m->src, &t, &res, err) < 0) {
            ie_check_result_release(&res);
            cJSON_Delete(result);
            return err->code;
        }
        cJSON *o = ie_check_result_to_json_src(&res, &m->src, &t);
        ie_check_result_release(&res);
        if (checks)
            cJSON_AddItemToObject(checks, ie_check_name((enum ie_check_kind)k), o);
        else
            result = o;
    }
    json_into(out, result);
    return 0;
}

void srv_result_plot_what(char *out, size_t n, const char *file, long long dpi, long long sample)
{
    if (snprintf(out, n, "plot:%s:%lld:%lld", file, dpi, sample) >= (int)n)
        out[n - 1] = '\0';
}

static const char *plot_mime(enum ie_plot_format f)
{
    return f == IE_PLOT_PNG ? "image/png" : f == IE_PLOT_SVG ? "image/svg+xml" : "application/pdf";
}

int srv_result_plot(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                    struct ie_buf *out, const char **mime, struct ie_err *err)
{
    struct srv_plot_request *pr = ctx;
    (void)row;
    ie_plot_opts_apply_settings(&pr->o, m->settings_json);
    *mime = plot_mime(pr->o.format);
    return ie_plot_render_src(&m->src, pr->type, &pr->o, out, err);
}

/* The warmed results, in the order a dashboard needs them, with the parameters its requests
 * pass (the `what` must be the one the API builds for that request). */
#define WARM_MAX (5 + IE_PLOT_NTYPES + SRV_WARM_THRESHOLD_MAX + 1)
struct warmed {
    char what[64];
    srv_result_fn fn;
    void *ctx;
};
struct warm_params {
    struct ie_dup_opts dup;
    unsigned all;
    struct srv_plot_request plots[IE_PLOT_NTYPES];
    /* The group indexes the paged duplicates API serves from: exact, and near at every
     * threshold of the dashboard's slider (the default first). */
    struct srv_dup_page_req pages[SRV_WARM_THRESHOLD_MAX + 2];
};

static void warm_page(struct warmed out[WARM_MAX], size_t *n, struct srv_dup_page_req *q, bool near,
                      int threshold)
{
    *q = (struct srv_dup_page_req){.near = near, .threshold = threshold};
    srv_result_dup_index_what(out[*n].what, sizeof(out[*n].what), q);
    out[*n].fn = srv_result_dup_index;
    out[(*n)++].ctx = q;
}

/* The whole duplicates answer (GET /duplicates without paging) is warmed at the default
 * threshold only: the dashboard pages, and holding whole answers for every threshold besides
 * the page indexes doubled the cache a large scan needs. Other thresholds compute on demand. */
static size_t warmed_list(struct warmed out[WARM_MAX], struct warm_params *p)
{
    size_t n = 0, k = 0;
    p->all = IE_CHECK_ALL;
    ie_dup_opts_init(&p->dup);
    p->dup.threshold = IE_DUP_DEFAULT_THRESHOLD;
    snprintf(out[n].what, sizeof(out[n].what), "%s", SRV_RESULT_SUMMARY);
    out[n].fn = srv_result_summary;
    out[n++].ctx = NULL;
    srv_result_check_what(out[n].what, sizeof(out[n].what), "all");
    out[n].fn = srv_result_checks;
    out[n++].ctx = &p->all;
    srv_result_duplicates_what(out[n].what, sizeof(out[n].what), IE_DUP_DEFAULT_THRESHOLD);
    out[n].fn = srv_result_duplicates;
    out[n++].ctx = &p->dup;
    warm_page(out, &n, &p->pages[k++], false, 0);
    warm_page(out, &n, &p->pages[k++], true, IE_DUP_DEFAULT_THRESHOLD);
    snprintf(out[n].what, sizeof(out[n].what), "%s", SRV_RESULT_HISTOGRAMS);
    out[n].fn = srv_result_histograms;
    out[n++].ctx = NULL;
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        struct srv_plot_request *pr = &p->plots[t];
        char file[32];
        ie_plot_opts_init(&pr->o);
        pr->type = (enum ie_plot_type)t;
        pr->o.format = IE_PLOT_PNG;
        pr->o.dpi = SRV_PLOT_DEFAULT_DPI;
        pr->o.sample = 0;
        snprintf(file, sizeof(file), "%s.png", ie_plot_type_name(pr->type));
        srv_result_plot_what(out[n].what, sizeof(out[n].what), file, SRV_PLOT_DEFAULT_DPI, 0);
        out[n].fn = srv_result_plot;
        out[n++].ctx = pr;
    }
    for (int t = 0; t <= SRV_WARM_THRESHOLD_MAX; t++)
        if (t != IE_DUP_DEFAULT_THRESHOLD)
            warm_page(out, &n, &p->pages[k++], true, t);
    return n;
}

bool srv_result_is_warmed(const char *what)
{
    struct warmed w[WARM_MAX];
    struct warm_params p;
    size_t n = warmed_list(w, &p);
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i].what, what) == 0)
            return true;
    return false;
}

int srv_results_warm(const struct srv_scan_row *row, const struct srv_records *m,
                     const atomic_bool *stop, srv_result_put_fn put, void *ud, struct ie_err *err)
{
    struct warmed w[WARM_MAX];
    struct warm_params p;
    size_t n = warmed_list(w, &p);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct ie_buf out;
        const char *mime = "application/json";
        char key[256];
        if (atomic_load(stop))
            return ie_err_set(err, IE_ECANCELED, "warm-up of scan %s cancelled", row->id);
        ie_buf_init(&out);
        rc = w[i].fn(row, m, w[i].ctx, &out, &mime, err);
        if (rc == 0) {
            srv_result_key(key, sizeof(key), row, w[i].what);
            put(ud, key, out.data ? out.data : "", out.len, mime);
        }
        ie_buf_release(&out);
    }
    return rc;
}
