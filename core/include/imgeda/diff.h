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
};

/* A path present in both manifests whose compared fields differ. */
struct ie_diff_change {
    size_t old_idx, new_idx; /* records in old and new */
    uint16_t fields;         /* bit (1 << enum ie_slim_field) per differing field */
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
    size_t unchanged_count;
    struct ie_diff_summary summary;
};

void ie_diff_result_init(struct ie_diff_result *d);
void ie_diff_result_release(struct ie_diff_result *d);

/* Compares old and new by path, as imgeda's diff_manifests does: a field differs when Python's
 * `!=` would say so (null equals only null, 1 == 1.0 == true, strings bytewise). Totals and
 * counts are over one record per path (imgeda counts superseded records too). d must be
 * initialised or released. Never fails. */
void ie_diff_compute(const struct ie_slim_manifest *old, const struct ie_slim_manifest *new,
                     struct ie_diff_result *d);

/* Writes imgeda's DiffResult.to_dict() as JSON: {added, removed, changed: [{path, fields:
 * {name: {old, new}}}], unchanged_count, summary}. pretty: indented by 2 like imgeda's -o file
 * (orjson OPT_INDENT_2), else one line. Streams, so 10^6 paths need no extra memory. Returns 0
 * or IE_EIO. */
int ie_diff_write_json(const struct ie_diff_result *d, FILE *f, bool pretty, struct ie_err *err);

/* The same JSON as a malloc'd string (for HTTP bodies). */
char *ie_diff_to_json(const struct ie_diff_result *d, bool pretty);

#endif
