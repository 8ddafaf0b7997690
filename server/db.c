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
            return ie_err_set(err, IE_EIO, "migration %s failed: %s", srv_migrations[i].name,
                              why);
        }
    }
    return 0;
}

void srv_db_close(sqlite3 *db)
{
    if (db)
        sqlite3_close_v2(db);
}
