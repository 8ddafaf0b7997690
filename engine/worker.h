/* Isolated analysis: image files analysed in worker processes, so that a decoder that crashes,
 * spins or runs away inside a library costs one image (an error record) instead of the scan or
 * the daemon. A worker is this same executable started with `--analysis-worker FD` (both
 * imgeda and imgedad call eng_worker_main for it first thing in main), talking over a
 * socketpair: the scan options once, then one request per file (its path, or for an object of
 * a bucket its fetched bytes), one framed record back.
 * THREADS: a worker belongs to one thread at a time; spawning and killing are thread-safe. */
#ifndef IMGEDA_ENGINE_WORKER_H
#define IMGEDA_ENGINE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "imgeda/discover.h"
#include "imgeda/err.h"
#include "imgeda/options.h"

#define ENG_WORKER_FLAG "--analysis-worker"

struct eng_worker {
    pid_t pid; /* 0: not running */
    int fd;
    size_t analysed; /* files since start: workers are recycled to bound their memory */
};

/* Outcome of one analysis. */
enum eng_worker_result {
    ENG_WORKER_OK,        /* *line, *flags, *bytes set */
    ENG_WORKER_TIMED_OUT, /* the worker was killed; *line holds an error record */
    ENG_WORKER_CRASHED,   /* the worker died; *line holds an error record */
    ENG_WORKER_CANCELLED, /* *cancel became non-zero; the worker was killed; no line */
    ENG_WORKER_FAILED,    /* no worker could be started or fed: err says why; no line */
};

/* Analyses one file in w, starting a worker first if none runs (o is sent to it then): a file
 * on disk, or for a listed file (f->listed: an object of a bucket) the len bytes at data that
 * the caller fetched, which go to the worker over the socket (at most 4 GiB). Waits at most
 * o->image_timeout_s (0: no limit), watching *cancel (may be NULL) every 100 ms. A worker that
 * timed out or died is reaped; the next call starts a new one. */
enum eng_worker_result eng_worker_analyze(struct eng_worker *w, const struct ie_scan_options *o,
                                          const struct ie_found_file *f, const void *data,
                                          size_t len, const atomic_int *cancel, char **line,
                                          uint8_t *flags, int64_t *bytes, struct ie_err *err);

/* Stops w: closes its socket (it exits on EOF), waits briefly, then kills it. */
void eng_worker_stop(struct eng_worker *w);

/* The worker process's main: argv = {exe, ENG_WORKER_FLAG, FD}. Returns the exit code. */
int eng_worker_main(int argc, char **argv);

#endif
