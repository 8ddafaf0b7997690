/* Merging manifests (imgeda merge): the parts of one root scanned as shards (scan --shard K/N)
 * or any manifests made with the same analysis settings, into one canonical manifest: the
 * header a single scan of the whole root would write, one record per path, in path order.
 *
 * What is refused, with a message naming the part (nothing is written then):
 * - a part that cannot be read, has no manifest header or holds a line that is not a JSON
 *   record (corrupt or cut short);
 * - a part whose records are fewer than its header's total_files (its scan did not finish);
 * - parts made with different analysis settings or extensions (the key and both values are
 *   named): shards of different file sets do not add up to one scan;
 * - shards that do not fit together: a shard mixed with a whole manifest, shards of different
 *   counts, a shard given twice, a shard missing;
 * - one path in two parts with records that differ in any byte. Byte-identical records (the
 *   same part given twice, a copy) are written once.
 * Within a part, a later record for a path replaces an earlier one (SPEC §2).
 *
 * The merged header: the first part's settings without "shard", the parts' input_dir (their
 * longest common directory when they differ), the earliest created_at, total_files = the
 * records written. Memory stays bounded: parts in path order (every finished scan) are merged
 * k-way as they stream; a part that is not is first copied sorted into a temp file beside the
 * output, one at a time. The output is written to OUT.tmp, synced and renamed.
 * THREADS: no shared state. */
#ifndef IMGEDA_MERGE_H
#define IMGEDA_MERGE_H

#include <stddef.h>

#include "imgeda/err.h"

struct ie_merge_stats {
    size_t parts;        /* manifests merged */
    size_t records;      /* records written */
    size_t duplicates;   /* byte-identical records of one path in two parts, written once */
    size_t sorted_parts; /* parts that were not in path order and were sorted first */
};

/* Merges the n manifests parts[] into out. Returns 0 (stats filled when not NULL), or IE_EIO,
 * IE_ENOENT or IE_EINVAL with a one-line message; on failure out is left as it was. */
int ie_manifest_merge(const char *const *parts, size_t n, const char *out,
                      struct ie_merge_stats *stats, struct ie_err *err);

#endif
