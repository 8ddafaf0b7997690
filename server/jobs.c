/* Scan jobs on the libuv loop thread (see jobs.h).
 * DESIGN: HTTP threads never touch the writer connection or the runner: they queue a command
 * and wait on its condition variable; the loop thread drains the whole queue on each wake-up
 * (uv_async_send coalesces). One scan runs at a time with all workers; the others wait in FIFO
 * order. Discovery and the final SQLite indexing run on the pool so the loop stays responsive.
 * Progress goes to SQLite only at durable checkpoints, so the database never claims more than
 * the manifest holds. When a scan succeeds (or an import is indexed), the records indexing
 * loaded are handed to a warm-up on the pool that caches the results a dashboard opens a scan
 * with; DELETE, resume and shutdown cancel it under wlock, so it never caches after them. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cache.h"
#include "db.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "log.h"
#include "results.h"
#include "engine/runner.h"
#include "store.h"

enum cmd_type { CMD_CREATE, CMD_IMPORT, CMD_CANCEL, CMD_RESUME, CMD_DELETE, CMD_WARM };

struct cmd {
    enum cmd_type type;
    const char *a, *b, *c; /* arguments, owned by the caller */
    struct ie_manifest *m; /* CMD_WARM: moved out when the command runs; NULL: load them */
    char *id_out;
    int rc;
    struct ie_err err;
    bool done;
    pthread_cond_t cond;
    struct cmd *next;
};

struct state_entry {
    char id[40];
    struct srv_job_state st;
};

struct running {
    struct srv_jobs *j;
    char *id;
    struct ie_scan *scan;
    struct eng_runner *runner;
    struct ie_scan_options opts;
    uv_work_t work;
    int open_rc;
    struct ie_err open_err;
    bool cancel_requested;
    char *manifest_path;
    char *root;
};

struct srv_jobs {
    uv_loop_t *loop;
    uv_async_t async;
    const struct srv_config *cfg;
    char *db_path;
    struct srv_cache *cache;
    sqlite3 *db;
    bool stopping, closed;

    pthread_mutex_t qlock;
    struct cmd *qhead, *qtail;

    char **queued; /* FIFO of scan ids */
    size_t n_queued, cap_queued;
    struct running *run;

    pthread_mutex_t slock;
    pthread_cond_t scond;
    struct state_entry *states;
    size_t n_states, cap_states;
    uint64_t version;
    struct srv_jobs_metrics metrics;

    /* Warm-ups queued or running. The list changes on the loop thread only, under wlock
     * because HTTP threads read it (srv_jobs_await_warm); wcond announces each result they
     * cache and each one's end. */
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    struct warm *warms;
};

/* A warm-up of a succeeded scan's results on the pool. */
struct warm {
    uv_work_t work;
    struct srv_jobs *j;
    char id[40];
    struct ie_manifest m;  /* the records indexing loaded; released on the pool */
    bool load;             /* no records were handed over: load the manifest on the pool */
    atomic_bool cancelled; /* set under wlock by DELETE, resume, shutdown: cache nothing more */
    bool finished;         /* under wlock: the pool is done with it, waiters may go on */
    int rc;
    struct ie_err err;
    double seconds;
    struct warm *next;
};

char *srv_scan_dir(const struct srv_config *cfg, const char *id)
{
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_addf(&b, "%s/scans/%s", cfg->data_dir, id);
    return ie_buf_detach(&b);
}

/* ---- shared live state ---- */

static struct state_entry *state_find(struct srv_jobs *j, const char *id)
{
    for (size_t i = 0; i < j->n_states; i++)
        if (strcmp(j->states[i].id, id) == 0)
            return &j->states[i];
    return NULL;
}

static void state_set(struct srv_jobs *j, const char *id, const char *status,
                      const struct ie_scan_progress *p)
{
    pthread_mutex_lock(&j->slock);
    struct state_entry *e = state_find(j, id);
    if (!e) {
        ie_grow((void **)&j->states, &j->cap_states, j->n_states + 1, sizeof(*j->states));
        e = &j->states[j->n_states++];
        memset(e, 0, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "%s", id);
    }
    if (status)
        snprintf(e->st.status, sizeof(e->st.status), "%s", status);
    if (p)
        e->st.p = *p;
    e->st.version = ++j->version;
    pthread_cond_broadcast(&j->scond);
    pthread_mutex_unlock(&j->slock);
}

static void state_forget(struct srv_jobs *j, const char *id)
{
    pthread_mutex_lock(&j->slock);
    struct state_entry *e = state_find(j, id);
    if (e) {
        *e = j->states[--j->n_states];
        j->version++;
        pthread_cond_broadcast(&j->scond);
    }
    pthread_mutex_unlock(&j->slock);
}

bool srv_jobs_state(struct srv_jobs *j, const char *id, struct srv_job_state *st)
{
    pthread_mutex_lock(&j->slock);
    struct state_entry *e = state_find(j, id);
    if (e)
        *st = e->st;
    pthread_mutex_unlock(&j->slock);
    return e != NULL;
}

/* The absolute time timeout_ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_after(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

uint64_t srv_jobs_wait(struct srv_jobs *j, uint64_t since, int timeout_ms)
{
    struct timespec ts = deadline_after(timeout_ms);
    pthread_mutex_lock(&j->slock);
    while (j->version <= since && !j->closed)
        if (pthread_cond_timedwait(&j->scond, &j->slock, &ts) == ETIMEDOUT)
            break;
    uint64_t v = j->version;
    pthread_mutex_unlock(&j->slock);
    return v;
}

void srv_jobs_metrics(struct srv_jobs *j, struct srv_jobs_metrics *m)
{
    pthread_mutex_lock(&j->slock);
    *m = j->metrics;
    pthread_mutex_unlock(&j->slock);
}

/* ---- result warm-up ---- */

/* Caches one warmed result unless the warm-up was cancelled. Under wlock, so that a DELETE,
 * which sets cancelled under wlock and then drops the scan's keys, is never overtaken by a put
 * in between. */
static void warm_put(void *ud, const char *key, const void *data, size_t len, const char *mime)
{
    struct warm *w = ud;
    pthread_mutex_lock(&w->j->wlock);
    if (!atomic_load(&w->cancelled)) {
        srv_cache_put(w->j->cache, key, data, len, mime);
        pthread_cond_broadcast(&w->j->wcond); /* a request may be waiting for just this one */
    }
    pthread_mutex_unlock(&w->j->wlock);
}

static void warm_work_cb(uv_work_t *req)
{
    struct warm *w = req->data;
    struct srv_scan_row row = {0};
    sqlite3 *db = NULL;
    double t0 = ie_mono_seconds();
    /* The row gives finished_at, which every key holds; a scan no longer succeeded (resumed in
     * the meantime) or gone is not warmed. */
    w->rc = srv_db_open(w->j->db_path, &db, &w->err);
    if (w->rc == 0)
        w->rc = srv_store_get_scan(db, w->id, &row, &w->err);
    srv_db_close(db);
    if (w->rc == 0 && strcmp(row.status, "succeeded") != 0)
        w->rc = ie_err_set(&w->err, IE_ESTATE, "scan %s is %s", w->id, row.status);
    if (w->rc == 0 && w->load)
        w->rc = ie_manifest_load(row.manifest_path, &w->m, &w->err);
    if (w->rc == 0)
        w->rc = srv_results_warm(&row, &w->m, &w->cancelled, warm_put, w, &w->err);
    /* Cancelled during the last result: its puts were skipped, so it did not warm anything. */
    if (w->rc == 0 && atomic_load(&w->cancelled))
        w->rc = ie_err_set(&w->err, IE_ECANCELED, "warm-up of scan %s cancelled", w->id);
    srv_scan_row_release(&row);
    /* Freeing 10^5 records takes a while: here, not on the loop thread. */
    ie_manifest_release(&w->m);
    w->seconds = ie_mono_seconds() - t0;
    pthread_mutex_lock(&w->j->wlock);
    w->finished = true;
    pthread_cond_broadcast(&w->j->wcond);
    pthread_mutex_unlock(&w->j->wlock);
}

static void warm_done_cb(uv_work_t *req, int status)
{
    struct warm *w = req->data;
    struct srv_jobs *j = w->j;
    if (status == UV_ECANCELED) {
        ie_manifest_release(&w->m); /* cancelled before it ran */
    } else if (w->rc == 0) {
        pthread_mutex_lock(&j->slock);
        j->metrics.results_warmed++;
        pthread_mutex_unlock(&j->slock);
        srv_log(SRV_LOG_INFO, "jobs: scan %s: results warmed in %.2f s", w->id, w->seconds);
    } else if (atomic_load(&w->cancelled)) {
        srv_log(SRV_LOG_DEBUG, "jobs: scan %s: results warm-up cancelled", w->id);
    } else {
        srv_log(SRV_LOG_WARN, "jobs: scan %s: results not warmed: %s", w->id, w->err.msg);
    }
    pthread_mutex_lock(&j->wlock);
    struct warm **l = &j->warms;
    while (*l != w)
        l = &(*l)->next;
    *l = w->next;
    pthread_cond_broadcast(&j->wcond);
    pthread_mutex_unlock(&j->wlock);
    free(w);
}

/* Queues the warm-up of a succeeded scan, taking the records out of *m; with m NULL it loads
 * them on the pool, unless a warm-up of the scan is already queued or running (requests that
 * miss at the same time then share one load). Loop thread. */
static void queue_warm(struct srv_jobs *j, const char *id, struct ie_manifest *m)
{
    if (j->stopping) {
        if (m)
            ie_manifest_release(m);
        return;
    }
    if (!m) {
        bool pending = false;
        pthread_mutex_lock(&j->wlock);
        for (struct warm *o = j->warms; o && !pending; o = o->next)
            pending = !o->finished && !atomic_load(&o->cancelled) && strcmp(o->id, id) == 0;
        pthread_mutex_unlock(&j->wlock);
        if (pending)
            return;
    }
    struct warm *w = ie_xcalloc(1, sizeof(*w));
    w->j = j;
    snprintf(w->id, sizeof(w->id), "%s", id);
    ie_manifest_init(&w->m);
    w->load = !m;
    if (m) {
        w->m = *m;
        ie_manifest_init(m);
    }
    atomic_init(&w->cancelled, false);
    w->work.data = w;
    pthread_mutex_lock(&j->wlock);
    w->next = j->warms;
    j->warms = w;
    pthread_mutex_unlock(&j->wlock);
    uv_queue_work(j->loop, &w->work, warm_work_cb, warm_done_cb);
}

/* Cancels the warm-ups of scan id (all of them when id is NULL): once this returns nothing more
 * of theirs is cached, and those still queued never run. Loop thread (the list changes only
 * here, so walking it needs no lock; the flags do). */
static void warm_cancel(struct srv_jobs *j, const char *id)
{
    pthread_mutex_lock(&j->wlock);
    for (struct warm *w = j->warms; w; w = w->next)
        if (!id || strcmp(w->id, id) == 0)
            atomic_store(&w->cancelled, true);
    pthread_mutex_unlock(&j->wlock);
    for (struct warm *w = j->warms; w; w = w->next)
        if (!id || strcmp(w->id, id) == 0)
            uv_cancel((uv_req_t *)&w->work); /* UV_EBUSY once running: it stops between results */
}

void srv_jobs_await_warm(struct srv_jobs *j, const char *id, const char *key, int timeout_ms)
{
    struct timespec ts = deadline_after(timeout_ms);
    pthread_mutex_lock(&j->wlock);
    for (;;) {
        bool pending = false;
        for (struct warm *w = j->warms; w && !pending; w = w->next)
            pending = !w->finished && strcmp(w->id, id) == 0;
        /* Puts happen under wlock, so the key cannot arrive between this check and the wait. */
        if (!pending || srv_cache_has(j->cache, key) ||
            pthread_cond_timedwait(&j->wcond, &j->wlock, &ts) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&j->wlock);
}

/* ---- the running scan ---- */

static void start_next(struct srv_jobs *j);

static void set_status(struct srv_jobs *j, const char *id, const char *status, const char *error)
{
    struct ie_err err = {0};
    if (srv_store_set_status(j->db, id, status, error, &err) < 0)
        srv_log(SRV_LOG_ERROR, "jobs: cannot record status of %s: %s", id, err.msg);
    state_set(j, id, status, NULL);
}

static void finish_running(struct srv_jobs *j)
{
    struct running *r = j->run;
    j->run = NULL;
    if (r->runner)
        eng_runner_free(r->runner);
    ie_scan_free(r->scan);
    free(r->manifest_path);
    free(r->root);
    free(r->id);
    free(r);
    start_next(j);
}

struct index_work {
    uv_work_t work;
    struct srv_jobs *j;
    int rc;
    struct ie_err err;
    struct ie_manifest m; /* the records indexed, for the warm-up */
};

static void index_work_cb(uv_work_t *w)
{
    struct index_work *iw = w->data;
    struct running *r = iw->j->run;
    sqlite3 *db = NULL;
    iw->rc = srv_db_open(iw->j->db_path, &db, &iw->err);
    if (iw->rc == 0)
        iw->rc = srv_store_index_manifest(db, r->id, r->manifest_path, NULL, &iw->m, &iw->err);
    srv_db_close(db);
}

static void index_done_cb(uv_work_t *w, int status)
{
    struct index_work *iw = w->data;
    struct srv_jobs *j = iw->j;
    (void)status;
    if (iw->rc == 0) {
        set_status(j, j->run->id, "succeeded", NULL);
        srv_log(SRV_LOG_INFO, "jobs: scan %s succeeded", j->run->id);
        queue_warm(j, j->run->id, &iw->m);
    } else {
        set_status(j, j->run->id, "failed", iw->err.msg);
        srv_log(SRV_LOG_ERROR, "jobs: scan %s: indexing failed: %s", j->run->id, iw->err.msg);
    }
    ie_manifest_release(&iw->m);
    free(iw);
    finish_running(j);
}

static void on_progress(const struct ie_scan_progress *p, bool checkpointed, void *ud)
{
    struct srv_jobs *j = ud;
    struct ie_err err = {0};
    state_set(j, j->run->id, NULL, p);
    if (checkpointed && srv_store_set_progress(j->db, j->run->id, p, &err) < 0)
        srv_log(SRV_LOG_ERROR, "jobs: cannot record progress: %s", err.msg);
}

static void on_done(int status, const struct ie_err *e, void *ud)
{
    struct srv_jobs *j = ud;
    struct running *r = j->run;
    struct ie_scan_progress p;
    struct ie_err err = {0};
    ie_scan_get_progress(r->scan, &p);
    srv_store_set_progress(j->db, r->id, &p, &err);
    pthread_mutex_lock(&j->slock);
    j->metrics.images_scanned += p.analysed;
    j->metrics.bytes_scanned += (uint64_t)p.bytes;
    if (status != 0 && status != IE_ECANCELED)
        j->metrics.scan_errors++;
    pthread_mutex_unlock(&j->slock);
    state_set(j, r->id, NULL, &p);
    if (status == 0) {
        struct index_work *iw = ie_xcalloc(1, sizeof(*iw));
        iw->j = j;
        ie_manifest_init(&iw->m);
        iw->work.data = iw;
        uv_queue_work(j->loop, &iw->work, index_work_cb, index_done_cb);
        return;
    }
    if (status == IE_ECANCELED && !r->cancel_requested) {
        /* Stopped by shutdown: left queued so the next start resumes it. */
        set_status(j, r->id, "queued", NULL);
        srv_log(SRV_LOG_INFO, "jobs: scan %s checkpointed for shutdown", r->id);
    } else if (status == IE_ECANCELED) {
        set_status(j, r->id, "cancelled", NULL);
        srv_log(SRV_LOG_INFO, "jobs: scan %s cancelled", r->id);
    } else {
        set_status(j, r->id, "failed", e ? e->msg : "scan failed");
        srv_log(SRV_LOG_ERROR, "jobs: scan %s failed: %s", r->id, e ? e->msg : "");
    }
    finish_running(j);
}

static void open_work_cb(uv_work_t *w)
{
    struct running *r = w->data;
    /* Discovery of a large tree takes seconds: it runs here, not on the loop. */
    struct ie_scan_options o = r->opts;
    r->open_rc = ie_scan_open(r->root, r->manifest_path, &o, &r->scan, &r->open_err);
}

static void open_done_cb(uv_work_t *w, int status)
{
    struct running *r = w->data;
    struct srv_jobs *j = r->j;
    struct ie_err err = {0};
    (void)status;
    if (r->open_rc < 0) {
        set_status(j, r->id, "failed", r->open_err.msg);
        srv_log(SRV_LOG_ERROR, "jobs: scan %s cannot start: %s", r->id, r->open_err.msg);
        finish_running(j);
        return;
    }
    if (j->stopping || r->cancel_requested) {
        set_status(j, r->id, j->stopping && !r->cancel_requested ? "queued" : "cancelled", NULL);
        finish_running(j);
        return;
    }
    struct eng_runner_callbacks cb = {
        .on_progress = on_progress, .on_done = on_done, .ud = j, .progress_interval = 0.25};
    struct ie_scan_progress p;
    ie_scan_get_progress(r->scan, &p);
    state_set(j, r->id, "running", &p);
    srv_store_set_progress(j->db, r->id, &p, NULL);
    if (eng_runner_start(j->loop, r->scan, r->opts.workers, &cb, &r->runner, &err) < 0) {
        set_status(j, r->id, "failed", err.msg);
        finish_running(j);
    }
}

static void start_next(struct srv_jobs *j)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    while (!j->run && !j->stopping && j->n_queued > 0) {
        char *id = j->queued[0];
        memmove(j->queued, j->queued + 1, (j->n_queued - 1) * sizeof(char *));
        j->n_queued--;
        if (srv_store_get_scan(j->db, id, &row, &err) < 0) {
            srv_log(SRV_LOG_WARN, "jobs: queued scan %s vanished: %s", id, err.msg);
            free(id);
            continue;
        }
        struct running *r = ie_xcalloc(1, sizeof(*r));
        r->j = j;
        r->id = id;
        r->root = ie_xstrdup(row.root);
        r->manifest_path = ie_xstrdup(row.manifest_path);
        if (srv_scan_options_from_json(row.options_json, j->cfg, &r->opts, &err) < 0) {
            j->run = r;
            set_status(j, id, "failed", err.msg);
            srv_scan_row_release(&row);
            finish_running(j);
            return;
        }
        /* A started scan always resumes its own manifest; force applied on its first run. */
        if (row.started_at)
            r->opts.force = false;
        r->opts.resume = true;
        srv_scan_row_release(&row);
        j->run = r;
        set_status(j, id, "running", NULL);
        srv_log(SRV_LOG_INFO, "jobs: scan %s started", id);
        r->work.data = r;
        uv_queue_work(j->loop, &r->work, open_work_cb, open_done_cb);
    }
}

/* ---- commands (loop thread) ---- */

static void new_id(char *out, size_t n)
{
    /* Time-ordered and unguessable enough for a local service: 48 bits of ms + 32 random. */
    struct timespec ts;
    unsigned rnd = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&rnd, sizeof(rnd), 1, f) != 1)
        rnd = (unsigned)rand();
    if (f)
        fclose(f);
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long ms =
        (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
    snprintf(out, n, "%012llx%08x", ms & 0xFFFFFFFFFFFFull, rnd);
}

static int insert_row(struct srv_jobs *j, const char *root, const char *name,
                      const char *options_json, bool imported, const char *status, char **id_out,
                      char **dir_out, struct ie_err *err)
{
    char id[32], now[40];
    new_id(id, sizeof(id));
    ie_now_iso(now, sizeof(now));
    char *dir = srv_scan_dir(j->cfg, id);
    if (ie_mkdir_p(dir) < 0) {
        int rc = ie_err_set(err, IE_EIO, "cannot create %s: %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    struct ie_buf mp;
    ie_buf_init(&mp);
    ie_buf_addf(&mp, "%s/manifest.jsonl", dir);
    struct srv_scan_row row = {0};
    row.id = id;
    row.name = (char *)(name && *name ? name : root);
    row.root = (char *)root;
    row.status = (char *)status;
    row.options_json = (char *)(options_json ? options_json : "{}");
    row.manifest_path = mp.data;
    row.imported = imported;
    row.created_at = now;
    row.seq = srv_store_next_seq(j->db);
    int rc = srv_store_insert_scan(j->db, &row, err);
    ie_buf_release(&mp);
    if (rc < 0) {
        free(dir);
        return rc;
    }
    *id_out = ie_xstrdup(id);
    if (dir_out)
        *dir_out = dir;
    else
        free(dir);
    return 0;
}

static void enqueue(struct srv_jobs *j, const char *id)
{
    ie_grow((void **)&j->queued, &j->cap_queued, j->n_queued + 1, sizeof(char *));
    j->queued[j->n_queued++] = ie_xstrdup(id);
    state_set(j, id, "queued", NULL);
}

static int rm_rf(const char *path)
{
    /* Only our own data dir layout: scans/<id>/{manifest.jsonl, plots/, thumbs/}. */
    struct ie_buf cmd;
    ie_buf_init(&cmd);
    ie_buf_adds(&cmd, "rm -rf -- '");
    for (const char *p = path; *p; p++) {
        if (*p == '\'')
            ie_buf_adds(&cmd, "'\\''");
        else
            ie_buf_addc(&cmd, *p);
    }
    ie_buf_adds(&cmd, "'");
    int rc = system(cmd.data);
    ie_buf_release(&cmd);
    return rc == 0 ? 0 : -1;
}

static void run_cmd(struct srv_jobs *j, struct cmd *c)
{
    struct srv_scan_row row = {0};
    c->rc = 0;
    switch (c->type) {
    case CMD_CREATE:
        c->rc = insert_row(j, c->a, c->b, c->c, false, "queued", &c->id_out, NULL, &c->err);
        if (c->rc == 0) {
            enqueue(j, c->id_out);
            start_next(j);
        }
        break;
    case CMD_IMPORT: {
        /* Only the row and the file here; the HTTP thread indexes the records (possibly 10^6
         * of them) on its own connection, so the loop never waits on an upload. */
        char *dir = NULL;
        c->rc = insert_row(j, "", c->b, "{}", true, "running", &c->id_out, &dir, &c->err);
        if (c->rc < 0)
            break;
        struct ie_buf dst;
        ie_buf_init(&dst);
        ie_buf_addf(&dst, "%s/manifest.jsonl", dir);
        if (rename(c->a, dst.data) < 0) {
            c->rc = ie_err_set(&c->err, IE_EIO, "cannot store manifest: %s", strerror(errno));
            srv_store_delete_scan(j->db, c->id_out, NULL);
            rm_rf(dir);
            free(c->id_out);
            c->id_out = NULL;
        }
        ie_buf_release(&dst);
        free(dir);
        break;
    }
    case CMD_CANCEL:
        if ((c->rc = srv_store_get_scan(j->db, c->a, &row, &c->err)) < 0)
            break;
        if (j->run && strcmp(j->run->id, c->a) == 0) {
            j->run->cancel_requested = true;
            if (j->run->runner)
                eng_runner_cancel(j->run->runner);
        } else if (strcmp(row.status, "queued") == 0) {
            for (size_t i = 0; i < j->n_queued; i++)
                if (strcmp(j->queued[i], c->a) == 0) {
                    free(j->queued[i]);
                    memmove(j->queued + i, j->queued + i + 1,
                            (j->n_queued - i - 1) * sizeof(char *));
                    j->n_queued--;
                    break;
                }
            set_status(j, c->a, "cancelled", NULL);
        } else {
            c->rc = ie_err_set(&c->err, IE_ESTATE,
                               "scan %s is %s; only queued or running scans "
                               "can be cancelled",
                               c->a, row.status);
        }
        break;
    case CMD_RESUME:
        if ((c->rc = srv_store_get_scan(j->db, c->a, &row, &c->err)) < 0)
            break;
        if (row.imported ||
            !(strcmp(row.status, "cancelled") == 0 || strcmp(row.status, "failed") == 0 ||
              strcmp(row.status, "succeeded") == 0)) {
            c->rc = ie_err_set(&c->err, IE_ESTATE,
                               "scan %s is %s%s; only finished scans can be resumed", c->a,
                               row.status, row.imported ? " (imported)" : "");
            break;
        }
        /* Its warm-up would read a manifest the resumed scan rewrites. */
        warm_cancel(j, c->a);
        set_status(j, c->a, "queued", NULL);
        enqueue(j, c->a);
        start_next(j);
        break;
    case CMD_DELETE:
        if ((c->rc = srv_store_get_scan(j->db, c->a, &row, &c->err)) < 0)
            break;
        if (strcmp(row.status, "queued") == 0 || strcmp(row.status, "running") == 0) {
            c->rc = ie_err_set(&c->err, IE_ESTATE, "scan %s is %s; cancel it before deleting it",
                               c->a, row.status);
            break;
        }
        /* First (deleting 10^5 rows takes a while), and anyway before the keys are dropped,
         * so the warm-up cannot put them back. */
        warm_cancel(j, c->a);
        if ((c->rc = srv_store_delete_scan(j->db, c->a, &c->err)) < 0)
            break;
        {
            char *dir = srv_scan_dir(j->cfg, c->a);
            rm_rf(dir);
            free(dir);
        }
        state_forget(j, c->a);
        {
            char prefix[64];
            snprintf(prefix, sizeof(prefix), "%s|", c->a);
            srv_cache_drop_prefix(j->cache, prefix);
        }
        break;
    case CMD_WARM:
        queue_warm(j, c->a, c->m);
        break;
    }
    srv_scan_row_release(&row);
}

static void async_cb(uv_async_t *h)
{
    struct srv_jobs *j = h->data;
    for (;;) {
        pthread_mutex_lock(&j->qlock);
        struct cmd *c = j->qhead;
        if (c) {
            j->qhead = c->next;
            if (!j->qhead)
                j->qtail = NULL;
        }
        pthread_mutex_unlock(&j->qlock);
        if (!c)
            break;
        if (j->stopping) {
            c->rc = ie_err_set(&c->err, IE_EINVAL, "imgedad is shutting down");
        } else {
            run_cmd(j, c);
        }
        pthread_mutex_lock(&j->qlock);
        c->done = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&j->qlock);
    }
}

/* Queues a command and waits for the loop thread to run it. */
static int submit(struct srv_jobs *j, struct cmd *c, struct ie_err *err)
{
    pthread_cond_init(&c->cond, NULL);
    pthread_mutex_lock(&j->qlock);
    if (j->closed) {
        pthread_mutex_unlock(&j->qlock);
        pthread_cond_destroy(&c->cond);
        return ie_err_set(err, IE_EINVAL, "imgedad is shutting down");
    }
    if (j->qtail)
        j->qtail->next = c;
    else
        j->qhead = c;
    j->qtail = c;
    uv_async_send(&j->async);
    while (!c->done)
        pthread_cond_wait(&c->cond, &j->qlock);
    pthread_mutex_unlock(&j->qlock);
    pthread_cond_destroy(&c->cond);
    if (c->rc < 0 && err)
        *err = c->err;
    return c->rc;
}

int srv_jobs_create(struct srv_jobs *j, const char *root, const char *name,
                    const char *options_json, char **id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_CREATE, .a = root, .b = name, .c = options_json};
    int rc = submit(j, &c, err);
    *id = c.id_out;
    return rc;
}

int srv_jobs_import(struct srv_jobs *j, const char *manifest_tmp_path, const char *name, char **id,
                    struct ie_err *err)
{
    struct cmd c = {.type = CMD_IMPORT, .a = manifest_tmp_path, .b = name};
    int rc = submit(j, &c, err);
    *id = c.id_out;
    return rc;
}

int srv_jobs_cancel(struct srv_jobs *j, const char *id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_CANCEL, .a = id};
    return submit(j, &c, err);
}

int srv_jobs_resume(struct srv_jobs *j, const char *id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_RESUME, .a = id};
    return submit(j, &c, err);
}

int srv_jobs_delete(struct srv_jobs *j, const char *id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_DELETE, .a = id};
    return submit(j, &c, err);
}

int srv_jobs_warm(struct srv_jobs *j, const char *id, struct ie_manifest *m, struct ie_err *err)
{
    struct cmd c = {.type = CMD_WARM, .a = id, .m = m};
    return submit(j, &c, err);
}

/* ---- lifetime ---- */

int srv_jobs_new(struct uv_loop_s *loop, const struct srv_ctx *ctx, struct srv_jobs **out,
                 struct ie_err *err)
{
    struct srv_jobs *j = ie_xcalloc(1, sizeof(*j));
    char **ids = NULL;
    size_t n = 0;
    int rc;
    j->loop = loop;
    j->cfg = ctx->cfg;
    j->db_path = ie_xstrdup(ctx->db_path);
    j->cache = ctx->cache;
    pthread_mutex_init(&j->qlock, NULL);
    pthread_mutex_init(&j->slock, NULL);
    pthread_cond_init(&j->scond, NULL);
    pthread_mutex_init(&j->wlock, NULL);
    pthread_cond_init(&j->wcond, NULL);
    if ((rc = srv_db_open(j->db_path, &j->db, err)) < 0 || (rc = srv_db_migrate(j->db, err)) < 0)
        goto fail;
    /* An import a crash interrupted has no scan to resume: it failed. */
    if ((rc = srv_db_exec(j->db,
                          "UPDATE scans SET status = 'failed', error = 'import interrupted by a "
                          "restart' WHERE imported = 1 AND status IN ('queued', 'running')",
                          err)) < 0 ||
        (rc = srv_store_unfinished(j->db, &ids, &n, err)) < 0)
        goto fail;
    uv_async_init(loop, &j->async, async_cb);
    j->async.data = j;
    for (size_t i = 0; i < n; i++) {
        srv_log(SRV_LOG_INFO, "jobs: resuming scan %s left unfinished", ids[i]);
        srv_store_set_status(j->db, ids[i], "queued", NULL, NULL);
        enqueue(j, ids[i]);
        free(ids[i]);
    }
    free(ids);
    start_next(j);
    *out = j;
    return 0;
fail:
    srv_db_close(j->db);
    free(j->db_path);
    free(j);
    return rc;
}

static void async_closed(uv_handle_t *h)
{
    (void)h;
}

void srv_jobs_stop(struct srv_jobs *j)
{
    if (j->stopping)
        return;
    j->stopping = true;
    /* Answer anyone waiting, then refuse new commands. */
    async_cb(&j->async);
    pthread_mutex_lock(&j->qlock);
    j->closed = true;
    pthread_mutex_unlock(&j->qlock);
    pthread_mutex_lock(&j->slock);
    pthread_cond_broadcast(&j->scond);
    pthread_mutex_unlock(&j->slock);
    if (j->run && j->run->runner)
        eng_runner_cancel(j->run->runner);
    /* The loop runs until the warm-ups' after-work callbacks have run: a queued one ends at
     * once, a running one after its current result. */
    warm_cancel(j, NULL);
    uv_close((uv_handle_t *)&j->async, async_closed);
}

void srv_jobs_free(struct srv_jobs *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_queued; i++)
        free(j->queued[i]);
    free(j->queued);
    free(j->states);
    srv_db_close(j->db);
    pthread_mutex_destroy(&j->qlock);
    pthread_mutex_destroy(&j->slock);
    pthread_cond_destroy(&j->scond);
    pthread_mutex_destroy(&j->wlock);
    pthread_cond_destroy(&j->wcond);
    free(j->db_path);
    free(j);
}
