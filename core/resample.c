/* Pillow-compatible Lanczos resampling of 8-bit rasters.
 * DESIGN: perceptual hashes flip bits when the resampler differs by one grey level, so this
 * follows Pillow's algorithm step by step: a separable filter with support 3 scaled by the
 * reduction factor, taps centred at (x + 0.5) * scale, weights normalised to sum 1, converted to
 * 22-bit fixed point with round-half-away, a horizontal pass over only the rows the vertical
 * pass needs, then a vertical pass; each pass rounds and clips to 0..255.
 * SIMD: on x86-64 the passes have hand-written AVX2 twins doing the very same 32-bit integer
 * math, chosen at run time (__builtin_cpu_supports), so the build needs no -mavx2 and runs on
 * any x86-64; IMGEDA_SIMD=0 in the environment, or ie__resample_set_simd(false), forces the
 * scalar reference passes (tests compare both paths byte for byte). */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define IE_RESAMPLE_AVX2 1
#else
#define IE_RESAMPLE_AVX2 0
#endif

#define PRECISION_BITS  (32 - 8 - 2)
#define ROUND_HALF      (1 << (PRECISION_BITS - 1))
#define LANCZOS_SUPPORT 3.0

static double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    x *= M_PI;
    return sin(x) / x;
}

static double lanczos(double x)
{
    if (-3.0 <= x && x < 3.0)
        return sinc(x) * sinc(x / 3.0);
    return 0.0;
}

struct coeffs {
    int ksize;
    int *bounds; /* per output pixel: first input index, count */
    int32_t *kk; /* per output pixel: ksize fixed-point weights */
};

static void coeffs_compute(int in_size, int out_size, struct coeffs *c)
{
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = LANCZOS_SUPPORT * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double *w = ie_xmalloc(sizeof(double) * (size_t)ksize);

    /* Each pixel's weights are padded with zeros to a multiple of 8, so the AVX2 passes can run
     * whole vectors past the last tap (a zero weight adds nothing). */
    c->ksize = (ksize + 7) & ~7;
    c->bounds = ie_xmalloc(sizeof(int) * 2 * (size_t)out_size);
    c->kk = ie_xcalloc((size_t)out_size * (size_t)c->ksize, sizeof(int32_t));
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        int xmax = (int)(center + support + 0.5);
        if (xmin < 0)
            xmin = 0;
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            w[x] = lanczos((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        int32_t *k = &c->kk[(size_t)xx * (size_t)c->ksize];
        for (int x = 0; x < xmax; x++) {
            double v = ww != 0.0 ? w[x] / ww : w[x];
            k[x] = (int32_t)(v < 0 ? -0.5 + v * (1 << PRECISION_BITS)
                                   : 0.5 + v * (1 << PRECISION_BITS));
        }
        c->bounds[xx * 2] = xmin;
        c->bounds[xx * 2 + 1] = xmax;
    }
    free(w);
}

static void coeffs_release(struct coeffs *c)
{
    free(c->bounds);
    free(c->kk);
}

static inline uint8_t clip8(int32_t v)
{
    if (v >= (1 << PRECISION_BITS << 8))
        return 255;
    if (v <= 0)
        return 0;
    return (uint8_t)(v >> PRECISION_BITS);
}

/* Horizontal pass over rows [y0, y0 + rows) of in (w wide) into out (ow wide). */
static void pass_horizontal(const uint8_t *in, int w, int bands, int y0, int rows, uint8_t *out,
                            int ow, const struct coeffs *c)
{
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(y0 + y) * (size_t)w * (size_t)bands;
        uint8_t *dst = out + (size_t)y * (size_t)ow * (size_t)bands;
        for (int xx = 0; xx < ow; xx++) {
            int xmin = c->bounds[xx * 2], xmax = c->bounds[xx * 2 + 1];
            const int32_t *k = &c->kk[(size_t)xx * (size_t)c->ksize];
            const uint8_t *s = src + (size_t)xmin * (size_t)bands;
            if (bands == 3) {
                int32_t s0 = ROUND_HALF, s1 = s0, s2 = s0;
                for (int x = 0; x < xmax; x++) {
                    s0 += s[x * 3] * k[x];
                    s1 += s[x * 3 + 1] * k[x];
                    s2 += s[x * 3 + 2] * k[x];
                }
                dst[xx * 3] = clip8(s0);
                dst[xx * 3 + 1] = clip8(s1);
                dst[xx * 3 + 2] = clip8(s2);
            } else if (bands == 1) {
                /* Contiguous taps: this dot product vectorises (the hash resizes of a 2048 px
                 * image to 64 or 17 columns take 193 and 723 taps per output pixel). */
                int32_t ss = ROUND_HALF;
                for (int x = 0; x < xmax; x++)
                    ss += s[x] * k[x];
                dst[xx] = clip8(ss);
            } else {
                for (int b = 0; b < bands; b++) {
                    int32_t ss = ROUND_HALF;
                    for (int x = 0; x < xmax; x++)
                        ss += s[x * bands + b] * k[x];
                    dst[xx * bands + b] = clip8(ss);
                }
            }
        }
    }
}

/* Vertical pass: in is w wide (rows indexed from 0), out oh rows. */
static void pass_vertical(const uint8_t *in, int w, int bands, uint8_t *out, int oh,
                          const struct coeffs *c, int row_shift)
{
    size_t stride = (size_t)w * (size_t)bands;
    int32_t *acc = ie_xmalloc(sizeof(int32_t) * stride);
    for (int yy = 0; yy < oh; yy++) {
        int ymin = c->bounds[yy * 2] - row_shift, ymax = c->bounds[yy * 2 + 1];
        const int32_t *k = &c->kk[(size_t)yy * (size_t)c->ksize];
        for (size_t i = 0; i < stride; i++)
            acc[i] = ROUND_HALF;
        /* Row-wise accumulation: same sums as Pillow's per-pixel loop, in cache order. */
        for (int y = 0; y < ymax; y++) {
            const uint8_t *src = in + (size_t)(ymin + y) * stride;
            int32_t kv = k[y];
            for (size_t i = 0; i < stride; i++)
                acc[i] += src[i] * kv;
        }
        uint8_t *dst = out + (size_t)yy * stride;
        for (size_t i = 0; i < stride; i++)
            dst[i] = clip8(acc[i]);
    }
    free(acc);
}

/* ---- AVX2 passes: the same integer sums as the reference passes above, eight at a time ----
 * Each product is a byte times a 32-bit weight summed in 32 bits (_mm256_mullo_epi32 and
 * _mm256_add_epi32), never a 16-bit madd: the 22-bit weights do not fit 16 bits. Integer
 * addition is associative, so summing taps in another order gives the very same totals; the
 * totals stay below 2^31 (255 times the weights' absolute sum, about 1.3 * 2^22). */
#if IE_RESAMPLE_AVX2

/* Rounds and clips eight sums like clip8(): shifted right by PRECISION_BITS, negatives saturate
 * to 0 and anything >= 256 to 255 in the packs. */
__attribute__((target("avx2"))) static inline void store8_clipped(uint8_t *dst, __m256i acc)
{
    __m256i v = _mm256_srai_epi32(acc, PRECISION_BITS);
    __m128i p16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)dst, _mm_packus_epi16(p16, p16));
}

__attribute__((target("avx2"))) static inline int32_t hsum8(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* One RGB output pixel: eight taps (24 bytes, read as 16 + 8 so nothing past the last tap is
 * touched) are split into R, G and B bytes, widened to 32 bits and multiplied by the weights. */
__attribute__((target("avx2"))) static void hpixel3_avx2(const uint8_t *s, const int32_t *k, int n,
                                                         uint8_t *dst)
{
    const __m128i ra = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i rb = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i ga = _mm_setr_epi8(1, 4, 7, 10, 13, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i gb = _mm_setr_epi8(-1, -1, -1, -1, -1, 0, 3, 6, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i ba = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i bb = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0;
    int x = 0;
    for (; x + 8 <= n; x += 8) {
        __m128i lo = _mm_loadu_si128((const __m128i *)(s + x * 3));
        __m128i hi = _mm_loadl_epi64((const __m128i *)(s + x * 3 + 16));
        __m256i kv = _mm256_loadu_si256((const __m256i *)(k + x));
        __m128i r = _mm_or_si128(_mm_shuffle_epi8(lo, ra), _mm_shuffle_epi8(hi, rb));
        __m128i g = _mm_or_si128(_mm_shuffle_epi8(lo, ga), _mm_shuffle_epi8(hi, gb));
        __m128i b = _mm_or_si128(_mm_shuffle_epi8(lo, ba), _mm_shuffle_epi8(hi, bb));
        a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(r), kv));
        a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(g), kv));
        a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(b), kv));
    }
    if (x == n) {
        /* All three sums at once: pairwise adds, then the two halves. */
        __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a2));
        __m128i v = _mm_add_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
        v = _mm_srai_epi32(_mm_add_epi32(v, _mm_set1_epi32(ROUND_HALF)), PRECISION_BITS);
        v = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
        uint32_t rgb = (uint32_t)_mm_cvtsi128_si32(v);
        memcpy(dst, &rgb, 3);
        return;
    }
    int32_t s0 = ROUND_HALF + hsum8(a0), s1 = ROUND_HALF + hsum8(a1), s2 = ROUND_HALF + hsum8(a2);
    for (; x < n; x++) {
        s0 += s[x * 3] * k[x];
        s1 += s[x * 3 + 1] * k[x];
        s2 += s[x * 3 + 2] * k[x];
    }
    dst[0] = clip8(s0);
    dst[1] = clip8(s1);
    dst[2] = clip8(s2);
}

/* One grey output pixel: a dot product of contiguous bytes with the weights. */
__attribute__((target("avx2"))) static uint8_t hpixel1_avx2(const uint8_t *s, const int32_t *k,
                                                            int n)
{
    __m256i a0 = _mm256_setzero_si256(), a1 = a0;
    int x = 0;
    for (; x + 16 <= n; x += 16) {
        __m128i px = _mm_loadu_si128((const __m128i *)(s + x));
        __m256i k0 = _mm256_loadu_si256((const __m256i *)(k + x));
        __m256i k1 = _mm256_loadu_si256((const __m256i *)(k + x + 8));
        a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(px), k0));
        a1 = _mm256_add_epi32(a1,
                              _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(px, 8)), k1));
    }
    for (; x + 8 <= n; x += 8) {
        __m128i px = _mm_loadl_epi64((const __m128i *)(s + x));
        __m256i k0 = _mm256_loadu_si256((const __m256i *)(k + x));
        a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(px), k0));
    }
    int32_t ss = ROUND_HALF + hsum8(_mm256_add_epi32(a0, a1));
    for (; x < n; x++)
        ss += s[x] * k[x];
    return clip8(ss);
}

__attribute__((target("avx2"))) static void pass_horizontal_avx2(const uint8_t *in, int w,
                                                                 int bands, int y0, int rows,
                                                                 uint8_t *out, int ow,
                                                                 const struct coeffs *c)
{
    if (bands != 1 && bands != 3) {
        pass_horizontal(in, w, bands, y0, rows, out, ow, c);
        return;
    }
    for (int y = 0; y < rows; y++) {
        const uint8_t *src = in + (size_t)(y0 + y) * (size_t)w * (size_t)bands;
        uint8_t *dst = out + (size_t)y * (size_t)ow * (size_t)bands;
        for (int xx = 0; xx < ow; xx++) {
            const int32_t *k = &c->kk[(size_t)xx * (size_t)c->ksize];
            int xmin = c->bounds[xx * 2], n = c->bounds[xx * 2 + 1], n8 = (n + 7) & ~7;
            const uint8_t *s = src + (size_t)xmin * (size_t)bands;
            /* Whole vectors over the zero-padded weights unless they would read past the row. */
            if (xmin + n8 <= w)
                n = n8;
            if (bands == 3)
                hpixel3_avx2(s, k, n, dst + xx * 3);
            else
                dst[xx] = hpixel1_avx2(s, k, n);
        }
    }
}

/* Vertical pass in blocks of 32 bytes across a row: the sums stay in registers through all
 * taps, so no accumulator row is written and read back per tap. */
__attribute__((target("avx2"))) static void pass_vertical_avx2(const uint8_t *in, int w, int bands,
                                                               uint8_t *out, int oh,
                                                               const struct coeffs *c,
                                                               int row_shift)
{
    size_t stride = (size_t)w * (size_t)bands;
    const __m256i half = _mm256_set1_epi32(ROUND_HALF);
    for (int yy = 0; yy < oh; yy++) {
        int ymin = c->bounds[yy * 2] - row_shift, ymax = c->bounds[yy * 2 + 1];
        const int32_t *k = &c->kk[(size_t)yy * (size_t)c->ksize];
        const uint8_t *base = in + (size_t)ymin * stride;
        uint8_t *dst = out + (size_t)yy * stride;
        size_t i = 0;
        for (; i + 32 <= stride; i += 32) {
            __m256i a0 = half, a1 = half, a2 = half, a3 = half;
            for (int y = 0; y < ymax; y++) {
                const uint8_t *p = base + (size_t)y * stride + i;
                __m256i kv = _mm256_set1_epi32(k[y]);
                __m256i px = _mm256_loadu_si256((const __m256i *)p);
                __m128i l = _mm256_castsi256_si128(px), h = _mm256_extracti128_si256(px, 1);
                a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(l), kv));
                a1 = _mm256_add_epi32(
                    a1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(l, 8)), kv));
                a2 = _mm256_add_epi32(a2, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(h), kv));
                a3 = _mm256_add_epi32(
                    a3, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(h, 8)), kv));
            }
            store8_clipped(dst + i, a0);
            store8_clipped(dst + i + 8, a1);
            store8_clipped(dst + i + 16, a2);
            store8_clipped(dst + i + 24, a3);
        }
        for (; i < stride; i++) {
            int32_t ss = ROUND_HALF;
            for (int y = 0; y < ymax; y++)
                ss += base[(size_t)y * stride + i] * k[y];
            dst[i] = clip8(ss);
        }
    }
}
#endif

/* -1: not decided yet; 0: scalar reference passes; 1: AVX2 passes. */
static atomic_int simd_state = -1;

static bool simd_on(void)
{
    int st = atomic_load_explicit(&simd_state, memory_order_relaxed);
    if (st < 0) {
        const char *env = getenv("IMGEDA_SIMD");
        bool off = env && strcmp(env, "0") == 0;
#if IE_RESAMPLE_AVX2
        st = !off && __builtin_cpu_supports("avx2");
#else
        (void)off;
        st = 0;
#endif
        atomic_store_explicit(&simd_state, st, memory_order_relaxed);
    }
    return st == 1;
}

bool ie__resample_set_simd(bool on)
{
#if IE_RESAMPLE_AVX2
    int st = on && __builtin_cpu_supports("avx2");
#else
    int st = 0;
    (void)on;
#endif
    atomic_store_explicit(&simd_state, st, memory_order_relaxed);
    return st == 1;
}

static void run_horizontal(const uint8_t *in, int w, int bands, int y0, int rows, uint8_t *out,
                           int ow, const struct coeffs *c)
{
#if IE_RESAMPLE_AVX2
    if (simd_on()) {
        pass_horizontal_avx2(in, w, bands, y0, rows, out, ow, c);
        return;
    }
#endif
    pass_horizontal(in, w, bands, y0, rows, out, ow, c);
}

static void run_vertical(const uint8_t *in, int w, int bands, uint8_t *out, int oh,
                         const struct coeffs *c, int row_shift)
{
#if IE_RESAMPLE_AVX2
    if (simd_on()) {
        pass_vertical_avx2(in, w, bands, out, oh, c, row_shift);
        return;
    }
#endif
    pass_vertical(in, w, bands, out, oh, c, row_shift);
}

/* The two passes into out; the intermediate rows in the thread's scratch buffer or, for the
 * public call (which may run on a thread that never calls ie_thread_done), a malloc'd one. */
static void resample(const uint8_t *in, int w, int h, int bands, int ow, int oh, uint8_t *out,
                     bool scratch)
{
    struct coeffs ch, cv;
    bool need_h = ow != w, need_v = oh != h;

    if (!need_h && !need_v) {
        memcpy(out, in, (size_t)w * (size_t)h * (size_t)bands);
        return;
    }
    coeffs_compute(w, ow, &ch);
    coeffs_compute(h, oh, &cv);
    int y_first = cv.bounds[0];
    int y_last = cv.bounds[oh * 2 - 2] + cv.bounds[oh * 2 - 1];
    if (need_h) {
        if (need_v) {
            size_t n = (size_t)ow * (size_t)(y_last - y_first) * (size_t)bands;
            uint8_t *tmp = scratch ? ie__scratch(IE_SCRATCH_RESAMPLE, n) : ie_xmalloc(n);
            run_horizontal(in, w, bands, y_first, y_last - y_first, tmp, ow, &ch);
            run_vertical(tmp, ow, bands, out, oh, &cv, y_first);
            if (!scratch)
                free(tmp);
        } else {
            run_horizontal(in, w, bands, 0, h, out, ow, &ch);
        }
    } else {
        run_vertical(in, w, bands, out, oh, &cv, 0);
    }
    coeffs_release(&ch);
    coeffs_release(&cv);
}

uint8_t *ie_resample_lanczos(const uint8_t *in, int w, int h, int bands, int ow, int oh)
{
    uint8_t *out = ie_xmalloc((size_t)ow * (size_t)oh * (size_t)bands);
    resample(in, w, h, bands, ow, oh, out, false);
    return out;
}

void ie__resample_into(const uint8_t *in, int w, int h, int bands, int ow, int oh, uint8_t *out)
{
    resample(in, w, h, bands, ow, oh, out, true);
}
