/* Manifest diff (SPEC §4.4) over the slim manifest view it shares with the gate (imgeda/diff.h,
 * imgeda/slim.h; the view lives in slim.c, its scanner in jscan.c, the diff's JSON in
 * diff_json.c).
 * DESIGN: parsing a record with cJSON and ie_record_from_json (ie_manifest_load) costs ~14 µs
 * and ~840 bytes, so 10^6 + 10^6 records would take ~28 s and ~1.7 GB. The slim loader instead
 * streams the file through a strict, allocation-free JSON scanner (8 bytes at a time through
 * string contents) that validates every line but keeps only the dozen fields diff and gate
 * read: ~2 µs and ~180 bytes per record (bench/ops.sh). Diff is then a hash
 * join: each new record looks its path up in the old manifest's path index, which the loader
 * built anyway for "later record wins"; only the added, removed and changed lists are sorted.
 * Values of an unexpected JSON type are kept exactly (rare), so comparisons and output follow
 * Python's `!=` and repr even for odd manifests. */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/diff.h"
#include "imgeda/strmap.h"
#include "imgeda/slim.h"
#include "imgeda/util.h"
#include "slim_internal.h"

/* ---- diff ---- */

void ie_diff_result_init(struct ie_diff_result *d)
{
    memset(d, 0, sizeof(*d));
}

void ie_diff_result_release(struct ie_diff_result *d)
{
    free(d->added);
    free(d->removed);
    free(d->changed);
    free(d->moved);
    free(d->copied);
    ie_diff_result_init(d);
}

static uint16_t compare_records(const struct ie_slim_manifest *a, size_t i,
                                const struct ie_slim_manifest *b, size_t j)
{
    const struct ie_slim_record *ra = &a->recs[i], *rb = &b->recs[j];
    uint16_t irregular = ra->irregular | rb->irregular, mask = 0;

    for (int f = 0; f < IE_DIFF_NFIELDS; f++) {
        bool differ;
        if (irregular & (1u << f)) {
            struct ie_jvalue va = ie_slim_manifest_value(a, i, f);
            struct ie_jvalue vb = ie_slim_manifest_value(b, j, f);
            differ = !ie_jvalue_equal(&va, &vb);
        } else {
            switch (f) {
            case IE_SLIM_FILE_SIZE_BYTES:
                differ = ra->file_size_bytes != rb->file_size_bytes;
                break;
            case IE_SLIM_WIDTH:
                differ = ra->width != rb->width;
                break;
            case IE_SLIM_HEIGHT:
                differ = ra->height != rb->height;
                break;
            case IE_SLIM_FORMAT:
                differ = strcmp(ra->format, rb->format) != 0;
                break;
            case IE_SLIM_COLOR_MODE:
                differ = strcmp(ra->color_mode, rb->color_mode) != 0;
                break;
            case IE_SLIM_PHASH:
                differ = (ra->flags & IE_SLIM_F_PHASH) != (rb->flags & IE_SLIM_F_PHASH) ||
                         ((ra->flags & IE_SLIM_F_PHASH) &&
                          memcmp(&ra->phash, &rb->phash, sizeof(ra->phash)) != 0);
                break;
            default:
                differ = ((ra->flags ^ rb->flags) & ie__slim_flag_of(f)) != 0;
                break;
            }
        }
        if (differ)
            mask |= (uint16_t)(1u << f);
    }
    return mask;
}

struct path_key {
    const char *path;
    size_t pos;
};

static int path_key_cmp(const void *a, const void *b)
{
    const struct path_key *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* Sorts n elements of size elsz in v by the path that path_of gives for each. */
static void sort_by_path(void *v, size_t n, size_t elsz,
                         const char *(*path_of)(const void *el, const void *ctx), const void *ctx)
{
    if (n < 2)
        return;
    struct path_key *keys = ie_xmalloc(n * sizeof(*keys));
    char *copy = ie_xmalloc(n * elsz);
    for (size_t i = 0; i < n; i++) {
        keys[i].path = path_of((char *)v + i * elsz, ctx);
        keys[i].pos = i;
    }
    qsort(keys, n, sizeof(*keys), path_key_cmp);
    memcpy(copy, v, n * elsz);
    for (size_t i = 0; i < n; i++)
        memcpy((char *)v + i * elsz, copy + keys[i].pos * elsz, elsz);
    free(copy);
    free(keys);
}

static const char *index_path(const void *el, const void *ctx)
{
    return ((const struct ie_slim_manifest *)ctx)->recs[*(const size_t *)el].path;
}

static const char *change_path(const void *el, const void *ctx)
{
    const struct ie_slim_manifest *old = ctx;
    return old->recs[((const struct ie_diff_change *)el)->old_idx].path;
}

static size_t count_corrupt(const struct ie_slim_manifest *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += (m->recs[i].flags & IE_SLIM_F_CORRUPT) != 0;
    return n;
}

/* ---- matching beyond imgeda: relative paths and content hashes ---- */

/* The length of a header's root without trailing slashes, or 0 when it names none. */
static size_t root_len(const struct ie_slim_manifest *m)
{
    size_t n = m->input_dir ? strlen(m->input_dir) : 0;
    while (n > 1 && m->input_dir[n - 1] == '/')
        n--;
    return n;
}

/* A record's path under its manifest's root (the whole path when it lies elsewhere). */
static const char *rel_path(const struct ie_slim_manifest *m, size_t rlen, size_t i)
{
    const char *p = m->recs[i].path;
    if (rlen && strncmp(p, m->input_dir, rlen) == 0 && p[rlen] == '/')
        return p + rlen + 1;
    return p;
}

static int phash_distance(const struct ie_slim_record *a, const struct ie_slim_record *b)
{
    if (!(a->flags & b->flags & IE_SLIM_F_PHASH))
        return -1;
    int n = 0;
    for (int w = 0; w < 4; w++)
        n += __builtin_popcountll(a->phash.w[w] ^ b->phash.w[w]);
    return n;
}

struct chash_key {
    uint64_t h0, h1;
    size_t idx;
};

static int chash_key_cmp(const void *a, const void *b)
{
    const struct chash_key *x = a, *y = b;
    if (x->h0 != y->h0)
        return x->h0 < y->h0 ? -1 : 1;
    if (x->h1 != y->h1)
        return x->h1 < y->h1 ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The added files whose bytes an old file has: moved when that old file is unmatched (it
 * leaves removed), else copied. Candidates of one hash are taken in manifest (path) order. */
static void match_by_content(struct ie_diff_result *d, uint8_t *matched)
{
    const struct ie_slim_manifest *old = d->old, *new = d->new;
    struct chash_key *keys = ie_xmalloc((old->n ? old->n : 1) * sizeof(*keys));
    size_t nk = 0, kept = 0, cap_moved = 0, cap_copied = 0;
    for (size_t j = 0; j < old->n; j++)
        if (old->recs[j].flags & IE_SLIM_F_CHASH)
            keys[nk++] = (struct chash_key){old->recs[j].chash[0], old->recs[j].chash[1], j};
    qsort(keys, nk, sizeof(*keys), chash_key_cmp);
    for (size_t a = 0; a < d->n_added; a++) {
        const struct ie_slim_record *r = &new->recs[d->added[a]];
        size_t lo = 0, hi = nk, first_free = SIZE_MAX;
        if (!(r->flags & IE_SLIM_F_CHASH) || !nk) {
            d->added[kept++] = d->added[a];
            continue;
        }
        struct chash_key probe = {r->chash[0], r->chash[1], 0};
        while (lo < hi) { /* the first key not below (hash, 0) */
            size_t mid = lo + (hi - lo) / 2;
            if (chash_key_cmp(&keys[mid], &probe) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < nk && keys[k].h0 == probe.h0 && keys[k].h1 == probe.h1; k++)
            if (!matched[keys[k].idx]) {
                first_free = keys[k].idx;
                break;
            }
        if (first_free != SIZE_MAX) {
            matched[first_free] = 1;
            ie_grow((void **)&d->moved, &cap_moved, d->n_moved + 1, sizeof(*d->moved));
            d->moved[d->n_moved++] = (struct ie_diff_pair){first_free, d->added[a]};
            continue;
        }
        if (lo < nk && keys[lo].h0 == probe.h0 && keys[lo].h1 == probe.h1) {
            ie_grow((void **)&d->copied, &cap_copied, d->n_copied + 1, sizeof(*d->copied));
            d->copied[d->n_copied++] = (struct ie_diff_pair){keys[lo].idx, d->added[a]};
        }
        d->added[kept++] = d->added[a];
    }
    d->n_added = kept;
    free(keys);
}

/* The old record new record i matches by path: the same path, or, when the roots differ, the
 * same path under the root (through rel_old, built by the caller). SIZE_MAX when none. */
static size_t match_by_path(const struct ie_diff_result *d, const struct ie_strmap *rel_old,
                            size_t new_rlen, size_t i)
{
    size_t j;
    if (!d->by_relative_path)
        return ie__slim_paths_find(d->old, d->new->recs[i].path);
    return ie_strmap_get(rel_old, rel_path(d->new, new_rlen, i), &j) ? j : SIZE_MAX;
}

void ie_diff_compute(const struct ie_slim_manifest *old, const struct ie_slim_manifest *new,
                     struct ie_diff_result *d)
{
    size_t cap_added = 0, cap_removed = 0, cap_changed = 0;
    size_t old_rlen = root_len(old), new_rlen = root_len(new);
    uint8_t *matched = ie_xcalloc(old->n ? old->n : 1, 1);
    struct ie_strmap rel_old;

    ie_diff_result_release(d);
    ie_strmap_init(&rel_old);
    d->old = old;
    d->new = new;
    d->by_relative_path =
        old_rlen && new_rlen &&
        (old_rlen != new_rlen || memcmp(old->input_dir, new->input_dir, old_rlen));
    if (d->by_relative_path)
        for (size_t j = 0; j < old->n; j++)
            ie_strmap_put(&rel_old, rel_path(old, old_rlen, j), j);
    for (size_t i = 0; i < new->n; i++) {
        size_t j = match_by_path(d, &rel_old, new_rlen, i);
        if (j == SIZE_MAX) {
            ie_grow((void **)&d->added, &cap_added, d->n_added + 1, sizeof(*d->added));
            d->added[d->n_added++] = i;
            continue;
        }
        matched[j] = 1;
        uint16_t mask = compare_records(old, j, new, i);
        if (!mask) {
            d->unchanged_count++;
            continue;
        }
        ie_grow((void **)&d->changed, &cap_changed, d->n_changed + 1, sizeof(*d->changed));
        d->changed[d->n_changed++] =
            (struct ie_diff_change){j, i, mask, phash_distance(&old->recs[j], &new->recs[i])};
    }
    ie_strmap_release(&rel_old);
    sort_by_path(d->added, d->n_added, sizeof(*d->added), index_path, new);
    match_by_content(d, matched);
    for (size_t j = 0; j < old->n; j++) {
        if (matched[j])
            continue;
        ie_grow((void **)&d->removed, &cap_removed, d->n_removed + 1, sizeof(*d->removed));
        d->removed[d->n_removed++] = j;
    }
    free(matched);
    sort_by_path(d->removed, d->n_removed, sizeof(*d->removed), index_path, old);
    sort_by_path(d->changed, d->n_changed, sizeof(*d->changed), change_path, old);

    d->summary.total_old = old->n;
    d->summary.total_new = new->n;
    d->summary.added_count = d->n_added;
    d->summary.removed_count = d->n_removed;
    d->summary.changed_count = d->n_changed;
    d->summary.moved_count = d->n_moved;
    d->summary.copied_count = d->n_copied;
    d->summary.corrupt_old = count_corrupt(old);
    d->summary.corrupt_new = count_corrupt(new);
    d->summary.duplicate_groups_old = ie_slim_manifest_exact_groups(old, NULL, NULL, NULL);
    d->summary.duplicate_groups_new = ie_slim_manifest_exact_groups(new, NULL, NULL, NULL);
}
