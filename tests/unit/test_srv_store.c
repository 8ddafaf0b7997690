/* The daemon's SQLite store on a real file: migrations, scan rows, paging, indexing a manifest
 * and the image queries the API pages with. Every test closes its connections. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "helpers.h"
#include "store.h"

struct fx {
    char *dir, *db_path;
    sqlite3 *db;
};

static void fx_open(struct fx *f)
{
    struct ie_err err = {0};
    f->dir = th_tempdir();
    f->db_path = th_path(f->dir, "imgedad.db");
    cr_assert_eq(srv_db_open(f->db_path, &f->db, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_db_migrate(f->db, &err), 0, "%s", err.msg);
}

static void fx_close(struct fx *f)
{
    srv_db_close(f->db);
    th_rmrf(f->dir);
    free(f->db_path);
    free(f->dir);
}

static void insert(struct fx *f, const char *id, const char *root, const char *status)
{
    struct ie_err err = {0};
    struct srv_scan_row r = {0};
    r.id = (char *)id;
    r.name = (char *)"n";
    r.root = (char *)root;
    r.status = (char *)status;
    r.options_json = (char *)"{\"workers\":2}";
    r.manifest_path = (char *)"/m.jsonl";
    r.created_at = (char *)"2026-01-01T00:00:00+00:00";
    r.seq = srv_store_next_seq(f->db);
    cr_assert_eq(srv_store_insert_scan(f->db, &r, &err), 0, "%s", err.msg);
}

/* A manifest of n records: every third corrupt (no format), the fifth "" format, the rest
 * alternating JPEG/PNG, brightness i*10 (dark below 40), blur 500-i. */
static char *write_manifest(struct fx *f, const char *name, int n)
{
    char *p = th_path(f->dir, name);
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

Test(store, migrations_apply_once_and_a_newer_database_is_refused)
{
    struct fx f;
    struct ie_err err = {0};
    fx_open(&f);
    cr_assert_eq(srv_db_version(f.db), srv_db_latest_version());
    cr_assert_eq(srv_db_migrate(f.db, &err), 0, "a second migrate is a no-op: %s", err.msg);
    cr_assert_eq(srv_db_exec(f.db, "PRAGMA user_version = 999", &err), 0);
    cr_assert_lt(srv_db_migrate(f.db, &err), 0);
    cr_assert(strstr(err.msg, "newer") || strstr(err.msg, "999"), "%s", err.msg);
    fx_close(&f);
}

Test(store, scan_rows_round_trip_and_unknown_ids_are_enoent)
{
    struct fx f;
    struct ie_err err = {0};
    struct srv_scan_row r = {0};
    struct ie_scan_progress p = {
        .total = 10, .durable = 4, .corrupt = 1, .bytes = 4096, .rate_per_s = 2.5, .eta_s = -1};
    fx_open(&f);
    insert(&f, "s1", "/data/a", "queued");
    cr_assert_eq(srv_store_get_scan(f.db, "s1", &r, &err), 0, "%s", err.msg);
    cr_expect_str_eq(r.root, "/data/a");
    cr_expect_str_eq(r.status, "queued");
    cr_expect_str_eq(r.options_json, "{\"workers\":2}");
    cr_expect_null(r.started_at);
    srv_scan_row_release(&r);

    cr_assert_eq(srv_store_set_status(f.db, "s1", "running", NULL, &err), 0);
    cr_assert_eq(srv_store_set_progress(f.db, "s1", &p, &err), 0);
    cr_assert_eq(srv_store_set_root(f.db, "s1", "/data/b", &err), 0);
    cr_assert_eq(srv_store_get_scan(f.db, "s1", &r, &err), 0);
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

    cr_assert_eq(srv_store_set_status(f.db, "s1", "failed", "disk full", &err), 0);
    cr_assert_eq(srv_store_get_scan(f.db, "s1", &r, &err), 0);
    cr_expect_str_eq(r.error, "disk full");
    cr_expect_not_null(r.finished_at);
    cJSON *j = srv_scan_row_to_json(&r);
    cr_expect_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "failed");
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "progress"), "eta_s")));
    cJSON_Delete(j);
    srv_scan_row_release(&r);

    cr_assert_eq(srv_store_get_scan(f.db, "nope", &r, &err), IE_ENOENT);
    cr_expect_str_eq(err.msg, "no scan nope");
    fx_close(&f);
}

Test(store, lists_page_newest_first_with_a_status_filter)
{
    struct fx f;
    struct ie_err err = {0};
    cJSON *page = NULL;
    char id[8];
    fx_open(&f);
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "s%d", i);
        insert(&f, id, "/r", i % 2 ? "succeeded" : "queued");
    }
    cr_assert_eq(srv_store_list_scans(f.db, NULL, 2, INT64_MAX, &page, &err), 0, "%s", err.msg);
    cJSON *scans = cJSON_GetObjectItem(page, "scans");
    cr_assert_eq(cJSON_GetArraySize(scans), 2);
    cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(scans, 0), "id")->valuestring, "s4");
    cJSON *cur = cJSON_GetObjectItem(page, "next_cursor");
    cr_assert(cJSON_IsString(cur));
    int64_t before = strtoll(cur->valuestring, NULL, 10);
    cJSON_Delete(page);
    cr_assert_eq(srv_store_list_scans(f.db, NULL, 10, before, &page, &err), 0);
    scans = cJSON_GetObjectItem(page, "scans");
    cr_expect_eq(cJSON_GetArraySize(scans), 3);
    cr_expect(cJSON_IsNull(cJSON_GetObjectItem(page, "next_cursor")));
    cJSON_Delete(page);
    cr_assert_eq(srv_store_list_scans(f.db, "succeeded", 10, INT64_MAX, &page, &err), 0);
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(page, "scans")), 2);
    cJSON_Delete(page);
    fx_close(&f);
}

Test(store, recovery_and_ci_lookups_pick_the_right_scans)
{
    struct fx f;
    struct ie_err err = {0};
    struct srv_scan_row r = {0};
    char **ids = NULL;
    size_t n = 0;
    fx_open(&f);
    insert(&f, "old", "/r", "succeeded");
    insert(&f, "run", "/r", "running");
    insert(&f, "bad", "/r", "failed");
    insert(&f, "que", "/q", "queued");
    cr_assert_eq(srv_store_unfinished(f.db, &ids, &n, &err), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(ids[0], "run", "oldest first");
    cr_expect_str_eq(ids[1], "que");
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    cr_assert_eq(srv_store_last_scan_of_root(f.db, "/r", &r, &err), 0);
    cr_expect_str_eq(r.id, "run", "the newest scan of the root that did not fail");
    srv_scan_row_release(&r);
    cr_assert_eq(srv_store_last_scan_of_root(f.db, "/none", &r, &err), IE_ENOENT);
    fx_close(&f);
}

Test(store, indexing_counts_keeps_records_and_replaces_old_rows)
{
    struct fx f;
    struct ie_err err = {0};
    struct srv_index_stats st = {0};
    struct ie_manifest keep;
    fx_open(&f);
    insert(&f, "s", "/data/set", "running");
    char *m12 = write_manifest(&f, "m12.jsonl", 12);
    ie_manifest_init(&keep);
    cr_assert_eq(srv_store_index_manifest(f.db, "s", m12, &st, &keep, &err), 0, "%s", err.msg);
    cr_expect_eq(st.total, 12);
    cr_expect_eq(st.corrupt, 4);
    cr_expect(st.has_header);
    cr_expect_str_eq(st.input_dir, "/data/set");
    cr_expect_eq(keep.n, 12, "the loaded records are handed over");
    free(st.input_dir);
    ie_manifest_release(&keep);

    char *m5 = write_manifest(&f, "m5.jsonl", 5);
    cr_assert_eq(srv_store_index_manifest(f.db, "s", m5, NULL, NULL, &err), 0, "%s", err.msg);
    char *out = NULL;
    size_t len = 0;
    struct srv_image_query q = {.limit = 50};
    cr_assert_eq(srv_store_query_images(f.db, "s", &q, &out, &len, &err), 0, "%s", err.msg);
    cr_expect(strstr(out, "\"total\":5"), "re-indexing replaces the rows: %s", out);
    free(out);

    /* A manifest that cannot be read is refused and the rows indexed before stay (bad lines
     * inside a readable manifest are skipped and counted, as imgeda does). */
    char *bad = th_path(f.dir, "missing.jsonl");
    cr_assert_lt(srv_store_index_manifest(f.db, "s", bad, NULL, NULL, &err), 0);
    cr_assert_eq(srv_store_query_images(f.db, "s", &q, &out, &len, &err), 0);
    cr_expect(strstr(out, "\"total\":5"), "%s", out);
    free(out);
    free(m12);
    free(m5);
    free(bad);
    fx_close(&f);
}

/* total of a query as text, e.g. "\"total\":3". */
static void expect_total(struct fx *f, struct srv_image_query *q, int want)
{
    struct ie_err err = {0};
    char *out = NULL, needle[32];
    size_t len = 0;
    cr_assert_eq(srv_store_query_images(f->db, "s", q, &out, &len, &err), 0, "%s", err.msg);
    snprintf(needle, sizeof(needle), "\"total\":%d,", want);
    cr_expect(strstr(out, needle), "flag=%s q=%s format=%s: want %d in %s", q->flag, q->q,
              q->format, want, out);
    free(out);
}

Test(store, image_queries_filter_sort_and_page_from_the_index)
{
    struct fx f;
    struct ie_err err = {0};
    char *out = NULL, *path = NULL;
    size_t len = 0;
    int64_t id = 0;
    fx_open(&f);
    insert(&f, "s", "/data/set", "running");
    char *m = write_manifest(&f, "m.jsonl", 12);
    cr_assert_eq(srv_store_index_manifest(f.db, "s", m, NULL, NULL, &err), 0, "%s", err.msg);

    expect_total(&f, &(struct srv_image_query){.limit = 5}, 12);
    expect_total(&f, &(struct srv_image_query){.flag = "corrupt", .limit = 5}, 4);
    expect_total(&f, &(struct srv_image_query){.flag = "dark", .limit = 5}, 3);
    expect_total(&f, &(struct srv_image_query){.flag = "blurry", .limit = 5}, 0);
    expect_total(&f, &(struct srv_image_query){.format = "PNG", .limit = 5}, 4);
    expect_total(&f, &(struct srv_image_query){.q = "img_1", .limit = 5}, 2);
    expect_total(&f, &(struct srv_image_query){.flag = "dark", .format = "JPEG", .limit = 5}, 1);

    /* Sorted by width both ways, paged by cursor. */
    struct srv_image_query q = {.sort = "-width", .limit = 2};
    cr_assert_eq(srv_store_query_images(f.db, "s", &q, &out, &len, &err), 0);
    cr_expect(strstr(out, "img_11.jpg"), "widest first: %s", out);
    cr_expect(strstr(out, "\"next_cursor\":\"2\""), "%s", out);
    free(out);
    q = (struct srv_image_query){.sort = "width", .limit = 2, .cursor = 10};
    cr_assert_eq(srv_store_query_images(f.db, "s", &q, &out, &len, &err), 0);
    cr_expect(strstr(out, "img_11.jpg") && strstr(out, "\"next_cursor\":null"), "%s", out);
    free(out);

    q = (struct srv_image_query){.flag = "shiny", .limit = 2};
    cr_assert_eq(srv_store_query_images(f.db, "s", &q, &out, &len, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "flag: unknown value \"shiny\""), "%s", err.msg);
    q = (struct srv_image_query){.sort = "-colour", .limit = 2};
    cr_assert_eq(srv_store_query_images(f.db, "s", &q, &out, &len, &err), IE_EINVAL);

    cr_assert_eq(srv_store_image_id_by_path(f.db, "s", "/data/set/img_03.jpg", &id, &err), 0);
    cr_expect_eq(id, 4);
    cr_assert_eq(srv_store_get_image(f.db, "s", id, &out, &path, &err), 0, "%s", err.msg);
    cr_expect_str_eq(path, "/data/set/img_03.jpg");
    cr_expect(strstr(out, "\"id\":4"), "%s", out);
    free(out);
    free(path);
    cr_assert_eq(srv_store_get_image(f.db, "s", 99, &out, NULL, &err), IE_ENOENT);
    cr_assert_eq(srv_store_image_id_by_path(f.db, "s", "/elsewhere.jpg", &id, &err), IE_ENOENT);

    /* Deleting the scan takes its images with it. */
    cr_assert_eq(srv_store_delete_scan(f.db, "s", &err), 0);
    cr_assert_eq(srv_store_get_image(f.db, "s", 1, &out, NULL, &err), IE_ENOENT);
    free(m);
    fx_close(&f);
}
