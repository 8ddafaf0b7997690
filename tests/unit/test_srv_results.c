/* Results of finished scans from their records: cache keys that change with finished_at, the
 * summary, duplicates with image ids, checks, a plot, and the warm-up computing exactly what
 * srv_result_is_warmed says (and stopping when asked). Uses the golden sample manifest. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/analyze.h"
#include "imgeda/checks.h"
#include "imgeda/duplicates.h"
#include "results.h"

static struct ie_manifest full;
static struct srv_records m; /* full's records, as the results take them */
static struct srv_scan_row row;

static void setup(void)
{
    struct ie_err err = {0};
    char path[4096];
    const char *fx = getenv("IE_FIXTURES");
    cr_assert_eq(ie_init("test_srv_results", &err), 0, "%s", err.msg);
    snprintf(path, sizeof(path), "%s/golden/sample_default.jsonl", fx ? fx : "tests/fixtures");
    ie_manifest_init(&full);
    cr_assert_eq(ie_manifest_load(path, &full, &err), 0, "%s", err.msg);
    m = srv_records_of_manifest(&full);
    memset(&row, 0, sizeof(row));
    row.id = (char *)"s1";
    row.status = (char *)"succeeded";
    row.finished_at = (char *)"2026-01-01T00:00:00+00:00";
}

static void teardown(void)
{
    ie_manifest_release(&full);
    ie_shutdown();
}

TestSuite(results, .init = setup, .fini = teardown);

Test(results, keys_name_the_scan_its_finish_and_the_result)
{
    char a[256], b[256], what[64];
    srv_result_key(a, sizeof(a), &row, SRV_RESULT_SUMMARY);
    cr_expect_str_eq(a, "s1|2026-01-01T00:00:00+00:00|summary");
    struct srv_scan_row resumed = row;
    resumed.finished_at = (char *)"2026-01-02T00:00:00+00:00";
    srv_result_key(b, sizeof(b), &resumed, SRV_RESULT_SUMMARY);
    cr_expect_str_neq(a, b, "a resumed scan's results are new keys");
    struct srv_dup_page_req q = {.near = true, .threshold = 4};
    srv_result_dup_index_what(what, sizeof(what), &q);
    cr_expect(srv_result_is_warmed(what), "the slider's thresholds page at once: %s", what);
    q.threshold = 32;
    srv_result_dup_index_what(what, sizeof(what), &q);
    cr_expect_not(srv_result_is_warmed(what), "thresholds above the slider are computed on demand");
    q = (struct srv_dup_page_req){.near = false};
    srv_result_dup_index_what(what, sizeof(what), &q);
    cr_expect(srv_result_is_warmed(what), "%s", what);
    srv_result_duplicates_what(what, sizeof(what), IE_DUP_DEFAULT_THRESHOLD);
    cr_expect(srv_result_is_warmed(what), "%s", what);
    cr_expect(srv_result_is_warmed(SRV_RESULT_SUMMARY));
}

Test(results, summary_duplicates_and_checks_are_json_of_the_records)
{
    struct ie_buf out;
    struct ie_err err = {0};
    const char *mime = "application/json";
    struct ie_dup_opts dopts;
    unsigned all = IE_CHECK_ALL;
    ie_buf_init(&out);
    cr_assert_eq(srv_result_summary(&row, &m, NULL, &out, &mime, &err), 0, "%s", err.msg);
    cr_expect(strstr(out.data, "\"total_images\": 7") || strstr(out.data, "\"total_images\":7"),
              "%.300s", out.data);
    ie_buf_reset(&out);
    ie_dup_opts_init(&dopts);
    cr_assert_eq(srv_result_duplicates(&row, &m, &dopts, &out, &mime, &err), 0, "%s", err.msg);
    cr_expect(strstr(out.data, "exact_ids"), "%.300s", out.data);
    cr_expect(strstr(out.data, "street_copy.jpg"), "the planted pair: %.400s", out.data);
    ie_buf_reset(&out);
    cr_assert_eq(srv_result_checks(&row, &m, &all, &out, &mime, &err), 0, "%s", err.msg);
    cr_expect(strstr(out.data, "\"checks\""), "%.300s", out.data);
    cr_expect(strstr(out.data, "broken.jpg"), "the corrupt sample: %.400s", out.data);
    ie_buf_release(&out);
}

Test(results, a_plot_is_a_png)
{
    struct ie_buf out;
    struct ie_err err = {0};
    const char *mime = "application/json";
    struct srv_plot_request pr;
    ie_buf_init(&out);
    ie_plot_opts_init(&pr.o);
    pr.type = IE_PLOT_BRIGHTNESS;
    cr_assert_eq(srv_result_plot(&row, &m, &pr, &out, &mime, &err), 0, "%s", err.msg);
    cr_expect_str_eq(mime, "image/png");
    cr_assert_gt(out.len, 8);
    cr_expect_eq(memcmp(out.data, "\x89PNG", 4), 0);
    ie_buf_release(&out);
}

struct collected {
    size_t n, not_warmable;
    int stop_after;
    atomic_bool *stop;
};

static void collect(void *ud, const char *key, const void *data, size_t len, const char *mime)
{
    struct collected *c = ud;
    const char *what = strrchr(key, '|');
    (void)data;
    (void)mime;
    cr_expect_gt(len, 0);
    c->n++;
    c->not_warmable += !srv_result_is_warmed(what ? what + 1 : key);
    if (c->stop_after && (int)c->n == c->stop_after)
        atomic_store(c->stop, true);
}

Test(results, warm_up_computes_the_warmable_results_and_stops_when_asked)
{
    struct ie_err err = {0};
    atomic_bool stop = false;
    struct collected c = {0, 0, 0, &stop};
    cr_assert_eq(srv_results_warm(&row, &m, &stop, collect, &c, &err), 0, "%s", err.msg);
    cr_expect_geq(c.n, 1 + 1 + 11 + SRV_WARM_THRESHOLD_MAX,
                  "summary, checks, 11 plots, duplicates, exact and near 0..16 group indexes: %zu",
                  c.n);
    cr_expect_eq(c.not_warmable, 0, "every result it puts is one it claims");
    struct collected s = {0, 0, 3, &stop};
    cr_expect_eq(srv_results_warm(&row, &m, &stop, collect, &s, &err), IE_ECANCELED);
    cr_expect_eq(s.n, 3, "nothing more once stopped");
}

/* ---- the lean manifest gives the same bytes as the loaded one ---- */

struct kept {
    char *key, *data;
    size_t len;
};
struct kept_all {
    struct kept v[128];
    size_t n;
};

static void keep(void *ud, const char *key, const void *data, size_t len, const char *mime)
{
    struct kept_all *k = ud;
    (void)mime;
    cr_assert_lt(k->n, 128);
    k->v[k->n].key = strdup(key);
    k->v[k->n].data = malloc(len ? len : 1);
    memcpy(k->v[k->n].data, data, len);
    k->v[k->n++].len = len;
}

static void kept_release(struct kept_all *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->v[i].key);
        free(k->v[i].data);
    }
    k->n = 0;
}

/* One result computed by fn from both kinds of records must be the same bytes. */
static void expect_same(srv_result_fn fn, void *ctx, const struct srv_records *a,
                        const struct srv_records *b, const char *what)
{
    struct ie_buf x, y;
    struct ie_err err = {0};
    const char *mime = "application/json";
    ie_buf_init(&x);
    ie_buf_init(&y);
    cr_assert_eq(fn(&row, a, ctx, &x, &mime, &err), 0, "%s: %s", what, err.msg);
    cr_assert_eq(fn(&row, b, ctx, &y, &mime, &err), 0, "%s: %s", what, err.msg);
    size_t at = 0;
    while (at < x.len && at < y.len && x.data[at] == y.data[at])
        at++;
    cr_expect(x.len == y.len && at == x.len,
              "%s differs at byte %zu: loaded %zu bytes, lean %zu bytes: %.80s | %.80s", what, at,
              x.len, y.len, x.data + (at > 20 ? at - 20 : 0), y.data + (at > 20 ? at - 20 : 0));
    ie_buf_release(&x);
    ie_buf_release(&y);
}

/* Every warmed result (summary, checks, duplicates, group indexes, histograms, plots), the
 * single checks, duplicates at other thresholds and sampled plots, from ie_manifest_load's
 * records and from the lean manifest of the same file: byte for byte the same. */
static void expect_lean_same_as_loaded(const char *path, size_t min_n, size_t min_replaced)
{
    struct ie_manifest fm;
    struct ie_lean_manifest lm;
    struct ie_err err = {0};
    atomic_bool stop = false;
    struct kept_all *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    ie_manifest_init(&fm);
    ie_lean_manifest_init(&lm);
    cr_assert_eq(ie_manifest_load(path, &fm, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_lean_manifest_load(path, &lm, &err), 0, "%s", err.msg);
    cr_assert_eq(lm.n, fm.n);
    cr_assert_geq(fm.n, min_n);
    cr_expect_geq(fm.replaced, min_replaced);
    cr_expect_eq(lm.replaced, fm.replaced);
    cr_expect_eq(lm.skipped_lines, fm.skipped_lines);
    struct srv_records ra = srv_records_of_manifest(&fm), rb = srv_records_of_lean(&lm);
    cr_assert_eq(srv_results_warm(&row, &ra, &stop, keep, a, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_results_warm(&row, &rb, &stop, keep, b, &err), 0, "%s", err.msg);
    cr_assert_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        cr_expect_str_eq(a->v[i].key, b->v[i].key);
        cr_expect(
            a->v[i].len == b->v[i].len && memcmp(a->v[i].data, b->v[i].data, a->v[i].len) == 0,
            "%s differs: loaded %zu bytes, lean %zu bytes", a->v[i].key, a->v[i].len, b->v[i].len);
    }
    for (int k = 0; k < IE_CHECK_NKINDS; k++) {
        unsigned kinds = 1u << k;
        expect_same(srv_result_checks, &kinds, &ra, &rb, ie_check_name((enum ie_check_kind)k));
    }
    for (int t = 0; t <= 32; t += 8) {
        struct ie_dup_opts o;
        ie_dup_opts_init(&o);
        o.threshold = t;
        expect_same(srv_result_duplicates, &o, &ra, &rb, "duplicates");
    }
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        struct srv_plot_request pr;
        ie_plot_opts_init(&pr.o);
        pr.type = (enum ie_plot_type)t;
        pr.o.format = IE_PLOT_PNG; /* cairo numbers SVG surfaces process-wide */
        pr.o.dpi = 40;
        pr.o.sample = 50;
        expect_same(srv_result_plot, &pr, &ra, &rb, ie_plot_type_name(pr.type));
    }
    kept_release(a);
    kept_release(b);
    free(a);
    free(b);
    ie_lean_manifest_release(&lm);
    ie_manifest_release(&fm);
}

Test(results, lean_records_give_the_same_bytes_on_a_real_scan)
{
    char *p = th_path(th_fixtures(), "golden/sample_default.jsonl");
    expect_lean_same_as_loaded(p, 7, 0);
    free(p);
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static const char *pick(uint64_t *s, const char *const *v, size_t n)
{
    return v[rnd(s) % n];
}

/* A record of the generated manifest: fields drawn from small sets so that groups, ties,
 * flat and corrupt images, missing values and shared strings all occur. */
static void gen_record(struct ie_record *r, size_t i, uint64_t *s)
{
    static const char *const fmts[] = {"JPEG", "PNG", "WEBP", NULL, ""};
    static const char *const makes[] = {"Canon", "NIKON CORPORATION", "", NULL, NULL};
    static const char *const models[] = {"Canon EOS 5D", "NIKON D750", "iPhone 12", NULL};
    static const char *const errs[] = {"truncated JPEG", "not an image", "", NULL};
    static const char *const risks[] = {"high", "medium", "low", NULL};
    char buf[160];
    snprintf(buf, sizeof(buf), "/data/set%zu/img_%05zu.%s", i % 7, i, i % 3 ? "jpg" : "PNG");
    r->path = strdup(buf);
    unsigned f = (unsigned)rnd(s) % 10;
    r->filename = f == 0 ? NULL : f == 1 ? strdup("renamed.Jpeg") : strdup(strrchr(buf, '/') + 1);
    ie_record_set_str(&r->format, pick(s, fmts, 5));
    ie_record_set_str(&r->color_mode, rnd(s) % 4 ? "RGB" : "L");
    ie_record_set_str(&r->camera_make, pick(s, makes, 5));
    ie_record_set_str(&r->camera_model, pick(s, models, 4));
    ie_record_set_str(&r->distortion_risk, pick(s, risks, 4));
    r->width = (int)(rnd(s) % 4) * 320;
    r->height = (int)(rnd(s) % 3) * 240;
    r->file_size_bytes = (int64_t)(rnd(s) % 5) * 1000;
    r->aspect_ratio = r->height ? (double)r->width / r->height : 0;
    r->is_corrupt = rnd(s) % 20 == 0;
    if (r->is_corrupt)
        ie_record_set_str(&r->error, pick(s, errs, 4));
    r->has_pixel_stats = rnd(s) % 8 != 0;
    double std = rnd(s) % 6 == 0 ? 0.5 : (double)(rnd(s) % 9000) / 100;
    r->pixel_stats =
        (struct ie_pixel_stats){(double)(rnd(s) % 25500) / 100, 90.25, 17, std, std, std + 0.25,
                                (double)(rnd(s) % 25600) / 100, 0,     255};
    r->has_corner_stats = rnd(s) % 5 != 0;
    r->corner_stats.delta = (double)(rnd(s) % 6000) / 100;
    r->has_blur_score = rnd(s) % 7 != 0;
    r->blur_score = (double)(rnd(s) % 300000) / 100;
    r->is_dark = rnd(s) % 9 == 0;
    r->is_overexposed = rnd(s) % 11 == 0;
    r->has_border_artifact = rnd(s) % 13 == 0;
    r->is_blurry = rnd(s) % 6 == 0;
    r->has_phash = rnd(s) % 10 != 0;
    /* 150 base hashes with a few flipped bits: exact and near groups of every size. */
    uint64_t base = rnd(s) % 150 + 1;
    for (int w = 0; w < 4; w++)
        r->phash.w[w] = base * 0x9E3779B97F4A7C15ull * (uint64_t)(w + 1);
    if (rnd(s) % 2)
        r->phash.w[rnd(s) % 4] ^= 1ull << (rnd(s) % 64);
    if (rnd(s) % 50 == 0)
        memset(&r->phash, 0, sizeof(r->phash));
    snprintf(buf, sizeof(buf), "xxh3_128:%032llx", (unsigned long long)(rnd(s) % 400));
    if (rnd(s) % 5)
        ie_record_set_str(&r->content_hash, buf);
    r->has_iso_speed = rnd(s) % 3 == 0;
    r->iso_speed = (int)(rnd(s) % 6400);
    r->has_focal_length_35mm = rnd(s) % 3 == 0;
    r->focal_length_35mm = (int)(rnd(s) % 300);
    r->has_orientation_tag = rnd(s) % 2 == 0;
    r->orientation_tag = (int)(rnd(s) % 8) + 1;
    r->has_gps_data = rnd(s) % 10 == 0;
}

Test(results, lean_records_give_the_same_bytes_on_a_generated_manifest)
{
    char *dir = th_tempdir(), *path = th_path(dir, "gen.jsonl");
    struct ie_buf text;
    uint64_t s = 42;
    ie_buf_init(&text);
    char *head =
        ie_manifest_header_json("/data", "{\"dark_threshold\": 60.0, \"blur_threshold\": 150}",
                                4000, "2026-01-01T00:00:00+00:00");
    ie_buf_adds(&text, head);
    ie_buf_addc(&text, '\n');
    free(head);
    for (size_t i = 0; i < 4000; i++) {
        struct ie_record r;
        ie_record_init(&r);
        /* Every 40th line repeats an earlier path: it replaces that record in its place. */
        gen_record(&r, i % 40 == 39 ? i / 2 : i, &s);
        char *line = ie_record_to_json(&r);
        ie_buf_adds(&text, line);
        ie_buf_addc(&text, '\n');
        free(line);
        ie_record_release(&r);
    }
    /* Lines of unexpected types and a line that is not JSON, as hand-edited manifests have. */
    ie_buf_adds(&text,
                "{\"path\": \"/data/odd1.jpg\", \"width\": 640.5, \"format\": 7, "
                "\"is_dark\": 1, \"phash\": \"abc\", \"camera_make\": [1]}\n"
                "not json at all\n"
                "{\"path\": \"/data/odd2.jpg\", \"filename\": null, \"is_corrupt\": true}\n");
    th_write(path, text.data, text.len);
    expect_lean_same_as_loaded(path, 3800, 40);
    ie_buf_release(&text);
    th_rmrf(dir);
    free(path);
    free(dir);
}
