/* Pixel, corner and blur statistics and the perceptual hashes, on rasters whose answers can be
 * worked out by hand (numpy semantics of imgeda's detector.py). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/analyze.h"

static struct ie_rgb make(int w, int h)
{
    struct ie_rgb img = {w, h, calloc((size_t)w * h * 3, 1)};
    return img;
}

static void put(struct ie_rgb *img, int x, int y, int r, int g, int b)
{
    uint8_t *p = img->px + ((size_t)y * img->w + x) * 3;
    p[0] = (uint8_t)r;
    p[1] = (uint8_t)g;
    p[2] = (uint8_t)b;
}

Test(stats, pixel_stats_of_two_pixels)
{
    struct ie_rgb img = make(2, 1);
    struct ie_pixel_stats ps;
    put(&img, 0, 0, 10, 20, 30);
    put(&img, 1, 0, 30, 20, 250);
    ie_compute_pixel_stats(&img, &ps);
    cr_expect_float_eq(ps.mean_r, 20.0, 1e-12);
    cr_expect_float_eq(ps.mean_g, 20.0, 1e-12);
    cr_expect_float_eq(ps.mean_b, 140.0, 1e-12);
    cr_expect_float_eq(ps.std_r, 10.0, 1e-12);
    cr_expect_float_eq(ps.std_g, 0.0, 1e-12);
    cr_expect_float_eq(ps.std_b, 110.0, 1e-12);
    cr_expect_float_eq(ps.mean_brightness, (60 + 300) / 6.0, 1e-12);
    cr_expect_eq(ps.min_val, 10);
    cr_expect_eq(ps.max_val, 250);
    free(img.px);
}

Test(stats, letterbox_has_large_corner_centre_delta)
{
    /* 20x10, black top and bottom rows (ph = 1), white elsewhere. */
    struct ie_rgb img = make(20, 10);
    struct ie_corner_stats cs;
    for (int y = 1; y < 9; y++)
        for (int x = 0; x < 20; x++)
            put(&img, x, y, 255, 255, 255);
    ie_compute_corner_stats(&img, 0.1, &cs);
    /* ph = 1, pw = 2: corner patches lie in the black rows. */
    cr_expect_float_eq(cs.corner_mean, 0.0, 1e-12);
    cr_expect_float_eq(cs.center_mean, 255.0, 1e-12);
    cr_expect_float_eq(cs.delta, 255.0, 1e-12);
    /* border: top+bottom rows 40 px black, left+right 2 columns x 10 rows = 40 px of which
     * 8 are black (in the top/bottom rows): (0*40 + 255*32) / 80. */
    cr_expect_float_eq(cs.border_mean, 255.0 * 32 / 80, 1e-9);
    free(img.px);
}

Test(stats, corner_patches_are_at_least_one_pixel)
{
    struct ie_rgb img = make(3, 3);
    struct ie_corner_stats cs;
    put(&img, 0, 0, 90, 90, 90);
    put(&img, 1, 1, 30, 30, 30);
    ie_compute_corner_stats(&img, 0.1, &cs);
    cr_expect_float_eq(cs.corner_mean, 90.0 / 4, 1e-12);
    cr_expect_float_eq(cs.center_mean, 120.0 / 9, 1e-12);
    free(img.px);
}

Test(stats, blur_of_constant_is_zero_and_checkerboard_is_known)
{
    struct ie_rgb img = make(8, 6);
    memset(img.px, 128, 8 * 6 * 3);
    cr_expect_float_eq(ie_compute_blur_score(&img), 0.0, 1e-12);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 8; x++)
            if ((x + y) % 2)
                put(&img, x, y, 255, 255, 255);
            else
                put(&img, x, y, 0, 0, 0);
    /* Each pixel's 4 neighbours are the opposite colour (even sizes wrap cleanly):
     * laplacian = +-4*255, variance = (4*255)^2. */
    cr_expect_float_eq(ie_compute_blur_score(&img), 1020.0 * 1020.0, 1e-6);
    free(img.px);
}

Test(stats, blur_wraps_around_edges)
{
    /* One bright pixel in a 3x3: every pixel's wrapped neighbourhood is known.
     * grey g = 90 at (0,0). L = sum of 4 neighbours - 4 g:
     * (0,0): -360; its 4 wrapped neighbours (0,1),(0,2),(1,0),(2,0): +90; others 0.
     * var = (360^2 + 4 * 90^2) / 9 (mean is 0). */
    struct ie_rgb img = make(3, 3);
    put(&img, 0, 0, 90, 90, 90);
    cr_expect_float_eq(ie_compute_blur_score(&img), (360.0 * 360 + 4 * 90.0 * 90) / 9, 1e-9);
    free(img.px);
}

static void hex_of(const struct ie_hash256 *h, char *out)
{
    ie_hash256_to_hex(h, out);
}

Test(stats, phash_of_flat_grey_image_is_8000)
{
    uint8_t luma[50 * 40];
    struct ie_hash256 h;
    char hex[65];
    memset(luma, 200, sizeof(luma));
    ie_compute_phash(luma, 50, 40, &h);
    hex_of(&h, hex);
    cr_expect_str_eq(hex, "8000000000000000000000000000000000000000000000000000000000000000");
}

Test(stats, dhash_of_horizontal_ramp_is_all_ones)
{
    uint8_t luma[170 * 16];
    struct ie_hash256 h;
    char hex[65];
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 170; x++)
            luma[y * 170 + x] = (uint8_t)(x * 255 / 169);
    ie_compute_dhash(luma, 170, 16, &h);
    hex_of(&h, hex);
    cr_expect_str_eq(hex, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
}

Test(stats, hashes_match_imagehash_on_a_pattern)
{
    /* Expected values computed with Pillow 9.4 + scipy exactly as imagehash.phash/dhash with
     * hash_size=16 do, on the same 97x61 pattern (see tests/oracle/ for the full oracle). */
    enum { W = 97, H = 61 };
    static uint8_t luma[W * H];
    struct ie_hash256 h;
    char hex[65];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            luma[y * W + x] = (uint8_t)((x * x * 3 + y * 7 + x * y) % 256);
    ie_compute_phash(luma, W, H, &h);
    hex_of(&h, hex);
    cr_expect_str_eq(hex, "a12182060004000024437fff4aa742f56bf7ef9e4dfbcd4d2d6b63ce0ff6b68f");
    ie_compute_dhash(luma, W, H, &h);
    hex_of(&h, hex);
    cr_expect_str_eq(hex, "929b95d2894c499a72d3574a4d612abcb4ada28c95a9c9a935196d6811684aaa");
}
