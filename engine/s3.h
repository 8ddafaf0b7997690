/* A small S3 client on libcurl (SigV4 signing by curl) and expat (XML): bucket listing
 * (ListObjectsV2, paged), GET of one object or of many with several transfers in flight, PUT
 * from memory, and a check of bucket and credentials before a scan. Used by the scan of a
 * bucket (engine/s3_scan.c), the daemon's S3 thumbnails and the Lambda handlers.
 * SETTINGS come from the standard environment (eng_s3_config_from_env): AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or AWS_DEFAULT_REGION; default
 * us-east-1), AWS_ENDPOINT_URL (a custom endpoint, addressed path-style: ENDPOINT/BUCKET/KEY;
 * without it https://BUCKET.s3.REGION.amazonaws.com/KEY) and AWS_MAX_ATTEMPTS (tries per
 * request, default 5).
 * RETRIES: 5xx, 429, SlowDown, timeouts and connection errors are retried up to max_attempts
 * tries in all, with exponential backoff and full jitter; any other answer is final. A 404 or
 * 403 on an object is that object's result (IE_ENOENT / IE_EPERM), never retried.
 * ERRORS: IE_ENOENT (no such bucket or key), IE_EPERM (access denied, unknown key id, bad
 * signature), IE_EIO (endpoint unreachable, 5xx after the retries), IE_ELIMIT (object larger
 * than the caller's cap), IE_EINVAL (bad URL, other 4xx); the message names the bucket and key
 * and the S3 error Code and Message from the answer's XML body.
 * THREADS: a client (struct eng_s3) may be used by any number of threads at once: its settings
 * are read-only and its connection, DNS and TLS-session caches are shared under locks, so
 * keep-alive connections are reused across calls and threads. eng_s3_global_init must run once
 * in main before threads (curl_global_init is not thread-safe). */
#ifndef IMGEDA_ENGINE_S3_H
#define IMGEDA_ENGINE_S3_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

#define ENG_S3_SCHEME "s3://"

struct eng_s3_config {
    char *access_key;    /* NULL: requests are sent unsigned (public buckets) */
    char *secret_key;    /* NULL: unsigned */
    char *session_token; /* sent as x-amz-security-token; NULL: none */
    char *region;        /* never NULL after eng_s3_config_from_env */
    char *endpoint;      /* "http://127.0.0.1:4569" (no trailing slash); NULL: AWS */
    int max_attempts;    /* tries per request, >= 1 */
    int backoff_base_ms; /* first retry waits up to this (full jitter), doubling each time */
    int backoff_cap_ms;  /* no wait is longer than this */
    long connect_timeout_s;
    long stall_timeout_s; /* a transfer with no byte for this long has timed out */
    int list_page_keys;   /* max-keys per listing page; 0: the server's default (1000) */
};

/* Reads the settings above from the environment into c (strings malloc'd). Returns 0, or
 * IE_EINVAL when a value is malformed (AWS_ENDPOINT_URL not http(s)://, AWS_MAX_ATTEMPTS not
 * 1..100) or only one of the key id and the secret is set. */
int eng_s3_config_from_env(struct eng_s3_config *c, struct ie_err *err);
void eng_s3_config_release(struct eng_s3_config *c);

/* An s3://BUCKET/PREFIX URL taken apart. */
struct eng_s3_url {
    char *bucket; /* 3..63 characters of [a-z0-9.-] */
    char *prefix; /* "" for the whole bucket; key prefix as given, no leading '/' */
};

/* True when s starts with "s3://". */
bool eng_s3_is_url(const char *s);
/* Parses "s3://BUCKET" or "s3://BUCKET/PREFIX" into u (strings malloc'd). Returns 0 or
 * IE_EINVAL (no bucket, bad bucket name, a ".." segment, control characters). */
int eng_s3_url_parse(const char *url, struct eng_s3_url *u, struct ie_err *err);
void eng_s3_url_release(struct eng_s3_url *u);
/* True when key is prefix itself or lies under it on key boundaries: prefix "" matches every
 * key, "a/b" matches "a/b" and "a/b/..." but not "a/bc", and "a/b/" matches "a/b/...". */
bool eng_s3_key_under(const char *key, const char *prefix);

/* Must be called once before any other call, before threads start. Returns 0 or IE_EIO. */
int eng_s3_global_init(struct ie_err *err);

struct eng_s3;

/* Creates a client with a copy of cfg. Returns 0 or IE_EIO (out of curl resources). */
int eng_s3_new(const struct eng_s3_config *cfg, struct eng_s3 **out, struct ie_err *err);
void eng_s3_free(struct eng_s3 *s);
const struct eng_s3_config *eng_s3_config(const struct eng_s3 *s);

/* One object of a listing; the strings are valid only during the callback. */
struct eng_s3_object {
    const char *key;
    int64_t size;
    int64_t mtime; /* LastModified in seconds since the epoch (UTC) */
    const char *etag;
};

/* Called per object in key order; return non-zero to stop the listing (eng_s3_list then
 * returns IE_ECANCELED). */
typedef int (*eng_s3_list_cb)(const struct eng_s3_object *o, void *ud);

/* Lists every object whose key starts with prefix (plain string prefix, as S3 does), page by
 * page (continuation tokens). Returns 0 or an error (see ERRORS). */
int eng_s3_list(struct eng_s3 *s, const char *bucket, const char *prefix, eng_s3_list_cb cb,
                void *ud, struct ie_err *err);

/* Checks, before a scan, that the bucket exists and can be listed with these credentials (a
 * ListObjectsV2 of one key under prefix). Returns 0 or an error whose message says which:
 * IE_ENOENT "bucket ... does not exist", IE_EPERM "access to bucket ... denied", IE_EIO
 * "cannot reach ...". */
int eng_s3_check(struct eng_s3 *s, const char *bucket, const char *prefix, struct ie_err *err);

/* GETs one object into memory: *data (malloc'd, NUL-terminated past *len; caller frees) and
 * *len. An object larger than max_bytes (0: no cap) is IE_ELIMIT. */
int eng_s3_get(struct eng_s3 *s, const char *bucket, const char *key, size_t max_bytes,
               uint8_t **data, size_t *len, struct ie_err *err);

/* PUTs len bytes as an object (payload signed with its SHA-256). content_type may be NULL
 * (application/octet-stream). Returns 0 or an error. */
int eng_s3_put(struct eng_s3 *s, const char *bucket, const char *key, const void *data, size_t len,
               const char *content_type, struct ie_err *err);

/* Called once per key of eng_s3_get_many, in completion order: status 0 and data (malloc'd,
 * NUL-terminated past len; the callback owns it) or a per-object error (status < 0, err says
 * why, data NULL). Return non-zero to stop: transfers in flight are abandoned. */
typedef int (*eng_s3_get_cb)(size_t index, int status, uint8_t *data, size_t len,
                             const struct ie_err *err, void *ud);

/* GETs keys[0..n) with at most max_in_flight transfers at once (curl multi), each with the
 * retries above, so the calling thread is not idle on latency; cb runs on the calling thread,
 * and while it runs (say, analysing an image) the other transfers keep their bytes in the
 * socket buffers. *cancel (may be NULL) is watched between events. Returns 0 when every key
 * got its callback, IE_ECANCELED when cb or *cancel stopped it, IE_EIO when curl itself failed
 * (err filled; keys without a callback were not fetched). */
int eng_s3_get_many(struct eng_s3 *s, const char *bucket, const char *const *keys, size_t n,
                    int max_in_flight, size_t max_bytes, eng_s3_get_cb cb, void *ud,
                    const atomic_int *cancel, struct ie_err *err);

#endif
