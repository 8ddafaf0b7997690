/* The scan option table: one row per option, read by the CLI, the API, /config and the header. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/options.h"
#include "imgeda/util.h"

Test(options, every_row_is_complete_and_keys_are_unique)
{
    const struct ie_scan_option *rows;
    size_t n = ie_scan_option_table(&rows);
    cr_assert_gt(n, 10);
    for (size_t i = 0; i < n; i++) {
        cr_assert_not_null(rows[i].name);
        if (rows[i].flags & IE_OPT_ANALYSIS)
            cr_assert_not_null(rows[i].header_key, "%s changes records but is not recorded",
                               rows[i].name);
        cr_assert_not_null(rows[i].help, "%s has no help", rows[i].name);
        if (rows[i].cli_flag) {
            cr_assert_eq(strncmp(rows[i].cli_flag, "--", 2), 0);
            cr_assert((rows[i].type == IE_OPT_BOOL) == (rows[i].metavar == NULL),
                      "%s: a value's flag needs a metavar, a boolean's none", rows[i].name);
        }
        for (size_t k = 0; k < i; k++) {
            if (rows[i].header_key && rows[k].header_key)
                cr_assert_str_neq(rows[i].header_key, rows[k].header_key);
            if (rows[i].json_key && rows[k].json_key)
                cr_assert_str_neq(rows[i].json_key, rows[k].json_key);
            if (rows[i].cli_flag && rows[k].cli_flag)
                cr_assert_str_neq(rows[i].cli_flag, rows[k].cli_flag);
        }
    }
}

Test(options, cli_text_and_api_json_share_one_range)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    bool neg;
    ie_scan_options_init(&o);
    const struct ie_scan_option *dim = ie_scan_option_by_flag("--max-image-dim", &neg);
    cr_assert_not_null(dim);
    cr_assert_eq(dim, ie_scan_option_by_json_key("max_image_dim"));
    cr_assert_eq(ie_scan_option_set_text(dim, "15", false, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "--max-image-dim needs a whole number from 16 to 65535, not '15'");
    cr_assert_eq(ie_scan_option_set_text(dim, "65535", false, &o, &err), 0);
    cr_assert_eq(o.max_image_dim, 65535);
    cr_assert_eq(ie_scan_options_apply_json("{\"max_image_dim\": 15}", NULL, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "options.max_image_dim: expected a whole number in 16..65535");
    cr_assert_eq(ie_scan_options_apply_json("{\"max_image_dim\": 64}", NULL, &o, &err), 0);
    cr_assert_eq(o.max_image_dim, 64);
    /* Thresholds: the same 0..1e9 on both sides (the CLI once took negative numbers). */
    const struct ie_scan_option *dark = ie_scan_option_by_flag("--dark-threshold", &neg);
    cr_assert_eq(ie_scan_option_set_text(dark, "-1", false, &o, &err), IE_EINVAL);
    cr_assert_eq(ie_scan_options_apply_json("{\"dark_threshold\": -1}", NULL, &o, &err), IE_EINVAL);
    cr_assert_eq(ie_scan_option_set_text(dark, "12.5", false, &o, &err), 0);
    cr_assert_float_eq(o.dark_threshold, 12.5, 1e-12);
}

Test(options, caps_lower_the_daemons_bounds_only)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    struct ie_scan_option_caps caps = {.workers = 2, .max_pixels = 1000};
    ie_scan_options_init(&o);
    cr_assert_eq(ie_scan_options_apply_json("{\"workers\": 3}", &caps, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "options.workers: expected a whole number in 1..2");
    cr_assert_eq(ie_scan_options_apply_json("{\"workers\": 3}", NULL, &o, &err), 0);
    cr_assert_eq(o.workers, 3);
    cr_assert_eq(ie_scan_options_apply_json("{\"max_pixels\": 1001}", &caps, &o, &err), IE_EINVAL);
    cr_assert_eq(
        ie_scan_options_apply_json("{\"max_pixels\": 1000, \"force\": true}", &caps, &o, &err), 0);
    cr_assert_eq(o.max_pixels, 1000);
    cr_assert(o.force);
}

Test(options, api_json_refuses_unknown_keys_wrong_types_and_cli_only_options)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    ie_scan_options_init(&o);
    cr_assert_eq(ie_scan_options_apply_json("{\"max_image_dimm\": 1}", NULL, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "options.max_image_dimm: unknown option");
    cr_assert_eq(ie_scan_options_apply_json("{\"resume\": false}", NULL, &o, &err), IE_EINVAL);
    cr_assert_eq(ie_scan_options_apply_json("{\"skip_exif\": 1}", NULL, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "options.skip_exif: expected true or false");
    cr_assert_eq(ie_scan_options_apply_json("[1]", NULL, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "options: expected a JSON object");
    cr_assert_eq(
        ie_scan_options_apply_json("{\"extensions\": [\"PNG\", \".webp\"]}", NULL, &o, &err), 0);
    cr_assert_eq(o.n_extensions, 2);
    cr_assert_str_eq(o.extensions[0], ".png");
    cr_assert_str_eq(o.extensions[1], ".webp");
}

/* Extensions reach the manifest header's settings and JSON replies: one that would break JSON
 * (a quote, a backslash), hide in a listing (a control character), make the header unreadable
 * to Python (invalid UTF-8) or is no file name suffix (a slash) is refused; what is accepted
 * prints as JSON that parses back to the same list. */
Test(options, extensions_that_would_break_the_header_are_refused)
{
    static const char *const bad[] = {"\"",      "jp\"g",  "a\\b", "x\x01y",
                                      "j\x7fpg", "p\xabg", "\xc3", "a/b"};
    struct ie_scan_options o;
    struct ie_err err = {0};
    ie_scan_options_init(&o);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(ie_scan_options_set_extensions(&o, bad[i], &err), IE_EINVAL, "%s", bad[i]);
        cr_expect(strstr(err.msg, "not a file name extension"), "%s", err.msg);
    }
    cr_assert_eq(ie_scan_options_set_extensions(&o, "jpg, .Ünï, tar.gz, a'b", &err), 0, "%s",
                 err.msg);
    char *settings = ie_scan_options_settings_json(&o);
    cJSON *j = cJSON_Parse(settings);
    cr_assert(cJSON_IsObject(j), "%s", settings);
    cJSON *ext = cJSON_GetObjectItemCaseSensitive(j, "extensions");
    cr_assert_eq(cJSON_GetArraySize(ext), 4, "%s", settings);
    cr_expect_str_eq(cJSON_GetArrayItem(ext, 1)->valuestring, ".Ünï");
    cr_expect_str_eq(cJSON_GetArrayItem(ext, 3)->valuestring, ".a'b");
    cJSON_Delete(j);
    free(settings);
}

Test(options, json_defaults_round_trip_through_the_parser)
{
    struct ie_scan_options a, b;
    struct ie_err err = {0};
    ie_scan_options_init(&a);
    a.workers = 3;
    a.blur_threshold = 77.25;
    a.no_hashes = true;
    cJSON *j = ie_scan_options_to_json(&a);
    char *text = cJSON_PrintUnformatted(j);
    ie_scan_options_init(&b);
    cr_assert_eq(ie_scan_options_apply_json(text, NULL, &b, &err), 0, "%s", err.msg);
    char *sa = ie_scan_options_settings_json(&a), *sb = ie_scan_options_settings_json(&b);
    cr_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    free(text);
    cJSON_Delete(j);
}

Test(options, header_settings_decide_whether_a_resume_may_keep_records)
{
    struct ie_scan_options a, b;
    ie_scan_options_init(&a);
    ie_scan_options_init(&b);
    b.workers = a.workers + 1;
    b.force = true;
    b.checkpoint_every = 7;
    char *sa = ie_scan_options_settings_json(&a), *sb = ie_scan_options_settings_json(&b);
    cr_assert(ie_settings_same_analysis(sa, sb), "workers, force, checkpoints change no value");
    free(sb);
    b.no_hashes = true;
    sb = ie_scan_options_settings_json(&b);
    cr_assert(!ie_settings_same_analysis(sa, sb), "hashes change the records");
    cr_assert_not_null(strstr(sb, "\"include_hashes\":false"));
    cr_assert(!ie_settings_same_analysis(sa, "not json"));
    free(sa);
    free(sb);
}

Test(options, usage_lists_every_flag_with_its_default)
{
    const struct ie_scan_option *rows;
    size_t n = ie_scan_option_table(&rows);
    char *u = ie_scan_options_usage();
    for (size_t i = 0; i < n; i++)
        if (rows[i].cli_flag)
            cr_assert_not_null(strstr(u, rows[i].cli_flag), "%s missing", rows[i].cli_flag);
    cr_assert_not_null(strstr(u, "--max-image-dim N        working-image size limit (default "
                                 "2048)\n"));
    cr_assert_not_null(strstr(u, "--resume / --no-resume"));
    free(u);
}

/* Defaults come from the rows' default column: each lies in its row's range, and the values are
 * the spec's (SPEC §3 thresholds, Pillow's pixel limit). */
Test(options, defaults_come_from_the_table_and_lie_in_range)
{
    const struct ie_scan_option *rows;
    size_t n = ie_scan_option_table(&rows);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].type == IE_OPT_EXTENSIONS || (rows[i].flags & IE_OPT_DEFAULT_CORES))
            continue;
        cr_assert(rows[i].def >= rows[i].lo && rows[i].def <= rows[i].hi,
                  "%s: default %g outside %g..%g", rows[i].name, rows[i].def, rows[i].lo,
                  rows[i].hi);
    }
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    cr_assert_float_eq(o.dark_threshold, 40.0, 1e-12);
    cr_assert_float_eq(o.overexposed_threshold, 220.0, 1e-12);
    cr_assert_float_eq(o.artifact_threshold, 50.0, 1e-12);
    cr_assert_float_eq(o.blur_threshold, 100.0, 1e-12);
    cr_assert_float_eq(o.corner_patch_fraction, 0.1, 1e-12);
    cr_assert_eq(o.max_image_dim, 2048);
    cr_assert_eq(o.hash_size, 16);
    cr_assert_eq(o.max_pixels, 178956970);
    cr_assert_eq(o.max_file_bytes, (int64_t)2 << 30);
    cr_assert_eq(o.checkpoint_every, 500);
    cr_assert(o.resume && !o.force && !o.shrink_on_load && !o.isolate && !o.no_hashes);
    cr_assert_eq(o.image_timeout_s, 0);
    cr_assert_geq(o.workers, 1);
    cr_assert_eq(o.n_extensions, 12);
    cr_assert_str_eq(o.extensions[0], ".jpg");
}

/* One rule: a time limit implies isolation, whichever front end set it. */
Test(options, a_time_limit_implies_isolation)
{
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    cr_expect_not(ie_scan_options_isolated(&o));
    o.image_timeout_s = 5;
    cr_expect(ie_scan_options_isolated(&o));
    o.image_timeout_s = 0;
    o.isolate = true;
    cr_expect(ie_scan_options_isolated(&o));
}

/* --shard K/N: refused in the table's words; a file's shard depends on its relative path only,
 * every file is in exactly one shard, and only a given shard reaches the header. */
Test(options, shard_is_parsed_checked_and_recorded_only_when_given)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    bool neg;
    ie_scan_options_init(&o);
    const struct ie_scan_option *row = ie_scan_option_by_flag("--shard", &neg);
    cr_assert_not_null(row);
    cr_assert_null(row->json_key, "a daemon scan is one whole root");
    cr_assert_not(row->flags & IE_OPT_ANALYSIS);
    const char *bad[] = {"0/4", "5/4",  "1/0",  "junk", "1/",
                         "/4",  "-1/4", "1/4x", " 1/4", "1/65537"};
    for (size_t i = 0; i < IE_ARRAY_LEN(bad); i++) {
        cr_assert_eq(ie_scan_option_set_text(row, bad[i], false, &o, &err), IE_EINVAL, "%s",
                     bad[i]);
        cr_assert_not_null(strstr(err.msg, "--shard needs K/N"), "%s", err.msg);
    }
    char *whole = ie_scan_options_settings_json(&o);
    cr_assert_null(strstr(whole, "shard"));
    cr_assert_eq(ie_scan_option_set_text(row, "3/8", false, &o, &err), 0);
    cr_assert_eq(o.shard.index, 3);
    cr_assert_eq(o.shard.count, 8);
    char *part = ie_scan_options_settings_json(&o);
    cr_assert_not_null(strstr(part, ",\"shard\":\"3/8\","));
    cr_assert(ie_settings_same_analysis(whole, part), "a shard computes the same values");
    cr_assert_null(ie_settings_analysis_difference(whole, part));
    free(whole);
    free(part);

    int hits = 0;
    for (o.shard.index = 1; o.shard.index <= 8; o.shard.index++)
        hits += ie_scan_options_in_shard(&o, "cats/a.jpg", 10);
    cr_assert_eq(hits, 1);
    o.shard.count = 0;
    cr_assert(ie_scan_options_in_shard(&o, "cats/a.jpg", 10));
}

Test(options, analysis_difference_names_the_key)
{
    struct ie_scan_options a, b;
    ie_scan_options_init(&a);
    ie_scan_options_init(&b);
    b.dark_threshold = 10;
    char *sa = ie_scan_options_settings_json(&a), *sb = ie_scan_options_settings_json(&b);
    cr_assert_str_eq(ie_settings_analysis_difference(sa, sb), "dark_threshold");
    cr_assert_str_eq(ie_settings_analysis_difference(sa, "{"), "settings");
    free(sa);
    free(sb);
}
