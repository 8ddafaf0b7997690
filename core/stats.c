/* Pixel statistics, corner/border stats, blur score and perceptual hashes of a working image.
 * DESIGN: sums are kept in exact integers, so the only rounding is the final division; the
 * Laplacian is computed on 3x the grey value (R+G+B) to stay integral, and its mean is zero by
 * construction with wrap-around edges, so the variance is sum(L^2) / (9 N). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "internal.h"

IE_HOT void ie_compute_pixel_stats(const struct ie_rgb *img, struct ie_pixel_stats *ps)
{
    uint64_t sum[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
    uint8_t lo = 255, hi = 0;
    size_t n = (size_t)img->w * (size_t)img->h;
    const uint8_t *p = img->px;

    for (int y = 0; y < img->h; y++) {
        /* Per-row 32-bit partial sums: a row of <= 2^16 pixels cannot overflow them. */
        uint32_t rs[3] = {0, 0, 0}, rq[3] = {0, 0, 0};
        uint8_t rlo = 255, rhi = 0;
        for (int x = 0; x < img->w; x++, p += 3) {
            for (int c = 0; c < 3; c++) {
                uint32_t v = p[c];
                rs[c] += v;
                rq[c] += v * v;
                rlo = p[c] < rlo ? p[c] : rlo;
                rhi = p[c] > rhi ? p[c] : rhi;
            }
        }
        for (int c = 0; c < 3; c++) {
            sum[c] += rs[c];
            sq[c] += rq[c];
        }
        lo = rlo < lo ? rlo : lo;
        hi = rhi > hi ? rhi : hi;
    }
    double m[3], sd[3];
    for (int c = 0; c < 3; c++) {
        m[c] = (double)sum[c] / (double)n;
        double var = (double)sq[c] / (double)n - m[c] * m[c];
        sd[c] = var > 0 ? sqrt(var) : 0.0;
    }
    ps->mean_r = m[0];
    ps->mean_g = m[1];
    ps->mean_b = m[2];
    ps->std_r = sd[0];
    ps->std_g = sd[1];
    ps->std_b = sd[2];
    ps->mean_brightness = (double)(sum[0] + sum[1] + sum[2]) / (3.0 * (double)n);
    ps->min_val = lo;
    ps->max_val = hi;
}

/* Sum of all channel values in rows [y0,y1) x columns [x0,x1). */
IE_HOT static uint64_t region_sum(const struct ie_rgb *img, int y0, int y1, int x0, int x1)
{
    uint64_t s = 0;
    for (int y = y0; y < y1; y++) {
        const uint8_t *p = img->px + ((size_t)y * (size_t)img->w + (size_t)x0) * 3;
        uint32_t rs = 0;
        for (int i = 0; i < (x1 - x0) * 3; i++)
            rs += p[i];
        s += rs;
    }
    return s;
}

void ie_compute_corner_stats(const struct ie_rgb *img, double patch_fraction,
                             struct ie_corner_stats *cs)
{
    int h = img->h, w = img->w;
    int ph = (int)(h * patch_fraction), pw = (int)(w * patch_fraction);
    if (ph < 1)
        ph = 1;
    if (pw < 1)
        pw = 1;
    if (ph > h)
        ph = h;
    if (pw > w)
        pw = w;

    uint64_t corner = region_sum(img, 0, ph, 0, pw) + region_sum(img, 0, ph, w - pw, w) +
                      region_sum(img, h - ph, h, 0, pw) + region_sum(img, h - ph, h, w - pw, w);
    double corner_n = 4.0 * ph * pw * 3;

    int ch = h / 4, cw = w / 4;
    uint64_t center = region_sum(img, ch, h - ch, cw, w - cw);
    double center_n = (double)(h - 2 * ch) * (w - 2 * cw) * 3;

    uint64_t border = region_sum(img, 0, ph, 0, w) + region_sum(img, h - ph, h, 0, w) +
                      region_sum(img, 0, h, 0, pw) + region_sum(img, 0, h, w - pw, w);
    double border_n = (2.0 * ph * w + 2.0 * pw * h) * 3;

    cs->corner_mean = (double)corner / corner_n;
    cs->center_mean = center_n > 0 ? (double)center / center_n : 0.0;
    cs->border_mean = (double)border / border_n;
    cs->delta = fabs(cs->corner_mean - cs->center_mean);
}

/* The grey plane R+G+B of an image (0..765), malloc'd. */
static uint16_t *grey_sums(const struct ie_rgb *img)
{
    size_t n = (size_t)img->w * (size_t)img->h;
    uint16_t *g = ie_xmalloc(sizeof(uint16_t) * (n ? n : 1));
    const uint8_t *p = img->px;
    for (size_t i = 0; i < n; i++, p += 3)
        g[i] = (uint16_t)(p[0] + p[1] + p[2]);
    return g;
}

/* The variance of the wrap-around 4-neighbour Laplacian of g / 3. */
static IE_HOT double laplacian_variance(const uint16_t *g, int w, int h)
{
    size_t n = (size_t)w * (size_t)h;
    uint64_t sq = 0;
    for (int y = 0; y < h; y++) {
        const uint16_t *row = g + (size_t)y * (size_t)w;
        const uint16_t *up = g + (size_t)(y == 0 ? h - 1 : y - 1) * (size_t)w;
        const uint16_t *dn = g + (size_t)(y == h - 1 ? 0 : y + 1) * (size_t)w;
        uint64_t rsq = 0;
        for (int x = 0; x < w; x++) {
            int l = row[x == 0 ? w - 1 : x - 1], r = row[x == w - 1 ? 0 : x + 1];
            int64_t lap = (int64_t)up[x] + dn[x] + l + r - 4 * (int64_t)row[x];
            rsq += (uint64_t)(lap * lap);
        }
        sq += rsq;
    }
    return (double)sq / 9.0 / (double)n;
}

IE_HOT double ie_compute_blur_score(const struct ie_rgb *img)
{
    uint16_t *g = grey_sums(img);
    double v = laplacian_variance(g, img->w, img->h);
    free(g);
    return v;
}

double ie_compute_blur_score_rescaled(const struct ie_rgb *img, double k)
{
    int w = img->w, h = img->h, hw = w / 2, hh = h / 2;
    uint16_t *g = grey_sums(img);
    double v1 = laplacian_variance(g, w, h);
    if (k <= 1.0 || hw < 3 || hh < 3) {
        free(g);
        return v1;
    }
    /* The half-size plane: 2x2 means, rounded, of the same grey sums. */
    uint16_t *half = ie_xmalloc(sizeof(uint16_t) * (size_t)hw * (size_t)hh);
    for (int y = 0; y < hh; y++) {
        const uint16_t *a = g + (size_t)(2 * y) * (size_t)w, *b = a + w;
        uint16_t *o = half + (size_t)y * (size_t)hw;
        for (int x = 0; x < hw; x++)
            o[x] = (uint16_t)((a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) / 4);
    }
    double v2 = laplacian_variance(half, hw, hh);
    free(half);
    free(g);
    double t = log2(k > 2.0 ? 2.0 : k);
    if (v1 <= 0 || v2 <= 0)
        return v1 + (v2 - v1) * t; /* a flat plane: no power law to follow, so a straight line */
    return exp((1.0 - t) * log(v1) + t * log(v2));
}

IE_HOT uint8_t *ie_rgb_to_luma(const struct ie_rgb *img)
{
    size_t n = (size_t)img->w * (size_t)img->h;
    uint8_t *l = ie_xmalloc(n ? n : 1);
    const uint8_t *p = img->px;
    for (size_t i = 0; i < n; i++, p += 3)
        l[i] = (uint8_t)((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
    return l;
}

static void set_bit(struct ie_hash256 *h, int i)
{
    h->w[i / 64] |= (uint64_t)1 << (63 - i % 64);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ie_compute_phash(const uint8_t *luma, int w, int h, struct ie_hash256 *out)
{
    enum { N = 64, K = 16 };
    double cosv[K][N], a[K][N], coef[K * K], sorted[K * K];
    uint8_t *small = ie_resample_lanczos(luma, w, h, 1, N, N);

    /* 1024 cosines cost microseconds next to a decode; no shared table, no init order. */
    for (int k = 0; k < K; k++)
        for (int n = 0; n < N; n++)
            cosv[k][n] = cos(M_PI * k * (2 * n + 1) / (2.0 * N));
    /* scipy.fftpack.dct type II along axis 0 (columns), then axis 1 (rows); the factor 2 of
     * the unnormalised transform does not change the comparison with the median.
     * The transform runs on the image minus its mean, with the mean added back to the DC term
     * only: every AC coefficient of a flat image is then exactly 0, as in scipy, so flat images
     * hash to 8000...0 like imgeda's instead of to rounding noise. */
    double mean = 0;
    for (int i = 0; i < N * N; i++)
        mean += small[i];
    mean /= N * N;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int n = 0; n < N; n++)
                s += (small[n * N + j] - mean) * cosv[k][n];
            a[k][j] = 2.0 * s;
        }
    for (int k = 0; k < K; k++)
        for (int l = 0; l < K; l++) {
            double s = 0;
            for (int j = 0; j < N; j++)
                s += a[k][j] * cosv[l][j];
            coef[k * K + l] = 2.0 * s;
        }
    /* DC of the constant part: 2 * N * mean per axis. */
    coef[0] += 4.0 * N * N * mean;
    free(small);
    memcpy(sorted, coef, sizeof(coef));
    qsort(sorted, K * K, sizeof(double), cmp_double);
    double med = (sorted[K * K / 2 - 1] + sorted[K * K / 2]) / 2.0;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < K * K; i++)
        if (coef[i] > med)
            set_bit(out, i);
}

void ie_compute_dhash(const uint8_t *luma, int w, int h, struct ie_hash256 *out)
{
    enum { W = 17, H = 16 };
    uint8_t *small = ie_resample_lanczos(luma, w, h, 1, W, H);
    memset(out, 0, sizeof(*out));
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W - 1; c++)
            if (small[r * W + c + 1] > small[r * W + c])
                set_bit(out, r * (W - 1) + c);
    free(small);
}
