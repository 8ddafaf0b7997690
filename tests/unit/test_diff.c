/* Unit tests for core/diff.c: the slim manifest loader and its strict JSON scanner, exact
 * duplicate groups, the diff itself and its JSON. Expected answers were worked out by hand
 * (comments) and the expected_*.json files were written by Python imgeda's own diff_manifests
 * on the same fixtures (tests/fixtures/diff/README.md). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/diff.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

static char *fixture(const char *name)
{
    char *p = malloc(strlen(th_fixtures()) + strlen(name) + 2);
    sprintf(p, "%s/%s", th_fixtures(), name);
    return p;
}

static void load(const char *name, struct ie_slim_manifest *m)
{
    struct ie_err err = {0};
    char *p = fixture(name);
    ie_slim_manifest_init(m);
    cr_assert_eq(ie_slim_manifest_load(p, m, &err), 0, "%s: %s", name, err.msg);
    free(p);
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

/* The diff's JSON as imgeda's CLI writes it (indented) plus the newline print() adds. */
static char *pretty_json(const struct ie_diff_result *d)
{
    char *s = ie_diff_to_json(d, true);
    char *t = malloc(strlen(s) + 2);
    sprintf(t, "%s\n", s);
    free(s);
    return t;
}

static const char *const *paths_of(const struct ie_slim_manifest *m, const size_t *idx, size_t n,
                                   const char **out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = m->recs[idx[i]].path;
    return out;
}

/* old.jsonl (12 records) -> new.jsonl (13), worked out by hand:
 *   added   (sorted): dup_of_keep, new_a, new_b          (new.jsonl lists new_b first)
 *   removed (sorted): gone_a, gone_b
 *   changed (sorted by path):
 *     broke.jpg     width 640->0, height 480->0, format JPEG->"", color_mode RGB->"",
 *                   is_corrupt false->true, phash eee..->null
 *     flags.png     format PNG->WEBP, color_mode RGBA->RGB, is_dark, is_overexposed,
 *                   has_border_artifact false->true
 *     rehashed.jpg  phash null->222..       resized.jpg  file_size 1000->4000, 640x480->1280x960
 *     unhashed.jpg  phash ccc..->null
 *   unchanged 5: keep, nulls (null == null), old_style (missing phash == null; is_blurry is not
 *     compared), é.jpg, corrupt_both
 *   corrupt 1 -> 2; duplicate groups old 1 ({keep, gone_b}), new 2 ({keep, dup_of_keep},
 *     {new_b, new_a}; the corrupt records' empty phash never groups). */
Test(diff, fixtures_match_imgeda_by_hand_and_byte_for_byte)
{
    struct ie_slim_manifest a, b;
    struct ie_diff_result d;
    const char *paths[16];

    load("diff/old.jsonl", &a);
    load("diff/new.jsonl", &b);
    cr_assert(a.has_header && b.has_header);
    cr_assert_eq(a.n, 12);
    cr_assert_eq(b.n, 13);
    ie_diff_result_init(&d);
    ie_diff_compute(&a, &b, &d);

    cr_assert_eq(d.n_added, 3);
    paths_of(&b, d.added, 3, paths);
    cr_assert_str_eq(paths[0], "/d/dup_of_keep.jpg");
    cr_assert_str_eq(paths[1], "/d/new_a.jpg");
    cr_assert_str_eq(paths[2], "/d/new_b.jpg");
    cr_assert_eq(d.n_removed, 2);
    paths_of(&a, d.removed, 2, paths);
    cr_assert_str_eq(paths[0], "/d/gone_a.jpg");
    cr_assert_str_eq(paths[1], "/d/gone_b.jpg");

    cr_assert_eq(d.n_changed, 5);
    static const struct {
        const char *path;
        unsigned fields;
    } want[] = {
        {"/d/broke.jpg", 1u << IE_SLIM_WIDTH | 1u << IE_SLIM_HEIGHT | 1u << IE_SLIM_FORMAT |
                             1u << IE_SLIM_COLOR_MODE | 1u << IE_SLIM_IS_CORRUPT |
                             1u << IE_SLIM_PHASH},
        {"/d/flags.png", 1u << IE_SLIM_FORMAT | 1u << IE_SLIM_COLOR_MODE | 1u << IE_SLIM_IS_DARK |
                             1u << IE_SLIM_IS_OVEREXPOSED | 1u << IE_SLIM_HAS_BORDER_ARTIFACT},
        {"/d/rehashed.jpg", 1u << IE_SLIM_PHASH},
        {"/d/resized.jpg",
         1u << IE_SLIM_FILE_SIZE_BYTES | 1u << IE_SLIM_WIDTH | 1u << IE_SLIM_HEIGHT},
        {"/d/unhashed.jpg", 1u << IE_SLIM_PHASH},
    };
    for (size_t i = 0; i < 5; i++) {
        cr_assert_str_eq(a.recs[d.changed[i].old_idx].path, want[i].path);
        cr_assert_str_eq(b.recs[d.changed[i].new_idx].path, want[i].path);
        cr_assert_eq(d.changed[i].fields, want[i].fields, "%s", want[i].path);
    }
    cr_assert_eq(d.unchanged_count, 5);
    cr_assert_eq(d.summary.total_old, 12);
    cr_assert_eq(d.summary.total_new, 13);
    cr_assert_eq(d.summary.added_count, 3);
    cr_assert_eq(d.summary.removed_count, 2);
    cr_assert_eq(d.summary.changed_count, 5);
    cr_assert_eq(d.summary.corrupt_old, 1);
    cr_assert_eq(d.summary.corrupt_new, 2);
    cr_assert_eq(d.summary.duplicate_groups_old, 1);
    cr_assert_eq(d.summary.duplicate_groups_new, 2);

    char *got = pretty_json(&d), *expected = read_text("diff/expected_old_new.json");
    cr_assert_str_eq(got, expected);
    free(got);
    free(expected);
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&a);
    ie_slim_manifest_release(&b);
}

/* new_resumed.jsonl is new.jsonl plus a stale /d/keep.jpg record before the real one, a blank
 * line and a torn last line: the later record wins in the earlier one's place, the blank line
 * is ignored, the torn line is skipped and counted, and the diff is the same. */
Test(diff, resumed_manifest_later_record_wins_torn_tail_skipped)
{
    struct ie_slim_manifest a, b, c;
    struct ie_diff_result d1, d2;

    load("diff/old.jsonl", &a);
    load("diff/new.jsonl", &b);
    load("diff/new_resumed.jsonl", &c);
    cr_assert_eq(c.n, 13);
    cr_assert_eq(c.replaced, 1);
    cr_assert_eq(c.skipped_lines, 1);
    cr_assert_str_eq(c.recs[0].path, "/d/keep.jpg"); /* the stale record's position */
    cr_assert_eq(c.recs[0].width, 640);
    ie_diff_result_init(&d1);
    ie_diff_result_init(&d2);
    ie_diff_compute(&a, &b, &d1);
    ie_diff_compute(&a, &c, &d2);
    char *j1 = ie_diff_to_json(&d1, false), *j2 = ie_diff_to_json(&d2, false);
    cr_assert_str_eq(j1, j2);
    free(j1);
    free(j2);
    ie_diff_result_release(&d1);
    ie_diff_result_release(&d2);
    ie_slim_manifest_release(&a);
    ie_slim_manifest_release(&b);
    ie_slim_manifest_release(&c);
}

/* odd_old -> odd_new, values of unexpected types compared as Python's != does:
 *   a.jpg  width 640 -> 640.0 (equal), the flags missing in new (default False, as old's):
 *          unchanged
 *   b.jpg  format null -> "": changed (None != "")
 *   c.jpg  phash ccc.. -> CCC..: changed (strings differ; the upper case one is kept verbatim)
 *   d.jpg  is_dark 1 -> true, is_overexposed false -> 0: unchanged (1 == True, False == 0)
 *   e.jpg  file_size_bytes 2**62 -> 4.611686018427388e+18 (the same value): unchanged */
Test(diff, null_and_odd_types_compare_like_python)
{
    struct ie_slim_manifest a, b;
    struct ie_diff_result d;

    load("diff/odd_old.jsonl", &a);
    load("diff/odd_new.jsonl", &b);
    ie_diff_result_init(&d);
    ie_diff_compute(&a, &b, &d);
    cr_assert_eq(d.n_changed, 2);
    cr_assert_eq(d.unchanged_count, 3);
    cr_assert_eq(d.changed[0].fields, 1u << IE_SLIM_FORMAT);
    cr_assert_eq(d.changed[1].fields, 1u << IE_SLIM_PHASH);
    struct ie_jvalue v = ie_slim_manifest_value(&a, d.changed[0].old_idx, IE_SLIM_FORMAT);
    cr_assert_eq(v.type, IE_JNULL);
    v = ie_slim_manifest_value(&b, d.changed[1].new_idx, IE_SLIM_PHASH);
    cr_assert_eq(v.type, IE_JSTR);
    cr_assert_str_eq(v.s, "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC");
    /* The effective values the gate computes with. */
    cr_assert_eq(a.recs[3].flags & IE_SLIM_F_DARK, IE_SLIM_F_DARK);
    cr_assert_str_eq(a.recs[1].format, "");
    cr_assert_eq(b.recs[0].width, 640);

    char *got = pretty_json(&d), *expected = read_text("diff/expected_odd.json");
    cr_assert_str_eq(got, expected);
    free(got);
    free(expected);
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&a);
    ie_slim_manifest_release(&b);
}

/* Two header-only manifests: nothing anywhere. Empty vs new.jsonl: all 13 added. */
Test(diff, empty_manifests)
{
    struct ie_slim_manifest e, b;
    struct ie_diff_result d;

    load("diff/empty.jsonl", &e);
    load("diff/new.jsonl", &b);
    cr_assert(e.has_header);
    cr_assert_eq(e.n, 0);
    ie_diff_result_init(&d);
    ie_diff_compute(&e, &e, &d);
    char *j = ie_diff_to_json(&d, false);
    cr_assert_str_eq(j, "{\"added\":[],\"removed\":[],\"changed\":[],\"unchanged_count\":0,"
                        "\"summary\":{\"total_old\":0,\"total_new\":0,\"added_count\":0,"
                        "\"removed_count\":0,\"changed_count\":0,\"corrupt_old\":0,"
                        "\"corrupt_new\":0,\"duplicate_groups_old\":0,"
                        "\"duplicate_groups_new\":0}}");
    free(j);
    ie_diff_compute(&e, &b, &d); /* a result can be reused */
    cr_assert_eq(d.n_added, 13);
    cr_assert_eq(d.n_removed + d.n_changed + d.unchanged_count, 0);
    cr_assert_eq(d.summary.duplicate_groups_new, 2);
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&e);
    ie_slim_manifest_release(&b);
}

/* The scanner accepts exactly RFC 8259 objects with a string path. */
Test(diff, scanner_is_strict_json)
{
    struct ie_slim_manifest m;
    static const char *const bad[] = {
        "{\"path\":\"a\"} x",            /* trailing garbage (cJSON would accept it) */
        "{\"path\":\"a\",}",             /* trailing comma */
        "{'path':'a'}",                  /* single quotes */
        "{\"path\":\"a\",\"width\":01}", /* leading zero */
        "{\"path\":\"a\",\"width\":NaN}",
        "{\"path\":\"a\",\"width\":1.}",
        "{\"path\":\"a\",\"width\":-}",
        "{\"path\":\"a\",\"x\":\"\\q\"}",   /* bad escape */
        "{\"path\":\"a\",\"x\":\"\\u12\"}", /* short \u */
        "{\"path\":\"a\tb\"}",              /* raw control character in a string */
        "{\"path\":\"a\"",                  /* torn */
        "{\"width\":1}",                    /* no path */
        "{\"path\":5}",                     /* path not a string */
        "[{\"path\":\"a\"}]",               /* not an object */
        "{\"path\":\"a\",\"x\":tru}",
        "{\"path\":\"a\" \"x\":1}", /* missing comma */
    };
    ie_slim_manifest_init(&m);
    for (size_t i = 0; i < IE_ARRAY_LEN(bad); i++)
        cr_assert_eq(ie_slim_manifest_add_line(&m, bad[i], strlen(bad[i])), -1, "%s", bad[i]);
    cr_assert_eq(m.skipped_lines, IE_ARRAY_LEN(bad));
    cr_assert_eq(m.n, 0);
    cr_assert_eq(ie_slim_manifest_add_line(&m, " \t\r", 3), 0); /* blank */
    const char *hdr = "{\"__manifest_meta__\":true,\"input_dir\":\"/x\"}";
    cr_assert_eq(ie_slim_manifest_add_line(&m, hdr, strlen(hdr)), 0);
    cr_assert(m.has_header);

    const char *ok =
        " {\"path\" : \"/p/\\u00e9\\ud83d\\ude00\\\"q\\n\", \"x\":[1,{\"y\":[]},-0.5e+3,"
        "null,true,false,\"\"], \"width\":2, \"width\":7, \"\\u0066ormat\":\"PNG\"} \r";
    cr_assert_eq(ie_slim_manifest_add_line(&m, ok, strlen(ok)), 1);
    cr_assert_eq(m.n, 1);
    cr_assert_str_eq(m.recs[0].path, "/p/\xc3\xa9\xf0\x9f\x98\x80\"q\n");
    cr_assert_eq(m.recs[0].width, 7, "the last of a repeated key wins, as in Python");
    cr_assert_str_eq(m.recs[0].format, "PNG", "escaped keys are decoded");
    ie_slim_manifest_release(&m);
}

Test(diff, scanner_bounds_nesting)
{
    struct ie_slim_manifest m;
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_adds(&b, "{\"path\":\"a\",\"x\":");
    for (int i = 0; i < 100; i++)
        ie_buf_addc(&b, '[');
    for (int i = 0; i < 100; i++)
        ie_buf_addc(&b, ']');
    ie_buf_addc(&b, '}');
    ie_slim_manifest_init(&m);
    cr_assert_eq(ie_slim_manifest_add_line(&m, b.data, b.len), -1);
    ie_slim_manifest_release(&m);
    ie_buf_release(&b);
}

/* A parsed ie_record gives the same slim record as its JSON line. */
Test(diff, add_record_matches_add_line)
{
    struct ie_record r;
    struct ie_slim_manifest a, b;
    ie_record_init(&r);
    r.path = ie_xstrdup("/r/x.jpg");
    r.format = ie_xstrdup("JPEG");
    r.color_mode = ie_xstrdup("RGB");
    r.width = 10;
    r.height = 20;
    r.file_size_bytes = 1234;
    r.aspect_ratio = 0.5;
    r.is_dark = r.is_blurry = true;
    r.has_phash = true;
    ie_hash256_from_hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        &r.phash);
    char *line = ie_record_to_json(&r);
    ie_slim_manifest_init(&a);
    ie_slim_manifest_init(&b);
    ie_slim_manifest_add_record(&a, &r);
    cr_assert_eq(ie_slim_manifest_add_line(&b, line, strlen(line)), 1);
    cr_assert_str_eq(a.recs[0].path, b.recs[0].path);
    cr_assert_str_eq(a.recs[0].format, b.recs[0].format);
    cr_assert_eq(a.recs[0].width, b.recs[0].width);
    cr_assert_eq(a.recs[0].height, b.recs[0].height);
    cr_assert_eq(a.recs[0].file_size_bytes, b.recs[0].file_size_bytes);
    cr_assert_eq(a.recs[0].aspect_ratio, b.recs[0].aspect_ratio);
    cr_assert_eq(a.recs[0].flags, b.recs[0].flags);
    cr_assert_eq(memcmp(&a.recs[0].phash, &b.recs[0].phash, sizeof(r.phash)), 0);
    struct ie_diff_result d;
    ie_diff_result_init(&d);
    ie_diff_compute(&a, &b, &d);
    cr_assert_eq(d.unchanged_count, 1);
    ie_diff_result_release(&d);
    free(line);
    ie_record_release(&r);
    ie_slim_manifest_release(&a);
    ie_slim_manifest_release(&b);
}

Test(diff, jvalue_equal_is_python_eq)
{
    struct ie_jvalue i1 = {.type = IE_JINT, .i = 1}, f1 = {.type = IE_JFLOAT, .d = 1.0};
    struct ie_jvalue t = {.type = IE_JBOOL, .b = true}, n = {.type = IE_JNULL};
    struct ie_jvalue s1 = {.type = IE_JSTR, .s = "1"}, e = {.type = IE_JSTR, .s = ""};
    cr_assert(ie_jvalue_equal(&i1, &f1));
    cr_assert(ie_jvalue_equal(&i1, &t));
    cr_assert(ie_jvalue_equal(&n, &n));
    cr_assert_not(ie_jvalue_equal(&n, &e), "None != \"\"");
    cr_assert_not(ie_jvalue_equal(&i1, &s1), "1 != \"1\"");
    struct ie_jvalue h = {.type = IE_JHASH};
    cr_assert_not(ie_jvalue_equal(&h, &e));
    cr_assert(ie_jvalue_equal(&h, &h));
}

/* Groups: numbered by first appearance, corrupt records and empty/missing phashes left out,
 * odd phash values grouped as Python's dict keys would (5 and 5.0 alike, "X" by text). */
Test(diff, exact_groups_follow_imgeda)
{
    static const char *const lines[] = {
        "{\"path\":\"0\",\"phash\":\""
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}",
        "{\"path\":\"1\",\"phash\":\""
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "{\"path\":\"2\",\"phash\":\""
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
        "{\"path\":\"3\",\"phash\":\""
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
        "\"is_corrupt\":true}",
        "{\"path\":\"4\",\"phash\":\"\"}",
        "{\"path\":\"5\",\"phash\":null}",
        "{\"path\":\"6\",\"phash\":5}",
        "{\"path\":\"7\",\"phash\":5.0}",
        "{\"path\":\"8\",\"phash\":\"X\"}",
        "{\"path\":\"9\",\"phash\":\"X\"}",
        "{\"path\":\"10\",\"phash\":\""
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}",
    };
    struct ie_slim_manifest m;
    uint32_t *of = NULL, *sizes = NULL;
    size_t ng = 0;
    ie_slim_manifest_init(&m);
    for (size_t i = 0; i < IE_ARRAY_LEN(lines); i++)
        cr_assert_eq(ie_slim_manifest_add_line(&m, lines[i], strlen(lines[i])), 1);
    cr_assert_eq(ie_slim_manifest_exact_groups(&m, &of, &sizes, &ng), 4);
    cr_assert_eq(ng, 4);
    static const uint32_t want[] = {0, 1, 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, 2, 2, 3, 3, 0};
    for (size_t i = 0; i < IE_ARRAY_LEN(want); i++)
        cr_assert_eq(of[i], want[i], "record %zu", i);
    cr_assert_eq(sizes[0], 2);
    cr_assert_eq(sizes[1], 2);
    free(of);
    free(sizes);
    ie_slim_manifest_release(&m);
}

Test(diff, json_escapes_like_python)
{
    struct ie_slim_manifest a, b;
    const char *line = "{\"path\":\"q\\\"b\\\\s\\n\\u0001\\u00e9\"}";
    ie_slim_manifest_init(&a);
    ie_slim_manifest_init(&b);
    cr_assert_eq(ie_slim_manifest_add_line(&b, line, strlen(line)), 1);
    struct ie_diff_result d;
    ie_diff_result_init(&d);
    ie_diff_compute(&a, &b, &d);
    char *j = ie_diff_to_json(&d, false);
    cr_assert(strstr(j, "\"added\":[\"q\\\"b\\\\s\\n\\u0001\xc3\xa9\"]"), "%s", j);
    free(j);
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&a);
    ie_slim_manifest_release(&b);
}

Test(diff, load_errors_and_long_lines)
{
    struct ie_slim_manifest m;
    struct ie_err err = {0};
    char *dir = th_tempdir();

    ie_slim_manifest_init(&m);
    char *missing = th_path(dir, "missing.jsonl");
    cr_assert_eq(ie_slim_manifest_load(missing, &m, &err), IE_ENOENT);
    cr_assert(strstr(err.msg, "missing.jsonl"), "%s", err.msg);
    cr_assert_eq(ie_slim_manifest_load(dir, &m, &err), IE_EIO);

    /* A line over IE_MANIFEST_MAX_LINE is skipped and counted; the records around it load. */
    char *big = th_path(dir, "big.jsonl");
    FILE *f = fopen(big, "wb");
    cr_assert_not_null(f);
    fputs("{\"path\":\"before\"}\n{\"path\":\"", f);
    for (size_t i = 0; i < IE_MANIFEST_MAX_LINE / 4096 + 1; i++) {
        char chunk[4096];
        memset(chunk, 'x', sizeof(chunk));
        fwrite(chunk, 1, sizeof(chunk), f);
    }
    fputs("\"}\n{\"path\":\"after\"}", f); /* no final newline */
    fclose(f);
    cr_assert_eq(ie_slim_manifest_load(big, &m, &err), 0, "%s", err.msg);
    cr_assert_eq(m.n, 2);
    cr_assert_eq(m.skipped_lines, 1);
    cr_assert_str_eq(m.recs[1].path, "after");
    ie_slim_manifest_release(&m);
    free(missing);
    free(big);
    th_rmrf(dir);
    free(dir);
}
