/* Manifest import, streamed (store.h: srv_store_import_manifest): the uploaded file is read line
 * by line and indexed in one transaction, so memory stays flat however many records it holds.
 * DESIGN: ie_manifest_load's meaning without holding the records: a path seen before (a 64-bit
 * hash map, confirmed in images_by_path) replaces its earlier row in place. The exact-phash
 * duplicate flag is set as rows come (a map from a 64-bit hash of each phash to the first row
 * holding it, confirmed against that row): one UPDATE grouping every row by phash held about
 * 470 bytes per record at its peak (600 MB at 10^6). When a path repeated, or two phashes share
 * a 64-bit hash, that UPDATE runs anyway, since groups may have changed. A line already in the form
 * a scan writes (store_canon.c) is stored as it came instead of printed again from the parsed
 * record. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"
#include "log.h"
#include "store.h"

/* A record over one already stored for its path: every column but the id, in its row. */
#define UPDATE_IMAGE                                                                               \
    "UPDATE images SET filename = ?4, format = ?5, width = ?6, height = ?7, file_size_bytes = "    \
    "?8, "                                                                                         \
    "mean_brightness = ?9, blur_score = ?10, border_delta = ?11, flags = ?12, phash = ?13, "       \
    "camera = " SRV_STORE_CAMERA_SQL " WHERE rowid = ?16"
#define UPDATE_RECORD "UPDATE image_records SET record_json = ?1 WHERE rowid_ref = ?2"
#define FIND_PATH     "SELECT rowid, id, flags FROM images WHERE scan_id = ?1 AND path = ?2"
/* Exact-phash duplicates (imgeda's definition) are marked for the duplicate filter: as rows come,
 * or all at once (flags cleared first) when that could not be exact. */
#define CLEAR_DUPLICATES                                                                           \
    "UPDATE images SET flags = flags & ~32 WHERE scan_id = ?1 AND (flags & 32) != 0"
#define MARK_DUPLICATES                                                                            \
    "UPDATE images SET flags = flags | 32 WHERE scan_id = ?1 AND phash IN (SELECT phash FROM "     \
    "images WHERE scan_id = ?1 AND phash IS NOT NULL GROUP BY phash HAVING COUNT(*) > 1)"
/* The page cache of the importing connection while it writes (KiB; SQLite's default is 2 MB):
 * the sort indexes of 10^6 rows take inserts in random order, and spilling their pages to the
 * WAL again and again is what a small cache costs. */
#define IMPORT_CACHE_KIB 131072

/* Sort indexes built after the rows: an import that brings at least half as many rows as the
 * images table holds (expected rows: the upload's size over LINE_BYTES, about what a scan's line
 * takes) drops them inside its transaction and creates them again once its rows are in. Their
 * keys arrive in random order, so inserting row by row walks and splits pages all over each
 * index; CREATE INDEX sorts every key once instead, at the price of also reading the rows of the
 * scans already stored, hence the size rule. images_by_path (checked for repeated paths while
 * importing) and images_by_id (keys in row order) stay. Readers keep the indexes they had until
 * the COMMIT, and a failed or interrupted import rolls the drop back with the rows. */
#define LINE_BYTES 1024
#define DEFERRABLE                                                                                 \
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'images' AND sql "    \
    "IS NOT NULL AND name NOT IN ('images_by_path', 'images_by_id') ORDER BY name"

/* 64-bit keys (never 0) to values, open addressing. */
struct u64map {
    uint64_t *keys;
    int64_t *vals;
    size_t cap, n;
};

enum { ST_INS_IMAGE, ST_INS_RECORD, ST_FIND_PATH, ST_UPD_IMAGE, ST_UPD_RECORD, ST_PHASH, ST_FLAG };
static const char *const import_sql[] = {SRV_STORE_INSERT_IMAGE,
                                         SRV_STORE_INSERT_RECORD,
                                         FIND_PATH,
                                         UPDATE_IMAGE,
                                         UPDATE_RECORD,
                                         "SELECT phash FROM images WHERE rowid = ?1",
                                         "UPDATE images SET flags = flags | 32 WHERE rowid = ?1"};

struct importer {
    sqlite3 *db;
    const char *scan_id;
    sqlite3_stmt *st[IE_ARRAY_LEN(import_sql)];
    struct u64map paths;   /* hashes of the paths stored */
    struct u64map phashes; /* hash of a phash -> its first row (negated once flagged) */
    bool regroup;          /* mark duplicates all at once at the end */
    int64_t next_id;
    bool header_checked;
    struct srv_index_stats *stats;
    char **deferred; /* CREATE INDEX statements of the indexes dropped for the import */
    size_t n_deferred;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* The value of key h, added as 0 when absent (*added says which). */
static int64_t *map_slot(struct u64map *m, uint64_t h, bool *added)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint64_t *keys = ie_xcalloc(cap, sizeof(*keys));
        int64_t *vals = ie_xcalloc(cap, sizeof(*vals));
        for (size_t i = 0; i < m->cap; i++) {
            size_t j = m->keys[i] & (cap - 1);
            while (m->keys[i] && keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    size_t j = h & (m->cap - 1);
    for (; m->keys[j]; j = (j + 1) & (m->cap - 1))
        if (m->keys[j] == h) {
            *added = false;
            return &m->vals[j];
        }
    m->keys[j] = h;
    m->vals[j] = 0;
    m->n++;
    *added = true;
    return &m->vals[j];
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
    sqlite3_stmt *st = im->st[ST_FIND_PATH];
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

/* Whether row (negated or not) holds phash hex: a 64-bit hash match confirmed. */
static int same_phash(struct importer *im, int64_t row, const char *hex, bool *same,
                      struct ie_err *err)
{
    sqlite3_stmt *st = im->st[ST_PHASH];
    sqlite3_bind_int64(st, 1, row < 0 ? -row : row);
    int rc = sqlite3_step(st);
    const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    *same = v && strcmp((const char *)v, hex) == 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(im->db));
    return 0;
}

/* A new row's exact-phash duplicate flag: *first is the map's slot for its phash (NULL when it
 * has none), *dup whether an earlier row holds the same. */
static int phash_group(struct importer *im, const struct ie_record *r, const char *hex,
                       int64_t **first, bool *dup, struct ie_err *err)
{
    bool added;
    *dup = false;
    *first = NULL;
    if (!hex)
        return 0;
    *first = map_slot(&im->phashes, hash_bytes(&r->phash, sizeof(r->phash)), &added);
    if (added)
        return 0;
    int rc = same_phash(im, **first, hex, dup, err);
    /* Two phashes with one 64-bit hash: this row's group is found at the end instead. */
    im->regroup |= !*dup;
    return rc;
}

/* The row just inserted (rowid) joins its phash's group: the first row of a group is flagged
 * when a second one comes. */
static int phash_join(struct importer *im, int64_t *first, bool dup, int64_t rowid,
                      struct ie_err *err)
{
    if (!first)
        return 0;
    if (*first == 0) {
        *first = rowid;
        return 0;
    }
    if (!dup || *first < 0)
        return 0;
    sqlite3_bind_int64(im->st[ST_FLAG], 1, *first);
    *first = -*first;
    return step_done(im, im->st[ST_FLAG], err);
}

/* Stores one record (json: its text to store, NULL to print it from r; taken): a new row, or
 * over the earlier record of the same path. */
static int add_record(struct importer *im, const struct ie_record *r, char *json,
                      struct ie_err *err)
{
    int64_t row[3] = {0}, *first = NULL;
    char hex[65];
    bool added, dup = false;
    int rc = 0;
    if (r->has_phash && !r->is_corrupt)
        ie_hash256_to_hex(&r->phash, hex);
    const char *phash = r->has_phash && !r->is_corrupt ? hex : NULL;
    map_slot(&im->paths, hash_bytes(r->path, strlen(r->path)), &added);
    if (!added && (rc = find_path(im, r->path, row, err)) < 0)
        goto out;
    bool replace = row[0] != 0;
    /* A replaced record may leave or join groups: they are found at the end. */
    im->regroup |= replace;
    if (!replace && (rc = phash_group(im, r, phash, &first, &dup, err)) < 0)
        goto out;
    sqlite3_stmt *img = im->st[replace ? ST_UPD_IMAGE : ST_INS_IMAGE];
    sqlite3_stmt *rec = im->st[replace ? ST_UPD_RECORD : ST_INS_RECORD];
    srv_store_bind_image(img, im->scan_id, replace ? row[1] : im->next_id, r, phash, dup);
    if (replace)
        sqlite3_bind_int64(img, 16, row[0]);
    if ((rc = step_done(im, img, err)) < 0)
        goto out;
    int64_t rowid = replace ? row[0] : sqlite3_last_insert_rowid(im->db);
    if (!json)
        json = srv_store_record_json(r);
    if (replace) {
        sqlite3_bind_text(rec, 1, json, -1, free);
        sqlite3_bind_int64(rec, 2, rowid);
        im->stats->corrupt -= (row[2] & 1) != 0;
    } else {
        sqlite3_bind_int64(rec, 1, rowid);
        sqlite3_bind_int64(rec, 2, im->next_id++);
        sqlite3_bind_text(rec, 3, json, -1, free);
        im->stats->total++;
    }
    json = NULL; /* SQLite frees it */
    im->stats->corrupt += r->is_corrupt;
    if ((rc = step_done(im, rec, err)) < 0)
        goto out;
    rc = phash_join(im, first, dup, rowid, err);
out:
    free(json);
    return rc;
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
    cJSON *tree = NULL;
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
        /* One parse serves both the record and the check that the line can be stored as is. */
        const char *end = NULL;
        cJSON_Delete(tree);
        tree = cJSON_ParseWithLengthOpts(ln.text, n, &end, false);
        if (ie_record_from_cjson(tree, &rec, &perr) < 0) {
            rc = ie_err_set(err, IE_EINVAL,
                            ln.newline ? "line %zu is not a manifest record (%s); nothing was "
                                         "imported"
                                       : "line %zu, the last, is cut off (%s): the upload looks "
                                         "truncated; nothing was imported",
                            ln.number, perr.msg);
            break;
        }
        if ((rc = add_record(im, &rec, srv_store_canonical_parsed(ln.text, n, tree, end), err)) < 0)
            break;
    }
    cJSON_Delete(tree);
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

/* Drops the deferrable indexes when the import is large next to what is stored (see
 * LINE_BYTES), keeping their SQL to create them again. */
static int defer_indexes(struct importer *im, const char *manifest_path, struct ie_err *err)
{
    struct stat st;
    sqlite3_stmt *q = NULL;
    int64_t stored = 0;
    int rc = srv_db_prepare(im->db, "SELECT COALESCE(SUM(n), 0) FROM scan_counts WHERE key = 'all'",
                            &q, err);
    if (rc < 0)
        return rc;
    if (sqlite3_step(q) == SQLITE_ROW)
        stored = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (stat(manifest_path, &st) < 0 || (int64_t)st.st_size / LINE_BYTES * 2 < stored)
        return 0;
    if ((rc = srv_db_prepare(im->db, DEFERRABLE, &q, err)) < 0)
        return rc;
    /* Read them all first: a table cannot be dropped from while a statement reads it. */
    size_t cap = 0, cap2 = 0, n = 0;
    char **names = NULL;
    while (sqlite3_step(q) == SQLITE_ROW) {
        ie_grow((void **)&names, &cap, n + 1, sizeof(char *));
        ie_grow((void **)&im->deferred, &cap2, n + 1, sizeof(char *));
        names[n] = sqlite3_mprintf("DROP INDEX \"%w\"", (const char *)sqlite3_column_text(q, 0));
        im->deferred[n++] = ie_xstrdup((const char *)sqlite3_column_text(q, 1));
    }
    sqlite3_finalize(q);
    im->n_deferred = n;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = srv_db_exec(im->db, names[i], err);
        sqlite3_free(names[i]);
    }
    free(names);
    return rc;
}

/* Creates the dropped indexes again, now over every row. */
static int rebuild_indexes(struct importer *im, struct ie_err *err)
{
    for (size_t i = 0; i < im->n_deferred; i++) {
        int rc = srv_db_exec(im->db, im->deferred[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
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
    if ((rc = defer_indexes(&im, manifest_path, err)) < 0 ||
        (rc = read_lines(&im, manifest_path, err)) < 0)
        goto rollback;
    if (stats->total == 0 && !stats->has_header) {
        rc = ie_err_set(err, IE_EINVAL, "the body is not a JSONL manifest (no header, no record)");
        goto rollback;
    }
    if (im.regroup && ((rc = exec_scan(&im, CLEAR_DUPLICATES, err)) < 0 ||
                       (rc = exec_scan(&im, MARK_DUPLICATES, err)) < 0))
        goto rollback;
    if ((rc = rebuild_indexes(&im, err)) < 0 || (rc = srv_store_write_counts(db, scan_id, err)) < 0)
        goto rollback;
    if ((rc = srv_db_exec(db, "COMMIT", err)) < 0)
        goto rollback; /* A failed COMMIT can leave the transaction open. */
    if (im.n_deferred)
        srv_log(SRV_LOG_INFO,
                "import: scan %s: %lld records, %zu sort indexes built after the rows", scan_id,
                (long long)stats->total, im.n_deferred);
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
    free(im.paths.keys);
    free(im.paths.vals);
    free(im.phashes.keys);
    free(im.phashes.vals);
    for (size_t i = 0; i < im.n_deferred; i++)
        free(im.deferred[i]);
    free(im.deferred);
    return rc;
}
