/* Results of a finished scan: summary, checks, duplicates, plots, report, annotation statistics,
 * and leakage across several scans.
 * DESIGN: every result goes through serve_result: the result cache, the warm-up that may be
 * computing it, and on a miss the computation of results.c on this connection's thread. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "cache.h"
#include "imgeda/annotations.h"
#include "imgeda/checks.h"
#include "imgeda/duplicates.h"
#include "imgeda/manifest.h"
#include "imgeda/plot.h"
#include "imgeda/report.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "results.h"
#include "warm.h"

static int load_records(struct srv_req *r, struct srv_scan_row *row, struct ie_manifest *m,
                        struct ie_err *err)
{
    int rc = srv_api_load_finished_scan(r, row, err);
    if (rc < 0)
        return rc;
    ie_manifest_init(m);
    return ie_manifest_load(row->manifest_path, m, err);
}

/* The records of row for fn: a lean manifest, or with full the whole manifest (the report
 * prints fields the lean one does not keep). */
static int load_for_result(const struct srv_scan_row *row, bool full, struct ie_lean_manifest *lm,
                           struct ie_manifest *fm, struct srv_records *recs, struct ie_err *err)
{
    int rc = full ? ie_manifest_load(row->manifest_path, fm, err)
                  : ie_lean_manifest_load(row->manifest_path, lm, err);
    if (rc == 0)
        *recs = full ? srv_records_of_manifest(fm) : srv_records_of_lean(lm);
    return rc;
}

/* The common path of every result of a finished scan: check the scan, answer from the cache,
 * else load the records, compute, cache and reply. `what` names the result in the cache key. */
static enum MHD_Result serve_result_of(struct srv_req *r, const char *what, srv_result_fn fn,
                                       void *ctx, bool full)
{
    struct srv_scan_row row = {0};
    struct ie_lean_manifest m;
    struct ie_manifest fm;
    struct srv_records recs;
    struct ie_err err = {0};
    struct ie_buf out;
    const char *mime = "application/json";
    char key[256];
    enum MHD_Result rc;
    /* Before the row is read: a DELETE after that drops the scan's keys after this epoch, and
     * the put below then knows its result is of a deleted scan. */
    uint64_t epoch = srv_cache_epoch(r->ctx->cache);
    ie_lean_manifest_init(&m);
    ie_manifest_init(&fm);
    ie_buf_init(&out);
    if (srv_api_load_finished_scan(r, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    srv_result_key(key, sizeof(key), &row, what);
    /* A result the warm-up computes is taken from it: the one running (records already in
     * memory), or, when the scan was never warmed in this process (it succeeded before a
     * restart) or the cache evicted the result, one started now, which every request missing
     * this scan's results at the same time shares. */
    if (srv_result_is_warmed(what)) {
        if (!srv_cache_has(r->ctx->cache, key)) {
            struct ie_err ignored = {0};
            srv_jobs_warm(r->ctx->jobs, row.id, NULL, &ignored);
        }
        srv_warm_await(r->ctx->warm, row.id, key, SRV_WARM_WAIT_MS);
    }
    if (srv_api_reply_cached(r, key, &rc))
        goto out;
    if (load_for_result(&row, full, &m, &fm, &recs, &err) < 0 ||
        fn(&row, &recs, ctx, &out, &mime, &err) < 0) {
        rc = srv_api_reply_scan_err(r, row.id, &err);
        goto out;
    }
    srv_cache_put_since(r->ctx->cache, epoch, key, out.data ? out.data : "", out.len, mime);
    {
        size_t n = out.len;
        rc = srv_reply_buffer(r, 200, mime, ie_buf_detach(&out), n);
    }
out:
    ie_buf_release(&out);
    ie_lean_manifest_release(&m);
    ie_manifest_release(&fm);
    srv_scan_row_release(&row);
    return rc;
}

static enum MHD_Result serve_result(struct srv_req *r, const char *what, srv_result_fn fn,
                                    void *ctx)
{
    return serve_result_of(r, what, fn, ctx, false);
}

static bool parse_threshold(struct srv_req *r, const char *s, int *out)
{
    long long t = IE_DUP_DEFAULT_THRESHOLD;
    (void)r;
    if (!srv_api_parse_int(s, 0, IE_HASH_INDEX_MAX_THRESHOLD, &t))
        return false;
    *out = (int)t;
    return true;
}

/* The group index of q's kind for the scan in row: from the cache, else computed from the
 * records and cached (simultaneous misses compute it twice, as other results do). Returns a
 * malloc'd blob or NULL with err set. */
static void *dup_index(struct srv_req *r, const struct srv_scan_row *row,
                       const struct srv_dup_page_req *q, uint64_t epoch, size_t *len,
                       struct ie_err *err)
{
    struct ie_lean_manifest m;
    struct ie_buf blob;
    const char *mime = NULL;
    char what[64], key[256], *ct = NULL;
    srv_result_dup_index_what(what, sizeof(what), q);
    srv_result_key(key, sizeof(key), row, what);
    /* The default kinds are warmed with the scan's other results (see serve_result). */
    if (srv_result_is_warmed(what)) {
        if (!srv_cache_has(r->ctx->cache, key)) {
            struct ie_err ignored = {0};
            srv_jobs_warm(r->ctx->jobs, row->id, NULL, &ignored);
        }
        srv_warm_await(r->ctx->warm, row->id, key, SRV_WARM_WAIT_MS);
    }
    void *data = srv_cache_get(r->ctx->cache, key, len, &ct);
    free(ct);
    if (data)
        return data;
    struct srv_records recs;
    ie_lean_manifest_init(&m);
    ie_buf_init(&blob);
    if (load_for_result(row, false, &m, NULL, &recs, err) == 0 &&
        srv_result_dup_index(row, &recs, (void *)q, &blob, &mime, err) == 0) {
        srv_cache_put_since(r->ctx->cache, epoch, key, blob.data ? blob.data : "", blob.len, mime);
        *len = blob.len;
        data = blob.data ? ie_buf_detach(&blob) : ie_xstrdup("");
    }
    ie_buf_release(&blob);
    ie_lean_manifest_release(&m);
    return data;
}

/* GET duplicates?cursor=&limit=&kind=exact|near&threshold=: a page of groups to review, cut
 * from the kind's group index (computed once per scan, kind and threshold). */
static enum MHD_Result duplicate_page(struct srv_req *r, int threshold)
{
    const char *kind = srv_query(r, "kind");
    long long limit = 20, cursor = 0;
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    struct ie_buf page;
    enum MHD_Result rc;
    size_t len = 0;
    void *blob = NULL;
    if (kind && strcmp(kind, "exact") != 0 && strcmp(kind, "near") != 0)
        return srv_reply_error(r, 400, "bad_request", "kind: exact or near");
    if (!srv_api_parse_int(srv_query(r, "limit"), 1, 100, &limit))
        return srv_reply_error(r, 400, "bad_request", "limit: a number in 1..100");
    if (!srv_api_parse_int(srv_query(r, "cursor"), 0, INT32_MAX, &cursor))
        return srv_reply_error(r, 400, "bad_request", "cursor: not a cursor");
    struct srv_dup_page_req q = {.near = kind && strcmp(kind, "near") == 0,
                                 .threshold = threshold,
                                 .cursor = (size_t)cursor,
                                 .limit = (int)limit};
    /* Before the row is read, as serve_result does: a DELETE meanwhile refuses the put. */
    uint64_t epoch = srv_cache_epoch(r->ctx->cache);
    ie_buf_init(&page);
    if (srv_api_load_finished_scan(r, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    if (!(blob = dup_index(r, &row, &q, epoch, &len, &err))) {
        rc = srv_api_reply_scan_err(r, row.id, &err);
        goto out;
    }
    if (srv_dup_page_from_index(blob, len, &q, &page) < 0) {
        rc = srv_reply_error(r, 500, "internal", "a damaged duplicate index");
        goto out;
    }
    {
        size_t n = page.len;
        rc = srv_reply_buffer(r, 200, "application/json", ie_buf_detach(&page), n);
    }
out:
    free(blob);
    ie_buf_release(&page);
    srv_scan_row_release(&row);
    return rc;
}

enum MHD_Result srv_h_duplicates(struct srv_req *r)
{
    struct ie_dup_opts opts;
    char what[64];
    ie_dup_opts_init(&opts);
    if (!parse_threshold(r, srv_query(r, "threshold"), &opts.threshold))
        return srv_reply_error(r, 400, "bad_request", "threshold: a number in 0..%d",
                               IE_HASH_INDEX_MAX_THRESHOLD);
    /* Paging parameters ask for the reviewing view; without them, SPEC 4.1's whole answer. */
    if (srv_query(r, "cursor") || srv_query(r, "limit") || srv_query(r, "kind"))
        return duplicate_page(r, opts.threshold);
    srv_result_duplicates_what(what, sizeof(what), opts.threshold);
    return serve_result(r, what, srv_result_duplicates, &opts);
}

enum MHD_Result srv_h_summary(struct srv_req *r)
{
    if (srv_api_marks_wanted(r))
        return srv_api_marks_summary(r);
    return serve_result(r, SRV_RESULT_SUMMARY, srv_result_summary, NULL);
}

/* GET histograms: the threshold sliders' counts (results.h srv_result_histograms). */
enum MHD_Result srv_h_histograms(struct srv_req *r)
{
    return serve_result(r, SRV_RESULT_HISTOGRAMS, srv_result_histograms, NULL);
}

/* GET checks/{name}: one check's result, or for "all" {"total_images", "checks": {name: ...}}
 * like `imgeda check all --json`. */
enum MHD_Result srv_h_check(struct srv_req *r)
{
    struct ie_err err = {0};
    unsigned kinds = 0;
    char what[64];
    if (ie_check_parse(r->params[1], &kinds, &err) < 0) {
        err.code = IE_ENOENT;
        return srv_reply_ie_err(r, &err);
    }
    srv_result_check_what(what, sizeof(what), r->params[1]);
    return serve_result(r, what, srv_result_checks, &kinds);
}

enum MHD_Result srv_h_leakage(struct srv_req *r)
{
    static const char *const allowed[] = {"splits", "threshold", NULL};
    struct ie_err err = {0};
    struct ie_leak_opts opts;
    struct ie_leakage lk;
    struct ie_manifest ms[16];
    struct ie_leak_split splits[16];
    size_t n = 0;
    enum MHD_Result rc;
    ie_leak_opts_init(&opts);
    ie_leakage_init(&lk);
    cJSON *body = srv_api_parse_body(r, allowed, &err);
    if (!body)
        return srv_reply_ie_err(r, &err);
    cJSON *js = cJSON_GetObjectItemCaseSensitive(body, "splits");
    cJSON *jt = cJSON_GetObjectItemCaseSensitive(body, "threshold");
    if (!cJSON_IsObject(js) || cJSON_GetArraySize(js) < 2 || cJSON_GetArraySize(js) > 16) {
        ie_err_set(&err, IE_EINVAL, "splits: an object of 2 to 16 {name: scan_id}");
        goto bad;
    }
    if (jt) {
        if (!cJSON_IsNumber(jt) || jt->valuedouble != (int)jt->valuedouble || jt->valuedouble < 0 ||
            jt->valuedouble > IE_HASH_INDEX_MAX_THRESHOLD) {
            ie_err_set(&err, IE_EINVAL, "threshold: a whole number in 0..%d",
                       IE_HASH_INDEX_MAX_THRESHOLD);
            goto bad;
        }
        opts.threshold = (int)jt->valuedouble;
    }
    for (cJSON *it = js->child; it; it = it->next) {
        struct srv_scan_row row = {0};
        if (!cJSON_IsString(it)) {
            ie_err_set(&err, IE_EINVAL, "splits.%s: expected a scan id", it->string);
            goto bad;
        }
        r->params[0] = it->valuestring;
        int lr = load_records(r, &row, &ms[n], &err);
        srv_scan_row_release(&row);
        if (lr < 0) {
            if (err.code == IE_ENOENT)
                err.code = IE_EINVAL; /* a bad reference in the body, not a missing route */
            goto bad;
        }
        splits[n].name = it->string;
        splits[n].recs = ms[n].recs;
        splits[n].n = ms[n].n;
        n++;
    }
    if (ie_leakage_find(splits, n, &opts, &lk, &err) < 0)
        goto bad;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "threshold", opts.threshold);
    cJSON_AddItemToObject(o, "leaks", ie_leakage_to_json(&lk, splits));
    rc = srv_reply_json(r, 200, o);
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    for (size_t i = 0; i < n; i++)
        ie_manifest_release(&ms[i]);
    ie_leakage_release(&lk);
    cJSON_Delete(body);
    return rc;
}

enum MHD_Result srv_h_annotations(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    struct ie_annot_options o;
    struct ie_annot_result res;
    char key[256];
    enum MHD_Result rc;
    uint64_t epoch = srv_cache_epoch(r->ctx->cache); /* as in serve_result */
    ie_annot_options_init(&o);
    ie_annot_result_init(&res);
    if (srv_api_load_finished_scan(r, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    if (strncmp(row.root, "s3://", 5) == 0) {
        /* Annotation files are read from a folder; a bucket's are not fetched (yet). */
        rc = srv_reply_error(r, 400, "bad_request",
                             "annotations are read from a folder; %s is a bucket", row.root);
        goto out;
    }
    if (!srv_api_path_allowed(r->ctx->cfg, row.root)) {
        rc =
            srv_reply_error(r, 403, "forbidden", "root %s is outside scan.allowed_roots", row.root);
        goto out;
    }
    srv_result_key(key, sizeof(key), &row, "annotations");
    if (srv_api_reply_cached(r, key, &rc))
        goto out;
    if (ie_annot_analyze(row.root, &o, &res, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    {
        char *json = ie_annot_result_to_json(&res, false);
        size_t n = strlen(json);
        srv_cache_put_since(r->ctx->cache, epoch, key, json, n, "application/json");
        rc = srv_reply_buffer(r, 200, "application/json", json, n);
    }
out:
    ie_annot_result_release(&res);
    srv_scan_row_release(&row);
    return rc;
}

/* GET plots/{type}.{png|svg|pdf}?dpi=&sample= */
enum MHD_Result srv_h_plot(struct srv_req *r)
{
    struct srv_plot_request pr;
    char what[160], type_name[64];
    long long dpi = SRV_PLOT_DEFAULT_DPI, sample = 0;
    int type = -1, fmt = -1;
    ie_plot_opts_init(&pr.o);
    const char *dot = strrchr(r->params[1], '.');
    if (dot && (size_t)(dot - r->params[1]) < sizeof(type_name)) {
        snprintf(type_name, sizeof(type_name), "%.*s", (int)(dot - r->params[1]), r->params[1]);
        type = ie_plot_type_parse(type_name);
        fmt = ie_plot_format_parse(dot + 1);
    }
    if (type < 0 || fmt < 0)
        return srv_reply_error(r, 404, "not_found",
                               "no plot %s (TYPE.png|svg|pdf; types: dimensions, "
                               "file-size, aspect-ratio, brightness, channels, "
                               "artifacts, duplicates, blur, exif-camera, exif-focal, "
                               "exif-iso)",
                               r->params[1]);
    if (!srv_api_parse_int(srv_query(r, "dpi"), 30, 600, &dpi) ||
        !srv_api_parse_int(srv_query(r, "sample"), 0, 100000000, &sample))
        return srv_reply_error(r, 400, "bad_request", "dpi: 30..600; sample: a number of records");
    pr.type = (enum ie_plot_type)type;
    pr.o.format = (enum ie_plot_format)fmt;
    pr.o.dpi = (double)dpi;
    pr.o.sample = (size_t)sample;
    srv_result_plot_what(what, sizeof(what), r->params[1], dpi, sample);
    return serve_result(r, what, srv_result_plot, &pr);
}

static int compute_report(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err)
{
    struct ie_report_opts *o = ctx;
    /* Thumbnails read the image files: only for scans whose paths we chose (not imports), and
     * only files that still resolve inside scan.allowed_roots (a link may have been swapped). */
    o->thumbnails = !row->imported;
    *mime = o->format == IE_REPORT_PDF ? "application/pdf" : "text/html; charset=utf-8";
    return ie_report_render(m->manifest, o, out, err);
}

/* GET report.{pdf|html} */
enum MHD_Result srv_h_report(struct srv_req *r)
{
    struct ie_report_opts o;
    const char *f = r->params[1];
    ie_report_opts_init(&o);
    if (strcmp(f, "pdf") != 0 && strcmp(f, "html") != 0)
        return srv_reply_error(r, 404, "not_found", "no report format \"%s\" (pdf, html)", f);
    o.format = strcmp(f, "pdf") == 0 ? IE_REPORT_PDF : IE_REPORT_HTML;
    struct ie_confine confine;
    const struct srv_config *cfg = r->ctx->cfg;
    ie_confine_init(&confine, (const char *const *)cfg->allowed_roots, cfg->n_allowed_roots);
    o.confine = &confine;
    enum MHD_Result rc = serve_result_of(
        r, o.format == IE_REPORT_PDF ? "report:pdf" : "report:html", compute_report, &o, true);
    ie_confine_release(&confine);
    return rc;
}
