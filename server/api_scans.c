/* The scans resource: create, list, get, cancel, resume, delete, and progress as Server-Sent
 * Events.
 * DESIGN: an SSE stream blocks its connection's thread in sse_read, waiting for the live state
 * to change (or 15 s for a keep-alive); nobody else waits for it. Every second it looks whether
 * its client hung up, so a vanished client does not hold a connection for long. At shutdown the
 * live state wakes it and the stream ends. */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "db.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "live.h"

enum MHD_Result srv_h_scan_create(struct srv_req *r)
{
    static const char *const allowed[] = {"root", "name", "options", NULL};
    struct ie_err err = {0};
    struct ie_scan_options o;
    char *root = NULL, *id = NULL, *opts = NULL;
    enum MHD_Result rc;
    cJSON *body = srv_api_parse_body(r, allowed, &err);
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
    if (jname &&
        srv_api_check_label("name", jname->valuestring, strlen(jname->valuestring), &err) < 0)
        goto bad;
    if (jopts && !cJSON_IsObject(jopts)) {
        ie_err_set(&err, IE_EINVAL, "options: must be an object");
        goto bad;
    }
    opts = jopts ? cJSON_PrintUnformatted(jopts) : ie_xstrdup("{}");
    if (srv_scan_options_from_json(opts, r->ctx->cfg, &o, &err) < 0)
        goto bad;
    if (srv_api_check_root(r->ctx, jroot->valuestring, &root, &err) < 0)
        goto bad;
    if (srv_jobs_create(r->ctx->jobs, root, jname ? jname->valuestring : NULL, &o, opts, &id,
                        &err) < 0)
        goto bad;
    {
        struct srv_scan_row row = {0};
        sqlite3 *db = srv_http_db(r, &err);
        if (!db || srv_store_get_scan(db, id, &row, &err) < 0)
            goto bad;
        cJSON *out = srv_api_scan_json(r, &row);
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

enum MHD_Result srv_h_scan_list(struct srv_req *r)
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
    if (!srv_api_parse_int(srv_query(r, "limit"), 1, 500, &limit))
        return srv_reply_error(r, 400, "bad_request", "limit: a number in 1..500");
    if (!srv_api_parse_int(srv_query(r, "cursor"), 0, LLONG_MAX, &cursor))
        return srv_reply_error(r, 400, "bad_request", "cursor: not a cursor");
    /* ?root= lists the versions of a root: folder roots are stored resolved, so the given one
     * is resolved the same way; one that does not resolve (gone since, a bucket URL) is
     * matched as written. */
    const char *root = srv_query(r, "root");
    char real[PATH_MAX];
    if (root && !strstr(root, "://") && realpath(root, real))
        root = real;
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_list_versions(db, st, root, (int)limit, cursor, &out, &err) < 0)
        return srv_reply_ie_err(r, &err);
    /* The status filter reads SQLite, which a full disk can leave behind the live state. */
    cJSON *scans = cJSON_GetObjectItemCaseSensitive(out, "scans"), *s;
    cJSON_ArrayForEach(s, scans) srv_api_scan_json_live(r->ctx->live, s);
    return srv_reply_json(r, 200, out);
}

enum MHD_Result srv_h_scan_get(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    cJSON *o = srv_api_scan_json(r, &row);
    srv_scan_row_release(&row);
    return srv_reply_json(r, 200, o);
}

static enum MHD_Result scan_command(struct srv_req *r,
                                    int (*fn)(struct srv_jobs *, const char *, struct ie_err *),
                                    unsigned ok_status)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (fn(r->ctx->jobs, r->params[0], &err) < 0)
        return srv_reply_ie_err(r, &err);
    if (ok_status == 204)
        return srv_reply_response(r, 204,
                                  MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    cJSON *o = srv_api_scan_json(r, &row);
    srv_scan_row_release(&row);
    return srv_reply_json(r, ok_status, o);
}

enum MHD_Result srv_h_scan_cancel(struct srv_req *r)
{
    return scan_command(r, srv_jobs_cancel, 202);
}

enum MHD_Result srv_h_scan_resume(struct srv_req *r)
{
    return scan_command(r, srv_jobs_resume, 202);
}

/* POST /scans/{id}/rescan: 202 with the new version (a new scan of the same root). */
enum MHD_Result srv_h_scan_rescan(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    char *id = NULL;
    enum MHD_Result rc;
    sqlite3 *db;
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (srv_jobs_rescan(r->ctx->jobs, r->params[0], &id, &err) < 0 ||
        !(db = srv_http_db(r, &err)) || srv_store_get_scan(db, id, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    rc = srv_reply_json(r, 202, srv_api_scan_json(r, &row));
out:
    srv_scan_row_release(&row);
    free(id);
    return rc;
}

enum MHD_Result srv_h_scan_delete(struct srv_req *r)
{
    return scan_command(r, srv_jobs_delete, 204);
}

/* A stream waits for the next change in slices this long, and between them looks whether its
 * client is still there: a vanished client frees its connection and thread within about this
 * time instead of at the next keep-alive, whose write would be the first to fail. */
#define SSE_CHECK_MS     1000
#define SSE_KEEPALIVE_MS 15000

struct sse {
    struct srv_ctx *ctx;
    struct MHD_Connection *conn;
    char id[40];
    uint64_t version;
    char last_status[16];
    bool finished;
    struct ie_buf pending;
    size_t sent;
};

/* Appends the events describing the scan's current state. */
static void sse_snapshot(struct sse *s)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    sqlite3 *db = NULL;
    if (srv_db_open(s->ctx->db_path, &db, &err) < 0 ||
        srv_store_get_scan(db, s->id, &row, &err) < 0) {
        ie_buf_addf(&s->pending, "event: error\ndata: {\"message\":\"scan vanished\"}\n\n");
        s->finished = true;
        srv_db_close(db);
        return;
    }
    srv_db_close(db);
    /* The scan as GET shows it: the live state where SQLite is behind. */
    cJSON *o = srv_scan_row_to_json(&row);
    srv_scan_row_release(&row);
    srv_api_scan_json_live(s->ctx->live, o);
    const char *status = cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring;
    cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "progress");
    if (strcmp(status, "running") != 0)
        cJSON_ReplaceItemInObject(p, "eta_s", cJSON_CreateNull());
    char *pj = cJSON_PrintUnformatted(p);
    ie_buf_addf(&s->pending, "event: progress\ndata: %s\n\n", pj);
    free(pj);
    if (strcmp(status, s->last_status) != 0) {
        snprintf(s->last_status, sizeof(s->last_status), "%s", status);
        ie_buf_addf(&s->pending, "event: status\ndata: {\"status\":\"%s\"}\n\n", status);
    }
    if (srv_api_is_final(status))
        s->finished = true;
    cJSON_Delete(o);
}

/* True once the client has closed its end (or reset the connection): an SSE client sends
 * nothing after its request, so a hang-up is all its socket can tell. */
static bool sse_client_gone(struct sse *s)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(s->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return false;
    struct pollfd pfd = {.fd = ci->connect_fd, .events = POLLRDHUP};
    return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
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
        uint64_t v = s->version;
        for (int waited = 0;
             v == s->version && waited < SSE_KEEPALIVE_MS && !srv_live_closed(s->ctx->live);
             waited += SSE_CHECK_MS) {
            if (sse_client_gone(s))
                return MHD_CONTENT_READER_END_WITH_ERROR;
            v = srv_live_wait(s->ctx->live, s->version, SSE_CHECK_MS);
        }
        bool closed = srv_live_closed(s->ctx->live);
        if (v != s->version) {
            s->version = v;
            sse_snapshot(s);
        } else if (!closed) {
            ie_buf_adds(&s->pending, ": keep-alive\n\n");
        }
        /* Shutdown: the stream ends (the daemon waits for this thread), and EventSource
         * clients reconnect to the next daemon. */
        if (closed && !s->finished) {
            ie_buf_adds(&s->pending, ": imgedad is shutting down\n\n");
            s->finished = true;
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

enum MHD_Result srv_h_scan_events(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    struct sse *s = ie_xcalloc(1, sizeof(*s));
    s->ctx = r->ctx;
    s->conn = r->conn;
    snprintf(s->id, sizeof(s->id), "%s", r->params[0]);
    ie_buf_init(&s->pending);
    s->version = srv_live_wait(r->ctx->live, UINT64_MAX, 0);
    sse_snapshot(s);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    return srv_reply_response(r, 200, resp);
}
