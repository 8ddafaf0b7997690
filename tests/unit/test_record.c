/* Records: JSON round trip, key order and types, tolerant parsing, hashes. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/record.h"
#include "imgeda/util.h"

static const char *const spec_keys[] = {"path",
                                        "filename",
                                        "file_size_bytes",
                                        "mtime",
                                        "width",
                                        "height",
                                        "format",
                                        "color_mode",
                                        "num_channels",
                                        "aspect_ratio",
                                        "camera_make",
                                        "camera_model",
                                        "lens_model",
                                        "focal_length_mm",
                                        "focal_length_35mm",
                                        "iso_speed",
                                        "f_number",
                                        "exposure_time_sec",
                                        "datetime_original",
                                        "orientation_tag",
                                        "has_gps_data",
                                        "distortion_risk",
                                        "pixel_stats",
                                        "corner_stats",
                                        "phash",
                                        "dhash",
                                        "blur_score",
                                        "is_blurry",
                                        "is_corrupt",
                                        "is_dark",
                                        "is_overexposed",
                                        "has_border_artifact",
                                        "analyzed_at",
                                        "analyzer_version",
                                        "content_hash",
                                        "error",
                                        "bit_depth",
                                        "num_frames"};

static void fill(struct ie_record *r)
{
    ie_record_init(r);
    r->path = ie_xstrdup("data/caf\xc3\xa9/a.jpg");
    r->filename = ie_xstrdup("a.jpg");
    r->file_size_bytes = 123456;
    r->mtime = 1700000000.123456;
    r->width = 640;
    r->height = 640;
    r->format = ie_xstrdup("JPEG");
    r->color_mode = ie_xstrdup("RGB");
    r->num_channels = 3;
    r->aspect_ratio = 1.0;
    r->camera_make = ie_xstrdup("Canon");
    r->has_focal_length_mm = true;
    r->focal_length_mm = 35.0;
    r->has_iso_speed = true;
    r->iso_speed = 400;
    r->has_pixel_stats = true;
    r->pixel_stats.mean_r = 100.5;
    r->pixel_stats.max_val = 255;
    r->has_corner_stats = true;
    r->corner_stats.delta = 3.25;
    r->has_phash = true;
    r->phash.w[0] = 0x8000000000000000ull;
    r->phash.w[3] = 1;
    r->has_blur_score = true;
    r->blur_score = 12.0;
    r->is_dark = true;
    r->analyzed_at = ie_xstrdup("2026-01-01T00:00:00.000000+00:00");
    r->analyzer_version = ie_xstrdup(IE_ANALYZER_VERSION);
    r->content_hash = ie_xstrdup("xxh3_128:00112233445566778899aabbccddeeff");
    r->bit_depth = 8;
    r->num_frames = 1;
}

Test(record, json_has_exactly_the_spec_keys_in_order)
{
    struct ie_record r;
    fill(&r);
    char *s = ie_record_to_json(&r);
    cJSON *o = cJSON_Parse(s);
    cr_assert_not_null(o);
    size_t i = 0;
    for (cJSON *it = o->child; it; it = it->next, i++) {
        cr_assert_lt(i, sizeof(spec_keys) / sizeof(spec_keys[0]), "extra key %s", it->string);
        cr_expect_str_eq(it->string, spec_keys[i]);
    }
    cr_expect_eq(i, sizeof(spec_keys) / sizeof(spec_keys[0]));
    cJSON_Delete(o);
    free(s);
    ie_record_release(&r);
}

Test(record, floats_keep_a_decimal_point)
{
    struct ie_record r;
    fill(&r);
    char *s = ie_record_to_json(&r);
    cr_expect(strstr(s, "\"aspect_ratio\":1.0,") != NULL, "%s", s);
    cr_expect(strstr(s, "\"blur_score\":12.0,") != NULL);
    cr_expect(strstr(s, "\"focal_length_mm\":35.0,") != NULL);
    cr_expect(strstr(s, "\"width\":640,") != NULL);
    cr_expect(strstr(s, "\"focal_length_35mm\":null") != NULL);
    free(s);
    ie_record_release(&r);
}

Test(record, round_trip_keeps_every_value)
{
    struct ie_record a, b;
    fill(&a);
    ie_record_init(&b);
    char *s = ie_record_to_json(&a);
    cr_assert_eq(ie_record_from_json(s, strlen(s), &b, NULL), 0);
    cr_expect_str_eq(b.path, a.path);
    cr_expect_eq(b.file_size_bytes, a.file_size_bytes);
    cr_expect(b.mtime == a.mtime, "mtime must round-trip exactly for resume");
    cr_expect_eq(b.width, 640);
    cr_expect_str_eq(b.camera_make, "Canon");
    cr_expect_null(b.camera_model);
    cr_expect(b.has_iso_speed && b.iso_speed == 400);
    cr_expect(!b.has_f_number);
    cr_expect(b.has_pixel_stats && b.pixel_stats.mean_r == 100.5);
    cr_expect(b.has_phash && memcmp(&b.phash, &a.phash, sizeof(a.phash)) == 0);
    cr_expect(!b.has_dhash);
    cr_expect(b.is_dark && !b.is_corrupt);
    cr_expect_str_eq(b.content_hash, a.content_hash);
    cr_expect_eq(b.num_frames, 1);
    char *t = ie_record_to_json(&b);
    cr_expect_str_eq(t, s, "serialising a parsed record gives the same line");
    free(s);
    free(t);
    ie_record_release(&a);
    ie_record_release(&b);
}

Test(record, parsing_is_tolerant_of_old_and_odd_records)
{
    struct ie_record r;
    const char *old = "{\"path\": \"x.png\", \"width\": 10, \"height\": \"tall\", "
                      "\"future_key\": [1,2], \"pixel_stats\": {\"mean_r\": 1}}";
    ie_record_init(&r);
    cr_assert_eq(ie_record_from_json(old, strlen(old), &r, NULL), 0);
    cr_expect_eq(r.width, 10);
    cr_expect_eq(r.height, 0, "a wrong type counts as missing");
    cr_expect(r.has_pixel_stats);
    cr_expect_eq(r.pixel_stats.max_val, 255, "missing max_val defaults like imgeda's");
    cr_expect(!r.has_blur_score);
    cr_expect_null(r.camera_make);
    ie_record_release(&r);
}

Test(record, a_size_beyond_int64_counts_as_missing)
{
    struct ie_record r;
    const char *big = "{\"path\": \"a\", \"file_size_bytes\": 1e30, \"width\": 1e30}";
    ie_record_init(&r);
    cr_assert_eq(ie_record_from_json(big, strlen(big), &r, NULL), 0);
    cr_expect_eq(r.file_size_bytes, 0);
    cr_expect_eq(r.width, 0);
    ie_record_release(&r);
}

Test(record, rejects_non_objects_with_a_message)
{
    struct ie_record r;
    struct ie_err err = {0};
    ie_record_init(&r);
    cr_expect_eq(ie_record_from_json("[1,2]", 5, &r, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "not a JSON object");
    cr_expect_eq(ie_record_from_json("{\"width\":1}", 11, &r, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "path") != NULL);
    cr_expect_eq(ie_record_from_json("{\"path\":\"a\"", 11, &r, &err), IE_EINVAL);
    ie_record_release(&r);
}

/* The import parses a line once and reads the record from that tree: the same record as from
 * the text, and the same refusals (a NULL tree is what a failed parse gives). */
Test(record, from_a_parsed_tree_as_from_the_text)
{
    const char *line = "{\"path\":\"d/a.png\",\"width\":640,\"height\":480,\"format\":\"PNG\","
                       "\"blur_score\":12.5,\"is_dark\":true,\"pixel_stats\":{\"mean_brightness\":"
                       "20.25}}";
    struct ie_record a, b;
    struct ie_err err = {0};
    ie_record_init(&a);
    ie_record_init(&b);
    cJSON *o = cJSON_Parse(line);
    cr_assert_eq(ie_record_from_cjson(o, &a, NULL), 0);
    cr_assert_eq(ie_record_from_json(line, strlen(line), &b, NULL), 0);
    char *ja = ie_record_to_json(&a), *jb = ie_record_to_json(&b);
    cr_expect_str_eq(ja, jb);
    cr_expect(a.is_dark && a.has_blur_score && a.width == 640);
    free(ja);
    free(jb);
    cJSON_Delete(o);
    cr_expect_eq(ie_record_from_cjson(NULL, &a, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "not a JSON object");
    o = cJSON_Parse("{\"width\":1}");
    cr_expect_eq(ie_record_from_cjson(o, &a, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "path") != NULL);
    cJSON_Delete(o);
    ie_record_release(&a);
    ie_record_release(&b);
}

Test(record, hash_hex_round_trip_and_distance)
{
    struct ie_hash256 a, b;
    char hex[65];
    cr_assert_eq(
        ie_hash256_from_hex("f0"
                            "00000000000000000000000000000000000000000000000000000000000001",
                            &a),
        0);
    ie_hash256_to_hex(&a, hex);
    cr_expect_str_eq(hex, "f000000000000000000000000000000000000000000000000000000000000001");
    cr_assert_eq(ie_hash256_from_hex("1", &b), 0, "short hex is right-aligned like int(s, 16)");
    cr_expect_eq(ie_hash256_distance(&a, &b), 4);
    cr_expect_eq(ie_hash256_from_hex("xyz", &b), -1);
    cr_expect_eq(ie_hash256_from_hex("", &b), -1);
}

Test(record, copy_is_deep)
{
    struct ie_record a, b;
    fill(&a);
    ie_record_copy(&b, &a);
    cr_expect_neq(a.path, b.path);
    cr_expect_str_eq(a.path, b.path);
    ie_record_release(&a);
    cr_expect_str_eq(b.format, "JPEG");
    ie_record_release(&b);
}
