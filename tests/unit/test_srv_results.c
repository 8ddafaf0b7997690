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

static struct ie_manifest m;
static struct srv_scan_row row;

static void setup(void)
{
    struct ie_err err = {0};
    char path[4096];
    const char *fx = getenv("IE_FIXTURES");
    cr_assert_eq(ie_init("test_srv_results", &err), 0, "%s", err.msg);
    snprintf(path, sizeof(path), "%s/golden/sample_default.jsonl", fx ? fx : "tests/fixtures");
    ie_manifest_init(&m);
    cr_assert_eq(ie_manifest_load(path, &m, &err), 0, "%s", err.msg);
    memset(&row, 0, sizeof(row));
    row.id = (char *)"s1";
    row.status = (char *)"succeeded";
    row.finished_at = (char *)"2026-01-01T00:00:00+00:00";
}

static void teardown(void)
{
    ie_manifest_release(&m);
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
