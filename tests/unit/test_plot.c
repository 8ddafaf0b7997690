/* Plots (SPEC §5): every type renders in every format, for a fixture and for an empty manifest;
 * PNGs decode at the requested size and are not blank, SVGs parse as XML, PDFs pass pdfinfo and
 * their text says what the plot shows (titles with n, thresholds from the settings, "no data"
 * reasons, sampling); bad options fail with a message and leave the output untouched. */
#include <cairo.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/manifest.h"
#include "imgeda/plot.h"
#include "imgeda/util.h"

/* ---- fixture records ---- */

static char *sdup(const char *s)
{
    return ie_xstrdup(s);
}

/* n records with varied sizes, statistics and EXIF; two share a phash; the last is corrupt. */
static struct ie_record *make_records(size_t n)
{
    struct ie_record *r = ie_xcalloc(n, sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        char name[64];
        ie_record_init(&r[i]);
        snprintf(name, sizeof(name), "/data/img_%04zu.jpg", i);
        r[i].path = sdup(name);
        r[i].filename = sdup(name + 6);
        r[i].format = sdup(i % 3 ? "JPEG" : "PNG");
        r[i].width = 320 + (int)(i * 97 % 1700);
        r[i].height = 240 + (int)(i * 53 % 900);
        r[i].aspect_ratio = ie_round((double)r[i].width / r[i].height, 4);
        r[i].file_size_bytes = 2000 + (int64_t)(i * 7919 % 900000);
        r[i].has_pixel_stats = true;
        r[i].pixel_stats.mean_brightness = (double)(i * 37 % 256);
        r[i].pixel_stats.mean_r = (double)(i * 41 % 256);
        r[i].pixel_stats.mean_g = (double)(i * 43 % 256);
        r[i].pixel_stats.mean_b = (double)(i * 47 % 256);
        r[i].pixel_stats.std_r = r[i].pixel_stats.std_g = r[i].pixel_stats.std_b = 30;
        r[i].has_corner_stats = true;
        r[i].corner_stats.delta = (double)(i * 13 % 90);
        r[i].has_blur_score = true;
        r[i].blur_score = 0.5 + (double)(i * i % 5000);
        r[i].has_phash = true;
        r[i].phash.w[0] = i == 1 ? 0 : i; /* records 0 and 1 share a hash */
        if (i % 2 == 0) {
            r[i].camera_make = sdup(i % 4 ? "Canon" : "NIKON CORPORATION");
            r[i].camera_model = sdup(i % 4 ? "Canon EOS 5D" : "NIKON D750");
            r[i].has_iso_speed = true;
            r[i].iso_speed = 100 << (i % 6);
            r[i].has_focal_length_35mm = true;
            r[i].focal_length_35mm = 18 + (int)(i * 7 % 180);
        }
    }
    r[n - 1].is_corrupt = true;
    r[n - 1].has_pixel_stats = r[n - 1].has_corner_stats = r[n - 1].has_blur_score = false;
    r[n - 1].width = r[n - 1].height = 0;
    return r;
}

static void free_records(struct ie_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ie_record_release(&r[i]);
    free(r);
}

/* ---- checking outputs ---- */

static char *tmpdir;

static void setup(void)
{
    tmpdir = th_tempdir();
}

static void teardown(void)
{
    th_rmrf(tmpdir);
    free(tmpdir);
}

TestSuite(plot, .init = setup, .fini = teardown);

struct reader {
    const struct ie_buf *b;
    size_t pos;
};

static cairo_status_t read_buf(void *closure, unsigned char *data, unsigned int len)
{
    struct reader *r = closure;
    if (r->pos + len > r->b->len)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->b->data + r->pos, len);
    r->pos += len;
    return CAIRO_STATUS_SUCCESS;
}

/* Decodes the PNG, checks its size and that it is not one flat colour. */
static void check_png(const struct ie_buf *b, int w, int h, const char *what)
{
    struct reader rd = {b, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_buf, &rd);
    cr_assert_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS, "%s: PNG does not decode", what);
    cr_expect_eq(cairo_image_surface_get_width(s), w, "%s: width", what);
    cr_expect_eq(cairo_image_surface_get_height(s), h, "%s: height", what);
    cairo_surface_flush(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    double sum = 0, sum2 = 0, n = 0;
    for (int y = 0; y < cairo_image_surface_get_height(s); y += 3)
        for (int x = 0; x < cairo_image_surface_get_width(s); x += 3) {
            uint32_t p = *(const uint32_t *)(px + y * stride + x * 4);
            double v = ((p >> 16 & 255) + (p >> 8 & 255) + (p & 255)) / 3.0;
            sum += v;
            sum2 += v * v;
            n++;
        }
    double var = sum2 / n - (sum / n) * (sum / n);
    cr_expect_gt(var, 1.0, "%s: PNG is blank (variance %g)", what, var);
    cairo_surface_destroy(s);
}

static char *write_tmp(const struct ie_buf *b, const char *name)
{
    char *p = th_path(tmpdir, name);
    th_write(p, b->data, b->len);
    return p;
}

static char *run_capture(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f, "cannot run %s", cmd);
    struct ie_buf out;
    char chunk[4096];
    size_t k;
    ie_buf_init(&out);
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ie_buf_add(&out, chunk, k);
    int st = pclose(f);
    cr_assert_eq(st, 0, "'%s' failed (status %d): %s", cmd, st, out.data ? out.data : "");
    if (!out.data)
        ie_buf_adds(&out, "");
    return ie_buf_detach(&out);
}

static void check_svg(const struct ie_buf *b, const char *what)
{
    char cmd[4096];
    cr_assert_gt(b->len, 100);
    cr_expect(memmem(b->data, b->len, "<svg", 4) != NULL, "%s: no <svg> element", what);
    char *p = write_tmp(b, "plot.svg");
    snprintf(cmd, sizeof(cmd), "xmllint --noout '%s' 2>&1", p);
    free(run_capture(cmd));
    free(p);
}

/* Checks the PDF with pdfinfo and returns its text (pdftotext). */
static char *pdf_text(const struct ie_buf *b, const char *what)
{
    char cmd[4096];
    cr_assert_gt(b->len, 100, "%s", what);
    cr_expect_eq(memcmp(b->data, "%PDF-", 5), 0, "%s: not a PDF", what);
    char *p = write_tmp(b, "plot.pdf");
    snprintf(cmd, sizeof(cmd), "pdfinfo '%s' 2>&1", p);
    char *info = run_capture(cmd);
    cr_expect(strstr(info, "Pages:") != NULL, "%s: pdfinfo says %s", what, info);
    free(info);
    snprintf(cmd, sizeof(cmd), "pdftotext -layout '%s' - 2>&1", p);
    char *text = run_capture(cmd);
    free(p);
    return text;
}

static char *render_pdf_text(const struct ie_record *recs, size_t n, enum ie_plot_type t,
                             struct ie_plot_opts *o)
{
    struct ie_buf b;
    struct ie_err err = {0};
    ie_buf_init(&b);
    o->format = IE_PLOT_PDF;
    cr_assert_eq(ie_plot_render(recs, n, t, o, &b, &err), 0, "%s", err.msg);
    char *text = pdf_text(&b, ie_plot_type_name(t));
    ie_buf_release(&b);
    return text;
}

#define expect_text(text, needle)                                                                  \
    cr_expect(strstr((text), (needle)) != NULL, "expected \"%s\" in:\n%s", (needle), (text))

/* ---- tests ---- */

static void render_all(const struct ie_record *recs, size_t n, const char *what)
{
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    for (int t = 0; t < IE_PLOT_NTYPES; t++)
        for (int f = IE_PLOT_PNG; f <= IE_PLOT_PDF; f++) {
            struct ie_buf b;
            struct ie_err err = {0};
            char label[128];
            snprintf(label, sizeof(label), "%s %s.%s", what,
                     ie_plot_type_name((enum ie_plot_type)t),
                     ie_plot_format_ext((enum ie_plot_format)f));
            ie_buf_init(&b);
            o.format = (enum ie_plot_format)f;
            cr_assert_eq(ie_plot_render(recs, n, (enum ie_plot_type)t, &o, &b, &err), 0, "%s: %s",
                         label, err.msg);
            cr_expect_eq(err.code, 0, "%s: err touched on success", label);
            if (f == IE_PLOT_PNG)
                check_png(&b, 1350, 900, label);
            else if (f == IE_PLOT_SVG)
                check_svg(&b, label);
            else
                free(pdf_text(&b, label));
            ie_buf_release(&b);
        }
}

Test(plot, every_type_in_every_format_for_a_fixture)
{
    struct ie_record *r = make_records(40);
    render_all(r, 40, "fixture");
    free_records(r, 40);
}

Test(plot, every_type_in_every_format_for_an_empty_manifest)
{
    render_all(NULL, 0, "empty");
}

Test(plot, every_type_renders_imgedas_own_manifest)
{
    struct ie_manifest m;
    struct ie_err err = {0};
    char path[4096];
    snprintf(path, sizeof(path), "%s/imgeda_manifests/imgeda_current.jsonl", th_fixtures());
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(path, &m, &err), 0, "%s", err.msg);
    render_all(m.recs, m.n, "imgeda manifest");
    ie_manifest_release(&m);
}

Test(plot, png_size_follows_dpi_and_figure_size)
{
    struct ie_record *r = make_records(10);
    struct ie_plot_opts o;
    struct ie_buf b;
    struct ie_err err = {0};
    ie_plot_opts_init(&o);
    o.dpi = 72;
    o.width_in = 8;
    o.height_in = 5;
    ie_buf_init(&b);
    cr_assert_eq(ie_plot_render(r, 10, IE_PLOT_BRIGHTNESS, &o, &b, &err), 0, "%s", err.msg);
    check_png(&b, 576, 360, "72 dpi");
    ie_buf_reset(&b);
    o.dpi = 300;
    cr_assert_eq(ie_plot_render(r, 10, IE_PLOT_BRIGHTNESS, &o, &b, &err), 0, "%s", err.msg);
    check_png(&b, 2400, 1500, "300 dpi");
    ie_buf_release(&b);
    free_records(r, 10);
}

/* One huge image among small ones: the axes stop near the small ones (they would be piled in a
 * corner otherwise) and the subtitle says one image lies beyond. Before, only a 99.5th
 * percentile far below the maximum trimmed an axis, which never happens in a small scan. */
Test(plot, one_huge_image_does_not_squash_the_dimensions)
{
    struct ie_record *r = make_records(21);
    r[0].width = 16000;
    r[0].height = 9000;
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    char *t = render_pdf_text(r, 21, IE_PLOT_DIMENSIONS, &o);
    expect_text(t, "1 very large image beyond the axes");
    cr_expect(strstr(t, "16,000") == NULL && strstr(t, "8,000") == NULL,
              "no tick near the huge image's width or height: %s", t);
    free(t);
    free_records(r, 21);
}

/* Bytes in decimal units, as the dashboard and imgeda count them: 1.5 MB is 1,500,000 bytes. */
Test(plot, file_sizes_are_in_decimal_units)
{
    struct ie_record *r = make_records(11);
    for (size_t i = 0; i < 11; i++)
        r[i].file_size_bytes = 1500000;
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    char *t = render_pdf_text(r, 11, IE_PLOT_FILE_SIZE, &o);
    expect_text(t, "Median 1.5 MB");
    free(t);
    free_records(r, 11);
}

Test(plot, titles_carry_n_and_what_was_left_out)
{
    struct ie_record *r = make_records(40);
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    char *t = render_pdf_text(r, 40, IE_PLOT_DIMENSIONS, &o);
    expect_text(t, "Image dimensions (n = 39)");
    expect_text(t, "1 corrupt left out");
    expect_text(t, "one dot per image");
    free(t);
    t = render_pdf_text(r, 40, IE_PLOT_FILE_SIZE, &o);
    expect_text(t, "File size (n = 39)");
    expect_text(t, "Median");
    expect_text(t, "P95");
    expect_text(t, "P99");
    free(t);
    t = render_pdf_text(r, 40, IE_PLOT_EXIF_CAMERA, &o);
    expect_text(t, "Camera models (n = 20)");
    expect_text(t, "Canon EOS 5D"); /* the model already names the make: no "Canon Canon" */
    expect_text(t, "NIKON CORPORATION NIKON D750");
    expect_text(t, "19 without this value");
    free(t);
    t = render_pdf_text(r, 40, IE_PLOT_DUPLICATES, &o);
    expect_text(t, "Exact duplicates (n = 40)");
    expect_text(t, "1 (2.5%)"); /* one image beyond the first of its group */
    expect_text(t, "39 (97.5%)");
    free(t);
    free_records(r, 40);
}

Test(plot, thresholds_come_from_the_manifest_settings)
{
    struct ie_record *r = make_records(40);
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    ie_plot_opts_apply_settings(&o, "{\"dark_threshold\": 35.5, \"overexposed_threshold\": 230,"
                                    " \"artifact_threshold\": 42, \"blur_threshold\": 80.0,"
                                    " \"workers\": 8}");
    cr_expect_eq(o.dark_threshold, 35.5);
    cr_expect_eq(o.overexposed_threshold, 230);
    cr_expect_eq(o.artifact_threshold, 42);
    cr_expect_eq(o.blur_threshold, 80);
    char *t = render_pdf_text(r, 40, IE_PLOT_BRIGHTNESS, &o);
    expect_text(t, "Dark (< 35.5)");
    expect_text(t, "Overexposed (> 230)");
    free(t);
    t = render_pdf_text(r, 40, IE_PLOT_ARTIFACTS, &o);
    expect_text(t, "Threshold 42");
    free(t);
    t = render_pdf_text(r, 40, IE_PLOT_BLUR, &o);
    expect_text(t, "Blurry (< 80)");
    free(t);
    free_records(r, 40);
}

Test(plot, bad_settings_leave_the_defaults)
{
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    ie_plot_opts_apply_settings(&o, "{not json");
    ie_plot_opts_apply_settings(&o, NULL);
    ie_plot_opts_apply_settings(&o, "{\"dark_threshold\": \"low\", \"blur_threshold\": null}");
    cr_expect_eq(o.dark_threshold, 40);
    cr_expect_eq(o.overexposed_threshold, 220);
    cr_expect_eq(o.artifact_threshold, 50);
    cr_expect_eq(o.blur_threshold, 100);
}

Test(plot, no_data_panels_say_why)
{
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    char *t = render_pdf_text(NULL, 0, IE_PLOT_DIMENSIONS, &o);
    expect_text(t, "Image dimensions (n = 0)");
    expect_text(t, "No image dimensions to show");
    expect_text(t, "the manifest has no records");
    free(t);

    struct ie_record *r = make_records(6);
    for (size_t i = 0; i < 6; i++) {
        r[i].has_iso_speed = false;
        r[i].has_focal_length_35mm = false;
        free(r[i].camera_model);
        r[i].camera_model = NULL;
    }
    t = render_pdf_text(r, 6, IE_PLOT_EXIF_ISO, &o);
    expect_text(t, "No ISO values to show");
    expect_text(t, "none of the 5 readable images has an EXIF ISO speed");
    free(t);
    t = render_pdf_text(r, 6, IE_PLOT_EXIF_CAMERA, &o);
    expect_text(t, "No camera models to show");
    free(t);
    for (size_t i = 0; i < 6; i++)
        r[i].is_corrupt = true;
    t = render_pdf_text(r, 6, IE_PLOT_BLUR, &o);
    expect_text(t, "all 6 records are corrupt");
    free(t);
    free_records(r, 6);
}

Test(plot, many_points_become_a_density)
{
    struct ie_record *r = make_records(6001);
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    char *t = render_pdf_text(r, 6001, IE_PLOT_DIMENSIONS, &o);
    expect_text(t, "colour = images per hexagon");
    expect_text(t, "images"); /* the colour bar's label */
    free(t);
    free_records(r, 6001);
}

Test(plot, sampling_is_seeded_and_said)
{
    struct ie_record *r = make_records(200);
    struct ie_plot_opts o;
    struct ie_buf a, b;
    struct ie_err err = {0};
    ie_plot_opts_init(&o);
    o.sample = 50;
    ie_buf_init(&a);
    ie_buf_init(&b);
    cr_assert_eq(ie_plot_render(r, 200, IE_PLOT_DIMENSIONS, &o, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_plot_render(r, 200, IE_PLOT_DIMENSIONS, &o, &b, &err), 0, "%s", err.msg);
    cr_expect(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
              "the same seed must draw the same sample");
    ie_buf_reset(&b);
    o.seed = 7;
    cr_assert_eq(ie_plot_render(r, 200, IE_PLOT_DIMENSIONS, &o, &b, &err), 0, "%s", err.msg);
    cr_expect(a.len != b.len || memcmp(a.data, b.data, a.len) != 0,
              "another seed should draw another sample");
    o.seed = 42;
    char *t = render_pdf_text(r, 200, IE_PLOT_DIMENSIONS, &o);
    expect_text(t, "Image dimensions (n = 50)");
    expect_text(t, "random sample of 50 of 199 images (seed 42)");
    free(t);
    ie_buf_release(&a);
    ie_buf_release(&b);
    free_records(r, 200);
}

Test(plot, long_labels_are_cut_not_clipped)
{
    struct ie_record *r = make_records(4);
    free(r[0].camera_model);
    r[0].camera_model = sdup("A camera model name so long that it could never fit beside the "
                             "bars of this chart without being shortened somewhere");
    struct ie_plot_opts o;
    ie_plot_opts_init(&o);
    char *t = render_pdf_text(r, 4, IE_PLOT_EXIF_CAMERA, &o);
    expect_text(t, "\xe2\x80\xa6"); /* the ellipsis */
    cr_expect(strstr(t, "shortened somewhere") == NULL, "the long label was not cut:\n%s", t);
    free(t);
    free_records(r, 4);
}

Test(plot, names_and_formats_parse)
{
    cr_expect_eq(ie_plot_type_parse("file-size"), IE_PLOT_FILE_SIZE);
    cr_expect_eq(ie_plot_type_parse("file_size"), IE_PLOT_FILE_SIZE);
    cr_expect_eq(ie_plot_type_parse("EXIF-ISO"), IE_PLOT_EXIF_ISO);
    cr_expect_eq(ie_plot_type_parse("exif_focal_length"), IE_PLOT_EXIF_FOCAL);
    cr_expect_eq(ie_plot_type_parse("nope"), -1);
    cr_expect_eq(ie_plot_type_parse("all"), -1);
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        cr_expect_eq(ie_plot_type_parse(ie_plot_type_name((enum ie_plot_type)t)), t);
        cr_expect_eq(ie_plot_type_parse(ie_plot_type_file_stem((enum ie_plot_type)t)), t);
    }
    cr_expect_str_eq(ie_plot_type_file_stem(IE_PLOT_EXIF_FOCAL), "exif_focal_length");
    cr_expect_eq(ie_plot_format_parse("SVG"), IE_PLOT_SVG);
    cr_expect_eq(ie_plot_format_parse("jpeg"), -1);
    cr_expect_str_eq(ie_plot_format_ext(IE_PLOT_PDF), "pdf");
}

Test(plot, bad_options_fail_with_a_message_and_leave_the_output)
{
    struct ie_plot_opts o;
    struct ie_buf b;
    struct ie_err err = {0};
    ie_plot_opts_init(&o);
    ie_buf_init(&b);
    ie_buf_adds(&b, "keep");
    o.dpi = 5;
    cr_expect_eq(ie_plot_render(NULL, 0, IE_PLOT_BLUR, &o, &b, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "dpi") != NULL, "%s", err.msg);
    o.dpi = 1200;
    o.width_in = 100;
    o.height_in = 100;
    cr_expect_eq(ie_plot_render(NULL, 0, IE_PLOT_BLUR, &o, &b, &err), IE_ELIMIT);
    cr_expect(strstr(err.msg, "pixels") != NULL, "%s", err.msg);
    ie_plot_opts_init(&o);
    cr_expect_eq(ie_plot_render(NULL, 0, (enum ie_plot_type)99, &o, &b, &err), IE_EINVAL);
    cr_expect_eq(b.len, 4);
    cr_expect_str_eq(b.data, "keep");
    ie_buf_release(&b);
}

Test(plot, render_file_writes_the_file)
{
    struct ie_record *r = make_records(8);
    struct ie_plot_opts o;
    struct ie_err err = {0};
    char *p = th_path(tmpdir, "blur.svg");
    ie_plot_opts_init(&o);
    o.format = IE_PLOT_SVG;
    cr_assert_eq(ie_plot_render_file(r, 8, IE_PLOT_BLUR, &o, p, &err), 0, "%s", err.msg);
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(ie_read_file(p, 1 << 24, &data, &len, &err), 0, "%s", err.msg);
    cr_expect(strstr(data, "<svg") != NULL);
    free(data);
    free(p);
    p = th_path(tmpdir, "no/such/dir/blur.svg");
    cr_expect_lt(ie_plot_render_file(r, 8, IE_PLOT_BLUR, &o, p, &err), 0);
    cr_expect_neq(err.msg[0], '\0');
    free(p);
    free_records(r, 8);
}
