/* libmicrohttpd glue: token auth (header or cookie) before any body byte, request bodies within
 * a size cap and a budget for all of them, connection limits, the handler given at start-up
 * (the API's dispatch) with a pooled SQLite connection, JSON responses and errors, files.
 * DESIGN: thread-per-connection mode, so a handler may block (an SSE stream waiting for
 * progress, a CI gate waiting for its scan) without stalling other clients. Whatever a
 * request's head alone can refuse (no token, a body declared too large or over the budget) is
 * answered on MHD's first call, before any of the body is read: MHD then drops the body and
 * closes the connection after the reply. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "http.h"
#include "http_guard.h"
#include "imgeda/util.h"
#include "upload.h"

/* How long a request waits for a pooled SQLite connection before it fails. */
#define DB_WAIT_MS 30000
/* What a 503 for a full body budget tells the client to wait, in seconds. */
#define RETRY_AFTER_S 2
/* An idle connection (no byte either way) is closed after this many seconds. */
#define IDLE_TIMEOUT_S 120u

struct srv_http {
    struct MHD_Daemon *d;
    struct srv_ctx *ctx;
    srv_handler_fn handler;
    struct srv_db_pool *pool;
    struct srv_http_guard *guard;
    long long budget;      /* bytes of bodies that may be held at once */
    atomic_llong buffered; /* bytes of bodies reserved now */
    atomic_ullong requests, errors;
    atomic_int answering; /* requests whose handler runs or whose reply is not yet complete */
};

/* One request's state between MHD's calls. */
struct conn_state {
    struct ie_buf body;
    size_t reserved;           /* bytes of the budget this body holds */
    bool too_large;            /* over max_body_bytes: the rest is discarded, the answer is 413 */
    bool busy;                 /* over the budget: the rest is discarded, the answer is 503 */
    bool answering;            /* counted in srv_http.answering */
    struct srv_upload *upload; /* a body streamed to a file (upload.h) instead of body */
};

sqlite3 *srv_http_db(struct srv_req *r, struct ie_err *err)
{
    if (!r->db && srv_db_pool_get(r->http->pool, DB_WAIT_MS, &r->db, err) < 0)
        return NULL;
    return r->db;
}

void srv_http_db_release(struct srv_req *r)
{
    srv_db_pool_put(r->http->pool, r->db);
    r->db = NULL;
}

const char *srv_query(struct srv_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

enum MHD_Result srv_reply_response(struct srv_req *r, unsigned status, struct MHD_Response *resp)
{
    r->status = status;
    enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Queues resp with the headers every reply but a stream's carries. */
static enum MHD_Result queue(struct srv_req *r, unsigned status, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return srv_reply_response(r, status, resp);
}

/* srv_reply_buffer with one more header (unless name is NULL). */
static enum MHD_Result reply_buffer_with(struct srv_req *r, unsigned status,
                                         const char *content_type, void *data, size_t len,
                                         const char *name, const char *value)
{
    r->status = status;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    if (name)
        MHD_add_response_header(resp, name, value);
    return queue(r, status, resp);
}

enum MHD_Result srv_reply_buffer(struct srv_req *r, unsigned status, const char *content_type,
                                 void *data, size_t len)
{
    return reply_buffer_with(r, status, content_type, data, len, NULL, NULL);
}

enum MHD_Result srv_reply_json(struct srv_req *r, unsigned status, cJSON *body)
{
    r->status = status;
    char *s = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!s)
        return MHD_NO;
    size_t n = strlen(s);
    return srv_reply_buffer(r, status, "application/json", s, n);
}

/* {"error": {"code", "message"}} as JSON text (caller frees), or NULL when out of memory. */
static char *error_text(const char *code, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", code);
    char *safe = ie_utf8_sanitize(msg, strlen(msg));
    cJSON_AddStringToObject(e, "message", safe);
    free(safe);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

enum MHD_Result srv_reply_error(struct srv_req *r, unsigned status, const char *code,
                                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->status = status;
    char *s = error_text(code, msg);
    if (!s)
        return MHD_NO;
    return srv_reply_buffer(r, status, "application/json", s, strlen(s));
}

/* 503 with Retry-After: the bodies being received hold the whole budget. */
enum MHD_Result srv_reply_busy(struct srv_req *r, unsigned retry_after_s, const char *fmt, ...)
{
    char msg[512], after[16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(after, sizeof(after), "%u", retry_after_s);
    r->status = 503;
    char *s = error_text("busy", msg);
    if (!s)
        return MHD_NO;
    return reply_buffer_with(r, 503, "application/json", s, strlen(s), "Retry-After", after);
}

static enum MHD_Result reply_busy(struct srv_req *r, long long budget)
{
    return srv_reply_busy(r, RETRY_AFTER_S,
                          "request bodies being received already hold limits.max_buffered_bytes "
                          "(%lld bytes); retry in a few seconds",
                          budget);
}

enum MHD_Result srv_reply_ie_err(struct srv_req *r, const struct ie_err *err)
{
    switch (err->code) {
    case IE_ENOENT:
        return srv_reply_error(r, 404, "not_found", "%s", err->msg);
    case IE_EINVAL:
    case IE_EFORMAT:
        return srv_reply_error(r, 400, "bad_request", "%s", err->msg);
    case IE_EPERM:
        return srv_reply_error(r, 403, "forbidden", "%s", err->msg);
    case IE_ELIMIT:
        return srv_reply_error(r, 413, "too_large", "%s", err->msg);
    case IE_ESTATE:
        return srv_reply_error(r, 409, "conflict", "%s", err->msg);
    case IE_ECANCELED: /* reaches a request only when the daemon stops under it */
        return srv_reply_error(r, 503, "shutting_down", "%s", err->msg);
    default:
        return srv_reply_error(r, 500, "internal", "%s", err->msg);
    }
}

enum MHD_Result srv_reply_file(struct srv_req *r, const char *path, const char *content_type,
                               const char *download_name)
{
    r->status = 200;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return srv_reply_error(r, 404, "not_found", "no such file");
    }
    struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    /* HTML from a file is the dashboard (reports are built in memory): it may load only from
     * this daemon, so no page of ours can reach the network even by mistake. */
    if (strncmp(content_type, "text/html", 9) == 0)
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data: blob:; "
                                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                                "form-action 'self'");
    if (download_name) {
        char cd[512];
        snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", download_name);
        MHD_add_response_header(resp, "Content-Disposition", cd);
    }
    return queue(r, 200, resp);
}

/* True if given equals token, in time that depends only on the token's length. */
static bool token_equal(const char *given, const char *token)
{
    size_t a = strlen(given), b = strlen(token);
    unsigned char diff = (unsigned char)(a != b);
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned char)(token[i] ^ (i < a ? given[i] : 0));
    return diff == 0;
}

/* The token may come as "Authorization: Bearer <token>" or as the cookie imgedad_token: a
 * browser's EventSource, <img> and download links cannot send headers, so the dashboard keeps
 * the token in a SameSite=Strict cookie (which other sites' pages never send along). */
static bool token_ok(struct MHD_Connection *c, const char *token)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "imgedad_token");
    bool ok = false;
    if (h && strncmp(h, "Bearer ", 7) == 0)
        ok = token_equal(h + 7, token);
    if (cookie)
        ok |= token_equal(cookie, token);
    return ok;
}

/* The API and the metrics need the token (when one is set); /healthz and the dashboard's
 * static files do not. */
static bool needs_token(const char *url)
{
    return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0;
}

/* Reserves n bytes of the body budget, or returns false when they do not fit. */
static bool budget_take(struct srv_http *h, size_t n)
{
    long long cur = atomic_load(&h->buffered);
    do {
        if (cur + (long long)n > h->budget)
            return false;
    } while (!atomic_compare_exchange_weak(&h->buffered, &cur, cur + (long long)n));
    return true;
}

/* Frees a request's body and gives its bytes back to the budget. */
static void body_drop(struct srv_http *h, struct conn_state *cs)
{
    atomic_fetch_sub(&h->buffered, (long long)cs->reserved);
    cs->reserved = 0;
    ie_buf_release(&cs->body);
}

/* 413, naming the setting: a manifest import over the limit is the usual case, and its user
 * needs to know what to raise. */
static enum MHD_Result reply_too_large(struct srv_req *r, const struct srv_config *cfg)
{
    return srv_reply_error(r, 413, "too_large",
                           "request body exceeds %lld bytes (limits.max_body_bytes in the "
                           "daemon's config; raise it to import larger manifests)",
                           (long long)cfg->max_body_bytes);
}

/* refuse_at_head for a body streamed to a file: its own limit, no memory budget. */
static bool refuse_upload(const struct srv_config *cfg, struct srv_req *r, struct conn_state *cs,
                          unsigned long long len, enum MHD_Result *rc)
{
    struct ie_err err = {0};
    if (len > (unsigned long long)cfg->import_max_bytes) {
        char msg[256];
        srv_upload_too_large_text(msg, sizeof(msg), cfg->import_max_bytes);
        *rc = srv_reply_error(r, 413, "too_large", "%s", msg);
    } else if (srv_upload_open(cfg->data_dir, cfg->import_max_bytes, &cs->upload, &err) < 0) {
        *rc = srv_reply_ie_err(r, &err);
    } else {
        return false;
    }
    srv_http_guard_mark(r->conn, SRV_HTTP_REPLY);
    return true;
}

/* The first call of a request, its head complete and none of its body read: refuses what the
 * head alone decides (no token, a declared body too large or over what the budget has left),
 * else reserves a declared body's bytes. Returns true when it queued a reply (in *rc). */
static bool refuse_at_head(struct srv_http *h, struct srv_req *r, struct conn_state *cs,
                           enum MHD_Result *rc)
{
    const struct srv_config *cfg = h->ctx->cfg;
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
    unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
    if (needs_token(r->url) && *cfg->auth_token && !token_ok(r->conn, cfg->auth_token))
        *rc = srv_reply_error(r, 401, "unauthorized",
                              "missing or wrong token (Authorization: Bearer, or the "
                              "imgedad_token cookie)");
    else if (srv_upload_route(r->method, r->url))
        return refuse_upload(cfg, r, cs, len, rc);
    else if (len > (unsigned long long)cfg->max_body_bytes)
        *rc = reply_too_large(r, cfg);
    else if (len && !budget_take(h, (size_t)len + 1))
        *rc = reply_busy(r, h->budget);
    else {
        cs->reserved = len ? (size_t)len + 1 : 0;
        return false;
    }
    srv_http_guard_mark(r->conn, SRV_HTTP_REPLY);
    return true;
}

/* Appends a piece of body. A body over max_body_bytes becomes too_large, one the budget cannot
 * hold busy: either is freed at once and the rest of it discarded as it comes. */
static void body_add(struct srv_http *h, struct conn_state *cs, const char *data, size_t n)
{
    size_t max = (size_t)h->ctx->cfg->max_body_bytes, need = cs->body.len + n + 1;
    if (cs->upload) {
        srv_upload_add(cs->upload, data, n);
        return;
    }
    if (cs->too_large || cs->busy)
        return;
    if (need - 1 > max) {
        cs->too_large = true;
        body_drop(h, cs);
        return;
    }
    if (need > cs->reserved) {
        /* No Content-Length: the reservation grows by half, always before the memory. */
        size_t want = IE_MIN(IE_MAX(need, cs->reserved + cs->reserved / 2), max + 1);
        if (!budget_take(h, want - cs->reserved)) {
            cs->busy = true;
            body_drop(h, cs);
            return;
        }
        cs->reserved = want;
    }
    if (need > cs->body.cap) {
        cs->body.data = ie_xrealloc(cs->body.data, cs->reserved);
        cs->body.cap = cs->reserved;
    }
    memcpy(cs->body.data + cs->body.len, data, n);
    cs->body.len += n;
    cs->body.data[cs->body.len] = '\0';
}

/* The last call of a request, its body complete: the handler answers, with a pooled SQLite
 * connection if it asks for one, given back as soon as it returns. */
static enum MHD_Result answer(struct srv_http *h, struct srv_req *r, struct conn_state *cs)
{
    enum MHD_Result rc;
    struct ie_err err = {0};
    r->body = cs->body.data ? cs->body.data : "";
    r->body_len = cs->body.len;
    r->upload_path = cs->upload ? srv_upload_path(cs->upload) : NULL;
    if (cs->upload && srv_upload_finish(cs->upload, &err) < 0)
        rc = srv_reply_ie_err(r, &err);
    else if (cs->too_large)
        rc = reply_too_large(r, h->ctx->cfg);
    else if (cs->busy)
        rc = reply_busy(r, h->budget);
    else
        rc = h->handler(r);
    srv_http_db_release(r);
    /* The reply is queued (responses copy what they send), so the body's bytes go back to the
     * budget now, before the client can read the reply and send its next body. */
    body_drop(h, cs);
    r->body = "";
    r->body_len = 0;
    return rc;
}

/* Counts cs in srv_http.answering once, until on_completed. */
static void mark_answering(struct srv_http *h, struct conn_state *cs)
{
    if (cs->answering)
        return;
    atomic_fetch_add(&h->answering, 1);
    cs->answering = true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct srv_http *h = cls;
    struct conn_state *cs = *con_cls;
    struct srv_req r = {.conn = conn, .ctx = h->ctx, .http = h, .method = method, .url = url};
    enum MHD_Result rc;
    (void)version;
    if (!cs) {
        cs = ie_xcalloc(1, sizeof(*cs));
        ie_buf_init(&cs->body);
        *con_cls = cs;
        srv_http_guard_mark(conn, SRV_HTTP_BODY);
        if (!refuse_at_head(h, &r, cs, &rc))
            return MHD_YES;
    } else if (*upload_data_size) {
        srv_http_guard_mark(conn, SRV_HTTP_BODY);
        body_add(h, cs, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    } else {
        srv_http_guard_mark(conn, SRV_HTTP_REPLY);
        /* Counted before the handler runs: a handler the shutdown itself wakes (a CI gate
         * waiting on a scan answers 503 shutting_down) queues its reply only after the stop
         * has begun to wait, and counted after it the stop would not see it coming. */
        mark_answering(h, cs);
        rc = answer(h, &r, cs);
    }
    atomic_fetch_add(&h->requests, 1);
    /* A reply is queued: the stop lets it complete (srv_http.answering). */
    mark_answering(h, cs);
    if (r.status >= 400)
        atomic_fetch_add(&h->errors, 1);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *cs = *con_cls;
    struct srv_http *h = cls;
    (void)toe;
    /* A kept-alive connection now waits for its next request head. */
    srv_http_guard_mark(conn, SRV_HTTP_HEAD);
    if (cs && cs->answering)
        atomic_fetch_sub(&h->answering, 1);
    if (cs) {
        body_drop(cls, cs);
        /* A body that never completed (the client hung up) or was not kept leaves no file. */
        srv_upload_free(cs->upload);
        free(cs);
        *con_cls = NULL;
    }
}

int srv_http_start(struct srv_ctx *ctx, srv_handler_fn handler, struct srv_http **out,
                   struct ie_err *err)
{
    struct srv_http *h = ie_xcalloc(1, sizeof(*h));
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;
    const char *addr = ctx->cfg->listen_address;
    if (strcmp(addr, "localhost") == 0)
        addr = "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)ctx->cfg->listen_port);
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)ctx->cfg->listen_port);
        flags |= MHD_USE_IPv6;
    } else {
        free(h);
        return ie_err_set(err, IE_EINVAL, "listen.address: \"%s\" is not an IP address", addr);
    }
    const struct srv_config *cfg = ctx->cfg;
    int rc =
        srv_http_guard_new((int)cfg->header_timeout_s, (int)cfg->body_timeout_s, &h->guard, err);
    if (rc < 0) {
        free(h);
        return rc;
    }
    h->ctx = ctx;
    h->handler = handler;
    h->pool = srv_db_pool_new(ctx->db_path, (int)cfg->db_connections);
    /* One body of the largest size always fits when nothing else is held. */
    h->budget = IE_MAX(cfg->max_buffered_bytes, cfg->max_body_bytes + 1);
    /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT, which let a second daemon
     * listen on the same port. MHD's default (SO_REUSEADDR) still restarts over TIME_WAIT. */
    h->d = MHD_start_daemon(
        flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, srv_http_guard_notify, h->guard,
        MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections_per_ip, MHD_OPTION_END);
    if (!h->d) {
        srv_http_guard_free(h->guard);
        srv_db_pool_free(h->pool);
        free(h);
        return ie_err_set(err, IE_EIO, "cannot listen on %s:%lld (in use, or not permitted)",
                          cfg->listen_address, (long long)cfg->listen_port);
    }
    *out = h;
    return 0;
}

int srv_http_port(const struct srv_http *h)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : -1;
}

void srv_http_stop(struct srv_http *h)
{
    if (!h)
        return;
    /* MHD_stop_daemon shuts every socket down, replies half sent included: handlers still
     * running and the replies of requests the shutdown has just answered (a gate's 503, an
     * event stream's end) get up to 2 s to go out first. */
    for (int i = 0; i < 200 && atomic_load(&h->answering) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(h->d);
    srv_http_guard_free(h->guard);
    srv_db_pool_free(h->pool);
    free(h);
}

void srv_http_metrics(struct srv_http *h, unsigned long long *requests, unsigned long long *errors)
{
    *requests = atomic_load(&h->requests);
    *errors = atomic_load(&h->errors);
}
