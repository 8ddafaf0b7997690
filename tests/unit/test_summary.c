/* Summary (SPEC §4.2) over the fixture manifests in tests/fixtures/manifests/. Expected values
 * are worked out by hand from the fixture lines, following imgeda's aggregator.py; the comments
 * show the arithmetic. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/duplicates.h"
#include "imgeda/manifest.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"

static void load(const char *name, struct ie_manifest *m)
{
    char path[4096];
    struct ie_err err = {0};
    snprintf(path, sizeof(path), "%s/manifests/%s", th_fixtures(), name);
    ie_manifest_init(m);
    cr_assert_eq(ie_manifest_load(path, m, &err), 0, "%s: %s", name, err.msg);
}

static void summarise(const char *name, struct ie_manifest *m, struct ie_summary *s)
{
    load(name, m);
    ie_summary_compute(m->recs, m->n, s);
}

#define expect_near(a, b)                                                                          \
    cr_expect(fabs((a) - (b)) <= 1e-9 * fmax(1.0, fabs(b)), "%s = %.17g, expected %.17g", #a,      \
              (double)(a), (double)(b))

static void expect_counts(const struct ie_counts *c, const char *const *keys, const size_t *n,
                          size_t k, const char *what)
{
    cr_assert_eq(c->n, k, "%s: %zu keys, expected %zu", what, c->n, k);
    for (size_t i = 0; i < k; i++) {
        cr_expect_str_eq(c->v[i].key, keys[i], "%s[%zu]", what, i);
        cr_expect_eq(c->v[i].count, n[i], "%s[%s]", what, keys[i]);
    }
}

static void expect_pcts(const struct ie_pcts *p, size_t n, double p5, double p50, double p95)
{
    cr_expect_eq(p->n, n);
    expect_near(p->p5, p5);
    expect_near(p->p50, p50);
    expect_near(p->p95, p95);
}

Test(summary, imgeda_fields_on_a_mixed_manifest)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("mixed.jsonl", &m, &s);
    /* 8 records; #7 (/ds/.hidden) is the only corrupt one. */
    cr_expect_eq(s.total_images, 8);
    cr_expect_eq(s.total_size_bytes, 36000); /* 1000 + 2000 + ... + 8000 */
    cr_expect_eq(s.corrupt_count, 1);
    cr_expect_eq(s.dark_count, 1);
    cr_expect_eq(s.overexposed_count, 1);
    cr_expect_eq(s.artifact_count, 1);
    cr_expect_eq(s.blurry_count, 1);
    /* Non-corrupt widths 640 1920 800 100 4000 50 200, heights 480 1080 600 100 3000 40 100;
     * the corrupt record's 0x0 does not count. */
    cr_expect_eq(s.min_width, 50);
    cr_expect_eq(s.max_width, 4000);
    cr_expect_eq(s.min_height, 40);
    cr_expect_eq(s.max_height, 3000);
    /* most_common order: count descending, ties in first-seen order (GIF before WEBP). The
     * corrupt record's empty format and mode are not counted. */
    expect_counts(&s.format_counts, (const char *[]){"JPEG", "PNG", "GIF", "WEBP"},
                  (size_t[]){3, 2, 1, 1}, 4, "formats");
    expect_counts(&s.mode_counts, (const char *[]){"RGB", "L", "RGBA", "P"}, (size_t[]){4, 1, 1, 1},
                  4, "modes");
    /* img1.JPG folds into jpg; "noext" and "trail." have no extension; ".hidden" (corrupt, still
     * counted as imgeda does) gives "hidden". */
    expect_counts(&s.extension_counts, (const char *[]){"jpg", "png", "jpeg", "hidden"},
                  (size_t[]){2, 2, 1, 1}, 4, "extensions");
    /* Canon and Nikon tie at 2: Canon was seen first. The empty make of "noext" is not counted,
     * its model "X" is. */
    expect_counts(&s.camera_make_counts, (const char *[]){"Canon", "Nikon", "Sony"},
                  (size_t[]){2, 2, 1}, 3, "makes");
    expect_counts(&s.camera_model_counts, (const char *[]){"EOS R5", "D850", "A7", "X"},
                  (size_t[]){2, 2, 1, 1}, 4, "models");
    cr_expect_eq(s.exif_present_count, 5, "imgeda: records with a camera make");
    cr_expect_eq(s.high_distortion_risk_count, 2);
    cr_expect_eq(s.gps_flagged_count, 2);
    cr_expect_eq(s.rotated_count, 3, "orientations 6, 8 and 0 (not null, not 1)");
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, beyond_fields_on_a_mixed_manifest)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("mixed.jsonl", &m, &s);
    /* 640*480 + 1920*1080 + 800*600 + 100*100 + 4000*3000 + 50*40 + 200*100 */
    cr_expect_eq(s.total_pixels, 14892800);
    /* numpy linear: index (n-1)*q/100 between neighbours.
     * widths sorted 50 100 200 640 800 1920 4000 (n=7): p5 at 0.3 -> 50 + 0.3*50 = 65; p50 at 3
     * -> 640; p95 at 5.7 -> 1920 + 0.7*2080 = 3376. */
    expect_pcts(&s.width, 7, 65, 640, 3376);
    /* heights 40 100 100 480 600 1080 3000: 40 + 0.3*60 = 58; 480; 1080 + 0.7*1920 = 2424 */
    expect_pcts(&s.height, 7, 58, 480, 2424);
    /* all 8 sizes 1000..8000: index 0.35 -> 1350; 3.5 -> 4500; 6.65 -> 7650 */
    expect_pcts(&s.file_size, 8, 1350, 4500, 7650);
    /* brightness of the 7 valid: 30 50 90 100 120 140 230 -> 36; 100; 140 + 0.7*90 = 203 */
    expect_pcts(&s.brightness, 7, 36, 100, 203);
    /* blur of the 6 valid with a score: 50 150 200 300 500 1000 (n=6): index 0.25 -> 75;
     * 2.5 -> 250; 4.75 -> 500 + 0.75*500 = 875 */
    expect_pcts(&s.blur, 6, 75, 250, 875);
    /* phash A on img1-3 (and on the corrupt .hidden, excluded), B on img4-5: 2 groups, 2 + 1
     * images beyond the first. Content hash X on img1, img2 and .hidden (corrupt included). */
    cr_expect_eq(s.exact_duplicate_groups, 2);
    cr_expect_eq(s.exact_duplicate_images, 3);
    cr_expect_eq(s.byte_identical_groups, 1);
    cr_expect_eq(s.byte_identical_images, 2);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, duplicate_counts_agree_with_the_duplicates_module)
{
    static const char *const names[] = {"mixed.jsonl",      "all_corrupt.jsonl", "repeated.jsonl",
                                        "old_fields.jsonl", "thresholds.jsonl",  "empty.jsonl"};
    for (size_t i = 0; i < IE_ARRAY_LEN(names); i++) {
        struct ie_manifest m;
        struct ie_summary s;
        struct ie_duplicates d;
        summarise(names[i], &m, &s);
        ie_duplicates_init(&d);
        cr_assert_eq(ie_duplicates_find(m.recs, m.n, NULL, &d, NULL), 0);
        cr_expect_eq(s.exact_duplicate_groups, d.exact.n, "%s", names[i]);
        cr_expect_eq(s.exact_duplicate_images, ie_duplicates_exact_extra(&d), "%s", names[i]);
        cr_expect_eq(s.byte_identical_groups, d.byte_identical.n, "%s", names[i]);
        ie_duplicates_release(&d);
        ie_summary_release(&s);
        ie_manifest_release(&m);
    }
}

Test(summary, empty_manifest_gives_zeros_and_no_percentiles)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("empty.jsonl", &m, &s);
    cr_expect(m.meta.present);
    cr_expect_eq(s.total_images, 0);
    cr_expect_eq(s.total_size_bytes, 0);
    cr_expect_eq(s.min_width, 0);
    cr_expect_eq(s.max_height, 0);
    cr_expect_eq(s.format_counts.n, 0);
    cr_expect_eq(s.width.n, 0);
    cr_expect(isnan(s.width.p50) && isnan(s.file_size.p5) && isnan(s.blur.p95));
    char *json = ie_summary_to_json(&s, false);
    cr_expect(strstr(json, "\"total_images\":0,") != NULL, "%s", json);
    cr_expect(strstr(json, "\"width\":{\"n\":0,\"p5\":null,\"p50\":null,\"p95\":null}") != NULL,
              "%s", json);
    cr_expect(strstr(json, "\"format_counts\":{}") != NULL, "%s", json);
    free(json);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, all_corrupt_counts_everything_but_dimensions)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("all_corrupt.jsonl", &m, &s);
    cr_expect_eq(s.total_images, 3);
    cr_expect_eq(s.corrupt_count, 3);
    cr_expect_eq(s.total_size_bytes, 600);
    /* No valid record: imgeda's min()/max() fallbacks of 0, no dimension percentiles. */
    cr_expect_eq(s.min_width, 0);
    cr_expect_eq(s.max_width, 0);
    cr_expect_eq(s.width.n, 0);
    cr_expect_eq(s.brightness.n, 0);
    cr_expect_eq(s.total_pixels, 0);
    /* Formats and EXIF count corrupt records too (imgeda): b.PNG kept its header's format. */
    expect_counts(&s.format_counts, (const char *[]){"PNG"}, (size_t[]){1}, 1, "formats");
    expect_counts(&s.extension_counts, (const char *[]){"jpg", "png"}, (size_t[]){1, 1}, 2,
                  "extensions");
    expect_counts(&s.camera_make_counts, (const char *[]){"Nikon"}, (size_t[]){1}, 1, "makes");
    cr_expect_eq(s.exif_present_count, 1);
    cr_expect_eq(s.rotated_count, 1);
    cr_expect_eq(s.gps_flagged_count, 1);
    /* sizes 100 200 300: index 0.1 -> 110; 1 -> 200; 1.9 -> 290 */
    expect_pcts(&s.file_size, 3, 110, 200, 290);
    /* a.jpg and c share a phash but are corrupt: no exact group; same bytes: one group. */
    cr_expect_eq(s.exact_duplicate_groups, 0);
    cr_expect_eq(s.byte_identical_groups, 1);
    cr_expect_eq(s.byte_identical_images, 1);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, older_manifest_without_optional_fields)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("old_fields.jsonl", &m, &s);
    cr_expect_eq(s.total_images, 3);
    cr_expect_eq(s.dark_count, 1);
    cr_expect_eq(s.overexposed_count, 1);
    cr_expect_eq(s.blurry_count, 0);
    cr_expect_eq(s.camera_make_counts.n, 0);
    cr_expect_eq(s.exif_present_count, 0);
    cr_expect_eq(s.rotated_count, 0, "no orientation_tag key means null, not rotated");
    cr_expect_eq(s.gps_flagged_count, 0);
    cr_expect_eq(s.blur.n, 0, "no blur_score anywhere");
    /* b.jpg has no pixel_stats: brightness over a.jpg (20) and c.png (240): 20 + 0.05*220 = 31;
     * 130; 20 + 0.95*220 = 229. */
    expect_pcts(&s.brightness, 2, 31, 130, 229);
    cr_expect_eq(s.byte_identical_groups, 0, "no content_hash in imgeda manifests");
    cr_expect_eq(s.exact_duplicate_groups, 1);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, repeated_paths_count_once_with_the_last_record)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("repeated.jsonl", &m, &s);
    /* 5 lines for 3 paths: a.jpg's third record (160 bytes, 128x96, fine) replaces the corrupt
     * first and the dark second one. imgeda would count 5 images, 1 corrupt, 1 dark. */
    cr_expect_eq(m.replaced, 2);
    cr_expect_eq(s.total_images, 3);
    cr_expect_eq(s.total_size_bytes, 160 + 200 + 300);
    cr_expect_eq(s.corrupt_count, 0);
    cr_expect_eq(s.dark_count, 0);
    cr_expect_eq(s.blurry_count, 1);
    cr_expect_eq(s.max_width, 128);
    cr_expect_eq(s.min_width, 16);
    /* a.jpg and b.jpg share phash B. */
    cr_expect_eq(s.exact_duplicate_groups, 1);
    cr_expect_eq(s.exact_duplicate_images, 1);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, torn_and_garbage_lines_are_skipped)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("torn.jsonl", &m, &s);
    cr_expect_eq(m.skipped_lines, 2, "the garbage line and the torn tail");
    cr_expect_eq(s.total_images, 2);
    cr_expect_eq(s.total_size_bytes, 400);
    cr_expect_eq(s.dark_count, 1);
    cr_expect_eq(s.total_pixels, 10 * 20 + 30 * 40);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, streaming_add_matches_compute_and_finish_is_idempotent)
{
    struct ie_manifest m;
    struct ie_summary a, b;
    summarise("mixed.jsonl", &m, &a);
    ie_summary_init(&b);
    for (size_t i = 0; i < m.n; i++)
        ie_summary_add(&b, &m.recs[i]);
    ie_summary_finish(&b);
    ie_summary_finish(&b);
    ie_summary_add(&b, &m.recs[0]); /* after finish: ignored */
    char *ja = ie_summary_to_json(&a, false), *jb = ie_summary_to_json(&b, false);
    cr_expect_str_eq(ja, jb);
    free(ja);
    free(jb);
    ie_summary_release(&a);
    ie_summary_release(&b);
    ie_manifest_release(&m);
}

Test(summary, release_of_an_unfinished_summary_frees_everything)
{
    struct ie_manifest m;
    struct ie_summary s;
    load("mixed.jsonl", &m);
    ie_summary_init(&s);
    for (size_t i = 0; i < m.n; i++)
        ie_summary_add(&s, &m.recs[i]);
    ie_summary_release(&s); /* LeakSanitizer checks this */
    cr_expect_eq(s.total_images, 0);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, json_has_imgeda_keys_in_order_and_floats_with_a_point)
{
    struct ie_manifest m;
    struct ie_summary s;
    summarise("mixed.jsonl", &m, &s);
    char *json = ie_summary_to_json(&s, false);
    static const char *const keys[] = {"total_images",
                                       "total_size_bytes",
                                       "corrupt_count",
                                       "dark_count",
                                       "overexposed_count",
                                       "artifact_count",
                                       "blurry_count",
                                       "min_width",
                                       "max_width",
                                       "min_height",
                                       "max_height",
                                       "format_counts",
                                       "mode_counts",
                                       "extension_counts",
                                       "camera_make_counts",
                                       "camera_model_counts",
                                       "high_distortion_risk_count",
                                       "gps_flagged_count",
                                       "rotated_count",
                                       "exif_present_count",
                                       "total_pixels",
                                       "percentiles",
                                       "duplicates"};
    cJSON *o = cJSON_Parse(json);
    cr_assert_not_null(o, "%s", json);
    const cJSON *it = o->child;
    for (size_t i = 0; i < IE_ARRAY_LEN(keys); i++, it = it->next) {
        cr_assert_not_null(it, "missing %s", keys[i]);
        cr_expect_str_eq(it->string, keys[i]);
    }
    cr_expect_null(it, "no extra keys");
    cr_expect(strstr(json, "\"format_counts\":{\"JPEG\":3,\"PNG\":2,\"GIF\":1,\"WEBP\":1}") != NULL,
              "%s", json);
    cr_expect(strstr(json, "\"blur_score\":{\"n\":6,\"p5\":75.0,\"p50\":250.0,\"p95\":875.0}") !=
                  NULL,
              "%s", json);
    cr_expect(strstr(json, "\"duplicates\":{\"exact_groups\":2,\"exact_images\":3,"
                           "\"byte_identical_groups\":1,\"byte_identical_images\":2}") != NULL,
              "%s", json);
    cJSON_Delete(o);
    free(json);
    char *pretty = ie_summary_to_json(&s, true);
    cr_expect(strchr(pretty, '\n') != NULL);
    free(pretty);
    ie_summary_release(&s);
    ie_manifest_release(&m);
}

Test(summary, percentile_follows_numpy_linear)
{
    double one[] = {7};
    double two[] = {1, 2};
    double four[] = {1, 2, 3, 10};
    cr_expect(isnan(ie_percentile(NULL, 0, 50)));
    cr_expect_eq(ie_percentile(one, 1, 5), 7);
    cr_expect_eq(ie_percentile(one, 1, 95), 7);
    cr_expect_eq(ie_percentile(two, 2, 0), 1);
    cr_expect_eq(ie_percentile(two, 2, 100), 2);
    cr_expect_eq(ie_percentile(two, 2, 50), 1.5);
    /* np.percentile([1, 2, 3, 10], 95) = 3 + (10-3)*0.85 = 8.95: index 3*0.95 = 2.85; numpy's
     * lerp computes b - (b-a)*(1-t) for t >= 0.5. */
    expect_near(ie_percentile(four, 4, 95), 8.95);
    cr_expect_eq(ie_percentile(four, 4, 95), 10 - 7 * (1 - (3 * 0.95 - 2)));
    /* index 3*0.05 = 0.15 -> 1 + 0.15 = 1.15 */
    cr_expect_eq(ie_percentile(four, 4, 5), 1 + 1 * (3 * 0.05));
}

Test(summary, large_counts_print_as_exact_integers)
{
    struct ie_record r;
    struct ie_summary s;
    ie_record_init(&r);
    r.path = ie_xstrdup("/big.tif");
    r.filename = ie_xstrdup("big.tif");
    r.file_size_bytes = (int64_t)1 << 53 | 1; /* not representable as a double */
    r.width = 65535;
    r.height = 65535;
    ie_summary_compute(&r, 1, &s);
    char *json = ie_summary_to_json(&s, false);
    cr_expect(strstr(json, "\"total_size_bytes\":9007199254740993,") != NULL, "%s", json);
    cr_expect(strstr(json, "\"total_pixels\":4294836225,") != NULL, "%s", json);
    free(json);
    ie_summary_release(&s);
    ie_record_release(&r);
}
