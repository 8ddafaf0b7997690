/* SQLite connections and schema migrations.
 * THREADS: a connection belongs to one thread; open one per thread (WAL lets readers run while
 * the loop thread writes). */
#ifndef IMGEDA_SERVER_DB_H
#define IMGEDA_SERVER_DB_H

#include <sqlite3.h>

#include "imgeda/err.h"

/* Opens path (creating it) in WAL mode with foreign keys and a busy timeout. */
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
 * of it). */
void srv_db_close(sqlite3 *db);

#endif
