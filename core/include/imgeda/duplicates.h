/* Duplicate images (SPEC §4.1): exact-phash groups, byte-identical files, flat images and
 * near-duplicate groups found with exact recall by a multi-index hash index.
 * THREADS: pure functions over caller data; an index may be queried from several threads at
 * once once it is built (queries only read it). */
#ifndef IMGEDA_DUPLICATES_H
#define IMGEDA_DUPLICATES_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/record.h"

/* ---- The multi-index hash index ----
 *
 * Finds every pair of 256-bit hashes within a Hamming distance t (0..32) without comparing all
 * pairs. The 256 bits are cut into t+1 disjoint blocks of contiguous bits; by pigeonhole two
 * hashes within t differ in at most t blocks, so they agree exactly on at least one. Each block
 * is an array of (block key, hash index) sorted by key; candidates share a key in some block and
 * are verified with the full distance. A pair is reported only from the first block on which it
 * agrees, so each pair is reported exactly once. No bucket is ever skipped: recall is exact.
 *
 * Cost: memory 8 bytes per hash per block, i.e. 8*(t+1)*n (72 MB for n = 10^6 at t = 8), plus
 * the hashes, which the index borrows. Time is the sort plus the candidates: on random hashes a
 * block of w = 256/(t+1) bits makes ~n^2 / 2^(w+1) spurious candidates per block. Measured on one
 * core for n = 10^6 random hashes (bench/near_dups.c and by hand): 0.2 s at t = 8, 0.8 s at
 * t = 12, 4 s at t = 16, 26 s at t = 20; t = 32 (7-8 bit blocks) takes 8 s already at n = 10^5
 * and grows quadratically. Identical hashes should be merged before indexing: n copies of one
 * hash cost n^2/2 candidates. */

#define IE_HASH_INDEX_MAX_THRESHOLD 32
#define IE_DUP_DEFAULT_THRESHOLD    8

struct ie_hash_index {
    const struct ie_hash256 *hashes; /* borrowed: must outlive the index */
    size_t n;
    int threshold;
    int nblocks;                                           /* threshold + 1 */
    uint16_t block_start[IE_HASH_INDEX_MAX_THRESHOLD + 1]; /* first bit, 0 = MSB of w[0] */
    uint16_t block_width[IE_HASH_INDEX_MAX_THRESHOLD + 1];
    struct ie_hash256 block_mask[IE_HASH_INDEX_MAX_THRESHOLD + 1];
    uint64_t *entries; /* nblocks arrays of n: (key << 32) | hash index, sorted */
};

/* Called for each match; a non-zero return stops the walk and is returned by the walker. */
typedef int (*ie_hash_hit_fn)(void *ud, size_t idx, int distance);
typedef int (*ie_hash_pair_fn)(void *ud, size_t a, size_t b, int distance);

void ie_hash_index_init(struct ie_hash_index *ix);
/* Builds the index over hashes[0..n) for distances <= threshold. The hashes are borrowed.
 * Returns 0; IE_EINVAL when threshold is outside 0..32; IE_ELIMIT when n >= 2^32. ix must be
 * initialised (or released); on failure it stays empty. */
int ie_hash_index_build(struct ie_hash_index *ix, const struct ie_hash256 *hashes, size_t n,
                        int threshold, struct ie_err *err);
/* Frees the arrays and re-initialises ix. */
void ie_hash_index_release(struct ie_hash_index *ix);
/* Calls fn(ud, i, d) once for every indexed hash i with d = distance(q, hashes[i]) <= threshold.
 * Returns 0, or the first non-zero value fn returned. Order: by block, then by index. */
int ie_hash_index_query(const struct ie_hash_index *ix, const struct ie_hash256 *q,
                        ie_hash_hit_fn fn, void *ud);
/* Calls fn(ud, a, b, d) once for every pair a < b of indexed hashes within the threshold
 * (including identical hashes, d = 0). Returns 0, or the first non-zero value fn returned. */
int ie_hash_index_pairs(const struct ie_hash_index *ix, ie_hash_pair_fn fn, void *ud);

/* ---- Duplicates of one manifest ---- */

/* Flat-image rule: a record is flat when it is not corrupt and either it has pixel_stats and
 * all three channel standard deviations are <= max_std (on 0..255), or it has no pixel_stats and
 * its phash is the constant-image hash (8000...0, or 000...0 for black). */
#define IE_DUP_FLAT_MAX_STD 1.0

struct ie_dup_opts {
    int threshold;       /* near-duplicate Hamming distance, 0..32 (default 8) */
    double flat_max_std; /* default IE_DUP_FLAT_MAX_STD */
};
void ie_dup_opts_init(struct ie_dup_opts *o);

/* One group: indices into the records array given to ie_duplicates_find, sorted by path. */
struct ie_dup_group {
    const size_t *recs;
    size_t n;
    int max_distance; /* near groups: the largest distance between two members that are directly
                       * joined (distance <= threshold); so it is <= threshold. 0 elsewhere. */
};

/* Groups sorted by size (descending), then by first path. The members live in pool. */
struct ie_dup_list {
    struct ie_dup_group *groups;
    size_t n;
    size_t *pool;
};

struct ie_duplicates {
    int threshold;
    /* compat: non-corrupt records with identical phash (flat images included, so the gate's
     * max_duplicate_pct counts what imgeda counts). */
    struct ie_dup_list exact;
    /* beyond: records with identical content_hash (corrupt ones included: identical bytes are
     * identical files, whatever the decoder thought of them). */
    struct ie_dup_list byte_identical;
    /* connected components of "phash distance <= threshold" over non-corrupt, non-flat records;
     * identical hashes are at distance 0, so every non-flat exact group lies inside a near one. */
    struct ie_dup_list near;
    /* beyond: flat records (see above), sorted by path; never part of near groups. */
    size_t *flat;
    size_t n_flat;
};

void ie_duplicates_init(struct ie_duplicates *d);
void ie_duplicates_release(struct ie_duplicates *d);

/* True when r is flat under the rule above. */
bool ie_duplicates_is_flat(const struct ie_record *r, double max_std);

/* Finds all groups among recs[0..n) (e.g. struct ie_manifest's recs). opts may be NULL for the
 * defaults. out must be initialised; it is released first, and on failure left empty. Returns 0,
 * IE_EINVAL for a threshold outside 0..32, IE_ELIMIT for n >= 2^32. The result refers to recs by
 * index; recs must stay alive while the result is used. Memory is linear in n. */
int ie_duplicates_find(const struct ie_record *recs, size_t n, const struct ie_dup_opts *opts,
                       struct ie_duplicates *out, struct ie_err *err);
/* The same over a record source (imgeda/record.h), e.g. a lean manifest: the same result. */
int ie_duplicates_find_src(const struct ie_recsrc *s, const struct ie_dup_opts *opts,
                           struct ie_duplicates *out, struct ie_err *err);

/* The suggested keeper of group g: the member with the most pixels (width x height), then the
 * largest file, then the first in path order. Returns its position in g->recs (0 for an empty
 * group). recs must be the array the result was computed from. */
size_t ie_duplicates_keeper(const struct ie_record *recs, const struct ie_dup_group *g);
size_t ie_duplicates_keeper_src(const struct ie_recsrc *s, const struct ie_dup_group *g);

/* Records in exact groups beyond the first of each group: imgeda's duplicate count, the
 * numerator of the gate's max_duplicate_pct. */
size_t ie_duplicates_exact_extra(const struct ie_duplicates *d);

/* The SPEC §4.1 JSON object: {"exact": [[path...]...], "byte_identical": [[path...]...],
 * "near": [{"paths": [...], "max_distance": n}...], "flat": [path...]}. recs must be the array
 * the result was computed from. Returns a new cJSON tree owned by the caller (cJSON_Delete);
 * aborts on out-of-memory. */
cJSON *ie_duplicates_to_json(const struct ie_duplicates *d, const struct ie_record *recs);
cJSON *ie_duplicates_to_json_src(const struct ie_duplicates *d, const struct ie_recsrc *recs);

/* ---- Leakage across splits (SPEC §4.3, core/leakage.c) ---- */

/* One named split (a manifest's records). */
struct ie_leak_split {
    const char *name;
    const struct ie_record *recs;
    size_t n;
};

struct ie_leak_opts {
    int threshold;     /* 0..32, default 8; 0 = exact matches only */
    bool exclude_flat; /* beyond, default false (compat): skip flat images, whose phash says
                        * only "constant colour", so any two of them "match" */
};
void ie_leak_opts_init(struct ie_leak_opts *o);

/* One leaked image. Strings are borrowed from the split records. */
struct ie_leak_item {
    const char *path;
    struct ie_hash256 phash;
    size_t split;     /* the split (index into splits) holding this record */
    size_t *found_in; /* split indices sorted by split name: this record's split and every
                       * split holding an image that matches it (exactly or within threshold) */
    size_t n_found_in;
    bool exact; /* match_type: "exact" when another split holds the identical phash */
    /* near items: the closest image in another split (ties: split name, then path) */
    const char *matched_path;
    int distance; /* near items: distance to matched_path; 0 for exact items */
};

/* Items sorted by path, one per path. */
struct ie_leakage {
    struct ie_leak_item *items;
    size_t n;
    size_t *pool; /* owns every found_in */
};

void ie_leakage_init(struct ie_leakage *l);
void ie_leakage_release(struct ie_leakage *l);

/* Finds every image whose phash matches (equal, or within opts->threshold) an image of another
 * split. Records without a phash are ignored (corrupt records normally have none; like imgeda,
 * a corrupt record that does carry a phash takes part). Fewer than two splits give no leakage.
 * opts may be NULL. out must be initialised; it is released first. Returns 0, IE_EINVAL for a
 * threshold outside 0..32, a NULL or repeated split name; IE_ELIMIT beyond 2^32 records. */
int ie_leakage_find(const struct ie_leak_split *splits, size_t nsplits,
                    const struct ie_leak_opts *opts, struct ie_leakage *out, struct ie_err *err);

/* imgeda's JSON list: [{"path", "phash", "found_in": [names], "match_type": "exact"|"near"}
 * ...], near items adding "matched_path" (as imgeda) and "distance" (beyond). splits must be the
 * array the result was computed from. Caller owns the tree; aborts on out-of-memory. */
cJSON *ie_leakage_to_json(const struct ie_leakage *l, const struct ie_leak_split *splits);

#endif
