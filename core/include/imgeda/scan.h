/* The scan engine shared by the CLI and the daemon: plan (discover + resume), batches of
 * per-file analysis, durable checkpoints, the final path-ordered rewrite, and progress.
 * It owns no threads: a driver (engine/runner.c runs it on a libuv thread pool) calls
 *   ie_scan_open -> { ie_scan_next_batch -> ie_scan_batch_run (any thread)
 *                     -> ie_scan_batch_commit (driver thread) }* -> ie_scan_finish.
 * THREADS: everything but ie_scan_batch_run must be called from one thread (the driver's);
 * ie_scan_batch_run may run on any thread, concurrently with other batches. */
#ifndef IMGEDA_SCAN_H
#define IMGEDA_SCAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/analyze.h"
#include "imgeda/discover.h"
#include "imgeda/err.h"

struct ie_scan;

struct ie_scan_progress {
    size_t total;     /* files discovered */
    size_t processed; /* files with a record (resumed + analysed), maybe not yet durable */
    size_t durable;   /* of those, records made durable by the last checkpoint */
    size_t resumed;   /* records kept from an earlier run */
    size_t analysed;  /* files analysed in this run */
    size_t corrupt, dark, overexposed, blurry, artifact; /* over all records so far */
    int64_t bytes;                                       /* bytes read in this run */
    double elapsed_s;
    double rate_per_s; /* files analysed per second in this run */
    double eta_s;      /* -1 when unknown */
};

/* One unit of pool work. */
struct ie_scan_batch {
    size_t n;
    size_t *files;  /* indexes into the scan's file list */
    char **lines;   /* JSON line per file, NULL if cancelled before analysis */
    uint8_t *flags; /* summary flags per file */
    int64_t bytes;
};

/* Plans a scan of root into manifest_path. With o->resume (and not o->force) an existing
 * manifest is reused: records whose (path, size, mtime) and analysis settings still match are
 * kept, everything else is (re)analysed. A file at manifest_path that is not a manifest is
 * refused unless o->force. Discovery warnings and resume decisions are kept as notes. */
int ie_scan_open(const char *root, const char *manifest_path, const struct ie_scan_options *o,
                 struct ie_scan **out, struct ie_err *err);

/* Plans a scan of files another source listed (an S3 bucket: engine/s3_scan.c), as
 * ie_scan_open does for a folder: files (taken over, left empty; fs_path the key, listed set,
 * size and mtime from the listing) must already be filtered by extension and shard; they are
 * sorted here. input_dir is the header's input_dir ("s3://BUCKET/PREFIX"). Resume compares
 * (path, size, mtime) with the listing; no file is opened. */
int ie_scan_open_listed(const char *input_dir, struct ie_file_list *files,
                        const char *manifest_path, const struct ie_scan_options *o,
                        struct ie_scan **out, struct ie_err *err);

/* Human-readable notes from planning (warnings, resume decisions); valid until ie_scan_free. */
size_t ie_scan_notes(const struct ie_scan *s, const char *const **notes);

/* Next batch of at most max files still to analyse, or NULL when all are handed out. */
struct ie_scan_batch *ie_scan_next_batch(struct ie_scan *s, size_t max);

/* Analyses the batch's files (thread-safe). Stops early when *cancel becomes non-zero. */
void ie_scan_batch_run(const struct ie_scan *s, struct ie_scan_batch *b, const atomic_int *cancel);

/* Appends the batch's records and frees the batch; every checkpoint_every records the manifest
 * is made durable and *checkpointed is set. Returns 0 or an I/O error (the scan must stop). */
int ie_scan_batch_commit(struct ie_scan *s, struct ie_scan_batch *b, bool *checkpointed,
                         struct ie_err *err);

/* What ie_scan_batch_run does for one file: its JSON line (malloc'd), summary flags and the
 * bytes read. For drivers that analyse elsewhere (engine/worker.c: isolated processes).
 * Thread-safe. */
void ie_scan_analyze_one(const struct ie_scan_options *o, const char *fs_path,
                         const char *record_path, char **line, uint8_t *flags, int64_t *bytes);
/* The same for a file whose analysis failed outside the analyser (see ie_analyze_failed; for a
 * listed file, ie_analyze_fetch_failed). */
void ie_scan_failed_one(const struct ie_scan_options *o, const struct ie_found_file *f,
                        const char *why, char **line, uint8_t *flags);
/* The same for a listed file whose bytes the driver fetched into buf (ie_analyze_fetched); a
 * listed file in ie_scan_batch_run, which never opens keys as paths, gets an error record.
 * Thread-safe. */
void ie_scan_analyze_bytes(const struct ie_scan_options *o, const struct ie_found_file *f,
                           const void *buf, size_t len, char **line, uint8_t *flags,
                           int64_t *bytes);
/* The i-th file of the plan (a batch's files[] index it). Valid until ie_scan_free. */
const struct ie_found_file *ie_scan_file(const struct ie_scan *s, size_t i);

/* Frees a batch that will not be committed. */
void ie_scan_batch_free(struct ie_scan_batch *b);

/* Makes everything committed so far durable. */
int ie_scan_checkpoint(struct ie_scan *s, struct ie_err *err);

/* Ends the scan. completed=true (every file analysed) rewrites the manifest with exactly one
 * record per existing file in path order and the final header; false only checkpoints. */
int ie_scan_finish(struct ie_scan *s, bool completed, struct ie_err *err);

void ie_scan_get_progress(const struct ie_scan *s, struct ie_scan_progress *p);
const struct ie_scan_options *ie_scan_options(const struct ie_scan *s);
const char *ie_scan_manifest_path(const struct ie_scan *s);
/* Files still to analyse (not yet handed out or committed). */
size_t ie_scan_remaining(const struct ie_scan *s);
void ie_scan_free(struct ie_scan *s);

#endif
