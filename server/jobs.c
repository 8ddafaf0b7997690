/* Scan jobs on the libuv loop thread (see jobs.h).
 * DESIGN: HTTP threads never touch the writer connection or the runner: they queue a command
 * and wait on its condition variable; the loop thread drains the whole queue on each wake-up
 * (uv_async_send coalesces). One scan runs at a time with all workers; the others wait in FIFO
 * order. Discovery and the final SQLite indexing run on the pool so the loop stays responsive.
 * Progress goes to SQLite only at durable checkpoints, so the database never claims more than
 * the manifest holds. When a scan succeeds, the records indexing loaded are handed to a warm-up
 * (warm.c), which DELETE, resume and shutdown cancel before they go on. Live progress goes to
 * live.c at every progress callback, counters to metrics.c when a scan ends.
 * A scan's status goes to live.c first, then to SQLite. When SQLite finds the disk full while
 * recording how a scan ended or deleting one, the data dir's reserve (reserve.c) is given up
 * and the write tried again; a state SQLite still refuses is kept and written again every
 * second until it goes in, so the database never keeps claiming a scan runs that has ended,
 * and meanwhile the API and the commands here read the status from live.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <uv.h>

#include "bucket.h"
#include "cache.h"
#include "db.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"
#include "engine/runner.h"
#include "engine/s3_scan.h"
#include "jobs.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "reserve.h"
#include "store.h"
#include "warm.h"

enum cmd_type { CMD_CREATE, CMD_IMPORT, CMD_CANCEL, CMD_RESUME, CMD_RESCAN, CMD_DELETE, CMD_WARM };

/* A command from another thread to the loop thread; its arguments are owned by the caller, who
 * waits until it is done. */
struct cmd {
    enum cmd_type type;
    union {
        struct {
            const char *root, *name, *options_json;
            const struct ie_scan_options *opts;
        } create;
        struct {
            const char *manifest_tmp_path, *name;
        } import;
        struct {
            const char *id;
        } cancel, resume, rescan, delete;
        struct {
            const char *id;
            struct ie_manifest *m; /* moved out when the command runs; NULL: load them */
        } warm;
    } u;
    char *id_out;
    int rc;
    struct ie_err err;
    bool done;
    pthread_cond_t cond;
    struct cmd *next;
};

/* A scan waiting to run: created ones carry their parsed options; resumed and recovered ones
 * (opts NULL) parse the JSON stored with the scan. A rescan (a new version of a root) carries
 * the manifest of the version it follows as its seed. */
struct queued {
    char *id;
    struct ie_scan_options *opts;
    char *seed;
};

struct running {
    struct srv_jobs *j;
    char *id;
    struct ie_scan *scan;
    struct eng_s3_source *src; /* an s3:// root's bucket, else NULL */
    struct eng_runner *runner;
    struct ie_scan_options opts;
    uv_work_t work;
    int open_rc;
    struct ie_err open_err;
    bool cancel_requested;
    char *manifest_path;
    char *root;
    char *seed; /* a rescan's previous manifest, copied in before discovery; or NULL */
};

/* A scan's state SQLite refused to record (a full disk), written again by the retry timer. */
struct unrecorded {
    char *id;
    char *status, *error; /* status NULL: only the progress is pending */
    bool has_progress;
    struct ie_scan_progress p;
    double since;
    struct unrecorded *next;
};

struct srv_jobs {
    uv_loop_t *loop;
    uv_async_t async;
    uv_timer_t retry;              /* writes the unrecorded states again, every second */
    struct unrecorded *unrecorded; /* loop thread only */
    const struct srv_config *cfg;
    char *db_path;
    struct srv_cache *cache;
    struct srv_live *live;
    struct srv_warm *warm;
    struct srv_metrics *metrics;
    sqlite3 *db;
    struct srv_reserve *reserve; /* room for state writes on a full disk */
    bool stopping, closed;

    pthread_mutex_t qlock;
    struct cmd *qhead, *qtail;

    struct queued *queued; /* FIFO of scans to run */
    size_t n_queued, cap_queued;
    struct ie_confine confine; /* scan.allowed_roots, resolved: no scan reads outside */
    struct running *run;
};

char *srv_scan_dir(const struct srv_config *cfg, const char *id)
{
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_addf(&b, "%s/scans/%s", cfg->data_dir, id);
    return ie_buf_detach(&b);
}

/* ---- the running scan ---- */

static void start_next(struct srv_jobs *j);

/* ---- scan states into SQLite, retried while it refuses them ---- */

static struct unrecorded **unrecorded_find(struct srv_jobs *j, const char *id)
{
    struct unrecorded **u = &j->unrecorded;
    while (*u && strcmp((*u)->id, id) != 0)
        u = &(*u)->next;
    return u;
}

static void unrecorded_drop(struct srv_jobs *j, const char *id)
{
    struct unrecorded **l = unrecorded_find(j, id), *u = *l;
    if (!u)
        return;
    *l = u->next;
    free(u->id);
    free(u->status);
    free(u->error);
    free(u);
}

static void retry_cb(uv_timer_t *t);

/* Runs the retry timer (unless stopping): it writes the unrecorded states again, then takes
 * the reserve again, every second until both are done. */
static void retry_later(struct srv_jobs *j)
{
    if (!j->stopping && !uv_is_active((uv_handle_t *)&j->retry))
        uv_timer_start(&j->retry, retry_cb, 1000, 1000);
}

/* True if the last write failed on a full disk and giving up the reserve made room for
 * another try (the retry timer takes it again later). */
static bool room_made(struct srv_jobs *j)
{
    if (sqlite3_errcode(j->db) != SQLITE_FULL || !srv_reserve_release(j->reserve))
        return false;
    retry_later(j);
    return true;
}

/* Writes u's progress, then its status. The reserve is given up only for how a scan ended:
 * room made for a progress or a start would go to the running scan's manifest at once. */
static int record(struct srv_jobs *j, const struct unrecorded *u, struct ie_err *err)
{
    bool ended =
        u->status && (strcmp(u->status, "succeeded") == 0 || strcmp(u->status, "failed") == 0 ||
                      strcmp(u->status, "cancelled") == 0);
    for (int attempt = 0;; attempt++) {
        int rc = 0;
        if (u->has_progress)
            rc = srv_store_set_progress(j->db, u->id, &u->p, err);
        if (rc == 0 && u->status)
            rc = srv_store_set_status(j->db, u->id, u->status, u->error, err);
        if (rc == 0 || attempt > 0 || !ended || !room_made(j))
            return rc;
    }
}

static void retry_cb(uv_timer_t *t)
{
    struct srv_jobs *j = t->data;
    struct ie_err err = {0};
    for (struct unrecorded *u = j->unrecorded, *next; u; u = next) {
        next = u->next;
        if (record(j, u, &err) < 0)
            continue;
        srv_log(SRV_LOG_INFO, "jobs: recorded the state of scan %s (%s) after %.0f s", u->id,
                u->status ? u->status : "progress", ie_mono_seconds() - u->since);
        unrecorded_drop(j, u->id);
    }
    if (!j->unrecorded && srv_reserve_take(j->reserve))
        uv_timer_stop(&j->retry);
}

/* Records scan id's status (unless NULL) and progress (unless NULL) in SQLite, after what is
 * still unrecorded of it: on failure they are kept for the retry timer. */
static void record_state(struct srv_jobs *j, const char *id, const char *status, const char *error,
                         const struct ie_scan_progress *p)
{
    struct ie_err err = {0};
    struct unrecorded **l = unrecorded_find(j, id), *u = *l;
    bool fresh = !u;
    if (fresh) {
        u = *l = ie_xcalloc(1, sizeof(*u));
        u->id = ie_xstrdup(id);
        u->since = ie_mono_seconds();
    }
    if (status) {
        free(u->status);
        free(u->error);
        u->status = ie_xstrdup(status);
        u->error = error ? ie_xstrdup(error) : NULL;
    }
    if (p) {
        u->p = *p;
        u->has_progress = true;
    }
    if (record(j, u, &err) == 0) {
        unrecorded_drop(j, id);
        return;
    }
    if (fresh)
        srv_log(SRV_LOG_ERROR,
                "jobs: cannot record the state of scan %s (%s) in the database: %s; kept, and "
                "written again every second",
                id, status ? status : "progress", err.msg);
    retry_later(j);
}

static void set_status(struct srv_jobs *j, const char *id, const char *status, const char *error)
{
    srv_live_set_status(j->live, id, status, error);
    record_state(j, id, status, error, NULL);
}

/* The status this runner last gave the scan (live.c), which SQLite may not hold yet. */
/* Loads scan id for a command: its row and its status (srv_live_status), or NULL with c's
 * error set. */
static const char *load_scan(struct srv_jobs *j, struct cmd *c, const char *id,
                             struct srv_scan_row *row, struct srv_job_state *st)
{
    if ((c->rc = srv_store_get_scan(j->db, id, row, &c->err)) < 0)
        return NULL;
    return srv_live_status(j->live, row->id, row->status, st);
}

static void finish_running(struct srv_jobs *j)
{
    struct running *r = j->run;
    j->run = NULL;
    if (r->runner)
        eng_runner_free(r->runner);
    ie_scan_free(r->scan);
    eng_s3_source_free(r->src);
    free(r->manifest_path);
    free(r->root);
    free(r->seed);
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
    /* Without its classes the scan is still whole: the class filter then offers none. */
    struct ie_err cerr = {0};
    if (iw->rc == 0 && srv_store_index_classes(db, r->id, r->root, &cerr) < 0)
        srv_log(SRV_LOG_WARN, "jobs: scan %s: no image classes: %s", r->id, cerr.msg);
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
        srv_warm_queue(j->warm, j->run->id, &iw->m);
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
    srv_live_set(j->live, j->run->id, NULL, p);
    if (checkpointed)
        record_state(j, j->run->id, NULL, NULL, p);
}

static void on_done(int status, const struct ie_err *e, void *ud)
{
    struct srv_jobs *j = ud;
    struct running *r = j->run;
    struct ie_scan_progress p;
    ie_scan_get_progress(r->scan, &p);
    record_state(j, r->id, NULL, NULL, &p);
    srv_metrics_scan_ended(j->metrics, &p, status);
    srv_live_set(j->live, r->id, NULL, &p);
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

/* Copies a rescan's seed (the previous version's manifest) to its own manifest path through a
 * temporary name, so that the resume plan keeps the records of unchanged files and the previous
 * version's file is never appended to. Only when the new version has no manifest yet: a rescan
 * that was interrupted resumes its own. A failed copy only costs time (every file is read). */
static void seed_manifest(struct running *r)
{
    struct ie_buf tmp;
    FILE *in = NULL, *out = NULL;
    char buf[1 << 16];
    size_t n;
    bool ok = true;
    if (!r->seed || access(r->manifest_path, F_OK) == 0)
        return;
    ie_buf_init(&tmp);
    ie_buf_addf(&tmp, "%s.seed.tmp", r->manifest_path);
    if (!(in = fopen(r->seed, "rb")) || !(out = fopen(tmp.data, "wb"))) {
        ok = false;
        goto out;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            ok = false;
            break;
        }
    ok = ok && !ferror(in);
out:
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    if (!ok || rename(tmp.data, r->manifest_path) < 0) {
        srv_log(SRV_LOG_WARN, "jobs: scan %s: cannot start from %s (%s); reading every file", r->id,
                r->seed, strerror(errno));
        unlink(tmp.data);
    }
    ie_buf_release(&tmp);
}

static void open_work_cb(uv_work_t *w)
{
    struct running *r = w->data;
    seed_manifest(r);
    /* Discovery of a large tree (or a bucket's listing) takes seconds: it runs here, not on
     * the loop. A bucket root is checked against scan.allowed_roots again at every start, as
     * discovery checks a folder. */
    struct ie_scan_options o = r->opts;
    if (eng_s3_is_url(r->root) && !srv_bucket_allowed(r->j->cfg, r->root)) {
        r->open_rc =
            ie_err_set(&r->open_err, IE_EPERM, "%s is outside scan.allowed_roots", r->root);
        return;
    }
    r->open_rc = eng_runner_open(r->root, r->manifest_path, &o, &r->scan, &r->src, &r->open_err);
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
    /* Discovery's warnings (unreadable folders, links skipped by the confinement) and resume
     * decisions go to the log. */
    const char *const *notes;
    size_t n_notes = ie_scan_notes(r->scan, &notes);
    for (size_t i = 0; i < n_notes; i++)
        srv_log(SRV_LOG_INFO, "jobs: scan %s: %s", r->id, notes[i]);
    if (j->stopping || r->cancel_requested) {
        set_status(j, r->id, j->stopping && !r->cancel_requested ? "queued" : "cancelled", NULL);
        finish_running(j);
        return;
    }
    struct eng_runner_callbacks cb = {
        .on_progress = on_progress, .on_done = on_done, .ud = j, .progress_interval = 0.25};
    struct ie_scan_progress p;
    ie_scan_get_progress(r->scan, &p);
    srv_live_set(j->live, r->id, NULL, &p);
    record_state(j, r->id, NULL, NULL, &p);
    if (eng_runner_start(j->loop, r->scan, r->src, r->opts.workers, &cb, &r->runner, &err) < 0) {
        set_status(j, r->id, "failed", err.msg);
        finish_running(j);
    }
}

static void start_next(struct srv_jobs *j)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    while (!j->run && !j->stopping && j->n_queued > 0) {
        struct queued q = j->queued[0];
        char *id = q.id;
        memmove(j->queued, j->queued + 1, (j->n_queued - 1) * sizeof(*j->queued));
        j->n_queued--;
        if (srv_store_get_scan(j->db, id, &row, &err) < 0) {
            srv_log(SRV_LOG_WARN, "jobs: queued scan %s vanished: %s", id, err.msg);
            free(q.opts);
            free(q.seed);
            free(id);
            continue;
        }
        struct running *r = ie_xcalloc(1, sizeof(*r));
        r->j = j;
        r->id = id;
        r->root = ie_xstrdup(row.root);
        r->manifest_path = ie_xstrdup(row.manifest_path);
        r->seed = q.seed;
        if (q.opts)
            r->opts = *q.opts;
        free(q.opts);
        if (!q.opts && srv_scan_options_from_json(row.options_json, j->cfg, &r->opts, &err) < 0) {
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
        /* The root is resolved again at every start (a resume, a restart): discovery refuses
         * one that now leads outside scan.allowed_roots, and skips links leading out. */
        r->opts.confine = &j->confine;
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
        rmdir(dir); /* still empty; e.g. a full disk refused the row */
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

static void enqueue(struct srv_jobs *j, const char *id, const struct ie_scan_options *opts,
                    const char *seed)
{
    struct ie_scan_options *copy = NULL;
    if (opts) {
        copy = ie_xmalloc(sizeof(*copy));
        *copy = *opts;
    }
    ie_grow((void **)&j->queued, &j->cap_queued, j->n_queued + 1, sizeof(*j->queued));
    j->queued[j->n_queued++] =
        (struct queued){ie_xstrdup(id), copy, seed ? ie_xstrdup(seed) : NULL};
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

static void cmd_create(struct srv_jobs *j, struct cmd *c)
{
    c->rc = insert_row(j, c->u.create.root, c->u.create.name, c->u.create.options_json, false,
                       "queued", &c->id_out, NULL, &c->err);
    if (c->rc == 0) {
        enqueue(j, c->id_out, c->u.create.opts, NULL);
        start_next(j);
    }
}

static void cmd_import(struct srv_jobs *j, struct cmd *c)
{
    /* Only the row and the file here; the HTTP thread indexes the records (possibly 10^6
     * of them) on its own connection, so the loop never waits on an upload. */
    char *dir = NULL;
    c->rc = insert_row(j, "", c->u.import.name, "{}", true, "running", &c->id_out, &dir, &c->err);
    if (c->rc < 0)
        return;
    struct ie_buf dst;
    ie_buf_init(&dst);
    ie_buf_addf(&dst, "%s/manifest.jsonl", dir);
    if (rename(c->u.import.manifest_tmp_path, dst.data) < 0) {
        c->rc = ie_err_set(&c->err, IE_EIO, "cannot store manifest: %s", strerror(errno));
        srv_store_delete_scan(j->db, c->id_out, NULL);
        rm_rf(dir);
        free(c->id_out);
        c->id_out = NULL;
    }
    ie_buf_release(&dst);
    free(dir);
}

static void cmd_cancel(struct srv_jobs *j, struct cmd *c)
{
    const char *id = c->u.cancel.id;
    struct srv_scan_row row = {0};
    struct srv_job_state st;
    const char *status;
    if (!(status = load_scan(j, c, id, &row, &st)))
        goto out;
    if (j->run && strcmp(j->run->id, id) == 0) {
        j->run->cancel_requested = true;
        if (j->run->runner)
            eng_runner_cancel(j->run->runner);
    } else if (strcmp(status, "queued") == 0) {
        for (size_t i = 0; i < j->n_queued; i++)
            if (strcmp(j->queued[i].id, id) == 0) {
                free(j->queued[i].id);
                free(j->queued[i].opts);
                free(j->queued[i].seed);
                memmove(j->queued + i, j->queued + i + 1,
                        (j->n_queued - i - 1) * sizeof(*j->queued));
                j->n_queued--;
                break;
            }
        set_status(j, id, "cancelled", NULL);
    } else {
        c->rc = ie_err_set(&c->err, IE_ESTATE,
                           "scan %s is %s; only queued or running scans "
                           "can be cancelled",
                           id, status);
    }
out:
    srv_scan_row_release(&row);
}

static void cmd_resume(struct srv_jobs *j, struct cmd *c)
{
    const char *id = c->u.resume.id;
    struct srv_scan_row row = {0};
    struct srv_job_state st;
    const char *status;
    if (!(status = load_scan(j, c, id, &row, &st)))
        goto out;
    if (row.imported || !(strcmp(status, "cancelled") == 0 || strcmp(status, "failed") == 0 ||
                          strcmp(status, "succeeded") == 0)) {
        c->rc =
            ie_err_set(&c->err, IE_ESTATE, "scan %s is %s%s; only finished scans can be resumed",
                       id, status, row.imported ? " (imported)" : "");
        goto out;
    }
    /* Its warm-up would read a manifest the resumed scan rewrites. */
    srv_warm_cancel(j->warm, id);
    set_status(j, id, "queued", NULL);
    enqueue(j, id, NULL, NULL);
    start_next(j);
out:
    srv_scan_row_release(&row);
}

static void cmd_rescan(struct srv_jobs *j, struct cmd *c)
{
    const char *id = c->u.rescan.id;
    struct srv_scan_row row = {0};
    struct srv_job_state st;
    const char *status;
    if (!(status = load_scan(j, c, id, &row, &st)))
        goto out;
    if (row.imported || strcmp(status, "succeeded") != 0) {
        c->rc = ie_err_set(&c->err, IE_ESTATE,
                           "scan %s is %s%s; only a succeeded scan can be rescanned (resume a "
                           "cancelled or failed one)",
                           id, status, row.imported ? " (imported)" : "");
        goto out;
    }
    /* A new version of the same root with the same name and options; the old one stays. */
    c->rc = insert_row(j, row.root, row.name, row.options_json, false, "queued", &c->id_out, NULL,
                       &c->err);
    if (c->rc == 0) {
        enqueue(j, c->id_out, NULL, row.manifest_path);
        start_next(j);
    }
out:
    srv_scan_row_release(&row);
}

static void cmd_delete(struct srv_jobs *j, struct cmd *c)
{
    const char *id = c->u.delete.id;
    struct srv_scan_row row = {0};
    struct srv_job_state st;
    const char *status;
    char prefix[64], *dir = NULL;
    if (!(status = load_scan(j, c, id, &row, &st)))
        goto out;
    if (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0) {
        c->rc = ie_err_set(&c->err, IE_ESTATE, "scan %s is %s; cancel it before deleting it", id,
                           status);
        goto out;
    }
    /* First (deleting 10^5 rows takes a while), and anyway before the keys are dropped,
     * so the warm-up cannot put them back. */
    srv_warm_cancel(j->warm, id);
    dir = srv_scan_dir(j->cfg, id);
    c->rc = srv_store_delete_scan(j->db, id, &c->err);
    if (c->rc < 0 && sqlite3_errcode(j->db) == SQLITE_FULL) {
        /* A full disk: the scan's files go first, then the reserve if that was not room
         * enough (a DELETE that still fails leaves a row without files; the next one removes
         * it). */
        rm_rf(dir);
        c->rc = srv_store_delete_scan(j->db, id, &c->err);
        if (c->rc < 0 && room_made(j))
            c->rc = srv_store_delete_scan(j->db, id, &c->err);
    }
    if (c->rc < 0)
        goto out;
    rm_rf(dir);
    unrecorded_drop(j, id);
    srv_live_forget(j->live, id);
    snprintf(prefix, sizeof(prefix), "%s|", id);
    srv_cache_drop_prefix(j->cache, prefix);
out:
    free(dir);
    srv_scan_row_release(&row);
}

static void run_cmd(struct srv_jobs *j, struct cmd *c)
{
    c->rc = 0;
    switch (c->type) {
    case CMD_CREATE:
        cmd_create(j, c);
        break;
    case CMD_IMPORT:
        cmd_import(j, c);
        break;
    case CMD_CANCEL:
        cmd_cancel(j, c);
        break;
    case CMD_RESUME:
        cmd_resume(j, c);
        break;
    case CMD_RESCAN:
        cmd_rescan(j, c);
        break;
    case CMD_DELETE:
        cmd_delete(j, c);
        break;
    case CMD_WARM:
        srv_warm_queue(j->warm, c->u.warm.id, c->u.warm.m);
        break;
    }
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
            c->rc = ie_err_set(&c->err, IE_ECANCELED, "imgedad is shutting down");
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
        return ie_err_set(err, IE_ECANCELED, "imgedad is shutting down");
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
                    const struct ie_scan_options *o, const char *options_json, char **id,
                    struct ie_err *err)
{
    struct cmd c = {
        .type = CMD_CREATE,
        .u.create = {.root = root, .name = name, .options_json = options_json, .opts = o}};
    int rc = submit(j, &c, err);
    *id = c.id_out;
    return rc;
}

int srv_jobs_import(struct srv_jobs *j, const char *manifest_tmp_path, const char *name, char **id,
                    struct ie_err *err)
{
    struct cmd c = {.type = CMD_IMPORT,
                    .u.import = {.manifest_tmp_path = manifest_tmp_path, .name = name}};
    int rc = submit(j, &c, err);
    *id = c.id_out;
    return rc;
}

int srv_jobs_cancel(struct srv_jobs *j, const char *id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_CANCEL, .u.cancel.id = id};
    return submit(j, &c, err);
}

int srv_jobs_resume(struct srv_jobs *j, const char *id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_RESUME, .u.resume.id = id};
    return submit(j, &c, err);
}

int srv_jobs_rescan(struct srv_jobs *j, const char *id, char **new_id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_RESCAN, .u.rescan.id = id};
    int rc = submit(j, &c, err);
    *new_id = c.id_out;
    return rc;
}

int srv_jobs_delete(struct srv_jobs *j, const char *id, struct ie_err *err)
{
    struct cmd c = {.type = CMD_DELETE, .u.delete.id = id};
    return submit(j, &c, err);
}

int srv_jobs_warm(struct srv_jobs *j, const char *id, struct ie_manifest *m, struct ie_err *err)
{
    struct cmd c = {.type = CMD_WARM, .u.warm = {.id = id, .m = m}};
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
    j->live = ctx->live;
    j->warm = ctx->warm;
    j->metrics = ctx->metrics;
    pthread_mutex_init(&j->qlock, NULL);
    ie_confine_init(&j->confine, (const char *const *)ctx->cfg->allowed_roots,
                    (size_t)ctx->cfg->n_allowed_roots);
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
    uv_timer_init(loop, &j->retry);
    j->retry.data = j;
    j->reserve = srv_reserve_new(ctx->cfg->data_dir, SRV_RESERVE_BYTES);
    if (!srv_reserve_take(j->reserve))
        retry_later(j);
    for (size_t i = 0; i < n; i++) {
        srv_log(SRV_LOG_INFO, "jobs: resuming scan %s left unfinished", ids[i]);
        set_status(j, ids[i], "queued", NULL);
        enqueue(j, ids[i], NULL, NULL);
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

static void handle_closed(uv_handle_t *h)
{
    (void)h;
}

void srv_jobs_stop(struct srv_jobs *j)
{
    if (j->stopping)
        return;
    j->stopping = true;
    /* Refuse new commands, then answer those queued: in this order no command can slip in
     * after the last drain and leave its HTTP thread waiting for a loop that has stopped (the
     * HTTP stop joins that thread). Then wake whoever waits on a scan's state. */
    pthread_mutex_lock(&j->qlock);
    j->closed = true;
    pthread_mutex_unlock(&j->qlock);
    async_cb(&j->async);
    srv_live_close(j->live);
    if (j->run && j->run->runner)
        eng_runner_cancel(j->run->runner);
    srv_warm_stop(j->warm);
    uv_close((uv_handle_t *)&j->async, handle_closed);
    /* States still unrecorded get a last try in srv_jobs_free. */
    uv_close((uv_handle_t *)&j->retry, handle_closed);
}

void srv_jobs_free(struct srv_jobs *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_queued; i++) {
        free(j->queued[i].id);
        free(j->queued[i].opts);
        free(j->queued[i].seed);
    }
    free(j->queued);
    ie_confine_release(&j->confine);
    while (j->unrecorded) {
        struct ie_err err = {0};
        struct unrecorded *u = j->unrecorded;
        if (record(j, u, &err) < 0)
            srv_log(SRV_LOG_ERROR,
                    "jobs: the state of scan %s (%s) is not in the database (%s); the next start "
                    "resumes the scan if the database still says it runs",
                    u->id, u->status ? u->status : "progress", err.msg);
        unrecorded_drop(j, u->id);
    }
    srv_reserve_free(j->reserve);
    srv_db_close(j->db);
    pthread_mutex_destroy(&j->qlock);
    free(j->db_path);
    free(j);
}
