/* The result cache as an instance: what it holds, what it evicts first, what it refuses, its
 * counters, and that two caches in one process share nothing. Every test frees what it made. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

static void put_str(struct srv_cache *c, const char *key, const char *value)
{
    srv_cache_put(c, key, value, strlen(value), "text/plain");
}

/* The value under key as a string, or NULL; the caller frees it. */
static char *get_str(struct srv_cache *c, const char *key)
{
    size_t len = 0;
    char *ct = NULL;
    char *v = srv_cache_get(c, key, &len, &ct);
    if (v) {
        cr_expect_eq(strlen(v), len, "a copy ends in a NUL after its bytes");
        cr_expect_str_eq(ct, "text/plain");
    }
    free(ct);
    return v;
}

Test(cache, returns_a_copy_of_what_was_put_and_counts_hits_and_misses)
{
    struct srv_cache *c = srv_cache_new(SRV_CACHE_DEFAULT_BYTES);
    struct srv_cache_stats st;
    put_str(c, "a|t|summary", "{\"n\":1}");
    char *v = get_str(c, "a|t|summary");
    cr_assert_not_null(v);
    cr_expect_str_eq(v, "{\"n\":1}");
    free(v);
    cr_expect_null(get_str(c, "a|t|checks"));
    cr_expect(srv_cache_has(c, "a|t|summary"));
    srv_cache_stats(c, &st);
    cr_expect_eq(st.hits, 1, "srv_cache_has is not a lookup");
    cr_expect_eq(st.misses, 1);
    cr_expect_eq(st.bytes, strlen("{\"n\":1}") + strlen("a|t|summary"));
    put_str(c, "a|t|summary", "{}");
    srv_cache_stats(c, &st);
    cr_expect_eq(st.bytes, strlen("{}") + strlen("a|t|summary"), "a put replaces the old value");
    srv_cache_free(c);
}

Test(cache, evicts_the_least_recently_used_entry_first_and_refuses_large_values)
{
    /* Entries of 10 bytes + a 1-byte key: three fit in 40 bytes, a fourth evicts one. */
    struct srv_cache *c = srv_cache_new(40);
    put_str(c, "a", "0123456789");
    put_str(c, "b", "0123456789");
    put_str(c, "c", "0123456789");
    free(get_str(c, "a")); /* b is now the least recently used */
    put_str(c, "d", "0123456789");
    cr_expect(srv_cache_has(c, "a"));
    cr_expect_not(srv_cache_has(c, "b"));
    cr_expect(srv_cache_has(c, "c"));
    cr_expect(srv_cache_has(c, "d"));
    put_str(c, "e", "01234567890"); /* over a quarter of the budget */
    cr_expect_not(srv_cache_has(c, "e"));
    srv_cache_free(c);
}

Test(cache, drops_a_scans_keys_by_prefix)
{
    struct srv_cache *c = srv_cache_new(SRV_CACHE_DEFAULT_BYTES);
    struct srv_cache_stats st;
    put_str(c, "s1|t|summary", "x");
    put_str(c, "s1|t|check:all", "y");
    put_str(c, "s10|t|summary", "z");
    srv_cache_drop_prefix(c, "s1|");
    cr_expect_not(srv_cache_has(c, "s1|t|summary"));
    cr_expect_not(srv_cache_has(c, "s1|t|check:all"));
    cr_expect(srv_cache_has(c, "s10|t|summary"));
    srv_cache_stats(c, &st);
    cr_expect_eq(st.bytes, 1 + strlen("s10|t|summary"));
    srv_cache_free(c);
}

Test(cache, two_instances_share_nothing)
{
    struct srv_cache *a = srv_cache_new(SRV_CACHE_DEFAULT_BYTES);
    struct srv_cache *b = srv_cache_new(SRV_CACHE_DEFAULT_BYTES);
    struct srv_cache_stats sb;
    put_str(a, "k", "from a");
    cr_expect_null(get_str(b, "k"));
    put_str(b, "k", "from b");
    char *va = get_str(a, "k"), *vb = get_str(b, "k");
    cr_expect_str_eq(va, "from a");
    cr_expect_str_eq(vb, "from b");
    free(va);
    free(vb);
    srv_cache_free(a);
    srv_cache_stats(b, &sb);
    cr_expect_eq(sb.hits, 1);
    cr_expect_eq(sb.misses, 1, "b's miss before its put is b's alone");
    srv_cache_free(b);
    srv_cache_free(NULL);
}

Test(cache, refuses_a_result_computed_across_a_drop_of_its_scan)
{
    /* A request takes the epoch, reads the scan, computes; a DELETE drops the scan's keys
     * meanwhile: the late put must not bring the deleted scan's result back. */
    struct srv_cache *c = srv_cache_new(SRV_CACHE_DEFAULT_BYTES);
    uint64_t before = srv_cache_epoch(c);
    srv_cache_drop_prefix(c, "s1|");
    cr_expect_gt(srv_cache_epoch(c), before, "a drop moves the epoch on");
    cr_expect_not(srv_cache_put_since(c, before, "s1|t|summary", "x", 1, "text/plain"));
    cr_expect_not(srv_cache_has(c, "s1|t|summary"), "the stale result is not cached");
    cr_expect(srv_cache_put_since(c, before, "s10|t|summary", "y", 1, "text/plain"),
              "another scan's result (even one whose id starts alike) is cached");
    cr_expect(srv_cache_has(c, "s10|t|summary"));
    uint64_t after = srv_cache_epoch(c);
    cr_expect(srv_cache_put_since(c, after, "s1|t|summary", "z", 1, "text/plain"),
              "a computation that began after the drop is cached");
    cr_expect(srv_cache_has(c, "s1|t|summary"));
    srv_cache_free(c);
}

Test(cache, refuses_a_put_older_than_the_drops_it_remembers)
{
    /* Past its memory of drops the cache cannot tell whether one covered the key: it refuses,
     * which costs a recomputation, never a stale answer. */
    struct srv_cache *c = srv_cache_new(SRV_CACHE_DEFAULT_BYTES);
    uint64_t before = srv_cache_epoch(c);
    char prefix[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(prefix, sizeof(prefix), "other%d|", i);
        srv_cache_drop_prefix(c, prefix);
    }
    cr_expect_not(srv_cache_put_since(c, before, "s1|t|summary", "x", 1, "text/plain"));
    cr_expect_not(srv_cache_has(c, "s1|t|summary"));
    uint64_t recent = srv_cache_epoch(c);
    srv_cache_drop_prefix(c, "other|");
    cr_expect(srv_cache_put_since(c, recent, "s1|t|summary", "x", 1, "text/plain"),
              "a few drops of other scans do not stop a put");
    srv_cache_free(c);
}
