/* The S3 client (see s3.h): settings, URLs, one request with its retries, list, check, GET and
 * PUT. Many GETs at once live in s3_multi.c, the XML answers in s3_xml.c.
 * DESIGN: every request is a fresh curl easy handle attached to the client's curl share, which
 * holds the connection cache, DNS cache and TLS sessions (under mutexes): a handle costs
 * little, keep-alive connections are reused by every thread, and no handle is ever used by two
 * threads. Signing is curl's (CURLOPT_AWS_SIGV4); the payload hash header is ours. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imgeda/util.h"
#include "engine/s3_internal.h"
#include "engine/sha256.h"

#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of the empty string: the payload hash of a bodiless request. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char *env_dup(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? ie_xstrdup(v) : NULL;
}

int eng_s3_config_from_env(struct eng_s3_config *c, struct ie_err *err)
{
    const char *attempts = getenv("AWS_MAX_ATTEMPTS");
    memset(c, 0, sizeof(*c));
    c->access_key = env_dup("AWS_ACCESS_KEY_ID");
    c->secret_key = env_dup("AWS_SECRET_ACCESS_KEY");
    c->session_token = env_dup("AWS_SESSION_TOKEN");
    c->region = env_dup("AWS_REGION");
    if (!c->region)
        c->region = env_dup("AWS_DEFAULT_REGION");
    if (!c->region)
        c->region = ie_xstrdup("us-east-1");
    c->endpoint = env_dup("AWS_ENDPOINT_URL");
    c->max_attempts = 5;
    c->backoff_base_ms = 100;
    c->backoff_cap_ms = 20000;
    c->connect_timeout_s = 10;
    c->stall_timeout_s = 30;
    int rc = 0;
    if (!c->access_key != !c->secret_key)
        rc = ie_err_set(err, IE_EINVAL,
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    else if (c->endpoint && strncmp(c->endpoint, "http://", 7) != 0 &&
             strncmp(c->endpoint, "https://", 8) != 0)
        rc = ie_err_set(err, IE_EINVAL, "AWS_ENDPOINT_URL must start with http:// or https://: %s",
                        c->endpoint);
    else if (attempts && *attempts) {
        char *end;
        long v = strtol(attempts, &end, 10);
        if (*end || v < 1 || v > 100)
            rc = ie_err_set(err, IE_EINVAL, "AWS_MAX_ATTEMPTS must be 1..100: %s", attempts);
        else
            c->max_attempts = (int)v;
    }
    if (c->endpoint) {
        size_t n = strlen(c->endpoint);
        while (n > 0 && c->endpoint[n - 1] == '/')
            c->endpoint[--n] = '\0';
    }
    if (rc < 0)
        eng_s3_config_release(c);
    return rc;
}

void eng_s3_config_release(struct eng_s3_config *c)
{
    free(c->access_key);
    free(c->secret_key);
    free(c->session_token);
    free(c->region);
    free(c->endpoint);
    memset(c, 0, sizeof(*c));
}

bool eng_s3_is_url(const char *s)
{
    return s && strncmp(s, ENG_S3_SCHEME, strlen(ENG_S3_SCHEME)) == 0;
}

/* ASCII classes by hand: the ctype functions follow the locale, URLs and bucket names do not. */
static bool ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool bucket_name_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63 || b[0] == '.' || b[0] == '-' || b[n - 1] == '.' || b[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '.' ||
              b[i] == '-' || b[i] == '_'))
            return false;
    return true;
}

/* A prefix is refused when it holds control characters or a "." / ".." segment: S3 would take
 * them literally, but a scan root that reads as a relative path is more likely a mistake, and
 * confinement by prefix must not be fooled by a path that a reader would normalise. */
static bool prefix_ok(const char *p)
{
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return false;
    for (const char *seg = p; *seg;) {
        size_t n = strcspn(seg, "/");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        seg += n;
        if (*seg == '/')
            seg++;
    }
    return true;
}

int eng_s3_url_parse(const char *url, struct eng_s3_url *u, struct ie_err *err)
{
    memset(u, 0, sizeof(*u));
    if (!eng_s3_is_url(url))
        return ie_err_set(err, IE_EINVAL, "not an s3:// URL: %s", url ? url : "(null)");
    const char *b = url + strlen(ENG_S3_SCHEME);
    size_t bn = strcspn(b, "/");
    if (!bucket_name_ok(b, bn))
        return ie_err_set(err, IE_EINVAL,
                          "bad bucket name in %s (3-63 characters of a-z, 0-9, '.', '-')", url);
    const char *p = b + bn;
    while (*p == '/')
        p++;
    if (!prefix_ok(p))
        return ie_err_set(err, IE_EINVAL,
                          "bad key prefix in %s (control characters or a '.' or '..' segment)",
                          url);
    u->bucket = ie_xstrndup(b, bn);
    u->prefix = ie_xstrdup(p);
    return 0;
}

void eng_s3_url_release(struct eng_s3_url *u)
{
    free(u->bucket);
    free(u->prefix);
    memset(u, 0, sizeof(*u));
}

bool eng_s3_key_under(const char *key, const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 0)
        return true;
    if (strncmp(key, prefix, n) != 0)
        return false;
    return prefix[n - 1] == '/' || key[n] == '\0' || key[n] == '/';
}

int eng_s3_global_init(struct ie_err *err)
{
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cc != CURLE_OK)
        return ie_err_set(err, IE_EIO, "curl_global_init: %s", curl_easy_strerror(cc));
    return 0;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    struct eng_s3 *s = ud;
    pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct eng_s3 *s = ud;
    pthread_mutex_unlock(&s->locks[data]);
}

static char *dup_or_null(const char *v)
{
    return v ? ie_xstrdup(v) : NULL;
}

int eng_s3_new(const struct eng_s3_config *cfg, struct eng_s3 **out, struct ie_err *err)
{
    struct eng_s3 *s = ie_xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->cfg.access_key = dup_or_null(cfg->access_key);
    s->cfg.secret_key = dup_or_null(cfg->secret_key);
    s->cfg.session_token = dup_or_null(cfg->session_token);
    s->cfg.region = ie_xstrdup(cfg->region ? cfg->region : "us-east-1");
    s->cfg.endpoint = dup_or_null(cfg->endpoint);
    if (s->cfg.max_attempts < 1)
        s->cfg.max_attempts = 1;
    snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", s->cfg.region);
    if (s->cfg.access_key && s->cfg.secret_key) {
        size_t n = strlen(s->cfg.access_key) + strlen(s->cfg.secret_key) + 2;
        s->userpwd = ie_xmalloc(n);
        snprintf(s->userpwd, n, "%s:%s", s->cfg.access_key, s->cfg.secret_key);
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    s->share = curl_share_init();
    if (!s->share) {
        eng_s3_free(s);
        return ie_err_set(err, IE_EIO, "curl_share_init failed");
    }
    curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    *out = s;
    return 0;
}

void eng_s3_free(struct eng_s3 *s)
{
    if (!s)
        return;
    if (s->share)
        curl_share_cleanup(s->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->locks[i]);
    free(s->userpwd);
    eng_s3_config_release(&s->cfg);
    free(s);
}

const struct eng_s3_config *eng_s3_config(const struct eng_s3 *s)
{
    return &s->cfg;
}

/* AWS URI encoding: unreserved characters as they are, everything else %XX in upper case; '/'
 * kept in keys (path segments), encoded in query values. */
static void uri_encode(struct ie_buf *b, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (ascii_alnum(*c) || *c == '-' || *c == '_' || *c == '.' || *c == '~' ||
            (keep_slash && *c == '/'))
            ie_buf_addc(b, (char)*c);
        else {
            char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            ie_buf_add(b, e, 3);
        }
    }
}

char *s3__url(const struct eng_s3 *s, const char *bucket, const char *key, const char *query)
{
    struct ie_buf b;
    ie_buf_init(&b);
    /* A custom endpoint, or a bucket name with dots (which a virtual host's TLS wildcard does
     * not cover), is addressed path-style. */
    if (s->cfg.endpoint)
        ie_buf_addf(&b, "%s/%s/", s->cfg.endpoint, bucket);
    else if (strchr(bucket, '.'))
        ie_buf_addf(&b, "https://s3.%s.amazonaws.com/%s/", s->cfg.region, bucket);
    else
        ie_buf_addf(&b, "https://%s.s3.%s.amazonaws.com/", bucket, s->cfg.region);
    if (key)
        uri_encode(&b, key, true);
    if (query) {
        ie_buf_addc(&b, '?');
        ie_buf_adds(&b, query);
    }
    return ie_buf_detach(&b);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct s3_resp *r = ud;
    size_t add = size * n;
    if (r->max && r->len + add > r->max) {
        r->over = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (r->len + add + 1 > r->cap)
        ie_grow((void **)&r->body, &r->cap, r->len + add + 1, 1);
    memcpy(r->body + r->len, p, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

int s3__req_init(struct eng_s3 *s, struct s3_req *q, char *url, const char *payload_sha,
                 size_t max_body, struct ie_err *err)
{
    char hdr[128];
    memset(q, 0, sizeof(*q));
    q->url = url;
    q->resp.max = max_body;
    q->h = curl_easy_init();
    if (!q->h)
        return ie_err_set(err, IE_EIO, "curl_easy_init failed");
    snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", payload_sha);
    q->hdrs = curl_slist_append(q->hdrs, hdr);
    if (s->cfg.session_token && s->userpwd) {
        struct ie_buf t;
        ie_buf_init(&t);
        ie_buf_addf(&t, "x-amz-security-token: %s", s->cfg.session_token);
        q->hdrs = curl_slist_append(q->hdrs, t.data);
        ie_buf_release(&t);
    }
    /* No "Expect: 100-continue" round trip before a PUT's body. */
    q->hdrs = curl_slist_append(q->hdrs, "Expect:");
    curl_easy_setopt(q->h, CURLOPT_URL, url);
    curl_easy_setopt(q->h, CURLOPT_HTTPHEADER, q->hdrs);
    if (s->userpwd) {
        curl_easy_setopt(q->h, CURLOPT_AWS_SIGV4, s->sigv4);
        curl_easy_setopt(q->h, CURLOPT_USERPWD, s->userpwd);
    }
    curl_easy_setopt(q->h, CURLOPT_SHARE, s->share);
    curl_easy_setopt(q->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(q->h, CURLOPT_CONNECTTIMEOUT, s->cfg.connect_timeout_s);
    curl_easy_setopt(q->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(q->h, CURLOPT_LOW_SPEED_TIME, s->cfg.stall_timeout_s);
    curl_easy_setopt(q->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(q->h, CURLOPT_WRITEDATA, &q->resp);
    curl_easy_setopt(q->h, CURLOPT_ERRORBUFFER, q->resp.curl_msg);
    curl_easy_setopt(q->h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (max_body)
        curl_easy_setopt(q->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
    return 0;
}

void s3__req_reset(struct s3_req *q)
{
    q->resp.len = 0;
    q->resp.over = false;
    q->resp.http = 0;
    q->resp.cc = CURLE_OK;
    q->resp.curl_msg[0] = '\0';
}

void s3__req_release(struct s3_req *q)
{
    if (q->h)
        curl_easy_cleanup(q->h);
    curl_slist_free_all(q->hdrs);
    free(q->url);
    free(q->resp.body);
    memset(q, 0, sizeof(*q));
}

void s3__req_done(struct s3_req *q, CURLcode cc)
{
    q->resp.cc = cc;
    q->resp.http = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(q->h, CURLINFO_RESPONSE_CODE, &q->resp.http);
}

bool s3__retryable(const struct s3_resp *r)
{
    switch (r->cc) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
    if (r->http >= 500 || r->http == 429)
        return true;
    if (r->http == 400) {
        char code[64], msg[8];
        s3__xml_error(r->body, r->len, code, sizeof(code), msg, sizeof(msg));
        return strcmp(code, "RequestTimeout") == 0 || strcmp(code, "SlowDown") == 0;
    }
    return false;
}

unsigned s3__seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)&ts ^ (unsigned)getpid();
}

long s3__backoff_ms(const struct eng_s3_config *c, int attempt, unsigned *seed)
{
    long ceiling = c->backoff_base_ms;
    for (int i = 1; i < attempt && ceiling < c->backoff_cap_ms; i++)
        ceiling *= 2;
    if (ceiling > c->backoff_cap_ms)
        ceiling = c->backoff_cap_ms;
    if (ceiling <= 0)
        return 0;
    /* Full jitter (a random wait in [0, ceiling]) spreads the retries of many workers. */
    return (long)(rand_r(seed) % (ceiling + 1));
}

static const char *where(const struct eng_s3 *s)
{
    return s->cfg.endpoint ? s->cfg.endpoint : "AWS S3";
}

int s3__fail(const struct eng_s3 *s, const struct s3_resp *r, const char *bucket, const char *key,
             int attempts, struct ie_err *err)
{
    char code[64], msg[256], obj[1200];
    snprintf(obj, sizeof(obj), "s3://%s%s%s", bucket, key ? "/" : "", key ? key : "");
    if (r->over || r->cc == CURLE_FILESIZE_EXCEEDED)
        return ie_err_set(err, IE_ELIMIT, "%s: object larger than the %zu-byte limit", obj, r->max);
    if (r->cc != CURLE_OK)
        return ie_err_set(err, IE_EIO, "%s: cannot reach %s: %s (%d tr%s)", obj, where(s),
                          r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(r->cc), attempts,
                          attempts == 1 ? "y" : "ies");
    s3__xml_error(r->body, r->len, code, sizeof(code), msg, sizeof(msg));
    if (!code[0])
        snprintf(code, sizeof(code), "HTTP %ld", r->http);
    int rc = IE_EINVAL;
    if (r->http == 404)
        rc = IE_ENOENT;
    else if (r->http == 401 || r->http == 403)
        rc = IE_EPERM;
    else if (r->http >= 500 || r->http == 429)
        rc = IE_EIO;
    if (r->http >= 500 || r->http == 429)
        return ie_err_set(err, rc, "%s: %s%s%s (HTTP %ld from %s after %d tries)", obj, code,
                          msg[0] ? ": " : "", msg, r->http, where(s), attempts);
    return ie_err_set(err, rc, "%s: %s%s%s (HTTP %ld)", obj, code, msg[0] ? ": " : "", msg,
                      r->http);
}

/* Runs q to a final answer: tries again on retryable failures after a backoff. Returns 0 on
 * 2xx, or the error from s3__fail. */
static int perform(struct eng_s3 *s, struct s3_req *q, const char *bucket, const char *key,
                   struct ie_err *err)
{
    unsigned seed = s3__seed();
    int attempt = 0;
    for (;;) {
        attempt++;
        s3__req_reset(q);
        s3__req_done(q, curl_easy_perform(q->h));
        if (q->resp.cc == CURLE_OK && q->resp.http >= 200 && q->resp.http < 300)
            return 0;
        if (attempt >= s->cfg.max_attempts || !s3__retryable(&q->resp))
            return s3__fail(s, &q->resp, bucket, key, attempt, err);
        long ms = s3__backoff_ms(&s->cfg, attempt, &seed);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The canonical ListObjectsV2 query: parameters in byte order, values URI-encoded. */
static char *list_query(const char *prefix, const char *token, int max_keys)
{
    struct ie_buf b;
    ie_buf_init(&b);
    if (token) {
        ie_buf_adds(&b, "continuation-token=");
        uri_encode(&b, token, false);
        ie_buf_addc(&b, '&');
    }
    ie_buf_adds(&b, "list-type=2");
    if (max_keys > 0)
        ie_buf_addf(&b, "&max-keys=%d", max_keys);
    if (prefix && *prefix) {
        ie_buf_adds(&b, "&prefix=");
        uri_encode(&b, prefix, false);
    }
    return ie_buf_detach(&b);
}

/* One ListObjectsV2 page. */
static int list_page(struct eng_s3 *s, const char *bucket, const char *prefix, const char *token,
                     int max_keys, eng_s3_list_cb cb, void *ud, bool *truncated, char **next,
                     struct ie_err *err)
{
    struct s3_req q;
    char *query = list_query(prefix, token, max_keys);
    char *url = s3__url(s, bucket, NULL, query);
    free(query);
    int rc = s3__req_init(s, &q, url, EMPTY_SHA256, S3_XML_MAX, err);
    if (rc == 0)
        rc = perform(s, &q, bucket, prefix && *prefix ? prefix : NULL, err);
    if (rc == 0) {
        rc = s3__xml_list_page(q.resp.body, q.resp.len, cb, ud, truncated, next, err);
        if (rc == IE_EFORMAT)
            rc = ie_err_set(err, IE_EFORMAT, "s3://%s: unreadable listing: %s", bucket, err->msg);
    }
    s3__req_release(&q);
    return rc;
}

int eng_s3_list(struct eng_s3 *s, const char *bucket, const char *prefix, eng_s3_list_cb cb,
                void *ud, struct ie_err *err)
{
    char *token = NULL;
    int rc = 0;
    for (;;) {
        bool truncated = false;
        char *next = NULL;
        rc = list_page(s, bucket, prefix, token, s->cfg.list_page_keys, cb, ud, &truncated, &next,
                       err);
        free(token);
        token = next;
        if (rc < 0 || !truncated)
            break;
        if (!token) {
            rc = ie_err_set(err, IE_EFORMAT,
                            "s3://%s: truncated listing without a continuation token", bucket);
            break;
        }
    }
    free(token);
    return rc;
}

static int count_one(const struct eng_s3_object *o, void *ud)
{
    (void)o;
    (*(size_t *)ud)++;
    return 0;
}

int eng_s3_check(struct eng_s3 *s, const char *bucket, const char *prefix, struct ie_err *err)
{
    struct ie_err e = {0};
    size_t n = 0;
    bool truncated;
    char *next = NULL;
    int rc = list_page(s, bucket, prefix, NULL, 1, count_one, &n, &truncated, &next, &e);
    free(next);
    if (rc == 0)
        return 0;
    if (rc == IE_ENOENT)
        return ie_err_set(err, rc, "bucket %s does not exist at %s (%s)", bucket, where(s), e.msg);
    if (rc == IE_EPERM)
        return ie_err_set(err, rc,
                          "access to bucket %s denied: check AWS_ACCESS_KEY_ID, "
                          "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (%s)",
                          bucket, e.msg);
    if (rc == IE_EIO)
        return ie_err_set(err, rc, "cannot reach the S3 endpoint %s for bucket %s (%s)", where(s),
                          bucket, e.msg);
    return ie_err_set(err, rc, "cannot list bucket %s: %s", bucket, e.msg);
}

int eng_s3_get(struct eng_s3 *s, const char *bucket, const char *key, size_t max_bytes,
               uint8_t **data, size_t *len, struct ie_err *err)
{
    struct s3_req q;
    int rc = s3__req_init(s, &q, s3__url(s, bucket, key, NULL), UNSIGNED_PAYLOAD, max_bytes, err);
    if (rc == 0)
        rc = perform(s, &q, bucket, key, err);
    if (rc == 0) {
        if (!q.resp.body)
            q.resp.body = ie_xcalloc(1, 1);
        *data = q.resp.body;
        *len = q.resp.len;
        q.resp.body = NULL;
    }
    s3__req_release(&q);
    return rc;
}

int eng_s3_put(struct eng_s3 *s, const char *bucket, const char *key, const void *data, size_t len,
               const char *content_type, struct ie_err *err)
{
    struct s3_req q;
    char sha[65];
    char ctype[160];
    eng_sha256_hex(data, len, sha);
    int rc = s3__req_init(s, &q, s3__url(s, bucket, key, NULL), sha, S3_XML_MAX, err);
    if (rc < 0)
        goto out;
    snprintf(ctype, sizeof(ctype), "Content-Type: %s",
             content_type ? content_type : "application/octet-stream");
    q.hdrs = curl_slist_append(q.hdrs, ctype);
    curl_easy_setopt(q.h, CURLOPT_HTTPHEADER, q.hdrs);
    /* The body from memory (not a read callback), so every retry sends it whole again. */
    curl_easy_setopt(q.h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(q.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(q.h, CURLOPT_POSTFIELDS, len ? data : "");
    rc = perform(s, &q, bucket, key, err);
out:
    s3__req_release(&q);
    return rc;
}
