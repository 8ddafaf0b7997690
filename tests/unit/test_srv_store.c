/* The daemon's SQLite store on a real file: migrations, scan rows, paging, indexing a manifest
 * and the image queries the API pages with. Every test closes its connections and removes its
 * temp dir (the suite's fixture). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "helpers.h"
#include "imgeda/util.h"
#include "store.h"

/* Every test gets a temp dir with a migrated database (db; db2 for a test's second connection).
 * The suite's teardown closes every connection and removes the dir, also when an assertion ends
 * a test early. */
struct fx {
    char *dir, *db_path;
    sqlite3 *db, *db2;
};
static struct fx F;

static void fx_open(void)
{
    struct ie_err err = {0};
    F.dir = th_tempdir();
    F.db_path = th_path(F.dir, "imgedad.db");
    cr_assert_eq(srv_db_open(F.db_path, &F.db, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_db_migrate(F.db, &err), 0, "%s", err.msg);
}

static void fx_close(void)
{
    struct stat st;
    srv_db_close(F.db);
    srv_db_close(F.db2);
    th_rmrf(F.dir);
    cr_expect_neq(stat(F.dir, &st), 0, "the temp dir %s is removed", F.dir);
    free(F.dir);
    free(F.db_path);
    memset(&F, 0, sizeof(F));
}

TestSuite(store, .init = fx_open, .fini = fx_close);

/* ---- helpers ---- */

/* The single integer a query answers (a row count, a pragma). */
static int64_t sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Fills a row's required fields (owned copies: release it). */
static void fill_row(struct srv_scan_row *r, const char *id, const char *root, const char *status,
                     int64_t seq, bool imported)
{
    char mp[64];
    snprintf(mp, sizeof(mp), "/var/manifests/%s.jsonl", id);
    r->id = ie_xstrdup(id);
    r->name = ie_xstrdup(id);
    r->root = ie_xstrdup(root);
    r->status = ie_xstrdup(status);
    r->options_json = ie_xstrdup("{\"workers\":2}");
    r->manifest_path = ie_xstrdup(mp);
    r->imported = imported;
    r->created_at = ie_xstrdup("2025-06-01T10:00:00.000000+00:00");
    r->seq = seq;
}

static void add_scan(const char *id, const char *root, const char *status, int64_t seq,
                     bool imported)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    fill_row(&r, id, root, status, seq, imported);
    cr_assert_eq(srv_store_insert_scan(F.db, &r, &err), 0, "%s", err.msg);
    srv_scan_row_release(&r);
}

/* A row numbered after the others, as jobs.c inserts them. */
static void insert(const char *id, const char *root, const char *status)
{
    add_scan(id, root, status, srv_store_next_seq(F.db), false);
}

/* A manifest of n records: every third corrupt (no format), the fifth "" format, the rest
 * alternating JPEG/PNG, brightness i*10 (dark below 40), blur 500-i. */
static char *write_manifest(const char *name, int n)
{
    char *p = th_path(F.dir, name);
    FILE *out = fopen(p, "w");
    cr_assert_not_null(out);
    fprintf(out,
            "{\"__manifest_meta__\":true,\"input_dir\":\"/data/set\",\"schema_version\":1,"
            "\"settings\":{},\"total_files\":%d,\"created_at\":\"x\"}\n",
            n);
    for (int i = 0; i < n; i++) {
        bool corrupt = i % 3 == 2;
        const char *fmt = corrupt ? "null" : i == 4 ? "\"\"" : i % 2 ? "\"PNG\"" : "\"JPEG\"";
        fprintf(out,
                "{\"path\":\"/data/set/img_%02d.jpg\",\"filename\":\"img_%02d.jpg\","
                "\"file_size_bytes\":%d,\"width\":%d,\"height\":10,\"format\":%s,"
                "\"pixel_stats\":%s,\"blur_score\":%s,\"is_corrupt\":%s,\"is_dark\":%s,"
                "\"is_blurry\":false,\"is_overexposed\":false,\"has_border_artifact\":false,"
                "\"phash\":null}\n",
                i, i, 1000 + i, 100 + i, fmt,
                corrupt ? "null" : "{\"mean_brightness\":0,\"std_brightness\":0}",
                corrupt ? "null" : "1.5", corrupt ? "true" : "false",
                !corrupt && i < 4 ? "true" : "false");
    }
    fclose(out);
    return p;
}

static char *write_text(const char *name, const char *text)
{
    char *p = th_path(F.dir, name);
    th_write(p, text, strlen(text));
    return p;
}

#define P1 "1111111111111111111111111111111111111111111111111111111111111111"
#define P2 "2222222222222222222222222222222222222222222222222222222222222222"
#define P3 "3333333333333333333333333333333333333333333333333333333333333333"

/* Six records chosen so that every flag, sort column and tie-break shows ("-" is null):
 *   id path              format size      bytes bright blur delta phash flags
 *   1  /ds/a/cat1.jpg    JPEG   640x480   1000  100    500  0     P1    duplicate
 *   2  /ds/a/cat2.jpg    JPEG   1920x1080 2000  30     50   5     P1    dark blurry duplicate
 *   3  /ds/b/dog.png     PNG    100x100   4000  230    150  60    P2    overexposed artifact
 *   4  /ds/b/broken.jpg  ""     0x0       300   -      -    -     -     corrupt
 *   5  /ds/c/bird.webp   WEBP   300x200   1500  120    80   10    P3    blurry
 *   6  /ds/c/ghost.jpg   JPEG   0x0       50    -      -    -     P3    corrupt
 * ghost shares bird's phash, yet bird is no duplicate: a corrupt record's phash does not count. */
static const char MANIFEST[] =
    "{\"__manifest_meta__\":true,\"input_dir\":\"/ds\",\"schema_version\":1,\"settings\":{},"
    "\"total_files\":6,\"created_at\":\"2025-06-01T10:00:00.000000+00:00\"}\n"
    "{\"path\":\"/ds/a/cat1.jpg\",\"filename\":\"cat1.jpg\",\"file_size_bytes\":1000,"
    "\"width\":640,\"height\":480,\"format\":\"JPEG\",\"pixel_stats\":{\"mean_brightness\":100.0},"
    "\"corner_stats\":{\"delta\":0.0},\"phash\":\"" P1 "\",\"blur_score\":500.0}\n"
    "{\"path\":\"/ds/a/cat2.jpg\",\"filename\":\"cat2.jpg\",\"file_size_bytes\":2000,"
    "\"width\":1920,\"height\":1080,\"format\":\"JPEG\",\"pixel_stats\":{\"mean_brightness\":30.0},"
    "\"corner_stats\":{\"delta\":5.0},\"phash\":\"" P1 "\",\"blur_score\":50.0,"
    "\"is_blurry\":true,\"is_dark\":true}\n"
    "{\"path\":\"/ds/b/dog.png\",\"filename\":\"dog.png\",\"file_size_bytes\":4000,"
    "\"width\":100,\"height\":100,\"format\":\"PNG\",\"pixel_stats\":{\"mean_brightness\":230.0},"
    "\"corner_stats\":{\"delta\":60.0},\"phash\":\"" P2 "\",\"blur_score\":150.0,"
    "\"is_overexposed\":true,\"has_border_artifact\":true}\n"
    "{\"path\":\"/ds/b/broken.jpg\",\"filename\":\"broken.jpg\",\"file_size_bytes\":300,"
    "\"format\":\"\",\"is_corrupt\":true,\"error\":\"not an image\"}\n"
    "{\"path\":\"/ds/c/bird.webp\",\"filename\":\"bird.webp\",\"file_size_bytes\":1500,"
    "\"width\":300,\"height\":200,\"format\":\"WEBP\",\"pixel_stats\":{\"mean_brightness\":120.0},"
    "\"corner_stats\":{\"delta\":10.0},\"phash\":\"" P3 "\",\"blur_score\":80.0,"
    "\"is_blurry\":true}\n"
    "{\"path\":\"/ds/c/ghost.jpg\",\"filename\":\"ghost.jpg\",\"file_size_bytes\":50,"
    "\"format\":\"JPEG\",\"phash\":\"" P3 "\",\"is_corrupt\":true}\n";

/* Adds scan id and indexes MANIFEST into it. */
static void add_indexed_scan(const char *id, int64_t seq)
{
    struct ie_err err = {0};
    char *mp = write_text("m.jsonl", MANIFEST);
    add_scan(id, "/ds", "succeeded", seq, false);
    cr_assert_eq(srv_store_index_manifest(F.db, id, mp, NULL, NULL, &err), 0, "%s", err.msg);
    free(mp);
}

/* What a page of images says: its ids joined by commas, the total, and the cursor ("" for
 * null). */
struct page {
    char ids[256];
    int64_t total;
    char next[32];
};

static struct page query(const char *scan_id, struct srv_image_query q)
{
    struct page p = {{0}, 0, {0}};
    struct ie_err err = {0};
    char *out = NULL;
    size_t len = 0;
    const cJSON *it;
    cr_assert_eq(srv_store_query_images(F.db, scan_id, &q, &out, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(len, strlen(out));
    cJSON *o = cJSON_Parse(out);
    cr_assert_not_null(o, "not JSON: %s", out);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "images"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        cr_assert(cJSON_IsNumber(id), "an image without an id in %s", out);
        snprintf(p.ids + strlen(p.ids), sizeof(p.ids) - strlen(p.ids), "%s%d", p.ids[0] ? "," : "",
                 id->valueint);
    }
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(o, "total");
    cr_assert(cJSON_IsNumber(total), "%s", out);
    p.total = (int64_t)total->valuedouble;
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(o, "next_cursor");
    if (cJSON_IsString(next))
        snprintf(p.next, sizeof(p.next), "%s", next->valuestring);
    else
        cr_assert(cJSON_IsNull(next), "next_cursor is a string or null: %s", out);
    cJSON_Delete(o);
    free(out);
    return p;
}

static void expect_page(struct page p, const char *ids, int64_t total, const char *next)
{
    cr_expect_str_eq(p.ids, ids);
    cr_expect_eq(p.total, total, "total %lld, want %lld (ids %s)", (long long)p.total,
                 (long long)total, ids);
    cr_expect_str_eq(p.next, next, "next_cursor after %s", ids);
}

/* The ids of a scan list page and its cursor ("" for null). */
static void list_page(const char *status, int limit, int64_t before, char *ids, size_t n,
                      char *next, size_t next_n)
{
    struct ie_err err = {0};
    cJSON *o = NULL;
    const cJSON *it;
    cr_assert_eq(srv_store_list_scans(F.db, status, limit, before, &o, &err), 0, "%s", err.msg);
    ids[0] = '\0';
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(o, "scans"))
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        cr_assert(cJSON_IsString(id));
        snprintf(ids + strlen(ids), n - strlen(ids), "%s%s", ids[0] ? "," : "", id->valuestring);
    }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "next_cursor");
    next[0] = '\0';
    if (cJSON_IsString(c))
        snprintf(next, next_n, "%s", c->valuestring);
    else
        cr_assert(cJSON_IsNull(c));
    cJSON_Delete(o);
}

/* ---- migrations ---- */

Test(store, migrations_apply_once_and_a_newer_database_is_refused)
{
    struct ie_err err = {0};
    cr_assert_eq(srv_db_version(F.db), srv_db_latest_version());
    cr_assert_eq(srv_db_migrate(F.db, &err), 0, "a second migrate is a no-op: %s", err.msg);
    cr_assert_eq(srv_db_exec(F.db, "PRAGMA user_version = 999", &err), 0);
    cr_assert_lt(srv_db_migrate(F.db, &err), 0);
    cr_assert(strstr(err.msg, "newer") || strstr(err.msg, "999"), "%s", err.msg);
}

Test(store, a_new_file_is_migrated_to_the_latest_version)
{
    struct ie_err err = {0};
    char *p = th_path(F.dir, "new.db");
    cr_assert_eq(srv_db_open(p, &F.db2, &err), 0, "%s", err.msg);
    cr_expect_eq(srv_db_version(F.db2), 0, "a new file starts at version 0");
    cr_assert_eq(srv_db_migrate(F.db2, &err), 0, "%s", err.msg);
    cr_expect_gt(srv_db_latest_version(), 0);
    cr_expect_eq(srv_db_version(F.db2), srv_db_latest_version());
    cr_expect_eq(sql_int(F.db2, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('scans', "
                                "'images', 'image_records', 'scan_counts', 'images_by_blur')"),
                 5, "every table and the last migration's indexes exist");
    cr_expect_eq(sql_int(F.db2, "PRAGMA foreign_keys"), 1);
    cr_expect_eq(sql_int(F.db2, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    free(p);
}

Test(store, reopening_an_existing_file_keeps_its_rows_and_migrates_nothing)
{
    struct ie_err err = {0};
    add_scan("s1", "/r", "succeeded", 1, false);
    srv_db_close(F.db);
    F.db = NULL;
    cr_assert_eq(srv_db_open(F.db_path, &F.db, &err), 0, "%s", err.msg);
    cr_expect_eq(srv_db_version(F.db), srv_db_latest_version());
    cr_assert_eq(srv_db_migrate(F.db, &err), 0, "%s", err.msg);
    cr_expect_eq(srv_db_version(F.db), srv_db_latest_version());
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM scans WHERE id = 's1'"), 1);
    /* A second connection (another thread's) sees the same schema and rows. */
    cr_assert_eq(srv_db_open(F.db_path, &F.db2, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_db_migrate(F.db2, &err), 0, "%s", err.msg);
    cr_expect_eq(sql_int(F.db2, "SELECT COUNT(*) FROM scans"), 1);
}

Test(store, a_database_newer_than_the_binary_is_refused)
{
    struct ie_err err = {0};
    char sql[64], want[128];
    int newer = srv_db_latest_version() + 1;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", newer);
    cr_assert_eq(srv_db_exec(F.db, sql, &err), 0, "%s", err.msg);
    cr_expect_eq(srv_db_migrate(F.db, &err), IE_EINVAL);
    snprintf(want, sizeof(want), "database schema version %d is newer than this imgedad (%d)",
             newer, srv_db_latest_version());
    cr_expect_str_eq(err.msg, want);
    cr_expect_eq(srv_db_version(F.db), newer, "the version is left as it was");
}

Test(store, a_failing_migration_is_rolled_back_and_named)
{
    struct ie_err err = {0};
    char *p = th_path(F.dir, "clash.db");
    cr_assert_eq(srv_db_open(p, &F.db2, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_db_exec(F.db2, "CREATE TABLE scans (x)", &err), 0, "%s", err.msg);
    cr_expect_eq(srv_db_migrate(F.db2, &err), IE_EIO);
    cr_expect_str_eq(err.msg,
                     "migration 0001_init.sql failed: database: table scans already exists");
    cr_expect_eq(srv_db_version(F.db2), 0);
    cr_expect_eq(sql_int(F.db2, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'images'"), 0,
                 "nothing of the failed migration is left");
    cr_expect_neq(sqlite3_get_autocommit(F.db2), 0, "no transaction is left open");
    free(p);
}

Test(store, opening_a_database_in_a_missing_folder_fails_with_its_path)
{
    struct ie_err err = {0};
    char *p = th_path(F.dir, "no/such/dir/x.db");
    cr_expect_eq(srv_db_open(p, &F.db2, &err), IE_EIO);
    cr_expect_null(F.db2);
    cr_expect(strstr(err.msg, "cannot open database") && strstr(err.msg, p), "%s", err.msg);
    free(p);
}

/* ---- scans ---- */

Test(store, scan_rows_round_trip_and_unknown_ids_are_enoent)
{
    struct ie_err err = {0};
    struct srv_scan_row r = {0};
    struct ie_scan_progress p = {
        .total = 10, .durable = 4, .corrupt = 1, .bytes = 4096, .rate_per_s = 2.5, .eta_s = -1};
    insert("s1", "/data/a", "queued");
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.root, "/data/a");
    cr_expect_str_eq(r.status, "queued");
    cr_expect_str_eq(r.options_json, "{\"workers\":2}");
    cr_expect_null(r.started_at);
    srv_scan_row_release(&r);

    cr_assert_eq(srv_store_set_status(F.db, "s1", "running", NULL, &err), 0);
    cr_assert_eq(srv_store_set_progress(F.db, "s1", &p, &err), 0);
    cr_assert_eq(srv_store_set_root(F.db, "s1", "/data/b", &err), 0);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0);
    cr_expect_str_eq(r.status, "running");
    cr_expect_not_null(r.started_at);
    cr_expect_null(r.finished_at);
    cr_expect_eq(r.total, 10);
    cr_expect_eq(r.processed, 4, "progress counts durable records only");
    cr_expect_eq(r.corrupt, 1);
    cr_expect_eq(r.bytes, 4096);
    cr_expect_not(r.has_eta);
    cr_expect_str_eq(r.root, "/data/b");
    srv_scan_row_release(&r);

    cr_assert_eq(srv_store_set_status(F.db, "s1", "failed", "disk full", &err), 0);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0);
    cr_expect_str_eq(r.error, "disk full");
    cr_expect_not_null(r.finished_at);
    cJSON *j = srv_scan_row_to_json(&r);
    cr_expect_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "failed");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "progress"), "eta_s")));
    cJSON_Delete(j);
    srv_scan_row_release(&r);

    cr_assert_eq(srv_store_get_scan(F.db, "nope", &r, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no scan nope");
}

Test(store, insert_and_get_round_trip_every_field)
{
    struct srv_scan_row in = {0}, out = {0};
    struct ie_err err = {0};
    fill_row(&in, "s1", "/data/cats", "failed", 7, true);
    in.started_at = ie_xstrdup("2025-06-01T10:00:01.000000+00:00");
    in.finished_at = ie_xstrdup("2025-06-01T10:00:02.000000+00:00");
    in.error = ie_xstrdup("disk full");
    in.total = 10;
    in.processed = 7;
    in.corrupt = 2;
    in.bytes = 5000000000LL;
    in.rate_per_s = 2.5;
    in.has_eta = true;
    in.eta_s = 1.25;
    cr_assert_eq(srv_store_insert_scan(F.db, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &out, &err), 0, "%s", err.msg);
    cr_expect_str_eq(out.id, in.id);
    cr_expect_str_eq(out.name, in.name);
    cr_expect_str_eq(out.root, in.root);
    cr_expect_str_eq(out.status, in.status);
    cr_expect_str_eq(out.options_json, in.options_json);
    cr_expect_str_eq(out.manifest_path, in.manifest_path);
    cr_expect(out.imported);
    cr_expect_str_eq(out.created_at, in.created_at);
    cr_expect_str_eq(out.started_at, in.started_at);
    cr_expect_str_eq(out.finished_at, in.finished_at);
    cr_expect_str_eq(out.error, in.error);
    cr_expect_eq(out.total, 10);
    cr_expect_eq(out.processed, 7);
    cr_expect_eq(out.corrupt, 2);
    cr_expect_eq(out.bytes, 5000000000LL);
    cr_expect_eq(out.rate_per_s, 2.5);
    cr_expect(out.has_eta);
    cr_expect_eq(out.eta_s, 1.25);
    cr_expect_eq(out.seq, 7);
    srv_scan_row_release(&out);
    srv_scan_row_release(&in);
}

Test(store, absent_optional_fields_come_back_as_null)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("s1", "/r", "queued", 1, false);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_null(r.started_at);
    cr_expect_null(r.finished_at);
    cr_expect_null(r.error);
    cr_expect(!r.imported);
    cr_expect(!r.has_eta);
    cr_expect_eq(r.total, 0);
    srv_scan_row_release(&r);
    cr_expect_null(r.id, "release leaves the row empty");
}

Test(store, scan_json_has_options_progress_and_nulls)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("s1", "/r", "queued", 1, false);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cJSON *o = srv_scan_row_to_json(&r);
    char *s = cJSON_PrintUnformatted(o);
    cr_expect_str_eq(s, "{\"id\":\"s1\",\"name\":\"s1\",\"root\":\"/r\",\"status\":\"queued\","
                        "\"options\":{\"workers\":2},\"imported\":false,\"version\":1,"
                        "\"created_at\":\"2025-06-01T10:00:00.000000+00:00\","
                        "\"started_at\":null,\"finished_at\":null,\"error\":null,"
                        "\"progress\":{\"total\":0,\"processed\":0,\"corrupt\":0,\"bytes\":0,"
                        "\"rate_per_s\":0.0,\"eta_s\":null}}");
    free(s);
    cJSON_Delete(o);
    srv_scan_row_release(&r);
}

Test(store, a_second_scan_with_the_same_id_or_a_bad_status_is_refused)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("s1", "/r", "queued", 1, false);
    fill_row(&r, "s1", "/elsewhere", "queued", 2, false);
    cr_expect_eq(srv_store_insert_scan(F.db, &r, &err), IE_EIO);
    cr_expect_str_eq(err.msg, "database: UNIQUE constraint failed: scans.id");
    srv_scan_row_release(&r);
    fill_row(&r, "s2", "/r", "paused", 3, false);
    cr_expect_eq(srv_store_insert_scan(F.db, &r, &err), IE_EIO);
    cr_expect(strstr(err.msg, "CHECK constraint failed") != NULL, "%s", err.msg);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM scans"), 1);
    srv_scan_row_release(&r);
}

Test(store, get_of_an_unknown_id_is_enoent_with_a_message)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("s1", "/r", "queued", 1, false);
    cr_expect_eq(srv_store_get_scan(F.db, "nope", &r, &err), IE_ENOENT);
    cr_expect_eq(err.code, IE_ENOENT);
    cr_expect_str_eq(err.msg, "no scan nope");
    cr_expect_null(r.id, "the row is left empty");
}

Test(store, set_status_stamps_start_once_and_finish_on_final_states)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    char *started;
    add_scan("s1", "/r", "queued", 1, false);

    cr_assert_eq(srv_store_set_status(F.db, "s1", "running", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.status, "running");
    cr_assert_not_null(r.started_at);
    cr_expect_eq(strlen(r.started_at), strlen("2025-06-01T10:00:00.000000+00:00"), "%s",
                 r.started_at);
    cr_expect_null(r.finished_at);
    started = ie_xstrdup(r.started_at);
    srv_scan_row_release(&r);

    cr_assert_eq(srv_store_set_status(F.db, "s1", "failed", "disk full", &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.status, "failed");
    cr_expect_str_eq(r.error, "disk full");
    cr_expect_str_eq(r.started_at, started, "start is kept");
    cr_assert_not_null(r.finished_at);
    cr_expect_geq(strcmp(r.finished_at, started), 0);
    srv_scan_row_release(&r);

    /* A resumed scan runs again: the error and the finish time go, the first start stays. */
    cr_assert_eq(srv_store_set_status(F.db, "s1", "running", NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.started_at, started);
    cr_expect_null(r.finished_at);
    cr_expect_null(r.error);
    srv_scan_row_release(&r);

    const char *finals[] = {"succeeded", "cancelled"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(srv_store_set_status(F.db, "s1", finals[i], NULL, &err), 0, "%s", err.msg);
        cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
        cr_expect_str_eq(r.status, finals[i]);
        cr_expect_not_null(r.finished_at, "%s stamps the finish", finals[i]);
        srv_scan_row_release(&r);
    }
    free(started);
}

Test(store, set_status_refuses_an_unknown_status_and_ignores_an_unknown_scan)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("s1", "/r", "queued", 1, false);
    cr_expect_eq(srv_store_set_status(F.db, "s1", "paused", NULL, &err), IE_EIO);
    cr_expect(strstr(err.msg, "CHECK constraint failed") != NULL, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.status, "queued");
    srv_scan_row_release(&r);
    memset(&err, 0, sizeof(err));
    cr_expect_eq(srv_store_set_status(F.db, "nope", "running", NULL, &err), 0);
    cr_expect_str_eq(err.msg, "", "err is untouched on success");
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM scans"), 1);
}

Test(store, set_progress_stores_durable_records_and_a_null_eta_when_unknown)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    struct ie_scan_progress p = {0};
    add_scan("s1", "/r", "running", 1, false);
    p.total = 10;
    p.processed = 7;
    p.durable = 5;
    p.corrupt = 2;
    p.bytes = 123456;
    p.rate_per_s = 2.5;
    p.eta_s = 3.0;
    cr_assert_eq(srv_store_set_progress(F.db, "s1", &p, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_eq(r.total, 10);
    cr_expect_eq(r.processed, 5, "processed counts durable records only");
    cr_expect_eq(r.corrupt, 2);
    cr_expect_eq(r.bytes, 123456);
    cr_expect_eq(r.rate_per_s, 2.5);
    cr_expect(r.has_eta);
    cr_expect_eq(r.eta_s, 3.0);
    srv_scan_row_release(&r);
    p.eta_s = -1;
    cr_assert_eq(srv_store_set_progress(F.db, "s1", &p, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect(!r.has_eta);
    srv_scan_row_release(&r);
}

Test(store, set_root_moves_a_scan_to_another_root)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("s1", "", "succeeded", 1, false);
    cr_assert_eq(srv_store_set_root(F.db, "s1", "/data/cats", &err), 0, "%s", err.msg);
    cr_assert_eq(srv_store_get_scan(F.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.root, "/data/cats");
    srv_scan_row_release(&r);
    cr_assert_eq(srv_store_last_scan_of_root(F.db, "/data/cats", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.id, "s1");
    srv_scan_row_release(&r);
}

Test(store, lists_page_newest_first_with_a_status_filter)
{
    struct ie_err err = {0};
    cJSON *page = NULL;
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "s%d", i);
        insert(id, "/r", i % 2 ? "succeeded" : "queued");
    }
    cr_assert_eq(srv_store_list_scans(F.db, NULL, 2, INT64_MAX, &page, &err), 0, "%s", err.msg);
    cJSON *scans = cJSON_GetObjectItem(page, "scans");
    cr_assert_eq(cJSON_GetArraySize(scans), 2);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(scans, 0), "id")->valuestring, "s4");
    cJSON *cur = cJSON_GetObjectItem(page, "next_cursor");
    cr_assert(cJSON_IsString(cur));
    int64_t before = strtoll(cur->valuestring, NULL, 10);
    cJSON_Delete(page);
    cr_assert_eq(srv_store_list_scans(F.db, NULL, 10, before, &page, &err), 0);
    scans = cJSON_GetObjectItem(page, "scans");
    cr_expect_eq(cJSON_GetArraySize(scans), 3);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(page, "next_cursor")));
    cJSON_Delete(page);
    cr_assert_eq(srv_store_list_scans(F.db, "succeeded", 10, INT64_MAX, &page, &err), 0);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(page, "scans")), 2);
    cJSON_Delete(page);
}

Test(store, list_scans_pages_newest_first_with_a_cursor)
{
    char ids[256], next[32];
    cr_expect_eq(srv_store_next_seq(F.db), 1, "an empty store starts at 1");
    list_page(NULL, 2, INT64_MAX, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "");
    cr_expect_str_eq(next, "");
    add_scan("s1", "/r", "succeeded", 1, false);
    add_scan("s2", "/r", "failed", 2, false);
    add_scan("s3", "/r", "succeeded", 3, false);
    add_scan("s4", "/r", "running", 4, false);
    add_scan("s5", "/r", "succeeded", 5, false);
    cr_expect_eq(srv_store_next_seq(F.db), 6);

    list_page(NULL, 2, INT64_MAX, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "s5,s4");
    cr_expect_str_eq(next, "4");
    list_page(NULL, 2, 4, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "s3,s2");
    cr_expect_str_eq(next, "2");
    list_page(NULL, 2, 2, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "s1");
    cr_expect_str_eq(next, "", "the last page has no cursor");
    list_page(NULL, 5, INT64_MAX, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "s5,s4,s3,s2,s1");
    cr_expect_str_eq(next, "", "a page that holds exactly the rest has no cursor");

    list_page("succeeded", 2, INT64_MAX, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "s5,s3");
    cr_expect_str_eq(next, "3");
    list_page("succeeded", 2, 3, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "s1");
    cr_expect_str_eq(next, "");
    list_page("cancelled", 2, INT64_MAX, ids, sizeof(ids), next, sizeof(next));
    cr_expect_str_eq(ids, "");
}

Test(store, recovery_and_ci_lookups_pick_the_right_scans)
{
    struct ie_err err = {0};
    struct srv_scan_row r = {0};
    char **ids = NULL;
    size_t n = 0;
    insert("old", "/r", "succeeded");
    insert("run", "/r", "running");
    insert("bad", "/r", "failed");
    insert("que", "/q", "queued");
    cr_assert_eq(srv_store_unfinished(F.db, &ids, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(ids[0], "run", "oldest first");
    cr_expect_str_eq(ids[1], "que");
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    cr_assert_eq(srv_store_last_scan_of_root(F.db, "/r", &r, &err), 0);
    cr_expect_str_eq(r.id, "run", "the newest scan of the root that did not fail");
    srv_scan_row_release(&r);
    cr_assert_eq(srv_store_last_scan_of_root(F.db, "/none", &r, &err), IE_ENOENT);
}

Test(store, last_scan_of_root_skips_failed_and_imported_scans)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_scan("old", "/r", "succeeded", 1, false);
    add_scan("broke", "/r", "failed", 2, false);
    add_scan("other", "/elsewhere", "succeeded", 3, false);
    cr_assert_eq(srv_store_last_scan_of_root(F.db, "/r", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.id, "old", "the newer failed scan is skipped");
    srv_scan_row_release(&r);
    add_scan("stopped", "/r", "cancelled", 4, false);
    add_scan("imp", "/r", "succeeded", 5, true);
    cr_assert_eq(srv_store_last_scan_of_root(F.db, "/r", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.id, "stopped", "cancelled counts, an imported manifest does not");
    srv_scan_row_release(&r);
    add_scan("only_failed", "/f", "failed", 6, false);
    cr_expect_eq(srv_store_last_scan_of_root(F.db, "/f", &r, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no scan /f");
    cr_expect_eq(srv_store_last_scan_of_root(F.db, "/nothing", &r, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no scan /nothing");
    cr_expect_null(r.id);
}

Test(store, unfinished_lists_queued_and_running_scans_oldest_first)
{
    struct ie_err err = {0};
    char **ids = NULL;
    size_t n = 99;
    cr_assert_eq(srv_store_unfinished(F.db, &ids, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(n, 0);
    cr_expect_null(ids);
    /* Inserted out of order: the order comes from seq, not from insertion. */
    add_scan("late", "/r", "running", 5, false);
    add_scan("early", "/r", "queued", 2, false);
    add_scan("done", "/r", "succeeded", 3, false);
    add_scan("mid", "/r", "running", 4, false);
    add_scan("gone", "/r", "failed", 1, false);
    add_scan("stop", "/r", "cancelled", 6, false);
    cr_assert_eq(srv_store_unfinished(F.db, &ids, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 3);
    cr_expect_str_eq(ids[0], "early");
    cr_expect_str_eq(ids[1], "mid");
    cr_expect_str_eq(ids[2], "late");
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

Test(store, delete_scan_removes_the_scan_and_its_images)
{
    struct srv_scan_row r = {0};
    struct ie_err err = {0};
    add_indexed_scan("s1", 1);
    add_indexed_scan("s2", 2);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM image_records"), 12);
    cr_assert_eq(srv_store_delete_scan(F.db, "s1", &err), 0, "%s", err.msg);
    cr_expect_eq(srv_store_get_scan(F.db, "s1", &r, &err), IE_ENOENT);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM images WHERE scan_id = 's1'"), 0);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM scan_counts WHERE scan_id = 's1'"), 0);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM image_records"), 6,
                 "the full records of s1 go with its rows");
    expect_page(query("s1", (struct srv_image_query){.limit = 10}), "", 0, "");
    /* The other scan is untouched. */
    expect_page(query("s2", (struct srv_image_query){.limit = 10}), "1,2,3,4,5,6", 6, "");
    char *path = NULL;
    cr_assert_eq(srv_store_get_image(F.db, "s2", 6, NULL, &path, &err), 0, "%s", err.msg);
    cr_expect_str_eq(path, "/ds/c/ghost.jpg");
    free(path);
    cr_expect_eq(srv_store_delete_scan(F.db, "nope", &err), 0, "deleting nothing is no error");
}

/* ---- indexing ---- */

Test(store, indexing_counts_keeps_records_and_replaces_old_rows)
{
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    struct ie_manifest keep;
    insert("s", "/data/set", "running");
    char *m12 = write_manifest("m12.jsonl", 12);
    ie_manifest_init(&keep);
    cr_assert_eq(srv_store_index_manifest(F.db, "s", m12, &st, &keep, &err), 0, "%s", err.msg);
    cr_expect_eq(st.total, 12);
    cr_expect_eq(st.corrupt, 4);
    cr_expect(st.has_header);
    cr_expect_str_eq(st.input_dir, "/data/set");
    cr_expect_eq(keep.n, 12, "the loaded records are handed over");
    free(st.input_dir);
    ie_manifest_release(&keep);

    char *m5 = write_manifest("m5.jsonl", 5);
    cr_assert_eq(srv_store_index_manifest(F.db, "s", m5, NULL, NULL, &err), 0, "%s", err.msg);
    char *out = NULL;
    size_t len = 0;
    struct srv_image_query q = {.limit = 50};
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), 0, "%s", err.msg);
    cr_expect(strstr(out, "\"total\":5"), "re-indexing replaces the rows: %s", out);
    free(out);

    /* A manifest that cannot be read is refused and the rows indexed before stay (bad lines
     * inside a readable manifest are skipped and counted, as imgeda does). */
    char *bad = th_path(F.dir, "missing.jsonl");
    cr_assert_lt(srv_store_index_manifest(F.db, "s", bad, NULL, NULL, &err), 0);
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), 0);
    cr_expect(strstr(out, "\"total\":5"), "%s", out);
    free(out);
    free(m12);
    free(m5);
    free(bad);
}

Test(store, index_manifest_reports_stats_and_hands_back_the_records)
{
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    struct ie_manifest keep;
    char *mp = write_text("m.jsonl", MANIFEST);
    add_scan("s1", "", "running", 1, false);
    ie_manifest_init(&keep);
    cr_assert_eq(srv_store_index_manifest(F.db, "s1", mp, &st, &keep, &err), 0, "%s", err.msg);
    cr_expect_eq(st.total, 6);
    cr_expect_eq(st.corrupt, 2);
    cr_expect(st.has_header);
    cr_expect_str_eq(st.input_dir, "/ds");
    cr_assert_eq(keep.n, 6);
    cr_expect_str_eq(keep.meta.input_dir, "/ds");
    /* Image ids are the records' positions + 1. */
    for (size_t i = 0; i < keep.n; i++) {
        char *path = NULL;
        cr_assert_eq(srv_store_get_image(F.db, "s1", (int64_t)i + 1, NULL, &path, &err), 0, "%s",
                     err.msg);
        cr_expect_str_eq(path, keep.recs[i].path);
        free(path);
    }
    cr_expect(keep.recs[1].is_dark && keep.recs[3].is_corrupt);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM image_records"), 6);
    ie_manifest_release(&keep);
    free(st.input_dir);
    free(mp);
}

Test(store, index_manifest_without_a_header_has_no_input_dir)
{
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    const char *body = strchr(MANIFEST, '\n') + 1;
    char *mp = write_text("m.jsonl", body);
    add_scan("s1", "", "running", 1, false);
    cr_assert_eq(srv_store_index_manifest(F.db, "s1", mp, &st, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(st.total, 6);
    cr_expect(!st.has_header);
    cr_expect_null(st.input_dir);
    free(mp);
}

Test(store, reindexing_replaces_the_previous_rows_and_counts)
{
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    int64_t id = 0;
    add_indexed_scan("s1", 1);
    char *mp = write_text(
        "m2.jsonl",
        "{\"path\":\"/ds/b/dog.png\",\"filename\":\"dog.png\",\"width\":50,\"format\":\"PNG\"}\n"
        "{\"path\":\"/ds/new.gif\",\"filename\":\"new.gif\",\"format\":\"GIF\","
        "\"is_dark\":true}\n");
    cr_assert_eq(srv_store_index_manifest(F.db, "s1", mp, &st, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(st.total, 2);
    cr_expect_eq(st.corrupt, 0);
    expect_page(query("s1", (struct srv_image_query){.limit = 10}), "1,2", 2, "");
    cr_assert_eq(srv_store_image_id_by_path(F.db, "s1", "/ds/new.gif", &id, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(id, 2);
    cr_expect_eq(srv_store_image_id_by_path(F.db, "s1", "/ds/a/cat1.jpg", &id, &err), IE_ENOENT);
    /* The precomputed totals are the new manifest's. */
    expect_page(query("s1", (struct srv_image_query){.flag = "corrupt", .limit = 10}), "", 0, "");
    expect_page(query("s1", (struct srv_image_query){.flag = "dark", .limit = 10}), "2", 1, "");
    expect_page(query("s1", (struct srv_image_query){.format = "WEBP", .limit = 10}), "", 0, "");
    expect_page(query("s1", (struct srv_image_query){.format = "GIF", .limit = 10}), "2", 1, "");
    char *json = NULL;
    cr_assert_eq(srv_store_get_image(F.db, "s1", 1, &json, NULL, &err), 0, "%s", err.msg);
    cr_expect(strstr(json, "\"width\":50,") != NULL, "the new record is served: %s", json);
    free(json);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM images"), 2);
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM image_records"), 2, "no orphaned records");
    free(st.input_dir);
    free(mp);
}

Test(store, an_unreadable_manifest_is_refused_and_the_previous_rows_kept)
{
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    char *missing = th_path(F.dir, "missing.jsonl");
    add_indexed_scan("s1", 1);
    cr_expect_eq(srv_store_index_manifest(F.db, "s1", missing, &st, NULL, &err), IE_ENOENT);
    cr_expect(strstr(err.msg, "cannot open manifest") && strstr(err.msg, missing), "%s", err.msg);
    cr_expect_eq(st.total, 0, "stats are untouched");
    cr_expect_null(st.input_dir);
    expect_page(query("s1", (struct srv_image_query){.limit = 10}), "1,2,3,4,5,6", 6, "");
    cr_expect_neq(sqlite3_get_autocommit(F.db), 0, "no transaction is left open");
    free(missing);
}

Test(store, a_manifest_the_database_refuses_midway_is_rolled_back)
{
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    struct ie_manifest keep;
    add_indexed_scan("s1", 1);
    /* The database refuses one record of the second manifest, after the old rows are deleted
     * and the first new record is in. */
    cr_assert_eq(srv_db_exec(F.db,
                             "CREATE TEMP TRIGGER poison BEFORE INSERT ON main.images "
                             "WHEN NEW.path = '/ds/bad.jpg' BEGIN SELECT RAISE(ABORT, "
                             "'poisoned record'); END",
                             &err),
                 0, "%s", err.msg);
    char *mp = write_text("m2.jsonl", "{\"path\":\"/ds/ok.jpg\"}\n{\"path\":\"/ds/bad.jpg\"}\n");
    ie_manifest_init(&keep);
    cr_expect_eq(srv_store_index_manifest(F.db, "s1", mp, &st, &keep, &err), IE_EIO);
    cr_expect_str_eq(err.msg, "database: poisoned record");
    cr_expect_eq(st.total, 0, "stats are untouched");
    cr_expect_eq(keep.n, 0, "no records are handed back");
    cr_expect_neq(sqlite3_get_autocommit(F.db), 0, "the transaction is rolled back");
    expect_page(query("s1", (struct srv_image_query){.limit = 10}), "1,2,3,4,5,6", 6, "");
    expect_page(query("s1", (struct srv_image_query){.flag = "corrupt", .limit = 10}), "4,6", 2,
                "");
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM image_records"), 6);
    /* A scan that does not exist has nowhere to put records. */
    cr_expect_eq(srv_store_index_manifest(F.db, "nope", mp, NULL, NULL, &err), IE_EIO);
    cr_expect_str_eq(err.msg, "database: FOREIGN KEY constraint failed");
    cr_expect_neq(sqlite3_get_autocommit(F.db), 0);
    ie_manifest_release(&keep);
    free(mp);
}

Test(store, a_failed_commit_is_rolled_back_and_the_connection_indexes_again)
{
    struct ie_err err = {0};
    add_indexed_scan("s1", 1);
    /* With foreign keys checked only at COMMIT, records for a scan that does not exist make
     * the COMMIT itself fail, which leaves SQLite's transaction open unless it is rolled back. */
    cr_assert_eq(srv_db_exec(F.db, "PRAGMA defer_foreign_keys = ON", &err), 0, "%s", err.msg);
    char *mp = write_text("m2.jsonl", "{\"path\":\"/ds/ok.jpg\"}\n");
    cr_expect_eq(srv_store_index_manifest(F.db, "nope", mp, NULL, NULL, &err), IE_EIO);
    cr_expect_str_eq(err.msg, "database: FOREIGN KEY constraint failed");
    cr_expect_neq(sqlite3_get_autocommit(F.db), 0, "no transaction is left open");
    cr_expect_eq(sql_int(F.db, "SELECT COUNT(*) FROM images WHERE scan_id = 'nope'"), 0);
    cr_expect_eq(srv_store_index_manifest(F.db, "s1", mp, NULL, NULL, &err), 0, "%s", err.msg);
    expect_page(query("s1", (struct srv_image_query){.limit = 10}), "1", 1, "");
    free(mp);
}

Test(store, text_that_is_no_manifest_indexes_as_empty_without_a_header)
{
    /* The store indexes whatever lines parse; the import handler refuses a body with neither a
     * header nor a record by these stats. */
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    char *mp = write_text("m.csv", "name,width,height\ncat.jpg,640,480\n");
    add_scan("s1", "", "running", 1, false);
    cr_assert_eq(srv_store_index_manifest(F.db, "s1", mp, &st, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(st.total, 0);
    cr_expect(!st.has_header);
    cr_expect_null(st.input_dir);
    expect_page(query("s1", (struct srv_image_query){.limit = 10}), "", 0, "");
    free(mp);
}

/* ---- image pages ---- */

/* total of a query as text, e.g. "\"total\":3". */
static void expect_total(struct srv_image_query *q, int want)
{
    struct ie_err err = {0};
    char *out = NULL, needle[32];
    size_t len = 0;
    cr_assert_eq(srv_store_query_images(F.db, "s", q, &out, &len, &err), 0, "%s", err.msg);
    snprintf(needle, sizeof(needle), "\"total\":%d,", want);
    cr_expect(strstr(out, needle), "flag=%s q=%s format=%s: want %d in %s", q->flag, q->q,
              q->format, want, out);
    free(out);
}

Test(store, image_queries_filter_sort_and_page_from_the_index)
{
    struct ie_err err = {0};
    char *out = NULL, *path = NULL;
    size_t len = 0;
    int64_t id = 0;
    insert("s", "/data/set", "running");
    char *m = write_manifest("m.jsonl", 12);
    cr_assert_eq(srv_store_index_manifest(F.db, "s", m, NULL, NULL, &err), 0, "%s", err.msg);

    expect_total(&(struct srv_image_query){.limit = 5}, 12);
    expect_total(&(struct srv_image_query){.flag = "corrupt", .limit = 5}, 4);
    expect_total(&(struct srv_image_query){.flag = "dark", .limit = 5}, 3);
    expect_total(&(struct srv_image_query){.flag = "blurry", .limit = 5}, 0);
    expect_total(&(struct srv_image_query){.format = "PNG", .limit = 5}, 4);
    expect_total(&(struct srv_image_query){.q = "img_1", .limit = 5}, 2);
    expect_total(&(struct srv_image_query){.flag = "dark", .format = "JPEG", .limit = 5}, 1);

    /* Sorted by width both ways, paged by cursor. */
    struct srv_image_query q = {.sort = "-width", .limit = 2};
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), 0);
    cr_expect(strstr(out, "img_11.jpg"), "widest first: %s", out);
    cr_expect(strstr(out, "\"next_cursor\":\"2\""), "%s", out);
    free(out);
    q = (struct srv_image_query){.sort = "width", .limit = 2, .cursor = 10};
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), 0);
    cr_expect(strstr(out, "img_11.jpg") && strstr(out, "\"next_cursor\":null"), "%s", out);
    free(out);

    q = (struct srv_image_query){.flag = "shiny", .limit = 2};
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "flag: unknown value \"shiny\""), "%s", err.msg);
    q = (struct srv_image_query){.sort = "-colour", .limit = 2};
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), IE_EINVAL);

    cr_assert_eq(srv_store_image_id_by_path(F.db, "s", "/data/set/img_03.jpg", &id, &err), 0);
    cr_expect_eq(id, 4);
    cr_assert_eq(srv_store_get_image(F.db, "s", id, &out, &path, &err), 0, "%s", err.msg);
    cr_expect_str_eq(path, "/data/set/img_03.jpg");
    cr_expect(strstr(out, "\"id\":4"), "%s", out);
    free(out);
    free(path);
    cr_assert_eq(srv_store_get_image(F.db, "s", 99, &out, NULL, &err), IE_ENOENT);
    cr_assert_eq(srv_store_image_id_by_path(F.db, "s", "/elsewhere.jpg", &id, &err), IE_ENOENT);

    /* Deleting the scan takes its images with it. */
    cr_assert_eq(srv_store_delete_scan(F.db, "s", &err), 0);
    cr_assert_eq(srv_store_get_image(F.db, "s", 1, &out, NULL, &err), IE_ENOENT);
    free(m);
}

Test(store, query_images_filters_by_every_flag)
{
    add_indexed_scan("s1", 1);
    expect_page(query("s1", (struct srv_image_query){.flag = "corrupt", .limit = 10}), "4,6", 2,
                "");
    expect_page(query("s1", (struct srv_image_query){.flag = "dark", .limit = 10}), "2", 1, "");
    expect_page(query("s1", (struct srv_image_query){.flag = "overexposed", .limit = 10}), "3", 1,
                "");
    expect_page(query("s1", (struct srv_image_query){.flag = "blurry", .limit = 10}), "2,5", 2, "");
    expect_page(query("s1", (struct srv_image_query){.flag = "artifact", .limit = 10}), "3", 1, "");
    /* Equal phashes of sound records are duplicates; a corrupt record's phash does not count. */
    expect_page(query("s1", (struct srv_image_query){.flag = "duplicate", .limit = 10}), "1,2", 2,
                "");
}

Test(store, query_images_searches_paths_and_formats_and_combines_filters)
{
    add_indexed_scan("s1", 1);
    expect_page(query("s1", (struct srv_image_query){.q = "/b/", .limit = 10}), "3,4", 2, "");
    expect_page(query("s1", (struct srv_image_query){.q = "CAT", .limit = 10}), "", 0, "");
    expect_page(query("s1", (struct srv_image_query){.format = "JPEG", .limit = 10}), "1,2,6", 3,
                "");
    expect_page(query("s1", (struct srv_image_query){.format = "PNG", .limit = 10}), "3", 1, "");
    expect_page(query("s1", (struct srv_image_query){.format = "jpeg", .limit = 10}), "", 0, "");
    expect_page(
        query("s1", (struct srv_image_query){.flag = "corrupt", .format = "JPEG", .limit = 10}),
        "6", 1, "");
    expect_page(query("s1", (struct srv_image_query){.flag = "dark", .q = "/a/", .limit = 10}), "2",
                1, "");
    expect_page(query("s1", (struct srv_image_query){.q = "/c/", .format = "WEBP", .limit = 10}),
                "5", 1, "");
    /* Empty strings are no filter. */
    expect_page(
        query("s1",
              (struct srv_image_query){.flag = "", .q = "", .format = "", .sort = "", .limit = 10}),
        "1,2,3,4,5,6", 6, "");
    expect_page(query("other", (struct srv_image_query){.limit = 10}), "", 0, "");
}

Test(store, query_images_sorts_both_ways_with_missing_values_smallest)
{
    static const struct {
        const char *sort, *ids;
    } cases[] = {
        {NULL, "1,2,3,4,5,6"},
        {"id", "1,2,3,4,5,6"},
        {"-id", "6,5,4,3,2,1"},
        {"path", "1,2,4,3,5,6"},
        {"-path", "6,5,3,4,2,1"},
        {"filename", "5,4,1,2,3,6"},
        /* Equal formats fall back to the flag bits (ghost 1, cat1 32, cat2 42), then order. */
        {"format", "4,6,1,2,3,5"},
        {"-format", "5,3,2,1,6,4"},
        {"width", "4,6,3,5,1,2"},
        {"-width", "2,1,5,3,6,4"},
        {"height", "4,6,3,5,1,2"},
        {"-file_size_bytes", "3,2,5,1,4,6"},
        {"file_size_bytes", "6,4,1,5,2,3"},
        {"mean_brightness", "4,6,2,1,5,3"},
        {"-mean_brightness", "3,5,1,2,6,4"},
        {"blur_score", "4,6,2,5,3,1"},
        {"-blur_score", "1,3,5,2,6,4"},
        {"delta", "4,6,1,2,5,3"},
        {"-delta", "3,5,2,1,6,4"},
    };
    add_indexed_scan("s1", 1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct page p = query("s1", (struct srv_image_query){.sort = cases[i].sort, .limit = 10});
        cr_expect_str_eq(p.ids, cases[i].ids, "sort %s", cases[i].sort ? cases[i].sort : "(none)");
        cr_expect_eq(p.total, 6);
    }
}

Test(store, query_images_pages_with_a_cursor)
{
    add_indexed_scan("s1", 1);
    expect_page(query("s1", (struct srv_image_query){.limit = 4}), "1,2,3,4", 6, "4");
    expect_page(query("s1", (struct srv_image_query){.limit = 4, .cursor = 4}), "5,6", 6, "");
    expect_page(query("s1", (struct srv_image_query){.limit = 3, .cursor = 3}), "4,5,6", 6, "");
    expect_page(query("s1", (struct srv_image_query){.limit = 4, .cursor = 10}), "", 6, "");
    expect_page(
        query("s1", (struct srv_image_query){.sort = "-file_size_bytes", .limit = 2, .cursor = 2}),
        "5,1", 6, "4");
    expect_page(query("s1", (struct srv_image_query){.flag = "corrupt", .limit = 1}), "4", 2, "1");
    expect_page(query("s1", (struct srv_image_query){.flag = "corrupt", .limit = 1, .cursor = 1}),
                "6", 2, "");
    expect_page(query("s1", (struct srv_image_query){.q = "/ds/", .limit = 5}), "1,2,3,4,5", 6,
                "5");
}

Test(store, query_images_refuses_an_unknown_flag_or_sort_field)
{
    struct ie_err err = {0};
    char *out = NULL;
    size_t len = 0;
    add_indexed_scan("s1", 1);
    struct srv_image_query q = {.flag = "sharp", .limit = 10};
    cr_expect_eq(srv_store_query_images(F.db, "s1", &q, &out, &len, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "flag: unknown value \"sharp\" (corrupt, dark, overexposed, blurry, "
                              "artifact, duplicate)");
    cr_expect_null(out);
    q = (struct srv_image_query){.sort = "-size", .limit = 10};
    cr_expect_eq(srv_store_query_images(F.db, "s1", &q, &out, &len, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "sort: unknown field \"size\" (path, filename, format, width, "
                              "height, file_size_bytes, mean_brightness, blur_score, delta, id)");
    cr_expect_null(out);
    /* The API's names, not the columns. */
    q.sort = "border_delta";
    cr_expect_eq(srv_store_query_images(F.db, "s1", &q, &out, &len, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "\"border_delta\"") != NULL, "%s", err.msg);
    q.sort = "-";
    cr_expect_eq(srv_store_query_images(F.db, "s1", &q, &out, &len, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "unknown field \"\"") != NULL, "%s", err.msg);
    cr_expect_null(out);
    cr_expect_eq(len, 0);
}

Test(store, image_id_by_path_finds_a_record_of_its_scan_only)
{
    struct ie_err err = {0};
    int64_t id = -1;
    add_indexed_scan("s1", 1);
    add_scan("s2", "/ds", "succeeded", 2, false);
    cr_assert_eq(srv_store_image_id_by_path(F.db, "s1", "/ds/b/dog.png", &id, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(id, 3);
    id = -1;
    cr_expect_eq(srv_store_image_id_by_path(F.db, "s1", "/ds/zzz.jpg", &id, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no image /ds/zzz.jpg in scan s1");
    cr_expect_eq(id, -1, "id is untouched");
    cr_expect_eq(srv_store_image_id_by_path(F.db, "s2", "/ds/b/dog.png", &id, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no image /ds/b/dog.png in scan s2");
}

Test(store, get_image_returns_the_record_with_its_id_and_its_path)
{
    struct ie_err err = {0};
    char *json = NULL, *path = NULL;
    add_indexed_scan("s1", 1);
    cr_assert_eq(srv_store_get_image(F.db, "s1", 3, &json, &path, &err), 0, "%s", err.msg);
    cr_expect_str_eq(path, "/ds/b/dog.png");
    cr_expect_eq(strncmp(json, "{\"path\":\"/ds/b/dog.png\",", 24), 0, "%s", json);
    size_t n = strlen(json);
    cr_expect(n > 8 && strcmp(json + n - 8, ",\"id\":3}") == 0, "the id closes the object: %s",
              json);
    cr_expect(strstr(json, "\"mean_brightness\":230.0,") != NULL, "floats as written: %s", json);
    cJSON *o = cJSON_Parse(json);
    cr_assert_not_null(o, "%s", json);
    cr_expect_eq(cJSON_GetObjectItemCaseSensitive(o, "id")->valueint, 3);
    cr_expect(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "has_border_artifact")));
    cJSON_Delete(o);
    free(json);
    free(path);
    json = path = NULL;
    /* Either output may be left out. */
    cr_assert_eq(srv_store_get_image(F.db, "s1", 4, &json, NULL, &err), 0, "%s", err.msg);
    cr_expect(strstr(json, "\"error\":\"not an image\"") != NULL, "%s", json);
    free(json);
    json = NULL;
    cr_assert_eq(srv_store_get_image(F.db, "s1", 1, NULL, &path, &err), 0, "%s", err.msg);
    cr_expect_str_eq(path, "/ds/a/cat1.jpg");
    free(path);
    path = NULL;
}

Test(store, get_image_of_an_unknown_id_is_enoent)
{
    struct ie_err err = {0};
    char *json = NULL, *path = NULL;
    add_indexed_scan("s1", 1);
    cr_expect_eq(srv_store_get_image(F.db, "s1", 7, &json, &path, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no image 7 in scan s1");
    cr_expect_null(json);
    cr_expect_null(path);
    cr_expect_eq(srv_store_get_image(F.db, "s1", 0, &json, &path, &err), IE_ENOENT);
    cr_expect_eq(srv_store_get_image(F.db, "nope", 1, &json, &path, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no image 1 in scan nope");
    cr_expect_null(json);
    cr_expect_null(path);
}

Test(store, rows_and_records_that_are_not_utf8_are_listed_as_utf8_json)
{
    /* Older versions stored names as sent, and imports keep their paths' bytes: the JSON the API
     * prints from them must still be UTF-8, with each bad byte as \xNN. */
    struct ie_err err = {0};
    cJSON *page = NULL;
    struct srv_scan_row r = {0};
    fill_row(&r, "s", "/data/r\xe9", "succeeded", 1, true);
    free(r.name);
    r.name = ie_xstrdup("bad\xff"
                        "name");
    free(r.options_json);
    r.options_json = ie_xstrdup("{\"note\":\"\xe9\"}");
    cr_assert_eq(srv_store_insert_scan(F.db, &r, &err), 0, "%s", err.msg);
    srv_scan_row_release(&r);
    cr_assert_eq(srv_store_list_scans(F.db, NULL, 10, INT64_MAX, &page, &err), 0, "%s", err.msg);
    char *s = cJSON_PrintUnformatted(page);
    cr_expect_null(strpbrk(s, "\xe9\xff"), "no raw byte left: %s", s);
    cr_expect(strstr(s, "\"name\":\"bad\\\\xffname\""), "%s", s);
    cr_expect(strstr(s, "\"root\":\"/data/r\\\\xe9\""), "%s", s);
    cr_expect(strstr(s, "\"options\":{\"note\":\"\\\\xe9\"}"), "%s", s);
    free(s);
    cJSON_Delete(page);

    char *mp =
        write_text("latin.jsonl", "{\"path\":\"/data/caf\xe9.jpg\",\"filename\":\"caf\xe9.jpg\","
                                  "\"file_size_bytes\":1,\"is_corrupt\":true}\n");
    cr_assert_eq(srv_store_index_manifest(F.db, "s", mp, NULL, NULL, &err), 0, "%s", err.msg);
    char *out = NULL, *path = NULL;
    size_t len = 0;
    struct srv_image_query q = {.limit = 50};
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_null(memchr(out, 0xe9, len), "no raw byte left: %s", out);
    cr_expect(strstr(out, "\"path\":\"/data/caf\\\\xe9.jpg\""), "%s", out);
    free(out);
    cr_assert_eq(srv_store_get_image(F.db, "s", 1, &out, &path, &err), 0, "%s", err.msg);
    cr_expect_null(strchr(out, 0xe9), "no raw byte left: %s", out);
    cr_expect_str_eq(path, "/data/caf\xe9.jpg", "the path column keeps the file's bytes");
    free(out);
    free(path);

    /* Indexing stores the record already made UTF-8 and marks it so. */
    sqlite3_stmt *st;
    cr_assert_eq(
        sqlite3_prepare_v2(F.db, "SELECT record_json, utf8 FROM image_records", -1, &st, NULL),
        SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_null(strchr((const char *)sqlite3_column_text(st, 0), 0xe9), "stored as UTF-8");
    cr_expect_eq(sqlite3_column_int(st, 1), 1);
    sqlite3_finalize(st);
    /* A row indexed before records were checked at import (utf8 = 0) is checked when served. */
    cr_assert_eq(sqlite3_exec(F.db,
                              "UPDATE image_records SET utf8 = 0, record_json = "
                              "'{\"path\":\"/data/caf' || char(233) || '.jpg\"}'",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(
        sqlite3_exec(F.db,
                     "UPDATE image_records SET record_json = CAST(replace(CAST(record_json "
                     "AS BLOB), X'C3A9', X'E9') AS TEXT)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    cr_assert_eq(srv_store_query_images(F.db, "s", &q, &out, &len, &err), 0, "%s", err.msg);
    cr_expect_null(memchr(out, 0xe9, len), "no raw byte left in a legacy row: %s", out);
    cr_expect(strstr(out, "\"path\":\"/data/caf\\\\xe9.jpg\""), "%s", out);
    free(out);
    cr_assert_eq(srv_store_get_image(F.db, "s", 1, &out, NULL, &err), 0, "%s", err.msg);
    cr_expect_null(strchr(out, 0xe9), "no raw byte left in a legacy row: %s", out);
    free(out);
    free(mp);
}
