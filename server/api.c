/* REST API v1 handlers and the route table (see api.h).
 * DESIGN: the table is the single source of truth: dispatch walks it, /api/v1/openapi.json is
 * generated from it, and a test checks both directions. Path parameters are validated here
 * (ids are hex, never file names), so no request can name a file outside the data dir. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cache.h"
#include "db.h"
#include "engine/export_sqlite.h"
#include "imgeda/analyze.h"
#include "imgeda/annotations.h"
#include "imgeda/export.h"
#include "imgeda/checks.h"
#include "imgeda/diff.h"
#include "imgeda/duplicates.h"
#include "imgeda/gate.h"
#include "imgeda/summary.h"
#include "imgeda/thumbnail.h"
#include "imgeda/manifest.h"
#include "imgeda/plot.h"
#include "imgeda/report.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "results.h"
#include "store.h"

typedef enum MHD_Result (*handler_fn)(struct srv_req *r);

struct route {
    const char *method;
    const char *pattern;
    const char *summary;
    handler_fn fn;
};

/* ---- helpers ---- */

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Loads the scan named by the first path parameter. */
static int load_scan(struct srv_req *r, struct srv_scan_row *row, struct ie_err *err)
{
    const char *id = r->params[0];
    if (!valid_id(id))
        return ie_err_set(err, IE_ENOENT, "no scan %s", id);
    sqlite3 *db = srv_http_db(r, err);
    if (!db)
        return IE_EIO;
    return srv_store_get_scan(db, id, row, err);
}

static cJSON *scan_json(struct srv_req *r, const struct srv_scan_row *row)
{
    cJSON *o = srv_scan_row_to_json(row);
    struct srv_job_state st;
    if (srv_jobs_state(r->ctx->jobs, row->id, &st) && strcmp(st.status, "running") == 0) {
        /* Live progress between checkpoints. */
        cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "progress");
        cJSON_ReplaceItemInObject(p, "total", cJSON_CreateNumber((double)st.p.total));
        cJSON_ReplaceItemInObject(p, "processed", cJSON_CreateNumber((double)st.p.processed));
        cJSON_ReplaceItemInObject(p, "corrupt", cJSON_CreateNumber((double)st.p.corrupt));
        cJSON_ReplaceItemInObject(p, "bytes", cJSON_CreateNumber((double)st.p.bytes));
        cJSON_ReplaceItemInObject(p, "rate_per_s", cJSON_CreateNumber(st.p.rate_per_s));
        cJSON_ReplaceItemInObject(
            p, "eta_s", st.p.eta_s >= 0 ? cJSON_CreateNumber(st.p.eta_s) : cJSON_CreateNull());
    }
    return o;
}

/* Parses the body as a JSON object whose keys are all in `allowed`. */
static cJSON *parse_body(struct srv_req *r, const char *const *allowed, struct ie_err *err)
{
    cJSON *o = cJSON_ParseWithLength(r->body, r->body_len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        ie_err_set(err, IE_EINVAL, "the body must be a JSON object");
        return NULL;
    }
    for (cJSON *it = o->child; it; it = it->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(it->string, allowed[i]) == 0;
        if (!ok) {
            ie_err_set(err, IE_EINVAL, "%s: unknown field", it->string);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

/* True if the resolved path real lies inside one of scan.allowed_roots. */
static bool inside_allowed(const struct srv_config *cfg, const char *real)
{
    for (int i = 0; i < cfg->n_allowed_roots; i++) {
        char allowed[PATH_MAX];
        if (!realpath(cfg->allowed_roots[i], allowed))
            continue;
        size_t n = strlen(allowed);
        if (strcmp(allowed, "/") == 0 ||
            (strncmp(real, allowed, n) == 0 && (real[n] == '\0' || real[n] == '/')))
            return true;
    }
    return false;
}

/* Resolves root and checks it is a directory inside one of scan.allowed_roots. */
static int check_root(const struct srv_config *cfg, const char *root, char **resolved,
                      struct ie_err *err)
{
    char real[PATH_MAX];
    struct stat st;
    if (!*root)
        return ie_err_set(err, IE_EINVAL, "root: must not be empty");
    if (!realpath(root, real))
        return ie_err_set(err, errno == ENOENT ? IE_EINVAL : IE_EPERM, "root: %s: %s", root,
                          strerror(errno));
    if (!inside_allowed(cfg, real))
        return ie_err_set(err, IE_EPERM, "root: %s is outside scan.allowed_roots", root);
    if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
        return ie_err_set(err, IE_EINVAL, "root: %s is not a directory", root);
    *resolved = ie_xstrdup(real);
    return 0;
}

/* True if path resolves inside scan.allowed_roots: imported manifests name paths we did not
 * choose, so files are read for them only where a scan could have been started. */
static bool path_allowed(const struct srv_config *cfg, const char *path)
{
    char real[PATH_MAX];
    return realpath(path, real) && inside_allowed(cfg, real);
}

/* ---- handlers ---- */

static enum MHD_Result h_healthz(struct srv_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "version", IMGEDA_VERSION);
    cJSON_AddStringToObject(o, "analyzer_version", IE_ANALYZER_VERSION);
    return srv_reply_json(r, 200, o);
}

static enum MHD_Result h_openapi(struct srv_req *r)
{
    return srv_reply_json(r, 200, srv_api_openapi());
}

static enum MHD_Result h_metrics(struct srv_req *r)
{
    struct ie_err err = {0};
    struct ie_buf b;
    struct srv_jobs_metrics jm;
    struct srv_cache_stats cs;
    unsigned long long req = 0, errs = 0;
    sqlite3 *db = srv_http_db(r, &err);
    if (!db)
        return srv_reply_ie_err(r, &err);
    ie_buf_init(&b);
    ie_buf_adds(&b, "# HELP imgedad_scans Scans by state.\n# TYPE imgedad_scans gauge\n");
    static const char *const states[] = {"queued", "running", "succeeded", "failed", "cancelled"};
    for (size_t i = 0; i < IE_ARRAY_LEN(states); i++) {
        sqlite3_stmt *st;
        long long n = 0;
        if (srv_db_prepare(db, "SELECT COUNT(*) FROM scans WHERE status = ?", &st, NULL) == 0) {
            sqlite3_bind_text(st, 1, states[i], -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        ie_buf_addf(&b, "imgedad_scans{state=\"%s\"} %lld\n", states[i], n);
    }
    srv_jobs_metrics(r->ctx->jobs, &jm);
    srv_http_metrics(r->ctx->http, &req, &errs);
    srv_cache_stats(r->ctx->cache, &cs);
    ie_buf_addf(&b,
                "# HELP imgedad_images_scanned_total Images analysed since start.\n"
                "# TYPE imgedad_images_scanned_total counter\nimgedad_images_scanned_total %llu\n"
                "# HELP imgedad_bytes_scanned_total Bytes read since start.\n"
                "# TYPE imgedad_bytes_scanned_total counter\nimgedad_bytes_scanned_total %llu\n"
                "# HELP imgedad_scan_errors_total Scans that failed since start.\n"
                "# TYPE imgedad_scan_errors_total counter\nimgedad_scan_errors_total %llu\n"
                "# HELP imgedad_http_requests_total HTTP requests since start.\n"
                "# TYPE imgedad_http_requests_total counter\nimgedad_http_requests_total %llu\n"
                "# HELP imgedad_http_errors_total HTTP replies with status >= 400.\n"
                "# TYPE imgedad_http_errors_total counter\nimgedad_http_errors_total %llu\n"
                "# HELP imgedad_results_warmed_total Scans whose first results were computed "
                "ahead of requests.\n"
                "# TYPE imgedad_results_warmed_total counter\nimgedad_results_warmed_total %llu\n"
                "# HELP imgedad_result_cache_hits_total Results of finished scans answered from "
                "the cache.\n"
                "# TYPE imgedad_result_cache_hits_total counter\n"
                "imgedad_result_cache_hits_total %llu\n"
                "# HELP imgedad_result_cache_misses_total Results of finished scans not in the "
                "cache.\n"
                "# TYPE imgedad_result_cache_misses_total counter\n"
                "imgedad_result_cache_misses_total %llu\n"
                "# HELP imgedad_result_cache_bytes Bytes held by the result cache.\n"
                "# TYPE imgedad_result_cache_bytes gauge\nimgedad_result_cache_bytes %llu\n",
                (unsigned long long)jm.images_scanned, (unsigned long long)jm.bytes_scanned,
                (unsigned long long)jm.scan_errors, req, errs,
                (unsigned long long)jm.results_warmed, (unsigned long long)cs.hits,
                (unsigned long long)cs.misses, (unsigned long long)cs.bytes);
    size_t n = b.len;
    return srv_reply_buffer(r, 200, "text/plain; version=0.0.4", ie_buf_detach(&b), n);
}

static enum MHD_Result h_scan_create(struct srv_req *r)
{
    static const char *const allowed[] = {"root", "name", "options", NULL};
    struct ie_err err = {0};
    struct ie_scan_options o;
    char *root = NULL, *id = NULL, *opts = NULL;
    enum MHD_Result rc;
    cJSON *body = parse_body(r, allowed, &err);
    if (!body)
        return srv_reply_ie_err(r, &err);
    cJSON *jroot = cJSON_GetObjectItemCaseSensitive(body, "root");
    cJSON *jname = cJSON_GetObjectItemCaseSensitive(body, "name");
    cJSON *jopts = cJSON_GetObjectItemCaseSensitive(body, "options");
    if (!cJSON_IsString(jroot)) {
        ie_err_set(&err, IE_EINVAL, "root: required, a string");
        goto bad;
    }
    if (jname && !cJSON_IsString(jname)) {
        ie_err_set(&err, IE_EINVAL, "name: must be a string");
        goto bad;
    }
    if (jopts && !cJSON_IsObject(jopts)) {
        ie_err_set(&err, IE_EINVAL, "options: must be an object");
        goto bad;
    }
    opts = jopts ? cJSON_PrintUnformatted(jopts) : ie_xstrdup("{}");
    if (srv_scan_options_from_json(opts, r->ctx->cfg, &o, &err) < 0)
        goto bad;
    if (check_root(r->ctx->cfg, jroot->valuestring, &root, &err) < 0)
        goto bad;
    if (srv_jobs_create(r->ctx->jobs, root, jname ? jname->valuestring : NULL, opts, &id, &err) < 0)
        goto bad;
    {
        struct srv_scan_row row = {0};
        sqlite3 *db = srv_http_db(r, &err);
        if (!db || srv_store_get_scan(db, id, &row, &err) < 0)
            goto bad;
        cJSON *out = scan_json(r, &row);
        srv_scan_row_release(&row);
        rc = srv_reply_json(r, 202, out);
    }
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    cJSON_Delete(body);
    free(root);
    free(id);
    free(opts);
    return rc;
}

static bool parse_int_param(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    if (!s)
        return true;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static enum MHD_Result h_scan_list(struct srv_req *r)
{
    struct ie_err err = {0};
    const char *st = srv_query(r, "status");
    long long limit = 50, cursor = LLONG_MAX;
    cJSON *out;
    if (st && strcmp(st, "queued") && strcmp(st, "running") && strcmp(st, "succeeded") &&
        strcmp(st, "failed") && strcmp(st, "cancelled"))
        return srv_reply_error(r, 400, "bad_request",
                               "status: one of queued, running, succeeded, failed, "
                               "cancelled");
    if (!parse_int_param(srv_query(r, "limit"), 1, 500, &limit))
        return srv_reply_error(r, 400, "bad_request", "limit: a number in 1..500");
    if (!parse_int_param(srv_query(r, "cursor"), 0, LLONG_MAX, &cursor))
        return srv_reply_error(r, 400, "bad_request", "cursor: not a cursor");
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_list_scans(db, st, (int)limit, cursor, &out, &err) < 0)
        return srv_reply_ie_err(r, &err);
    return srv_reply_json(r, 200, out);
}

static enum MHD_Result h_scan_get(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    cJSON *o = scan_json(r, &row);
    srv_scan_row_release(&row);
    return srv_reply_json(r, 200, o);
}

static enum MHD_Result scan_command(struct srv_req *r,
                                    int (*fn)(struct srv_jobs *, const char *, struct ie_err *),
                                    unsigned ok_status)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (fn(r->ctx->jobs, r->params[0], &err) < 0)
        return srv_reply_ie_err(r, &err);
    if (ok_status == 204)
        return srv_reply_response(r, 204,
                                  MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    cJSON *o = scan_json(r, &row);
    srv_scan_row_release(&row);
    return srv_reply_json(r, ok_status, o);
}

static enum MHD_Result h_scan_cancel(struct srv_req *r)
{
    return scan_command(r, srv_jobs_cancel, 202);
}

static enum MHD_Result h_scan_resume(struct srv_req *r)
{
    return scan_command(r, srv_jobs_resume, 202);
}

static enum MHD_Result h_scan_delete(struct srv_req *r)
{
    return scan_command(r, srv_jobs_delete, 204);
}

/* ---- Server-Sent Events ---- */

struct sse {
    struct srv_ctx *ctx;
    char id[40];
    uint64_t version;
    char last_status[16];
    bool finished;
    struct ie_buf pending;
    size_t sent;
};

static bool final_status(const char *s)
{
    return strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 || strcmp(s, "cancelled") == 0;
}

/* Appends the events describing the scan's current state. */
static void sse_snapshot(struct sse *s)
{
    struct srv_job_state st;
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    sqlite3 *db = NULL;
    const char *status;
    if (srv_db_open(s->ctx->db_path, &db, &err) < 0 ||
        srv_store_get_scan(db, s->id, &row, &err) < 0) {
        ie_buf_addf(&s->pending, "event: error\ndata: {\"message\":\"scan vanished\"}\n\n");
        s->finished = true;
        srv_db_close(db);
        return;
    }
    srv_db_close(db);
    bool live = srv_jobs_state(s->ctx->jobs, s->id, &st);
    status = live && !final_status(row.status) ? st.status : row.status;
    cJSON *p = cJSON_CreateObject();
    if (live && strcmp(status, "running") == 0) {
        cJSON_AddNumberToObject(p, "total", (double)st.p.total);
        cJSON_AddNumberToObject(p, "processed", (double)st.p.processed);
        cJSON_AddNumberToObject(p, "corrupt", (double)st.p.corrupt);
        cJSON_AddNumberToObject(p, "bytes", (double)st.p.bytes);
        cJSON_AddNumberToObject(p, "rate_per_s", st.p.rate_per_s);
        if (st.p.eta_s >= 0)
            cJSON_AddNumberToObject(p, "eta_s", st.p.eta_s);
        else
            cJSON_AddNullToObject(p, "eta_s");
    } else {
        cJSON_AddNumberToObject(p, "total", (double)row.total);
        cJSON_AddNumberToObject(p, "processed", (double)row.processed);
        cJSON_AddNumberToObject(p, "corrupt", (double)row.corrupt);
        cJSON_AddNumberToObject(p, "bytes", (double)row.bytes);
        cJSON_AddNumberToObject(p, "rate_per_s", row.rate_per_s);
        cJSON_AddNullToObject(p, "eta_s");
    }
    char *pj = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    ie_buf_addf(&s->pending, "event: progress\ndata: %s\n\n", pj);
    free(pj);
    if (strcmp(status, s->last_status) != 0) {
        snprintf(s->last_status, sizeof(s->last_status), "%s", status);
        ie_buf_addf(&s->pending, "event: status\ndata: {\"status\":\"%s\"}\n\n", status);
    }
    if (final_status(status))
        s->finished = true;
    srv_scan_row_release(&row);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse *s = cls;
    (void)pos;
    while (s->sent == s->pending.len) {
        if (s->finished)
            return MHD_CONTENT_READER_END_OF_STREAM;
        ie_buf_reset(&s->pending);
        s->sent = 0;
        uint64_t v = srv_jobs_wait(s->ctx->jobs, s->version, 15000);
        if (v == s->version) {
            ie_buf_adds(&s->pending, ": keep-alive\n\n");
        } else {
            s->version = v;
            sse_snapshot(s);
        }
    }
    size_t n = IE_MIN(max, s->pending.len - s->sent);
    memcpy(buf, s->pending.data + s->sent, n);
    s->sent += n;
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    struct sse *s = cls;
    ie_buf_release(&s->pending);
    free(s);
}

static enum MHD_Result h_scan_events(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    struct sse *s = ie_xcalloc(1, sizeof(*s));
    s->ctx = r->ctx;
    snprintf(s->id, sizeof(s->id), "%s", r->params[0]);
    ie_buf_init(&s->pending);
    s->version = srv_jobs_wait(r->ctx->jobs, UINT64_MAX, 0);
    sse_snapshot(s);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    return srv_reply_response(r, 200, resp);
}

/* ---- manifests and images ---- */

static enum MHD_Result h_manifest_get(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    char name[64];
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    snprintf(name, sizeof(name), "%s.jsonl", row.id);
    enum MHD_Result rc = srv_reply_file(r, row.manifest_path, "application/x-ndjson", name);
    srv_scan_row_release(&row);
    return rc;
}

static enum MHD_Result h_manifest_import(struct srv_req *r)
{
    struct ie_err err = {0};
    struct ie_buf tmp;
    struct ie_manifest m;
    char *id = NULL;
    enum MHD_Result rc;
    ie_buf_init(&tmp);
    ie_manifest_init(&m);
    ie_buf_addf(&tmp, "%s/tmp", r->ctx->cfg->data_dir);
    mkdir(tmp.data, 0755);
    ie_buf_addf(&tmp, "/import_XXXXXX");
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        ie_err_set(&err, IE_EIO, "cannot store upload: %s", strerror(errno));
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    ssize_t w = write(fd, r->body, r->body_len);
    close(fd);
    if (w != (ssize_t)r->body_len) {
        ie_err_set(&err, IE_EIO, "cannot store upload");
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    if (srv_jobs_import(r->ctx->jobs, tmp.data, srv_query(r, "name"), &id, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    {
        /* Index on this connection's thread: the loop stays free for other work. */
        struct srv_scan_row row = {0};
        struct srv_index_stats st = {0};
        sqlite3 *db = srv_http_db(r, &err);
        if (!db || srv_store_get_scan(db, id, &row, &err) < 0) {
            rc = srv_reply_ie_err(r, &err);
            goto out;
        }
        int irc = srv_store_index_manifest(db, id, row.manifest_path, &st, &m, &err);
        /* The upload must look like a manifest: at least one record or a header. One load
         * both checks and indexes it. */
        if (irc == 0 && st.total == 0 && !st.has_header)
            irc = ie_err_set(&err, IE_EINVAL,
                             "the body is not a JSONL manifest (no header, no record)");
        if (irc < 0) {
            free(st.input_dir);
            struct ie_err ignored = {0};
            srv_store_set_status(db, id, "failed", err.msg, &ignored);
            srv_jobs_delete(r->ctx->jobs, id, &ignored);
            srv_scan_row_release(&row);
            rc = srv_reply_ie_err(r, &err);
            goto out;
        }
        struct ie_scan_progress p = {0};
        p.total = p.processed = p.durable = (size_t)st.total;
        p.corrupt = (size_t)st.corrupt;
        srv_store_set_progress(db, id, &p, NULL);
        if (st.input_dir)
            srv_store_set_root(db, id, st.input_dir, NULL);
        srv_store_set_status(db, id, "succeeded", NULL, NULL);
        free(st.input_dir);
        {
            /* The records indexing loaded go to the warm-up, which caches what a dashboard
             * opens the scan with; the reply does not wait for it. */
            struct ie_err ignored = {0};
            srv_jobs_warm(r->ctx->jobs, id, &m, &ignored);
        }
        srv_scan_row_release(&row);
        if (srv_store_get_scan(db, id, &row, &err) < 0) {
            rc = srv_reply_ie_err(r, &err);
            goto out;
        }
        rc = srv_reply_json(r, 201, scan_json(r, &row));
        srv_scan_row_release(&row);
    }
out:
    unlink(tmp.data);
    ie_buf_release(&tmp);
    ie_manifest_release(&m);
    free(id);
    return rc;
}

static enum MHD_Result h_images(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long limit = 50, cursor = 0;
    char *out = NULL;
    size_t out_len = 0;
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (!parse_int_param(srv_query(r, "limit"), 1, 1000, &limit))
        return srv_reply_error(r, 400, "bad_request", "limit: a number in 1..1000");
    if (!parse_int_param(srv_query(r, "cursor"), 0, LLONG_MAX, &cursor))
        return srv_reply_error(r, 400, "bad_request", "cursor: not a cursor");
    struct srv_image_query q = {.flag = srv_query(r, "flag"),
                                .q = srv_query(r, "q"),
                                .format = srv_query(r, "format"),
                                .sort = srv_query(r, "sort"),
                                .limit = (int)limit,
                                .cursor = cursor};
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_query_images(db, r->params[0], &q, &out, &out_len, &err) < 0)
        return srv_reply_ie_err(r, &err);
    return srv_reply_buffer(r, 200, "application/json", out, out_len);
}

static bool parse_image_id(const char *s, long long *out)
{
    return parse_int_param(s, 1, LLONG_MAX, out) && s;
}

static enum MHD_Result h_image(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long iid;
    char *out = NULL;
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (!parse_image_id(r->params[1], &iid))
        return srv_reply_error(r, 404, "not_found", "no image %s", r->params[1]);
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_get_image(db, r->params[0], iid, &out, NULL, &err) < 0)
        return srv_reply_ie_err(r, &err);
    return srv_reply_buffer(r, 200, "application/json", out, strlen(out));
}

static enum MHD_Result h_thumbnail(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long iid, size = 256;
    char *path = NULL, *dir = NULL;
    struct ie_buf cache;
    enum MHD_Result rc;
    if (load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (!parse_image_id(r->params[1], &iid))
        return srv_reply_error(r, 404, "not_found", "no image %s", r->params[1]);
    if (!parse_int_param(srv_query(r, "size"), 16, 1024, &size))
        return srv_reply_error(r, 400, "bad_request", "size: a number in 16..1024");
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_get_image(db, r->params[0], iid, NULL, &path, &err) < 0)
        return srv_reply_ie_err(r, &err);
    ie_buf_init(&cache);
    if (!path_allowed(r->ctx->cfg, path)) {
        rc = srv_reply_error(r, 403, "forbidden", "the image lies outside scan.allowed_roots");
        goto out;
    }
    dir = srv_scan_dir(r->ctx->cfg, r->params[0]);
    ie_buf_addf(&cache, "%s/thumbs", dir);
    mkdir(cache.data, 0755);
    ie_buf_addf(&cache, "/%lld_%lld.jpg", iid, size);
    if (access(cache.data, R_OK) != 0) {
        /* Paths come from the scan's own records, never from the request; the core checks
         * the daemon's pixel limit on the header before it decodes anything. */
        void *buf = NULL;
        size_t len = 0;
        struct ie_err terr = {0};
        if (ie_thumbnail_jpeg(path, (int)size, r->ctx->cfg->max_pixels, &buf, &len, &terr) < 0) {
            rc = srv_reply_error(r, 422, terr.code == IE_ELIMIT ? "pixel_limit" : "undecodable",
                                 "%s", terr.msg);
            goto out;
        }
        ie_write_file_atomic(cache.data, buf, len, NULL);
        rc = srv_reply_buffer(r, 200, "image/jpeg", buf, len);
        goto out;
    }
    rc = srv_reply_file(r, cache.data, "image/jpeg", NULL);
out:
    ie_buf_release(&cache);
    free(dir);
    free(path);
    return rc;
}

/* Loads the scan named by the first path parameter and checks its results are final: a scan
 * that has not succeeded has partial records that must not answer for the whole dataset. */
static int load_finished_scan(struct srv_req *r, struct srv_scan_row *row, struct ie_err *err)
{
    int rc = load_scan(r, row, err);
    if (rc < 0)
        return rc;
    if (strcmp(row->status, "succeeded") != 0)
        return ie_err_set(err, IE_ESTATE, "scan %s is %s; its results exist once it succeeded",
                          row->id, row->status);
    return 0;
}

static int load_records(struct srv_req *r, struct srv_scan_row *row, struct ie_manifest *m,
                        struct ie_err *err)
{
    int rc = load_finished_scan(r, row, err);
    if (rc < 0)
        return rc;
    ie_manifest_init(m);
    return ie_manifest_load(row->manifest_path, m, err);
}

/* Replies from the cache if the result is there. */
static bool reply_cached(struct srv_req *r, const char *key, enum MHD_Result *rc)
{
    size_t len;
    char *ct = NULL;
    void *data = srv_cache_get(r->ctx->cache, key, &len, &ct);
    if (!data)
        return false;
    *rc = srv_reply_buffer(r, 200, ct, data, len);
    free(ct);
    return true;
}

/* The common path of every result of a finished scan: check the scan, answer from the cache,
 * else load the records, compute, cache and reply. `what` names the result in the cache key. */
static enum MHD_Result serve_result(struct srv_req *r, const char *what, srv_result_fn fn,
                                    void *ctx)
{
    struct srv_scan_row row = {0};
    struct ie_manifest m;
    struct ie_err err = {0};
    struct ie_buf out;
    const char *mime = "application/json";
    char key[256];
    enum MHD_Result rc;
    ie_manifest_init(&m);
    ie_buf_init(&out);
    if (load_finished_scan(r, &row, &err) < 0) {
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
        srv_jobs_await_warm(r->ctx->jobs, row.id, key, SRV_WARM_WAIT_MS);
    }
    if (reply_cached(r, key, &rc))
        goto out;
    if (ie_manifest_load(row.manifest_path, &m, &err) < 0 ||
        fn(&row, &m, ctx, &out, &mime, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    srv_cache_put(r->ctx->cache, key, out.data ? out.data : "", out.len, mime);
    {
        size_t n = out.len;
        rc = srv_reply_buffer(r, 200, mime, ie_buf_detach(&out), n);
    }
out:
    ie_buf_release(&out);
    ie_manifest_release(&m);
    srv_scan_row_release(&row);
    return rc;
}

static bool parse_threshold(struct srv_req *r, const char *s, int *out)
{
    long long t = IE_DUP_DEFAULT_THRESHOLD;
    (void)r;
    if (!parse_int_param(s, 0, IE_HASH_INDEX_MAX_THRESHOLD, &t))
        return false;
    *out = (int)t;
    return true;
}

static enum MHD_Result h_duplicates(struct srv_req *r)
{
    struct ie_dup_opts opts;
    char what[64];
    ie_dup_opts_init(&opts);
    if (!parse_threshold(r, srv_query(r, "threshold"), &opts.threshold))
        return srv_reply_error(r, 400, "bad_request", "threshold: a number in 0..%d",
                               IE_HASH_INDEX_MAX_THRESHOLD);
    srv_result_duplicates_what(what, sizeof(what), opts.threshold);
    return serve_result(r, what, srv_result_duplicates, &opts);
}

static enum MHD_Result h_summary(struct srv_req *r)
{
    return serve_result(r, SRV_RESULT_SUMMARY, srv_result_summary, NULL);
}

/* GET checks/{name}: one check's result, or for "all" {"total_images", "checks": {name: ...}}
 * like `imgeda check all --json`. */
static enum MHD_Result h_check(struct srv_req *r)
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

static enum MHD_Result h_leakage(struct srv_req *r)
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
    cJSON *body = parse_body(r, allowed, &err);
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

/* ---- annotations and exports ---- */

static enum MHD_Result h_annotations(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    struct ie_annot_options o;
    struct ie_annot_result res;
    char key[256];
    enum MHD_Result rc;
    ie_annot_options_init(&o);
    ie_annot_result_init(&res);
    if (load_finished_scan(r, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    if (!path_allowed(r->ctx->cfg, row.root)) {
        rc =
            srv_reply_error(r, 403, "forbidden", "root %s is outside scan.allowed_roots", row.root);
        goto out;
    }
    srv_result_key(key, sizeof(key), &row, "annotations");
    if (reply_cached(r, key, &rc))
        goto out;
    if (ie_annot_analyze(row.root, &o, &res, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    {
        char *json = ie_annot_result_to_json(&res, false);
        size_t n = strlen(json);
        srv_cache_put(r->ctx->cache, key, json, n, "application/json");
        rc = srv_reply_buffer(r, 200, "application/json", json, n);
    }
out:
    ie_annot_result_release(&res);
    srv_scan_row_release(&row);
    return rc;
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ssize_t n = ie_export_reader_read(cls, buf, max, NULL);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void export_free(void *cls)
{
    ie_export_reader_free(cls);
}

/* GET export.{csv|jsonl|sqlite}: CSV and JSONL stream as they are produced; the SQLite file is
 * built once per finished scan next to its manifest and then served from disk. */
static enum MHD_Result h_export(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    enum ie_export_format f;
    enum MHD_Result rc;
    char name[96];
    if (ie_export_format_parse(r->params[1], &f, &err) < 0)
        return srv_reply_error(r, 404, "not_found", "no export format \"%s\" (csv, jsonl, sqlite)",
                               r->params[1]);
    if (load_finished_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    snprintf(name, sizeof(name), "%s.%s", row.id, ie_export_format_name(f));
    if (f == IE_EXPORT_SQLITE) {
        char *dir = srv_scan_dir(r->ctx->cfg, row.id);
        struct ie_buf path;
        ie_buf_init(&path);
        ie_buf_addf(&path, "%s/export.sqlite", dir);
        free(dir);
        struct stat st, mst;
        bool fresh = stat(path.data, &st) == 0 && stat(row.manifest_path, &mst) == 0 &&
                     st.st_mtime >= mst.st_mtime;
        if (!fresh && eng_export_sqlite_write(row.manifest_path, path.data, NULL, &err) < 0) {
            rc = srv_reply_ie_err(r, &err);
        } else {
            rc = srv_reply_file(r, path.data, "application/vnd.sqlite3", name);
        }
        ie_buf_release(&path);
        srv_scan_row_release(&row);
        return rc;
    }
    struct ie_export_reader *rd = NULL;
    if (ie_export_reader_open(row.manifest_path, f, &rd, &err) < 0) {
        srv_scan_row_release(&row);
        return srv_reply_ie_err(r, &err);
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                  export_read, rd, export_free);
    MHD_add_response_header(resp, "Content-Type",
                            f == IE_EXPORT_CSV ? "text/csv; charset=utf-8"
                                               : "application/x-ndjson");
    char cd[160];
    snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", name);
    MHD_add_response_header(resp, "Content-Disposition", cd);
    rc = srv_reply_response(r, 200, resp);
    srv_scan_row_release(&row);
    return rc;
}

/* ---- plots and reports ---- */

/* GET plots/{type}.{png|svg|pdf}?dpi=&sample= */
static enum MHD_Result h_plot(struct srv_req *r)
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
    if (!parse_int_param(srv_query(r, "dpi"), 30, 600, &dpi) ||
        !parse_int_param(srv_query(r, "sample"), 0, 100000000, &sample))
        return srv_reply_error(r, 400, "bad_request", "dpi: 30..600; sample: a number of records");
    pr.type = (enum ie_plot_type)type;
    pr.o.format = (enum ie_plot_format)fmt;
    pr.o.dpi = (double)dpi;
    pr.o.sample = (size_t)sample;
    srv_result_plot_what(what, sizeof(what), r->params[1], dpi, sample);
    return serve_result(r, what, srv_result_plot, &pr);
}

static int compute_report(const struct srv_scan_row *row, const struct ie_manifest *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err)
{
    struct ie_report_opts *o = ctx;
    /* Thumbnails read the image files: only for scans whose paths we chose (not imports). */
    o->thumbnails = !row->imported;
    *mime = o->format == IE_REPORT_PDF ? "application/pdf" : "text/html; charset=utf-8";
    return ie_report_render(m, o, out, err);
}

/* GET report.{pdf|html} */
static enum MHD_Result h_report(struct srv_req *r)
{
    struct ie_report_opts o;
    const char *f = r->params[1];
    ie_report_opts_init(&o);
    if (strcmp(f, "pdf") != 0 && strcmp(f, "html") != 0)
        return srv_reply_error(r, 404, "not_found", "no report format \"%s\" (pdf, html)", f);
    o.format = strcmp(f, "pdf") == 0 ? IE_REPORT_PDF : IE_REPORT_HTML;
    return serve_result(r, o.format == IE_REPORT_PDF ? "report:pdf" : "report:html", compute_report,
                        &o);
}

/* ---- diff and gate ---- */

static enum MHD_Result h_diff(struct srv_req *r)
{
    static const char *const allowed[] = {"old", "new", NULL};
    struct ie_err err = {0};
    struct srv_scan_row rows[2] = {{0}, {0}};
    struct ie_slim_manifest ms[2];
    struct ie_diff_result d;
    enum MHD_Result rc;
    char key[256], what[128];
    ie_slim_manifest_init(&ms[0]);
    ie_slim_manifest_init(&ms[1]);
    ie_diff_result_init(&d);
    cJSON *body = parse_body(r, allowed, &err);
    if (!body)
        return srv_reply_ie_err(r, &err);
    const char *names[2] = {"old", "new"};
    for (int i = 0; i < 2; i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(body, names[i]);
        if (!cJSON_IsString(v)) {
            ie_err_set(&err, IE_EINVAL, "%s: required, a scan id", names[i]);
            goto bad;
        }
        r->params[0] = v->valuestring;
        if (load_finished_scan(r, &rows[i], &err) < 0) {
            if (err.code == IE_ENOENT)
                err.code = IE_EINVAL;
            goto bad;
        }
    }
    snprintf(what, sizeof(what), "diff:%s:%s", rows[1].id, rows[1].finished_at);
    srv_result_key(key, sizeof(key), &rows[0], what);
    if (reply_cached(r, key, &rc))
        goto out;
    for (int i = 0; i < 2; i++)
        if (ie_slim_manifest_load(rows[i].manifest_path, &ms[i], &err) < 0)
            goto bad;
    ie_diff_compute(&ms[0], &ms[1], &d);
    {
        char *json = ie_diff_to_json(&d, false);
        size_t n = strlen(json);
        srv_cache_put(r->ctx->cache, key, json, n, "application/json");
        rc = srv_reply_buffer(r, 200, "application/json", json, n);
    }
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&ms[0]);
    ie_slim_manifest_release(&ms[1]);
    srv_scan_row_release(&rows[0]);
    srv_scan_row_release(&rows[1]);
    cJSON_Delete(body);
    return rc;
}

/* Adds "sample_ids" parallel to each check's "sample_paths": the image id of each path in the
 * scan, or null when the path has no indexed record. The gate reads the slim manifest, which
 * keeps no positions, so ids come from the images_by_path index (at most 10 per check). */
static int add_sample_ids(sqlite3 *db, const char *scan_id, const struct ie_gate_result *g,
                          cJSON *result, struct ie_err *err)
{
    cJSON *checks = cJSON_GetObjectItemCaseSensitive(result, "checks");
    cJSON *co = checks ? checks->child : NULL;
    for (size_t i = 0; i < g->n_checks && co; i++, co = co->next) {
        cJSON *ids = cJSON_AddArrayToObject(co, "sample_ids");
        for (size_t k = 0; k < g->checks[i].n_samples; k++) {
            int64_t id = 0;
            struct ie_err e = {0};
            int rc = srv_store_image_id_by_path(db, scan_id, g->checks[i].sample_paths[k], &id, &e);
            if (rc == IE_ENOENT) {
                cJSON_AddItemToArray(ids, cJSON_CreateNull());
            } else if (rc < 0) {
                *err = e;
                return rc;
            } else {
                cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
            }
        }
    }
    return 0;
}

/* Gates a finished scan against a parsed policy: 200 passed, 412 failed, body = the result
 * (plus scan_id and each check's sample_ids). */
static enum MHD_Result reply_gate(struct srv_req *r, const struct srv_scan_row *row,
                                  const struct ie_policy *p)
{
    struct ie_slim_manifest m;
    struct ie_gate_result g;
    struct ie_err err = {0};
    cJSON *o = NULL;
    sqlite3 *db;
    enum MHD_Result rc;
    ie_slim_manifest_init(&m);
    ie_gate_result_init(&g);
    if (ie_slim_manifest_load(row->manifest_path, &m, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    ie_gate_evaluate(&m, p, &g);
    o = ie_gate_result_to_cjson(&g);
    cJSON_AddStringToObject(o, "scan_id", row->id);
    if (!(db = srv_http_db(r, &err)) || add_sample_ids(db, row->id, &g, o, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    {
        unsigned st = g.passed ? 200 : 412;
        rc = srv_reply_json(r, st, o);
        o = NULL;
    }
out:
    cJSON_Delete(o);
    ie_gate_result_release(&g);
    ie_slim_manifest_release(&m);
    return rc;
}

/* A policy from a JSON value: a YAML/JSON string, or an object (re-printed as JSON, which
 * YAML parses; positions then refer to that compact text). */
static int policy_from_json(const cJSON *v, struct ie_policy *p, struct ie_err *err)
{
    if (cJSON_IsString(v))
        return ie_policy_parse(p, "policy", v->valuestring, strlen(v->valuestring), err);
    if (cJSON_IsObject(v)) {
        char *text = cJSON_PrintUnformatted(v);
        int rc = ie_policy_parse(p, "policy", text, strlen(text), err);
        free(text);
        return rc;
    }
    return ie_err_set(err, IE_EINVAL, "policy: expected a YAML string or a JSON object");
}

static enum MHD_Result h_scan_gate(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_policy p;
    struct ie_err err = {0};
    enum MHD_Result rc;
    ie_policy_init(&p);
    if (load_finished_scan(r, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
    } else if (ie_policy_parse(&p, "policy", r->body, r->body_len, &err) < 0) {
        err.code = IE_EINVAL;
        rc = srv_reply_ie_err(r, &err);
    } else {
        rc = reply_gate(r, &row, &p);
    }
    ie_policy_release(&p);
    srv_scan_row_release(&row);
    return rc;
}

/* ---- policies and configuration, for the dashboard ---- */

/* Generated from config/policy.example.yaml by migrations/embed.cmake. */
extern const struct {
    const char *name;
    const char *data;
    size_t len;
} srv_policy_example[];
extern const size_t srv_n_policy_example;

/* GET /api/v1/policy/example: the documented policy this binary was built with, byte for byte,
 * so an editor starts from the keys and defaults the gate really applies. */
static enum MHD_Result h_policy_example(struct srv_req *r)
{
    size_t n = srv_n_policy_example ? srv_policy_example[0].len : 0;
    char *copy = ie_xmalloc(n + 1);
    memcpy(copy, n ? srv_policy_example[0].data : "", n);
    return srv_reply_buffer(r, 200, "text/yaml; charset=utf-8", copy, n);
}

/* POST /api/v1/policy/validate: parses the body as the gate does (YAML or JSON, same limits)
 * and always answers 200, because a refused policy is the expected answer here, not a failed
 * request: {"valid": true, "policy": {every key: effective value}} or {"valid": false,
 * "errors": [{"line", "column", "key", "message"}]}. The parser stops at the first problem, so
 * errors holds one; line, column and key are null where the problem has none (the size
 * limit), and message is the gate's 400 message. */
static enum MHD_Result h_policy_validate(struct srv_req *r)
{
    struct ie_policy p;
    struct ie_policy_error_pos pos = {0};
    struct ie_err err = {0};
    cJSON *o = cJSON_CreateObject();
    ie_policy_init(&p);
    if (ie_policy_parse_pos(&p, "policy", r->body, r->body_len, &pos, &err) == 0) {
        char *json = ie_policy_to_json(&p);
        cJSON_AddTrueToObject(o, "valid");
        cJSON_AddItemToObject(o, "policy", cJSON_CreateRaw(json));
        free(json);
    } else {
        /* Keys and messages quote the body, which may hold invalid UTF-8 cut by the parser's
         * "..."; JSON must not. */
        char *key = pos.key[0] ? ie_utf8_sanitize(pos.key, strlen(pos.key)) : NULL;
        char *msg = ie_utf8_sanitize(err.msg, strlen(err.msg));
        cJSON_AddFalseToObject(o, "valid");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "line",
                              pos.line ? cJSON_CreateNumber((double)pos.line) : cJSON_CreateNull());
        cJSON_AddItemToObject(
            e, "column", pos.column ? cJSON_CreateNumber((double)pos.column) : cJSON_CreateNull());
        cJSON_AddItemToObject(e, "key", key ? cJSON_CreateString(key) : cJSON_CreateNull());
        cJSON_AddStringToObject(e, "message", msg);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "errors"), e);
        free(key);
        free(msg);
    }
    ie_policy_release(&p);
    return srv_reply_json(r, 200, o);
}

/* GET /api/v1/config: what a client may need to know of this daemon's configuration (never the
 * token), and the options a scan without options gets, computed by the same function that
 * parses a scan's options, so the two cannot drift apart. */
static enum MHD_Result h_config(struct srv_req *r)
{
    const struct srv_config *cfg = r->ctx->cfg;
    struct ie_scan_options so;
    struct ie_err err = {0};
    if (srv_scan_options_from_json(NULL, cfg, &so, &err) < 0)
        return srv_reply_ie_err(r, &err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", IMGEDA_VERSION);
    cJSON_AddNumberToObject(o, "workers", (double)cfg->workers);
    /* As check_root compares them; a root that does not resolve admits nothing, so it is
     * left out. */
    cJSON *roots = cJSON_AddArrayToObject(o, "allowed_roots");
    for (int i = 0; i < cfg->n_allowed_roots; i++) {
        char real[PATH_MAX];
        if (realpath(cfg->allowed_roots[i], real))
            cJSON_AddItemToArray(roots, cJSON_CreateString(real));
    }
    cJSON_AddNumberToObject(o, "max_body_bytes", (double)cfg->max_body_bytes);
    cJSON_AddNumberToObject(o, "max_pixels", (double)cfg->max_pixels);
    cJSON_AddBoolToObject(o, "auth", cfg->auth_token[0] != '\0');
    cJSON_AddItemToObject(o, "scan_defaults", srv_scan_options_to_json(&so));
    return srv_reply_json(r, 200, o);
}

static bool is_final(const char *s)
{
    return strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 || strcmp(s, "cancelled") == 0;
}

/* POST /api/v1/gate {root, policy, wait?, timeout_s?}: the one request a CI job needs. It
 * resumes the last scan of the root (unchanged files are not read again) or starts one, waits
 * for it (this connection's thread blocks; nobody else does), then gates it. */
static enum MHD_Result h_ci_gate(struct srv_req *r)
{
    static const char *const allowed[] = {"root", "policy", "wait", "timeout_s", "options", NULL};
    struct ie_err err = {0};
    struct ie_policy p;
    struct srv_scan_row row = {0};
    char *root = NULL, *id = NULL, *opts = NULL;
    enum MHD_Result rc;
    ie_policy_init(&p);
    cJSON *body = parse_body(r, allowed, &err);
    if (!body)
        return srv_reply_ie_err(r, &err);
    cJSON *jroot = cJSON_GetObjectItemCaseSensitive(body, "root");
    cJSON *jwait = cJSON_GetObjectItemCaseSensitive(body, "wait");
    cJSON *jtimeout = cJSON_GetObjectItemCaseSensitive(body, "timeout_s");
    cJSON *jopts = cJSON_GetObjectItemCaseSensitive(body, "options");
    double timeout_s = 3600;
    if (!cJSON_IsString(jroot)) {
        ie_err_set(&err, IE_EINVAL, "root: required, a string");
        goto bad;
    }
    if (jwait && !cJSON_IsBool(jwait)) {
        ie_err_set(&err, IE_EINVAL, "wait: expected true or false");
        goto bad;
    }
    if (jtimeout) {
        if (!cJSON_IsNumber(jtimeout) || jtimeout->valuedouble <= 0 ||
            jtimeout->valuedouble > 86400) {
            ie_err_set(&err, IE_EINVAL, "timeout_s: a number of seconds in (0, 86400]");
            goto bad;
        }
        timeout_s = jtimeout->valuedouble;
    }
    if (jopts && !cJSON_IsObject(jopts)) {
        ie_err_set(&err, IE_EINVAL, "options: must be an object");
        goto bad;
    }
    if (policy_from_json(cJSON_GetObjectItemCaseSensitive(body, "policy"), &p, &err) < 0) {
        err.code = IE_EINVAL;
        goto bad;
    }
    if (check_root(r->ctx->cfg, jroot->valuestring, &root, &err) < 0)
        goto bad;
    opts = jopts ? cJSON_PrintUnformatted(jopts) : ie_xstrdup("{}");
    {
        struct ie_scan_options o;
        if (srv_scan_options_from_json(opts, r->ctx->cfg, &o, &err) < 0)
            goto bad;
    }
    sqlite3 *db = srv_http_db(r, &err);
    if (!db)
        goto bad;
    if (srv_store_last_scan_of_root(db, root, &row, &err) == 0) {
        id = ie_xstrdup(row.id);
        if (is_final(row.status) && srv_jobs_resume(r->ctx->jobs, id, &err) < 0)
            goto bad;
    } else if (srv_jobs_create(r->ctx->jobs, root, "ci gate", opts, &id, &err) < 0) {
        goto bad;
    }
    srv_scan_row_release(&row);
    if (jwait && cJSON_IsFalse(jwait)) {
        if (srv_store_get_scan(db, id, &row, &err) < 0)
            goto bad;
        rc = srv_reply_json(r, 202, scan_json(r, &row));
        goto out;
    }
    /* Wait for the scan to finish. */
    double deadline = ie_mono_seconds() + timeout_s;
    uint64_t version = 0;
    for (;;) {
        struct srv_job_state st;
        bool live = srv_jobs_state(r->ctx->jobs, id, &st);
        if (live && is_final(st.status))
            break;
        if (!live) {
            srv_scan_row_release(&row);
            if (srv_store_get_scan(db, id, &row, &err) < 0)
                goto bad;
            if (is_final(row.status))
                break;
        }
        if (ie_mono_seconds() > deadline) {
            rc = srv_reply_error(r, 504, "timeout",
                                 "scan %s did not finish within %.0f s; it goes on", id, timeout_s);
            goto out;
        }
        version = srv_jobs_wait(r->ctx->jobs, version, 1000);
    }
    srv_scan_row_release(&row);
    if (srv_store_get_scan(db, id, &row, &err) < 0)
        goto bad;
    if (strcmp(row.status, "succeeded") != 0) {
        rc = srv_reply_error(r, 422, "scan_failed", "scan %s %s%s%s", id, row.status,
                             row.error ? ": " : "", row.error ? row.error : "");
        goto out;
    }
    rc = reply_gate(r, &row, &p);
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    cJSON_Delete(body);
    ie_policy_release(&p);
    srv_scan_row_release(&row);
    free(root);
    free(id);
    free(opts);
    return rc;
}

/* ---- static files ---- */

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    static const char *const map[][2] = {{".html", "text/html; charset=utf-8"},
                                         {".css", "text/css; charset=utf-8"},
                                         {".js", "text/javascript; charset=utf-8"},
                                         {".json", "application/json"},
                                         {".svg", "image/svg+xml"},
                                         {".png", "image/png"},
                                         {".ico", "image/x-icon"},
                                         {".woff2", "font/woff2"}};
    for (size_t i = 0; dot && i < IE_ARRAY_LEN(map); i++)
        if (strcmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

static enum MHD_Result serve_static(struct srv_req *r)
{
    const char *u = r->url;
    if (strstr(u, "..") || strchr(u, '\\') || strlen(u) > 512)
        return srv_reply_error(r, 400, "bad_request", "bad path");
    struct ie_buf p;
    ie_buf_init(&p);
    ie_buf_addf(&p, "%s%s", r->ctx->web_dir, u);
    if (u[strlen(u) - 1] == '/')
        ie_buf_adds(&p, "index.html");
    struct stat st;
    if (stat(p.data, &st) != 0 || !S_ISREG(st.st_mode)) {
        ie_buf_release(&p);
        return srv_reply_error(r, 404, "not_found", "no such page");
    }
    enum MHD_Result rc = srv_reply_file(r, p.data, mime_of(p.data), NULL);
    ie_buf_release(&p);
    return rc;
}

/* ---- routing ---- */

static const struct route routes[] = {
    {"GET", "/healthz", "Liveness and version", h_healthz},
    {"GET", "/metrics", "Prometheus metrics", h_metrics},
    {"GET", "/api/v1/openapi.json", "This API description", h_openapi},
    {"POST", "/api/v1/scans", "Create a scan of a root: {root, name?, options?}", h_scan_create},
    {"GET", "/api/v1/scans", "List scans, newest first (?status=&limit=&cursor=)", h_scan_list},
    {"GET", "/api/v1/scans/{id}", "A scan with status and progress", h_scan_get},
    {"DELETE", "/api/v1/scans/{id}", "Delete a finished scan and its files", h_scan_delete},
    {"GET", "/api/v1/scans/{id}/events", "Server-Sent Events: progress and status", h_scan_events},
    {"POST", "/api/v1/scans/{id}/cancel", "Cancel a scan, keeping what is done", h_scan_cancel},
    {"POST", "/api/v1/scans/{id}/resume", "Resume a cancelled, failed or finished scan",
     h_scan_resume},
    {"POST", "/api/v1/manifests", "Import a JSONL manifest as a scan (?name=)", h_manifest_import},
    {"GET", "/api/v1/scans/{id}/manifest", "The scan's JSONL manifest", h_manifest_get},
    {"GET", "/api/v1/scans/{id}/summary", "Dataset summary (SPEC 4.2)", h_summary},
    {"GET", "/api/v1/scans/{id}/images",
     "Records, filtered, sorted, paged (?flag=&q=&format=&sort=&limit=&cursor=)", h_images},
    {"GET", "/api/v1/scans/{id}/images/{image_id}", "One record", h_image},
    {"GET", "/api/v1/scans/{id}/images/{image_id}/thumbnail", "A JPEG thumbnail (?size=)",
     h_thumbnail},
    {"GET", "/api/v1/scans/{id}/checks/{name}",
     "A check: corrupt, exposure, artifacts, blur, duplicates or all (SPEC 4.3)", h_check},
    {"GET", "/api/v1/scans/{id}/duplicates", "Duplicate groups (?threshold=)", h_duplicates},
    {"GET", "/api/v1/scans/{id}/annotations", "Layout and annotation statistics of the root",
     h_annotations},
    {"GET", "/api/v1/scans/{id}/plots/{file}", "A plot: {type}.{png|svg|pdf} (?dpi=&sample=)",
     h_plot},
    {"GET", "/api/v1/scans/{id}/report.{format}", "The report: pdf or html", h_report},
    {"GET", "/api/v1/scans/{id}/export.{format}", "Export: csv, jsonl or sqlite (downloads)",
     h_export},
    {"POST", "/api/v1/diff", "Diff two scans: {old, new}", h_diff},
    {"POST", "/api/v1/leakage", "Leakage across splits: {splits, threshold?}", h_leakage},
    {"POST", "/api/v1/scans/{id}/gate",
     "Gate a scan against a policy (YAML or JSON body); 412 when it fails", h_scan_gate},
    {"POST", "/api/v1/gate",
     "Scan (resuming the root's last scan) then gate: {root, policy, wait?, timeout_s?}; 412 "
     "when it fails",
     h_ci_gate},
    {"GET", "/api/v1/policy/example",
     "The documented example policy (YAML, every key at its default)", h_policy_example},
    {"POST", "/api/v1/policy/validate",
     "Check a policy (YAML or JSON body): 200 {valid, policy} or {valid: false, errors}",
     h_policy_validate},
    {"GET", "/api/v1/config",
     "Version, limits, allowed roots and the options a scan gets by default", h_config},
};

/* Matches url against pattern; fills r->params. Segments "{x}" capture a whole segment and
 * "lit.{x}" capture what follows "lit.". */
static bool match(const char *pattern, const char *url, struct srv_req *r, char bufs[4][256])
{
    const char *p = pattern, *u = url;
    int n = 0;
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            return false;
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        const char *brace = memchr(p, '{', pl);
        if (brace) {
            size_t lit = (size_t)(brace - p);
            if (ul < lit + 1 || strncmp(p, u, lit) != 0 || n >= 4 || ul - lit >= 256)
                return false;
            memcpy(bufs[n], u + lit, ul - lit);
            bufs[n][ul - lit] = '\0';
            if (strcmp(bufs[n], "..") == 0 || strcmp(bufs[n], ".") == 0)
                return false;
            r->params[n] = bufs[n];
            n++;
        } else if (pl != ul || strncmp(p, u, pl) != 0) {
            return false;
        }
        p += pl;
        u += ul;
    }
    r->n_params = n;
    return *p == '\0' && *u == '\0';
}

enum MHD_Result srv_api_dispatch(struct srv_req *r)
{
    char bufs[4][256];
    bool path_found = false;
    for (size_t i = 0; i < IE_ARRAY_LEN(routes); i++) {
        if (!match(routes[i].pattern, r->url, r, bufs))
            continue;
        path_found = true;
        if (strcmp(routes[i].method, r->method) == 0)
            return routes[i].fn(r);
    }
    if (path_found)
        return srv_reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method,
                               r->url);
    if (strncmp(r->url, "/api/", 5) != 0 && strcmp(r->method, "GET") == 0 && r->ctx->web_dir)
        return serve_static(r);
    return srv_reply_error(r, 404, "not_found", "no route for %s %s", r->method, r->url);
}

cJSON *srv_api_openapi(void)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.3");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "imgedad");
    cJSON_AddStringToObject(info, "version", IMGEDA_VERSION);
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < IE_ARRAY_LEN(routes); i++) {
        cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, routes[i].pattern);
        if (!item)
            item = cJSON_AddObjectToObject(paths, routes[i].pattern);
        char method[16];
        size_t k = 0;
        for (; routes[i].method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)(routes[i].method[k] - 'A' + 'a');
        method[k] = '\0';
        cJSON *op = cJSON_AddObjectToObject(item, method);
        cJSON_AddStringToObject(op, "summary", routes[i].summary);
        cJSON *params = cJSON_AddArrayToObject(op, "parameters");
        for (const char *s = strchr(routes[i].pattern, '{'); s; s = strchr(s + 1, '{')) {
            const char *e = strchr(s, '}');
            cJSON *prm = cJSON_CreateObject();
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(e - s - 1), s + 1);
            cJSON_AddStringToObject(prm, "name", name);
            cJSON_AddStringToObject(prm, "in", "path");
            cJSON_AddTrueToObject(prm, "required");
            cJSON *schema = cJSON_AddObjectToObject(prm, "schema");
            cJSON_AddStringToObject(schema, "type", "string");
            cJSON_AddItemToArray(params, prm);
        }
        cJSON *resp = cJSON_AddObjectToObject(op, "responses");
        cJSON *def = cJSON_AddObjectToObject(resp, "default");
        cJSON_AddStringToObject(def, "description",
                                "JSON body; errors are {\"error\": {\"code\", \"message\"}}");
    }
    return doc;
}
