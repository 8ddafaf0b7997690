/* A set of paths held as 128-bit hashes: the exports' index of distinct paths (see internal.h).
 * DESIGN: an export keeps one entry per distinct path of a manifest that may hold 10^7 of them;
 * the paths themselves (tens of bytes each, plus a malloc header and a string map's node) were
 * most of an export's memory. XXH3-128 of the bytes stands for the path: two different paths
 * share a hash with a chance of about n^2 / 2^129 (under 10^-24 for 10^7 paths), far below the
 * chance of a bit flipping in memory, so equal hashes are taken as equal paths. An entry costs
 * 16 bytes and a slot of 4 (open addressing, at most half full). */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "imgeda/util.h"
#include "internal.h"

void ie__path_index_init(struct ie__path_index *ix)
{
    memset(ix, 0, sizeof(*ix));
}

void ie__path_index_release(struct ie__path_index *ix)
{
    free(ix->keys);
    free(ix->slots);
    memset(ix, 0, sizeof(*ix));
}

static struct ie__path_key key_of(const char *path)
{
    XXH128_hash_t h = XXH3_128bits(path, strlen(path));
    return (struct ie__path_key){h.low64, h.high64};
}

static bool key_eq(struct ie__path_key a, struct ie__path_key b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* The slot of k: where it is, or the empty slot where it would go. */
static size_t slot_of(const struct ie__path_index *ix, struct ie__path_key k)
{
    size_t mask = ix->nslots - 1, i = (size_t)k.lo & mask;
    while (ix->slots[i] && !key_eq(ix->keys[ix->slots[i] - 1], k))
        i = (i + 1) & mask;
    return i;
}

static void grow(struct ie__path_index *ix)
{
    size_t n = ix->nslots ? ix->nslots * 2 : 1024;
    free(ix->slots);
    ix->slots = ie_xcalloc(n, sizeof(*ix->slots));
    ix->nslots = n;
    for (size_t e = 0; e < ix->n; e++)
        ix->slots[slot_of(ix, ix->keys[e])] = (uint32_t)(e + 1);
}

bool ie__path_index_add(struct ie__path_index *ix, const char *path, size_t *entry)
{
    struct ie__path_key k = key_of(path);
    if (2 * (ix->n + 1) > ix->nslots)
        grow(ix);
    size_t i = slot_of(ix, k);
    if (ix->slots[i]) {
        *entry = ix->slots[i] - 1;
        return true;
    }
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 1024;
        ix->keys = ie_xrealloc(ix->keys, ix->cap * sizeof(*ix->keys));
    }
    ix->keys[ix->n] = k;
    ix->slots[i] = (uint32_t)(ix->n + 1);
    *entry = ix->n++;
    return false;
}

bool ie__path_index_is(const struct ie__path_index *ix, size_t entry, const char *path)
{
    return entry < ix->n && key_eq(ix->keys[entry], key_of(path));
}
