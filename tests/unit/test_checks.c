/* Checks (SPEC §4.3) over the fixture manifests in tests/fixtures/manifests/: what is flagged,
 * with which value, under which thresholds. Expected answers are read off the fixture lines by
 * hand (imgeda's cli/check.py lists records whose flag is set, in manifest order). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/checks.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

static void load(const char *name, struct ie_manifest *m)
{
    char path[4096];
    struct ie_err err = {0};
    snprintf(path, sizeof(path), "%s/manifests/%s", th_fixtures(), name);
    ie_manifest_init(m);
    cr_assert_eq(ie_manifest_load(path, m, &err), 0, "%s: %s", name, err.msg);
}

static void thresholds_of(const struct ie_manifest *m, struct ie_check_thresholds *t)
{
    ie_check_thresholds_init(t);
    ie_check_thresholds_from_settings(t, m->meta.settings_json);
}

/* r must be initialised; ie_check_run releases what an earlier run left in it. */
static void run(enum ie_check_kind k, const struct ie_manifest *m,
                const struct ie_check_thresholds *t, struct ie_check_result *r)
{
    struct ie_err err = {0};
    cr_assert_eq(ie_check_run(k, m->recs, m->n, t, r, &err), 0, "%s", err.msg);
}

static const char *item_path(const struct ie_manifest *m, const struct ie_check_result *r, size_t i)
{
    return m->recs[r->items[i].rec].path;
}

static char *to_json(const struct ie_check_result *r, const struct ie_manifest *m,
                     const struct ie_check_thresholds *t)
{
    cJSON *o = ie_check_result_to_json(r, m->recs, t);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

Test(checks, parse_names_and_all)
{
    unsigned k = 0;
    struct ie_err err = {0};
    cr_expect_eq(ie_check_parse("corrupt", &k, &err), 0);
    cr_expect_eq(k, 1u << IE_CHECK_CORRUPT);
    cr_expect_eq(ie_check_parse("duplicates", &k, &err), 0);
    cr_expect_eq(k, 1u << IE_CHECK_DUPLICATES);
    cr_expect_eq(ie_check_parse("all", &k, &err), 0);
    cr_expect_eq(k, IE_CHECK_ALL);
    cr_expect_eq(err.code, 0, "untouched on success");
    cr_expect_eq(ie_check_parse("blurry", &k, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "unknown check 'blurry'") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "exposure") != NULL, "lists the valid names: %s", err.msg);
    cr_expect_eq(ie_check_parse(NULL, &k, NULL), IE_EINVAL);
    for (unsigned i = 0; i < IE_CHECK_NKINDS; i++) {
        cr_expect_eq(ie_check_parse(ie_check_name((enum ie_check_kind)i), &k, NULL), 0);
        cr_expect_eq(k, 1u << i);
    }
    cr_expect_str_eq(ie_check_name(IE_CHECK_NKINDS), "unknown");
}

Test(checks, thresholds_come_from_the_manifest_settings)
{
    struct ie_manifest m;
    struct ie_check_thresholds t;
    load("thresholds.jsonl", &m);
    thresholds_of(&m, &t);
    cr_expect_eq(t.dark, 50.0);
    cr_expect_eq(t.overexposed, 200.0);
    cr_expect_eq(t.artifact, 30.0);
    cr_expect_eq(t.blur, 120.0);
    cr_expect_eq(t.near, 4);
    cr_expect_eq(t.from_manifest,
                 IE_THR_DARK | IE_THR_OVEREXPOSED | IE_THR_ARTIFACT | IE_THR_BLUR | IE_THR_NEAR);
    ie_manifest_release(&m);

    /* Python imgeda records no blur threshold (nor a near one): those stay the defaults. */
    load("old_fields.jsonl", &m);
    thresholds_of(&m, &t);
    cr_expect_eq(t.dark, 40.0);
    cr_expect_eq(t.blur, 100.0);
    cr_expect_eq(t.near, 8);
    cr_expect_eq(t.from_manifest, IE_THR_DARK | IE_THR_OVEREXPOSED | IE_THR_ARTIFACT);
    ie_manifest_release(&m);

    /* No header at all: defaults. */
    load("no_header.jsonl", &m);
    cr_expect(!m.meta.present);
    thresholds_of(&m, &t);
    cr_expect_eq(t.from_manifest, 0);
    cr_expect_eq(t.overexposed, 220.0);
    cr_expect_eq(t.artifact, 50.0);
    ie_manifest_release(&m);
}

Test(checks, unusable_settings_keep_the_defaults)
{
    struct ie_check_thresholds t;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, "{\"dark_threshold\":\"40\",\"blur_threshold\":null,"
                                          "\"duplicate_hamming_threshold\":40,"
                                          "\"artifact_threshold\":12}");
    cr_expect_eq(t.dark, 40.0);
    cr_expect_eq(t.blur, 100.0);
    cr_expect_eq(t.near, 8, "40 is beyond the index's 32");
    cr_expect_eq(t.artifact, 12.0, "an integer is a number too");
    cr_expect_eq(t.from_manifest, IE_THR_ARTIFACT);
    ie_check_thresholds_from_settings(&t, "{\"duplicate_hamming_threshold\":2.5}");
    cr_expect_eq(t.near, 8);
    ie_check_thresholds_from_settings(&t, "[1,2]");
    ie_check_thresholds_from_settings(&t, "{not json");
    ie_check_thresholds_from_settings(&t, NULL);
    cr_expect_eq(t.from_manifest, IE_THR_ARTIFACT);
}

Test(checks, flags_decide_even_exactly_at_a_threshold)
{
    struct ie_manifest m;
    struct ie_check_thresholds t;
    struct ie_check_result r;
    load("thresholds.jsonl", &m);
    ie_check_result_init(&r);
    thresholds_of(&m, &t);

    /* dark_tie.jpg sits at 50.0 unflagged (50 is not < 50); dark_rounded.jpg shows 50.0 but was
     * flagged on its unrounded value: the scan's verdict stands. */
    run(IE_CHECK_EXPOSURE, &m, &t, &r);
    cr_assert_eq(r.n_items, 2);
    cr_expect_str_eq(item_path(&m, &r, 0), "/t/dark_rounded.jpg");
    cr_expect_eq(r.items[0].issues, IE_ISSUE_DARK);
    cr_expect(r.items[0].has_value && r.items[0].value == 50.0);
    cr_expect_str_eq(item_path(&m, &r, 1), "/t/over.jpg");
    cr_expect_eq(r.items[1].issues, IE_ISSUE_OVEREXPOSED);
    cr_expect_eq(r.items[1].value, 200.01);
    cr_expect_eq(r.n_dark, 1);
    cr_expect_eq(r.n_overexposed, 1);
    cr_expect_eq(r.flagged, 2);

    run(IE_CHECK_BLUR, &m, &t, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/t/blur_rounded.jpg");
    cr_expect_eq(r.items[0].value, 120.0);

    run(IE_CHECK_ARTIFACTS, &m, &t, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/t/art.jpg");
    cr_expect_eq(r.items[0].value, 30.5);

    char *json = NULL;
    run(IE_CHECK_BLUR, &m, &t, &r);
    json = to_json(&r, &m, &t);
    cr_expect(strstr(json, "\"thresholds\":{\"blur_threshold\":120.0},\"threshold_defaults\":[]") !=
                  NULL,
              "%s", json);
    free(json);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, near_duplicates_use_the_scans_distance)
{
    struct ie_manifest m;
    struct ie_check_thresholds t;
    struct ie_check_result r;
    load("thresholds.jsonl", &m);
    ie_check_result_init(&r);
    thresholds_of(&m, &t);
    /* dark_rounded is 4 bits from dark_tie, blur_rounded 5 bits from dark_tie (9 from
     * dark_rounded). At the manifest's distance 4: one pair. */
    run(IE_CHECK_DUPLICATES, &m, &t, &r);
    cr_assert(r.has_dups);
    cr_expect_eq(r.dups.exact.n, 0);
    cr_assert_eq(r.dups.near.n, 1);
    cr_expect_eq(r.dups.near.groups[0].n, 2);
    cr_expect_eq(r.dups.near.groups[0].max_distance, 4);
    cr_expect_eq(r.flagged, 0, "imgeda's count is exact duplicates only");
    /* With imgeda's default 8 the third joins through dark_tie. */
    run(IE_CHECK_DUPLICATES, &m, NULL, &r);
    cr_assert_eq(r.dups.near.n, 1);
    cr_expect_eq(r.dups.near.groups[0].n, 3);
    cr_expect_eq(r.dups.near.groups[0].max_distance, 5);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, every_check_on_a_mixed_manifest)
{
    struct ie_manifest m;
    struct ie_check_thresholds t;
    struct ie_check_result r;
    char *json;
    load("mixed.jsonl", &m);
    ie_check_result_init(&r);
    thresholds_of(&m, &t);

    run(IE_CHECK_CORRUPT, &m, &t, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/ds/.hidden");
    json = to_json(&r, &m, &t);
    cr_expect_str_eq(json, "{\"check\":\"corrupt\",\"total_images\":8,\"count\":1,\"items\":"
                           "[{\"path\":\"/ds/.hidden\",\"filename\":\".hidden\",\"error\":"
                           "\"cannot decode: VipsJpeg: premature end of JPEG file\"}]}");
    free(json);

    run(IE_CHECK_EXPOSURE, &m, &t, &r);
    cr_assert_eq(r.n_items, 2);
    cr_expect_str_eq(item_path(&m, &r, 0), "/ds/img2.jpg");
    cr_expect_str_eq(item_path(&m, &r, 1), "/ds/img3.jpeg");
    json = to_json(&r, &m, &t);
    cr_expect_str_eq(json,
                     "{\"check\":\"exposure\",\"total_images\":8,\"count\":2,\"dark_count\":1,"
                     "\"overexposed_count\":1,\"thresholds\":{\"dark_threshold\":40.0,"
                     "\"overexposed_threshold\":220.0},\"threshold_defaults\":[],\"items\":["
                     "{\"path\":\"/ds/img2.jpg\",\"issues\":[\"dark\"],\"mean_brightness\":30.0},"
                     "{\"path\":\"/ds/img3.jpeg\",\"issues\":[\"overexposed\"],"
                     "\"mean_brightness\":230.0}]}");
    free(json);

    run(IE_CHECK_ARTIFACTS, &m, &t, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/ds/img4.png");
    cr_expect_eq(r.items[0].value, 60.0);

    run(IE_CHECK_BLUR, &m, &t, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/ds/img2.jpg");
    cr_expect_eq(r.items[0].value, 50.0);

    /* phash A: img1-3 (the corrupt .hidden excluded); B: img4-5. Both are also near groups (at
     * distance 0). Content hash X: img1, img2 and .hidden, sorted by path. */
    run(IE_CHECK_DUPLICATES, &m, &t, &r);
    cr_expect_eq(r.flagged, 3);
    cr_assert_eq(r.dups.exact.n, 2);
    cr_expect_eq(r.dups.exact.groups[0].n, 3);
    cr_expect_eq(r.dups.near.n, 2);
    cr_expect_eq(r.dups.byte_identical.n, 1);
    json = to_json(&r, &m, &t);
    cJSON *o = cJSON_Parse(json);
    cr_assert_not_null(o);
    cr_expect_eq(cJSON_GetObjectItem(o, "exact_groups")->valueint, 2);
    cr_expect_eq(cJSON_GetObjectItem(o, "exact_images")->valueint, 3);
    cr_expect_eq(cJSON_GetObjectItem(o, "near_groups")->valueint, 2);
    cr_expect_eq(cJSON_GetObjectItem(o, "byte_identical_groups")->valueint, 1);
    cr_expect_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(o, "thresholds"), "duplicate_hamming_threshold")
            ->valueint,
        8);
    cr_expect(cJSON_GetArraySize(cJSON_GetObjectItem(o, "threshold_defaults")) == 1,
              "our scans record no near threshold: %s", json);
    const cJSON *items = cJSON_GetObjectItem(o, "items");
    cr_assert_eq(cJSON_GetArraySize(items), 5);
    const cJSON *g0 = cJSON_GetArrayItem(items, 0);
    cr_expect_str_eq(cJSON_GetObjectItem(g0, "type")->valuestring, "exact");
    char hex[65];
    ie_hash256_to_hex(&m.recs[0].phash, hex);
    cr_expect_str_eq(cJSON_GetObjectItem(g0, "phash")->valuestring, hex);
    cr_expect_eq(cJSON_GetObjectItem(g0, "count")->valueint, 3);
    const cJSON *paths = cJSON_GetObjectItem(g0, "paths");
    cr_assert_eq(cJSON_GetArraySize(paths), 3);
    cr_expect_str_eq(cJSON_GetArrayItem(paths, 0)->valuestring, "/ds/img1.JPG");
    cr_expect_str_eq(cJSON_GetArrayItem(paths, 2)->valuestring, "/ds/img3.jpeg");
    const cJSON *g2 = cJSON_GetArrayItem(items, 2);
    cr_expect_str_eq(cJSON_GetObjectItem(g2, "type")->valuestring, "near");
    cr_expect_eq(cJSON_GetObjectItem(g2, "max_distance")->valueint, 0);
    cr_expect_null(cJSON_GetObjectItem(g2, "phash"));
    const cJSON *g4 = cJSON_GetArrayItem(items, 4);
    cr_expect_str_eq(cJSON_GetObjectItem(g4, "type")->valuestring, "byte_identical");
    cr_expect_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(g4, "paths"), 0)->valuestring,
                     "/ds/.hidden");
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "flat")), 0);
    ie_check_result_release(&r);
    cJSON_Delete(o);
    free(json);
    ie_manifest_release(&m);
}

Test(checks, empty_manifest_flags_nothing)
{
    struct ie_manifest m;
    struct ie_check_result r;
    load("empty.jsonl", &m);
    ie_check_result_init(&r);
    for (unsigned k = 0; k < IE_CHECK_NKINDS; k++) {
        run((enum ie_check_kind)k, &m, NULL, &r);
        cr_expect_eq(r.flagged, 0);
        cr_expect_eq(r.n_items, 0);
        cr_expect_eq(r.total_images, 0);
        char *json = to_json(&r, &m, NULL);
        cr_expect(strstr(json, "\"count\":0,") != NULL, "%s", json);
        cr_expect(strstr(json, "\"items\":[]") != NULL, "%s", json);
        free(json);
    }
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, all_corrupt_lists_every_record_and_null_errors)
{
    struct ie_manifest m;
    struct ie_check_result r;
    load("all_corrupt.jsonl", &m);
    ie_check_result_init(&r);
    run(IE_CHECK_CORRUPT, &m, NULL, &r);
    cr_assert_eq(r.n_items, 3);
    char *json = to_json(&r, &m, NULL);
    /* b.PNG comes from Python imgeda, which writes no error. */
    cr_expect(strstr(json, "{\"path\":\"/d/b.PNG\",\"filename\":\"b.PNG\",\"error\":null}") != NULL,
              "%s", json);
    cr_expect(strstr(json, "\"error\":\"exceeds pixel limit\"") != NULL, "%s", json);
    free(json);
    /* Corrupt records share a phash and bytes: only the byte-identical group survives. */
    run(IE_CHECK_DUPLICATES, &m, NULL, &r);
    cr_expect_eq(r.dups.exact.n, 0);
    cr_expect_eq(r.dups.near.n, 0);
    cr_expect_eq(r.dups.byte_identical.n, 1);
    cr_expect_eq(r.flagged, 0);
    run(IE_CHECK_EXPOSURE, &m, NULL, &r);
    cr_expect_eq(r.n_items, 0);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, older_manifest_values_may_be_null)
{
    struct ie_manifest m;
    struct ie_check_result r;
    struct ie_record extra;
    load("old_fields.jsonl", &m);
    ie_check_result_init(&r);
    run(IE_CHECK_EXPOSURE, &m, NULL, &r);
    cr_assert_eq(r.n_items, 2);
    cr_expect_str_eq(item_path(&m, &r, 0), "/o/a.jpg");
    cr_expect_eq(r.items[0].value, 20.0);
    run(IE_CHECK_BLUR, &m, NULL, &r);
    cr_expect_eq(r.n_items, 0, "no is_blurry in old manifests");

    /* A flag without its statistic (hand-edited or partial record) reports null. */
    ie_record_init(&extra);
    extra.path = ie_xstrdup("/o/x.jpg");
    extra.is_blurry = extra.is_dark = extra.has_border_artifact = true;
    cr_assert_eq(ie_check_run(IE_CHECK_BLUR, &extra, 1, NULL, &r, NULL), 0);
    cr_assert_eq(r.n_items, 1);
    cr_expect(!r.items[0].has_value);
    cJSON *o = ie_check_result_to_json(&r, &extra, NULL);
    char *json = cJSON_PrintUnformatted(o);
    cr_expect(strstr(json, "{\"path\":\"/o/x.jpg\",\"blur_score\":null}") != NULL, "%s", json);
    cr_expect(strstr(json, "\"threshold_defaults\":[\"blur_threshold\"]") != NULL, "%s", json);
    free(json);
    cJSON_Delete(o);
    cr_assert_eq(ie_check_run(IE_CHECK_EXPOSURE, &extra, 1, NULL, &r, NULL), 0);
    o = ie_check_result_to_json(&r, &extra, NULL);
    json = cJSON_PrintUnformatted(o);
    cr_expect(strstr(json, "\"mean_brightness\":null") != NULL, "%s", json);
    free(json);
    cJSON_Delete(o);
    cr_assert_eq(ie_check_run(IE_CHECK_ARTIFACTS, &extra, 1, NULL, &r, NULL), 0);
    cr_expect(!r.items[0].has_value);
    ie_record_release(&extra);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, repeated_paths_use_the_last_record)
{
    struct ie_manifest m;
    struct ie_check_result r;
    load("repeated.jsonl", &m);
    ie_check_result_init(&r);
    /* a.jpg was corrupt, then dark, then fine: nothing flags it. imgeda would list it twice. */
    run(IE_CHECK_CORRUPT, &m, NULL, &r);
    cr_expect_eq(r.n_items, 0);
    run(IE_CHECK_EXPOSURE, &m, NULL, &r);
    cr_expect_eq(r.n_items, 0);
    run(IE_CHECK_BLUR, &m, NULL, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/r/c.jpg");
    run(IE_CHECK_DUPLICATES, &m, NULL, &r);
    cr_expect_eq(r.dups.exact.n, 1, "a.jpg's last record shares b.jpg's phash");
    cr_expect_eq(r.flagged, 1);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, torn_manifest_checks_the_complete_records)
{
    struct ie_manifest m;
    struct ie_check_result r;
    load("torn.jsonl", &m);
    ie_check_result_init(&r);
    run(IE_CHECK_EXPOSURE, &m, NULL, &r);
    cr_assert_eq(r.n_items, 1);
    cr_expect_str_eq(item_path(&m, &r, 0), "/w/b.jpg");
    cr_expect_eq(r.total_images, 2);
    run(IE_CHECK_DUPLICATES, &m, NULL, &r);
    cr_expect_eq(r.dups.exact.n, 0, "c.jpg (same phash as b.jpg) is the torn line");
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}

Test(checks, bad_kind_and_bad_near_threshold_fail_cleanly)
{
    struct ie_manifest m;
    struct ie_check_result r;
    struct ie_check_thresholds t;
    struct ie_err err = {0};
    load("mixed.jsonl", &m);
    ie_check_result_init(&r);
    cr_expect_eq(ie_check_run(IE_CHECK_NKINDS, m.recs, m.n, NULL, &r, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "unknown check kind") != NULL, "%s", err.msg);
    ie_check_thresholds_init(&t);
    t.near = 99;
    memset(&err, 0, sizeof(err));
    cr_expect_eq(ie_check_run(IE_CHECK_DUPLICATES, m.recs, m.n, &t, &r, &err), IE_EINVAL);
    cr_expect(err.msg[0] != '\0');
    cr_expect(!r.has_dups);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
}
