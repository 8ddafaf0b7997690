/* Manifests: reading imgeda's files (current, older without EXIF/blur, torn + repeated path),
 * the append-only writer (torn tail cut, no torn line after a failed write), and the atomic
 * rewrite. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "helpers.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

static char *fixture(const char *name)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/imgeda_manifests/%s", th_fixtures(), name);
    return p;
}

Test(manifest, loads_a_python_imgeda_manifest)
{
    struct ie_manifest m;
    struct ie_err err = {0};
    char *p = fixture("imgeda_current.jsonl");
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, &err), 0, "%s", err.msg);
    cr_expect(m.meta.present);
    cr_expect_str_eq(m.meta.input_dir, "/data/cats");
    cr_expect_eq(m.meta.total_files, 3);
    cr_assert_eq(m.n, 3);
    cr_expect_str_eq(m.recs[0].camera_make, "Canon");
    cr_expect(m.recs[0].has_orientation_tag && m.recs[0].orientation_tag == 6);
    cr_expect(m.recs[0].has_gps_data);
    cr_expect_str_eq(m.recs[0].distortion_risk, "low");
    cr_expect(m.recs[1].is_dark && m.recs[1].is_blurry);
    cr_expect(m.recs[2].is_corrupt && !m.recs[2].has_pixel_stats && !m.recs[2].has_phash);
    cr_expect_null(m.recs[2].content_hash, "imgeda has no content hash");
    cr_expect_eq(m.skipped_lines, 0);
    ie_manifest_release(&m);
    free(p);
}

Test(manifest, loads_an_older_manifest_without_exif_and_blur)
{
    struct ie_manifest m;
    char *p = fixture("imgeda_old.jsonl");
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, NULL), 0);
    cr_assert_eq(m.n, 2);
    cr_expect_null(m.recs[0].camera_make);
    cr_expect(!m.recs[0].has_blur_score);
    cr_expect(!m.recs[0].is_blurry);
    cr_expect(!m.recs[0].has_gps_data);
    cr_expect(m.recs[1].is_dark);
    ie_manifest_release(&m);
    free(p);
}

Test(manifest, torn_line_is_skipped_and_later_record_wins)
{
    struct ie_manifest m;
    char *p = fixture("imgeda_torn.jsonl");
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, NULL), 0);
    cr_assert_eq(m.n, 2, "a.jpg twice + b.png, torn c.jpg dropped");
    cr_expect_str_eq(m.recs[0].path, "/data/cats/a.jpg");
    cr_expect_eq(m.recs[0].width, 800, "the later record for a.jpg replaces the earlier");
    cr_expect_eq(m.recs[0].file_size_bytes, 2000);
    cr_expect_str_eq(m.recs[1].path, "/data/cats/b.png");
    cr_expect_eq(m.skipped_lines, 1);
    cr_expect_eq(m.replaced, 1);
    ie_manifest_release(&m);
    free(p);
}

Test(manifest, header_total_beyond_int64_reads_as_missing)
{
    const char text[] = "{\"__manifest_meta__\": true, \"total_files\": 1e19}\n"
                        "{\"path\": \"a.png\"}\n";
    char *dir = th_tempdir(), *p = th_path(dir, "m.jsonl");
    struct ie_manifest m;
    th_write(p, text, sizeof(text) - 1);
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, NULL), 0);
    cr_expect(m.meta.present);
    cr_expect_eq(m.meta.total_files, 0);
    cr_expect_eq(m.n, 1);
    ie_manifest_release(&m);
    th_rmrf(dir);
    free(p);
    free(dir);
}

Test(manifest, missing_file_is_a_clear_error)
{
    struct ie_manifest m;
    struct ie_err err = {0};
    ie_manifest_init(&m);
    cr_expect_eq(ie_manifest_load("/nonexistent/m.jsonl", &m, &err), IE_ENOENT);
    cr_expect(strstr(err.msg, "/nonexistent/m.jsonl") != NULL, "%s", err.msg);
    ie_manifest_release(&m);
}

Test(manifest, streaming_reader_reports_offsets_and_torn_tail)
{
    struct ie_manifest_reader *rd;
    struct ie_record rec;
    int64_t off;
    size_t len;
    char *p = fixture("imgeda_torn.jsonl");
    char *text;
    size_t tlen;
    cr_assert_eq(ie_read_file(p, 1 << 20, &text, &tlen, NULL), 0);
    cr_assert_eq(ie_manifest_reader_open(p, &rd, NULL), 0);
    ie_record_init(&rec);
    int n = 0;
    while (ie_manifest_reader_next(rd, &rec, &off, &len, NULL) == 1) {
        cr_expect_eq(text[off], '{');
        cr_expect_eq(text[off + (int64_t)len], '\n');
        n++;
    }
    cr_expect_eq(n, 3);
    cr_expect(ie_manifest_reader_torn_tail(rd));
    cr_expect_eq(ie_manifest_reader_skipped(rd), 1);
    ie_record_release(&rec);
    ie_manifest_reader_free(rd);
    free(text);
    free(p);
}

/* Expects the next line of r to be the given one (text NULL: a line too long to keep). */
static void expect_line(struct ie_manifest_lines *r, const char *text, size_t len, int64_t offset,
                        size_t number, bool newline)
{
    struct ie_manifest_line ln;
    struct ie_err err = {0};
    int rc = ie_manifest_lines_next(r, &ln, &err);
    cr_assert_eq(rc, text ? 1 : IE_MANIFEST_LINE_TOO_LONG, "line %zu: %d %s", number, rc, err.msg);
    cr_expect_eq(ln.len, len, "line %zu", number);
    cr_expect_eq(ln.offset, offset, "line %zu", number);
    cr_expect_eq(ln.number, number);
    cr_expect_eq(ln.newline, newline, "line %zu", number);
    if (!text) {
        cr_expect_null(ln.text);
        return;
    }
    cr_expect_eq(memcmp(ln.text, text, len), 0, "line %zu", number);
    cr_expect_eq(ln.text[len], '\0');
}

Test(manifest, lines_keep_lines_up_to_the_limit_and_drop_longer_ones)
{
    const size_t max = IE_MANIFEST_MAX_LINE;
    struct ie_manifest_lines r;
    struct ie_manifest_line ln;
    struct ie_manifest m;
    struct ie_err err = {0};
    char *dir = th_tempdir(), *p = th_path(dir, "lines.jsonl"), *q = th_path(dir, "tail.jsonl");
    /* "a\r", "", MAX x's, MAX + 1 y's, "tail" without a newline. */
    size_t n = 3 + 1 + (max + 1) + (max + 2) + 4;
    char *data = malloc(n), *at = data;
    memcpy(at, "a\r\n\n", 4);
    at += 4;
    memset(at, 'x', max);
    at[max] = '\n';
    at += max + 1;
    memset(at, 'y', max + 1);
    at[max + 1] = '\n';
    at += max + 2;
    memcpy(at, "tail", 4);
    th_write(p, data, n);

    cr_assert_eq(ie_manifest_lines_open(&r, p, &err), 0, "%s", err.msg);
    expect_line(&r, "a\r", 2, 0, 1, true);
    expect_line(&r, "", 0, 3, 2, true);
    expect_line(&r, data + 4, max, 4, 3, true);
    expect_line(&r, NULL, max + 1, (int64_t)max + 5, 4, true);
    expect_line(&r, "tail", 4, (int64_t)(n - 4), 5, false);
    cr_expect_eq(ie_manifest_lines_next(&r, &ln, &err), 0);
    cr_expect_eq(ie_manifest_lines_next(&r, &ln, &err), 0, "the end stays the end");
    ie_manifest_lines_close(&r);
    ie_manifest_lines_close(&r); /* a no-op once closed */

    /* The loader counts the dropped line and names it. */
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, &err), 0, "%s", err.msg);
    cr_expect_eq(m.long_lines, 1);
    cr_expect_eq(m.first_long_line, 4);
    cr_expect_eq(m.skipped_lines, 4, "a, the x's, the long line and the tail do not parse");
    ie_manifest_release(&m);

    /* A too-long last line without a newline. */
    memset(data, 'z', max + 5);
    th_write(q, data, max + 5);
    cr_assert_eq(ie_manifest_lines_open(&r, q, &err), 0, "%s", err.msg);
    expect_line(&r, NULL, max + 5, 0, 1, false);
    cr_expect_eq(ie_manifest_lines_next(&r, &ln, &err), 0);
    ie_manifest_lines_close(&r);

    cr_assert_eq(ie_manifest_lines_open(&r, dir, &err), 0, "%s", err.msg);
    cr_expect_eq(ie_manifest_lines_next(&r, &ln, &err), IE_EIO);
    cr_expect(strstr(err.msg, "it is a directory"), "%s", err.msg);
    ie_manifest_lines_close(&r);
    free(data);
    free(p);
    free(q);
    th_rmrf(dir);
    free(dir);
}

Test(manifest, writer_cuts_a_torn_tail_before_appending)
{
    char *dir = th_tempdir(), *p = th_path(dir, "m.jsonl");
    struct ie_manifest_writer *w;
    struct ie_manifest m;
    struct ie_err err = {0};
    int64_t off;
    const char *torn = "{\"__manifest_meta__\":true,\"total_files\":2}\n"
                       "{\"path\":\"a\"}\n{\"path\":\"b\",\"wid";
    th_write(p, torn, strlen(torn));
    cr_assert_eq(ie_manifest_writer_open_append(p, &w, &err), 0, "%s", err.msg);
    ie_manifest_writer_append(w, "{\"path\":\"b\"}", 12, &off);
    cr_expect_eq(off, (int64_t)strlen("{\"__manifest_meta__\":true,\"total_files\":2}\n"
                                      "{\"path\":\"a\"}\n"));
    cr_assert_eq(ie_manifest_writer_flush(w, true, &err), 0);
    ie_manifest_writer_free(w);
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, NULL), 0);
    cr_expect_eq(m.n, 2);
    cr_expect_eq(m.skipped_lines, 0, "the torn line is gone, not merged with the new one");
    ie_manifest_release(&m);
    th_rmrf(dir);
    free(dir);
    free(p);
}

/* A disk that takes part of a flush (here a file size limit; ENOSPC does the same) leaves only
 * whole lines in the file, and the lines still pending go out whole, once, at the next flush. */
Test(manifest, writer_leaves_no_torn_line_when_a_write_fails)
{
    char *dir = th_tempdir(), *p = th_path(dir, "m.jsonl");
    const char *header = "{\"__manifest_meta__\":true,\"total_files\":3}";
    struct ie_manifest_writer *w;
    struct ie_manifest m;
    struct ie_err err = {0};
    struct rlimit old, lim;
    struct stat st;
    cr_assert_eq(ie_manifest_writer_create(p, header, &w, &err), 0, "%s", err.msg);
    const off_t whole = (off_t)strlen(header) + 1;
    ie_manifest_writer_append(w, "{\"path\":\"a\"}", 12, NULL);
    ie_manifest_writer_append(w, "{\"path\":\"b\"}", 12, NULL);
    ie_manifest_writer_append(w, "{\"path\":\"c\"}", 12, NULL);
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)whole + 20; /* the first line and part of the second */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    cr_expect_eq(ie_manifest_writer_flush(w, true, &err), IE_EIO);
    cr_expect(strstr(err.msg, "File too large"), "%s", err.msg);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(stat(p, &st), 0);
    cr_expect_eq(st.st_size, whole, "cut back to the last whole line, not %lld bytes",
                 (long long)st.st_size);
    cr_assert_eq(ie_manifest_writer_flush(w, true, &err), 0, "%s", err.msg);
    ie_manifest_writer_free(w);
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, NULL), 0);
    cr_expect_eq(m.n, 3, "each pending line once");
    cr_expect_eq(m.skipped_lines, 0, "no torn line");
    ie_manifest_release(&m);
    th_rmrf(dir);
    free(dir);
    free(p);
}

Test(manifest, rewrite_keeps_selected_lines_in_order)
{
    char *dir = th_tempdir(), *p = th_path(dir, "m.jsonl");
    struct ie_manifest_writer *w;
    struct ie_manifest m;
    struct ie_line_ref refs[2];
    char *header = ie_manifest_header_json("/x", "{\"a\":1.0}", 2, "now");
    cr_assert_eq(ie_manifest_writer_create(p, header, &w, NULL), 0);
    ie_manifest_writer_append(w, "{\"path\":\"z\"}", 12, &refs[0].offset);
    ie_manifest_writer_append(w, "{\"path\":\"dropped\"}", 18, NULL);
    ie_manifest_writer_append(w, "{\"path\":\"a\"}", 12, &refs[1].offset);
    refs[0].len = refs[1].len = 12;
    cr_assert_eq(ie_manifest_writer_flush(w, true, NULL), 0);
    ie_manifest_writer_free(w);
    struct ie_line_ref swapped[2] = {refs[1], refs[0]};
    cr_assert_eq(ie_manifest_rewrite(p, header, swapped, 2, NULL), 0);
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, NULL), 0);
    cr_assert_eq(m.n, 2);
    cr_expect_str_eq(m.recs[0].path, "a");
    cr_expect_str_eq(m.recs[1].path, "z");
    cr_expect_str_eq(m.meta.settings_json, "{\"a\":1}");
    struct stat st;
    char *tmp = th_path(dir, "m.jsonl.tmp");
    cr_expect_neq(stat(tmp, &st), 0, "no temp file is left behind");
    ie_manifest_release(&m);
    free(header);
    free(tmp);
    th_rmrf(dir);
    free(dir);
    free(p);
}

Test(manifest, header_keeps_float_settings_as_written)
{
    char *h = ie_manifest_header_json("/d", "{\"dark_threshold\":40.0}", 0, "t");
    cr_expect(strstr(h, "\"dark_threshold\":40.0") != NULL, "%s", h);
    cr_expect(strstr(h, "\"__manifest_meta__\":true") != NULL);
    free(h);
    h = ie_manifest_header_json("/d", "not json", 0, "t");
    cr_expect(strstr(h, "\"settings\":{}") != NULL, "%s", h);
    free(h);
}
