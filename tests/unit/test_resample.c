/* Pillow-compatible Lanczos: expected bytes were produced by Pillow 9.4 (Debian 12) with
 * Image.resize(..., Image.Resampling.LANCZOS) on the same inputs. */
#include <criterion/criterion.h>
#include <stdlib.h>

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
