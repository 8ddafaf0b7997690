/* What the S3 client's files share (s3.c: settings, requests and retries; s3_xml.c: the XML
 * answers; s3_multi.c: many GETs at once). Not for use outside engine/s3*.c. */
#ifndef IMGEDA_ENGINE_S3_INTERNAL_H
#define IMGEDA_ENGINE_S3_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>

#include "engine/s3.h"

/* Bodies other than object data (listings, error documents) are capped at this size. */
#define S3_XML_MAX ((size_t)32 << 20)

struct eng_s3 {
    struct eng_s3_config cfg;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    char sigv4[128]; /* "aws:amz:REGION:s3" */
    char *userpwd;   /* "KEY:SECRET", NULL when unsigned */
};

/* One request's answer: status, body, and curl's own error if the transfer failed. */
struct s3_resp {
    long http;
    CURLcode cc;
    uint8_t *body;
    size_t len, cap, max; /* max: body cap (0: none) */
    bool over;            /* the body passed max */
    char curl_msg[CURL_ERROR_SIZE];
};

/* A request being prepared: the easy handle and what it points at. */
struct s3_req {
    CURL *h;
    struct curl_slist *hdrs;
    char *url;
    struct s3_resp resp;
};

/* Builds the URL of bucket (key NULL) or of an object, plus a canonical query (may be NULL).
 * Returns a malloc'd string. */
char *s3__url(const struct eng_s3 *s, const char *bucket, const char *key, const char *query);
/* Sets up q for a request to url (owned by q from now on): signing, headers (payload_sha: the
 * x-amz-content-sha256 value), timeouts, shared caches, the body into q->resp capped at
 * max_body. Returns 0 or IE_EIO. */
int s3__req_init(struct eng_s3 *s, struct s3_req *q, char *url, const char *payload_sha,
                 size_t max_body, struct ie_err *err);
/* Clears the answer before another try of the same request. */
void s3__req_reset(struct s3_req *q);
void s3__req_release(struct s3_req *q);
/* Reads the HTTP status of a finished transfer into q->resp. */
void s3__req_done(struct s3_req *q, CURLcode cc);

/* True when the answer calls for another try (5xx, 429, SlowDown, RequestTimeout, timeouts and
 * connection errors). */
bool s3__retryable(const struct s3_resp *r);
/* How long to wait before try number `attempt` + 1 (attempt >= 1): full jitter over an
 * exponential ceiling. */
long s3__backoff_ms(const struct eng_s3_config *c, int attempt, unsigned *seed);
/* A seed for s3__backoff_ms that differs between threads and calls. */
unsigned s3__seed(void);
/* Turns a final non-2xx answer or transfer failure into an IE_E* code and a message naming
 * s3://bucket/key (key may be NULL) and the S3 error Code and Message. */
int s3__fail(const struct eng_s3 *s, const struct s3_resp *r, const char *bucket, const char *key,
             int attempts, struct ie_err *err);

/* The Code and Message of an S3 <Error> document (empty strings when absent). */
void s3__xml_error(const uint8_t *body, size_t len, char *code, size_t code_cap, char *msg,
                   size_t msg_cap);
/* Parses one ListObjectsV2 page: calls cb per <Contents>, sets *truncated and *next_token
 * (malloc'd, NULL when none). Returns 0, IE_ECANCELED (cb stopped it) or IE_EFORMAT. */
int s3__xml_list_page(const uint8_t *body, size_t len, eng_s3_list_cb cb, void *ud, bool *truncated,
                      char **next_token, struct ie_err *err);
/* "2026-12-05T21:33:56.000Z" to seconds since the epoch; -1 when malformed. */
int64_t s3__parse_time(const char *iso);

#endif
