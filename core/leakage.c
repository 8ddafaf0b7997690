/* Leakage across splits (SPEC §4.3): images whose phash equals, or is within the threshold of,
 * an image in another split.
 *
 * DESIGN: the phashes of all splits are merged into one sorted list and identical hashes become
 * one node that knows the set of splits holding it (a bitset by split-name rank, so iterating it
 * yields sorted names). A node in two or more splits is exact leakage for all its images. Near
 * leakage comes from one self-join of the nodes on the multi-index hash index (duplicates.h):
 * each verified pair ORs the other node's splits into the node's "near" set, and remembers the
 * closest match in another split for the "matched_path" imgeda reports.
 *
 * Differences from imgeda's detect_leakage, all deliberate:
 * - every image with a match in another split is reported; imgeda stops at the first near match
 *   of each image, never reports the image on the other side of a near match, and misses pairs
 *   its four hex-quarter buckets do not share (distance 4..8 often);
 * - found_in lists every split that holds a matching image (exact or near) plus the image's own
 *   split; imgeda lists the splits holding the identical hash, or the pair of splits of its
 *   first near match;
 * - near items carry "distance" besides imgeda's "matched_path";
 * - one item per path: the same path in two manifests is one image (imgeda does the same). */
#include <stdlib.h>
#include <string.h>

#include "imgeda/duplicates.h"
#include "imgeda/util.h"

#define NONE UINT32_MAX

/* A record with a phash; rank is its split's position in name order. */
struct leak_ent {
    struct ie_hash256 h;
    const char *path;
    uint32_t split;
    uint32_t rank;
};

static int cmp_hash(const struct ie_hash256 *a, const struct ie_hash256 *b)
{
    for (int k = 0; k < 4; k++)
        if (a->w[k] != b->w[k])
            return a->w[k] < b->w[k] ? -1 : 1;
    return 0;
}

static int cmp_rank_path(const struct leak_ent *a, const struct leak_ent *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return strcmp(a->path, b->path);
}

static int cmp_leak_ent(const void *pa, const void *pb)
{
    const struct leak_ent *a = pa, *b = pb;
    int c = cmp_hash(&a->h, &b->h);
    return c ? c : cmp_rank_path(a, b);
}

struct name_ix {
    const char *name;
    size_t split;
};

static int cmp_name_ix(const void *pa, const void *pb)
{
    const struct name_ix *a = pa, *b = pb;
    return strcmp(a->name, b->name);
}

/* Per-node state for the self-join. Bitsets are w words per node, bit r = split rank r. */
struct leak_nodes {
    const struct leak_ent *ent;
    const uint32_t *start; /* node k owns ent[start[k] .. start[k+1]) */
    size_t w;
    uint64_t *own;    /* splits holding this exact hash */
    uint64_t *near;   /* splits holding a hash within the threshold (not equal) */
    int32_t *single;  /* the one rank of own, or -1 when own has several */
    uint32_t *alt;    /* first entry whose rank differs from the node's first entry, or NONE */
    uint32_t *best_e; /* closest entry in another split, for nodes in a single split */
    uint8_t *best_d;
};

/* The first entry of node v that is not in split rank r, or NONE. Entries are sorted by rank,
 * so it is the first entry or the first one after the leading run. */
static uint32_t first_outside(const struct leak_nodes *ln, uint32_t v, int32_t r)
{
    uint32_t s = ln->start[v];
    if ((int32_t)ln->ent[s].rank != r)
        return s;
    return ln->alt[v];
}

static void consider_best(struct leak_nodes *ln, uint32_t u, uint32_t v, int d)
{
    int32_t r = ln->single[u];
    if (r < 0)
        return; /* u's images all match exactly in another split: no near item needed */
    uint32_t m = first_outside(ln, v, r);
    if (m == NONE)
        return;
    uint32_t cur = ln->best_e[u];
    if (cur == NONE || d < ln->best_d[u] ||
        (d == ln->best_d[u] && cmp_rank_path(&ln->ent[m], &ln->ent[cur]) < 0)) {
        ln->best_e[u] = m;
        ln->best_d[u] = (uint8_t)d;
    }
}

static int leak_edge(void *ud, size_t a, size_t b, int d)
{
    struct leak_nodes *ln = ud;
    for (size_t k = 0; k < ln->w; k++) {
        ln->near[a * ln->w + k] |= ln->own[b * ln->w + k];
        ln->near[b * ln->w + k] |= ln->own[a * ln->w + k];
    }
    consider_best(ln, (uint32_t)a, (uint32_t)b, d);
    consider_best(ln, (uint32_t)b, (uint32_t)a, d);
    return 0;
}

/* True when the bitset has a bit other than r. */
static bool has_other_bit(const uint64_t *bits, size_t w, uint32_t r)
{
    for (size_t k = 0; k < w; k++) {
        uint64_t v = bits[k];
        if (k == r / 64)
            v &= ~(1ull << (r % 64));
        if (v)
            return true;
    }
    return false;
}

/* A leaked entry before merging by path. */
struct leak_hit {
    uint32_t e, node;
    bool exact;
};

void ie_leak_opts_init(struct ie_leak_opts *o)
{
    o->threshold = IE_DUP_DEFAULT_THRESHOLD;
    o->exclude_flat = false;
}

void ie_leakage_init(struct ie_leakage *l)
{
    memset(l, 0, sizeof(*l));
}

void ie_leakage_release(struct ie_leakage *l)
{
    free(l->items);
    free(l->pool);
    ie_leakage_init(l);
}

struct hit_sort {
    const struct leak_ent *ent;
    struct leak_hit hit;
};

static int cmp_hit_sort(const void *pa, const void *pb)
{
    const struct hit_sort *a = pa, *b = pb;
    const struct leak_ent *ea = &a->ent[a->hit.e], *eb = &b->ent[b->hit.e];
    int c = strcmp(ea->path, eb->path);
    if (c)
        return c;
    if (ea->rank != eb->rank)
        return ea->rank < eb->rank ? -1 : 1;
    return (a->hit.e > b->hit.e) - (a->hit.e < b->hit.e);
}

/* Checks the split names (present, unique) and ranks the splits in name order. */
static int rank_splits(const struct ie_leak_split *splits, size_t nsplits, struct name_ix *names,
                       uint32_t *rank_of, uint32_t *split_of_rank, struct ie_err *err)
{
    for (size_t s = 0; s < nsplits; s++) {
        if (!splits[s].name) {
            return ie_err_set(err, IE_EINVAL, "leakage split %zu has no name", s);
        }
        names[s] = (struct name_ix){splits[s].name, s};
    }
    if (nsplits > 1)
        qsort(names, nsplits, sizeof(*names), cmp_name_ix);
    for (size_t r = 0; r < nsplits; r++) {
        if (r && strcmp(names[r].name, names[r - 1].name) == 0) {
            return ie_err_set(err, IE_EINVAL, "leakage split name \"%s\" is given twice",
                              names[r].name);
        }
        rank_of[names[r].split] = (uint32_t)r;
        split_of_rank[r] = (uint32_t)names[r].split;
    }
    return 0;
}

static bool leak_candidate(const struct ie_record *r, const struct ie_leak_opts *opts)
{
    return r->has_phash && !(opts->exclude_flat && ie_duplicates_is_flat(r, IE_DUP_FLAT_MAX_STD));
}

/* Every hashed record, sorted by (hash, split name, path), into *out (NULL when none). */
static int collect_entries(const struct ie_leak_split *splits, size_t nsplits,
                           const struct ie_leak_opts *opts, const uint32_t *rank_of,
                           struct leak_ent **out, size_t *n_out, struct ie_err *err)
{
    struct leak_ent *ent;
    size_t ne = 0;
    *out = NULL;
    *n_out = 0;
    for (size_t s = 0; s < nsplits; s++)
        for (size_t i = 0; i < splits[s].n; i++)
            ne += leak_candidate(&splits[s].recs[i], opts);
    if (ne >= UINT32_MAX)
        return ie_err_set(err, IE_ELIMIT, "%zu hashed records exceed the leakage limit of %u", ne,
                          UINT32_MAX - 1);
    if (!ne)
        return 0;
    ent = ie_xmalloc(ne * sizeof(*ent));
    ne = 0;
    for (size_t s = 0; s < nsplits; s++) {
        for (size_t i = 0; i < splits[s].n; i++) {
            const struct ie_record *r = &splits[s].recs[i];
            if (leak_candidate(r, opts))
                ent[ne++] =
                    (struct leak_ent){r->phash, r->path ? r->path : "", (uint32_t)s, rank_of[s]};
        }
    }
    qsort(ent, ne, sizeof(*ent), cmp_leak_ent);
    *out = ent;
    *n_out = ne;
    return 0;
}

/* Nodes: one per distinct hash, with the splits that own it. Returns their number. */
static size_t build_nodes(struct leak_ent *ent, size_t ne, size_t nsplits, struct leak_nodes *lnp,
                          struct ie_hash256 **node_hash_out, uint32_t **start_out)
{
    size_t nn = 0;
    struct leak_nodes ln = *lnp;
    struct ie_hash256 *node_hash = ie_xmalloc(ne * sizeof(*node_hash));
    uint32_t *start = ie_xmalloc((ne + 1) * sizeof(*start));
    for (size_t i = 0; i < ne; i++) {
        if (!nn || cmp_hash(&ent[i].h, &node_hash[nn - 1]) != 0) {
            node_hash[nn] = ent[i].h;
            start[nn++] = (uint32_t)i;
        }
    }
    start[nn] = (uint32_t)ne;

    ln.ent = ent;
    ln.start = start;
    ln.w = (nsplits + 63) / 64;
    ln.own = ie_xcalloc(nn * ln.w, sizeof(*ln.own));
    ln.near = ie_xcalloc(nn * ln.w, sizeof(*ln.near));
    ln.single = ie_xmalloc(nn * sizeof(*ln.single));
    ln.alt = ie_xmalloc(nn * sizeof(*ln.alt));
    ln.best_e = ie_xmalloc(nn * sizeof(*ln.best_e));
    ln.best_d = ie_xcalloc(nn, sizeof(*ln.best_d));
    for (size_t u = 0; u < nn; u++) {
        uint64_t *own = ln.own + u * ln.w;
        uint32_t first_rank = ent[start[u]].rank;
        ln.alt[u] = NONE;
        ln.best_e[u] = NONE;
        for (uint32_t i = start[u]; i < start[u + 1]; i++) {
            own[ent[i].rank / 64] |= 1ull << (ent[i].rank % 64);
            if (ln.alt[u] == NONE && ent[i].rank != first_rank)
                ln.alt[u] = i;
        }
        ln.single[u] = ln.alt[u] == NONE ? (int32_t)first_rank : -1;
    }

    *lnp = ln;
    *node_hash_out = node_hash;
    *start_out = start;
    return nn;
}

/* One item per leaked path, with the splits it is found in; the pool holds their lists. */
static void emit_items(struct ie_leakage *out, const struct hit_sort *hits, size_t nhits,
                       const struct leak_ent *ent, const struct leak_nodes *lnp, size_t nsplits,
                       const uint32_t *split_of_rank)
{
    const struct leak_nodes ln = *lnp;
    size_t cap_pool = 0, npool = 0;
    size_t *found_off;
    uint64_t *scratch;
    out->items = ie_xcalloc(nhits, sizeof(*out->items));
    found_off = ie_xmalloc(nhits * sizeof(*found_off));
    scratch = ie_xmalloc(ln.w * sizeof(*scratch));
    for (size_t i = 0; i < nhits;) {
        const struct leak_ent *first = &ent[hits[i].hit.e];
        size_t end = i;
        bool exact = false;
        uint32_t best_node = NONE;
        memset(scratch, 0, ln.w * sizeof(*scratch));
        while (end < nhits && strcmp(ent[hits[end].hit.e].path, first->path) == 0) {
            const struct leak_hit *h = &hits[end].hit;
            for (size_t k = 0; k < ln.w; k++)
                scratch[k] |= ln.own[h->node * ln.w + k] | ln.near[h->node * ln.w + k];
            exact |= h->exact;
            if (!h->exact && ln.best_e[h->node] != NONE) {
                uint32_t u = h->node;
                if (best_node == NONE || ln.best_d[u] < ln.best_d[best_node] ||
                    (ln.best_d[u] == ln.best_d[best_node] &&
                     cmp_rank_path(&ent[ln.best_e[u]], &ent[ln.best_e[best_node]]) < 0))
                    best_node = u;
            }
            end++;
        }
        struct ie_leak_item *it = &out->items[out->n];
        it->path = first->path;
        it->phash = first->h;
        it->split = first->split;
        it->exact = exact;
        if (!exact && best_node != NONE) {
            it->matched_path = ent[ln.best_e[best_node]].path;
            it->distance = ln.best_d[best_node];
        }
        found_off[out->n] = npool;
        for (size_t r = 0; r < nsplits; r++) {
            if (scratch[r / 64] >> (r % 64) & 1) {
                ie_grow((void **)&out->pool, &cap_pool, npool + 1, sizeof(*out->pool));
                out->pool[npool++] = split_of_rank[r];
            }
        }
        it->n_found_in = npool - found_off[out->n];
        out->n++;
        i = end;
    }
    /* The pool has stopped moving: turn offsets into pointers. */
    for (size_t i = 0; i < out->n; i++)
        out->items[i].found_in = out->pool + found_off[i];

    free(scratch);
    free(found_off);
}

int ie_leakage_find(const struct ie_leak_split *splits, size_t nsplits,
                    const struct ie_leak_opts *opts, struct ie_leakage *out, struct ie_err *err)
{
    struct ie_leak_opts defaults;
    struct name_ix *names = NULL;
    uint32_t *rank_of = NULL, *split_of_rank = NULL;
    struct leak_ent *ent = NULL;
    struct ie_hash256 *node_hash = NULL;
    uint32_t *start = NULL;
    struct leak_nodes ln;
    struct ie_hash_index ix;
    struct hit_sort *hits = NULL;
    size_t ne = 0, nn = 0, nhits = 0, cap_hits = 0;
    int rc = 0;

    memset(&ln, 0, sizeof(ln));
    ie_hash_index_init(&ix);
    ie_leakage_release(out);
    if (!opts) {
        ie_leak_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->threshold < 0 || opts->threshold > IE_HASH_INDEX_MAX_THRESHOLD)
        return ie_err_set(err, IE_EINVAL, "leakage threshold %d is outside 0..%d", opts->threshold,
                          IE_HASH_INDEX_MAX_THRESHOLD);
    if (nsplits >= UINT32_MAX)
        return ie_err_set(err, IE_ELIMIT, "%zu splits are too many", nsplits);

    /* Split names: present, unique, and ranked in sorted order. */
    if (nsplits) {
        names = ie_xmalloc(nsplits * sizeof(*names));
        rank_of = ie_xmalloc(nsplits * sizeof(*rank_of));
        split_of_rank = ie_xmalloc(nsplits * sizeof(*split_of_rank));
    }
    if ((rc = rank_splits(splits, nsplits, names, rank_of, split_of_rank, err)) < 0)
        goto out;
    if (nsplits < 2)
        goto out; /* nothing to leak into */

    if ((rc = collect_entries(splits, nsplits, opts, rank_of, &ent, &ne, err)) < 0 || !ne)
        goto out;
    nn = build_nodes(ent, ne, nsplits, &ln, &node_hash, &start);

    if (opts->threshold > 0 && nn > 1) {
        rc = ie_hash_index_build(&ix, node_hash, nn, opts->threshold, err);
        if (rc)
            goto out;
        ie_hash_index_pairs(&ix, leak_edge, &ln);
        ie_hash_index_release(&ix);
    }

    /* Leaked entries, then one item per path. */
    for (size_t u = 0; u < nn; u++) {
        bool exact = ln.single[u] < 0;
        for (uint32_t i = start[u]; i < start[u + 1]; i++) {
            if (!exact && !has_other_bit(ln.near + u * ln.w, ln.w, ent[i].rank))
                continue;
            ie_grow((void **)&hits, &cap_hits, nhits + 1, sizeof(*hits));
            hits[nhits++] = (struct hit_sort){ent, {i, (uint32_t)u, exact}};
        }
    }
    if (!nhits)
        goto out;
    if (nhits > 1)
        qsort(hits, nhits, sizeof(*hits), cmp_hit_sort);

    emit_items(out, hits, nhits, ent, &ln, nsplits, split_of_rank);

out:
    ie_hash_index_release(&ix);
    free(names);
    free(rank_of);
    free(split_of_rank);
    free(ent);
    free(node_hash);
    free(start);
    free(ln.own);
    free(ln.near);
    free(ln.single);
    free(ln.alt);
    free(ln.best_e);
    free(ln.best_d);
    free(hits);
    if (rc)
        ie_leakage_release(out);
    return rc;
}

static cJSON *must(cJSON *item)
{
    if (!item)
        abort(); /* cJSON fails only on allocation */
    return item;
}

cJSON *ie_leakage_to_json(const struct ie_leakage *l, const struct ie_leak_split *splits)
{
    cJSON *a = must(cJSON_CreateArray());
    for (size_t i = 0; i < l->n; i++) {
        const struct ie_leak_item *it = &l->items[i];
        char hex[65];
        cJSON *o = must(cJSON_CreateObject());
        must(cJSON_AddStringToObject(o, "path", it->path));
        ie_hash256_to_hex(&it->phash, hex);
        must(cJSON_AddStringToObject(o, "phash", hex));
        cJSON *found = must(cJSON_AddArrayToObject(o, "found_in"));
        for (size_t k = 0; k < it->n_found_in; k++)
            cJSON_AddItemToArray(found, must(cJSON_CreateString(splits[it->found_in[k]].name)));
        must(cJSON_AddStringToObject(o, "match_type", it->exact ? "exact" : "near"));
        if (!it->exact) {
            if (it->matched_path)
                must(cJSON_AddStringToObject(o, "matched_path", it->matched_path));
            else
                must(cJSON_AddNullToObject(o, "matched_path"));
            must(cJSON_AddNumberToObject(o, "distance", it->distance));
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}
