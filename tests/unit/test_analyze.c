/* Analysing one image from real bytes encoded by libvips: metadata, modes, working image,
 * corruption handling and the pixel limit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

#include "helpers.h"
#include "imgeda/analyze.h"
#include "imgeda/util.h"

static void setup(void)
{
    struct ie_err err = {0};
    cr_assert_eq(ie_init("test_analyze", &err), 0, "%s", err.msg);
}

TestSuite(analyze, .init = setup);

/* A w x h image with `bands` bands of constant value v (uchar, or ushort when wide). */
static VipsImage *constant(int w, int h, int bands, double v, bool wide)
{
    VipsImage *black, *lin, *cast;
    double a[4] = {1, 1, 1, 1}, b[4] = {v, v, v, v};
    cr_assert_eq(vips_black(&black, w, h, "bands", bands, NULL), 0);
    cr_assert_eq(vips_linear(black, &lin, a, b, bands, NULL), 0);
    cr_assert_eq(vips_cast(lin, &cast, wide ? VIPS_FORMAT_USHORT : VIPS_FORMAT_UCHAR, NULL), 0);
    g_object_unref(black);
    g_object_unref(lin);
    return cast;
}

static void *encode(VipsImage *im, const char *suffix, size_t *len)
{
    void *buf = NULL;
    cr_assert_eq(vips_image_write_to_buffer(im, suffix, &buf, len, NULL), 0, "%s",
                 vips_error_buffer());
    return buf;
}

static void analyse(const void *buf, size_t len, struct ie_record *r)
{
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    ie_record_init(r);
    ie_analyze_buffer(buf, len, &o, r);
}

Test(analyze, rgb_png_metadata_and_statistics)
{
    VipsImage *im = constant(300, 200, 3, 100, false);
    size_t len;
    void *buf = encode(im, ".png", &len);
    struct ie_record r;
    analyse(buf, len, &r);
    cr_expect(!r.is_corrupt, "%s", r.error ? r.error : "");
    cr_expect_eq(r.width, 300);
    cr_expect_eq(r.height, 200);
    cr_expect_str_eq(r.format, "PNG");
    cr_expect_str_eq(r.color_mode, "RGB");
    cr_expect_eq(r.num_channels, 3);
    cr_expect_eq(r.bit_depth, 8);
    cr_expect_eq(r.num_frames, 1);
    cr_expect_float_eq(r.aspect_ratio, 1.5, 1e-12);
    cr_expect(r.has_pixel_stats && r.pixel_stats.mean_brightness == 100.0);
    cr_expect(r.has_blur_score && r.blur_score == 0.0 && r.is_blurry);
    cr_expect(r.has_phash && r.has_dhash);
    cr_expect_eq(strncmp(r.content_hash, "xxh3_128:", 9), 0);
    cr_expect_eq(strlen(r.content_hash), 9 + 32);
    cr_expect_null(r.error);
    ie_record_release(&r);
    g_free(buf);
    g_object_unref(im);
}

Test(analyze, large_grey_jpeg_is_resized_and_keeps_stored_size)
{
    VipsImage *im = constant(5000, 1000, 1, 30, false);
    size_t len;
    void *buf = encode(im, ".jpg", &len);
    struct ie_record r;
    analyse(buf, len, &r);
    cr_expect(!r.is_corrupt);
    cr_expect_eq(r.width, 5000, "width as stored, not the working size");
    cr_expect_eq(r.height, 1000);
    cr_expect_str_eq(r.color_mode, "L");
    cr_expect_eq(r.num_channels, 1);
    cr_expect(r.is_dark, "mean %f", r.pixel_stats.mean_brightness);
    cr_expect_float_eq(r.pixel_stats.mean_brightness, 30.0, 0.5);
    cr_expect_float_eq(r.aspect_ratio, 5.0, 1e-12);
    ie_record_release(&r);
    g_free(buf);
    g_object_unref(im);
}

Test(analyze, sixteen_bit_grey_is_scaled_not_clipped)
{
    VipsImage *raw = constant(64, 64, 1, 32768, true), *im;
    cr_assert_eq(vips_copy(raw, &im, "interpretation", VIPS_INTERPRETATION_GREY16, NULL), 0);
    g_object_unref(raw);
    size_t len;
    void *buf = encode(im, ".png", &len);
    struct ie_record r;
    analyse(buf, len, &r);
    cr_expect(!r.is_corrupt);
    cr_expect_str_eq(r.color_mode, "I;16");
    cr_expect_eq(r.bit_depth, 16);
    cr_expect_float_eq(r.pixel_stats.mean_brightness, 128.0, 1e-9);
    cr_expect(!r.is_overexposed, "imgeda clips 16-bit samples at 255; we scale them");
    ie_record_release(&r);
    g_free(buf);
    g_object_unref(im);
}

Test(analyze, cmyk_jpeg_uses_pillows_conversion)
{
    VipsImage *im = constant(32, 32, 4, 0, false), *cmyk;
    cr_assert_eq(vips_copy(im, &cmyk, "interpretation", VIPS_INTERPRETATION_CMYK, NULL), 0);
    size_t len;
    void *buf = encode(cmyk, ".jpg", &len);
    struct ie_record r;
    analyse(buf, len, &r);
    cr_expect(!r.is_corrupt, "%s", r.error ? r.error : "");
    cr_expect_str_eq(r.color_mode, "CMYK");
    cr_expect_eq(r.num_channels, 4);
    /* No ink at all is white. */
    cr_expect_float_eq(r.pixel_stats.mean_brightness, 255.0, 1.0);
    ie_record_release(&r);
    g_free(buf);
    g_object_unref(cmyk);
    g_object_unref(im);
}

Test(analyze, rgba_png_drops_alpha)
{
    VipsImage *im = constant(16, 16, 4, 200, false);
    size_t len;
    void *buf = encode(im, ".png", &len);
    struct ie_record r;
    analyse(buf, len, &r);
    cr_expect_str_eq(r.color_mode, "RGBA");
    cr_expect_eq(r.num_channels, 4);
    cr_expect_float_eq(r.pixel_stats.mean_r, 200.0, 1e-9);
    ie_record_release(&r);
    g_free(buf);
    g_object_unref(im);
}

Test(analyze, empty_random_and_truncated_files_are_corrupt_records)
{
    struct ie_record r;
    analyse("", 0, &r);
    cr_expect(r.is_corrupt);
    cr_expect_str_eq(r.error, "empty file");
    cr_expect_not_null(r.content_hash);
    ie_record_release(&r);

    unsigned char noise[4096];
    srand(7);
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (unsigned char)rand();
    analyse(noise, sizeof(noise), &r);
    cr_expect(r.is_corrupt);
    cr_expect_str_eq(r.error, "not a recognised image format");
    ie_record_release(&r);

    VipsImage *im = constant(400, 300, 3, 90, false), *noisy;
    cr_assert_eq(vips_gaussnoise(&noisy, 400, 300, "mean", 128.0, "sigma", 40.0, NULL), 0);
    size_t len;
    void *buf = encode(noisy, ".jpg", &len);
    analyse(buf, len / 2, &r);
    cr_expect(r.is_corrupt, "a JPEG cut in half is corrupt");
    cr_expect_not_null(r.error);
    cr_expect_eq(r.width, 0);
    cr_expect(!r.has_phash);
    cr_expect(!r.has_pixel_stats);
    ie_record_release(&r);
    g_free(buf);
    g_object_unref(noisy);
    g_object_unref(im);
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A PNG declaring w x h with no image data: signature, IHDR (8-bit RGB), IEND. */
static void bomb_png(unsigned char png[8 + 25 + 12], uint32_t w, uint32_t h)
{
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    unsigned char *ihdr = png + 8;
    be32(ihdr, 13);
    memcpy(ihdr + 4, "IHDR", 4);
    be32(ihdr + 8, w);
    be32(ihdr + 12, h);
    ihdr[16] = 8;
    ihdr[17] = 2;
    ihdr[18] = ihdr[19] = ihdr[20] = 0;
    be32(ihdr + 21, crc32_of(ihdr + 4, 17));
    unsigned char *iend = ihdr + 25;
    be32(iend, 0);
    memcpy(iend + 4, "IEND", 4);
    be32(iend + 8, crc32_of(iend + 4, 4));
}

Test(analyze, decompression_bomb_is_refused_before_decoding)
{
    /* 20000 x 20000: 400 M pixels. */
    unsigned char png[8 + 25 + 12];
    bomb_png(png, 20000, 20000);
    struct ie_record r;
    double t0 = ie_mono_seconds();
    analyse(png, sizeof(png), &r);
    cr_expect_lt(ie_mono_seconds() - t0, 1.0, "no pixel may be decoded");
    cr_expect(r.is_corrupt);
    cr_assert_not_null(r.error);
    cr_expect(strstr(r.error, "exceeds pixel limit") != NULL, "%s", r.error);
    cr_expect_str_eq(r.format, "PNG");
    ie_record_release(&r);
}

Test(analyze, header_dimensions_whose_product_overflows_are_refused)
{
    /* Found by the analyze_buffer fuzzer: 2163532072 x 4269735936 (both past 2^31) multiplied
     * past INT64_MAX in the pixel-limit check, undefined behaviour that UBSan stops on. */
    unsigned char png[8 + 25 + 12];
    bomb_png(png, 0x80f4e128u, 0xfe7f0000u);
    struct ie_record r;
    analyse(png, sizeof(png), &r);
    cr_expect(r.is_corrupt);
    cr_assert_not_null(r.error);
    cr_expect(strstr(r.error, "exceeds pixel limit: 2163532072x4269735936") != NULL, "%s", r.error);
    ie_record_release(&r);
}

Test(analyze, options_extensions_and_settings)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    ie_scan_options_init(&o);
    cr_expect(ie_scan_options_match_ext(&o, "A.JPG"));
    cr_expect(!ie_scan_options_match_ext(&o, "a.txt"));
    cr_assert_eq(ie_scan_options_set_extensions(&o, " .PNG, webp ,", &err), 0);
    cr_expect_eq(o.n_extensions, 2);
    cr_expect_str_eq(o.extensions[0], ".png");
    cr_expect(!ie_scan_options_match_ext(&o, "a.jpg"));
    cr_expect_eq(ie_scan_options_set_extensions(&o, " , ", &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "no extensions") != NULL);

    char *a = ie_scan_options_settings_json(&o);
    o.workers = 99;
    o.force = true;
    char *b = ie_scan_options_settings_json(&o);
    cr_expect(ie_settings_same_analysis(a, b), "workers and force do not change values");
    o.dark_threshold = 41;
    char *c = ie_scan_options_settings_json(&o);
    cr_expect(!ie_settings_same_analysis(a, c));
    cr_expect(!ie_settings_same_analysis(a, "{\"workers\":8}"), "imgeda's settings differ");
    cr_expect(!ie_settings_same_analysis(a, "garbage"));
    free(a);
    free(b);
    free(c);
}

Test(analyze, file_errors_become_records)
{
    struct ie_scan_options o;
    struct ie_record r;
    ie_scan_options_init(&o);
    ie_record_init(&r);
    ie_analyze_file("/nonexistent/x.jpg", "/nonexistent/x.jpg", &o, &r);
    cr_expect(r.is_corrupt);
    cr_expect_str_eq(r.filename, "x.jpg");
    cr_expect_str_eq(r.error, "cannot stat file: No such file or directory");
    cr_expect_eq(r.file_size_bytes, 0);
    cr_expect_not_null(r.analyzed_at);
    ie_record_release(&r);
}

/* A FIFO named like an image is never opened for reading (it would block the worker); its size
 * and mtime are still recorded so a resume keeps the verdict. An oversized file is not read. */
Test(analyze, special_and_oversized_files_keep_their_status)
{
    char *d = th_tempdir();
    char *fifo = th_path(d, "pipe.jpg");
    char *big = th_path(d, "big.jpg");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    FILE *f = fopen(big, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite("0123456789", 1, 10, f), 10);
    fclose(f);
    struct ie_scan_options o;
    struct ie_record r;
    ie_scan_options_init(&o);
    ie_record_init(&r);
    ie_analyze_file(fifo, "pipe.jpg", &o, &r);
    cr_assert(r.is_corrupt);
    cr_expect(strstr(r.error, "is not a regular file") != NULL, "%s", r.error);
    cr_expect_gt(r.mtime, 0);
    ie_record_release(&r);
    o.max_file_bytes = 4;
    ie_record_init(&r);
    ie_analyze_file(big, "big.jpg", &o, &r);
    cr_assert(r.is_corrupt);
    cr_expect_str_eq(r.error, "file too large");
    cr_expect_eq(r.file_size_bytes, 10);
    cr_expect_gt(r.mtime, 0);
    cr_expect_null(r.content_hash);
    ie_record_release(&r);
    th_rmrf(d);
    free(fifo);
    free(big);
    free(d);
}

/* Confined (the daemon), a file whose real path lies outside the allowed roots is refused
 * without reading anything of it: no size, no mtime, no hash. */
Test(analyze, confined_file_outside_the_allowed_roots_is_refused_unread)
{
    char *d = th_tempdir();
    char *link = th_path(d, "passwd.jpg");
    cr_assert_eq(symlink("/etc/passwd", link), 0);
    const char *roots[] = {d};
    struct ie_confine c;
    struct ie_scan_options o;
    struct ie_record r;
    ie_confine_init(&c, roots, 1);
    ie_scan_options_init(&o);
    o.confine = &c;
    ie_record_init(&r);
    ie_analyze_file(link, "passwd.jpg", &o, &r);
    cr_assert(r.is_corrupt);
    cr_expect_str_eq(r.error, "refused: the file resolves outside the allowed roots");
    cr_expect_eq(r.file_size_bytes, 0);
    cr_expect_null(r.content_hash);
    ie_record_release(&r);
    ie_confine_release(&c);
    th_rmrf(d);
    free(link);
    free(d);
}
