/* SQL for scans and images (see store.h).
 * DESIGN: records are indexed with the columns the API filters and sorts on, plus the full
 * record JSON, so a page of 10^6 images is an indexed query and the answer needs no manifest
 * read. The manifest stays the interchange format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "imgeda/json.h"
#include "imgeda/manifest.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "store.h"

void srv_scan_row_release(struct srv_scan_row *r)
{
    free(r->id);
    free(r->name);
    free(r->root);
    free(r->status);
    free(r->options_json);
    free(r->manifest_path);
    free(r->created_at);
    free(r->started_at);
    free(r->finished_at);
    free(r->error);
    memset(r, 0, sizeof(*r));
}

cJSON *srv_scan_row_to_json(const struct srv_scan_row *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddStringToObject(o, "root", r->root);
    cJSON_AddStringToObject(o, "status", r->status);
    cJSON *opts = cJSON_Parse(r->options_json ? r->options_json : "{}");
    cJSON_AddItemToObject(o, "options", opts ? opts : cJSON_CreateObject());
    cJSON_AddBoolToObject(o, "imported", r->imported);
    if (r->version > 0)
        ie_json_add_int(o, "version", r->version);
    else
        cJSON_AddNullToObject(o, "version");
    cJSON_AddStringToObject(o, "created_at", r->created_at);
    ie_json_add_str_or_null(o, "started_at", r->started_at);
    ie_json_add_str_or_null(o, "finished_at", r->finished_at);
    ie_json_add_str_or_null(o, "error", r->error);
    cJSON *p = cJSON_AddObjectToObject(o, "progress");
    ie_json_add_int(p, "total", r->total);
    ie_json_add_int(p, "processed", r->processed);
    ie_json_add_int(p, "corrupt", r->corrupt);
    ie_json_add_int(p, "bytes", r->bytes);
    ie_json_add_double(p, "rate_per_s", r->rate_per_s);
    if (r->has_eta)
        ie_json_add_double(p, "eta_s", r->eta_s);
    else
        cJSON_AddNullToObject(p, "eta_s");
    /* Rows stored before names were checked (or roots and errors naming odd files) may hold
     * bytes that are not UTF-8: shown as \xNN, so the list stays JSON. */
    ie_json_sanitize_strings(o);
    return o;
}

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? ie_xstrdup((const char *)t) : NULL;
}

#define SCAN_COLS                                                                                  \
    "id, name, root, status, options_json, manifest_path, imported, created_at, started_at, "      \
    "finished_at, error, total, processed, corrupt, bytes, rate_per_s, eta_s, seq"

/* What a SELECT reads: the columns, then the scan's version within its root (1 for the first
 * scan of a root; counted over the root's scans that exist, through scans_by_root). An import
 * whose manifest named no folder has the root "" and no version. */
#define SCAN_SELECT                                                                                \
    "SELECT " SCAN_COLS ", CASE WHEN root = '' THEN 0 ELSE (SELECT COUNT(*) FROM scans v WHERE "   \
    "v.root = scans.root AND v.seq <= scans.seq) END FROM scans "

static void read_row(sqlite3_stmt *st, struct srv_scan_row *r)
{
    r->id = col_str(st, 0);
    r->name = col_str(st, 1);
    r->root = col_str(st, 2);
    r->status = col_str(st, 3);
    r->options_json = col_str(st, 4);
    r->manifest_path = col_str(st, 5);
    r->imported = sqlite3_column_int(st, 6) != 0;
    r->created_at = col_str(st, 7);
    r->started_at = col_str(st, 8);
    r->finished_at = col_str(st, 9);
    r->error = col_str(st, 10);
    r->total = sqlite3_column_int64(st, 11);
    r->processed = sqlite3_column_int64(st, 12);
    r->corrupt = sqlite3_column_int64(st, 13);
    r->bytes = sqlite3_column_int64(st, 14);
    r->rate_per_s = sqlite3_column_double(st, 15);
    r->has_eta = sqlite3_column_type(st, 16) != SQLITE_NULL;
    r->eta_s = sqlite3_column_double(st, 16);
    r->seq = sqlite3_column_int64(st, 17);
    r->version = sqlite3_column_int64(st, 18);
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, struct ie_err *err)
{
    int rc = sqlite3_step(st);
    int out = rc == SQLITE_DONE ? 0 : ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

int64_t srv_store_next_seq(sqlite3 *db)
{
    sqlite3_stmt *st;
    int64_t v = 1;
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(seq), 0) + 1 FROM scans", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

int srv_store_insert_scan(sqlite3 *db, const struct srv_scan_row *r, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare(db,
                            "INSERT INTO scans (" SCAN_COLS ") VALUES "
                            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->root, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->options_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->manifest_path, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, r->imported);
    sqlite3_bind_text(st, 8, r->created_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->started_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, r->finished_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, r->error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, r->total);
    sqlite3_bind_int64(st, 13, r->processed);
    sqlite3_bind_int64(st, 14, r->corrupt);
    sqlite3_bind_int64(st, 15, r->bytes);
    sqlite3_bind_double(st, 16, r->rate_per_s);
    if (r->has_eta)
        sqlite3_bind_double(st, 17, r->eta_s);
    else
        sqlite3_bind_null(st, 17);
    sqlite3_bind_int64(st, 18, r->seq);
    return step_done(db, st, err);
}

/* The first row of sql with arg bound to ?1 (and arg2 to ?2, when sql has it). */
static int get_one(sqlite3 *db, const char *sql, const char *arg, int64_t arg2,
                   struct srv_scan_row *r, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare_cached(db, sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, arg2);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        read_row(st, r);
        rc = 0;
    } else if (s == SQLITE_DONE) {
        rc = ie_err_set(err, IE_ENOENT, "no scan %s", arg);
    } else {
        rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    }
    srv_db_done(st);
    return rc;
}

int srv_store_get_scan(sqlite3 *db, const char *id, struct srv_scan_row *r, struct ie_err *err)
{
    return get_one(db, SCAN_SELECT "WHERE id = ?", id, 0, r, err);
}

int srv_store_last_scan_of_root(sqlite3 *db, const char *root, struct srv_scan_row *r,
                                struct ie_err *err)
{
    return get_one(db,
                   SCAN_SELECT "WHERE root = ? AND imported = 0 AND "
                               "status != 'failed' ORDER BY seq DESC LIMIT 1",
                   root, 0, r, err);
}

int srv_store_version_before(sqlite3 *db, const char *root, int64_t before_seq,
                             struct srv_scan_row *r, struct ie_err *err)
{
    return get_one(db,
                   SCAN_SELECT "WHERE root = ?1 AND status = 'succeeded' AND seq < ?2 "
                               "ORDER BY seq DESC LIMIT 1",
                   root, before_seq, r, err);
}

int srv_store_set_status(sqlite3 *db, const char *id, const char *status, const char *error,
                         struct ie_err *err)
{
    sqlite3_stmt *st;
    char now[40];
    bool final = strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
                 strcmp(status, "cancelled") == 0;
    int rc = srv_db_prepare(
        db,
        "UPDATE scans SET status = ?1, error = ?2, "
        "started_at = CASE WHEN ?1 = 'running' AND started_at IS NULL THEN ?3 ELSE started_at END, "
        "finished_at = CASE WHEN ?4 THEN ?3 ELSE NULL END WHERE id = ?5",
        &st, err);
    if (rc < 0)
        return rc;
    ie_now_iso(now, sizeof(now));
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, final);
    sqlite3_bind_text(st, 5, id, -1, SQLITE_STATIC);
    return step_done(db, st, err);
}

int srv_store_set_progress(sqlite3 *db, const char *id, const struct ie_scan_progress *p,
                           struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare(db,
                            "UPDATE scans SET total = ?, processed = ?, corrupt = ?, bytes = ?, "
                            "rate_per_s = ?, eta_s = ? WHERE id = ?",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)p->total);
    sqlite3_bind_int64(st, 2, (int64_t)p->durable);
    sqlite3_bind_int64(st, 3, (int64_t)p->corrupt);
    sqlite3_bind_int64(st, 4, p->bytes);
    sqlite3_bind_double(st, 5, p->rate_per_s);
    if (p->eta_s >= 0)
        sqlite3_bind_double(st, 6, p->eta_s);
    else
        sqlite3_bind_null(st, 6);
    sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC);
    return step_done(db, st, err);
}

int srv_store_delete_scan(sqlite3 *db, const char *id, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare(db, "DELETE FROM scans WHERE id = ?", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return step_done(db, st, err);
}

int srv_store_unfinished(sqlite3 *db, char ***ids, size_t *n, struct ie_err *err)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    int rc = srv_db_prepare(db,
                            "SELECT id FROM scans WHERE status IN ('queued', 'running') "
                            "ORDER BY seq",
                            &st, err);
    if (rc < 0)
        return rc;
    while (sqlite3_step(st) == SQLITE_ROW) {
        ie_grow((void **)ids, &cap, *n + 1, sizeof(char *));
        (*ids)[(*n)++] = col_str(st, 0);
    }
    sqlite3_finalize(st);
    return 0;
}

int srv_store_list_scans(sqlite3 *db, const char *status, int limit, int64_t before_seq,
                         cJSON **out, struct ie_err *err)
{
    return srv_store_list_versions(db, status, NULL, limit, before_seq, out, err);
}

int srv_store_list_versions(sqlite3 *db, const char *status, const char *root, int limit,
                            int64_t before_seq, cJSON **out, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare(db,
                            SCAN_SELECT "WHERE (?1 IS NULL OR status = ?1) AND (?4 IS NULL OR "
                                        "root = ?4) AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
                            &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before_seq);
    sqlite3_bind_int(st, 3, limit + 1);
    sqlite3_bind_text(st, 4, root, -1, SQLITE_STATIC);
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "scans");
    int n = 0;
    int64_t last_seq = 0;
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == limit) {
            more = true;
            break;
        }
        struct srv_scan_row r = {0};
        read_row(st, &r);
        cJSON_AddItemToArray(arr, srv_scan_row_to_json(&r));
        last_seq = r.seq;
        srv_scan_row_release(&r);
        n++;
    }
    sqlite3_finalize(st);
    if (more) {
        char cur[32];
        snprintf(cur, sizeof(cur), "%lld", (long long)last_seq);
        cJSON_AddStringToObject(o, "next_cursor", cur);
    } else {
        cJSON_AddNullToObject(o, "next_cursor");
    }
    *out = o;
    return 0;
}

/* ---- images ---- */

int srv_store_write_counts(sqlite3 *db, const char *scan_id, struct ie_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM scan_counts WHERE scan_id = ?1",
        "INSERT INTO scan_counts SELECT ?1, 'all', COUNT(*) FROM images WHERE scan_id = ?1",
        "INSERT INTO scan_counts SELECT ?1, 'flag:corrupt', COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND (flags & 1) != 0",
        "INSERT INTO scan_counts SELECT ?1, 'flag:dark', COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND (flags & 2) != 0",
        "INSERT INTO scan_counts SELECT ?1, 'flag:overexposed', COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND (flags & 4) != 0",
        "INSERT INTO scan_counts SELECT ?1, 'flag:blurry', COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND (flags & 8) != 0",
        "INSERT INTO scan_counts SELECT ?1, 'flag:artifact', COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND (flags & 16) != 0",
        "INSERT INTO scan_counts SELECT ?1, 'flag:duplicate', COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND (flags & 32) != 0",
        "INSERT INTO scan_counts SELECT ?1, 'format:' || COALESCE(format, ''), COUNT(*) FROM "
        "images WHERE scan_id = ?1 GROUP BY COALESCE(format, '')",
        "INSERT INTO scan_counts SELECT ?1, 'split:' || split, COUNT(*) FROM images "
        "WHERE scan_id = ?1 AND split IS NOT NULL GROUP BY split",
        "INSERT INTO scan_counts SELECT ?1, 'class:' || class, COUNT(*) FROM image_classes "
        "WHERE scan_id = ?1 GROUP BY class",
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(sql); i++) {
        sqlite3_stmt *st;
        int rc = srv_db_prepare(db, sql[i], &st, err);
        if (rc < 0)
            return rc;
        sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    }
    return 0;
}

int srv_store_set_root(sqlite3 *db, const char *id, const char *root, struct ie_err *err)
{
    sqlite3_stmt *st = NULL, *upd = NULL;
    int rc = srv_db_exec(db, "BEGIN IMMEDIATE", err);
    if (rc < 0)
        return rc;
    if ((rc = srv_db_prepare(db, "UPDATE scans SET root = ? WHERE id = ?", &st, err)) < 0)
        goto rollback;
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if ((rc = step_done(db, st, err)) < 0)
        goto rollback;
    /* The split of a path is taken below the root: rows indexed before the root was known
     * (an import learns it from the manifest header) are set again. */
    rc = srv_db_prepare(db,
                        "UPDATE images SET split = path_split(path, ?1) WHERE scan_id = ?2 AND "
                        "split IS NOT path_split(path, ?1)",
                        &upd, err);
    if (rc < 0)
        goto rollback;
    sqlite3_bind_text(upd, 1, root, -1, SQLITE_STATIC);
    sqlite3_bind_text(upd, 2, id, -1, SQLITE_STATIC);
    if ((rc = step_done(db, upd, err)) < 0)
        goto rollback;
    if (sqlite3_changes(db) > 0 && (rc = srv_store_write_counts(db, id, err)) < 0)
        goto rollback;
    if ((rc = srv_db_exec(db, "COMMIT", err)) == 0)
        return 0;
rollback:
    srv_db_exec(db, "ROLLBACK", NULL);
    return rc;
}

char *srv_store_record_json(const struct ie_record *r)
{
    char *j = ie_record_to_json(r);
    size_t n = strlen(j);
    if (ie_utf8_valid(j, n))
        return j;
    char *safe = ie_utf8_sanitize_json(j, n);
    free(j);
    return safe;
}

void srv_store_bind_image(sqlite3_stmt *st, const char *scan_id, int64_t id,
                          const struct ie_record *r, const char *phash_hex, bool duplicate)
{
    sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, r->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->filename ? r->filename : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->format, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->width);
    sqlite3_bind_int(st, 7, r->height);
    sqlite3_bind_int64(st, 8, r->file_size_bytes);
    if (r->has_pixel_stats)
        sqlite3_bind_double(st, 9, r->pixel_stats.mean_brightness);
    else
        sqlite3_bind_null(st, 9);
    if (r->has_blur_score)
        sqlite3_bind_double(st, 10, r->blur_score);
    else
        sqlite3_bind_null(st, 10);
    if (r->has_corner_stats)
        sqlite3_bind_double(st, 11, r->corner_stats.delta);
    else
        sqlite3_bind_null(st, 11);
    int flags = (r->is_corrupt ? 1 : 0) | (r->is_dark ? 2 : 0) | (r->is_overexposed ? 4 : 0) |
                (r->is_blurry ? 8 : 0) | (r->has_border_artifact ? 16 : 0) | (duplicate ? 32 : 0);
    sqlite3_bind_int(st, 12, flags);
    if (phash_hex)
        sqlite3_bind_text(st, 13, phash_hex, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 13);
    sqlite3_bind_text(st, 14, r->camera_make, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, r->camera_model, -1, SQLITE_STATIC);
}

int srv_store_index_manifest(sqlite3 *db, const char *scan_id, const char *manifest_path,
                             struct srv_index_stats *stats, struct ie_manifest *keep,
                             struct ie_err *err)
{
    struct ie_manifest m;
    struct ie_strmap phash_count;
    sqlite3_stmt *del = NULL, *ins = NULL, *ins_json = NULL;
    char(*hexes)[65] = NULL;
    int rc;

    ie_manifest_init(&m);
    ie_strmap_init(&phash_count);
    rc = ie_manifest_load(manifest_path, &m, err);
    if (rc < 0)
        goto out;
    /* Exact-phash duplicates (imgeda's definition) are marked for the duplicate filter. */
    hexes = ie_xcalloc(m.n ? m.n : 1, sizeof(*hexes));
    for (size_t i = 0; i < m.n; i++) {
        size_t c = 0;
        if (!m.recs[i].has_phash || m.recs[i].is_corrupt)
            continue;
        ie_hash256_to_hex(&m.recs[i].phash, hexes[i]);
        ie_strmap_get(&phash_count, hexes[i], &c);
        ie_strmap_put(&phash_count, hexes[i], c + 1);
    }
    if ((rc = srv_db_exec(db, "BEGIN IMMEDIATE", err)) < 0)
        goto out;
    if ((rc = srv_db_prepare(db, "DELETE FROM images WHERE scan_id = ?", &del, err)) < 0)
        goto rollback;
    sqlite3_bind_text(del, 1, scan_id, -1, SQLITE_STATIC);
    if (sqlite3_step(del) != SQLITE_DONE) {
        rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
        goto rollback;
    }
    if ((rc = srv_db_prepare(db, SRV_STORE_INSERT_IMAGE, &ins, err)) < 0)
        goto rollback;
    rc = srv_db_prepare(db, SRV_STORE_INSERT_RECORD, &ins_json, err);
    if (rc < 0)
        goto rollback;
    for (size_t i = 0; i < m.n; i++) {
        const struct ie_record *r = &m.recs[i];
        size_t c = 0;
        if (hexes[i][0])
            ie_strmap_get(&phash_count, hexes[i], &c);
        sqlite3_reset(ins);
        srv_store_bind_image(ins, scan_id, (int64_t)i + 1, r, hexes[i][0] ? hexes[i] : NULL,
                             c >= 2);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
            goto rollback;
        }
        sqlite3_reset(ins_json);
        sqlite3_bind_int64(ins_json, 1, sqlite3_last_insert_rowid(db));
        sqlite3_bind_int64(ins_json, 2, (int64_t)i + 1);
        sqlite3_bind_text(ins_json, 3, srv_store_record_json(r), -1, free);
        if (sqlite3_step(ins_json) != SQLITE_DONE) {
            rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
            goto rollback;
        }
    }
    if ((rc = srv_store_write_counts(db, scan_id, err)) < 0)
        goto rollback;
    if ((rc = srv_db_exec(db, "COMMIT", err)) < 0)
        goto rollback; /* A failed COMMIT can leave the transaction open. */
    if (rc == 0 && stats) {
        stats->total = (int64_t)m.n;
        stats->corrupt = 0;
        for (size_t i = 0; i < m.n; i++)
            stats->corrupt += m.recs[i].is_corrupt;
        stats->input_dir = m.meta.input_dir ? ie_xstrdup(m.meta.input_dir) : NULL;
        stats->has_header = m.meta.present;
    }
    if (rc == 0 && keep) {
        *keep = m;
        ie_manifest_init(&m);
    }
    goto out;
rollback:
    srv_db_exec(db, "ROLLBACK", NULL);
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    sqlite3_finalize(ins_json);
    ie_strmap_release(&phash_count);
    free(hexes);
    ie_manifest_release(&m);
    return rc;
}

/* The flags by their bit in images.flags (bit i is 1 << i). */
static const char *const flag_names[] = {"corrupt", "dark",     "overexposed",
                                         "blurry",  "artifact", "duplicate"};

/* The flag's bit in images.flags, or 0 for an unknown flag. */
static int flag_bit(const char *flag, size_t len)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(flag_names); i++)
        if (strlen(flag_names[i]) == len && strncmp(flag, flag_names[i], len) == 0)
            return 1 << i;
    return 0;
}

/* The bits of a comma-separated list of flags into *mask (0 for none); false at an unknown
 * flag, whose name is left in bad. */
static bool flag_mask(const char *list, int *mask, char *bad, size_t bad_size)
{
    *mask = 0;
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        int bit = flag_bit(p, n);
        if (!bit && n) {
            snprintf(bad, bad_size, "%.*s", (int)(n > 64 ? 64 : n), p);
            return false;
        }
        *mask |= bit;
        p += n + (p[n] == ',');
    }
    return true;
}

const char *const srv_image_range_names[SRV_RANGE_N] = {"blur",   "brightness", "width",
                                                        "height", "aspect",     "bytes"};

/* The SQL value each range filter bounds; an image without a height has no aspect ratio. */
static const char *const range_sql[SRV_RANGE_N] = {
    "blur_score",
    "mean_brightness",
    "width",
    "height",
    "(CASE WHEN height > 0 THEN CAST(width AS REAL) / height END)",
    "file_size_bytes"};

/* Parameters: ?1 scan, ?2 path part, ?3 format, ?4 limit, ?5 offset, ?6 counts key, ?7.. the
 * range bounds (min then max of each range), then the camera, the split and the class. */
#define RANGE_PARAM(i, is_max) (7 + 2 * (i) + (is_max))
#define CAMERA_PARAM           RANGE_PARAM(SRV_RANGE_N, 0)
#define SPLIT_PARAM            (CAMERA_PARAM + 1)
#define CLASS_PARAM            (CAMERA_PARAM + 2)

/* The WHERE clause of a page query; true when it holds more than the scan and one count key
 * (a path part, a camera, a split, a class, a range, or two of flags and format), so the total
 * needs COUNT(*).
 * For the page itself (page true) the ranges are written +column: SQLite then walks the sort
 * column's index and stops at the page's end, where it would otherwise take every row of the
 * range from the range's index and sort them all (1 s at 10^5 for a range most rows are in);
 * the COUNT keeps the range index. A class is looked up by its own key, and the format and
 * split, which can hold most of the scan, are then written +column so that SQLite does not walk
 * their index instead (class and split train at 10^5 records: 0.3 s to count, 0.03 s). */
static bool image_where(const struct srv_image_query *q, int mask, bool page, struct ie_buf *where)
{
    bool cls = q->cls && *q->cls;
    bool more = (q->q && *q->q) || (q->camera && *q->camera) || (q->split && *q->split) || cls;
    ie_buf_adds(where, "scan_id = ?1");
    if (mask)
        ie_buf_addf(where, " AND (flags & %d) = %d", mask, mask);
    if (q->q && *q->q)
        ie_buf_adds(where, " AND instr(path, ?2) > 0");
    if (q->format && *q->format)
        ie_buf_addf(where, " AND %sformat = ?3", cls ? "+" : "");
    for (int i = 0; i < SRV_RANGE_N; i++) {
        const char *plus = page && i != SRV_RANGE_ASPECT ? "+" : "";
        if (q->has_min[i])
            ie_buf_addf(where, " AND %s%s >= ?%d", plus, range_sql[i], RANGE_PARAM(i, 0));
        if (q->has_max[i])
            ie_buf_addf(where, " AND %s%s <= ?%d", plus, range_sql[i], RANGE_PARAM(i, 1));
        more = more || q->has_min[i] || q->has_max[i];
    }
    if (q->camera && *q->camera)
        ie_buf_addf(where, " AND instr(lower(camera), lower(?%d)) > 0", CAMERA_PARAM);
    if (q->split && *q->split)
        ie_buf_addf(where, " AND %ssplit = ?%d", cls ? "+" : "", SPLIT_PARAM);
    /* The class's images come from image_classes' key (scan_id, class, image_id). */
    if (cls)
        ie_buf_addf(where,
                    " AND id IN (SELECT image_id FROM image_classes WHERE scan_id = ?1 AND "
                    "class = ?%d)",
                    CLASS_PARAM);
    int n_flags = 0;
    for (int m = mask; m; m &= m - 1)
        n_flags++;
    return more || n_flags > 1 || (mask && q->format && *q->format);
}

static void bind_filters(sqlite3_stmt *st, const char *scan_id, const struct srv_image_query *q)
{
    sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
    if (q->q && *q->q)
        sqlite3_bind_text(st, 2, q->q, -1, SQLITE_STATIC);
    if (q->format && *q->format)
        sqlite3_bind_text(st, 3, q->format, -1, SQLITE_STATIC);
    for (int i = 0; i < SRV_RANGE_N; i++) {
        if (q->has_min[i])
            sqlite3_bind_double(st, RANGE_PARAM(i, 0), q->min[i]);
        if (q->has_max[i])
            sqlite3_bind_double(st, RANGE_PARAM(i, 1), q->max[i]);
    }
    if (q->camera && *q->camera)
        sqlite3_bind_text(st, CAMERA_PARAM, q->camera, -1, SQLITE_STATIC);
    if (q->split && *q->split)
        sqlite3_bind_text(st, SPLIT_PARAM, q->split, -1, SQLITE_STATIC);
    if (q->cls && *q->cls)
        sqlite3_bind_text(st, CLASS_PARAM, q->cls, -1, SQLITE_STATIC);
}

/* Appends ,"<member>":{name: images} from the scan's counts keyed "<what>:<name>" (split,
 * class), so a client shows a choice only for a scan that has some. Names are JSON-escaped:
 * class names come from the dataset's files. */
static void append_counts(sqlite3 *db, const char *scan_id, const char *what, const char *member,
                          struct ie_buf *b)
{
    sqlite3_stmt *st = NULL;
    struct ie_err err = {0};
    char lo[16], hi[16];
    snprintf(lo, sizeof(lo), "%s:", what);
    snprintf(hi, sizeof(hi), "%s;", what); /* ';' follows ':': the end of the prefix's keys */
    cJSON *o = cJSON_CreateObject();
    if (srv_db_prepare_cached(db,
                              "SELECT substr(key, length(?2) + 1), n FROM scan_counts WHERE "
                              "scan_id = ?1 AND key >= ?2 AND key < ?3 ORDER BY key",
                              &st, &err) == 0) {
        sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
            cJSON_AddNumberToObject(o, (const char *)sqlite3_column_text(st, 0),
                                    (double)sqlite3_column_int64(st, 1));
    }
    srv_db_done(st);
    char *text = cJSON_PrintUnformatted(o);
    ie_buf_addf(b, ",\"%s\":%s", member, text ? text : "{}");
    free(text);
    cJSON_Delete(o);
}

static const char *sort_column(const char *field)
{
    static const char *const map[][2] = {
        {"path", "path COLLATE natural_name"},
        {"filename", "filename COLLATE natural_name"},
        {"format", "format"},
        {"width", "width"},
        {"height", "height"},
        {"file_size_bytes", "file_size_bytes"},
        {"mean_brightness", "mean_brightness"},
        {"blur_score", "blur_score"},
        {"delta", "border_delta"},
        {"id", "id"},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(map); i++)
        if (strcmp(field, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

/* Appends the stored record with its "id" added, as written (no re-print: a cJSON round trip
 * would turn 1.0 into 1 and cost a parse per record). A record of an imported manifest may hold
 * bytes that are not UTF-8 (cJSON reads and prints them as they are): they are shown as \xNN,
 * as scans record such file names, so the page stays JSON. */
/* checked: the record was made valid UTF-8 when indexed (image_records.utf8). */
static void append_image_json(struct ie_buf *b, const char *j, bool checked, int64_t id)
{
    size_t n = j ? strlen(j) : 0;
    char *safe = n && !checked && !ie_utf8_valid(j, n) ? ie_utf8_sanitize_json(j, n) : NULL;
    if (safe) {
        j = safe;
        n = strlen(safe);
    }
    while (n && j[n - 1] != '}')
        n--;
    if (n >= 2) {
        ie_buf_add(b, j, n - 1);
        ie_buf_addf(b, ",\"id\":%lld}", (long long)id);
    } else {
        ie_buf_addf(b, "{\"id\":%lld}", (long long)id);
    }
    free(safe);
}

int srv_store_query_images(sqlite3 *db, const char *scan_id, const struct srv_image_query *q,
                           char **out, size_t *out_len, struct ie_err *err)
{
    struct ie_buf where, sql;
    sqlite3_stmt *st = NULL, *cnt = NULL, *rec = NULL;
    const char *sort_col = "id";
    char bad[80];
    int flag = 0;
    bool desc = false;
    int rc = 0;

    if (!flag_mask(q->flag, &flag, bad, sizeof(bad)))
        return ie_err_set(err, IE_EINVAL,
                          "flag: unknown value \"%s\" (corrupt, dark, overexposed, blurry, "
                          "artifact, duplicate)",
                          bad);
    if (q->sort && *q->sort) {
        const char *f = q->sort;
        if (*f == '-') {
            desc = true;
            f++;
        }
        if (!(sort_col = sort_column(f)))
            return ie_err_set(err, IE_EINVAL,
                              "sort: unknown field \"%s\" (path, filename, format, width, height, "
                              "file_size_bytes, mean_brightness, blur_score, delta, id)",
                              f);
    }
    ie_buf_init(&where);
    ie_buf_init(&sql);
    /* Totals come from scan_counts for the whole scan, one flag or one format. */
    bool counted = !image_where(q, flag, false, &where);
    if (counted)
        ie_buf_adds(&sql, "SELECT n FROM scan_counts WHERE scan_id = ?1 AND key = ?6");
    else
        ie_buf_addf(&sql, "SELECT COUNT(*) FROM images WHERE %s", where.data);
    if ((rc = srv_db_prepare_cached(db, sql.data, &cnt, err)) < 0)
        goto out;
    ie_buf_reset(&sql);
    ie_buf_reset(&where);
    image_where(q, flag, true, &where);
    /* SQL's order: records without the value (corrupt ones) sort as the smallest. Ties are
     * broken by the flag bits, then rowid (record order), so pages are stable and the whole
     * ORDER BY is the (scan_id, column, flags) index's own order: no sort step (names sort
     * naturally, which no index holds: a sort of the scan's rows, ~0.1 s at 10^5). */
    const char *dir = desc ? "DESC" : "ASC";
    ie_buf_addf(&sql,
                "SELECT rowid FROM images WHERE %s ORDER BY %s %s, flags %s, rowid %s "
                "LIMIT ?4 OFFSET ?5",
                where.data, sort_col, dir, dir, dir);
    if ((rc = srv_db_prepare_cached(
             db, "SELECT id, record_json, utf8 FROM image_records WHERE rowid_ref = ?", &rec,
             err)) < 0)
        goto out;
    if ((rc = srv_db_prepare_cached(db, sql.data, &st, err)) < 0)
        goto out;
    bind_filters(cnt, scan_id, q);
    bind_filters(st, scan_id, q);
    if (counted) {
        char key[160];
        if (flag) /* one flag: the other bits are 0 */
            snprintf(key, sizeof(key), "flag:%s", flag_names[__builtin_ctz((unsigned)flag)]);
        else if (q->format && *q->format)
            snprintf(key, sizeof(key), "format:%.100s", q->format);
        else
            snprintf(key, sizeof(key), "all");
        sqlite3_bind_text(cnt, 6, key, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int(st, 4, q->limit);
    sqlite3_bind_int64(st, 5, q->cursor);
    int64_t total = sqlite3_step(cnt) == SQLITE_ROW ? sqlite3_column_int64(cnt, 0) : 0;
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_adds(&b, "{\"images\":[");
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_reset(rec);
        sqlite3_bind_int64(rec, 1, sqlite3_column_int64(st, 0));
        if (sqlite3_step(rec) == SQLITE_ROW) {
            if (n)
                ie_buf_addc(&b, ',');
            append_image_json(&b, (const char *)sqlite3_column_text(rec, 1),
                              sqlite3_column_int(rec, 2) != 0, sqlite3_column_int64(rec, 0));
            n++;
        }
    }
    ie_buf_addf(&b, "],\"total\":%lld,\"next_cursor\":", (long long)total);
    if (q->cursor + n < total)
        ie_buf_addf(&b, "\"%lld\"", (long long)(q->cursor + n));
    else
        ie_buf_adds(&b, "null");
    append_counts(db, scan_id, "split", "splits", &b);
    append_counts(db, scan_id, "class", "classes", &b);
    ie_buf_addc(&b, '}');
    *out_len = b.len;
    *out = ie_buf_detach(&b);
out:
    srv_db_done(cnt);
    srv_db_done(st);
    srv_db_done(rec);
    ie_buf_release(&where);
    ie_buf_release(&sql);
    return rc;
}

int srv_store_image_id_by_path(sqlite3 *db, const char *scan_id, const char *path, int64_t *id,
                               struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc =
        srv_db_prepare_cached(db, "SELECT id FROM images WHERE scan_id = ? AND path = ?", &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE)
        rc = ie_err_set(err, IE_ENOENT, "no image %s in scan %s", path, scan_id);
    else
        rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    srv_db_done(st);
    return rc;
}

int srv_store_get_image(sqlite3 *db, const char *scan_id, int64_t image_id, char **out, char **path,
                        struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare_cached(
        db,
        "SELECT r.record_json, i.path, r.utf8 FROM images i JOIN image_records r "
        "ON r.rowid_ref = i.rowid WHERE i.scan_id = ? AND i.id = ?",
        &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, image_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (out) {
            struct ie_buf b;
            ie_buf_init(&b);
            append_image_json(&b, (const char *)sqlite3_column_text(st, 0),
                              sqlite3_column_int(st, 2) != 0, image_id);
            *out = ie_buf_detach(&b);
        }
        if (path)
            *path = col_str(st, 1);
    } else {
        rc = ie_err_set(err, IE_ENOENT, "no image %lld in scan %s", (long long)image_id, scan_id);
    }
    srv_db_done(st);
    return rc;
}

char *srv_slim_snap_path(const char *manifest_path)
{
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_addf(&b, "%s.slim", manifest_path);
    return ie_buf_detach(&b);
}
