/* libmicrohttpd glue: request bodies with a size cap, token auth (header or cookie), the handler
 * given at start-up (the API's dispatch), JSON responses and errors, files from disk.
 * DESIGN: thread-per-connection mode, so a handler may block (an SSE stream waiting for
 * progress, a CI gate waiting for its scan) without stalling other clients. */
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
#include "imgeda/util.h"

struct srv_http {
    struct MHD_Daemon *d;
    struct srv_ctx *ctx;
    srv_handler_fn handler;
    atomic_ullong requests, errors;
    atomic_int answering; /* requests whose handler ran and whose reply is not yet complete */
};

struct conn_state {
    struct ie_buf body;
    bool too_large;
    bool answering; /* counted in srv_http.answering */
};

static pthread_key_t db_key;
static pthread_once_t db_once = PTHREAD_ONCE_INIT;

static void db_close_at_exit(void *p)
{
    srv_db_close(p);
}

static void db_key_init(void)
{
    pthread_key_create(&db_key, db_close_at_exit);
}

sqlite3 *srv_http_db(struct srv_req *r, struct ie_err *err)
{
    pthread_once(&db_once, db_key_init);
    sqlite3 *db = pthread_getspecific(db_key);
    if (!db) {
        if (srv_db_open(r->ctx->db_path, &db, err) < 0)
            return NULL;
        pthread_setspecific(db_key, db);
    }
    return db;
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

enum MHD_Result srv_reply_buffer(struct srv_req *r, unsigned status, const char *content_type,
                                 void *data, size_t len)
{
    r->status = status;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    return queue(r, status, resp);
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

enum MHD_Result srv_reply_error(struct srv_req *r, unsigned status, const char *code,
                                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cJSON *o = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", code);
    char *safe = ie_utf8_sanitize(msg, strlen(msg));
    cJSON_AddStringToObject(e, "message", safe);
    free(safe);
    return srv_reply_json(r, status, o);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct srv_http *h = cls;
    struct conn_state *cs = *con_cls;
    (void)version;
    if (!cs) {
        cs = ie_xcalloc(1, sizeof(*cs));
        ie_buf_init(&cs->body);
        *con_cls = cs;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)h->ctx->cfg->max_body_bytes)
            cs->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!cs->too_large) {
            if (cs->body.len + *upload_data_size > (size_t)h->ctx->cfg->max_body_bytes) {
                cs->too_large = true;
                ie_buf_release(&cs->body);
            } else {
                ie_buf_add(&cs->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&h->requests, 1);
    atomic_fetch_add(&h->answering, 1);
    cs->answering = true;
    struct srv_req r = {.conn = conn,
                        .ctx = h->ctx,
                        .method = method,
                        .url = url,
                        .body = cs->body.data ? cs->body.data : "",
                        .body_len = cs->body.len};
    enum MHD_Result rc;
    if (cs->too_large)
        rc = srv_reply_error(&r, 413, "too_large", "request body exceeds %lld bytes",
                             (long long)h->ctx->cfg->max_body_bytes);
    else if (strncmp(url, "/api/", 5) == 0 && *h->ctx->cfg->auth_token &&
             !token_ok(conn, h->ctx->cfg->auth_token))
        rc = srv_reply_error(&r, 401, "unauthorized",
                             "missing or wrong token (Authorization: Bearer, or the "
                             "imgedad_token cookie)");
    else
        rc = h->handler(&r);
    if (r.status >= 400)
        atomic_fetch_add(&h->errors, 1);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct conn_state *cs = *con_cls;
    struct srv_http *h = cls;
    (void)conn;
    (void)toe;
    if (cs && cs->answering)
        atomic_fetch_sub(&h->answering, 1);
    if (cs) {
        ie_buf_release(&cs->body);
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
    h->ctx = ctx;
    h->handler = handler;
    /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT, which let a second daemon
     * listen on the same port. MHD's default (SO_REUSEADDR) still restarts over TIME_WAIT. */
    h->d =
        MHD_start_daemon(flags, (uint16_t)ctx->cfg->listen_port, NULL, NULL, on_request, h,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, h, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024, MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return ie_err_set(err, IE_EIO, "cannot listen on %s:%lld (in use, or not permitted)",
                          ctx->cfg->listen_address, (long long)ctx->cfg->listen_port);
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
    /* MHD_stop_daemon shuts every socket down, replies half sent included: the replies of
     * requests the shutdown has just answered (a gate's 503, an event stream's end) get up to
     * 2 s to go out first. */
    for (int i = 0; i < 200 && atomic_load(&h->answering) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(h->d);
    free(h);
}

void srv_http_metrics(struct srv_http *h, unsigned long long *requests, unsigned long long *errors)
{
    *requests = atomic_load(&h->requests);
    *errors = atomic_load(&h->errors);
}
