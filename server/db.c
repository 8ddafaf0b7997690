/* SQLite connections and migrations (see db.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

extern const struct {
    const char *name;
    const char *sql;
} srv_migrations[];
extern const size_t srv_n_migrations;

int srv_db_exec(sqlite3 *db, const char *sql, struct ie_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = ie_err_set(err, IE_EIO, "database: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

int srv_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct ie_err *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    return 0;
}

int srv_db_open(const char *path, sqlite3 **out, struct ie_err *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        int rc = ie_err_set(err, IE_EIO, "cannot open database %s: %s", path,
                            db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 10000);
    int rc = srv_db_exec(db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                         "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                         err);
    if (rc < 0) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

int srv_db_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

int srv_db_latest_version(void)
{
    return (int)srv_n_migrations;
}

int srv_db_migrate(sqlite3 *db, struct ie_err *err)
{
    int v = srv_db_version(db);
    if (v < 0)
        return ie_err_set(err, IE_EIO, "database: cannot read user_version: %s",
                          sqlite3_errmsg(db));
    if ((size_t)v > srv_n_migrations)
        return ie_err_set(err, IE_EINVAL,
                          "database schema version %d is newer than this imgedad (%zu)", v,
                          srv_n_migrations);
    for (size_t i = (size_t)v; i < srv_n_migrations; i++) {
        char bump[64];
        int rc = srv_db_exec(db, "BEGIN IMMEDIATE", err);
        if (rc < 0)
            return rc;
        rc = srv_db_exec(db, srv_migrations[i].sql, err);
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %zu", i + 1);
        if (rc == 0)
            rc = srv_db_exec(db, bump, err);
        if (rc == 0)
            rc = srv_db_exec(db, "COMMIT", err);
        if (rc < 0) {
            char why[IE_ERR_MSG_MAX];
            snprintf(why, sizeof(why), "%s", err ? err->msg : "");
            srv_db_exec(db, "ROLLBACK", NULL);
            return ie_err_set(err, IE_EIO, "migration %s failed: %s", srv_migrations[i].name, why);
        }
    }
    return 0;
}

/* A small per-thread statement cache: each connection belongs to one thread, so no locks.
 * Parsing and planning a statement costs more than running the indexed lookups the API does. */
#define STMT_CACHE 48

struct cached_stmt {
    sqlite3 *db;
    char *sql;
    sqlite3_stmt *st;
    unsigned long long used;
};

static _Thread_local struct cached_stmt stmt_cache[STMT_CACHE];
static _Thread_local unsigned long long stmt_clock;

int srv_db_prepare_cached(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct ie_err *err)
{
    struct cached_stmt *slot = NULL;
    for (int i = 0; i < STMT_CACHE; i++) {
        struct cached_stmt *c = &stmt_cache[i];
        if (c->st && c->db == db && strcmp(c->sql, sql) == 0) {
            c->used = ++stmt_clock;
            *st = c->st;
            return 0;
        }
        /* Otherwise reuse an empty slot, or else the least recently used one. */
        if (!slot || (slot->st && (!c->st || c->used < slot->used)))
            slot = c;
    }
    sqlite3_stmt *fresh;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &fresh, NULL) != SQLITE_OK)
        return ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    if (slot->st) {
        sqlite3_finalize(slot->st);
        free(slot->sql);
    }
    slot->db = db;
    slot->sql = strdup(sql);
    slot->st = fresh;
    slot->used = ++stmt_clock;
    *st = fresh;
    return 0;
}

void srv_db_done(sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (stmt_cache[i].st == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    }
    sqlite3_finalize(st);
}

void srv_db_close(sqlite3 *db)
{
    if (!db)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (stmt_cache[i].db == db && stmt_cache[i].st) {
            sqlite3_finalize(stmt_cache[i].st);
            free(stmt_cache[i].sql);
            memset(&stmt_cache[i], 0, sizeof(stmt_cache[i]));
        }
    }
    sqlite3_close_v2(db);
}
