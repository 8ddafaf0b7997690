/* The S3 client (engine/s3.c, s3_xml.c, s3_multi.c, sha256.c): parsing and settings offline,
 * then requests against a real local S3 server (s3rver) through a proxy that counts requests
 * and injects faults (tests/integration/s3_run.sh starts both: IE_S3_PROXY, IE_S3_DIRECT). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/s3.h"
#include "engine/s3_internal.h"
#include "engine/sha256.h"

#define BUCKET "imgeda-test"

static void init(void)
{
    struct ie_err e = {0};
    cr_assert_eq(eng_s3_global_init(&e), 0, "%s", e.msg);
}

TestSuite(eng_s3, .init = init);

Test(eng_s3, url_parse_splits_bucket_and_prefix)
{
    struct eng_s3_url u;
    struct ie_err e = {0};
    cr_assert_eq(eng_s3_url_parse("s3://my-bucket/photos/2024/", &u, &e), 0, "%s", e.msg);
    cr_assert_str_eq(u.bucket, "my-bucket");
    cr_assert_str_eq(u.prefix, "photos/2024/");
    eng_s3_url_release(&u);
    cr_assert_eq(eng_s3_url_parse("s3://my.bucket", &u, &e), 0);
    cr_assert_str_eq(u.bucket, "my.bucket");
    cr_assert_str_eq(u.prefix, "");
    eng_s3_url_release(&u);
    cr_assert(eng_s3_is_url("s3://x"));
    cr_assert_not(eng_s3_is_url("/data/s3://x"));
}

Test(eng_s3, url_parse_refuses_bad_buckets_and_dot_segments)
{
    const char *bad[] = {"s3://",        "s3:///key",     "s3://ab",
                         "s3://Upper",   "s3://a b/k",    "s3://bkt/a/../b",
                         "s3://bkt/./a", "s3://bkt/a\nb", "/local/path"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct eng_s3_url u;
        struct ie_err e = {0};
        cr_assert_eq(eng_s3_url_parse(bad[i], &u, &e), IE_EINVAL, "%s was accepted", bad[i]);
        cr_assert_neq(e.msg[0], '\0');
        cr_assert_null(u.bucket);
    }
}

Test(eng_s3, key_under_matches_on_key_boundaries)
{
    cr_assert(eng_s3_key_under("a/b/c.jpg", ""));
    cr_assert(eng_s3_key_under("a/b/c.jpg", "a/b"));
    cr_assert(eng_s3_key_under("a/b/c.jpg", "a/b/"));
    cr_assert(eng_s3_key_under("a/b", "a/b"));
    cr_assert_not(eng_s3_key_under("a/bc/d.jpg", "a/b"));
    cr_assert_not(eng_s3_key_under("a/bc", "a/b/"));
    cr_assert_not(eng_s3_key_under("a", "a/b"));
}

Test(eng_s3, sha256_matches_fips_vectors)
{
    char hex[65];
    eng_sha256_hex("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    eng_sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    eng_sha256_hex(two, strlen(two), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    eng_sha256_hex(million, 1000000, hex);
    free(million);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(eng_s3, config_reads_the_standard_environment)
{
    struct eng_s3_config c;
    struct ie_err e = {0};
    setenv("AWS_ACCESS_KEY_ID", "AK", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
    setenv("AWS_SESSION_TOKEN", "TOK", 1);
    unsetenv("AWS_REGION");
    setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9/", 1);
    setenv("AWS_MAX_ATTEMPTS", "3", 1);
    cr_assert_eq(eng_s3_config_from_env(&c, &e), 0, "%s", e.msg);
    cr_assert_str_eq(c.access_key, "AK");
    cr_assert_str_eq(c.session_token, "TOK");
    cr_assert_str_eq(c.region, "eu-west-3");
    cr_assert_str_eq(c.endpoint, "http://127.0.0.1:9");
    cr_assert_eq(c.max_attempts, 3);
    eng_s3_config_release(&c);
    setenv("AWS_REGION", "ap-south-1", 1);
    unsetenv("AWS_ENDPOINT_URL");
    cr_assert_eq(eng_s3_config_from_env(&c, &e), 0);
    cr_assert_str_eq(c.region, "ap-south-1");
    cr_assert_null(c.endpoint);
    eng_s3_config_release(&c);
    setenv("AWS_MAX_ATTEMPTS", "0", 1);
    cr_assert_eq(eng_s3_config_from_env(&c, &e), IE_EINVAL);
    cr_assert(strstr(e.msg, "AWS_MAX_ATTEMPTS"), "%s", e.msg);
    unsetenv("AWS_MAX_ATTEMPTS");
    setenv("AWS_ENDPOINT_URL", "ftp://x", 1);
    cr_assert_eq(eng_s3_config_from_env(&c, &e), IE_EINVAL);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    cr_assert_eq(eng_s3_config_from_env(&c, &e), IE_EINVAL);
    cr_assert(strstr(e.msg, "together"), "%s", e.msg);
}

Test(eng_s3, backoff_stays_under_an_exponential_ceiling)
{
    struct eng_s3_config c = {.backoff_base_ms = 100, .backoff_cap_ms = 1000};
    unsigned seed = 7;
    for (int i = 0; i < 200; i++) {
        cr_assert_leq(s3__backoff_ms(&c, 1, &seed), 100);
        cr_assert_leq(s3__backoff_ms(&c, 3, &seed), 400);
        cr_assert_leq(s3__backoff_ms(&c, 30, &seed), 1000);
    }
}

Test(eng_s3, time_parse_reads_last_modified)
{
    cr_assert_eq(s3__parse_time("1970-01-01T00:00:00.000Z"), 0);
    cr_assert_eq(s3__parse_time("2026-12-05T21:33:56.000Z"), 1796506436);
    cr_assert_eq(s3__parse_time("2026-12-05"), -1);
    cr_assert_eq(s3__parse_time("2026-13-05T21:33:56.000Z"), -1);
}

static int collect_keys(const struct eng_s3_object *o, void *ud)
{
    char *acc = ud;
    char one[256];
    snprintf(one, sizeof(one), "%s:%lld:%lld:%s;", o->key, (long long)o->size, (long long)o->mtime,
             o->etag);
    strcat(acc, one);
    return 0;
}

Test(eng_s3, xml_list_page_reads_objects_and_token)
{
    const char *doc = "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3\"><Name>b</Name>"
                      "<IsTruncated>true</IsTruncated><Contents><Key>a &amp; b.jpg</Key>"
                      "<LastModified>1970-01-01T00:01:00.000Z</LastModified><ETag>\"e1\"</ETag>"
                      "<Size>12</Size></Contents><Contents><Key>c.png</Key><Size>0</Size>"
                      "<LastModified>1970-01-01T00:00:01Z</LastModified></Contents>"
                      "<NextContinuationToken>tok/=+</NextContinuationToken></ListBucketResult>";
    char acc[1024] = "";
    bool truncated = false;
    char *next = NULL;
    struct ie_err e = {0};
    cr_assert_eq(s3__xml_list_page((const uint8_t *)doc, strlen(doc), collect_keys, acc, &truncated,
                                   &next, &e),
                 0, "%s", e.msg);
    cr_assert_str_eq(acc, "a & b.jpg:12:60:\"e1\";c.png:0:1:;");
    cr_assert(truncated);
    cr_assert_str_eq(next, "tok/=+");
    free(next);
    const char *bad = "<ListBucketResult><Contents><Key>x</Key></Contents></ListBucketResult>";
    cr_assert_eq(s3__xml_list_page((const uint8_t *)bad, strlen(bad), collect_keys, acc, &truncated,
                                   &next, &e),
                 IE_EFORMAT);
    cr_assert_eq(
        s3__xml_list_page((const uint8_t *)"<a", 2, collect_keys, acc, &truncated, &next, &e),
        IE_EFORMAT);
}

/* ---- Against the local S3 server ---- */

static struct eng_s3 *client(int max_attempts)
{
    struct eng_s3_config c;
    struct eng_s3 *s = NULL;
    struct ie_err e = {0};
    cr_assert_not_null(getenv("IE_S3_PROXY"), "run under tests/integration/s3_run.sh");
    cr_assert_eq(eng_s3_config_from_env(&c, &e), 0, "%s", e.msg);
    c.max_attempts = max_attempts;
    c.backoff_base_ms = 20;
    cr_assert_eq(eng_s3_new(&c, &s, &e), 0, "%s", e.msg);
    eng_s3_config_release(&c);
    return s;
}

/* A control request to the proxy (see tests/integration/s3_proxy.mjs); returns its body. */
static char *proxy(const char *method, const char *path)
{
    char url[512];
    struct s3_resp r = {0};
    snprintf(url, sizeof(url), "%s%s", getenv("IE_S3_PROXY"), path);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    FILE *f = open_memstream((char **)&r.body, &r.len);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    cr_assert_eq(curl_easy_perform(h), CURLE_OK, "proxy %s", path);
    curl_easy_cleanup(h);
    fclose(f);
    return (char *)r.body;
}

/* A control request whose answer is not needed. */
static void proxy_post(const char *path)
{
    free(proxy("POST", path));
}

/* How many times the proxy saw "METHOD /bucket/key" since its last reset. */
static int proxy_count(const char *what)
{
    char *stats = proxy("GET", "/__proxy/stats");
    char pat[512];
    int n = 0;
    snprintf(pat, sizeof(pat), "\"%s\":", what);
    char *at = strstr(stats, pat);
    if (at)
        n = atoi(at + strlen(pat));
    free(stats);
    return n;
}

static void put(struct eng_s3 *s, const char *key, const void *data, size_t len)
{
    struct ie_err e = {0};
    cr_assert_eq(eng_s3_put(s, BUCKET, key, data, len, NULL, &e), 0, "%s", e.msg);
}

Test(eng_s3, put_then_get_round_trips_bytes_and_odd_keys)
{
    struct eng_s3 *s = client(3);
    const char *keys[] = {"rt/plain.bin", "rt/with space+plus&amp=.bin",
                          "rt/\xc3\xa9t\xc3\xa9.bin"};
    uint8_t data[3000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    for (size_t k = 0; k < 3; k++) {
        uint8_t *got = NULL;
        size_t len = 0;
        struct ie_err e = {0};
        put(s, keys[k], data, sizeof(data) - k);
        cr_assert_eq(eng_s3_get(s, BUCKET, keys[k], 0, &got, &len, &e), 0, "%s", e.msg);
        cr_assert_eq(len, sizeof(data) - k);
        cr_assert_eq(memcmp(got, data, len), 0);
        free(got);
    }
    eng_s3_free(s);
}

struct listing {
    size_t n;
    int64_t total;
    bool in_order;
    char last[256];
};

static int count_objects(const struct eng_s3_object *o, void *ud)
{
    struct listing *l = ud;
    if (l->n && strcmp(l->last, o->key) >= 0)
        l->in_order = false;
    snprintf(l->last, sizeof(l->last), "%s", o->key);
    l->n++;
    l->total += o->size;
    cr_assert_gt(o->mtime, time(NULL) - 3600);
    cr_assert_leq(o->mtime, time(NULL) + 60);
    cr_assert_neq(o->etag[0], '\0');
    return 0;
}

Test(eng_s3, list_pages_through_continuation_tokens)
{
    struct eng_s3 *s = client(3);
    struct ie_err e = {0};
    char key[64];
    s->cfg.list_page_keys = 10;
    for (int i = 0; i < 23; i++) {
        snprintf(key, sizeof(key), "many/k%04d", i);
        put(s, key, "xy", 2);
    }
    put(s, "manyother", "z", 1);
    proxy_post("/__proxy/reset");
    struct listing l = {.in_order = true};
    cr_assert_eq(eng_s3_list(s, BUCKET, "many/", count_objects, &l, &e), 0, "%s", e.msg);
    cr_assert_eq(l.n, 23);
    cr_assert_eq(l.total, 46);
    cr_assert(l.in_order);
    cr_assert_eq(proxy_count("GET /" BUCKET "/"), 3, "23 keys are three pages of 10");
    eng_s3_free(s);
}

Test(eng_s3, missing_object_is_enoent_naming_the_key_without_retry)
{
    struct eng_s3 *s = client(4);
    uint8_t *got = NULL;
    size_t len = 0;
    struct ie_err e = {0};
    proxy_post("/__proxy/reset");
    cr_assert_eq(eng_s3_get(s, BUCKET, "no/such.jpg", 0, &got, &len, &e), IE_ENOENT);
    cr_assert(strstr(e.msg, "s3://" BUCKET "/no/such.jpg"), "%s", e.msg);
    cr_assert(strstr(e.msg, "NoSuchKey"), "%s", e.msg);
    cr_assert_eq(proxy_count("GET /" BUCKET "/no/such.jpg"), 1);
    proxy_post("/__proxy/fail?match=denied.jpg&status=403&times=5");
    cr_assert_eq(eng_s3_get(s, BUCKET, "denied.jpg", 0, &got, &len, &e), IE_EPERM);
    cr_assert(strstr(e.msg, "AccessDenied"), "%s", e.msg);
    cr_assert_eq(proxy_count("GET /" BUCKET "/denied.jpg"), 1, "a 403 is not retried");
    eng_s3_free(s);
}

Test(eng_s3, server_errors_are_retried_then_succeed_or_fail_clearly)
{
    struct eng_s3 *s = client(3);
    uint8_t *got = NULL;
    size_t len = 0;
    struct ie_err e = {0};
    put(s, "flaky.bin", "payload", 7);
    proxy_post("/__proxy/reset");
    proxy_post("/__proxy/fail?match=flaky.bin&status=500&times=1");
    proxy_post("/__proxy/fail?match=flaky.bin&status=503&times=1");
    cr_assert_eq(eng_s3_get(s, BUCKET, "flaky.bin", 0, &got, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, 7);
    free(got);
    cr_assert_eq(proxy_count("GET /" BUCKET "/flaky.bin"), 3);
    proxy_post("/__proxy/fail?match=flaky.bin&status=500&times=3");
    cr_assert_eq(eng_s3_get(s, BUCKET, "flaky.bin", 0, &got, &len, &e), IE_EIO);
    cr_assert(strstr(e.msg, "InternalError") && strstr(e.msg, "3 tries"), "%s", e.msg);
    proxy_post("/__proxy/fail?match=flaky.bin&status=500&times=1");
    put(s, "flaky.bin", "again", 5); /* a PUT retried sends its body again */
    cr_assert_eq(eng_s3_get(s, BUCKET, "flaky.bin", 0, &got, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(got, "again", 5), 0);
    free(got);
    eng_s3_free(s);
}

Test(eng_s3, object_over_the_cap_is_elimit)
{
    struct eng_s3 *s = client(2);
    uint8_t big[5000] = {0}, *got = NULL;
    size_t len = 0;
    struct ie_err e = {0};
    put(s, "big.bin", big, sizeof(big));
    cr_assert_eq(eng_s3_get(s, BUCKET, "big.bin", 4096, &got, &len, &e), IE_ELIMIT);
    cr_assert(strstr(e.msg, "big.bin"), "%s", e.msg);
    cr_assert_eq(eng_s3_get(s, BUCKET, "big.bin", 5000, &got, &len, &e), 0, "%s", e.msg);
    free(got);
    eng_s3_free(s);
}

Test(eng_s3, check_names_missing_bucket_bad_credentials_and_dead_endpoint)
{
    struct eng_s3 *s = client(2);
    struct ie_err e = {0};
    cr_assert_eq(eng_s3_check(s, BUCKET, "", &e), 0, "%s", e.msg);
    cr_assert_eq(eng_s3_check(s, "no-such-bucket", "", &e), IE_ENOENT);
    cr_assert(strstr(e.msg, "bucket no-such-bucket does not exist"), "%s", e.msg);
    cr_assert(strstr(e.msg, "NoSuchBucket"), "%s", e.msg);
    eng_s3_free(s);

    struct eng_s3_config c;
    cr_assert_eq(eng_s3_config_from_env(&c, &e), 0);
    free(c.access_key);
    c.access_key = strdup("WRONGKEY");
    cr_assert_eq(eng_s3_new(&c, &s, &e), 0);
    cr_assert_eq(eng_s3_check(s, BUCKET, "", &e), IE_EPERM);
    cr_assert(strstr(e.msg, "access to bucket " BUCKET " denied"), "%s", e.msg);
    cr_assert(strstr(e.msg, "InvalidAccessKeyId"), "%s", e.msg);
    eng_s3_free(s);

    free(c.endpoint);
    c.endpoint = strdup("http://127.0.0.1:1"); /* nothing listens on port 1 */
    c.max_attempts = 2;
    c.backoff_base_ms = 10;
    cr_assert_eq(eng_s3_new(&c, &s, &e), 0);
    cr_assert_eq(eng_s3_check(s, BUCKET, "", &e), IE_EIO);
    cr_assert(strstr(e.msg, "cannot reach the S3 endpoint http://127.0.0.1:1"), "%s", e.msg);
    eng_s3_free(s);
    eng_s3_config_release(&c);
}

struct got {
    int status[32];
    size_t len[32];
    int calls;
    char msg[32][IE_ERR_MSG_MAX];
};

static int on_get(size_t index, int status, uint8_t *data, size_t len, const struct ie_err *err,
                  void *ud)
{
    struct got *g = ud;
    cr_assert_lt(index, 32);
    cr_assert_eq(g->status[index], 1, "one callback per key");
    g->status[index] = status;
    g->len[index] = len;
    if (status == 0) {
        cr_assert_eq(data[len], '\0');
        cr_assert_eq((size_t)atoi((char *)data), index);
    } else {
        cr_assert_null(data);
        snprintf(g->msg[index], IE_ERR_MSG_MAX, "%s", err->msg);
    }
    free(data);
    g->calls++;
    return 0;
}

Test(eng_s3, get_many_fetches_all_with_retries_and_per_object_errors)
{
    struct eng_s3 *s = client(4);
    struct ie_err e = {0};
    char names[20][32];
    const char *keys[20];
    struct got g = {.calls = 0};
    for (int i = 0; i < 20; i++) {
        char body[16];
        snprintf(names[i], sizeof(names[i]), "gm/obj%02d", i);
        keys[i] = names[i];
        g.status[i] = 1;
        int n = snprintf(body, sizeof(body), "%d", i);
        if (i != 7)
            put(s, names[i], body, (size_t)n);
    }
    proxy_post("/__proxy/reset");
    proxy_post("/__proxy/fail?match=gm/obj03&status=503&times=2");
    proxy_post("/__proxy/fail?match=gm/obj11&status=403&times=1");
    cr_assert_eq(eng_s3_get_many(s, BUCKET, keys, 20, 4, 0, on_get, &g, NULL, &e), 0, "%s", e.msg);
    cr_assert_eq(g.calls, 20);
    for (int i = 0; i < 20; i++)
        if (i == 7)
            cr_assert_eq(g.status[i], IE_ENOENT);
        else if (i == 11)
            cr_assert_eq(g.status[i], IE_EPERM);
        else
            cr_assert_eq(g.status[i], 0, "%d: %s", i, g.msg[i]);
    cr_assert(strstr(g.msg[7], "gm/obj07") && strstr(g.msg[7], "NoSuchKey"), "%s", g.msg[7]);
    cr_assert_eq(proxy_count("GET /" BUCKET "/gm/obj03"), 3);
    cr_assert_eq(proxy_count("GET /" BUCKET "/gm/obj11"), 1);
    eng_s3_free(s);
}

static int stop_after_two(size_t index, int status, uint8_t *data, size_t len,
                          const struct ie_err *err, void *ud)
{
    (void)index, (void)status, (void)len, (void)err;
    free(data);
    return ++*(int *)ud == 2;
}

Test(eng_s3, get_many_stops_when_the_callback_asks)
{
    struct eng_s3 *s = client(2);
    struct ie_err e = {0};
    const char *keys[] = {"st/a", "st/b", "st/c", "st/d", "st/e", "st/f"};
    for (int i = 0; i < 6; i++)
        put(s, keys[i], "1", 1);
    int calls = 0;
    cr_assert_eq(eng_s3_get_many(s, BUCKET, keys, 6, 2, 0, stop_after_two, &calls, NULL, &e),
                 IE_ECANCELED);
    cr_assert_eq(calls, 2);
    atomic_int cancel = 1;
    calls = 0;
    cr_assert_eq(eng_s3_get_many(s, BUCKET, keys, 6, 2, 0, stop_after_two, &calls, &cancel, &e),
                 IE_ECANCELED);
    cr_assert_eq(calls, 0);
    eng_s3_free(s);
}
