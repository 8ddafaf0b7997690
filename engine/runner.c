/* Scan batches on the libuv thread pool (see runner.h).
 * DESIGN: at most `workers` work items are in flight; each carries one small batch so that the
 * pool stays busy and a cancel takes effect within one file per worker. Commits (manifest
 * appends, checkpoints) happen only in after_work callbacks, i.e. on the loop thread, so the
 * manifest writer has a single owner. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "imgeda/util.h"
#include "engine/runner.h"
#include "engine/s3_scan.h"
#include "engine/worker.h"

struct work_item {
    uv_work_t req;
    struct eng_runner *r;
    struct ie_scan_batch *batch;
    int failed; /* isolated analysis could not run: err says why */
    struct ie_err err;
};

struct eng_runner {
    uv_loop_t *loop;
    struct ie_scan *scan;
    const struct eng_s3_source *src; /* NULL: files on disk */
    int workers;
    int in_flight;
    atomic_int cancel;
    bool failed, done;
    struct ie_err err;
    struct eng_runner_callbacks cb;
    double last_progress;
    /* Isolated analysis (o->isolate or an image timeout): one worker process per slot, taken
     * by a pool thread for the length of a batch. */
    bool isolated;
    pthread_mutex_t slots_lock;
    struct eng_worker *slots;
    bool *slot_busy;
};

void eng_runner_set_pool_size(int threads)
{
    char v[16];
    if (threads < 1)
        threads = 1;
    if (threads > 1024)
        threads = 1024;
    snprintf(v, sizeof(v), "%d", threads);
    setenv("UV_THREADPOOL_SIZE", v, 1);
}

static struct eng_worker *slot_take(struct eng_runner *r)
{
    struct eng_worker *got = NULL;
    pthread_mutex_lock(&r->slots_lock);
    for (int i = 0; i < r->workers && !got; i++)
        if (!r->slot_busy[i]) {
            r->slot_busy[i] = true;
            got = &r->slots[i];
        }
    pthread_mutex_unlock(&r->slots_lock);
    return got; /* never NULL: at most `workers` batches are in flight */
}

static void slot_give(struct eng_runner *r, struct eng_worker *wk)
{
    pthread_mutex_lock(&r->slots_lock);
    r->slot_busy[wk - r->slots] = false;
    pthread_mutex_unlock(&r->slots_lock);
}

/* The batch's files analysed one by one in the worker process wk (engine/worker.c). */
static void run_isolated(struct work_item *w, struct eng_worker *wk)
{
    struct eng_runner *r = w->r;
    const struct ie_scan_options *o = ie_scan_options(r->scan);
    struct ie_scan_batch *b = w->batch;
    for (size_t k = 0; k < b->n && !atomic_load(&r->cancel); k++) {
        int64_t bytes = 0;
        enum eng_worker_result res =
            eng_worker_analyze(wk, o, ie_scan_file(r->scan, b->files[k]), NULL, 0, &r->cancel,
                               &b->lines[k], &b->flags[k], &bytes, &w->err);
        if (res == ENG_WORKER_FAILED) {
            w->failed = 1;
            break;
        }
        if (res == ENG_WORKER_CANCELLED)
            break;
        b->bytes += bytes;
    }
}

/* One batch on a pool thread: files on disk or objects of a bucket (engine/s3_scan.c),
 * analysed here or in a worker process. */
static void work_cb(uv_work_t *req)
{
    struct work_item *w = req->data;
    struct eng_runner *r = w->r;
    struct eng_worker *wk = r->isolated ? slot_take(r) : NULL;
    if (r->src) {
        int rc = eng_s3_scan_batch_run(r->src, r->scan, w->batch, wk, &r->cancel, &w->err);
        w->failed = rc < 0 && rc != IE_ECANCELED;
    } else if (wk) {
        run_isolated(w, wk);
    } else {
        ie_scan_batch_run(r->scan, w->batch, &r->cancel);
    }
    if (wk)
        slot_give(r, wk);
    ie_thread_done();
}

static void report(struct eng_runner *r, bool checkpointed)
{
    struct ie_scan_progress p;
    double now = ie_mono_seconds();
    if (!r->cb.on_progress)
        return;
    if (!checkpointed && now - r->last_progress < r->cb.progress_interval)
        return;
    r->last_progress = now;
    ie_scan_get_progress(r->scan, &p);
    r->cb.on_progress(&p, checkpointed, r->cb.ud);
}

static void after_work_cb(uv_work_t *req, int status);

static size_t batch_size(const struct eng_runner *r)
{
    size_t left = ie_scan_remaining(r->scan);
    size_t b = left / ((size_t)r->workers * 8 + 1);
    return b < 1 ? 1 : b > 16 ? 16 : b;
}

static void finish(struct eng_runner *r)
{
    int status;
    bool cancelled = atomic_load(&r->cancel) != 0;
    r->done = true;
    if (r->failed) {
        ie_scan_finish(r->scan, false, NULL);
        status = r->err.code ? r->err.code : IE_EIO;
    } else if (cancelled || ie_scan_remaining(r->scan) > 0) {
        status = ie_scan_finish(r->scan, false, &r->err);
        if (status == 0)
            status = ie_err_set(&r->err, IE_ECANCELED, "scan cancelled; progress saved");
    } else {
        status = ie_scan_finish(r->scan, true, &r->err);
    }
    report(r, true);
    if (r->cb.on_done)
        r->cb.on_done(status, &r->err, r->cb.ud);
}

static void fill(struct eng_runner *r)
{
    while (!r->failed && !atomic_load(&r->cancel) && r->in_flight < r->workers) {
        struct ie_scan_batch *b = ie_scan_next_batch(r->scan, batch_size(r));
        if (!b)
            break;
        struct work_item *w = ie_xcalloc(1, sizeof(*w));
        w->r = r;
        w->batch = b;
        w->req.data = w;
        if (uv_queue_work(r->loop, &w->req, work_cb, after_work_cb) != 0) {
            ie_err_set(&r->err, IE_EIO, "cannot queue work on the thread pool");
            r->failed = true;
            ie_scan_batch_free(b);
            free(w);
            break;
        }
        r->in_flight++;
    }
    if (r->in_flight == 0 && !r->done)
        finish(r);
}

static void after_work_cb(uv_work_t *req, int status)
{
    struct work_item *w = req->data;
    struct eng_runner *r = w->r;
    bool checkpointed = false;
    (void)status; /* UV_ECANCELED cannot happen: we never uv_cancel queued work */
    r->in_flight--;
    if (w->failed && !r->failed) {
        r->err = w->err;
        r->failed = true;
        atomic_store(&r->cancel, 1);
    }
    if (!r->failed) {
        if (ie_scan_batch_commit(r->scan, w->batch, &checkpointed, &r->err) < 0) {
            r->failed = true;
            atomic_store(&r->cancel, 1);
        }
    } else {
        ie_scan_batch_free(w->batch);
    }
    free(w);
    if (!r->failed)
        report(r, checkpointed);
    fill(r);
}

int eng_runner_start(uv_loop_t *loop, struct ie_scan *scan, const struct eng_s3_source *src,
                     int workers, const struct eng_runner_callbacks *cb, struct eng_runner **out,
                     struct ie_err *err)
{
    if (workers < 1)
        return ie_err_set(err, IE_EINVAL, "workers must be at least 1");
    struct eng_runner *r = ie_xcalloc(1, sizeof(*r));
    r->loop = loop;
    r->scan = scan;
    r->src = src;
    r->workers = workers;
    atomic_init(&r->cancel, 0);
    const struct ie_scan_options *o = ie_scan_options(scan);
    r->isolated = ie_scan_options_isolated(o);
    if (r->isolated) {
        pthread_mutex_init(&r->slots_lock, NULL);
        r->slots = ie_xcalloc((size_t)workers, sizeof(*r->slots));
        r->slot_busy = ie_xcalloc((size_t)workers, sizeof(*r->slot_busy));
    }
    if (cb)
        r->cb = *cb;
    *out = r;
    fill(r);
    return 0;
}

void eng_runner_cancel(struct eng_runner *r)
{
    atomic_store(&r->cancel, 1);
}

void eng_runner_free(struct eng_runner *r)
{
    if (!r)
        return;
    if (r->isolated) {
        for (int i = 0; i < r->workers; i++)
            eng_worker_stop(&r->slots[i]);
        free(r->slots);
        free(r->slot_busy);
        pthread_mutex_destroy(&r->slots_lock);
    }
    free(r);
}

/* ---- blocking mode for the CLI ---- */

struct blocking {
    struct eng_runner *r;
    uv_signal_t sigint, sigterm;
    int status;
    struct ie_err err;
    struct eng_runner_callbacks user;
};

static void on_signal(uv_signal_t *h, int signum)
{
    struct blocking *b = h->data;
    (void)signum;
    if (b->r)
        eng_runner_cancel(b->r);
}

static void blocking_progress(const struct ie_scan_progress *p, bool checkpointed, void *ud)
{
    struct blocking *b = ud;
    if (b->user.on_progress)
        b->user.on_progress(p, checkpointed, b->user.ud);
}

static void blocking_done(int status, const struct ie_err *err, void *ud)
{
    struct blocking *b = ud;
    b->status = status;
    if (err)
        b->err = *err;
    uv_close((uv_handle_t *)&b->sigint, NULL);
    uv_close((uv_handle_t *)&b->sigterm, NULL);
    if (b->user.on_done)
        b->user.on_done(status, err, b->user.ud);
}

int eng_runner_run_blocking(struct ie_scan *scan, const struct eng_s3_source *src, int workers,
                            const struct eng_runner_callbacks *cb, struct ie_err *err)
{
    uv_loop_t loop;
    struct blocking b;
    struct eng_runner_callbacks mine;
    int rc;

    memset(&b, 0, sizeof(b));
    if (cb)
        b.user = *cb;
    mine.on_progress = blocking_progress;
    mine.on_done = blocking_done;
    mine.ud = &b;
    mine.progress_interval = b.user.progress_interval;
    if ((rc = uv_loop_init(&loop)) != 0)
        return ie_err_set(err, IE_EIO, "cannot start event loop: %s", uv_strerror(rc));
    uv_signal_init(&loop, &b.sigint);
    uv_signal_init(&loop, &b.sigterm);
    b.sigint.data = b.sigterm.data = &b;
    uv_signal_start(&b.sigint, on_signal, SIGINT);
    uv_signal_start(&b.sigterm, on_signal, SIGTERM);
    rc = eng_runner_start(&loop, scan, src, workers, &mine, &b.r, err);
    if (rc < 0) {
        uv_close((uv_handle_t *)&b.sigint, NULL);
        uv_close((uv_handle_t *)&b.sigterm, NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (rc == 0) {
        rc = b.status;
        if (rc < 0 && err)
            *err = b.err;
    }
    eng_runner_free(b.r);
    rc = uv_loop_close(&loop) == 0 ? rc : ie_err_set(err, IE_EIO, "event loop did not close");
    return rc;
}

int eng_runner_open(const char *root, const char *manifest_path, const struct ie_scan_options *o,
                    struct ie_scan **scan, struct eng_s3_source **src, struct ie_err *err)
{
    *src = NULL;
    if (eng_s3_is_url(root))
        return eng_s3_scan_open(root, manifest_path, o, scan, src, err);
    return ie_scan_open(root, manifest_path, o, scan, err);
}
