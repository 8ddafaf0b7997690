/* Manifest comparison (SPEC §4.4, compat with imgeda's core/diff.py) over slim manifests
 * (imgeda/slim.h).
 *
 * Typical use (see cli/cmd_diff.c):
 *   struct ie_slim_manifest a, b;  struct ie_diff_result d;
 *   ie_slim_manifest_init(&a); ie_slim_manifest_init(&b); ie_diff_result_init(&d);
 *   ie_slim_manifest_load(old_path, &a, &err) ... ie_slim_manifest_load(new_path, &b, &err)
 *   ie_diff_compute(&a, &b, &d); ie_diff_write_json(&d, stdout, true, &err);
 *   ie_diff_result_release(&d); ie_slim_manifest_release(&b); ie_slim_manifest_release(&a);
 *
 * THREADS: plain data; a result belongs to one thread at a time, but once
 * built it may be read from several threads at once. */
#ifndef IMGEDA_DIFF_H
#define IMGEDA_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imgeda/err.h"
#include "imgeda/slim.h"

/* ---- Diff ---- */

struct ie_diff_summary {
    size_t total_old, total_new;
    size_t added_count, removed_count, changed_count;
    size_t corrupt_old, corrupt_new;
    size_t duplicate_groups_old, duplicate_groups_new;
    size_t moved_count, copied_count; /* beyond imgeda: see ie_diff_compute */
};

/* A path present in both manifests whose compared fields differ. */
struct ie_diff_change {
    size_t old_idx, new_idx; /* records in old and new */
    uint16_t fields;         /* bit (1 << enum ie_slim_field) per differing field */
    int phash_distance;      /* Hamming distance of the phashes, -1 unless both have one */
};

/* A file of new that matched no old file by its path but has the bytes (content hash) of an old
 * file: moved (the old file is gone: it is in neither added nor removed) or copied (the old
 * file is still there: the new one stays in added, as imgeda has it). */
struct ie_diff_pair {
    size_t old_idx, new_idx;
};

/* Indices into the manifests the result was computed from, which it borrows: they must
 * outlive the result. added/removed/changed are sorted by path (bytewise, i.e. by code point
 * like Python's sorted()). */
struct ie_diff_result {
    const struct ie_slim_manifest *old, *new;
    size_t *added; /* indices into new */
    size_t n_added;
    size_t *removed; /* indices into old */
    size_t n_removed;
    struct ie_diff_change *changed;
    size_t n_changed;
    struct ie_diff_pair *moved; /* sorted by new path */
    size_t n_moved;
    struct ie_diff_pair *copied; /* sorted by new path; each new_idx is also in added */
    size_t n_copied;
    bool by_relative_path; /* the roots differed: files were matched by path under their root */
    size_t unchanged_count;
    struct ie_diff_summary summary;
};

void ie_diff_result_init(struct ie_diff_result *d);
void ie_diff_result_release(struct ie_diff_result *d);

/* Compares old and new as imgeda's diff_manifests does, by path, with two steps beyond it:
 * - When both headers name a root (input_dir) and the roots differ (a copy of a folder, a
 *   dataset moved elsewhere), files are matched by their path relative to their root, so the
 *   same file under either root is unchanged or changed, not removed and added. With one root,
 *   or a header without one, the whole path is the key, as in imgeda.
 * - A new file left unmatched whose content hash equals an old file's that is also unmatched
 *   is moved (renamed, or in a renamed folder): in `moved`, in neither added nor removed. One
 *   whose bytes are those of an old file still matched is listed in `copied` and stays added.
 *   Each old file is the source of at most one move; candidates go in path order.
 * A field differs when Python's `!=` would say so (null equals only null, 1 == 1.0 == true,
 * strings bytewise). Totals and counts are over one record per path (imgeda counts superseded
 * records too). d must be initialised or released. Never fails. */
void ie_diff_compute(const struct ie_slim_manifest *old, const struct ie_slim_manifest *new,
                     struct ie_diff_result *d);

/* Writes imgeda's DiffResult.to_dict() as JSON: {added, removed, changed: [{path, fields:
 * {name: {old, new}}}], unchanged_count, summary}. pretty: indented by 2 like imgeda's -o file
 * (orjson OPT_INDENT_2), else one line. Streams, so 10^6 paths need no extra memory. Returns 0
 * or IE_EIO. */
int ie_diff_write_json(const struct ie_diff_result *d, FILE *f, bool pretty, struct ie_err *err);

/* The same JSON as a malloc'd string (for HTTP bodies). */
char *ie_diff_to_json(const struct ie_diff_result *d, bool pretty);

/* imgeda's JSON with what it cannot say, in one of two shapes:
 * - extended false (what ie_diff_write_json writes): imgeda's bytes exactly, plus, only when
 *   files moved, "moved": [{"old_path", "new_path"}] after "changed" and "moved_count" in the
 *   summary (so no file silently leaves added and removed);
 * - extended true (the daemon's, `imgeda diff --extended`): always "moved", "copied": [{"path",
 *   "from"}], "match": "path" | "relative_path", summary "moved_count" and "copied_count", and
 *   in each changed entry "new_path" (the new file's path) and "phash_distance" (or null).
 * Returns 0 or IE_EIO. */
int ie_diff_write_json_ext(const struct ie_diff_result *d, FILE *f, bool pretty, bool extended,
                           struct ie_err *err);
char *ie_diff_to_json_ext(const struct ie_diff_result *d, bool pretty, bool extended);

#endif
