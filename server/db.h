/* SQLite connections, a pool of them, and schema migrations.
 * THREADS: a connection is used by one thread at a time: the loop thread and each warm-up open
 * their own; HTTP requests borrow one from a bounded pool (WAL lets readers run while the loop
 * thread writes). */
#ifndef IMGEDA_SERVER_DB_H
#define IMGEDA_SERVER_DB_H

#include <sqlite3.h>

#include "imgeda/err.h"

/* Opens path (creating it) in WAL mode with foreign keys and a busy timeout, with the
 * natural_name collation (numbers in names by value: "img2" before "img10") for sorting names. */
int srv_db_open(const char *path, sqlite3 **out, struct ie_err *err);
/* Applies migrations/NNNN_*.sql above PRAGMA user_version, each in its own transaction.
 * A database newer than this binary is refused. */
int srv_db_migrate(sqlite3 *db, struct ie_err *err);
/* Returns PRAGMA user_version, or -1. */
int srv_db_version(sqlite3 *db);
/* The number of migrations compiled in. */
int srv_db_latest_version(void);
/* Runs SQL without results; fills err with SQLite's message on failure. */
int srv_db_exec(sqlite3 *db, const char *sql, struct ie_err *err);
/* Prepares a statement or fills err. */
int srv_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct ie_err *err);
/* Like srv_db_prepare, but keeps the compiled statement in this thread's cache (keyed by
 * connection and SQL text) for the next call; release it with srv_db_done, never finalize it. */
int srv_db_prepare_cached(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct ie_err *err);
/* Resets a cached statement for reuse, or finalizes an uncached one. NULL is a no-op. */
void srv_db_done(sqlite3_stmt *st);
/* Closes a connection, finalising anything left (and dropping this thread's cached statements
 * of it). Not for a pooled connection. */
void srv_db_close(sqlite3 *db);

/* A bounded set of connections to one database that threads borrow in turn (HTTP requests), so
 * that the number of open connections (and of their file descriptors) never exceeds its size
 * whatever the number of threads. A connection is opened on first need and stays open until
 * the pool is freed; it keeps its own statement cache, which travels with it between threads.
 * THREADS: get and put from any thread, each put from the thread that got the connection; a
 * thread holds at most one pooled connection at a time. */
struct srv_db_pool;
struct srv_db_pool *srv_db_pool_new(const char *path, int size);
/* Closes every connection; none may be checked out. NULL is a no-op. */
void srv_db_pool_free(struct srv_db_pool *p);
/* Checks out a connection into *out: an idle one, a new one while fewer than size are open,
 * or else the first one given back within wait_ms. Fails with IE_EIO when none came back in
 * time or opening failed, IE_ESTATE when this thread already holds one. */
int srv_db_pool_get(struct srv_db_pool *p, int wait_ms, sqlite3 **out, struct ie_err *err);
/* Gives db back (resetting statements left running and rolling back a transaction left open).
 * NULL is a no-op. */
void srv_db_pool_put(struct srv_db_pool *p, sqlite3 *db);
/* The number of connections the pool has open (for tests). */
int srv_db_pool_open_count(struct srv_db_pool *p);

#endif
