/* Warm-ups of succeeded scans' results on the thread pool (see warm.h).
 * DESIGN: the job runner hands over the records indexing loaded (or none: then the warm-up loads
 * the manifest itself, as a lean manifest: about 300 bytes a record instead of kilobytes, so
 * that an imported scan of 10^6 records warms in bounded memory), and the computation is
 * results.c's srv_results_warm, the same the API runs on a miss, so both cache the same bytes under
 * the same keys. DELETE, resume and shutdown cancel a warm-up under wlock, which every put takes,
 * so it never caches after them. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cache.h"
#include "db.h"
#include "imgeda/slim.h"
#include "imgeda/util.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "results.h"
#include "store.h"
#include "warm.h"

/* Warm-ups queued or running. The list changes on the loop thread only, under wlock because
 * HTTP threads read it (srv_warm_await); wcond announces each result they cache and each one's
 * end. */
struct srv_warm {
    uv_loop_t *loop;
    char *db_path;
    struct srv_cache *cache;
    struct srv_metrics *metrics;
    bool stopping;

    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    struct warm *warms;
};

/* A warm-up of a succeeded scan's results on the pool. */
struct warm {
    uv_work_t work;
    struct srv_warm *owner;
    char id[40];
    struct ie_manifest m;         /* the records indexing loaded; released on the pool */
    struct ie_lean_manifest lean; /* else the records loaded on the pool */
    bool load;                    /* no records were handed over: load the manifest on the pool */
    atomic_bool cancelled; /* set under wlock by DELETE, resume, shutdown: cache nothing more */
    bool finished;         /* under wlock: the pool is done with it, waiters may go on */
    int rc;
    struct ie_err err;
    double seconds;
    struct warm *next;
};

struct srv_warm *srv_warm_new(struct uv_loop_s *loop, const char *db_path, struct srv_cache *cache,
                              struct srv_metrics *metrics)
{
    struct srv_warm *sw = ie_xcalloc(1, sizeof(*sw));
    sw->loop = loop;
    sw->db_path = ie_xstrdup(db_path);
    sw->cache = cache;
    sw->metrics = metrics;
    pthread_mutex_init(&sw->wlock, NULL);
    pthread_cond_init(&sw->wcond, NULL);
    return sw;
}

void srv_warm_free(struct srv_warm *sw)
{
    if (!sw)
        return;
    pthread_mutex_destroy(&sw->wlock);
    pthread_cond_destroy(&sw->wcond);
    free(sw->db_path);
    free(sw);
}

/* Caches one warmed result unless the warm-up was cancelled. Under wlock, so that a DELETE,
 * which sets cancelled under wlock and then drops the scan's keys, is never overtaken by a put
 * in between. */
static void warm_put(void *ud, const char *key, const void *data, size_t len, const char *mime)
{
    struct warm *w = ud;
    pthread_mutex_lock(&w->owner->wlock);
    if (!atomic_load(&w->cancelled)) {
        srv_cache_put(w->owner->cache, key, data, len, mime);
        pthread_cond_broadcast(&w->owner->wcond); /* a request may be waiting for just this one */
    }
    pthread_mutex_unlock(&w->owner->wlock);
}

static void warm_slim_snapshot(const char *manifest_path)
{
    struct ie_slim_manifest sm;
    struct ie_err err = {0};
    char *snap = srv_slim_snap_path(manifest_path);
    ie_slim_manifest_init(&sm);
    ie_slim_manifest_load_cached(manifest_path, snap, &sm, &err);
    ie_slim_manifest_release(&sm);
    free(snap);
}

static void warm_work_cb(uv_work_t *req)
{
    struct warm *w = req->data;
    struct srv_scan_row row = {0};
    sqlite3 *db = NULL;
    double t0 = ie_mono_seconds();
    /* The row gives finished_at, which every key holds; a scan no longer succeeded (resumed in
     * the meantime) or gone is not warmed. */
    w->rc = srv_db_open(w->owner->db_path, &db, &w->err);
    if (w->rc == 0)
        w->rc = srv_store_get_scan(db, w->id, &row, &w->err);
    srv_db_close(db);
    if (w->rc == 0 && strcmp(row.status, "succeeded") != 0)
        w->rc = ie_err_set(&w->err, IE_ESTATE, "scan %s is %s", w->id, row.status);
    if (w->rc == 0 && w->load)
        w->rc = ie_lean_manifest_load(row.manifest_path, &w->lean, &w->err);
    if (w->rc == 0) {
        struct srv_records recs =
            w->load ? srv_records_of_lean(&w->lean) : srv_records_of_manifest(&w->m);
        w->rc = srv_results_warm(&row, &recs, &w->cancelled, warm_put, w, &w->err);
    }
    /* Cancelled during the last result: its puts were skipped, so it did not warm anything. */
    if (w->rc == 0 && atomic_load(&w->cancelled))
        w->rc = ie_err_set(&w->err, IE_ECANCELED, "warm-up of scan %s cancelled", w->id);
    /* Freeing 10^5 records takes a while: here, not on the loop thread. */
    ie_manifest_release(&w->m);
    ie_lean_manifest_release(&w->lean);
    /* The slim snapshot, after the records are freed (its ~190 MB at 10^6 do not add to
     * theirs), so that the first gate or compare reads it instead of the JSONL. A failure
     * only costs that request its speed. */
    if (w->rc == 0 && !atomic_load(&w->cancelled))
        warm_slim_snapshot(row.manifest_path);
    srv_scan_row_release(&row);
    w->seconds = ie_mono_seconds() - t0;
    pthread_mutex_lock(&w->owner->wlock);
    w->finished = true;
    pthread_cond_broadcast(&w->owner->wcond);
    pthread_mutex_unlock(&w->owner->wlock);
}

static void warm_done_cb(uv_work_t *req, int status)
{
    struct warm *w = req->data;
    struct srv_warm *sw = w->owner;
    if (status == UV_ECANCELED) {
        ie_manifest_release(&w->m); /* cancelled before it ran */
    } else if (w->rc == 0) {
        srv_metrics_warmed(sw->metrics);
        srv_log(SRV_LOG_INFO, "jobs: scan %s: results warmed in %.2f s", w->id, w->seconds);
    } else if (atomic_load(&w->cancelled)) {
        srv_log(SRV_LOG_DEBUG, "jobs: scan %s: results warm-up cancelled", w->id);
    } else {
        srv_log(SRV_LOG_WARN, "jobs: scan %s: results not warmed: %s", w->id, w->err.msg);
    }
    pthread_mutex_lock(&sw->wlock);
    struct warm **l = &sw->warms;
    while (*l != w)
        l = &(*l)->next;
    *l = w->next;
    pthread_cond_broadcast(&sw->wcond);
    pthread_mutex_unlock(&sw->wlock);
    free(w);
}

void srv_warm_queue(struct srv_warm *sw, const char *id, struct ie_manifest *m)
{
    if (sw->stopping) {
        if (m)
            ie_manifest_release(m);
        return;
    }
    if (!m) {
        bool pending = false;
        pthread_mutex_lock(&sw->wlock);
        for (struct warm *o = sw->warms; o && !pending; o = o->next)
            pending = !o->finished && !atomic_load(&o->cancelled) && strcmp(o->id, id) == 0;
        pthread_mutex_unlock(&sw->wlock);
        if (pending)
            return;
    }
    struct warm *w = ie_xcalloc(1, sizeof(*w));
    w->owner = sw;
    snprintf(w->id, sizeof(w->id), "%s", id);
    ie_manifest_init(&w->m);
    ie_lean_manifest_init(&w->lean);
    w->load = !m;
    if (m) {
        w->m = *m;
        ie_manifest_init(m);
    }
    atomic_init(&w->cancelled, false);
    w->work.data = w;
    pthread_mutex_lock(&sw->wlock);
    w->next = sw->warms;
    sw->warms = w;
    pthread_mutex_unlock(&sw->wlock);
    uv_queue_work(sw->loop, &w->work, warm_work_cb, warm_done_cb);
}

/* The list changes only on the loop thread, so walking it here needs no lock; the flags do. */
void srv_warm_cancel(struct srv_warm *sw, const char *id)
{
    pthread_mutex_lock(&sw->wlock);
    for (struct warm *w = sw->warms; w; w = w->next)
        if (!id || strcmp(w->id, id) == 0)
            atomic_store(&w->cancelled, true);
    pthread_cond_broadcast(&sw->wcond); /* waiters stop waiting for a cancelled warm-up */
    pthread_mutex_unlock(&sw->wlock);
    for (struct warm *w = sw->warms; w; w = w->next)
        if (!id || strcmp(w->id, id) == 0)
            uv_cancel((uv_req_t *)&w->work); /* UV_EBUSY once running: it stops between results */
}

void srv_warm_stop(struct srv_warm *sw)
{
    sw->stopping = true;
    /* The loop runs until the warm-ups' after-work callbacks have run: a queued one ends at
     * once, a running one after its current result. */
    srv_warm_cancel(sw, NULL);
}

void srv_warm_await(struct srv_warm *sw, const char *id, const char *key, int timeout_ms)
{
    struct timespec ts = srv_deadline_after(timeout_ms);
    pthread_mutex_lock(&sw->wlock);
    for (;;) {
        bool pending = false;
        /* A cancelled warm-up caches nothing more: its waiters go on at once rather than
         * wait for its end, which at shutdown the loop thread reports only after HTTP stopped
         * (and stopping HTTP waits for them). */
        for (struct warm *w = sw->warms; w && !pending; w = w->next)
            pending = !w->finished && !atomic_load(&w->cancelled) && strcmp(w->id, id) == 0;
        /* Puts happen under wlock, so the key cannot arrive between this check and the wait. */
        if (!pending || srv_cache_has(sw->cache, key) ||
            pthread_cond_timedwait(&sw->wcond, &sw->wlock, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&sw->wlock);
}
