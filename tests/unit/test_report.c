/* Reports (SPEC §5): a manifest of real images (analysed here, with UTF-8 file names, a missing
 * file, a corrupt file and a duplicate) gives a PDF that pdfinfo accepts, whose text (pdftotext)
 * holds the totals, tables, gate verdict and page numbers, with thumbnails and plots embedded;
 * and a single-file HTML page with the same content, images inline as data: URIs. */
#include <cairo.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "helpers.h"
#include "imgeda/analyze.h"
#include "imgeda/manifest.h"
#include "imgeda/report.h"
#include "imgeda/util.h"

#define DARK_NAME "nuit_\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1_\xd0\x9f\xd1\x80\xd0\xb8.png"

static char *dir;
static struct ie_manifest man;

/* A w x h RGB image of constant colour (r, g, b) with a little gradient so it is not flat. */
static void write_image(const char *name, int w, int h, double r, double g, double b)
{
    VipsImage *x, *lin, *cast, *rgb;
    double a[3] = {0.05, 0.05, 0.05}, c[3] = {r, g, b};
    char *p = th_path(dir, name);
    cr_assert_eq(vips_xyz(&x, w, h, NULL), 0);
    VipsImage *band;
    cr_assert_eq(vips_extract_band(x, &band, 0, NULL), 0);
    cr_assert_eq(vips_bandjoin_const1(band, &rgb, 0, NULL), 0);
    VipsImage *three;
    cr_assert_eq(vips_bandjoin_const1(rgb, &three, 0, NULL), 0);
    cr_assert_eq(vips_linear(three, &lin, a, c, 3, NULL), 0);
    cr_assert_eq(vips_cast(lin, &cast, VIPS_FORMAT_UCHAR, NULL), 0);
    cr_assert_eq(vips_image_write_to_file(cast, p, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(x);
    g_object_unref(band);
    g_object_unref(rgb);
    g_object_unref(three);
    g_object_unref(lin);
    g_object_unref(cast);
    free(p);
}

static void analyse(const char *name, const char *record_path, struct ie_buf *lines)
{
    struct ie_scan_options o;
    struct ie_record r;
    char *p = th_path(dir, name);
    ie_scan_options_init(&o);
    ie_record_init(&r);
    ie_analyze_file(p, record_path ? record_path : p, &o, &r);
    char *json = ie_record_to_json(&r);
    ie_buf_adds(lines, json);
    ie_buf_addc(lines, '\n');
    free(json);
    ie_record_release(&r);
    free(p);
}

static void setup(void)
{
    struct ie_err err = {0};
    struct ie_buf lines;
    cr_assert_eq(ie_init("test_report", &err), 0, "%s", err.msg);
    dir = th_tempdir();
    write_image(DARK_NAME, 320, 240, 8, 8, 10);
    write_image("bright.jpg", 300, 200, 240, 240, 236);
    write_image("normal.png", 400, 300, 90, 120, 150);
    write_image("normal_copy.png", 400, 300, 90, 120, 150);
    write_image("gone.png", 200, 200, 8, 8, 8);
    char *broken = th_path(dir, "broken.jpg");
    th_write(broken, "\xff\xd8\xff\xe0 not a jpeg", 15);
    free(broken);

    ie_buf_init(&lines);
    char *settings = NULL;
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    settings = ie_scan_options_settings_json(&o);
    char *header = ie_manifest_header_json(dir, settings, 6, "2025-06-01T10:00:00.000000+00:00");
    ie_buf_adds(&lines, header);
    ie_buf_addc(&lines, '\n');
    free(header);
    free(settings);
    /* The dark image is recorded with a path relative to the scan root (a scan of "."), so
     * the report must find it under the header's input_dir. */
    analyse(DARK_NAME, "./" DARK_NAME, &lines);
    analyse("bright.jpg", NULL, &lines);
    analyse("normal.png", NULL, &lines);
    analyse("normal_copy.png", NULL, &lines);
    analyse("gone.png", NULL, &lines);
    analyse("broken.jpg", NULL, &lines);
    char *gone = th_path(dir, "gone.png");
    cr_assert_eq(unlink(gone), 0);
    free(gone);
    char *mp = th_path(dir, "m.jsonl");
    th_write(mp, lines.data, lines.len);
    ie_buf_release(&lines);
    ie_manifest_init(&man);
    cr_assert_eq(ie_manifest_load(mp, &man, &err), 0, "%s", err.msg);
    cr_assert_eq(man.n, 6);
    free(mp);
}

static void teardown(void)
{
    ie_manifest_release(&man);
    th_rmrf(dir);
    free(dir);
}

TestSuite(report, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static char *run_capture(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    struct ie_buf out;
    char chunk[4096];
    size_t k;
    cr_assert_not_null(f, "cannot run %s", cmd);
    ie_buf_init(&out);
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ie_buf_add(&out, chunk, k);
    int st = pclose(f);
    if (!out.data)
        ie_buf_adds(&out, "");
    cr_assert_eq(st, 0, "'%s' failed (status %d): %s", cmd, st, out.data);
    return ie_buf_detach(&out);
}

static char *render(const struct ie_report_opts *o, struct ie_buf *b)
{
    struct ie_err err = {0};
    ie_buf_init(b);
    cr_assert_eq(ie_report_render(&man, o, b, &err), 0, "%s", err.msg);
    cr_expect_eq(err.code, 0, "err touched on success");
    char *p = th_path(dir, o->format == IE_REPORT_PDF ? "r.pdf" : "r.html");
    th_write(p, b->data, b->len);
    return p;
}

#define expect_text(text, needle)                                                                  \
    cr_expect(strstr((text), (needle)) != NULL, "expected \"%s\" in:\n%.4000s", (needle), (text))

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static cJSON *failed_gate(void)
{
    return cJSON_Parse("{\"passed\": false, \"total_images\": 6, \"checks\": ["
                       "{\"name\": \"min_images_total\", \"threshold\": 100, \"observed\": 6.0, "
                       "\"passed\": false, \"sample_paths\": []},"
                       "{\"name\": \"max_corrupt_pct\", \"threshold\": 50.0, \"observed\": 16.67, "
                       "\"passed\": true, \"sample_paths\": []}]}");
}

/* ---- PDF ---- */

Test(report, pdf_has_totals_tables_flagged_images_plots_and_page_numbers)
{
    struct ie_report_opts o;
    struct ie_buf b;
    char cmd[4096];
    ie_report_opts_init(&o);
    o.format = IE_REPORT_PDF;
    o.manifest_path = "m.jsonl";
    char *p = render(&o, &b);
    cr_expect_eq(memcmp(b.data, "%PDF-", 5), 0);

    snprintf(cmd, sizeof(cmd), "pdfinfo '%s' 2>&1", p);
    char *info = run_capture(cmd);
    expect_text(info, "Title:           imgeda report");
    int pages = 0;
    const char *pg = strstr(info, "Pages:");
    cr_assert_not_null(pg, "%s", info);
    sscanf(pg, "Pages: %d", &pages);
    cr_expect_geq(pages, 5, "%d pages", pages);
    free(info);

    /* 2>&1: poppler must not complain about the fonts' ToUnicode maps. */
    snprintf(cmd, sizeof(cmd), "pdftotext '%s' - 2>&1", p);
    char *text = run_capture(cmd);
    cr_expect(strstr(text, "Syntax Warning") == NULL && strstr(text, "Syntax Error") == NULL,
              "poppler warns:\n%.2000s", text);
    expect_text(text, "imgeda report");
    expect_text(text, dir); /* the dataset root */
    expect_text(text, "Total images");
    expect_text(text, "Summary");
    expect_text(text, "Checks");
    expect_text(text, "Flagged images");
    expect_text(text, "Dark images");
    expect_text(text, "Overexposed images");
    expect_text(text, "Exact duplicates");
    expect_text(text, "Contents");
    expect_text(text, "Page 1 of");
    expect_text(text, "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1"); /* Ωμέγα, a UTF-8 name */
    expect_text(text, "\xd0\x9f\xd1\x80\xd0\xb8");                 /* При */
    expect_text(text, "file not found");                           /* gone.png's placeholder */
    expect_text(text, "corrupt");                                  /* broken.jpg */
    expect_text(text, "1 (16.7%)");                                /* one corrupt of six */
    free(text);

    /* Thumbnails as JPEG, the 11 plots as PNG (stored as flate images). */
    snprintf(cmd, sizeof(cmd), "pdfimages -list '%s' 2>&1", p);
    char *imgs = run_capture(cmd);
    cr_expect_geq(count(imgs, " jpeg "), 3, "thumbnails:\n%s", imgs);
    cr_expect_geq(count(imgs, " image "), 14, "images:\n%s", imgs);
    free(imgs);
    ie_buf_release(&b);
    free(p);
}

Test(report, pdf_shows_the_gate_verdict)
{
    struct ie_report_opts o;
    struct ie_buf b;
    char cmd[4096];
    cJSON *g = failed_gate();
    ie_report_opts_init(&o);
    o.plot_dpi = 50; /* plots are not looked at here: keep the test quick */
    o.format = IE_REPORT_PDF;
    o.gate = g;
    o.policy_name = "policy.yaml";
    char *p = render(&o, &b);
    snprintf(cmd, sizeof(cmd), "pdftotext '%s' - 2>&1", p);
    char *text = run_capture(cmd);
    expect_text(text, "Gate failed: 1 of 2 checks");
    expect_text(text, "policy.yaml");
    expect_text(text, "min_images_total");
    expect_text(text, "FAIL");
    expect_text(text, "16.67");
    free(text);
    ie_buf_release(&b);
    free(p);
    cJSON_Delete(g);
}

Test(report, empty_manifest_gives_a_short_report)
{
    struct ie_manifest empty;
    struct ie_report_opts o;
    struct ie_buf b;
    struct ie_err err = {0};
    char cmd[4096];
    ie_manifest_init(&empty);
    ie_report_opts_init(&o);
    o.plot_dpi = 50;
    o.format = IE_REPORT_PDF;
    ie_buf_init(&b);
    cr_assert_eq(ie_report_render(&empty, &o, &b, &err), 0, "%s", err.msg);
    char *p = th_path(dir, "empty.pdf");
    th_write(p, b.data, b.len);
    snprintf(cmd, sizeof(cmd), "pdftotext '%s' - 2>&1", p);
    char *text = run_capture(cmd);
    expect_text(text, "This manifest has no records.");
    expect_text(text, "Total images");
    free(text);
    ie_buf_reset(&b);
    o.format = IE_REPORT_HTML;
    cr_assert_eq(ie_report_render(&empty, &o, &b, &err), 0, "%s", err.msg);
    expect_text(b.data, "This manifest has no records.");
    ie_buf_release(&b);
    ie_manifest_release(&empty);
    free(p);
}

/* ---- HTML ---- */

static size_t b64_decode(const char *s, size_t n, unsigned char *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *c = strchr(tbl, s[i]);
        cr_assert(c && s[i], "bad base64 character 0x%02x", (unsigned char)s[i]);
        v = v << 6 | (unsigned)(c - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits & 0xff);
        }
    }
    return o;
}

struct mem {
    const unsigned char *p;
    size_t n, pos;
};

static cairo_status_t read_mem(void *closure, unsigned char *data, unsigned int len)
{
    struct mem *m = closure;
    if (m->pos + len > m->n)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, m->p + m->pos, len);
    m->pos += len;
    return CAIRO_STATUS_SUCCESS;
}

Test(report, html_is_one_self_contained_file)
{
    struct ie_report_opts o;
    struct ie_buf b;
    cJSON *g = failed_gate();
    ie_report_opts_init(&o);
    o.gate = g;
    char *p = render(&o, &b);
    const char *h = b.data;
    cr_expect_eq(strncmp(h, "<!DOCTYPE html>", 15), 0);
    expect_text(h, "<meta charset=\"utf-8\">");
    expect_text(h, "<style>");
    expect_text(h, "</html>\n");
    /* Nothing outside the file. */
    cr_expect(strstr(h, "<link") == NULL && strstr(h, "<script") == NULL);
    cr_expect(strstr(h, "src=\"http") == NULL && strstr(h, "url(") == NULL);
    cr_expect_eq(count(h, "data:image/png;base64,"), 11, "one PNG per plot");
    cr_expect_geq(count(h, "data:image/jpeg;base64,"), 3, "thumbnails");
    /* The same content as the PDF. */
    expect_text(h, "Total images");
    expect_text(h, "Gate failed: 1 of 2 checks failed");
    expect_text(h, "min_images_total");
    expect_text(h, "file not found");
    expect_text(h, "VipsJpeg"); /* broken.jpg's error as the reason */
    /* The relative path was found under input_dir: its thumbnail is an <img>. */
    expect_text(h, "alt=\"" DARK_NAME "\" src=\"data:image/jpeg;base64,");

    /* The first plot decodes as a PNG of the size the img tag states. */
    const char *s = strstr(h, "data:image/png;base64,");
    cr_assert_not_null(s);
    s += strlen("data:image/png;base64,");
    size_t n = strcspn(s, "\"");
    unsigned char *png = ie_xmalloc(n);
    size_t len = b64_decode(s, n, png);
    struct mem m = {png, len, 0};
    cairo_surface_t *surf = cairo_image_surface_create_from_png_stream(read_mem, &m);
    cr_assert_eq(cairo_surface_status(surf), CAIRO_STATUS_SUCCESS);
    cr_expect_eq(cairo_image_surface_get_width(surf), 1200);
    cr_expect_eq(cairo_image_surface_get_height(surf), 750);
    expect_text(h, "width=\"1200\" height=\"750\"");
    cairo_surface_destroy(surf);
    free(png);
    ie_buf_release(&b);
    free(p);
    cJSON_Delete(g);
}

Test(report, html_escapes_what_it_shows)
{
    struct ie_report_opts o;
    struct ie_buf b;
    ie_report_opts_init(&o);
    o.plot_dpi = 50;
    o.manifest_path = "<script>alert(1)</script>&.jsonl";
    char *p = render(&o, &b);
    cr_expect(strstr(b.data, "<script>") == NULL);
    expect_text(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;.jsonl");
    ie_buf_release(&b);
    free(p);
}

Test(report, without_thumbnails_no_file_is_opened)
{
    struct ie_report_opts o;
    struct ie_buf b;
    ie_report_opts_init(&o);
    o.plot_dpi = 50;
    o.thumbnails = false;
    o.top_n = 2;
    char *p = render(&o, &b);
    cr_expect_eq(count(b.data, "data:image/jpeg;base64,"), 0);
    expect_text(b.data, "no preview");
    ie_buf_release(&b);
    free(p);
}

/* ---- API ---- */

Test(report, format_follows_the_file_name)
{
    cr_expect_eq(ie_report_format_from_path("out/report.pdf"), IE_REPORT_PDF);
    cr_expect_eq(ie_report_format_from_path("REPORT.PDF"), IE_REPORT_PDF);
    cr_expect_eq(ie_report_format_from_path("r.html"), IE_REPORT_HTML);
    cr_expect_eq(ie_report_format_from_path("r.htm"), IE_REPORT_HTML);
    cr_expect_eq(ie_report_format_from_path("r.txt"), -1);
    cr_expect_eq(ie_report_format_from_path("dir.pdf/report"), -1);
    cr_expect_eq(ie_report_format_from_path("report"), -1);
}

Test(report, bad_options_fail_with_a_message)
{
    struct ie_report_opts o;
    struct ie_buf b;
    struct ie_err err = {0};
    ie_report_opts_init(&o);
    ie_buf_init(&b);
    o.thumb_px = 8;
    cr_expect_eq(ie_report_render(&man, &o, &b, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "thumbnail") != NULL, "%s", err.msg);
    ie_report_opts_init(&o);
    o.top_n = IE_REPORT_MAX_TOP + 1;
    cr_expect_eq(ie_report_render(&man, &o, &b, &err), IE_EINVAL);
    cr_expect_eq(b.len, 0);
    ie_buf_release(&b);
}

Test(report, write_puts_the_report_in_a_file)
{
    struct ie_report_opts o;
    struct ie_err err = {0};
    ie_report_opts_init(&o);
    o.plot_dpi = 50;
    o.format = IE_REPORT_PDF;
    o.top_n = 1;
    char *p = th_path(dir, "out.pdf");
    cr_assert_eq(ie_report_write(&man, &o, p, &err), 0, "%s", err.msg);
    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(ie_read_file(p, 64 << 20, &data, &len, &err), 0, "%s", err.msg);
    cr_expect_eq(memcmp(data, "%PDF-", 5), 0);
    free(data);
    free(p);
}
