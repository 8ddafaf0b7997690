/* Duplicate images: exact-phash and byte-identical groups, flat images, and near-duplicate
 * groups found by a multi-index hash index with exact recall.
 *
 * DESIGN: imgeda buckets phashes by four hex quarters and skips buckets above 500 records, so it
 * misses pairs that differ in every quarter (distance 4..8 often does) and pairs in popular
 * buckets. Here the 256 bits are cut into threshold+1 blocks (pigeonhole: a pair within the
 * threshold agrees on at least one block), each block is a radix-sorted array of (key, index),
 * and every run of equal keys is verified pair by pair - none is skipped. Records with identical
 * phashes are merged into one node first, so a large exact group costs its size, not its square.
 * Near groups are the connected components (union-find) of the verified pairs. */
#include <stdlib.h>
#include <string.h>

#include "imgeda/duplicates.h"
#include "imgeda/util.h"

/* ---- bit blocks ---- */

/* Bits [start, start+width) of h, width 1..64, bit 0 being the most significant bit of w[0]
 * (the first bit of the hex text), returned right-aligned. */
static uint64_t hash_bits(const struct ie_hash256 *h, unsigned start, unsigned width)
{
    unsigned wi = start / 64, bo = start % 64;
    uint64_t v = h->w[wi] << bo;
    if (bo && bo + width > 64)
        v |= h->w[wi + 1] >> (64 - bo);
    return v >> (64 - width);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The 32-bit sort key of block b: the block's bits when they fit, else a fingerprint of them.
 * A fingerprint collision only adds a candidate that verification rejects. */
static uint32_t block_key(const struct ie_hash_index *ix, const struct ie_hash256 *h, int b)
{
    unsigned start = ix->block_start[b], width = ix->block_width[b];
    if (width <= 32)
        return (uint32_t)hash_bits(h, start, width);
    uint64_t acc = 0x9e3779b97f4a7c15ull;
    for (unsigned o = start; o < start + width; o += 64) {
        unsigned w = IE_MIN(64u, start + width - o);
        acc = mix64(acc ^ hash_bits(h, o, w)) + 0x9e3779b97f4a7c15ull;
    }
    return (uint32_t)(acc >> 32);
}

/* The first block on which two hashes with XOR x agree, or -1. A pair is reported only from
 * this block, so it is reported once even when it agrees on several blocks. */
static int first_equal_block(const struct ie_hash_index *ix, const struct ie_hash256 *x)
{
    for (int b = 0; b < ix->nblocks; b++) {
        const struct ie_hash256 *m = &ix->block_mask[b];
        if (((x->w[0] & m->w[0]) | (x->w[1] & m->w[1]) | (x->w[2] & m->w[2]) |
             (x->w[3] & m->w[3])) == 0)
            return b;
    }
    return -1;
}

static int xor_distance(const struct ie_hash256 *a, const struct ie_hash256 *b,
                        struct ie_hash256 *x)
{
    for (int k = 0; k < 4; k++)
        x->w[k] = a->w[k] ^ b->w[k];
    return __builtin_popcountll(x->w[0]) + __builtin_popcountll(x->w[1]) +
           __builtin_popcountll(x->w[2]) + __builtin_popcountll(x->w[3]);
}

/* Stable LSD radix sort of (key << 32 | index) entries on the low key_bits of the key. The
 * entries start in index order, so equal keys stay sorted by index. */
static void radix_sort_entries(uint64_t *a, uint64_t *tmp, size_t n, unsigned key_bits)
{
    uint64_t *src = a, *dst = tmp;
    for (unsigned shift = 32; shift < 32 + key_bits; shift += 8) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 0xff]++;
        if (count[(src[0] >> shift) & 0xff] == n)
            continue; /* every entry has this digit: the pass would not move anything */
        size_t pos = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

void ie_hash_index_init(struct ie_hash_index *ix)
{
    memset(ix, 0, sizeof(*ix));
}

void ie_hash_index_release(struct ie_hash_index *ix)
{
    free(ix->entries);
    ie_hash_index_init(ix);
}

int ie_hash_index_build(struct ie_hash_index *ix, const struct ie_hash256 *hashes, size_t n,
                        int threshold, struct ie_err *err)
{
    uint64_t *tmp = NULL;

    ie_hash_index_release(ix);
    if (threshold < 0 || threshold > IE_HASH_INDEX_MAX_THRESHOLD)
        return ie_err_set(err, IE_EINVAL, "near-duplicate threshold %d is outside 0..%d", threshold,
                          IE_HASH_INDEX_MAX_THRESHOLD);
    if (n >= UINT32_MAX)
        return ie_err_set(err, IE_ELIMIT, "%zu hashes exceed the index limit of %u", n,
                          UINT32_MAX - 1);

    if (n > SIZE_MAX / sizeof(*ix->entries) / (size_t)(threshold + 1))
        return ie_err_set(err, IE_ELIMIT, "%zu hashes at threshold %d do not fit in memory", n,
                          threshold); /* only reachable with a 32-bit size_t */

    ix->hashes = hashes;
    ix->n = n;
    ix->threshold = threshold;
    ix->nblocks = threshold + 1;
    /* Contiguous blocks, the first 256 % nblocks of them one bit wider. */
    unsigned base = 256 / (unsigned)ix->nblocks, extra = 256 % (unsigned)ix->nblocks;
    unsigned start = 0;
    for (int b = 0; b < ix->nblocks; b++) {
        unsigned w = base + ((unsigned)b < extra ? 1 : 0);
        ix->block_start[b] = (uint16_t)start;
        ix->block_width[b] = (uint16_t)w;
        for (unsigned p = start; p < start + w; p++)
            ix->block_mask[b].w[p / 64] |= 1ull << (63 - p % 64);
        start += w;
    }
    if (n == 0)
        return 0;

    ix->entries = ie_xmalloc((size_t)ix->nblocks * n * sizeof(*ix->entries));
    tmp = ie_xmalloc(n * sizeof(*tmp));
    for (int b = 0; b < ix->nblocks; b++) {
        uint64_t *e = ix->entries + (size_t)b * n;
        for (size_t i = 0; i < n; i++)
            e[i] = ((uint64_t)block_key(ix, &hashes[i], b) << 32) | (uint64_t)i;
        radix_sort_entries(e, tmp, n, IE_MIN(32u, (unsigned)ix->block_width[b]));
    }
    free(tmp);
    return 0;
}

int ie_hash_index_query(const struct ie_hash_index *ix, const struct ie_hash256 *q,
                        ie_hash_hit_fn fn, void *ud)
{
    if (!ix->n)
        return 0;
    for (int b = 0; b < ix->nblocks; b++) {
        const uint64_t *e = ix->entries + (size_t)b * ix->n;
        uint32_t key = block_key(ix, q, b);
        uint64_t lo_val = (uint64_t)key << 32;
        size_t lo = 0, hi = ix->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (e[mid] < lo_val)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < ix->n && (uint32_t)(e[i] >> 32) == key; i++) {
            size_t idx = (size_t)(e[i] & 0xffffffffu);
            struct ie_hash256 x;
            int d = xor_distance(q, &ix->hashes[idx], &x);
            if (d <= ix->threshold && first_equal_block(ix, &x) == b) {
                int rc = fn(ud, idx, d);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

int ie_hash_index_pairs(const struct ie_hash_index *ix, ie_hash_pair_fn fn, void *ud)
{
    for (int b = 0; b < ix->nblocks; b++) {
        const uint64_t *e = ix->entries + (size_t)b * ix->n;
        size_t i = 0;
        while (i < ix->n) {
            uint32_t key = (uint32_t)(e[i] >> 32);
            size_t end = i + 1;
            while (end < ix->n && (uint32_t)(e[end] >> 32) == key)
                end++;
            /* Every pair of the run is a candidate; indices ascend within a run, so p < q. */
            for (size_t p = i; p + 1 < end; p++) {
                size_t a = (size_t)(e[p] & 0xffffffffu);
                const struct ie_hash256 *ha = &ix->hashes[a];
                for (size_t q = p + 1; q < end; q++) {
                    size_t c = (size_t)(e[q] & 0xffffffffu);
                    struct ie_hash256 x;
                    int d = xor_distance(ha, &ix->hashes[c], &x);
                    if (d <= ix->threshold && first_equal_block(ix, &x) == b) {
                        int rc = fn(ud, a, c, d);
                        if (rc)
                            return rc;
                    }
                }
            }
            i = end;
        }
    }
    return 0;
}

/* ---- flat images ---- */

bool ie_duplicates_is_flat(const struct ie_record *r, double max_std)
{
    if (r->is_corrupt)
        return false;
    if (r->has_pixel_stats) {
        const struct ie_pixel_stats *p = &r->pixel_stats;
        return p->std_r <= max_std && p->std_g <= max_std && p->std_b <= max_std;
    }
    /* Without statistics only the hash is left: a constant image has no AC energy, so its phash
     * is the DC bit alone (8000...0), or nothing at all when it is black. */
    if (!r->has_phash)
        return false;
    const struct ie_hash256 *h = &r->phash;
    return (h->w[0] == 0x8000000000000000ull || h->w[0] == 0) && !h->w[1] && !h->w[2] && !h->w[3];
}

/* ---- group lists ---- */

void ie_dup_opts_init(struct ie_dup_opts *o)
{
    o->threshold = IE_DUP_DEFAULT_THRESHOLD;
    o->flat_max_std = IE_DUP_FLAT_MAX_STD;
}

static const char *rec_path(const struct ie_record *r)
{
    return r->path ? r->path : "";
}

struct path_ix {
    const char *path;
    size_t rec;
};

static int cmp_path_ix(const void *pa, const void *pb)
{
    const struct path_ix *a = pa, *b = pb;
    int c = strcmp(a->path, b->path);
    if (c)
        return c;
    return (a->rec > b->rec) - (a->rec < b->rec);
}

/* Sorts record indices by path; *tmp and *tmp_cap are scratch space reused across calls. */
static void sort_by_path(size_t *idx, size_t k, const struct ie_recsrc *s, struct path_ix **tmp,
                         size_t *tmp_cap)
{
    struct ie_record r;
    if (k < 2)
        return;
    ie_grow((void **)tmp, tmp_cap, k, sizeof(**tmp));
    for (size_t i = 0; i < k; i++) {
        (*tmp)[i].path = rec_path(ie_recsrc_at(s, idx[i], &r));
        (*tmp)[i].rec = idx[i];
    }
    qsort(*tmp, k, sizeof(**tmp), cmp_path_ix);
    for (size_t i = 0; i < k; i++)
        idx[i] = (*tmp)[i].rec;
}

/* Groups are collected as (offset, size) into a growing pool, then sorted and turned into
 * pointers once the pool no longer moves. */
struct group_acc {
    size_t off, n;
    int max_distance;
    const char *first;
};

struct list_builder {
    size_t *pool;
    size_t npool, cap_pool;
    struct group_acc *g;
    size_t ng, cap_g;
};

/* Reserves a group of k members and returns where to write them. */
static size_t *builder_add(struct list_builder *lb, size_t k, int max_distance)
{
    ie_grow((void **)&lb->pool, &lb->cap_pool, lb->npool + k, sizeof(*lb->pool));
    ie_grow((void **)&lb->g, &lb->cap_g, lb->ng + 1, sizeof(*lb->g));
    struct group_acc *g = &lb->g[lb->ng++];
    g->off = lb->npool;
    g->n = k;
    g->max_distance = max_distance;
    g->first = NULL;
    lb->npool += k;
    return lb->pool + g->off;
}

static int cmp_group_acc(const void *pa, const void *pb)
{
    const struct group_acc *a = pa, *b = pb;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    int c = strcmp(a->first, b->first);
    if (c)
        return c;
    return (a->off > b->off) - (a->off < b->off);
}

/* Sorts members (unless already sorted) and groups, and moves the result into out. */
static void builder_finish(struct list_builder *lb, const struct ie_recsrc *s, bool members_sorted,
                           struct ie_dup_list *out)
{
    struct path_ix *tmp = NULL;
    struct ie_record r;
    size_t tmp_cap = 0;
    for (size_t i = 0; i < lb->ng; i++) {
        struct group_acc *g = &lb->g[i];
        if (!members_sorted)
            sort_by_path(lb->pool + g->off, g->n, s, &tmp, &tmp_cap);
        g->first = rec_path(ie_recsrc_at(s, lb->pool[g->off], &r));
    }
    free(tmp);
    if (lb->ng > 1)
        qsort(lb->g, lb->ng, sizeof(*lb->g), cmp_group_acc);
    out->n = lb->ng;
    out->pool = lb->pool;
    out->groups = lb->ng ? ie_xcalloc(lb->ng, sizeof(*out->groups)) : NULL;
    for (size_t i = 0; i < lb->ng; i++) {
        out->groups[i].recs = lb->pool + lb->g[i].off;
        out->groups[i].n = lb->g[i].n;
        out->groups[i].max_distance = lb->g[i].max_distance;
    }
    free(lb->g);
    memset(lb, 0, sizeof(*lb));
}

static void dup_list_release(struct ie_dup_list *l)
{
    free(l->groups);
    free(l->pool);
    memset(l, 0, sizeof(*l));
}

void ie_duplicates_init(struct ie_duplicates *d)
{
    memset(d, 0, sizeof(*d));
}

void ie_duplicates_release(struct ie_duplicates *d)
{
    dup_list_release(&d->exact);
    dup_list_release(&d->byte_identical);
    dup_list_release(&d->near);
    free(d->flat);
    ie_duplicates_init(d);
}

size_t ie_duplicates_keeper(const struct ie_record *recs, const struct ie_dup_group *g)
{
    struct ie_recsrc s = ie_recsrc_array(recs, SIZE_MAX);
    return ie_duplicates_keeper_src(&s, g);
}

size_t ie_duplicates_keeper_src(const struct ie_recsrc *s, const struct ie_dup_group *g)
{
    struct ie_record ta, tb;
    size_t best = 0;
    for (size_t k = 1; k < g->n; k++) {
        const struct ie_record *a = ie_recsrc_at(s, g->recs[k], &ta);
        const struct ie_record *b = ie_recsrc_at(s, g->recs[best], &tb);
        int64_t pa = (int64_t)a->width * a->height, pb = (int64_t)b->width * b->height;
        int c = pa != pb ? (pa > pb ? 1 : -1)
                : a->file_size_bytes != b->file_size_bytes
                    ? (a->file_size_bytes > b->file_size_bytes ? 1 : -1)
                    : -strcmp(a->path ? a->path : "", b->path ? b->path : "");
        if (c > 0)
            best = k;
    }
    return best;
}

size_t ie_duplicates_exact_extra(const struct ie_duplicates *d)
{
    size_t extra = 0;
    for (size_t i = 0; i < d->exact.n; i++)
        extra += d->exact.groups[i].n - 1;
    return extra;
}

/* ---- finding groups ---- */

/* A record with a phash, for sorting by (hash, path). */
struct hash_ent {
    struct ie_hash256 h;
    const char *path;
    uint32_t rec;
    bool flat;
};

static int cmp_hash256(const struct ie_hash256 *a, const struct ie_hash256 *b)
{
    for (int k = 0; k < 4; k++)
        if (a->w[k] != b->w[k])
            return a->w[k] < b->w[k] ? -1 : 1;
    return 0;
}

static int cmp_hash_ent(const void *pa, const void *pb)
{
    const struct hash_ent *a = pa, *b = pb;
    int c = cmp_hash256(&a->h, &b->h);
    if (c)
        return c;
    c = strcmp(a->path, b->path);
    if (c)
        return c;
    return (a->rec > b->rec) - (a->rec < b->rec);
}

struct content_ent {
    const char *content_hash;
    const char *path;
    size_t rec;
};

static int cmp_content_ent(const void *pa, const void *pb)
{
    const struct content_ent *a = pa, *b = pb;
    int c = strcmp(a->content_hash, b->content_hash);
    if (c)
        return c;
    c = strcmp(a->path, b->path);
    if (c)
        return c;
    return (a->rec > b->rec) - (a->rec < b->rec);
}

/* Union-find over hash nodes; max_d[root] is the largest edge distance seen in the component. */
struct union_find {
    uint32_t *parent;
    uint8_t *max_d;
};

static uint32_t uf_find(struct union_find *uf, uint32_t x)
{
    while (uf->parent[x] != x) {
        uf->parent[x] = uf->parent[uf->parent[x]]; /* path halving */
        x = uf->parent[x];
    }
    return x;
}

static int uf_join_edge(void *ud, size_t a, size_t b, int distance)
{
    struct union_find *uf = ud;
    uint32_t ra = uf_find(uf, (uint32_t)a), rb = uf_find(uf, (uint32_t)b);
    uint8_t d = (uint8_t)IE_MAX(distance, IE_MAX(uf->max_d[ra], uf->max_d[rb]));
    /* Path halving alone bounds the amortised cost per operation at O(log n), so no rank
     * array is kept. */
    if (ra != rb) {
        if (ra < rb)
            uf->parent[rb] = ra;
        else
            uf->parent[ra] = rb;
    }
    uf->max_d[uf_find(uf, ra)] = d;
    return 0;
}

static void find_exact(const struct hash_ent *ent, size_t ne, const struct ie_recsrc *s,
                       struct ie_dup_list *out)
{
    struct list_builder lb = {0};
    size_t i = 0;
    while (i < ne) {
        size_t end = i + 1;
        while (end < ne && cmp_hash256(&ent[end].h, &ent[i].h) == 0)
            end++;
        if (end - i >= 2) {
            size_t *m = builder_add(&lb, end - i, 0);
            for (size_t k = i; k < end; k++)
                m[k - i] = ent[k].rec;
        }
        i = end;
    }
    builder_finish(&lb, s, true, out);
}

static void find_byte_identical(const struct ie_recsrc *s, struct ie_dup_list *out)
{
    struct list_builder lb = {0};
    struct content_ent *ce = NULL;
    struct ie_record tmp;
    size_t nc = 0;
    for (size_t i = 0; i < s->n; i++)
        nc += ie_recsrc_at(s, i, &tmp)->content_hash != NULL;
    if (nc) {
        ce = ie_xmalloc(nc * sizeof(*ce));
        nc = 0;
        for (size_t i = 0; i < s->n; i++) {
            const struct ie_record *r = ie_recsrc_at(s, i, &tmp);
            if (r->content_hash)
                ce[nc++] = (struct content_ent){r->content_hash, rec_path(r), i};
        }
        qsort(ce, nc, sizeof(*ce), cmp_content_ent);
    }
    size_t i = 0;
    while (i < nc) {
        size_t end = i + 1;
        while (end < nc && strcmp(ce[end].content_hash, ce[i].content_hash) == 0)
            end++;
        if (end - i >= 2) {
            size_t *m = builder_add(&lb, end - i, 0);
            for (size_t k = i; k < end; k++)
                m[k - i] = ce[k].rec;
        }
        i = end;
    }
    free(ce);
    builder_finish(&lb, s, true, out);
}

/* Near groups over the non-flat entries of *entp (sorted by hash). Frees *entp as soon as the
 * nodes are extracted, so that it and the index are never allocated at the same time. */
static int find_near(struct hash_ent **entp, size_t ne, const struct ie_recsrc *s, int threshold,
                     struct ie_dup_list *out, struct ie_err *err)
{
    const struct hash_ent *ent = *entp;
    struct list_builder lb = {0};
    struct ie_hash_index ix;
    struct union_find uf = {NULL, NULL};
    struct ie_hash256 *node_hash = NULL;
    uint32_t *node_start = NULL; /* node k owns the records nf[node_start[k] ..] */
    uint32_t *nf = NULL;         /* the non-flat records, by hash then path */
    size_t *comp_size = NULL, *comp_fill = NULL;
    size_t nnodes = 0, nnf = 0;
    int rc = 0;

    ie_hash_index_init(&ix);
    for (size_t i = 0; i < ne; i++)
        nnf += !ent[i].flat;
    if (nnf < 2)
        goto out;

    nf = ie_xmalloc(nnf * sizeof(*nf));
    node_hash = ie_xmalloc(nnf * sizeof(*node_hash));
    node_start = ie_xmalloc((nnf + 1) * sizeof(*node_start));
    nnf = 0;
    for (size_t i = 0; i < ne; i++) {
        if (ent[i].flat)
            continue;
        if (!nnodes || cmp_hash256(&ent[i].h, &node_hash[nnodes - 1]) != 0) {
            node_hash[nnodes] = ent[i].h;
            node_start[nnodes++] = (uint32_t)nnf;
        }
        nf[nnf++] = ent[i].rec;
    }
    node_start[nnodes] = (uint32_t)nnf;
    free(*entp);
    *entp = NULL;
    ent = NULL;

    rc = ie_hash_index_build(&ix, node_hash, nnodes, threshold, err);
    if (rc)
        goto out;
    uf.parent = ie_xmalloc(nnodes * sizeof(*uf.parent));
    uf.max_d = ie_xcalloc(nnodes, sizeof(*uf.max_d));
    for (size_t k = 0; k < nnodes; k++)
        uf.parent[k] = (uint32_t)k;
    ie_hash_index_pairs(&ix, uf_join_edge, &uf);
    ie_hash_index_release(&ix); /* the index is the largest allocation: drop it before grouping */

    /* Component sizes in records; components of two or more records become groups. */
    comp_size = ie_xcalloc(nnodes, sizeof(*comp_size));
    for (size_t k = 0; k < nnodes; k++)
        comp_size[uf_find(&uf, (uint32_t)k)] += node_start[k + 1] - node_start[k];
    comp_fill = ie_xcalloc(nnodes, sizeof(*comp_fill)); /* root -> group number + 1 */
    for (size_t k = 0; k < nnodes; k++) {
        if (uf.parent[k] == k && comp_size[k] >= 2) {
            builder_add(&lb, comp_size[k], uf.max_d[k]);
            comp_fill[k] = lb.ng;
            comp_size[k] = 0; /* reused as the fill count */
        }
    }
    for (size_t k = 0; k < nnodes; k++) {
        uint32_t r = uf_find(&uf, (uint32_t)k);
        if (!comp_fill[r])
            continue;
        struct group_acc *g = &lb.g[comp_fill[r] - 1];
        for (uint32_t j = node_start[k]; j < node_start[k + 1]; j++)
            lb.pool[g->off + comp_size[r]++] = nf[j];
    }
    builder_finish(&lb, s, false, out);

out:
    ie_hash_index_release(&ix);
    free(uf.parent);
    free(uf.max_d);
    free(node_hash);
    free(node_start);
    free(nf);
    free(comp_size);
    free(comp_fill);
    free(lb.pool);
    free(lb.g);
    return rc;
}

int ie_duplicates_find(const struct ie_record *recs, size_t n, const struct ie_dup_opts *opts,
                       struct ie_duplicates *out, struct ie_err *err)
{
    struct ie_recsrc s = ie_recsrc_array(recs, n);
    return ie_duplicates_find_src(&s, opts, out, err);
}

/* The flat records (from all records, not only those with a phash: a flat image analysed with
 * --no-hashes still has pixel_stats), by path. */
static void find_flat(const struct ie_recsrc *s, double max_std, struct ie_duplicates *out)
{
    struct path_ix *tmp = NULL;
    struct ie_record r;
    size_t tmp_cap = 0, k = 0;
    for (size_t i = 0; i < s->n; i++)
        out->n_flat += ie_duplicates_is_flat(ie_recsrc_at(s, i, &r), max_std);
    if (!out->n_flat)
        return;
    out->flat = ie_xmalloc(out->n_flat * sizeof(*out->flat));
    for (size_t i = 0; i < s->n; i++)
        if (ie_duplicates_is_flat(ie_recsrc_at(s, i, &r), max_std))
            out->flat[k++] = i;
    sort_by_path(out->flat, k, s, &tmp, &tmp_cap);
    free(tmp);
}

int ie_duplicates_find_src(const struct ie_recsrc *s, const struct ie_dup_opts *opts,
                           struct ie_duplicates *out, struct ie_err *err)
{
    struct ie_dup_opts defaults;
    struct hash_ent *ent = NULL;
    struct ie_record tmp;
    size_t ne = 0, n = s->n;
    int rc = 0;

    ie_duplicates_release(out);
    if (!opts) {
        ie_dup_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->threshold < 0 || opts->threshold > IE_HASH_INDEX_MAX_THRESHOLD)
        return ie_err_set(err, IE_EINVAL, "near-duplicate threshold %d is outside 0..%d",
                          opts->threshold, IE_HASH_INDEX_MAX_THRESHOLD);
    if (n >= UINT32_MAX)
        return ie_err_set(err, IE_ELIMIT, "%zu records exceed the duplicate search limit of %u", n,
                          UINT32_MAX - 1);
    out->threshold = opts->threshold;

    for (size_t i = 0; i < n; i++) {
        const struct ie_record *r = ie_recsrc_at(s, i, &tmp);
        ne += r->has_phash && !r->is_corrupt;
    }
    if (ne) {
        ent = ie_xmalloc(ne * sizeof(*ent));
        ne = 0;
        for (size_t i = 0; i < n; i++) {
            const struct ie_record *r = ie_recsrc_at(s, i, &tmp);
            if (!r->has_phash || r->is_corrupt)
                continue;
            ent[ne++] = (struct hash_ent){r->phash, rec_path(r), (uint32_t)i,
                                          ie_duplicates_is_flat(r, opts->flat_max_std)};
        }
        qsort(ent, ne, sizeof(*ent), cmp_hash_ent);
    }

    find_exact(ent, ne, s, &out->exact);
    find_byte_identical(s, &out->byte_identical);
    rc = find_near(&ent, ne, s, opts->threshold, &out->near, err);
    if (rc)
        goto out;
    find_flat(s, opts->flat_max_std, out);

out:
    free(ent);
    if (rc)
        ie_duplicates_release(out);
    return rc;
}

/* ---- JSON ---- */

static cJSON *must(cJSON *item)
{
    if (!item)
        abort(); /* cJSON fails only on allocation */
    return item;
}

static cJSON *paths_array(const size_t *idx, size_t k, const struct ie_recsrc *s)
{
    struct ie_record r;
    cJSON *a = must(cJSON_CreateArray());
    for (size_t i = 0; i < k; i++)
        cJSON_AddItemToArray(a, must(cJSON_CreateString(rec_path(ie_recsrc_at(s, idx[i], &r)))));
    return a;
}

cJSON *ie_duplicates_to_json(const struct ie_duplicates *d, const struct ie_record *recs)
{
    struct ie_recsrc s = ie_recsrc_array(recs, SIZE_MAX);
    return ie_duplicates_to_json_src(d, &s);
}

cJSON *ie_duplicates_to_json_src(const struct ie_duplicates *d, const struct ie_recsrc *recs)
{
    cJSON *o = must(cJSON_CreateObject());
    cJSON *exact = must(cJSON_AddArrayToObject(o, "exact"));
    for (size_t i = 0; i < d->exact.n; i++)
        cJSON_AddItemToArray(exact,
                             paths_array(d->exact.groups[i].recs, d->exact.groups[i].n, recs));
    cJSON *bytes = must(cJSON_AddArrayToObject(o, "byte_identical"));
    for (size_t i = 0; i < d->byte_identical.n; i++)
        cJSON_AddItemToArray(bytes, paths_array(d->byte_identical.groups[i].recs,
                                                d->byte_identical.groups[i].n, recs));
    cJSON *near = must(cJSON_AddArrayToObject(o, "near"));
    for (size_t i = 0; i < d->near.n; i++) {
        const struct ie_dup_group *g = &d->near.groups[i];
        cJSON *item = must(cJSON_CreateObject());
        cJSON_AddItemToObject(item, "paths", paths_array(g->recs, g->n, recs));
        must(cJSON_AddNumberToObject(item, "max_distance", g->max_distance));
        cJSON_AddItemToArray(near, item);
    }
    cJSON_AddItemToObject(o, "flat", paths_array(d->flat, d->n_flat, recs));
    return o;
}
