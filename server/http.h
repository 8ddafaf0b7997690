/* The HTTP server (libmicrohttpd, one thread per connection) and its request helpers.
 * THREADS: handlers run on MHD's connection threads; they reach the loop thread only through
 * srv_jobs_* and borrow a SQLite connection from a bounded pool (srv_http_db). */
#ifndef IMGEDA_SERVER_HTTP_H
#define IMGEDA_SERVER_HTTP_H

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "server.h"

struct srv_http;

/* A request as handlers see it. */
struct srv_req {
    struct MHD_Connection *conn;
    struct srv_ctx *ctx;
    struct srv_http *http;
    const char *method;
    const char *url;
    const char *body;
    size_t body_len;
    const char *upload_path; /* a body streamed to a file (upload.h), else NULL; may be renamed */
    const char *params[4];   /* path parameters in route order */
    int n_params;
    unsigned status; /* the status of the reply queued, recorded by srv_reply_* (0: none yet) */
    sqlite3 *db;     /* the pooled connection srv_http_db lent, or NULL */
};

/* Answers one request (its body complete, its token checked) by queueing a reply with one of
 * srv_reply_*; returns MHD's result. The HTTP server knows nothing else of the API. */
typedef enum MHD_Result (*srv_handler_fn)(struct srv_req *r);

/* Starts listening (port 0 picks a free port; srv_http_port tells which); every request goes to
 * handler. */
int srv_http_start(struct srv_ctx *ctx, srv_handler_fn handler, struct srv_http **out,
                   struct ie_err *err);
int srv_http_port(const struct srv_http *h);
/* Gives replies under way up to 2 s to complete, then stops accepting, shuts every connection
 * down and waits for connection threads to finish. */
void srv_http_stop(struct srv_http *h);

/* The request's SQLite connection, borrowed from the daemon's pool (limits.db_connections) on
 * first use and given back when the handler returns; NULL with err filled when none is free
 * within 30 s. Not for use after the handler returned (e.g. in a stream's callback). */
sqlite3 *srv_http_db(struct srv_req *r, struct ie_err *err);
/* Gives the request's connection back to the pool now (the next srv_http_db borrows one
 * again): for a handler about to wait long, so that waiting holds no connection. */
void srv_http_db_release(struct srv_req *r);

/* Responses; each queues the response, records its status in r->status (for the metrics and
 * the error counter) and returns MHD's result. */
enum MHD_Result srv_reply_json(struct srv_req *r, unsigned status, cJSON *body /* consumed */);
enum MHD_Result srv_reply_error(struct srv_req *r, unsigned status, const char *code,
                                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 503 {"error": {"code": "busy", ...}} with Retry-After: retry_after_s: a limit of the daemon
 * is full for now (bodies being received, thumbnail decodes) and the client may ask again. */
enum MHD_Result srv_reply_busy(struct srv_req *r, unsigned retry_after_s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Maps an IE_E* code to a status (the only such mapping) and replies with err's message. */
enum MHD_Result srv_reply_ie_err(struct srv_req *r, const struct ie_err *err);
enum MHD_Result srv_reply_buffer(struct srv_req *r, unsigned status, const char *content_type,
                                 void *data /* freed */, size_t len);
/* 200 with the file's bytes (an attachment named download_name unless NULL), or 404 not_found
 * when path is not a regular file that opens. */
enum MHD_Result srv_reply_file(struct srv_req *r, const char *path, const char *content_type,
                               const char *download_name);
/* Queues a response the caller built (headers and all: nothing is added), e.g. a stream, and
 * destroys the caller's reference. */
enum MHD_Result srv_reply_response(struct srv_req *r, unsigned status,
                                   struct MHD_Response *resp /* consumed */);
const char *srv_query(struct srv_req *r, const char *name);

/* Request counters for /metrics. */
void srv_http_metrics(struct srv_http *h, unsigned long long *requests, unsigned long long *errors);

#endif
