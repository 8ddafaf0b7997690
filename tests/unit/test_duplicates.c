/* Duplicates: the multi-index hash index against a brute-force oracle at every threshold 0..16,
 * exact / byte-identical / near / flat groups, ordering, edge cases and the JSON shape. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash_helpers.h"
#include "imgeda/duplicates.h"
#include "imgeda/util.h"

/* ---- deterministic test data ---- */

/* 3000 random hashes, 100 planted clusters (a base and 2..8 members, each 1..16 bits away from
 * the base, so pair distances straddle every threshold), 300 hashes differing from one base only
 * within 24 fixed bit positions (large runs in the index's blocks, many edges) and a few exact
 * copies. Returns a malloc'd array. */
static struct ie_hash256 *planted_hashes(size_t *n_out, uint64_t seed)
{
    uint64_t s = seed;
    size_t cap = 3000 + 100 * 9 + 300 + 50, n = 0;
    struct ie_hash256 *h = ie_xmalloc(cap * sizeof(*h));
    for (int i = 0; i < 3000; i++)
        h[n++] = random_hash(&s);
    for (int c = 0; c < 100; c++) {
        struct ie_hash256 base = random_hash(&s);
        h[n++] = base;
        int members = 2 + (int)(rng_next(&s) % 7);
        for (int m = 0; m < members; m++)
            h[n++] = flip_bits(base, 1 + (int)(rng_next(&s) % 16), &s);
    }
    struct ie_hash256 low = random_hash(&s);
    for (int i = 0; i < 300; i++) {
        struct ie_hash256 x = low;
        uint64_t r = rng_next(&s);
        for (int b = 0; b < 24; b++) /* positions 0, 11, 22, ... spread over several blocks */
            if (r >> b & 1)
                x.w[(b * 11) / 64] ^= 1ull << (63 - (b * 11) % 64);
        h[n++] = x;
    }
    for (int i = 0; i < 50; i++) {
        size_t src = (size_t)(rng_next(&s) % n);
        h[n++] = h[src];
    }
    *n_out = n;
    return h;
}

/* ---- brute-force oracle ---- */

struct pair {
    size_t a, b;
    int d;
};

static int cmp_pair(const void *pa, const void *pb)
{
    const struct pair *x = pa, *y = pb;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return x->d - y->d;
}

struct pair_list {
    struct pair *p;
    size_t n, cap;
};

static void pair_push(struct pair_list *l, size_t a, size_t b, int d)
{
    ie_grow((void **)&l->p, &l->cap, l->n + 1, sizeof(*l->p));
    l->p[l->n++] = (struct pair){a, b, d};
}

static int collect_pair(void *ud, size_t a, size_t b, int d)
{
    pair_push(ud, a, b, d);
    return 0;
}

static void brute_pairs(const struct ie_hash256 *h, size_t n, int t, struct pair_list *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int d = ie_hash256_distance(&h[i], &h[j]);
            if (d <= t)
                pair_push(out, i, j, d);
        }
}

Test(hash_index, pairs_equal_brute_force_at_every_threshold_0_to_16)
{
    size_t n;
    struct ie_hash256 *h = planted_hashes(&n, 42);
    size_t max_pairs_seen = 0;
    for (int t = 0; t <= 16; t++) {
        struct ie_hash_index ix;
        struct ie_err err = {0};
        struct pair_list got = {0}, want = {0};
        ie_hash_index_init(&ix);
        cr_assert_eq(ie_hash_index_build(&ix, h, n, t, &err), 0, "t=%d: %s", t, err.msg);
        cr_assert_eq(ix.nblocks, t + 1);
        cr_assert_eq(ie_hash_index_pairs(&ix, collect_pair, &got), 0);
        brute_pairs(h, n, t, &want);
        if (got.n > 1)
            qsort(got.p, got.n, sizeof(*got.p), cmp_pair);
        cr_assert_eq(got.n, want.n, "t=%d: index found %zu pairs, brute force %zu", t, got.n,
                     want.n);
        for (size_t i = 0; i < got.n; i++)
            cr_assert(got.p[i].a == want.p[i].a && got.p[i].b == want.p[i].b &&
                          got.p[i].d == want.p[i].d,
                      "t=%d: pair %zu differs: (%zu,%zu,%d) vs (%zu,%zu,%d)", t, i, got.p[i].a,
                      got.p[i].b, got.p[i].d, want.p[i].a, want.p[i].b, want.p[i].d);
        max_pairs_seen = IE_MAX(max_pairs_seen, want.n);
        free(got.p);
        free(want.p);
        ie_hash_index_release(&ix);
        cr_assert_null(ix.entries);
    }
    /* The data must actually exercise the index: thousands of edges at the top threshold. */
    cr_assert_gt(max_pairs_seen, 5000);
    free(h);
}

struct hit_list {
    size_t *idx;
    int *d;
    size_t n, cap, cap_d;
};

static int collect_hit(void *ud, size_t idx, int d)
{
    struct hit_list *l = ud;
    ie_grow((void **)&l->idx, &l->cap, l->n + 1, sizeof(*l->idx));
    ie_grow((void **)&l->d, &l->cap_d, l->n + 1, sizeof(*l->d));
    l->idx[l->n] = idx;
    l->d[l->n++] = d;
    return 0;
}

Test(hash_index, query_equals_brute_force_at_every_threshold_0_to_16)
{
    size_t n;
    struct ie_hash256 *h = planted_hashes(&n, 7);
    uint64_t s = 99;
    for (int t = 0; t <= 16; t++) {
        struct ie_hash_index ix;
        struct ie_err err = {0};
        ie_hash_index_init(&ix);
        cr_assert_eq(ie_hash_index_build(&ix, h, n, t, &err), 0, "%s", err.msg);
        for (int qi = 0; qi < 60; qi++) {
            /* Queries near indexed hashes (planted and low-entropy ones) and random ones. */
            struct ie_hash256 q =
                qi % 3 == 2 ? random_hash(&s)
                            : flip_bits(h[rng_next(&s) % n], (int)(rng_next(&s) % 12), &s);
            struct hit_list got = {0};
            char *seen = calloc(n, 1);
            cr_assert_eq(ie_hash_index_query(&ix, &q, collect_hit, &got), 0);
            for (size_t i = 0; i < got.n; i++) {
                cr_assert_eq(seen[got.idx[i]], 0, "t=%d: hash %zu reported twice", t, got.idx[i]);
                seen[got.idx[i]] = 1;
                cr_assert_eq(got.d[i], ie_hash256_distance(&q, &h[got.idx[i]]));
            }
            for (size_t i = 0; i < n; i++) {
                bool within = ie_hash256_distance(&q, &h[i]) <= t;
                cr_assert_eq(seen[i] != 0, within, "t=%d query %d: hash %zu %s", t, qi, i,
                             within ? "missed" : "reported but too far");
            }
            free(seen);
            free(got.idx);
            free(got.d);
        }
        ie_hash_index_release(&ix);
    }
    free(h);
}

Test(hash_index, rejects_threshold_outside_0_to_32_and_leaves_err_alone_on_success)
{
    struct ie_hash_index ix;
    struct ie_hash256 h[2] = {{{1, 2, 3, 4}}, {{1, 2, 3, 5}}};
    struct ie_err err = {0};
    ie_hash_index_init(&ix);
    cr_assert_eq(ie_hash_index_build(&ix, h, 2, 33, &err), IE_EINVAL);
    cr_assert_eq(err.code, IE_EINVAL);
    cr_assert_str_eq(err.msg, "near-duplicate threshold 33 is outside 0..32");
    cr_assert_null(ix.entries);
    cr_assert_eq(ie_hash_index_build(&ix, h, 2, -1, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "near-duplicate threshold -1 is outside 0..32");

    strcpy(err.msg, "earlier message");
    err.code = 77;
    cr_assert_eq(ie_hash_index_build(&ix, h, 2, 32, &err), 0);
    cr_assert_eq(err.code, 77);
    cr_assert_str_eq(err.msg, "earlier message");
    cr_assert_eq(ix.nblocks, 33);
    struct pair_list got = {0};
    cr_assert_eq(ie_hash_index_pairs(&ix, collect_pair, &got), 0);
    cr_assert_eq(got.n, 1);
    cr_assert_eq(got.p[0].d, 1);
    free(got.p);
    ie_hash_index_release(&ix);
}

Test(hash_index, empty_index_reports_nothing)
{
    struct ie_hash_index ix;
    struct ie_err err = {0};
    struct ie_hash256 q = {{0, 0, 0, 0}};
    struct pair_list got = {0};
    struct hit_list hits = {0};
    ie_hash_index_init(&ix);
    cr_assert_eq(ie_hash_index_build(&ix, NULL, 0, 8, &err), 0);
    cr_assert_eq(ie_hash_index_pairs(&ix, collect_pair, &got), 0);
    cr_assert_eq(ie_hash_index_query(&ix, &q, collect_hit, &hits), 0);
    cr_assert_eq(got.n + hits.n, 0);
    ie_hash_index_release(&ix);
    ie_hash_index_release(&ix); /* releasing twice is harmless */
}

static int stop_at_first(void *ud, size_t a, size_t b, int d)
{
    (void)a, (void)b, (void)d;
    ++*(int *)ud;
    return 7;
}

Test(hash_index, a_callback_can_stop_the_walk)
{
    struct ie_hash_index ix;
    struct ie_hash256 h[3] = {{{0, 0, 0, 0}}, {{0, 0, 0, 1}}, {{0, 0, 0, 3}}};
    struct ie_err err = {0};
    int calls = 0;
    ie_hash_index_init(&ix);
    cr_assert_eq(ie_hash_index_build(&ix, h, 3, 4, &err), 0);
    cr_assert_eq(ie_hash_index_pairs(&ix, stop_at_first, &calls), 7);
    cr_assert_eq(calls, 1);
    ie_hash_index_release(&ix);
}

/* ---- records ---- */

struct recs {
    struct ie_record *r;
    size_t n, cap;
};

/* Adds a healthy, textured record (std 40) with the given phash (NULL: no phash). */
static struct ie_record *add_rec(struct recs *rs, const char *path, const struct ie_hash256 *ph)
{
    ie_grow((void **)&rs->r, &rs->cap, rs->n + 1, sizeof(*rs->r));
    struct ie_record *r = &rs->r[rs->n++];
    ie_record_init(r);
    r->path = ie_xstrdup(path);
    r->has_pixel_stats = true;
    r->pixel_stats.std_r = r->pixel_stats.std_g = r->pixel_stats.std_b = 40.0;
    if (ph) {
        r->has_phash = true;
        r->phash = *ph;
    }
    return r;
}

static void recs_free(struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        ie_record_release(&rs->r[i]);
    free(rs->r);
    memset(rs, 0, sizeof(*rs));
}

static const char *P(const struct ie_record *recs, const struct ie_dup_group *g, size_t i)
{
    return recs[g->recs[i]].path;
}

/* The oracle's near groups: union-find over all eligible record pairs (O(n^2)). */
struct oracle_group {
    char **paths;
    size_t n;
    int max_d;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_oracle_group(const void *pa, const void *pb)
{
    const struct oracle_group *a = pa, *b = pb;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return strcmp(a->paths[0], b->paths[0]);
}

static size_t ofind(size_t *parent, size_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

static struct oracle_group *oracle_near(const struct ie_record *r, size_t n, int t, size_t *ng)
{
    size_t m = n ? n : 1;
    size_t *parent = malloc(m * sizeof(*parent));
    int *maxd = calloc(m, sizeof(*maxd));
    size_t *size = calloc(m, sizeof(*size));
    bool *ok = calloc(m, sizeof(*ok));
    for (size_t i = 0; i < n; i++) {
        parent[i] = i;
        ok[i] = r[i].has_phash && !r[i].is_corrupt && !ie_duplicates_is_flat(&r[i], 1.0);
    }
    for (size_t i = 0; i < n; i++) {
        if (!ok[i])
            continue;
        for (size_t j = i + 1; j < n; j++) {
            if (!ok[j])
                continue;
            int d = ie_hash256_distance(&r[i].phash, &r[j].phash);
            if (d > t)
                continue;
            size_t a = ofind(parent, i), b = ofind(parent, j);
            int md = IE_MAX(d, IE_MAX(maxd[a], maxd[b]));
            if (a != b)
                parent[b] = a;
            maxd[a] = md;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (ok[i])
            size[ofind(parent, i)]++;
    struct oracle_group *g = calloc(m, sizeof(*g));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (parent[i] != i || size[i] < 2)
            continue;
        g[k].paths = calloc(size[i], sizeof(char *));
        g[k].max_d = maxd[i];
        for (size_t j = 0; j < n; j++)
            if (ok[j] && ofind(parent, j) == i)
                g[k].paths[g[k].n++] = r[j].path;
        qsort(g[k].paths, g[k].n, sizeof(char *), cmp_str);
        k++;
    }
    qsort(g, k, sizeof(*g), cmp_oracle_group);
    free(parent);
    free(maxd);
    free(size);
    free(ok);
    *ng = k;
    return g;
}

Test(duplicates, near_groups_equal_brute_force_components_at_every_threshold_0_to_16)
{
    size_t n;
    struct ie_hash256 *h = planted_hashes(&n, 2024);
    struct recs rs = {0};
    char path[64];
    /* Paths in an order unrelated to the hashes, so group ordering is really exercised. */
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "data/%05zu.jpg", (i * 7919) % 100003);
        add_rec(&rs, path, &h[i]);
    }
    /* A few records that must stay out of near groups. */
    rs.r[5].is_corrupt = true;
    rs.r[3005].is_corrupt = true;
    rs.r[3010].pixel_stats.std_r = rs.r[3010].pixel_stats.std_g = 0.5;
    rs.r[3010].pixel_stats.std_b = 0.0;

    for (int t = 0; t <= 16; t++) {
        struct ie_duplicates d;
        struct ie_dup_opts o;
        struct ie_err err = {0};
        size_t ng;
        ie_duplicates_init(&d);
        ie_dup_opts_init(&o);
        o.threshold = t;
        cr_assert_eq(ie_duplicates_find(rs.r, rs.n, &o, &d, &err), 0, "%s", err.msg);
        cr_assert_eq(d.threshold, t);
        struct oracle_group *want = oracle_near(rs.r, rs.n, t, &ng);
        cr_assert_eq(d.near.n, ng, "t=%d: %zu near groups, oracle %zu", t, d.near.n, ng);
        for (size_t g = 0; g < ng; g++) {
            const struct ie_dup_group *got = &d.near.groups[g];
            cr_assert_eq(got->n, want[g].n, "t=%d group %zu size", t, g);
            cr_assert_eq(got->max_distance, want[g].max_d, "t=%d group %zu max_distance", t, g);
            cr_assert_leq(got->max_distance, t);
            for (size_t i = 0; i < got->n; i++)
                cr_assert_str_eq(P(rs.r, got, i), want[g].paths[i], "t=%d group %zu", t, g);
            free(want[g].paths);
        }
        free(want);
        ie_duplicates_release(&d);
    }
    recs_free(&rs);
    free(h);
}

Test(duplicates, empty_input_gives_empty_lists_and_json)
{
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(NULL, 0, NULL, &d, &err), 0);
    cr_assert_eq(d.exact.n + d.byte_identical.n + d.near.n + d.n_flat, 0);
    cr_assert_eq(d.threshold, 8);
    cJSON *j = ie_duplicates_to_json(&d, NULL);
    char *s = cJSON_PrintUnformatted(j);
    cr_assert_str_eq(s, "{\"exact\":[],\"byte_identical\":[],\"near\":[],\"flat\":[]}");
    free(s);
    cJSON_Delete(j);
    ie_duplicates_release(&d);
}

Test(duplicates, corrupt_records_are_never_grouped_by_phash)
{
    struct recs rs = {0};
    struct ie_hash256 h = {{5, 6, 7, 8}};
    for (int i = 0; i < 4; i++) {
        char p[32];
        snprintf(p, sizeof(p), "c%d.jpg", i);
        struct ie_record *r = add_rec(&rs, p, &h);
        r->is_corrupt = true;
        r->has_pixel_stats = false;
    }
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.exact.n + d.near.n + d.n_flat, 0);
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, one_record_has_no_groups)
{
    struct recs rs = {0};
    struct ie_hash256 h = {{5, 6, 7, 8}};
    add_rec(&rs, "only.jpg", &h)->content_hash = ie_xstrdup("xxh3_128:00");
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.exact.n + d.byte_identical.n + d.near.n + d.n_flat, 0);
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, many_identical_hashes_form_one_group_without_quadratic_cost, .timeout = 20)
{
    /* 200000 copies of one hash: merged into one node, so this is linear, not 2*10^10 pairs. */
    struct recs rs = {0};
    struct ie_hash256 h = {{0x0123456789abcdefull, 0xfedcba9876543210ull, 42, 4242}};
    char p[32];
    for (int i = 199999; i >= 0; i--) {
        snprintf(p, sizeof(p), "img/%06d.png", i);
        add_rec(&rs, p, &h);
    }
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.exact.n, 1);
    cr_assert_eq(d.exact.groups[0].n, 200000);
    cr_assert_eq(d.near.n, 1);
    cr_assert_eq(d.near.groups[0].n, 200000);
    cr_assert_eq(d.near.groups[0].max_distance, 0);
    cr_assert_str_eq(P(rs.r, &d.near.groups[0], 0), "img/000000.png");
    cr_assert_str_eq(P(rs.r, &d.near.groups[0], 199999), "img/199999.png");
    cr_assert_eq(ie_duplicates_exact_extra(&d), 199999);
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, distance_exactly_at_threshold_joins_one_above_does_not)
{
    uint64_t s = 3;
    struct ie_hash256 a = random_hash(&s);
    struct ie_hash256 b = flip_bits(a, 8, &s);
    struct recs rs = {0};
    add_rec(&rs, "a.jpg", &a);
    add_rec(&rs, "b.jpg", &b);
    for (int t = 0; t <= 32; t++) {
        struct ie_duplicates d;
        struct ie_dup_opts o;
        struct ie_err err = {0};
        ie_duplicates_init(&d);
        ie_dup_opts_init(&o);
        o.threshold = t;
        cr_assert_eq(ie_duplicates_find(rs.r, rs.n, &o, &d, &err), 0);
        cr_assert_eq(d.near.n, t >= 8 ? 1u : 0u, "t=%d", t);
        if (t >= 8)
            cr_assert_eq(d.near.groups[0].max_distance, 8);
        cr_assert_eq(d.exact.n, 0);
        ie_duplicates_release(&d);
    }
    recs_free(&rs);
}

Test(duplicates, records_without_phash_only_count_for_bytes_and_flat)
{
    struct recs rs = {0};
    add_rec(&rs, "x.jpg", NULL)->content_hash = ie_xstrdup("xxh3_128:ab");
    add_rec(&rs, "y.jpg", NULL)->content_hash = ie_xstrdup("xxh3_128:ab");
    struct ie_record *f = add_rec(&rs, "z.jpg", NULL);
    f->pixel_stats.std_r = f->pixel_stats.std_g = f->pixel_stats.std_b = 0.0;
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.exact.n + d.near.n, 0);
    cr_assert_eq(d.byte_identical.n, 1);
    cr_assert_str_eq(P(rs.r, &d.byte_identical.groups[0], 0), "x.jpg");
    cr_assert_eq(d.n_flat, 1);
    cr_assert_str_eq(rs.r[d.flat[0]].path, "z.jpg");
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, rejects_threshold_outside_0_to_32)
{
    struct ie_duplicates d;
    struct ie_dup_opts o;
    struct ie_err err = {0};
    struct recs rs = {0};
    struct ie_hash256 h = {{1, 1, 1, 1}};
    add_rec(&rs, "a", &h);
    add_rec(&rs, "b", &h);
    ie_duplicates_init(&d);
    ie_dup_opts_init(&o);
    cr_assert_eq(o.threshold, 8);
    cr_assert_float_eq(o.flat_max_std, 1.0, 1e-12);
    o.threshold = 33;
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, &o, &d, &err), IE_EINVAL);
    cr_assert_eq(err.code, IE_EINVAL);
    cr_assert_str_eq(err.msg, "near-duplicate threshold 33 is outside 0..32");
    cr_assert_eq(d.exact.n + d.near.n, 0);
    cr_assert_null(d.exact.groups);
    o.threshold = -2;
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, &o, &d, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "near-duplicate threshold -2 is outside 0..32");
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, groups_sorted_by_size_then_first_path_members_by_path)
{
    struct recs rs = {0};
    uint64_t s = 11;
    struct ie_hash256 g1 = random_hash(&s), g2 = random_hash(&s), g3 = random_hash(&s);
    /* Added in reverse path order on purpose. */
    add_rec(&rs, "z/3.jpg", &g2);
    add_rec(&rs, "z/2.jpg", &g2);
    add_rec(&rs, "m/2.jpg", &g3);
    add_rec(&rs, "m/1.jpg", &g3);
    add_rec(&rs, "b/9.jpg", &g1);
    add_rec(&rs, "b/8.jpg", &g1);
    add_rec(&rs, "b/7.jpg", &g1);
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.exact.n, 3);
    cr_assert_eq(d.exact.groups[0].n, 3);
    cr_assert_str_eq(P(rs.r, &d.exact.groups[0], 0), "b/7.jpg");
    cr_assert_str_eq(P(rs.r, &d.exact.groups[0], 2), "b/9.jpg");
    cr_assert_str_eq(P(rs.r, &d.exact.groups[1], 0), "m/1.jpg");
    cr_assert_str_eq(P(rs.r, &d.exact.groups[1], 1), "m/2.jpg");
    cr_assert_str_eq(P(rs.r, &d.exact.groups[2], 0), "z/2.jpg");
    cr_assert_eq(d.near.n, 3);
    cr_assert_str_eq(P(rs.r, &d.near.groups[1], 0), "m/1.jpg");
    cr_assert_eq(ie_duplicates_exact_extra(&d), 4);
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, flat_images_stay_in_exact_groups_but_out_of_near_groups)
{
    struct recs rs = {0};
    struct ie_hash256 dc = {{0x8000000000000000ull, 0, 0, 0}};
    struct ie_hash256 dc1 = {{0x8000000000000000ull, 0, 0, 1}}; /* one bit off */
    struct ie_hash256 black = {{0, 0, 0, 0}};
    struct ie_record *r;
    r = add_rec(&rs, "flat/grey.png", &dc);
    r->pixel_stats.std_r = r->pixel_stats.std_g = r->pixel_stats.std_b = 0.0;
    r = add_rec(&rs, "flat/jpeg_noise.jpg", &dc1);
    r->pixel_stats.std_r = 1.0; /* at the rule's bound: still flat */
    r->pixel_stats.std_g = 0.7;
    r->pixel_stats.std_b = 0.9;
    r = add_rec(&rs, "flat/old_manifest.png", &dc); /* no pixel_stats: the phash decides */
    r->has_pixel_stats = false;
    r = add_rec(&rs, "flat/black.png", &black);
    r->has_pixel_stats = false;
    r = add_rec(&rs, "textured/not_flat.png", &dc1); /* one channel above 1.0 */
    r->pixel_stats.std_r = r->pixel_stats.std_g = 0.0;
    r->pixel_stats.std_b = 1.01;
    r = add_rec(&rs, "textured/corrupt.png", &dc);
    r->is_corrupt = true;
    r->has_pixel_stats = false;
    r = add_rec(&rs, "textured/other.png", &dc); /* textured image that happens to hash 8000..0 */

    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.n_flat, 4);
    cr_assert_str_eq(rs.r[d.flat[0]].path, "flat/black.png");
    cr_assert_str_eq(rs.r[d.flat[1]].path, "flat/grey.png");
    cr_assert_str_eq(rs.r[d.flat[2]].path, "flat/jpeg_noise.jpg");
    cr_assert_str_eq(rs.r[d.flat[3]].path, "flat/old_manifest.png");
    /* exact keeps imgeda's count: grey, old_manifest and other share 8000..0 (corrupt excluded);
     * jpeg_noise and not_flat share the other hash. */
    cr_assert_eq(d.exact.n, 2);
    cr_assert_eq(d.exact.groups[0].n, 3);
    cr_assert_str_eq(P(rs.r, &d.exact.groups[0], 0), "flat/grey.png");
    cr_assert_str_eq(P(rs.r, &d.exact.groups[0], 2), "textured/other.png");
    cr_assert_eq(d.exact.groups[1].n, 2);
    cr_assert_eq(ie_duplicates_exact_extra(&d), 3);
    /* near: only the two textured records, one bit apart. */
    cr_assert_eq(d.near.n, 1);
    cr_assert_eq(d.near.groups[0].n, 2);
    cr_assert_str_eq(P(rs.r, &d.near.groups[0], 0), "textured/not_flat.png");
    cr_assert_str_eq(P(rs.r, &d.near.groups[0], 1), "textured/other.png");
    cr_assert_eq(d.near.groups[0].max_distance, 1);
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, byte_identical_groups_include_corrupt_files)
{
    struct recs rs = {0};
    struct ie_record *r;
    add_rec(&rs, "b.jpg", NULL)->content_hash = ie_xstrdup("xxh3_128:11");
    r = add_rec(&rs, "a.jpg", NULL);
    r->content_hash = ie_xstrdup("xxh3_128:11");
    r->is_corrupt = true;
    add_rec(&rs, "c.jpg", NULL)->content_hash = ie_xstrdup("xxh3_128:22");
    add_rec(&rs, "d.jpg", NULL); /* no content hash */
    add_rec(&rs, "e.jpg", NULL);
    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cr_assert_eq(d.byte_identical.n, 1);
    cr_assert_eq(d.byte_identical.groups[0].n, 2);
    cr_assert_str_eq(P(rs.r, &d.byte_identical.groups[0], 0), "a.jpg");
    cr_assert_str_eq(P(rs.r, &d.byte_identical.groups[0], 1), "b.jpg");
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, json_has_the_spec_shape)
{
    struct recs rs = {0};
    uint64_t s = 5;
    struct ie_hash256 a = random_hash(&s), b = flip_bits(a, 3, &s);
    struct ie_hash256 dc = {{0x8000000000000000ull, 0, 0, 0}};
    add_rec(&rs, "d/2.jpg", &a)->content_hash = ie_xstrdup("xxh3_128:aa");
    add_rec(&rs, "d/1.jpg", &a)->content_hash = ie_xstrdup("xxh3_128:aa");
    add_rec(&rs, "d/3.jpg", &b);
    add_rec(&rs, "d/flat.png", &dc)->has_pixel_stats = false;

    struct ie_duplicates d;
    struct ie_err err = {0};
    ie_duplicates_init(&d);
    cr_assert_eq(ie_duplicates_find(rs.r, rs.n, NULL, &d, &err), 0);
    cJSON *j = ie_duplicates_to_json(&d, rs.r);
    char *text = cJSON_PrintUnformatted(j);
    cr_assert_str_eq(text, "{\"exact\":[[\"d/1.jpg\",\"d/2.jpg\"]],"
                           "\"byte_identical\":[[\"d/1.jpg\",\"d/2.jpg\"]],"
                           "\"near\":[{\"paths\":[\"d/1.jpg\",\"d/2.jpg\",\"d/3.jpg\"],"
                           "\"max_distance\":3}],"
                           "\"flat\":[\"d/flat.png\"]}");
    free(text);
    cJSON_Delete(j);
    ie_duplicates_release(&d);
    recs_free(&rs);
}

Test(duplicates, is_flat_rule)
{
    struct ie_record r;
    ie_record_init(&r);
    cr_assert_not(ie_duplicates_is_flat(&r, 1.0)); /* no stats, no phash: unknown, not flat */
    r.has_phash = true;
    r.phash.w[0] = 0x8000000000000000ull;
    cr_assert(ie_duplicates_is_flat(&r, 1.0));
    r.phash.w[2] = 4;
    cr_assert_not(ie_duplicates_is_flat(&r, 1.0));
    r.has_pixel_stats = true; /* statistics win over the hash */
    cr_assert(ie_duplicates_is_flat(&r, 1.0));
    r.pixel_stats.std_g = 2.0;
    cr_assert_not(ie_duplicates_is_flat(&r, 1.0));
    cr_assert(ie_duplicates_is_flat(&r, 2.0));
    r.is_corrupt = true;
    cr_assert_not(ie_duplicates_is_flat(&r, 2.0));
}

Test(duplicates, keeper_has_most_pixels_then_largest_file_then_first_path)
{
    struct ie_record r[4];
    size_t members[4] = {0, 1, 2, 3};
    struct ie_dup_group g = {members, 4, 0};
    char pa[] = "/d/a.jpg", pb[] = "/d/b.jpg", pc[] = "/d/c.jpg", pd[] = "/d/d.jpg";
    for (int i = 0; i < 4; i++)
        ie_record_init(&r[i]);
    r[0].path = pa, r[0].width = 400, r[0].height = 300, r[0].file_size_bytes = 900;
    r[1].path = pb, r[1].width = 300, r[1].height = 400, r[1].file_size_bytes = 900;
    r[2].path = pc, r[2].width = 200, r[2].height = 600, r[2].file_size_bytes = 100;
    r[3].path = pd, r[3].width = 100, r[3].height = 100, r[3].file_size_bytes = 99999;
    /* Three have 120,000 pixels; a and b have the larger file; a comes first by path. */
    cr_expect_eq(ie_duplicates_keeper(r, &g), 0);
    r[1].file_size_bytes = 901;
    cr_expect_eq(ie_duplicates_keeper(r, &g), 1, "the larger file wins a tie of pixels");
    r[2].width = 201;
    cr_expect_eq(ie_duplicates_keeper(r, &g), 2, "more pixels win over a larger file");
    g.n = 0;
    cr_expect_eq(ie_duplicates_keeper(r, &g), 0, "an empty group");
}
