/* The marks table: loading a root's marks and changing them (see marks_db.h). */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "imgeda/util.h"
#include "marks_db.h"

static int sql_err(sqlite3 *db, struct ie_err *err)
{
    return ie_err_set(err, IE_EIO, "sqlite: %s", sqlite3_errmsg(db));
}

int srv_marks_load(sqlite3 *db, const char *root, struct ie_marks *mk, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare_cached(db,
                                   "SELECT content_hash, path, mark, grp FROM marks WHERE root = ? "
                                   "ORDER BY path, mark, grp",
                                   &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 0);
        const char *g = (const char *)sqlite3_column_text(st, 3);
        enum ie_mark_kind k = IE_MARK_NONE;
        if (ie_mark_parse((const char *)sqlite3_column_text(st, 2), &k, NULL) < 0)
            continue; /* the table's CHECK keeps other values out */
        ie_marks_add(mk, h && h[0] ? h : NULL, (const char *)sqlite3_column_text(st, 1), k,
                     k == IE_MARK_NOT_DUPLICATE ? g : NULL);
    }
    if (s != SQLITE_DONE)
        rc = sql_err(db, err);
    srv_db_done(st);
    return rc;
}

int srv_marks_version(sqlite3 *db, const char *root, int64_t *version, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc =
        srv_db_prepare_cached(db, "SELECT version FROM marks_versions WHERE root = ?", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    *version = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = sql_err(db, err);
    srv_db_done(st);
    return rc;
}

int srv_marks_load_versioned(sqlite3 *db, const char *root, struct ie_marks *mk, int64_t *version,
                             struct ie_err *err)
{
    int rc = srv_db_exec(db, "BEGIN", err);
    if (rc < 0)
        return rc;
    if ((rc = srv_marks_version(db, root, version, err)) == 0 &&
        (rc = srv_marks_load(db, root, mk, err)) == 0)
        rc = srv_db_exec(db, "COMMIT", err);
    if (rc < 0)
        srv_db_exec(db, "ROLLBACK", NULL);
    return rc;
}

/* Bumps root's marks version (inside srv_marks_put's transaction). */
static int bump_version(sqlite3 *db, const char *root, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare_cached(db,
                                   "INSERT INTO marks_versions (root, version) VALUES (?, 1) "
                                   "ON CONFLICT (root) DO UPDATE SET version = version + 1",
                                   &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sql_err(db, err);
    srv_db_done(st);
    return rc;
}

/* The name of a new not_duplicate set of root: "nd-" and one more than the largest number. */
static char *new_group(sqlite3 *db, const char *root, struct ie_err *err)
{
    sqlite3_stmt *st;
    if (srv_db_prepare_cached(db,
                              "SELECT COALESCE(MAX(CAST(substr(grp, 4) AS INTEGER)), 0) FROM marks "
                              "WHERE root = ? AND mark = 'not_duplicate'",
                              &st, err) < 0)
        return NULL;
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
    long long max = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    srv_db_done(st);
    char buf[32];
    snprintf(buf, sizeof(buf), "nd-%lld", max + 1);
    return ie_xstrdup(buf);
}

static int put_one(sqlite3 *db, const char *root, const struct srv_mark_target *t,
                   enum ie_mark_kind kind, const char *grp, const char *now, struct ie_err *err)
{
    sqlite3_stmt *st;
    const char *h = t->content_hash ? t->content_hash : "";
    const char *del = kind == IE_MARK_NOT_DUPLICATE ? NULL
                      : kind == IE_MARK_NONE
                          ? "DELETE FROM marks WHERE root = ? AND content_hash = ? AND path = ?"
                          : "DELETE FROM marks WHERE root = ? AND content_hash = ? AND path = ? "
                            "AND mark IN ('remove', 'keep', 'ok')";
    int rc = 0;
    if (del) {
        if ((rc = srv_db_prepare_cached(db, del, &st, err)) < 0)
            return rc;
        sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, h, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->path, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sql_err(db, err);
        srv_db_done(st);
    }
    if (rc < 0 || kind == IE_MARK_NONE)
        return rc;
    if ((rc = srv_db_prepare_cached(db,
                                    "INSERT OR REPLACE INTO marks (root, content_hash, path, mark, "
                                    "grp, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                    &st, err)) < 0)
        return rc;
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, h, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, ie_mark_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, grp ? grp : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sql_err(db, err);
    srv_db_done(st);
    return rc;
}

int srv_marks_put(sqlite3 *db, const char *root, const struct srv_mark_target *t, size_t n,
                  enum ie_mark_kind kind, char **group, struct ie_err *err)
{
    char now[40];
    char *grp = NULL;
    int rc;
    ie_now_iso(now, sizeof(now));
    if ((rc = srv_db_exec(db, "BEGIN IMMEDIATE", err)) < 0)
        return rc;
    if (kind == IE_MARK_NOT_DUPLICATE && !(grp = new_group(db, root, err)))
        rc = IE_EIO;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = put_one(db, root, &t[i], kind, grp, now, err);
    if (rc == 0)
        rc = bump_version(db, root, err);
    if (rc == 0)
        rc = srv_db_exec(db, "COMMIT", err);
    if (rc < 0)
        srv_db_exec(db, "ROLLBACK", NULL);
    if (rc == 0 && group)
        *group = grp;
    else
        free(grp);
    return rc;
}
