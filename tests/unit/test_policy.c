/* Unit tests for core/policy.c: defaults, YAML and JSON policies, and every refusal with its
 * exact "name:line:col: key: reason" message. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/gate.h"
#include "imgeda/util.h"

/* Parses text as "p.yaml"; returns the code, message in err. */
static int parse(struct ie_policy *p, const char *text, struct ie_err *err)
{
    ie_policy_init(p);
    return ie_policy_parse(p, "p.yaml", text, strlen(text), err);
}

/* Asserts that text is refused with exactly msg, and that the position ie_policy_parse_pos
 * reports is the one the message names ("p.yaml:LINE:COL: KEY: ..."). */
static void refused(const char *text, const char *msg)
{
    struct ie_policy p;
    struct ie_policy_error_pos pos = {0};
    struct ie_err err = {0}, err2 = {0};
    char prefix[160];
    int rc = parse(&p, text, &err);
    cr_assert_eq(rc, IE_EINVAL, "accepted: %s", text);
    cr_assert_eq(err.code, IE_EINVAL);
    cr_assert_str_eq(err.msg, msg, "for: %s", text);
    /* The policy is left as it was (defaults). */
    cr_assert_eq(p.max_corrupt_pct, 1.0);
    cr_assert_eq(p.n_allowed_formats, 0);
    cr_assert_eq(ie_policy_parse_pos(&p, "p.yaml", text, strlen(text), &pos, &err2), IE_EINVAL);
    cr_assert_str_eq(err2.msg, msg);
    cr_assert(pos.line >= 1 && pos.column >= 1, "no position for: %s", text);
    if (pos.key[0])
        snprintf(prefix, sizeof(prefix), "p.yaml:%zu:%zu: %s: ", pos.line, pos.column, pos.key);
    else
        snprintf(prefix, sizeof(prefix), "p.yaml:%zu:%zu: ", pos.line, pos.column);
    cr_assert(strncmp(msg, prefix, strlen(prefix)) == 0, "position %s disagrees with %s", prefix,
              msg);
    ie_policy_release(&p);
}

/* Refuses text and returns where (for tests that check the numbers themselves). */
static struct ie_policy_error_pos refused_at(const char *text)
{
    struct ie_policy p;
    struct ie_policy_error_pos pos;
    struct ie_err err = {0};
    memset(&pos, 0x5A, sizeof(pos));
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse_pos(&p, "p.yaml", text, strlen(text), &pos, &err), IE_EINVAL,
                 "accepted: %s", text);
    ie_policy_release(&p);
    return pos;
}

Test(policy, error_position_is_reported_as_numbers)
{
    struct ie_policy_error_pos pos = refused_at("min_images_total: 5\n# c\nmax_corupt_pct: 1\n");
    cr_assert_eq(pos.line, 3);
    cr_assert_eq(pos.column, 1);
    cr_assert_str_eq(pos.key, "max_corupt_pct");
    pos = refused_at("min_width: 1\nmax_corrupt_pct: lots\n");
    cr_assert_eq(pos.line, 2);
    cr_assert_eq(pos.column, 18);
    cr_assert_str_eq(pos.key, "max_corrupt_pct");
    pos = refused_at("{\"min_width\": 1, \"max_blurry_pct\": -2}");
    cr_assert_eq(pos.line, 1);
    cr_assert_eq(pos.column, 36);
    cr_assert_str_eq(pos.key, "max_blurry_pct");
    /* Malformed YAML outside any value names no key. */
    pos = refused_at("max_corrupt_pct: 1\nmin_width 2\nmax_blurry_pct: 3\n");
    cr_assert_eq(pos.line, 3);
    cr_assert_eq(pos.column, 1);
    cr_assert_str_eq(pos.key, "");

    /* Success leaves pos untouched; the size limit has no place. */
    struct ie_policy p;
    struct ie_err err = {0};
    memset(&pos, 0x5A, sizeof(pos));
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse_pos(&p, "p.yaml", "min_width: 3\n", 13, &pos, &err), 0);
    cr_assert_eq(pos.line, 0x5A5A5A5A5A5A5A5Aull);
    size_t n = IE_POLICY_MAX_BYTES + 1;
    char *text = malloc(n);
    memset(text, '#', n);
    cr_assert_eq(ie_policy_parse_pos(&p, "p.yaml", text, n, &pos, &err), IE_ELIMIT);
    cr_assert_eq(pos.line, 0);
    cr_assert_eq(pos.column, 0);
    cr_assert_str_eq(pos.key, "");
    free(text);
    ie_policy_release(&p);
}

static void assert_defaults(const struct ie_policy *p)
{
    cr_assert_eq(p->min_images_total, 100);
    cr_assert_eq(p->max_corrupt_pct, 1.0);
    cr_assert_eq(p->max_overexposed_pct, 5.0);
    cr_assert_eq(p->max_underexposed_pct, 5.0);
    cr_assert_eq(p->max_duplicate_pct, 10.0);
    cr_assert_eq(p->max_blurry_pct, 100.0);
    cr_assert_eq(p->max_artifact_pct, 100.0);
    cr_assert_eq(p->min_width, 0);
    cr_assert_eq(p->min_height, 0);
    cr_assert_eq(p->n_allowed_formats, 0);
    cr_assert_eq(p->max_aspect_ratio, 0.0);
    cr_assert_eq(p->written_as_int, 0);
    cr_assert_eq(p->present, 0);
}

/* Every problem is listed, each at its place, in text order; the first is the one the gate
 * reports. A YAML syntax error ends the list. */
Test(policy, every_problem_is_listed)
{
    const char *text = "max_corupt_pct: 1\n"
                       "min_width: wide\n"
                       "max_blurry_pct: -2\n"
                       "min_width: 3\n"
                       "max_dark_pct: 5\n";
    struct ie_policy p;
    struct ie_policy_error_pos pos = {0};
    struct ie_policy_errors errs;
    struct ie_err err = {0};
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse_all(&p, "p.yaml", text, strlen(text), &pos, &errs, &err),
                 IE_EINVAL);
    cr_assert_eq(errs.n, 5, "%zu errors, the first: %s", errs.n, err.msg);
    const size_t lines[] = {1, 2, 3, 4, 5}, cols[] = {1, 12, 17, 1, 1};
    const char *keys[] = {"max_corupt_pct", "min_width", "max_blurry_pct", "min_width",
                          "max_dark_pct"};
    for (size_t i = 0; i < 5; i++) {
        cr_expect_eq(errs.e[i].pos.line, lines[i], "error %zu: %s", i, errs.e[i].message);
        cr_expect_eq(errs.e[i].pos.column, cols[i], "error %zu: %s", i, errs.e[i].message);
        cr_expect_str_eq(errs.e[i].pos.key, keys[i]);
    }
    cr_expect(strstr(errs.e[3].message, "duplicate key (already set on line 2)"), "%s",
              errs.e[3].message);
    cr_expect_str_eq(err.msg, errs.e[0].message, "err holds the first, as the gate says it");
    cr_expect_eq(pos.line, 1);
    cr_expect(!errs.truncated);

    /* Past a syntax error nothing is read: the problems before it and the syntax error. */
    text = "max_corupt_pct: 1\nmin_width 2\nmax_blurry_pct: 3\nmin_height: -1\n";
    cr_assert_eq(ie_policy_parse_all(&p, "p.yaml", text, strlen(text), NULL, &errs, &err),
                 IE_EINVAL);
    cr_expect_eq(errs.n, 2, "%zu errors, the last: %s", errs.n, errs.e[errs.n - 1].message);
    cr_expect_eq(errs.e[1].pos.line, 3);
    cr_expect(strstr(errs.e[1].message, "malformed YAML"), "%s", errs.e[1].message);

    /* More than IE_POLICY_MAX_ERRORS: the list is cut and says so. */
    struct ie_buf b;
    ie_buf_init(&b);
    for (int i = 0; i < IE_POLICY_MAX_ERRORS + 5; i++)
        ie_buf_addf(&b, "bad_key_%d: 1\n", i);
    cr_assert_eq(ie_policy_parse_all(&p, "p.yaml", b.data, b.len, NULL, &errs, &err), IE_EINVAL);
    cr_expect_eq(errs.n, IE_POLICY_MAX_ERRORS);
    cr_expect(errs.truncated);
    ie_buf_release(&b);
    ie_policy_release(&p);
}

Test(policy, empty_documents_give_defaults)
{
    static const char *const empties[] = {"",  "\n\n", "# only a comment\n", "---\n", "null\n",
                                          "~", "{}",   "--- {}\n..."};
    struct ie_policy np;
    struct ie_err nerr = {0};
    ie_policy_init(&np);
    cr_assert_eq(ie_policy_parse(&np, "body", NULL, 0, &nerr), 0, "%s", nerr.msg);
    assert_defaults(&np);
    for (size_t i = 0; i < IE_ARRAY_LEN(empties); i++) {
        struct ie_policy p;
        struct ie_err err = {0};
        cr_assert_eq(parse(&p, empties[i], &err), 0, "%s: %s", empties[i], err.msg);
        assert_defaults(&p);
        ie_policy_release(&p);
    }
}

Test(policy, every_key_in_yaml)
{
    struct ie_policy p;
    struct ie_err err = {0};
    const char *text = "min_images_total: 9\n"
                       "max_corrupt_pct: 22.22   # comment\n"
                       "max_overexposed_pct: 0\n"
                       "max_underexposed_pct: 11\n"
                       "max_duplicate_pct: 1e1\n"
                       "max_blurry_pct: .5\n"
                       "max_artifact_pct: +3.\n"
                       "min_width: 640\n"
                       "min_height: 480.0\n"
                       "allowed_formats:\n  - jpg\n  - \"png\"\n  - 'TIFF'\n"
                       "max_aspect_ratio: 4\n";
    cr_assert_eq(parse(&p, text, &err), 0, "%s", err.msg);
    cr_assert_eq(p.min_images_total, 9);
    cr_assert_eq(p.max_corrupt_pct, 22.22);
    cr_assert_eq(p.max_overexposed_pct, 0.0);
    cr_assert_eq(p.max_underexposed_pct, 11.0);
    cr_assert_eq(p.max_duplicate_pct, 10.0);
    cr_assert_eq(p.max_blurry_pct, 0.5);
    cr_assert_eq(p.max_artifact_pct, 3.0);
    cr_assert_eq(p.min_width, 640);
    cr_assert_eq(p.min_height, 480);
    cr_assert_eq(p.n_allowed_formats, 3);
    cr_assert_str_eq(p.allowed_formats[0], "jpg");
    cr_assert_str_eq(p.allowed_formats[1], "png");
    cr_assert_str_eq(p.allowed_formats[2], "TIFF");
    cr_assert_eq(p.max_aspect_ratio, 4.0);
    /* Written as integers: imgeda keeps YAML ints and prints them without ".0". */
    cr_assert_eq(p.written_as_int,
                 1u << IE_POLICY_MIN_IMAGES_TOTAL | 1u << IE_POLICY_MAX_OVEREXPOSED_PCT |
                     1u << IE_POLICY_MAX_UNDEREXPOSED_PCT | 1u << IE_POLICY_MIN_WIDTH |
                     1u << IE_POLICY_MAX_ASPECT_RATIO);
    cr_assert_eq(p.present, (1u << IE_POLICY_NKEYS) - 1);
    char *json = ie_policy_to_json(&p);
    cr_assert_str_eq(json, "{\"max_corrupt_pct\":22.22,\"max_overexposed_pct\":0,"
                           "\"max_underexposed_pct\":11,\"max_duplicate_pct\":10.0,"
                           "\"max_blurry_pct\":0.5,\"max_artifact_pct\":3.0,"
                           "\"min_images_total\":9,\"min_width\":640,\"min_height\":480,"
                           "\"allowed_formats\":[\"jpg\",\"png\",\"TIFF\"],"
                           "\"max_aspect_ratio\":4}");
    free(json);
    ie_policy_release(&p);
}

Test(policy, json_object_is_accepted_like_yaml)
{
    struct ie_policy y, j;
    struct ie_err err = {0};
    cr_assert_eq(parse(&y, "max_corrupt_pct: 2.5\nallowed_formats: [JPEG]\nmin_width: 3\n", &err),
                 0, "%s", err.msg);
    /* JSON with tabs inside the braces (allowed in flow context) and no spaces after colons. */
    cr_assert_eq(parse(&j,
                       "{\n\t\"max_corrupt_pct\":2.5,\n\t\"allowed_formats\":[\"JPEG\"],"
                       "\"min_width\":3}",
                       &err),
                 0, "%s", err.msg);
    char *a = ie_policy_to_json(&y), *b = ie_policy_to_json(&j);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    ie_policy_release(&y);
    ie_policy_release(&j);
    /* Errors in JSON still point at line:col. */
    refused("{\n  \"max_corrupt_pct\": 2.5,\n  \"min_widht\": 3\n}",
            "p.yaml:3:3: min_widht: unknown key (did you mean min_width?)");
    refused("{\"max_corrupt_pct\": \"2.5\"}",
            "p.yaml:1:21: max_corrupt_pct: expected a number, got the string \"2.5\" (write "
            "numbers without quotes)");
    refused("{\"max_corrupt_pct\": 2.5",
            "p.yaml:2:1: malformed YAML: did not find expected ',' or '}' (while parsing a flow "
            "mapping at line 1, column 1)");
}

Test(policy, unknown_key_reports_line)
{
    refused("max_corrupt_pct: 1\nmax_corupt_pct: 2\n",
            "p.yaml:2:1: max_corupt_pct: unknown key (did you mean max_corrupt_pct?)");
    refused("  # indented comment\nmin_image_total: 5\n",
            "p.yaml:2:1: min_image_total: unknown key (did you mean min_images_total?)");
    refused("colour: blue\n",
            "p.yaml:1:1: colour: unknown key (known: min_images_total, max_corrupt_pct, "
            "max_overexposed_pct, max_underexposed_pct, max_duplicate_pct, max_blurry_pct, "
            "max_artifact_pct, min_width, min_height, allowed_formats, max_aspect_ratio)");
    refused("MAX_CORRUPT_PCT: 1\n",
            "p.yaml:1:1: MAX_CORRUPT_PCT: unknown key (known: min_images_total, max_corrupt_pct, "
            "max_overexposed_pct, max_underexposed_pct, max_duplicate_pct, max_blurry_pct, "
            "max_artifact_pct, min_width, min_height, allowed_formats, max_aspect_ratio)");
    refused("1: 2\n", "p.yaml:1:1: 1: unknown key (known: min_images_total, max_corrupt_pct, "
                      "max_overexposed_pct, max_underexposed_pct, max_duplicate_pct, "
                      "max_blurry_pct, max_artifact_pct, min_width, min_height, "
                      "allowed_formats, max_aspect_ratio)");
    refused("? [a]\n: 1\n", "p.yaml:1:3: policy keys are names, got a list as a key");
    refused("max_corrupt_pct: 1\nmax_corrupt_pct: 2\n",
            "p.yaml:2:1: max_corrupt_pct: duplicate key (already set on line 1)");
}

Test(policy, wrong_types)
{
    refused("max_corrupt_pct: \"1.0\"\n", "p.yaml:1:18: max_corrupt_pct: expected a number, got "
                                          "the string \"1.0\" (write numbers without quotes)");
    refused("max_corrupt_pct: one\n",
            "p.yaml:1:18: max_corrupt_pct: expected a number, got \"one\"");
    refused("max_corrupt_pct: yes\n",
            "p.yaml:1:18: max_corrupt_pct: expected a number, got a boolean (yes)");
    refused("max_corrupt_pct:\n", "p.yaml:1:17: max_corrupt_pct: expected a number, got no value");
    refused("max_corrupt_pct: null\n",
            "p.yaml:1:18: max_corrupt_pct: expected a number, got null (null)");
    refused("max_corrupt_pct: [1]\n",
            "p.yaml:1:18: max_corrupt_pct: expected a number, got a list");
    refused("max_corrupt_pct:\n  a: 1\n",
            "p.yaml:2:3: max_corrupt_pct: expected a number, got a mapping");
    refused("min_width: 10.5\n", "p.yaml:1:12: min_width: expected a whole number, got 10.5");
    refused("min_images_total: 010\n",
            "p.yaml:1:19: min_images_total: 010 has a leading zero, which YAML 1.1 reads as "
            "octal; write it without");
    refused("min_width: 0x10\n",
            "p.yaml:1:12: min_width: expected a plain decimal number (like 5 or 2.5), got 0x10");
    refused("min_width: 1_000\n",
            "p.yaml:1:12: min_width: expected a plain decimal number (like 5 or 2.5), got 1_000");
    refused("max_aspect_ratio: .inf\n", "p.yaml:1:19: max_aspect_ratio: expected a plain "
                                        "decimal number (like 5 or 2.5), got .inf");
    refused("max_aspect_ratio: 1e999\n", "p.yaml:1:19: max_aspect_ratio: 1e999 is too large");
    refused("min_images_total: 99999999999999999999\n",
            "p.yaml:1:19: min_images_total: 99999999999999999999 is too large");
    refused("allowed_formats: JPEG\n", "p.yaml:1:18: allowed_formats: expected a list of format "
                                       "names such as [JPEG, PNG], got \"JPEG\"");
    refused("allowed_formats:\n", "p.yaml:1:17: allowed_formats: expected a list of format "
                                  "names such as [JPEG, PNG], got no value");
    refused("allowed_formats: [JPEG, 1]\n",
            "p.yaml:1:25: allowed_formats: expected a format name such as JPEG, got a number (1)");
    refused("allowed_formats:\n  - PNG\n  - [JPEG]\n",
            "p.yaml:3:5: allowed_formats: expected a format name such as JPEG, got a list");
    refused("allowed_formats: [\"\"]\n",
            "p.yaml:1:19: allowed_formats: format names must be non-empty text");
}

Test(policy, negative_numbers)
{
    refused("max_corrupt_pct: -1\n", "p.yaml:1:18: max_corrupt_pct: must not be negative (got -1)");
    refused("\n\nmin_height: -0.5\n", "p.yaml:3:13: min_height: must not be negative (got -0.5)");
    /* -0 is zero, not negative. */
    struct ie_policy p;
    struct ie_err err = {0};
    cr_assert_eq(parse(&p, "max_corrupt_pct: -0.0\n", &err), 0, "%s", err.msg);
    cr_assert_eq(p.max_corrupt_pct, 0.0);
    ie_policy_release(&p);
}

Test(policy, malformed_yaml_and_tabs)
{
    refused("max_corrupt_pct: 1\nmin_width 2\nmax_blurry_pct: 3\n",
            "p.yaml:3:1: malformed YAML: could not find expected ':' (while scanning a simple "
            "key at line 2, column 1)");
    /* Inside a key's value the key is named. */
    refused("max_corrupt_pct: \"1\n",
            "p.yaml:2:1: max_corrupt_pct: malformed YAML: found unexpected end of stream (while "
            "scanning a quoted scalar at line 1, column 18)");
    /* YAML folds an indented continuation line into the value. */
    refused("max_corrupt_pct: 1\n bad\n",
            "p.yaml:1:18: max_corrupt_pct: expected a number, got \"1 bad\"");
    refused("\tmax_corrupt_pct: 1\n",
            "p.yaml:1:1: a tab character where YAML needs spaces (indent with spaces)");
    refused("max_corrupt_pct: 1\n\tmin_width: 2\n",
            "p.yaml:2:1: max_corrupt_pct: a tab character where YAML needs spaces (indent with "
            "spaces)");
    refused("max_corrupt_pct: 1\xff\n",
            "p.yaml:1:19: invalid leading UTF-8 octet (invalid text encoding; a policy is UTF-8)");
    /* A NUL byte inside the text (len covers it) is an encoding error, not the end. */
    struct ie_policy p;
    struct ie_err err = {0};
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse(&p, "p.yaml", "min_width: 1\n\0x", 15, &err), IE_EINVAL);
    cr_assert(strncmp(err.msg, "p.yaml:2:1: ", 12) == 0, "%s", err.msg);
    ie_policy_release(&p);
}

Test(policy, structure_refusals)
{
    refused("- 1\n- 2\n", "p.yaml:1:1: a policy is a mapping of keys to values (e.g. "
                          "max_corrupt_pct: 1.0), got a list");
    refused("just text\n", "p.yaml:1:1: a policy is a mapping of keys to values (e.g. "
                           "max_corrupt_pct: 1.0), got \"just text\"");
    refused("---\nmax_corrupt_pct: 1\n---\nmin_width: 1\n",
            "p.yaml:3:1: a policy is one YAML document; found a second one");
    refused("max_corrupt_pct: &x 1\nmax_overexposed_pct: *x\n",
            "p.yaml:2:22: max_overexposed_pct: aliases (*name) are not supported in a policy");
    refused("max_corrupt_pct: !!float 1\n", "p.yaml:1:18: max_corrupt_pct: YAML tags "
                                            "(tag:yaml.org,2002:float) are not supported in a "
                                            "policy");
}

Test(policy, deep_nesting_is_refused_early)
{
    /* 10^5 nested lists: refused at the first level that is not allowed, without recursion. */
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_adds(&b, "allowed_formats: ");
    for (int i = 0; i < 100000; i++)
        ie_buf_addc(&b, '[');
    refused(b.data, "p.yaml:1:19: allowed_formats: expected a format name such as JPEG, got a "
                    "list");
    ie_buf_reset(&b);
    for (int i = 0; i < 100000; i++)
        ie_buf_addc(&b, '{');
    refused(b.data, "p.yaml:1:2: policy keys are names, got a mapping as a key");
    ie_buf_release(&b);
}

Test(policy, huge_text_is_refused_before_parsing)
{
    size_t n = IE_POLICY_MAX_BYTES + 1;
    char *text = malloc(n);
    struct ie_policy p;
    struct ie_err err = {0};
    memset(text, '#', n);
    ie_policy_init(&p);
    cr_assert_eq(ie_policy_parse(&p, "big.yaml", text, n, &err), IE_ELIMIT);
    cr_assert_str_eq(err.msg, "big.yaml: a policy is at most 1048576 bytes, this one has 1048577");
    free(text);

    char *dir = th_tempdir(), *path = th_path(dir, "big.yaml");
    text = calloc(1, n);
    memset(text, '#', n);
    th_write(path, text, n);
    cr_assert_eq(ie_policy_load(&p, path, &err), IE_ELIMIT);
    cr_assert(strstr(err.msg, "a policy is at most 1048576 bytes"), "%s", err.msg);
    free(text);
    free(path);
    th_rmrf(dir);
    free(dir);
    ie_policy_release(&p);
}

Test(policy, load_from_files)
{
    struct ie_policy p;
    struct ie_err err = {0};
    char path[4096];

    ie_policy_init(&p);
    snprintf(path, sizeof(path), "%s/policies/all_checks.yaml", th_fixtures());
    cr_assert_eq(ie_policy_load(&p, path, &err), 0, "%s", err.msg);
    cr_assert_eq(p.min_images_total, 9);
    cr_assert_eq(p.n_allowed_formats, 3);
    /* A failed load leaves the earlier policy in place. */
    cr_assert_eq(ie_policy_load(&p, "/nonexistent/policy.yaml", &err), IE_ENOENT);
    cr_assert(strstr(err.msg, "/nonexistent/policy.yaml"), "%s", err.msg);
    cr_assert_eq(p.min_images_total, 9);
    snprintf(path, sizeof(path), "%s/policies/empty.yaml", th_fixtures());
    cr_assert_eq(ie_policy_load(&p, path, &err), 0, "%s", err.msg);
    assert_defaults(&p);
    /* The documented example holds every key at its default. */
    snprintf(path, sizeof(path), "%s/config/policy.example.yaml",
             getenv("IE_SOURCE_DIR") ? getenv("IE_SOURCE_DIR") : ".");
    cr_assert_eq(ie_policy_load(&p, path, &err), 0, "%s", err.msg);
    cr_assert_eq(p.present, (1u << IE_POLICY_NKEYS) - 1);
    p.present = 0;
    p.written_as_int = 0;
    assert_defaults(&p);
    ie_policy_release(&p);
}

Test(policy, format_aliases)
{
    struct ie_policy p;
    struct ie_err err = {0};
    cr_assert_eq(parse(&p, "allowed_formats: [jpg, Tif]\n", &err), 0, "%s", err.msg);
    cr_assert(ie_policy_format_allowed(&p, "JPEG"));
    cr_assert(ie_policy_format_allowed(&p, "jpeg"));
    cr_assert(ie_policy_format_allowed(&p, "MPO"));
    cr_assert(ie_policy_format_allowed(&p, "TIFF"));
    cr_assert_not(ie_policy_format_allowed(&p, "PNG"));
    cr_assert_not(ie_policy_format_allowed(&p, ""));
    ie_policy_release(&p);
}
