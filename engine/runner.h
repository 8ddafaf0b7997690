/* Runs a core scan (imgeda/scan.h) on the libuv thread pool: batches of files are analysed on
 * pool threads and committed on the loop thread. Used by the CLI and the daemon.
 * THREADS: start/free on the loop thread; eng_runner_cancel from any thread. */
#ifndef IMGEDA_ENGINE_RUNNER_H
#define IMGEDA_ENGINE_RUNNER_H

#include <stdbool.h>
#include <uv.h>

#include "imgeda/err.h"
#include "imgeda/scan.h"

struct eng_runner;
struct eng_s3_source; /* engine/s3_scan.h */

/* Plans a scan of root, a folder (ie_scan_open; *src NULL) or an s3:// URL (eng_s3_scan_open;
 * *src the bucket's source, freed by the caller with eng_s3_source_free after the scan). */
int eng_runner_open(const char *root, const char *manifest_path, const struct ie_scan_options *o,
                    struct ie_scan **scan, struct eng_s3_source **src, struct ie_err *err);

struct eng_runner_callbacks {
    /* After commits, at most every progress_interval seconds and at every durable checkpoint
     * (checkpointed = true: the counts up to p->durable are on disk). Loop thread. */
    void (*on_progress)(const struct ie_scan_progress *p, bool checkpointed, void *ud);
    /* Once, when all work has stopped and the manifest is final (status 0), checkpointed after
     * a cancel (IE_ECANCELED) or failed (other codes, err filled). Loop thread. */
    void (*on_done)(int status, const struct ie_err *err, void *ud);
    void *ud;
    double progress_interval;
};

/* Starts analysing on loop with at most `workers` batches in flight; src (NULL for files on
 * disk) is the bucket eng_runner_open planned from. The scan and src stay owned by the caller
 * and must outlive the runner. */
int eng_runner_start(uv_loop_t *loop, struct ie_scan *scan, const struct eng_s3_source *src,
                     int workers, const struct eng_runner_callbacks *cb, struct eng_runner **out,
                     struct ie_err *err);
/* Asks the runner to stop: files not yet started stay to-do; work done is kept. Thread-safe. */
void eng_runner_cancel(struct eng_runner *r);
/* Frees a runner whose on_done has been called. */
void eng_runner_free(struct eng_runner *r);

/* Sets the libuv pool size (UV_THREADPOOL_SIZE) before the pool is first used. */
void eng_runner_set_pool_size(int threads);

/* Runs a scan to the end on a private loop; SIGINT/SIGTERM cancel it (progress is kept).
 * Returns 0 when complete, IE_ECANCELED when interrupted, or an error code. */
int eng_runner_run_blocking(struct ie_scan *scan, const struct eng_s3_source *src, int workers,
                            const struct eng_runner_callbacks *cb, struct ie_err *err);

#endif
