/* Unit tests for core/gate.c: imgeda's checks, observed values, sample paths and JSON. Every
 * expected answer below was worked out by hand from the fixture (tests/fixtures/policies/
 * README.md lists the records); expected_*.json were written by Python imgeda's own
 * evaluate_policy on the same fixtures. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/gate.h"
#include "imgeda/util.h"

static char *fixture(const char *name)
{
    char *p = malloc(strlen(th_fixtures()) + strlen(name) + 2);
    sprintf(p, "%s/%s", th_fixtures(), name);
    return p;
}

static void load_manifest(const char *name, struct ie_slim_manifest *m)
{
    struct ie_err err = {0};
    char *p = fixture(name);
    ie_slim_manifest_init(m);
    cr_assert_eq(ie_slim_manifest_load(p, m, &err), 0, "%s: %s", name, err.msg);
    free(p);
}

static void load_policy(const char *name, struct ie_policy *pol)
{
    struct ie_err err = {0};
    char *p = fixture(name);
    ie_policy_init(pol);
    cr_assert_eq(ie_policy_load(pol, p, &err), 0, "%s: %s", name, err.msg);
    free(p);
}

/* Evaluates manifest against policy (fixture names) into g. */
static void gate(const char *manifest, const char *policy, struct ie_gate_result *g)
{
    struct ie_slim_manifest m;
    struct ie_policy p;
    load_manifest(manifest, &m);
    load_policy(policy, &p);
    ie_gate_result_init(g);
    ie_gate_evaluate(&m, &p, g);
    ie_slim_manifest_release(&m);
    ie_policy_release(&p);
}

static void check(const struct ie_gate_result *g, size_t i, const char *name, double threshold,
                  double observed, bool passed, size_t n_samples)
{
    cr_assert(i < g->n_checks, "no check %zu", i);
    const struct ie_gate_check *c = &g->checks[i];
    cr_assert_str_eq(c->name, name);
    cr_assert_eq(c->threshold, threshold, "%s threshold %g", name, c->threshold);
    cr_assert_eq(c->observed, observed, "%s observed %.17g", name, c->observed);
    cr_assert_eq(c->passed, passed, "%s passed", name);
    cr_assert_eq(c->n_samples, n_samples, "%s samples %zu", name, c->n_samples);
}

static void samples(const struct ie_gate_result *g, size_t i, const char *const *want, size_t n)
{
    for (size_t k = 0; k < n; k++)
        cr_assert_str_eq(g->checks[i].sample_paths[k], want[k], "%s sample %zu", g->checks[i].name,
                         k);
}

static char *read_text(const char *name)
{
    struct ie_err err = {0};
    char *p = fixture(name), *text = NULL;
    size_t len;
    cr_assert_eq(ie_read_file(p, 1 << 20, &text, &len, &err), 0, "%s", err.msg);
    free(p);
    return text;
}

static void assert_json_file(const struct ie_gate_result *g, const char *expected_name)
{
    char *s = ie_gate_result_to_json(g, true), *expected = read_text(expected_name);
    char *got = malloc(strlen(s) + 2);
    sprintf(got, "%s\n", s);
    cr_assert_str_eq(got, expected);
    free(s);
    free(got);
    free(expected);
}

/* gate_mixed.jsonl, 9 records in this order:
 *   e.jpg 800x600 JPEG H1 | a.png 640x480 PNG H2 dark | c.jpg corrupt
 *   b.jpg 1920x1080 MPO H1 overexposed | d.tif 300x3000 TIFF H3 blurry
 *   f.webp 4000x1000 WEBP H2 artifact+blurry | g.jpg 1024x768 JPEG H1
 *   h.jpg corrupt, phash H4 | i.jpg 640x640 JPEG, no phash/is_blurry/aspect_ratio keys
 * Defaults: 9 < 100 fails; corrupt 2/9 = 22.22 (c, h) fails; overexposed 1/9 = 11.11 (b) fails;
 * dark 1/9 = 11.11 (a) fails; duplicates: H1 {e, b, g} + H2 {a, f} (h is corrupt, i has none)
 * -> 2 + 1 = 3/9 = 33.33, samples group by group: b, g, then f. Optional checks off. */
Test(gate, mixed_manifest_with_defaults)
{
    struct ie_gate_result g;
    gate("policies/gate_mixed.jsonl", "policies/empty.yaml", &g);
    cr_assert_not(g.passed);
    cr_assert_eq(g.total_images, 9);
    cr_assert_eq(g.n_checks, 5);
    check(&g, 0, "min_images_total", 100.0, 9.0, false, 0);
    check(&g, 1, "max_corrupt_pct", 1.0, 22.22, false, 2);
    check(&g, 2, "max_overexposed_pct", 5.0, 11.11, false, 1);
    check(&g, 3, "max_underexposed_pct", 5.0, 11.11, false, 1);
    check(&g, 4, "max_duplicate_pct", 10.0, 33.33, false, 3);
    samples(&g, 1, (const char *const[]){"/g/c.jpg", "/g/h.jpg"}, 2);
    samples(&g, 2, (const char *const[]){"/g/b.jpg"}, 1);
    samples(&g, 3, (const char *const[]){"/g/a.png"}, 1);
    samples(&g, 4, (const char *const[]){"/g/b.jpg", "/g/g.jpg", "/g/f.webp"}, 3);
    ie_gate_result_release(&g);
}

/* all_checks.yaml on gate_mixed (thresholds commented in the policy file):
 *   min_images_total 9: 9 >= 9 passes            max_corrupt_pct 22.22: 22.222.. > 22.22 fails
 *   max_overexposed_pct 11.12: passes            max_underexposed_pct 11 (int): 11.11 fails
 *   max_duplicate_pct 33.34: passes              max_blurry_pct 22.23: d, f 22.22 passes
 *   max_artifact_pct 11.11: f 11.111.. fails     min_width 640: min 300 (d.tif) fails, a.png's
 *     640 is not < 640                           min_height 480: min 480 passes
 *   allowed_formats [jpg, png, tiff]: with MPO = JPEG only f.webp is out -> 1 (imgeda, without
 *     aliases, would count e, b, f, g, i = 5)
 *   max_aspect_ratio 4 (int): largest 4.0 (f), not > 4, passes; i.jpg has no aspect_ratio key
 *     (0.0). 5 of 11 fail. */
Test(gate, every_check_enabled_with_ties)
{
    struct ie_gate_result g, gj;
    gate("policies/gate_mixed.jsonl", "policies/all_checks.yaml", &g);
    cr_assert_not(g.passed);
    cr_assert_eq(g.n_checks, 11);
    check(&g, 0, "min_images_total", 9.0, 9.0, true, 0);
    check(&g, 1, "max_corrupt_pct", 22.22, 22.22, false, 2);
    check(&g, 2, "max_overexposed_pct", 11.12, 11.11, true, 1);
    check(&g, 3, "max_underexposed_pct", 11.0, 11.11, false, 1);
    check(&g, 4, "max_duplicate_pct", 33.34, 33.33, true, 3);
    check(&g, 5, "max_blurry_pct", 22.23, 22.22, true, 2);
    check(&g, 6, "max_artifact_pct", 11.11, 11.11, false, 1);
    check(&g, 7, "min_width", 640.0, 300.0, false, 1);
    check(&g, 8, "min_height", 480.0, 480.0, true, 0);
    check(&g, 9, "allowed_formats", 0.0, 1.0, false, 1);
    check(&g, 10, "max_aspect_ratio", 4.0, 4.0, true, 0);
    samples(&g, 5, (const char *const[]){"/g/d.tif", "/g/f.webp"}, 2);
    samples(&g, 7, (const char *const[]){"/g/d.tif"}, 1);
    samples(&g, 9, (const char *const[]){"/g/f.webp"}, 1);
    cr_assert(g.checks[3].threshold_is_int);
    cr_assert(g.checks[10].threshold_is_int);
    cr_assert_not(g.checks[0].threshold_is_int, "float(min_images_total), as imgeda");

    /* The JSON policy gives the same result. */
    gate("policies/gate_mixed.jsonl", "policies/all_checks.json", &gj);
    char *a = ie_gate_result_to_json(&g, false), *b = ie_gate_result_to_json(&gj, false);
    cr_assert_str_eq(a, b);
    /* Integers written in the policy stay integers; everything else prints as a float. */
    cr_assert(strstr(a, "{\"name\":\"max_underexposed_pct\",\"threshold\":11,\"observed\":11.11,"
                        "\"passed\":false,\"sample_paths\":[\"/g/a.png\"]}"),
              "%s", a);
    cr_assert(strstr(a, "{\"name\":\"min_images_total\",\"threshold\":9.0,\"observed\":9.0,"
                        "\"passed\":true,\"sample_paths\":[]}"),
              "%s", a);
    cr_assert(strstr(a, "{\"name\":\"allowed_formats\",\"threshold\":0.0,\"observed\":1.0,"), "%s",
              a);
    free(a);
    free(b);
    ie_gate_result_release(&g);
    ie_gate_result_release(&gj);
}

/* compat.yaml is all_checks.yaml with allowed_formats [png] (no alias involved): the whole
 * result is byte for byte what Python imgeda writes with -o. */
Test(gate, compat_policy_matches_imgeda_byte_for_byte)
{
    struct ie_gate_result g;
    gate("policies/gate_mixed.jsonl", "policies/compat.yaml", &g);
    /* allowed_formats [png]: e, b, d, f, g, i are not PNG -> 6.0 */
    check(&g, 9, "allowed_formats", 0.0, 6.0, false, 6);
    assert_json_file(&g, "policies/expected_mixed_compat.json");
    ie_gate_result_release(&g);
}

/* A header-only manifest: the single check min_images_total fails, whatever the policy. */
Test(gate, empty_manifest_fails_min_images_total_alone)
{
    struct ie_gate_result g;
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_err err = {0};

    gate("policies/gate_empty.jsonl", "policies/all_checks.yaml", &g);
    cr_assert_not(g.passed);
    cr_assert_eq(g.total_images, 0);
    cr_assert_eq(g.n_checks, 1);
    check(&g, 0, "min_images_total", 9.0, 0.0, false, 0);
    ie_gate_result_release(&g);

    load_manifest("policies/gate_empty.jsonl", &m);
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse(&p, "p", "min_images_total: 0", 19, &err), 0, "%s", err.msg);
    ie_gate_evaluate(&m, &p, &g);
    cr_assert_not(g.passed, "even min_images_total 0 fails an empty manifest, as imgeda");
    cr_assert_eq(g.n_checks, 1);
    char *j = ie_gate_result_to_json(&g, false);
    cr_assert_str_eq(j, "{\"passed\":false,\"total_images\":0,\"checks\":[{\"name\":"
                        "\"min_images_total\",\"threshold\":0.0,\"observed\":0.0,\"passed\":"
                        "false,\"sample_paths\":[]}]}");
    free(j);
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

/* Three corrupt records: corrupt 100.0; nothing valid, so min_width observes 0.0 and passes,
 * allowed_formats observes 0.0 and passes, max_aspect_ratio observes 0.0 and passes (imgeda's
 * default= values). */
Test(gate, all_corrupt)
{
    struct ie_gate_result g;
    gate("policies/gate_all_corrupt.jsonl", "policies/all_checks.yaml", &g);
    cr_assert_not(g.passed);
    check(&g, 0, "min_images_total", 9.0, 3.0, false, 0);
    check(&g, 1, "max_corrupt_pct", 22.22, 100.0, false, 3);
    check(&g, 4, "max_duplicate_pct", 33.34, 0.0, true, 0);
    check(&g, 7, "min_width", 640.0, 0.0, true, 0);
    check(&g, 8, "min_height", 480.0, 0.0, true, 0);
    check(&g, 9, "allowed_formats", 0.0, 0.0, true, 0);
    check(&g, 10, "max_aspect_ratio", 4.0, 0.0, true, 0);
    ie_gate_result_release(&g);
}

/* gate_ties_100.jsonl: 100 records, every default threshold met exactly:
 *   1 corrupt (img_007) = 1.0%; 5 overexposed (010-014) = 5.0%; 5 dark (020-024) = 5.0%;
 *   duplicates: group A = 030,032,..,040 and group B = 031,033,..,041 (img_007 shares A's hash
 *   but is corrupt) -> 5 + 5 = 10 = 10.0%, samples A's later members then B's:
 *   032 034 036 038 040 033 035 037 039 041 (not manifest order). 100 >= 100. Passes. */
Test(gate, exact_ties_pass_with_defaults)
{
    struct ie_gate_result g;
    gate("policies/gate_ties_100.jsonl", "policies/example.yml", &g);
    cr_assert(g.passed);
    check(&g, 0, "min_images_total", 100.0, 100.0, true, 0);
    check(&g, 1, "max_corrupt_pct", 1.0, 1.0, true, 1);
    check(&g, 2, "max_overexposed_pct", 5.0, 5.0, true, 5);
    check(&g, 3, "max_underexposed_pct", 5.0, 5.0, true, 5);
    check(&g, 4, "max_duplicate_pct", 10.0, 10.0, true, 10);
    samples(&g, 4,
            (const char *const[]){"/t/img_032.jpg", "/t/img_034.jpg", "/t/img_036.jpg",
                                  "/t/img_038.jpg", "/t/img_040.jpg", "/t/img_033.jpg",
                                  "/t/img_035.jpg", "/t/img_037.jpg", "/t/img_039.jpg",
                                  "/t/img_041.jpg"},
            10);
    assert_json_file(&g, "policies/expected_ties_defaults.json");
    ie_gate_result_release(&g);

    /* One hundredth below each threshold, each check fails. */
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_err err = {0};
    const char *strict = "min_images_total: 101\nmax_corrupt_pct: 0.99\nmax_overexposed_pct: "
                         "4.99\nmax_underexposed_pct: 4.99\nmax_duplicate_pct: 9.99\n";
    load_manifest("policies/gate_ties_100.jsonl", &m);
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse(&p, "strict", strict, strlen(strict), &err), 0, "%s", err.msg);
    ie_gate_result_init(&g);
    ie_gate_evaluate(&m, &p, &g);
    cr_assert_not(g.passed);
    for (size_t i = 0; i < 5; i++)
        cr_assert_not(g.checks[i].passed, "%s", g.checks[i].name);
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

/* disabled.yaml switches every optional check off (max_blurry_pct 100, max_artifact_pct 150,
 * zeros, empty list): only the five mandatory checks remain. 99.99 switches blur back on. */
Test(gate, disabled_checks_are_absent)
{
    struct ie_gate_result g;
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_err err = {0};

    gate("policies/gate_mixed.jsonl", "policies/disabled.yaml", &g);
    cr_assert_eq(g.n_checks, 5);
    ie_gate_result_release(&g);

    load_manifest("policies/gate_mixed.jsonl", &m);
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse(&p, "p", "max_blurry_pct: 99.99", 21, &err), 0, "%s", err.msg);
    ie_gate_evaluate(&m, &p, &g);
    cr_assert_eq(g.n_checks, 6);
    check(&g, 5, "max_blurry_pct", 99.99, 22.22, true, 2);
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

/* gate_repeated.jsonl: a.jpg (H1, dark), b.jpg (H2), a.jpg again (H2, not dark), c.jpg (H3,
 * overexposed). One record per path, the later a.jpg in the first one's place: 3 images,
 * dark 0.0 (passes), overexposed 1/3 = 33.33 (c), duplicates {a, b} -> 1/3 = 33.33 with sample
 * b.jpg. imgeda keeps both a.jpg records: 4 images, dark 25.0, duplicates sample a.jpg. */
Test(gate, repeated_paths_later_record_wins)
{
    struct ie_gate_result g;
    gate("policies/gate_repeated.jsonl", "policies/empty.yaml", &g);
    cr_assert_eq(g.total_images, 3);
    check(&g, 2, "max_overexposed_pct", 5.0, 33.33, false, 1);
    check(&g, 3, "max_underexposed_pct", 5.0, 0.0, true, 0);
    check(&g, 4, "max_duplicate_pct", 10.0, 33.33, false, 1);
    samples(&g, 4, (const char *const[]){"/g/b.jpg"}, 1);
    ie_gate_result_release(&g);
}

/* Python's round() is half-even on the exact value: 1/32*100 = 3.125 -> 3.12 (not 3.13),
 * 3/32*100 = 9.375 -> 9.38; 2/3*100 = 66.666.. -> 66.67. */
Test(gate, rounding_is_pythons)
{
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_gate_result g;
    char line[128];

    ie_slim_manifest_init(&m);
    for (int i = 0; i < 32; i++) {
        snprintf(line, sizeof(line), "{\"path\":\"/r/%02d\",\"is_corrupt\":%s,\"is_dark\":%s}", i,
                 i == 5 ? "true" : "false", i < 3 ? "true" : "false");
        cr_assert_eq(ie_slim_manifest_add_line(&m, line, strlen(line)), 1);
    }
    ie_policy_init(&p);
    ie_gate_result_init(&g);
    ie_gate_evaluate(&m, &p, &g);
    check(&g, 1, "max_corrupt_pct", 1.0, 3.12, false, 1);
    check(&g, 3, "max_underexposed_pct", 5.0, 9.38, false, 3);
    ie_slim_manifest_release(&m);
    ie_slim_manifest_init(&m);
    for (int i = 0; i < 3; i++) {
        snprintf(line, sizeof(line), "{\"path\":\"/r/%d\",\"is_overexposed\":%s}", i,
                 i ? "true" : "false");
        ie_slim_manifest_add_line(&m, line, strlen(line));
    }
    ie_gate_evaluate(&m, &p, &g);
    check(&g, 2, "max_overexposed_pct", 5.0, 66.67, false, 2);
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

/* More than 10 offenders: the first 10 in manifest order; the percentage counts them all. */
Test(gate, samples_capped_at_ten_in_manifest_order)
{
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_gate_result g;
    char line[128];

    ie_slim_manifest_init(&m);
    for (int i = 0; i < 25; i++) {
        snprintf(line, sizeof(line), "{\"path\":\"/s/%02d\",\"is_dark\":%s,\"width\":%d}", 24 - i,
                 i % 2 ? "true" : "false", 100 + i);
        ie_slim_manifest_add_line(&m, line, strlen(line));
    }
    ie_policy_init(&p);
    p.min_width = 1000;
    ie_gate_result_init(&g);
    ie_gate_evaluate(&m, &p, &g);
    check(&g, 3, "max_underexposed_pct", 5.0, 48.0, false, 10); /* 12/25 */
    cr_assert_str_eq(g.checks[3].sample_paths[0], "/s/23");
    cr_assert_str_eq(g.checks[3].sample_paths[9], "/s/05");
    check(&g, 5, "min_width", 1000.0, 100.0, false, 10);
    cr_assert_str_eq(g.checks[5].sample_paths[0], "/s/24");
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

/* An integer aspect_ratio stays an int through Python's max() and round(): observed 2, not
 * 2.0; the first of equal maxima decides (2 before 2.0 -> 2). */
Test(gate, integer_aspect_ratio_prints_as_python)
{
    static const char *const lines[] = {
        "{\"path\":\"a\",\"aspect_ratio\":1.5}",
        "{\"path\":\"b\",\"aspect_ratio\":2}",
        "{\"path\":\"c\",\"aspect_ratio\":2.0}",
    };
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_gate_result g;
    ie_slim_manifest_init(&m);
    for (size_t i = 0; i < 3; i++)
        ie_slim_manifest_add_line(&m, lines[i], strlen(lines[i]));
    ie_policy_init(&p);
    p.max_aspect_ratio = 1.75;
    ie_gate_result_init(&g);
    ie_gate_evaluate(&m, &p, &g);
    check(&g, 5, "max_aspect_ratio", 1.75, 2.0, false, 2);
    char *j = ie_gate_result_to_json(&g, false);
    cr_assert(strstr(j, "\"name\":\"max_aspect_ratio\",\"threshold\":1.75,\"observed\":2,"), "%s",
              j);
    free(j);
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

Test(gate, huge_numbers_keep_their_magnitude)
{
    static const char line[] = "{\"path\":\"a\",\"aspect_ratio\":1e100}";
    static const char policy[] = "max_corrupt_pct: 1122222222000000000000000000057603043100\n"
                                 "max_aspect_ratio: 2\n";
    struct ie_slim_manifest m;
    struct ie_policy p;
    struct ie_gate_result g;
    struct ie_err err = {0};
    char want[400];

    ie_slim_manifest_init(&m);
    ie_slim_manifest_add_line(&m, line, strlen(line));
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse(&p, "p", policy, strlen(policy), &err), 0, "%s", err.msg);
    ie_gate_result_init(&g);
    ie_gate_evaluate(&m, &p, &g);
    check(&g, 5, "max_aspect_ratio", 2.0, 1e100, false, 1);
    /* The threshold was written as an integer: printed whole, all 40 digits of its double. */
    snprintf(want, sizeof(want), "\"threshold\":%.0f,", p.max_corrupt_pct);
    char *j = ie_gate_result_to_json(&g, false);
    cr_assert(strstr(j, want), "%s lacks %s", j, want);
    free(j);
    ie_gate_result_release(&g);
    ie_policy_release(&p);
    ie_slim_manifest_release(&m);
}

Test(gate, cjson_tree_and_release)
{
    struct ie_gate_result g;
    gate("policies/gate_mixed.jsonl", "policies/all_checks.yaml", &g);
    struct cJSON *o = ie_gate_result_to_cjson(&g);
    cr_assert_not_null(o);
    cJSON_Delete(o);
    ie_gate_result_release(&g);
    cr_assert_eq(g.n_checks, 0);
    ie_gate_result_release(&g); /* twice is fine */
}
