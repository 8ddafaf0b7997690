/* The fast profile: the option as the CLI and the API read it, its place in the manifest header,
 * the rescaled blur score, and records of large JPEG, WebP and PNG images (made here by libvips)
 * whose flags must agree with the compatible profile's. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "imgeda/analyze.h"
#include "imgeda/options.h"
#include "imgeda/util.h"

static void setup(void)
{
    struct ie_err err = {0};
    cr_assert_eq(ie_init("test_profile", &err), 0, "%s", err.msg);
}

TestSuite(profile, .init = setup);

Test(profile, cli_text_and_api_json_set_it_and_refuse_other_names)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    bool neg;
    ie_scan_options_init(&o);
    cr_assert_eq(o.profile, IE_PROFILE_COMPATIBLE);
    const struct ie_scan_option *row = ie_scan_option_by_flag("--profile", &neg);
    cr_assert_not_null(row);
    cr_assert_eq(row, ie_scan_option_by_json_key("profile"));
    cr_assert(row->flags & IE_OPT_ANALYSIS, "a profile changes the values");
    cr_assert_eq(ie_scan_option_set_text(row, "fast", false, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(o.profile, IE_PROFILE_FAST);
    cr_assert_eq(ie_scan_option_set_text(row, "turbo", false, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "--profile needs one of compatible|fast, not 'turbo'");
    cr_assert_eq(ie_scan_option_set_text(row, "fas", false, &o, &err), IE_EINVAL);
    cr_assert_eq(o.profile, IE_PROFILE_FAST, "a refused value leaves the option alone");

    ie_scan_options_init(&o);
    cr_assert_eq(ie_scan_options_apply_json("{\"profile\":\"fast\"}", NULL, &o, &err), 0);
    cr_assert_eq(o.profile, IE_PROFILE_FAST);
    cr_assert_eq(ie_scan_options_apply_json("{\"profile\":1}", NULL, &o, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "options.profile: expected one of \"compatible|fast\"");
    cr_assert_eq(ie_scan_options_apply_json("{\"profile\":\"FAST\"}", NULL, &o, &err), IE_EINVAL);
    cr_assert_eq(ie_scan_options_apply_json("{\"profile\":\"compatible\"}", NULL, &o, &err), 0);
    cr_assert_eq(o.profile, IE_PROFILE_COMPATIBLE);

    /* GET /api/v1/config's defaults and the round trip through the API's JSON. */
    o.profile = IE_PROFILE_FAST;
    cJSON *j = ie_scan_options_to_json(&o);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "profile")->valuestring, "fast");
    char *text = cJSON_PrintUnformatted(j);
    struct ie_scan_options b;
    ie_scan_options_init(&b);
    cr_assert_eq(ie_scan_options_apply_json(text, NULL, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(b.profile, IE_PROFILE_FAST);
    free(text);
    cJSON_Delete(j);

    char *usage = ie_scan_options_usage();
    cr_assert_not_null(strstr(usage, "--profile compatible|fast"));
    free(usage);
}

Test(profile, header_records_fast_and_resume_or_merge_tell_them_apart)
{
    struct ie_scan_options a, b;
    ie_scan_options_init(&a);
    ie_scan_options_init(&b);
    b.profile = IE_PROFILE_FAST;
    char *sa = ie_scan_options_settings_json(&a), *sb = ie_scan_options_settings_json(&b);
    cr_assert_null(strstr(sa, "profile"), "compatible headers keep their bytes: %s", sa);
    cr_assert_not_null(strstr(sb, ",\"profile\":\"fast\","), "%s", sb);
    cr_assert_not(ie_settings_same_analysis(sa, sb));
    cr_assert_str_eq(ie_settings_analysis_difference(sa, sb), "profile");
    char *va = ie_settings_value_text(sa, "profile"), *vb = ie_settings_value_text(sb, "profile");
    cr_assert_str_eq(va, "\"compatible\"", "a header without it was a compatible scan");
    cr_assert_str_eq(vb, "\"fast\"");
    free(va);
    free(vb);
    /* An explicit "compatible" (e.g. written by hand) is the same as none. */
    const char *p = strstr(sb, "\"fast\"");
    char *explicit_compat = malloc(strlen(sb) + 16);
    sprintf(explicit_compat, "%.*s\"compatible\"%s", (int)(p - sb), sb, p + 6);
    cr_assert(ie_settings_same_analysis(sa, explicit_compat), "%s", explicit_compat);
    free(explicit_compat);
    cr_assert_not(ie_settings_same_analysis(sb, "{\"profile\":\"fast\"}"));
    free(sa);
    free(sb);
}

/* Scenes as functions of the position (u, v in [0, 1)), so that they look alike at any size. */
enum scene { SHARP, SOFT, DARK, BRIGHT, FRAMED, N_SCENES };

/* A landscape: waves of up to 7 cycles across with amplitudes falling as 1/f, like the low
 * frequencies of photos (a few pure waves would leave most hash bits to chance), tabulated on a
 * 65 x 65 grid and interpolated. */
static double landscape(double u, double v)
{
    static double grid[65][65];
    static bool made;
    if (!made) {
        for (int y = 0; y <= 64; y++)
            for (int x = 0; x <= 64; x++) {
                double sum = 0;
                for (int fy = 0; fy < 8; fy++)
                    for (int fx = 0; fx < 8; fx++) {
                        double f = sqrt(fx * fx + fy * fy), phase = (fx * 7 + fy * 13) % 17;
                        sum += 40 / (1 + f) * cos(2 * M_PI * (fx * x + fy * y) / 64.0 + phase);
                    }
                grid[y][x] = sum / 4;
            }
        made = true;
    }
    double gx = u * 64, gy = v * 64;
    int x = (int)gx, y = (int)gy;
    double tx = gx - x, ty = gy - y;
    return (grid[y][x] * (1 - tx) + grid[y][x + 1] * tx) * (1 - ty) +
           (grid[y + 1][x] * (1 - tx) + grid[y + 1][x + 1] * tx) * ty;
}

static void scene_pixel(enum scene s, double u, double v, uint8_t *px)
{
    double checker = ((int)(u * 48) + (int)(v * 32)) % 2 ? 40 : -40;
    double wave = landscape(u, v);
    double g;
    switch (s) {
    case SHARP:
        g = 128 + wave + checker;
        break;
    case SOFT:
        g = 128 + wave;
        break;
    case DARK:
        g = 22 + wave / 5;
        break;
    case BRIGHT:
        g = 236 + wave / 5;
        break;
    default: { /* a bright, sharp centre in a black frame: the corners differ from the centre */
        bool frame = u < 0.12 || u > 0.88 || v < 0.12 || v > 0.88;
        g = frame ? 5 + wave / 8 : 160 + wave + checker;
        break;
    }
    }
    px[0] = (uint8_t)fmax(0, fmin(255, g + 10));
    px[1] = (uint8_t)fmax(0, fmin(255, g));
    px[2] = (uint8_t)fmax(0, fmin(255, g - 10));
}

static void *scene_file(enum scene s, int w, int h, const char *suffix, size_t *len)
{
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            scene_pixel(s, (x + 0.5) / w, (y + 0.5) / h, px + ((size_t)y * (size_t)w + x) * 3);
    VipsImage *im =
        vips_image_new_from_memory(px, (size_t)w * (size_t)h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
    void *buf = NULL;
    cr_assert_eq(vips_image_write_to_buffer(im, suffix, &buf, len, NULL), 0, "%s",
                 vips_error_buffer());
    g_object_unref(im);
    free(px);
    return buf;
}

static int hamming(const struct ie_hash256 *a, const struct ie_hash256 *b)
{
    int d = 0;
    for (int i = 0; i < 4; i++)
        d += __builtin_popcountll(a->w[i] ^ b->w[i]);
    return d;
}

/* Clear-cut images (every value far from its threshold) give the same flags under both
 * profiles, and hashes within 4 bits. At a working size of 512: 2300 px JPEG and WebP are
 * decoded at a quarter (575 px, measured as decoded), 2300 px PNG is resampled as before (over
 * twice the working size), and 900 px images of every kind are measured as decoded. */
Test(profile, fast_records_of_clear_cut_images_have_the_compatible_flags, .timeout = 60)
{
    static const char *const kinds[] = {".jpg[Q=92]", ".webp[Q=92]", ".png"};
    static const int sizes[][2] = {{2300, 1500}, {900, 700}};
    struct ie_scan_options oc, of;
    ie_scan_options_init(&oc);
    oc.max_image_dim = 512;
    of = oc;
    of.profile = IE_PROFILE_FAST;
    int blur_moved = 0;
    for (size_t k = 0; k < IE_ARRAY_LEN(kinds); k++)
        for (size_t z = 0; z < IE_ARRAY_LEN(sizes); z++)
            for (int s = 0; s < N_SCENES; s++) {
                size_t len;
                void *buf = scene_file((enum scene)s, sizes[z][0], sizes[z][1], kinds[k], &len);
                struct ie_record c, f;
                ie_record_init(&c);
                ie_record_init(&f);
                ie_analyze_buffer(buf, len, &oc, &c);
                ie_analyze_buffer(buf, len, &of, &f);
                const char *what = kinds[k];
                cr_assert_not(c.is_corrupt || f.is_corrupt, "%s scene %d", what, s);
                cr_assert_eq(f.width, c.width, "the stored size is the file's");
                cr_assert_eq(c.is_dark, f.is_dark, "%s scene %d", what, s);
                cr_assert_eq(c.is_overexposed, f.is_overexposed, "%s scene %d", what, s);
                cr_assert_eq(c.is_blurry, f.is_blurry, "%s scene %d: blur %.2f vs %.2f", what, s,
                             c.blur_score, f.blur_score);
                cr_assert_eq(c.has_border_artifact, f.has_border_artifact, "%s %d", what, s);
                cr_assert_leq(hamming(&c.phash, &f.phash), 4, "%s scene %d phash", what, s);
                cr_assert_leq(hamming(&c.dhash, &f.dhash), 4, "%s scene %d dhash", what, s);

                cr_assert_lt(fabs(c.pixel_stats.mean_brightness - f.pixel_stats.mean_brightness),
                             2.0, "%s scene %d", what, s);
                blur_moved += c.blur_score != f.blur_score;
                /* The scenes were made to be clear-cut: check that they are. */
                cr_assert(s != SHARP || c.blur_score > 300, "%.2f", c.blur_score);
                cr_assert((s != SOFT && s != DARK && s != BRIGHT) || c.blur_score < 20, "%.2f",
                          c.blur_score);
                cr_assert(s != DARK || c.is_dark);
                cr_assert(s != BRIGHT || c.is_overexposed);
                cr_assert(s != FRAMED || c.has_border_artifact);
                ie_record_release(&c);
                ie_record_release(&f);
                g_free(buf);
            }
    cr_assert_gt(blur_moved, 0, "the fast profile took another path for some image");
}

/* The rescaled score of an image k times the working size comes close to the score of that
 * image resampled to the working size (what the compatible profile measures), and much closer
 * than the plain score, for a smooth and a textured scene. */
Test(profile, rescaled_blur_score_follows_the_resampled_one)
{
    const int W = 900, H = 600;
    const double ks[] = {1.25, 1.5, 1.8};
    for (int s = SHARP; s <= SOFT; s++) {
        uint8_t *big = malloc((size_t)W * H * 3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *p = big + ((size_t)y * W + x) * 3;
                scene_pixel((enum scene)s, (x + 0.5) / W, (y + 0.5) / H, p);
                /* Fine texture, different in every pixel: a spectrum spread over all scales. */
                int n = (int)((x * 2654435761u ^ y * 40503u) >> 27) - 16;
                for (int c = 0; c < 3; c++)
                    p[c] = (uint8_t)fmax(0, fmin(255, p[c] + n));
            }
        /* Blur the texture a little, as a lens would. */
        VipsImage *in = vips_image_new_from_memory(big, (size_t)W * H * 3, W, H, 3,
                                                   VIPS_FORMAT_UCHAR),
                  *soft;
        cr_assert_eq(vips_gaussblur(in, &soft, 0.8, NULL), 0);
        size_t n;
        uint8_t *px = vips_image_write_to_memory(soft, &n);
        struct ie_rgb img = {W, H, px};
        cr_assert_float_eq(ie_compute_blur_score_rescaled(&img, 1.0), ie_compute_blur_score(&img),
                           1e-9);
        for (size_t i = 0; i < IE_ARRAY_LEN(ks); i++) {
            int ow = (int)(W / ks[i]), oh = (int)(H / ks[i]);
            uint8_t *small = ie_resample_lanczos(px, W, H, 3, ow, oh);
            struct ie_rgb work = {ow, oh, small};
            double want = ie_compute_blur_score(&work);
            double plain = ie_compute_blur_score(&img);
            double got = ie_compute_blur_score_rescaled(&img, ks[i]);
            cr_assert_lt(fabs(got - want), fabs(plain - want),
                         "scene %d k %.2f: rescaled %.2f, plain %.2f, resampled %.2f", s, ks[i],
                         got, plain, want);
            cr_assert_lt(fabs(got - want) / want, 0.25,
                         "scene %d k %.2f: rescaled %.2f, resampled %.2f", s, ks[i], got, want);
            free(small);
        }
        g_free(px);
        g_object_unref(soft);
        g_object_unref(in);
        free(big);
    }
}
