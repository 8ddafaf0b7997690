/* An imported line stored as it came (srv_store_canonical_line) serves the same record as the
 * line printed again from the parsed record: every record of the golden manifests passes and
 * is byte for byte what ie_record_to_json prints; a line that differs in what a reader would
 * see (keys, order, kinds, UTF-8, NUL, trailing text) does not pass; a whole number written
 * "3000.0" passes and is the same JSON. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/record.h"
#include "store.h"

/* The printed form of line (parsed as a record), caller frees. */
static char *printed(const char *line)
{
    struct ie_record r;
    ie_record_init(&r);
    cr_assert_eq(ie_record_from_json(line, strlen(line), &r, NULL), 0, "%s", line);
    char *s = srv_store_record_json(&r);
    ie_record_release(&r);
    return s;
}

Test(canon, golden_records_pass_unchanged)
{
    const char *names[] = {"sample_default.jsonl", "sample_metadata.jsonl", "sample_options.jsonl",
                           "sample_shrink.jsonl"};
    const char *src = getenv("IE_SOURCE_DIR");
    int n = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        char path[4096], line[65536];
        snprintf(path, sizeof(path), "%s/tests/fixtures/golden/%s", src ? src : ".", names[i]);
        FILE *f = fopen(path, "r");
        cr_assert(f, "%s", path);
        while (fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\n")] = '\0';
            if (strstr(line, "__manifest_meta__"))
                continue;
            char *c = srv_store_canonical_line(line, strlen(line)), *p = printed(line);
            cr_expect(c != NULL, "%s: %s", names[i], line);
            cr_expect_str_eq(p, line, "the golden line is the printed form");
            if (c)
                cr_expect_str_eq(c, line);
            free(c);
            free(p);
            n++;
        }
        fclose(f);
    }
    cr_expect_gt(n, 20);
}

/* The golden's first record with from replaced by to (once). */
static char *variant(const char *from, const char *to)
{
    struct ie_record r;
    ie_record_init(&r);
    ie_record_set_str(&r.path, "/d/a.jpg");
    ie_record_set_str(&r.filename, "a.jpg");
    r.width = 3000;
    r.has_phash = r.has_pixel_stats = r.has_blur_score = true;
    memset(&r.phash, 0x5a, sizeof(r.phash));
    r.pixel_stats.mean_brightness = 101.25;
    r.blur_score = 12.5;
    char *s = ie_record_to_json(&r);
    ie_record_release(&r);
    char *at = strstr(s, from);
    cr_assert(at, "%s not in %s", from, s);
    char *out = malloc(strlen(s) + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    free(s);
    return out;
}

Test(canon, lines_a_reader_sees_otherwise_do_not_pass)
{
    static const char *const cases[][2] = {
        {"\"width\":3000", "\"width\":3000.5"},
        {"\"width\":3000", "\"width\":\"3000\""},
        {"\"width\":3000", "\"width\":30000000000"},
        {"\"width\":3000,", ""},
        {"\"width\":3000", "\"width\":3000,\"id\":7"},
        {"\"filename\":\"a.jpg\",", ""},
        {"\"path\":\"/d/a.jpg\"", "\"path\":\"/d/a\\u0000.jpg\""},
        {"\"path\":\"/d/a.jpg\"", "\"path\":\"/d/a\xff.jpg\""},
        {"\"phash\":\"5a5a", "\"phash\":\"5A5a"},
        {"\"blur_score\":12.5", "\"blur_score\":1e999"},
        {"\"is_dark\":false", "\"is_dark\":0"},
        {"\"filename\":\"a.jpg\"", "\"filename\":null"},
        {"\"mean_brightness\":101.25", "\"mean_brightness\":null"},
        {"\"num_frames\":0}", "\"num_frames\":0} x"},
        {"\"num_frames\":0}", "\"num_frames\":0,\"num_frames\":1}"},
    };
    char *base = variant("{", "{");
    char *c = srv_store_canonical_line(base, strlen(base));
    cr_expect(c != NULL, "the unchanged record passes: %s", base);
    free(c);
    free(base);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char *v = variant(cases[i][0], cases[i][1]);
        char *got = srv_store_canonical_line(v, strlen(v));
        cr_expect(got == NULL, "passed: %s", v);
        free(got);
        free(v);
    }
}

Test(canon, a_whole_number_with_a_fraction_part_is_the_same_json)
{
    char *v = variant("\"width\":3000", "\"width\":3000.0");
    char *c = srv_store_canonical_line(v, strlen(v)), *p = printed(v);
    cr_assert(c != NULL, "%s", v);
    cJSON *a = cJSON_Parse(c), *b = cJSON_Parse(p);
    cr_expect(cJSON_Compare(a, b, true), "%s vs %s", c, p);
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(c);
    free(p);
    free(v);
}
