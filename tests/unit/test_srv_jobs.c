/* The job runner on a real libuv loop with a real SQLite file and real images: a scan created
 * runs to success; cancel keeps what is done and resume finishes it; delete removes the scan and
 * its files; a scan left running by a stop is resumed by the next runner (restart recovery);
 * commands on unknown or finished scans fail clearly; a stop releases waiters and refuses
 * commands at once. The loop runs on the test's main thread, a client thread issues the
 * commands (as HTTP threads do), and every test ends with the loop closed cleanly
 * (uv_loop_close returns 0) and everything freed. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "cache.h"
#include "db.h"
#include "helpers.h"
#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "live.h"
#include "metrics.h"
#include "store.h"
#include "warm.h"

struct rig {
    char *dir, *data, *var, *db_path;
    struct srv_config cfg;
    struct srv_ctx ctx;
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t client;
    void (*scenario)(struct rig *);
    bool stop_sent; /* the scenario stopped the runner itself */
};

static void setup(void)
{
    struct ie_err err = {0};
    cr_assert_eq(ie_init("test_srv_jobs", &err), 0, "%s", err.msg);
}

/* A folder of n images: hard links of the sample's snow.png (analysis is quick and real). */
static void make_images(const char *dir, int n)
{
    char src[4096], dst[4096];
    const char *fx = getenv("IE_FIXTURES");
    snprintf(src, sizeof(src), "%s/sample/snow.png", fx ? fx : "tests/fixtures");
    cr_assert_eq(mkdir(dir, 0755), 0);
    for (int i = 0; i < n; i++) {
        snprintf(dst, sizeof(dst), "%s/img_%04d.png", dir, i);
        cr_assert_eq(link(src, dst), 0, "cannot link %s", dst);
    }
}

static void rig_open(struct rig *g, int n_images)
{
    struct ie_err err = {0};
    memset(g, 0, sizeof(*g));
    g->dir = th_tempdir();
    g->data = th_path(g->dir, "data");
    g->var = th_path(g->dir, "var");
    make_images(g->data, n_images);
    cr_assert_eq(mkdir(g->var, 0755), 0);
    g->db_path = th_path(g->var, "imgedad.db");
    srv_config_init(&g->cfg);
    cr_assert_eq(srv_config_set(&g->cfg, "data_dir", g->var, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_config_set(&g->cfg, "scan.allowed_roots", g->dir, &err), 0);
    cr_assert_eq(srv_config_set(&g->cfg, "scan.workers", "2", &err), 0);
    /* The test binary is no imgedad: analyse in-process (isolation has its own tests). */
    cr_assert_eq(srv_config_set(&g->cfg, "scan.isolate", "false", &err), 0);
    cr_assert_eq(srv_config_set(&g->cfg, "scan.checkpoint_every", "20", &err), 0);
    cr_assert_eq(srv_config_validate(&g->cfg, &err), 0, "%s", err.msg);
}

static void rig_close(struct rig *g)
{
    srv_config_release(&g->cfg);
    th_rmrf(g->dir);
    free(g->dir);
    free(g->data);
    free(g->var);
    free(g->db_path);
}

static void stop_cb(uv_async_t *h)
{
    struct rig *g = h->data;
    srv_jobs_stop(g->ctx.jobs);
    uv_close((uv_handle_t *)h, NULL);
}

static void *client_main(void *arg)
{
    struct rig *g = arg;
    g->scenario(g);
    if (!g->stop_sent)
        uv_async_send(&g->stop);
    return NULL;
}

/* Runs one job runner over the rig's database until the scenario is done, then checks the loop
 * closes with nothing left. */
static void run_jobs(struct rig *g, void (*scenario)(struct rig *))
{
    struct ie_err err = {0};
    cr_assert_eq(uv_loop_init(&g->loop), 0);
    g->ctx = (struct srv_ctx){.cfg = &g->cfg,
                              .db_path = g->db_path,
                              .cache = srv_cache_new(SRV_CACHE_DEFAULT_BYTES),
                              .live = srv_live_new(),
                              .metrics = srv_metrics_new()};
    g->ctx.warm = srv_warm_new(&g->loop, g->db_path, g->ctx.cache, g->ctx.metrics);
    cr_assert_eq(srv_jobs_new(&g->loop, &g->ctx, &g->ctx.jobs, &err), 0, "%s", err.msg);
    uv_async_init(&g->loop, &g->stop, stop_cb);
    g->stop.data = g;
    g->scenario = scenario;
    cr_assert_eq(pthread_create(&g->client, NULL, client_main, g), 0);
    uv_run(&g->loop, UV_RUN_DEFAULT);
    pthread_join(g->client, NULL);
    srv_jobs_free(g->ctx.jobs);
    srv_warm_free(g->ctx.warm);
    srv_live_free(g->ctx.live);
    srv_metrics_free(g->ctx.metrics);
    srv_cache_free(g->ctx.cache);
    cr_assert_eq(uv_loop_close(&g->loop), 0, "the loop closes with no handle left");
}

/* Reads a scan's row through a connection of this (client) thread. */
static void get_row(struct rig *g, const char *id, struct srv_scan_row *row)
{
    struct ie_err err = {0};
    sqlite3 *db = NULL;
    cr_assert_eq(srv_db_open(g->db_path, &db, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(db, id, row, &err), 0, "%s", err.msg);
    srv_db_close(db);
}

/* Waits (up to 60 s) until the scan's stored status is want. */
static void wait_status(struct rig *g, const char *id, const char *want)
{
    struct srv_scan_row row = {0};
    for (int i = 0; i < 3000; i++) {
        get_row(g, id, &row);
        bool done = strcmp(row.status, want) == 0;
        srv_scan_row_release(&row);
        if (done)
            return;
        usleep(20000);
    }
    get_row(g, id, &row);
    cr_assert_fail("scan %s is %s, not %s (%s)", id, row.status, want, row.error ? row.error : "");
}

static char *create(struct rig *g, const char *json)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    char *id = NULL;
    cr_assert_eq(srv_scan_options_from_json(json, &g->cfg, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_jobs_create(g->ctx.jobs, g->data, "t", &o, json, &id, &err), 0, "%s", err.msg);
    return id;
}

static void scenario_create_and_delete(struct rig *g)
{
    struct ie_err err = {0};
    struct srv_scan_row row = {0};
    char *id = create(g, "{\"dark_threshold\": 50}");
    wait_status(g, id, "succeeded");
    get_row(g, id, &row);
    cr_expect_eq(row.total, 12);
    cr_expect_eq(row.processed, 12);
    cr_expect_str_eq(row.options_json, "{\"dark_threshold\": 50}", "stored for restarts");
    cr_expect(access(row.manifest_path, R_OK) == 0);
    char *scan_dir = srv_scan_dir(&g->cfg, id);
    srv_scan_row_release(&row);

    cr_expect_eq(srv_jobs_cancel(g->ctx.jobs, id, &err), IE_ESTATE, "a finished scan");
    cr_expect_eq(srv_jobs_delete(g->ctx.jobs, id, &err), 0, "%s", err.msg);
    cr_expect(access(scan_dir, F_OK) != 0, "the scan's folder is gone");
    cr_expect_eq(srv_jobs_resume(g->ctx.jobs, id, &err), IE_ENOENT);
    cr_expect(strstr(err.msg, id), "%s", err.msg);
    free(scan_dir);
    free(id);
}

Test(jobs, a_created_scan_succeeds_and_delete_removes_it, .init = setup, .fini = ie_shutdown)
{
    struct rig g;
    rig_open(&g, 12);
    run_jobs(&g, scenario_create_and_delete);
    rig_close(&g);
}

static void scenario_cancel_resume(struct rig *g)
{
    struct ie_err err = {0};
    struct srv_scan_row row = {0};
    char *id = create(g, NULL);
    cr_assert_eq(srv_jobs_cancel(g->ctx.jobs, id, &err), 0, "%s", err.msg);
    wait_status(g, id, "cancelled");
    get_row(g, id, &row);
    cr_expect_lt(row.processed, 400, "cancelled before the end");
    srv_scan_row_release(&row);
    cr_assert_eq(srv_jobs_resume(g->ctx.jobs, id, &err), 0, "%s", err.msg);
    wait_status(g, id, "succeeded");
    get_row(g, id, &row);
    cr_expect_eq(row.processed, 400);
    srv_scan_row_release(&row);
    free(id);
}

Test(jobs, cancel_keeps_what_is_done_and_resume_finishes, .init = setup, .fini = ie_shutdown)
{
    struct rig g;
    rig_open(&g, 400);
    run_jobs(&g, scenario_cancel_resume);
    rig_close(&g);
}

static char *interrupted_id;

/* Starts a long scan and stops the runner while it runs (as SIGTERM does). */
static void scenario_start_and_stop(struct rig *g)
{
    interrupted_id = create(g, NULL);
    wait_status(g, interrupted_id, "running");
}

static void scenario_recovered(struct rig *g)
{
    wait_status(g, interrupted_id, "succeeded");
}

Test(jobs, a_scan_stopped_while_running_is_resumed_by_the_next_runner, .init = setup,
     .fini = ie_shutdown)
{
    struct rig g;
    struct srv_scan_row row = {0};
    rig_open(&g, 600);
    run_jobs(&g, scenario_start_and_stop);
    get_row(&g, interrupted_id, &row);
    cr_expect(strcmp(row.status, "queued") == 0 || strcmp(row.status, "succeeded") == 0,
              "a stop leaves a running scan queued for the next start, not %s", row.status);
    srv_scan_row_release(&row);
    run_jobs(&g, scenario_recovered);
    get_row(&g, interrupted_id, &row);
    cr_expect_eq(row.processed, 600);
    srv_scan_row_release(&row);
    free(interrupted_id);
    rig_close(&g);
}

/* Stops the runner while a scan runs, as SIGTERM does while HTTP threads still work: whoever
 * waits on a scan's state is released for good, and commands are refused at once as
 * IE_ECANCELED (a 503 for the API) instead of waiting for a loop that is stopping. */
static void scenario_stop_under_requests(struct rig *g)
{
    struct ie_err err = {0};
    char *id = create(g, NULL), *other = NULL;
    wait_status(g, id, "running");
    g->stop_sent = true;
    uv_async_send(&g->stop);
    double t0 = ie_mono_seconds();
    srv_live_wait(g->ctx.live, UINT64_MAX, 10000);
    cr_expect(srv_live_closed(g->ctx.live), "the stop closes the live state");
    cr_expect_lt(ie_mono_seconds() - t0, 5.0, "a waiter is woken by the stop, not its timeout");
    cr_expect_eq(srv_jobs_cancel(g->ctx.jobs, id, &err), IE_ECANCELED);
    cr_expect_str_eq(err.msg, "imgedad is shutting down");
    struct ie_scan_options o;
    cr_assert_eq(srv_scan_options_from_json("{}", &g->cfg, &o, &err), 0, "%s", err.msg);
    cr_expect_eq(srv_jobs_create(g->ctx.jobs, g->data, "t", &o, "{}", &other, &err), IE_ECANCELED);
    cr_expect_null(other);
    free(id);
}

Test(jobs, a_stop_releases_waiters_and_refuses_commands, .init = setup, .fini = ie_shutdown)
{
    struct rig g;
    rig_open(&g, 400);
    run_jobs(&g, scenario_stop_under_requests);
    rig_close(&g);
}
