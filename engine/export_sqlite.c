/* SQLite export of a manifest (see export_sqlite.h).
 * DESIGN: the file is built as out.tmp with journalling and syncs off (a crash leaves only a
 * temp file that is never renamed into place), in one transaction, then synced and renamed.
 * Column names and types come from ie_export_columns, so CSV and SQLite never disagree. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/export_sqlite.h"
#include "imgeda/util.h"

static int db_error(sqlite3 *db, const char *what, struct ie_err *err)
{
    return ie_err_set(err, IE_EIO, "SQLite export: %s: %s", what,
                      db ? sqlite3_errmsg(db) : "out of memory");
}

static int exec(sqlite3 *db, const char *sql, struct ie_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = ie_err_set(err, IE_EIO, "SQLite export: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

/* CREATE TABLE images (...) and the INSERT statement, from the column model. */
static void build_sql(struct ie_buf *create, struct ie_buf *insert)
{
    size_t n;
    const struct ie_export_column *cols = ie_export_columns(&n);
    ie_buf_adds(create, "CREATE TABLE images (");
    ie_buf_adds(insert, "INSERT INTO images VALUES (");
    for (size_t i = 0; i < n; i++) {
        const char *type = "TEXT";
        if (cols[i].type == IE_EXPORT_INT || cols[i].type == IE_EXPORT_BOOL)
            type = "INTEGER";
        else if (cols[i].type == IE_EXPORT_REAL)
            type = "REAL";
        ie_buf_addf(create, "%s\"%s\" %s%s", i ? ", " : "", cols[i].name, type,
                    i == 0 ? " PRIMARY KEY NOT NULL" : "");
        if (cols[i].type == IE_EXPORT_BOOL)
            ie_buf_addf(create, " CHECK (\"%s\" IN (0, 1))", cols[i].name);
        ie_buf_addf(insert, "%s?", i ? ", " : "");
    }
    ie_buf_adds(create, ")");
    ie_buf_adds(insert, ")");
}

static int put_meta(sqlite3_stmt *st, const char *key, const char *text, bool is_int, int64_t i,
                    sqlite3 *db, struct ie_err *err)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (is_int)
        sqlite3_bind_int64(st, 2, i);
    else if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(db, "cannot write meta", err);
    return 0;
}

int eng_export_sqlite_write(const char *manifest_path, const char *out_path,
                            struct ie_export_stats *stats, struct ie_err *err)
{
    struct ie_export_source *src = NULL;
    struct ie_record rec;
    struct ie_buf create, insert;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *meta = NULL;
    char *tmp = NULL;
    size_t ncols, records = 0;
    const struct ie_export_column *cols = ie_export_columns(&ncols);
    int rc;

    ie_record_init(&rec);
    ie_buf_init(&create);
    ie_buf_init(&insert);
    rc = ie_export_check_output(manifest_path, out_path, &tmp, err);
    if (rc < 0)
        goto out;
    rc = ie_export_source_open(manifest_path, &src, err);
    if (rc < 0)
        goto out;
    unlink(tmp); /* a leftover from a crashed export */
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = db_error(db, "cannot create the database", err);
        goto out;
    }
    build_sql(&create, &insert);
    if ((rc = exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN", err)) < 0 ||
        (rc = exec(db, create.data, err)) < 0 ||
        (rc = exec(db, "CREATE INDEX images_phash ON images(phash)", err)) < 0 ||
        (rc = exec(db, "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value)", err)) < 0)
        goto out;
    if (sqlite3_prepare_v2(db, insert.data, -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO meta VALUES (?, ?)", -1, &meta, NULL) != SQLITE_OK) {
        rc = db_error(db, "cannot prepare", err);
        goto out;
    }
    while ((rc = ie_export_source_next(src, &rec, NULL, NULL, err)) == 1) {
        struct ie_export_value v;
        sqlite3_reset(ins);
        for (size_t i = 0; i < ncols; i++) {
            int col = (int)i + 1;
            ie_export_value(&rec, i, &v);
            if (v.null)
                sqlite3_bind_null(ins, col);
            else if (cols[i].type == IE_EXPORT_TEXT)
                sqlite3_bind_text(ins, col, v.s, -1, SQLITE_TRANSIENT);
            else if (cols[i].type == IE_EXPORT_REAL)
                sqlite3_bind_double(ins, col, v.d);
            else
                sqlite3_bind_int64(ins, col, v.i);
        }
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = db_error(db, "cannot insert a record", err);
            goto out;
        }
        records++;
    }
    if (rc < 0)
        goto out;

    const struct ie_manifest_meta *m = ie_export_source_meta(src);
    size_t hlen;
    const char *header = ie_export_source_header_line(src, &hlen);
    char now[40];
    ie_now_iso(now, sizeof(now));
    char *hcopy = header ? ie_xstrndup(header, hlen) : NULL;
    rc = put_meta(meta, "has_header", NULL, true, m->present, db, err);
    if (rc == 0 && m->present) {
        if ((rc = put_meta(meta, "input_dir", m->input_dir, false, 0, db, err)) == 0 &&
            (rc = put_meta(meta, "schema_version", NULL, true, m->schema_version, db, err)) == 0 &&
            (rc = put_meta(meta, "settings", m->settings_json, false, 0, db, err)) == 0 &&
            (rc = put_meta(meta, "total_files", NULL, true, m->total_files, db, err)) == 0 &&
            (rc = put_meta(meta, "created_at", m->created_at, false, 0, db, err)) == 0)
            rc = put_meta(meta, "header_json", hcopy, false, 0, db, err);
    }
    free(hcopy);
    if (rc == 0 &&
        (rc = put_meta(meta, "source_manifest", manifest_path, false, 0, db, err)) == 0 &&
        (rc = put_meta(meta, "exported_at", now, false, 0, db, err)) == 0 &&
        (rc = put_meta(meta, "records", NULL, true, (int64_t)records, db, err)) == 0 &&
        (rc = put_meta(meta, "skipped_lines", NULL, true, (int64_t)ie_export_source_skipped(src),
                       db, err)) == 0)
        rc = put_meta(meta, "replaced_records", NULL, true, (int64_t)ie_export_source_replaced(src),
                      db, err);
    if (rc < 0 || (rc = exec(db, "COMMIT", err)) < 0)
        goto out;
    sqlite3_finalize(ins);
    sqlite3_finalize(meta);
    ins = meta = NULL;
    if (sqlite3_close(db) != SQLITE_OK) {
        rc = db_error(db, "cannot close the database", err);
        db = NULL;
        goto out;
    }
    db = NULL;
    rc = ie_export_commit_tmp(tmp, out_path, err);
    if (rc == 0 && stats) {
        stats->records = records;
        stats->skipped_lines = ie_export_source_skipped(src);
        stats->replaced = ie_export_source_replaced(src);
    }
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(meta);
    if (db) {
        sqlite3_close(db);
        if (tmp)
            unlink(tmp);
    }
    ie_export_source_free(src);
    ie_record_release(&rec);
    ie_buf_release(&create);
    ie_buf_release(&insert);
    free(tmp);
    return rc;
}
