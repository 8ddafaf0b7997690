/* Manifest import, streamed (store.h: srv_store_import_manifest): the uploaded file is read line
 * by line and indexed in one transaction, so memory stays flat however many records it holds.
 * DESIGN: ie_manifest_load's meaning without holding the records: a path seen before (a 64-bit
 * hash set, confirmed in images_by_path) replaces its earlier row in place, and the exact-phash
 * duplicate flag is set by one UPDATE once every row is in. A line already in the form a scan
 * writes (store_canon.c) is stored as it came instead of printed again from the parsed record. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"
#include "store.h"

/* A record over one already stored for its path: every column but the id, in its row. */
#define UPDATE_IMAGE                                                                               \
    "UPDATE images SET filename = ?4, format = ?5, width = ?6, height = ?7, file_size_bytes = "    \
    "?8, "                                                                                         \
    "mean_brightness = ?9, blur_score = ?10, border_delta = ?11, flags = ?12, phash = ?13 "        \
    "WHERE rowid = ?14"
#define UPDATE_RECORD "UPDATE image_records SET record_json = ?1 WHERE rowid_ref = ?2"
#define FIND_PATH     "SELECT rowid, id, flags FROM images WHERE scan_id = ?1 AND path = ?2"
/* Exact-phash duplicates (imgeda's definition) are marked for the duplicate filter. */
#define MARK_DUPLICATES                                                                            \
    "UPDATE images SET flags = flags | 32 WHERE scan_id = ?1 AND phash IN (SELECT phash FROM "     \
    "images WHERE scan_id = ?1 AND phash IS NOT NULL GROUP BY phash HAVING COUNT(*) > 1)"
/* The page cache of the importing connection while it writes (KiB; SQLite's default is 2 MB):
 * the sort indexes of 10^6 rows take inserts in random order, and spilling their pages to the
 * WAL again and again is what a small cache costs. */
#define IMPORT_CACHE_KIB 131072

struct importer {
    sqlite3 *db;
    const char *scan_id;
    sqlite3_stmt *st[5]; /* insert image, insert record, find path, update image, update record */
    uint64_t *seen;      /* hashes of the paths stored (open addressing; 0 is empty) */
    size_t seen_cap, seen_n;
    int64_t next_id;
    bool header_checked;
    struct srv_index_stats *stats;
};

static const char *const import_sql[5] = {SRV_STORE_INSERT_IMAGE, SRV_STORE_INSERT_RECORD,
                                          FIND_PATH, UPDATE_IMAGE, UPDATE_RECORD};

static uint64_t path_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

/* Adds h to the set; returns false when it was there already. */
static bool seen_add(struct importer *im, uint64_t h)
{
    if ((im->seen_n + 1) * 2 > im->seen_cap) {
        size_t cap = im->seen_cap ? im->seen_cap * 2 : 1024;
        uint64_t *t = ie_xcalloc(cap, sizeof(*t));
        for (size_t i = 0; i < im->seen_cap; i++) {
            size_t j = im->seen[i] & (cap - 1);
            while (im->seen[i] && t[j])
                j = (j + 1) & (cap - 1);
            t[j] = im->seen[i];
        }
        free(im->seen);
        im->seen = t;
        im->seen_cap = cap;
    }
    size_t j = h & (im->seen_cap - 1);
    for (; im->seen[j]; j = (j + 1) & (im->seen_cap - 1))
        if (im->seen[j] == h)
            return false;
    im->seen[j] = h;
    im->seen_n++;
    return true;
}

static int step_done(struct importer *im, sqlite3_stmt *st, struct ie_err *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(im->db));
}

/* The row already stored for r's path: its rowid, id and flags, or rowid 0 when there is none. */
static int find_path(struct importer *im, const char *path, int64_t row[3], struct ie_err *err)
{
    sqlite3_stmt *st = im->st[2];
    sqlite3_bind_text(st, 1, im->scan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    row[0] = 0;
    for (int i = 0; rc == SQLITE_ROW && i < 3; i++)
        row[i] = sqlite3_column_int64(st, i);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(im->db));
    return 0;
}

/* Stores one record (json: its text to store, NULL to print it from r; taken): a new row, or
 * over the earlier record of the same path. */
static int add_record(struct importer *im, const struct ie_record *r, char *json,
                      struct ie_err *err)
{
    int64_t row[3] = {0};
    char hex[65];
    int rc;
    bool hashed = r->has_phash && !r->is_corrupt;
    if (hashed)
        ie_hash256_to_hex(&r->phash, hex);
    if (!seen_add(im, path_hash(r->path)) && (rc = find_path(im, r->path, row, err)) < 0) {
        free(json);
        return rc;
    }
    bool replace = row[0] != 0;
    sqlite3_stmt *img = im->st[replace ? 3 : 0], *rec = im->st[replace ? 4 : 1];
    srv_store_bind_image(img, im->scan_id, replace ? row[1] : im->next_id, r, hashed ? hex : NULL,
                         false);
    if (replace)
        sqlite3_bind_int64(img, 14, row[0]);
    if ((rc = step_done(im, img, err)) < 0) {
        free(json);
        return rc;
    }
    if (!json)
        json = srv_store_record_json(r);
    if (replace) {
        sqlite3_bind_text(rec, 1, json, -1, free);
        sqlite3_bind_int64(rec, 2, row[0]);
        im->stats->corrupt -= (row[2] & 1) != 0;
    } else {
        sqlite3_bind_int64(rec, 1, sqlite3_last_insert_rowid(im->db));
        sqlite3_bind_int64(rec, 2, im->next_id++);
        sqlite3_bind_text(rec, 3, json, -1, free);
        im->stats->total++;
    }
    im->stats->corrupt += r->is_corrupt;
    return step_done(im, rec, err);
}

/* A header line (the first parseable line, or any naming __manifest_meta__, as the manifest
 * reader has it): true when it was one, its input_dir taken from the first. */
static bool take_header(struct importer *im, const char *text, size_t n)
{
    if (im->header_checked && !memmem(text, n, "__manifest_meta__", 17))
        return false;
    cJSON *o = cJSON_ParseWithLength(text, n);
    bool meta = o && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "__manifest_meta__"));
    im->header_checked |= o != NULL;
    if (meta && !im->stats->has_header) {
        const cJSON *dir = cJSON_GetObjectItemCaseSensitive(o, "input_dir");
        im->stats->has_header = true;
        if (cJSON_IsString(dir) && *dir->valuestring)
            im->stats->input_dir = ie_xstrdup(dir->valuestring);
    }
    cJSON_Delete(o);
    return meta;
}

/* Reads and stores every line; fails on the first that is not a header, a record or blank. */
static int read_lines(struct importer *im, const char *path, struct ie_err *err)
{
    struct ie_manifest_lines lines = {0};
    struct ie_manifest_line ln;
    struct ie_record rec;
    int rc = ie_manifest_lines_open(&lines, path, err);
    if (rc < 0)
        return rc;
    ie_record_init(&rec);
    while ((rc = ie_manifest_lines_next(&lines, &ln, err)) > 0) {
        char why[200];
        struct ie_err perr = {0};
        if (rc == IE_MANIFEST_LINE_TOO_LONG) {
            ie_manifest_long_lines_text(why, sizeof(why), 1, ln.number);
            rc = ie_err_set(err, IE_EINVAL, "%s; nothing was imported", why);
            break;
        }
        size_t n = ln.len;
        while (n > 0 && (ln.text[n - 1] == '\r' || ln.text[n - 1] == ' ' || ln.text[n - 1] == '\t'))
            n--;
        if (n == 0 || take_header(im, ln.text, n))
            continue;
        ie_record_release(&rec);
        if (ie_record_from_json(ln.text, n, &rec, &perr) < 0) {
            rc = ie_err_set(err, IE_EINVAL,
                            ln.newline ? "line %zu is not a manifest record (%s); nothing was "
                                         "imported"
                                       : "line %zu, the last, is cut off (%s): the upload looks "
                                         "truncated; nothing was imported",
                            ln.number, perr.msg);
            break;
        }
        if ((rc = add_record(im, &rec, srv_store_canonical_line(ln.text, n), err)) < 0)
            break;
    }
    ie_record_release(&rec);
    ie_manifest_lines_close(&lines);
    return rc;
}

/* Runs one statement that takes the scan id as ?1. */
static int exec_scan(struct importer *im, const char *sql, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare(im->db, sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, im->scan_id, -1, SQLITE_STATIC);
    rc = step_done(im, st, err);
    sqlite3_finalize(st);
    return rc;
}

int srv_store_import_manifest(sqlite3 *db, const char *scan_id, const char *manifest_path,
                              struct srv_index_stats *stats, struct ie_err *err)
{
    struct importer im = {.db = db, .scan_id = scan_id, .next_id = 1, .stats = stats};
    char pragma[64];
    int rc;
    memset(stats, 0, sizeof(*stats));
    snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%d", IMPORT_CACHE_KIB);
    if ((rc = srv_db_exec(db, "BEGIN IMMEDIATE", err)) < 0)
        return rc;
    srv_db_exec(db, pragma, NULL);
    if ((rc = exec_scan(&im, "DELETE FROM images WHERE scan_id = ?1", err)) < 0)
        goto rollback;
    for (size_t i = 0; i < IE_ARRAY_LEN(im.st); i++)
        if ((rc = srv_db_prepare(db, import_sql[i], &im.st[i], err)) < 0)
            goto rollback;
    if ((rc = read_lines(&im, manifest_path, err)) < 0)
        goto rollback;
    if (stats->total == 0 && !stats->has_header) {
        rc = ie_err_set(err, IE_EINVAL, "the body is not a JSONL manifest (no header, no record)");
        goto rollback;
    }
    if ((rc = exec_scan(&im, MARK_DUPLICATES, err)) < 0 ||
        (rc = srv_store_write_counts(db, scan_id, err)) < 0)
        goto rollback;
    if ((rc = srv_db_exec(db, "COMMIT", err)) < 0)
        goto rollback; /* A failed COMMIT can leave the transaction open. */
    goto out;
rollback:
    srv_db_exec(db, "ROLLBACK", NULL);
    free(stats->input_dir);
    memset(stats, 0, sizeof(*stats));
out:
    /* The pooled connection goes back with its usual cache, the pages held now freed. */
    srv_db_exec(db, "PRAGMA cache_size = -2000", NULL);
    for (size_t i = 0; i < IE_ARRAY_LEN(im.st); i++)
        sqlite3_finalize(im.st[i]);
    free(im.seen);
    return rc;
}
