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

void ie_diff_compute(const struct ie_slim_manifest *old, const struct ie_slim_manifest *new,
                     struct ie_diff_result *d)
{
    size_t cap_added = 0, cap_removed = 0, cap_changed = 0;
    uint8_t *matched = ie_xcalloc(old->n ? old->n : 1, 1);

    ie_diff_result_release(d);
    d->old = old;
    d->new = new;
    for (size_t i = 0; i < new->n; i++) {
        size_t j = ie__slim_paths_find(old, new->recs[i].path);
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
        d->changed[d->n_changed++] = (struct ie_diff_change){j, i, mask};
    }
    for (size_t j = 0; j < old->n; j++) {
        if (matched[j])
            continue;
        ie_grow((void **)&d->removed, &cap_removed, d->n_removed + 1, sizeof(*d->removed));
        d->removed[d->n_removed++] = j;
    }
    free(matched);
    sort_by_path(d->added, d->n_added, sizeof(*d->added), index_path, new);
    sort_by_path(d->removed, d->n_removed, sizeof(*d->removed), index_path, old);
    sort_by_path(d->changed, d->n_changed, sizeof(*d->changed), change_path, old);

    d->summary.total_old = old->n;
    d->summary.total_new = new->n;
    d->summary.added_count = d->n_added;
    d->summary.removed_count = d->n_removed;
    d->summary.changed_count = d->n_changed;
    d->summary.corrupt_old = count_corrupt(old);
    d->summary.corrupt_new = count_corrupt(new);
    d->summary.duplicate_groups_old = ie_slim_manifest_exact_groups(old, NULL, NULL, NULL);
    d->summary.duplicate_groups_new = ie_slim_manifest_exact_groups(new, NULL, NULL, NULL);
}
