/* Pillow-compatible Lanczos: expected bytes were produced by Pillow 9.4 (Debian 12) with
 * Image.resize(..., Image.Resampling.LANCZOS) on the same inputs. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>

#include "internal.h"
#include "imgeda/analyze.h"

static void expect_bytes(const uint8_t *got, const int *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(got[i], want[i], "byte %zu: got %d, Pillow %d", i, got[i], want[i]);
}

Test(resample, downscale_row_matches_pillow)
{
    const uint8_t in[12] = {0, 32, 64, 96, 128, 160, 192, 224, 255, 7, 200, 13};
    const int want[5] = {23, 95, 190, 191, 81};
    uint8_t *out = ie_resample_lanczos(in, 12, 1, 1, 5, 1);
    expect_bytes(out, want, 5);
    free(out);
}

static uint8_t *pattern(int w, int h, int bands, int mul)
{
    uint8_t *p = malloc((size_t)w * h * bands);
    for (int i = 0; i < w * h * bands; i++)
        p[i] = (uint8_t)(i * mul % 256);
    return p;
}

Test(resample, two_pass_downscale_matches_pillow)
{
    const int want[12] = {93, 135, 112, 95, 124, 114, 132, 122, 151, 134, 111, 153};
    uint8_t *in = pattern(9, 7, 1, 37);
    uint8_t *out = ie_resample_lanczos(in, 9, 7, 1, 4, 3);
    expect_bytes(out, want, 12);
    free(in);
    free(out);
}

Test(resample, upscale_matches_pillow)
{
    const int want[20] = {0,  10, 42, 67, 88, 106, 135, 176, 247, 229,
                          43, 0,  44, 25, 38, 65,  91,  132, 183, 197};
    uint8_t *in = pattern(9, 7, 1, 37);
    uint8_t *out = ie_resample_lanczos(in, 9, 7, 1, 13, 11);
    expect_bytes(out, want, 20);
    free(in);
    free(out);
}

Test(resample, rgb_matches_pillow)
{
    const int want[36] = {63,  149, 71,  145, 128, 107, 183, 105, 126, 128, 98,  107,
                          138, 115, 174, 127, 151, 55,  129, 88,  150, 121, 145, 153,
                          142, 62,  110, 74,  138, 189, 126, 192, 80,  96,  92,  147};
    uint8_t *in = pattern(5, 6, 3, 53);
    uint8_t *out = ie_resample_lanczos(in, 5, 6, 3, 3, 4);
    expect_bytes(out, want, 36);
    free(in);
    free(out);
}

Test(resample, luma_matches_pillow_convert_L)
{
    const int want[30] = {43,  173, 105, 85, 167, 70,  200, 132, 112, 165, 97,  77, 159, 62,  192,
                          124, 104, 186, 89, 69,  151, 54,  184, 116, 96,  178, 81, 211, 143, 46};
    struct ie_rgb img = {5, 6, pattern(5, 6, 3, 53)};
    uint8_t *l = ie_rgb_to_luma(&img);
    expect_bytes(l, want, 30);
    free(img.px);
    free(l);
}

Test(resample, constant_stays_constant_and_same_size_is_copy)
{
    uint8_t in[40 * 30];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = 77;
    uint8_t *out = ie_resample_lanczos(in, 40, 30, 1, 7, 5);
    for (int i = 0; i < 35; i++)
        cr_expect_eq(out[i], 77);
    free(out);
    out = ie_resample_lanczos(in, 40, 30, 1, 40, 30);
    cr_expect_arr_eq(out, in, sizeof(in));
    free(out);
}

/* ---- the AVX2 passes against the scalar reference, byte for byte ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint8_t rnd8(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 32);
}

/* Resamples a w x h image of `bands` by both paths; fails on the first differing byte. When
 * smooth, the image is a gradient with a little noise (values near 0 and 255 exercise the
 * clipping of the negative lobes); otherwise pure noise. */
static void both_paths(int w, int h, int bands, int ow, int oh, bool smooth)
{
    size_t n = (size_t)w * (size_t)h * (size_t)bands;
    uint8_t *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = smooth ? (uint8_t)((i / (size_t)bands % (size_t)w) * 255 / (size_t)w ^ (rnd8() & 3))
                       : rnd8();
    if (!ie__resample_set_simd(true))
        cr_skip_test("this CPU has no AVX2");
    uint8_t *fast = ie_resample_lanczos(in, w, h, bands, ow, oh);
    ie__resample_set_simd(false);
    uint8_t *ref = ie_resample_lanczos(in, w, h, bands, ow, oh);
    size_t on = (size_t)ow * (size_t)oh * (size_t)bands;
    for (size_t i = 0; i < on; i++)
        if (fast[i] != ref[i])
            cr_assert_fail("%dx%dx%d -> %dx%d: byte %zu is %d by AVX2, %d by the reference", w, h,
                           bands, ow, oh, i, fast[i], ref[i]);
    free(fast);
    free(ref);
    free(in);
    ie__resample_set_simd(true);
}

Test(resample, simd_matches_scalar_on_random_odd_sizes)
{
    static const int bands[] = {1, 3, 4};
    for (int round = 0; round < 60; round++) {
        int w = 1 + rnd8() % 97 + (round % 5 == 0 ? 300 : 0);
        int h = 1 + rnd8() % 89;
        int ow = 1 + rnd8() % (w + 40), oh = 1 + rnd8() % (h + 40);
        for (size_t b = 0; b < sizeof(bands) / sizeof(bands[0]); b++) {
            both_paths(w, h, bands[b], ow, oh, round % 2 == 0);
            both_paths(w, h, bands[b], ow, h, false);
            both_paths(w, h, bands[b], w, oh, false);
        }
    }
}

Test(resample, simd_matches_scalar_on_working_and_hash_sizes)
{
    /* The sizes a scan uses: a photo to the 2048 working size, the working image to the 64x64
     * phash and 17x16 dhash grids (hundreds of taps per output pixel). */
    both_paths(3001, 1999, 3, 2048, 1364, true);
    both_paths(2047, 1365, 1, 64, 64, true);
    both_paths(2047, 1365, 1, 17, 16, false);
    both_paths(1023, 4097, 3, 511, 2047, false);
}
