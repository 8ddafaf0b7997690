/* Manifest export (SPEC §4.7): the column model (every SPEC §2 key, flattened), RFC 4180
 * quoting, the two-pass source (latest record per path, in first-seen order, lines verbatim),
 * the pull reader and the file writers. SQLite is tested through the CLI (integration). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "imgeda/export.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

static char *manifest_fixture(const char *name)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/manifests/%s", th_fixtures(), name);
    return p;
}

static char *read_all(const char *path, size_t *len)
{
    char *data = NULL;
    struct ie_err err = {0};
    cr_assert_eq(ie_read_file(path, 1 << 24, &data, len, &err), 0, "%s", err.msg);
    return data;
}

/* A record with every optional field set. */
static void full_record(struct ie_record *r)
{
    ie_record_init(r);
    ie_record_set_str(&r->path, "/d/a.jpg");
    ie_record_set_str(&r->filename, "a.jpg");
    r->file_size_bytes = 1234;
    r->mtime = 1717236000.25;
    r->width = 640;
    r->height = 480;
    ie_record_set_str(&r->format, "JPEG");
    ie_record_set_str(&r->color_mode, "RGB");
    r->num_channels = 3;
    r->aspect_ratio = 1.3333;
    ie_record_set_str(&r->camera_make, "Canon");
    ie_record_set_str(&r->camera_model, "EOS");
    ie_record_set_str(&r->lens_model, "50mm");
    r->has_focal_length_mm = true;
    r->focal_length_mm = 50;
    r->has_focal_length_35mm = true;
    r->focal_length_35mm = 50;
    r->has_iso_speed = true;
    r->iso_speed = 100;
    r->has_f_number = true;
    r->f_number = 1.8;
    r->has_exposure_time_sec = true;
    r->exposure_time_sec = 0.004;
    ie_record_set_str(&r->datetime_original, "2024:01:01 10:00:00");
    r->has_orientation_tag = true;
    r->orientation_tag = 1;
    r->has_gps_data = true;
    ie_record_set_str(&r->distortion_risk, "low");
    r->has_pixel_stats = true;
    r->pixel_stats = (struct ie_pixel_stats){1, 2, 3, 4, 5, 6, 7, 8, 9};
    r->has_corner_stats = true;
    r->corner_stats = (struct ie_corner_stats){1, 2, 3, 4};
    r->has_phash = r->has_dhash = true;
    r->phash.w[3] = 1;
    r->has_blur_score = true;
    r->blur_score = 12.5;
    ie_record_set_str(&r->analyzed_at, "2024-01-01T00:00:00+00:00");
    ie_record_set_str(&r->analyzer_version, IE_ANALYZER_VERSION);
    ie_record_set_str(&r->content_hash, "xxh3_128:00000000000000000000000000000000");
    ie_record_set_str(&r->error, "oops");
    r->bit_depth = 8;
    r->num_frames = 1;
}

static bool has_column(const char *name)
{
    size_t n;
    const struct ie_export_column *c = ie_export_columns(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return true;
    return false;
}

static size_t column_index(const char *name)
{
    size_t n;
    const struct ie_export_column *c = ie_export_columns(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

Test(export, format_names_parse)
{
    enum ie_export_format f;
    struct ie_err err = {0};
    cr_expect_eq(ie_export_format_parse("CSV", &f, &err), 0);
    cr_expect_eq(f, IE_EXPORT_CSV);
    cr_expect_eq(ie_export_format_parse("sqlite", &f, &err), 0);
    cr_expect_str_eq(ie_export_format_name(f), "sqlite");
    cr_expect_eq(ie_export_format_parse("Parquet", &f, &err), 0);
    cr_expect_str_eq(ie_export_format_name(f), "parquet");
    cr_expect_eq(ie_export_format_parse("xlsx", &f, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "xlsx"), "%s", err.msg);
    cr_expect(strstr(err.msg, "parquet"), "%s", err.msg);
}

Test(export, columns_are_every_record_key_flattened)
{
    struct ie_record r;
    size_t n, leaves = 0;
    full_record(&r);
    char *json = ie_record_to_json(&r);
    cJSON *o = cJSON_Parse(json);
    cr_assert_not_null(o);
    for (const cJSON *k = o->child; k; k = k->next) {
        if (cJSON_IsObject(k)) {
            for (const cJSON *s = k->child; s; s = s->next) {
                char name[128];
                snprintf(name, sizeof(name), "%s_%s", k->string, s->string);
                cr_expect(has_column(name), "no column %s", name);
                leaves++;
            }
        } else {
            cr_expect(has_column(k->string), "no column %s", k->string);
            leaves++;
        }
    }
    ie_export_columns(&n);
    cr_expect_eq(n, leaves, "%zu columns for %zu record keys", n, leaves);
    cJSON_Delete(o);
    free(json);
    ie_record_release(&r);
}

Test(export, imgeda_csv_columns_keep_their_order)
{
    /* imgeda's csv_io.py order (its pixel/corner names mapped to the SPEC's flattened ones). */
    static const char *const imgeda[] = {
        "path",
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
        "has_gps_data",
        "distortion_risk",
        "blur_score",
        "is_blurry",
        "phash",
        "dhash",
        "is_corrupt",
        "is_dark",
        "is_overexposed",
        "has_border_artifact",
        "analyzed_at",
        "pixel_stats_mean_r",
        "pixel_stats_mean_g",
        "pixel_stats_mean_b",
        "pixel_stats_std_r",
        "pixel_stats_std_g",
        "pixel_stats_std_b",
        "pixel_stats_mean_brightness",
        "corner_stats_corner_mean",
        "corner_stats_center_mean",
        "corner_stats_border_mean",
        "corner_stats_delta",
    };
    size_t prev = 0;
    for (size_t i = 0; i < IE_ARRAY_LEN(imgeda); i++) {
        size_t at = column_index(imgeda[i]);
        cr_assert_neq(at, SIZE_MAX, "no column %s", imgeda[i]);
        cr_expect(i == 0 ? at == 0 : at > prev, "%s out of order", imgeda[i]);
        prev = at;
    }
    size_t n;
    const struct ie_export_column *c = ie_export_columns(&n);
    cr_expect_str_eq(c[n - 1].name, "num_frames");
}

Test(export, csv_fields_are_quoted_like_rfc4180)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\rhere", "\"cr\rhere\""},
        {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"},
        {" spaced ", " spaced "},
        {"'quote'", "'quote'"},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(cases); i++) {
        struct ie_buf b;
        ie_buf_init(&b);
        ie_export_csv_field(&b, cases[i].in, strlen(cases[i].in));
        cr_expect_str_eq(b.data ? b.data : "", cases[i].out, "case %zu", i);
        ie_buf_release(&b);
    }
}

Test(export, csv_row_flattens_and_writes_python_values)
{
    struct ie_record r;
    struct ie_buf b;
    full_record(&r);
    ie_record_set_str(&r.path, "/d/a, \"b\"\nc\xc3\xa9.jpg");
    ie_buf_init(&b);
    ie_export_csv_row(&r, &b);
    const char *prefix = "\"/d/a, \"\"b\"\"\nc\xc3\xa9.jpg\",a.jpg,1234,1717236000.25,640,480,";
    cr_expect(strncmp(b.data, prefix, strlen(prefix)) == 0, "%s", b.data);
    cr_expect(strstr(b.data, ",True,low,12.5,False,"), "%s", b.data);
    /* imgeda's pixel then corner statistics end its 41 columns; ours follow (orientation,
     * analyzer version, min/max value, content hash, error, bit depth, frames). */
    cr_expect(strstr(b.data, ",1.0,2.0,3.0,4.0,5.0,6.0,7.0,1.0,2.0,3.0,4.0,1," IE_ANALYZER_VERSION
                             ",8,9,xxh3_128:00000000000000000000000000000000,oops,8,1\r\n"),
              "%s", b.data);
    cr_expect(strstr(b.data, "0000000000000001,"), "%s", b.data);
    size_t len = strlen(b.data);
    cr_expect(len > 2 && strcmp(b.data + len - 2, "\r\n") == 0);
    ie_buf_release(&b);
    ie_record_release(&r);

    /* An old record: nulls become empty fields, as imgeda writes None (has_gps_data .. the
     * flags, then analyzed_at, 11 statistics and six of ours empty, then bit depth, frames). */
    ie_record_init(&r);
    ie_record_set_str(&r.path, "/x.png");
    ie_buf_init(&b);
    ie_export_csv_row(&r, &b);
    cr_expect(strstr(b.data, ",False,,,False,,,False,False,False,False,,,,,,,,,,,,,,,,,,,0,0\r\n"),
              "%s", b.data);
    ie_buf_release(&b);
    ie_record_release(&r);

    ie_buf_init(&b);
    ie_export_csv_header(&b);
    cr_expect(strncmp(b.data, "path,filename,file_size_bytes,mtime,", 36) == 0);
    cr_expect(strstr(b.data, ",analyzed_at,mean_r,") && strstr(b.data, ",corner_delta,"));
    ie_buf_release(&b);
}

/* The CSV header starts with imgeda's 41 columns exactly (the list in the fixture is copied
 * from imgeda's csv_io.py), then names every other record column once. */
Test(export, csv_header_is_imgedas_columns_then_ours)
{
    char path[4096], line[128];
    snprintf(path, sizeof(path), "%s/imgeda_csv_columns.txt", th_fixtures());
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t i = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || !line[0])
            continue;
        cr_expect_str_eq(ie_export_csv_column(i) ? ie_export_csv_column(i) : "(none)", line,
                         "column %zu", i);
        i++;
    }
    fclose(f);
    cr_expect_eq(i, 41);
    size_t n;
    ie_export_columns(&n);
    cr_expect_null(ie_export_csv_column(n));
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < a; b++)
            cr_expect(strcmp(ie_export_csv_column(a), ie_export_csv_column(b)) != 0,
                      "column %s twice", ie_export_csv_column(a));
    struct ie_buf b;
    ie_buf_init(&b);
    ie_export_csv_header(&b);
    cr_expect(strncmp(b.data, "path,filename,", 14) == 0);
    cr_expect(strstr(b.data, ",corner_delta,orientation_tag,analyzer_version,min_val,max_val,"
                             "content_hash,error,bit_depth,num_frames\r\n"),
              "%s", b.data);
    ie_buf_release(&b);
}

Test(export, value_types_follow_the_columns)
{
    struct ie_record r;
    struct ie_export_value v;
    full_record(&r);
    ie_export_value(&r, column_index("is_corrupt"), &v);
    cr_expect(!v.null && v.i == 0);
    ie_export_value(&r, column_index("pixel_stats_max_val"), &v);
    cr_expect(!v.null && v.i == 9);
    ie_export_value(&r, column_index("phash"), &v);
    cr_expect_eq(strlen(v.s), 64);
    r.has_phash = false;
    r.has_pixel_stats = false;
    ie_export_value(&r, column_index("phash"), &v);
    cr_expect(v.null);
    ie_export_value(&r, column_index("pixel_stats_mean_r"), &v);
    cr_expect(v.null);
    ie_record_release(&r);
}

Test(export, source_keeps_the_latest_record_per_path_in_first_seen_order)
{
    char *p = manifest_fixture("repeated.jsonl");
    struct ie_export_source *s = NULL;
    struct ie_err err = {0};
    struct ie_manifest m;
    struct ie_record rec;
    const char *line;
    size_t len, i = 0;
    int rc;

    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(p, &m, &err), 0);
    cr_assert_eq(ie_export_source_open(p, &s, &err), 0, "%s", err.msg);
    cr_expect_eq(ie_export_source_records(s), m.n);
    cr_expect_eq(ie_export_source_replaced(s), m.replaced);
    cr_expect(ie_export_source_meta(s)->present);
    size_t hlen;
    const char *h = ie_export_source_header_line(s, &hlen);
    cr_assert_not_null(h);
    cr_expect(strncmp(h, "{\"__manifest_meta__\":true", 25) == 0);
    ie_record_init(&rec);
    while ((rc = ie_export_source_next(s, &rec, &line, &len, &err)) == 1) {
        cr_assert_lt(i, m.n);
        cr_expect_str_eq(rec.path, m.recs[i].path);
        cr_expect_eq(rec.file_size_bytes, m.recs[i].file_size_bytes, "%s", rec.path);
        cr_expect_eq(strlen(line), len);
        cr_expect(line[0] == '{' && line[len - 1] == '}');
        i++;
    }
    cr_expect_eq(rc, 0, "%s", err.msg);
    cr_expect_eq(i, 3);
    cr_expect_eq(m.recs[0].file_size_bytes, 160); /* the third a.jpg line wins */
    ie_record_release(&rec);
    ie_export_source_free(s);
    ie_manifest_release(&m);
    free(p);
}

Test(export, source_refuses_what_is_not_a_manifest)
{
    struct ie_export_source *s = NULL;
    struct ie_err err = {0};
    char *p = manifest_fixture("not_a_manifest.txt");
    cr_expect_eq(ie_export_source_open(p, &s, &err), IE_EFORMAT);
    cr_expect(strstr(err.msg, "not an imgeda manifest"), "%s", err.msg);
    cr_expect_null(s);
    free(p);
    cr_expect_eq(ie_export_source_open("/nonexistent/m.jsonl", &s, &err), IE_ENOENT);
    cr_expect(strstr(err.msg, "/nonexistent/m.jsonl"), "%s", err.msg);
    cr_expect_eq(ie_export_source_open("/tmp", &s, &err), IE_EINVAL);
    ie_export_source_free(NULL);

    /* A header-only manifest is fine: zero records. */
    p = manifest_fixture("empty.jsonl");
    cr_assert_eq(ie_export_source_open(p, &s, &err), 0, "%s", err.msg);
    cr_expect_eq(ie_export_source_records(s), 0);
    cr_expect_eq(ie_export_source_next(s, NULL, NULL, NULL, &err), 0);
    ie_export_source_free(s);
    free(p);
}

Test(export, torn_lines_are_skipped_and_counted)
{
    char *p = manifest_fixture("torn.jsonl");
    char *d = th_tempdir(), *out = th_path(d, "t.csv");
    struct ie_export_stats st;
    struct ie_err err = {0};
    size_t len;
    cr_assert_eq(ie_export_write_path(p, IE_EXPORT_CSV, out, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(st.records, 2);
    cr_expect_eq(st.skipped_lines, 2);
    char *csv = read_all(out, &len);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += csv[i] == '\n';
    cr_expect_eq(lines, 3);
    free(csv);
    free(out);
    th_rmrf(d);
    free(d);
    free(p);
}

Test(export, jsonl_export_is_a_clean_manifest_with_lines_as_written)
{
    char *p = manifest_fixture("repeated.jsonl");
    char *d = th_tempdir(), *out = th_path(d, "r.jsonl");
    struct ie_export_stats st;
    struct ie_err err = {0};
    struct ie_manifest a, b;
    size_t len, olen;
    cr_assert_eq(ie_export_write_path(p, IE_EXPORT_JSONL, out, &st, &err), 0, "%s", err.msg);
    cr_expect_eq(st.records, 3);
    cr_expect_eq(st.replaced, 2);
    char *orig = read_all(p, &olen), *exp = read_all(out, &len);
    /* The header line is copied byte for byte. */
    size_t h = (size_t)(strchr(orig, '\n') - orig) + 1;
    cr_expect(len > h && memcmp(orig, exp, h) == 0);
    /* Every exported record line is a line of the original. */
    for (char *line = strchr(exp, '\n') + 1; *line;) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        cr_expect_not_null(strstr(orig, line));
        line = nl + 1;
    }
    ie_manifest_init(&a);
    ie_manifest_init(&b);
    cr_assert_eq(ie_manifest_load(p, &a, &err), 0);
    cr_assert_eq(ie_manifest_load(out, &b, &err), 0);
    cr_assert_eq(a.n, b.n);
    cr_expect_eq(b.replaced, 0);
    for (size_t i = 0; i < a.n; i++) {
        char *x = ie_record_to_json(&a.recs[i]), *y = ie_record_to_json(&b.recs[i]);
        cr_expect_str_eq(x, y);
        free(x);
        free(y);
    }
    ie_manifest_release(&a);
    ie_manifest_release(&b);
    free(orig);
    free(exp);
    free(out);
    th_rmrf(d);
    free(d);
    free(p);
}

Test(export, reader_streams_the_same_bytes_in_any_chunk_size)
{
    char *p = manifest_fixture("mixed.jsonl");
    static const enum ie_export_format fmts[] = {IE_EXPORT_CSV, IE_EXPORT_JSONL};
    for (size_t f = 0; f < IE_ARRAY_LEN(fmts); f++) {
        struct ie_err err = {0};
        struct ie_buf whole, bytes;
        ie_buf_init(&whole);
        ie_buf_init(&bytes);
        FILE *tmp = tmpfile();
        cr_assert_not_null(tmp);
        cr_assert_eq(ie_export_write_stream(p, fmts[f], tmp, NULL, &err), 0, "%s", err.msg);
        long n = ftell(tmp);
        rewind(tmp);
        char *data = malloc((size_t)n + 1);
        cr_assert_eq(fread(data, 1, (size_t)n, tmp), (size_t)n);
        fclose(tmp);
        static const size_t chunks[] = {1, 7, 4096};
        for (size_t c = 0; c < IE_ARRAY_LEN(chunks); c++) {
            struct ie_export_reader *rd = NULL;
            char buf[4096];
            ssize_t got;
            ie_buf_reset(&bytes);
            cr_assert_eq(ie_export_reader_open(p, fmts[f], &rd, &err), 0);
            while ((got = ie_export_reader_read(rd, buf, chunks[c], &err)) > 0)
                ie_buf_add(&bytes, buf, (size_t)got);
            cr_expect_eq(got, 0);
            struct ie_export_stats st;
            ie_export_reader_stats(rd, &st);
            cr_expect_eq(st.records, 8);
            ie_export_reader_free(rd);
            cr_expect_eq(bytes.len, (size_t)n, "chunk %zu", chunks[c]);
            cr_expect(memcmp(bytes.data, data, (size_t)n) == 0, "chunk %zu", chunks[c]);
        }
        free(data);
        ie_buf_release(&whole);
        ie_buf_release(&bytes);
    }
    struct ie_export_reader *rd = NULL;
    struct ie_err err = {0};
    cr_expect_eq(ie_export_reader_open(p, IE_EXPORT_SQLITE, &rd, &err), IE_EINVAL);
    free(p);
}

Test(export, writing_to_an_fd_and_refusing_the_manifest_itself)
{
    char *d = th_tempdir();
    char *src = manifest_fixture("mixed.jsonl");
    char *m = th_path(d, "m.jsonl"), *out = th_path(d, "out.csv"), *tmp = th_path(d, "out.csv.tmp");
    size_t len;
    char *data = read_all(src, &len);
    th_write(m, data, len);
    free(data);
    struct ie_err err = {0};
    cr_expect_eq(ie_export_write_path(m, IE_EXPORT_CSV, m, NULL, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "manifest itself"), "%s", err.msg);
    cr_expect_eq(ie_export_write_path(m, IE_EXPORT_CSV, d, NULL, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "directory"), "%s", err.msg);
    /* The manifest is untouched. */
    char *after = read_all(m, &len);
    cr_expect(strncmp(after, "{\"__manifest_meta__\"", 20) == 0);
    free(after);

    cr_assert_eq(ie_export_write_path(m, IE_EXPORT_CSV, out, NULL, &err), 0, "%s", err.msg);
    cr_expect_neq(access(tmp, F_OK), 0, "the temp file is renamed away");
    int fd = open(out, O_WRONLY | O_TRUNC);
    cr_assert_geq(fd, 0);
    struct ie_export_stats st;
    cr_assert_eq(ie_export_write_fd(m, IE_EXPORT_JSONL, fd, &st, &err), 0, "%s", err.msg);
    close(fd);
    cr_expect_eq(st.records, 8);
    char *j = read_all(out, &len);
    cr_expect(strncmp(j, "{\"__manifest_meta__\"", 20) == 0);
    free(j);
    free(m);
    free(out);
    free(tmp);
    free(src);
    th_rmrf(d);
    free(d);
}
