/* The AWS Lambda Runtime API, client side: what a custom runtime does between invocations
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html). GET .../invocation/next
 * blocks until Lambda has an event, the handler's result goes to .../invocation/ID/response,
 * a failed invocation to .../invocation/ID/error, a runtime that cannot start to .../init/error.
 * THREADS: one runtime per thread (the process's main loop). */
#ifndef IMGEDA_LAMBDA_RUNTIME_H
#define IMGEDA_LAMBDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

/* Events larger than this are refused (Lambda's own synchronous payload limit is 6 MB). */
#define LAM_MAX_EVENT_BYTES (6u << 20)

struct lam_runtime {
    void *curl;   /* a CURL easy handle, reused so the connection stays open */
    char *base;   /* "http://HOST:PORT/2018-06-01/runtime" */
    char *header; /* scratch for one response header while a request runs */
};

/* One invocation as GET .../invocation/next hands it over. */
struct lam_invocation {
    char request_id[128]; /* Lambda-Runtime-Aws-Request-Id */
    int64_t deadline_ms;  /* Lambda-Runtime-Deadline-Ms: Unix time in ms; 0 when absent */
    char function_arn[256];
    char *event; /* the event's JSON text, NUL-terminated, malloc'd */
    size_t event_len;
};

/* Prepares a client of the Runtime API at api ("HOST:PORT", AWS_LAMBDA_RUNTIME_API). Returns 0
 * or IE_EINVAL (empty api). Release with lam_runtime_release. */
int lam_runtime_init(struct lam_runtime *rt, const char *api, struct ie_err *err);
void lam_runtime_release(struct lam_runtime *rt);

/* Waits (without a time limit: Lambda freezes the process meanwhile) for the next invocation
 * and fills inv (release with lam_invocation_release). Sets _X_AMZN_TRACE_ID from the trace
 * header, as the Runtime API asks. Returns 0, IE_EIO when the API cannot be reached or answers
 * other than 200, IE_ELIMIT for an event over LAM_MAX_EVENT_BYTES (inv->request_id is then set,
 * so the invocation can be failed). */
int lam_runtime_next(struct lam_runtime *rt, struct lam_invocation *inv, struct ie_err *err);
void lam_invocation_release(struct lam_invocation *inv);

/* Posts the result of invocation request_id (JSON text). Returns 0 or IE_EIO (e.g. 413 for a
 * response over Lambda's limit, with the API's answer in the message). */
int lam_runtime_respond(struct lam_runtime *rt, const char *request_id, const char *json,
                        size_t len, struct ie_err *err);

/* Posts a failure: {"errorMessage", "errorType", "stackTrace": []} to .../invocation/ID/error,
 * or to .../init/error when request_id is NULL (the runtime cannot start). Step Functions sees
 * error_type as the error's name (Retry and Catch match it). Returns 0 or IE_EIO. */
int lam_runtime_fail(struct lam_runtime *rt, const char *request_id, const char *error_type,
                     const char *message, struct ie_err *err);

#endif
