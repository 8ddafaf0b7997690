/* The pool of SQLite connections the HTTP threads borrow from, on a real file: bounded, lazy,
 * waiting and timing out, each connection's statements travelling with it between threads,
 * and a connection given back clean. Every test frees its pool and removes its temp dir. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "helpers.h"
#include "imgeda/util.h"

struct fx {
    char *dir, *db_path;
    struct srv_db_pool *pool;
};
static struct fx F;

static void fx_open(void)
{
    F.dir = th_tempdir();
    F.db_path = th_path(F.dir, "imgedad.db");
}

static void fx_close(void)
{
    srv_db_pool_free(F.pool);
    th_rmrf(F.dir);
    free(F.dir);
    free(F.db_path);
    memset(&F, 0, sizeof(F));
}

TestSuite(db_pool, .init = fx_open, .fini = fx_close);

/* This process's open file descriptors. */
static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A thread that borrows a connection, optionally prepares a cached statement (its address in
 * stmt), holds it until told, and gives it back. */
struct borrower {
    struct srv_db_pool *pool;
    int wait_ms;
    int rc;
    sqlite3 *db;
    sqlite3_stmt *stmt;
    bool prepare;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool got, release;
};

static void *borrow(void *arg)
{
    struct borrower *b = arg;
    struct ie_err err = {0};
    b->rc = srv_db_pool_get(b->pool, b->wait_ms, &b->db, &err);
    if (b->rc == 0 && b->prepare && srv_db_prepare_cached(b->db, "SELECT 42", &b->stmt, &err) == 0)
        srv_db_done(b->stmt);
    pthread_mutex_lock(&b->mu);
    b->got = true;
    pthread_cond_broadcast(&b->cv);
    while (b->rc == 0 && !b->release)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    if (b->rc == 0)
        srv_db_pool_put(b->pool, b->db);
    return NULL;
}

/* Starts a borrower's thread without waiting for its connection. */
static void spawn_borrower(struct borrower *b, pthread_t *t, int wait_ms, bool prepare)
{
    memset(b, 0, sizeof(*b));
    b->pool = F.pool;
    b->wait_ms = wait_ms;
    b->prepare = prepare;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    cr_assert_eq(pthread_create(t, NULL, borrow, b), 0);
}

/* Waits until a borrower has its connection (or its refusal). */
static void await_borrower(struct borrower *b)
{
    pthread_mutex_lock(&b->mu);
    while (!b->got)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
}

static void start_borrower(struct borrower *b, pthread_t *t, int wait_ms, bool prepare)
{
    spawn_borrower(b, t, wait_ms, prepare);
    await_borrower(b);
}

static void finish_borrower(struct borrower *b, pthread_t t)
{
    pthread_mutex_lock(&b->mu);
    b->release = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(t, NULL);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

Test(db_pool, opens_connections_only_as_needed_and_reuses_them)
{
    struct ie_err err = {0};
    sqlite3 *db = NULL;
    F.pool = srv_db_pool_new(F.db_path, 4);
    cr_expect_eq(srv_db_pool_open_count(F.pool), 0, "nothing is opened before it is needed");
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(srv_db_pool_get(F.pool, 0, &db, &err), 0, "%s", err.msg);
        cr_assert_eq(srv_db_exec(db, "CREATE TABLE IF NOT EXISTS t(x)", &err), 0, "%s", err.msg);
        srv_db_pool_put(F.pool, db);
    }
    cr_expect_eq(srv_db_pool_open_count(F.pool), 1, "one borrower after another share one");
}

Test(db_pool, is_bounded_waits_for_a_connection_and_times_out)
{
    struct borrower a, b, c;
    pthread_t ta, tb, tc;
    F.pool = srv_db_pool_new(F.db_path, 2);
    start_borrower(&a, &ta, 0, false);
    start_borrower(&b, &tb, 0, false);
    cr_assert_eq(a.rc, 0);
    cr_assert_eq(b.rc, 0);
    cr_expect_neq(a.db, b.db, "two borrowers at once get two connections");
    double t0 = ie_mono_seconds();
    start_borrower(&c, &tc, 200, false);
    double waited = ie_mono_seconds() - t0;
    cr_expect_eq(c.rc, IE_EIO, "a third borrower of a pool of 2 times out");
    cr_expect(waited >= 0.19 && waited < 5, "it waited its 200 ms (%.3f s)", waited);
    finish_borrower(&c, tc);
    cr_expect_eq(srv_db_pool_open_count(F.pool), 2, "never more than the pool's size");
    /* One waiting when another gives its connection back gets that one. */
    struct borrower d;
    pthread_t td;
    spawn_borrower(&d, &td, 10000, false);
    usleep(100000);
    pthread_mutex_lock(&d.mu);
    bool early = d.got;
    pthread_mutex_unlock(&d.mu);
    cr_expect(!early, "a fourth borrower waits while both are lent");
    finish_borrower(&a, ta);
    await_borrower(&d);
    cr_expect_eq(d.rc, 0);
    cr_expect_eq(d.db, a.db, "the connection given back is lent again");
    finish_borrower(&b, tb);
    finish_borrower(&d, td);
    cr_expect_eq(srv_db_pool_open_count(F.pool), 2);
}

Test(db_pool, a_thread_holds_at_most_one_connection)
{
    struct ie_err err = {0};
    sqlite3 *db = NULL, *db2 = NULL;
    F.pool = srv_db_pool_new(F.db_path, 4);
    cr_assert_eq(srv_db_pool_get(F.pool, 0, &db, &err), 0, "%s", err.msg);
    cr_expect_eq(srv_db_pool_get(F.pool, 0, &db2, &err), IE_ESTATE);
    cr_expect(strstr(err.msg, "already holds") != NULL, "%s", err.msg);
    srv_db_pool_put(F.pool, db);
}

Test(db_pool, cached_statements_travel_with_their_connection)
{
    struct borrower a;
    pthread_t ta;
    struct ie_err err = {0};
    sqlite3 *db = NULL;
    sqlite3_stmt *again = NULL;
    F.pool = srv_db_pool_new(F.db_path, 1);
    start_borrower(&a, &ta, 0, true);
    finish_borrower(&a, ta); /* the thread is gone; its connection and statement are not */
    cr_assert_eq(a.rc, 0);
    cr_assert_not_null(a.stmt);
    cr_assert_eq(srv_db_pool_get(F.pool, 0, &db, &err), 0, "%s", err.msg);
    cr_expect_eq(db, a.db);
    cr_assert_eq(srv_db_prepare_cached(db, "SELECT 42", &again, &err), 0, "%s", err.msg);
    cr_expect_eq(again, a.stmt, "the statement a thread since gone prepared is a cache hit");
    cr_assert_eq(sqlite3_step(again), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(again, 0), 42);
    srv_db_done(again);
    srv_db_pool_put(F.pool, db);
}

Test(db_pool, a_connection_comes_back_clean)
{
    struct ie_err err = {0};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    F.pool = srv_db_pool_new(F.db_path, 1);
    cr_assert_eq(srv_db_pool_get(F.pool, 0, &db, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_db_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)", &err), 0, "%s",
                 err.msg);
    cr_assert_eq(srv_db_exec(db, "BEGIN", &err), 0, "%s", err.msg);
    cr_assert_eq(srv_db_prepare_cached(db, "SELECT x FROM t", &st, &err), 0, "%s", err.msg);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW); /* left mid-way, as a failing handler might */
    srv_db_pool_put(F.pool, db);
    cr_assert_eq(srv_db_pool_get(F.pool, 0, &db, &err), 0, "%s", err.msg);
    cr_expect(sqlite3_get_autocommit(db), "the transaction left open was rolled back");
    cr_expect(!sqlite3_stmt_busy(st), "the statement left stepping was reset");
    srv_db_pool_put(F.pool, db);
}

Test(db_pool, freeing_closes_every_connection)
{
    int before = open_fds();
    struct borrower a, b, c;
    pthread_t ta, tb, tc;
    F.pool = srv_db_pool_new(F.db_path, 3);
    start_borrower(&a, &ta, 0, false);
    start_borrower(&b, &tb, 0, false);
    start_borrower(&c, &tc, 0, false);
    cr_expect_gt(open_fds(), before);
    finish_borrower(&a, ta);
    finish_borrower(&b, tb);
    finish_borrower(&c, tc);
    srv_db_pool_free(F.pool);
    F.pool = NULL;
    cr_expect_eq(open_fds(), before, "no file of the pool's connections stays open");
}
