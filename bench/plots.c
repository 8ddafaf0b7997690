/* bench/plots: time to render each plot type (SPEC §5) from 10^4 and 10^6 synthetic records
 * held in memory, in PNG at 150 dpi and, for the large set, SVG and PDF, plus peak RSS.
 * Target: every plot of 10^6 records in <= 3 s (dense plots switch to hexbin, so the cost is a
 * few linear passes and one sort).
 * Usage: build/bin/bench_plots [N_SMALL [N_LARGE]]   (defaults 10000 1000000) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "imgeda/plot.h"
#include "imgeda/util.h"

static uint64_t rng_state = 0x1234567ull;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static double gauss(double mu, double sigma)
{
    double u = uniform(), v = uniform();
    return mu + sigma * sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Camera strings shared by all records (records are never released one by one here). */
static char *makes[8], *models[8];

static void fill(struct ie_record *r, size_t i)
{
    static const int sizes[][2] = {{640, 480},   {1920, 1080}, {1280, 720}, {4032, 3024},
                                   {3024, 4032}, {800, 600},   {512, 512}};
    static const int isos[] = {50, 100, 200, 400, 800, 1600, 3200, 6400};
    static const int focals[] = {16, 24, 28, 35, 50, 85, 135, 200};
    ie_record_init(r);
    const int *wh = sizes[next_u64() % 7];
    double jitter = uniform() < 0.5 ? uniform() + 0.5 : 1.0;
    r->width = (int)(wh[0] * jitter);
    r->height = (int)(wh[1] * jitter);
    r->aspect_ratio = ie_round((double)r->width / r->height, 4);
    r->file_size_bytes = (int64_t)exp(gauss(12.5, 1.2));
    r->is_corrupt = uniform() < 0.01;
    if (r->is_corrupt) {
        r->width = r->height = 0;
        return;
    }
    double b = clamp(gauss(120, 45), 0, 255);
    r->has_pixel_stats = true;
    r->pixel_stats.mean_brightness = b;
    r->pixel_stats.mean_r = clamp(b * (0.8 + 0.4 * uniform()), 0, 255);
    r->pixel_stats.mean_g = b;
    r->pixel_stats.mean_b = clamp(b * (0.7 + 0.4 * uniform()), 0, 255);
    r->pixel_stats.std_r = r->pixel_stats.std_g = r->pixel_stats.std_b = 40;
    r->is_dark = b < 40;
    r->is_overexposed = b > 220;
    r->has_corner_stats = true;
    r->corner_stats.delta = fabs(gauss(15, 15));
    r->has_border_artifact = r->corner_stats.delta > 50;
    r->has_blur_score = true;
    r->blur_score = ie_round(exp(gauss(6, 1.5)), 2);
    r->is_blurry = r->blur_score < 100;
    r->has_phash = true;
    /* About 2 % of images share a hash with another. */
    uint64_t h = uniform() < 0.02 ? next_u64() % 5000 : next_u64();
    r->phash.w[0] = h;
    r->phash.w[1] = h * 31;
    r->phash.w[2] = ~h;
    r->phash.w[3] = i % 3;
    if (uniform() < 0.7) {
        size_t k = (size_t)clamp(floor(-log(uniform() + 1e-12) / 0.4), 0, 7);
        r->camera_make = makes[k];
        r->camera_model = models[k];
        r->has_iso_speed = true;
        r->iso_speed = isos[next_u64() % 8];
        r->has_focal_length_35mm = true;
        r->focal_length_35mm = focals[next_u64() % 8];
    }
}

static double render_ms(const struct ie_record *recs, size_t n, enum ie_plot_type t,
                        enum ie_plot_format f, size_t *bytes)
{
    struct ie_plot_opts o;
    struct ie_buf out;
    struct ie_err err = {0};
    ie_plot_opts_init(&o);
    o.format = f;
    ie_buf_init(&out);
    double t0 = ie_mono_seconds();
    if (ie_plot_render(recs, n, t, &o, &out, &err) < 0) {
        fprintf(stderr, "bench_plots: %s: %s\n", ie_plot_type_name(t), err.msg);
        exit(1);
    }
    double ms = (ie_mono_seconds() - t0) * 1000;
    *bytes = out.len;
    ie_buf_release(&out);
    return ms;
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    static const char *const mk[8] = {"Canon",  "NIKON CORPORATION", "Apple",    "SONY",
                                      "Google", "samsung",           "FUJIFILM", "Panasonic"};
    static const char *const md[8] = {"Canon EOS R5", "NIKON Z 6", "iPhone 13", "ILCE-7RM4",
                                      "Pixel 7",      "SM-G991B",  "X100V",     "DC-GH5"};
    size_t n_small = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000;
    size_t n_large = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    for (int i = 0; i < 8; i++) {
        makes[i] = ie_xstrdup(mk[i]);
        models[i] = ie_xstrdup(md[i]);
    }

    struct ie_record *small = ie_xcalloc(n_small, sizeof(*small));
    for (size_t i = 0; i < n_small; i++)
        fill(&small[i], i);
    double t0 = ie_mono_seconds();
    struct ie_record *large = ie_xcalloc(n_large, sizeof(*large));
    for (size_t i = 0; i < n_large; i++)
        fill(&large[i], i);
    double gen_s = ie_mono_seconds() - t0;
    long rss_data = peak_rss_mb();

    printf("plots of synthetic records: 9x6 in figures, PNG at 150 dpi unless noted\n");
    printf("records in memory: %zu + %zu (%.1f s to generate, peak RSS %ld MB after)\n\n", n_small,
           n_large, gen_s, rss_data);
    printf("%-13s %12s %12s %12s %12s %10s\n", "type", "1e4 png ms", "1e6 png ms", "1e6 svg ms",
           "1e6 pdf ms", "png KB");
    double worst = 0, total = 0;
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        size_t bytes, b2;
        double a = render_ms(small, n_small, (enum ie_plot_type)t, IE_PLOT_PNG, &b2);
        double b = render_ms(large, n_large, (enum ie_plot_type)t, IE_PLOT_PNG, &bytes);
        double c = render_ms(large, n_large, (enum ie_plot_type)t, IE_PLOT_SVG, &b2);
        double d = render_ms(large, n_large, (enum ie_plot_type)t, IE_PLOT_PDF, &b2);
        printf("%-13s %12.1f %12.1f %12.1f %12.1f %10.0f\n",
               ie_plot_type_name((enum ie_plot_type)t), a, b, c, d, (double)bytes / 1024);
        worst = fmax(worst, fmax(b, fmax(c, d)));
        total += b;
    }
    printf("\nall 11 PNGs of %zu records: %.2f s; slowest single plot: %.2f s (target <= 3 s)\n",
           n_large, total / 1000, worst / 1000);
    printf("peak RSS: %ld MB (records alone: %ld MB)\n", peak_rss_mb(), rss_data);

    free(small);
    free(large);
    for (int i = 0; i < 8; i++) {
        free(makes[i]);
        free(models[i]);
    }
    return worst <= 3000 ? 0 : 1;
}
