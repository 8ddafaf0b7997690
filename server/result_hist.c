/* The metric histograms behind the dashboard's threshold sliders (GET histograms, results.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/checks.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "results.h"

/* One slider: the metric a flag compares, the side that flags and the integer keys counted.
 * A "below" flag (value < t) counts floor(value), an "above" flag (value > t) ceil(value): for
 * every integer threshold t the flagged images are then exactly the keys < t, resp. > t, so the
 * browser adds up bins and gets the count the scan would have had at t. Keys outside lo..hi go
 * to "under" and "over", which a slider never reaches inside lo..hi. */
struct hist_spec {
    const char *issue, *metric, *setting;
    bool above;
    int lo, hi;
};

static const struct hist_spec SPECS[] = {
    {"dark", "mean_brightness", "dark_threshold", false, 0, 255},
    {"overexposed", "mean_brightness", "overexposed_threshold", true, 0, 255},
    {"blurry", "blur_score", "blur_threshold", false, 0, 2000},
    {"artifacts", "delta", "artifact_threshold", true, 0, 255},
};

static bool metric_of(const struct ie_record *r, const char *metric, double *v)
{
    if (metric[0] == 'm' && r->has_pixel_stats) {
        *v = r->pixel_stats.mean_brightness;
        return true;
    }
    if (metric[0] == 'b' && r->has_blur_score) {
        *v = r->blur_score;
        return true;
    }
    if (metric[0] == 'd' && r->has_corner_stats) {
        *v = r->corner_stats.delta;
        return true;
    }
    return false;
}

static double threshold_of(const struct ie_check_thresholds *t, const char *issue)
{
    switch (issue[0]) {
    case 'd':
        return t->dark;
    case 'o':
        return t->overexposed;
    case 'b':
        return t->blur;
    default:
        return t->artifact;
    }
}

static cJSON *one_hist(const struct hist_spec *s, const struct srv_records *m,
                       const struct ie_check_thresholds *t)
{
    struct ie_record tmp;
    size_t n = m->src.n;
    size_t nb = (size_t)(s->hi - s->lo + 1), with = 0, under = 0, over = 0, flagged = 0;
    double *bins = calloc(nb, sizeof(*bins));
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; bins && i < n; i++) {
        double v;
        if (!metric_of(ie_recsrc_at(&m->src, i, &tmp), s->metric, &v) || !isfinite(v))
            continue;
        double k = s->above ? ceil(v) : floor(v);
        with++;
        if (k < s->lo)
            under++;
        else if (k > s->hi)
            over++;
        else
            bins[(size_t)(k - s->lo)] += 1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ie_record *r = ie_recsrc_at(&m->src, i, &tmp);
        bool f = s->issue[0] == 'd'   ? r->is_dark
                 : s->issue[0] == 'o' ? r->is_overexposed
                 : s->issue[0] == 'b' ? r->is_blurry
                                      : r->has_border_artifact;
        flagged += f;
    }
    cJSON_AddStringToObject(o, "metric", s->metric);
    cJSON_AddStringToObject(o, "flagged_when", s->above ? "above" : "below");
    cJSON_AddStringToObject(o, "setting", s->setting);
    cJSON_AddNumberToObject(o, "threshold", threshold_of(t, s->issue));
    cJSON_AddNumberToObject(o, "flagged", (double)flagged);
    cJSON_AddNumberToObject(o, "images", (double)with);
    cJSON_AddNumberToObject(o, "lo", s->lo);
    cJSON_AddNumberToObject(o, "hi", s->hi);
    cJSON_AddNumberToObject(o, "under", (double)under);
    cJSON_AddNumberToObject(o, "over", (double)over);
    cJSON_AddItemToObject(o, "counts",
                          bins ? cJSON_CreateDoubleArray(bins, (int)nb) : cJSON_CreateArray());
    free(bins);
    return o;
}

/* The corrupt files counted by their decoder error, largest first (ties by the error's text),
 * over every record: the Corrupt tab lists files of the first page only but counts all. At most
 * CORRUPT_ERRORS_MAX distinct errors; the rest are summed in "other_errors". */
#define CORRUPT_ERRORS_MAX 500
struct err_count {
    const char *error;
    size_t n;
};

static int by_count(const void *a, const void *b)
{
    const struct err_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->error, y->error);
}

static void add_corrupt_errors(const struct srv_records *m, cJSON *o)
{
    struct ie_record tmp;
    struct ie_strmap at;
    struct err_count *c = NULL;
    size_t n = 0, cap = 0, other = 0;
    ie_strmap_init(&at);
    for (size_t i = 0; i < m->src.n; i++) {
        const struct ie_record *r = ie_recsrc_at(&m->src, i, &tmp);
        const char *e = r->error && *r->error ? r->error : "unreadable";
        size_t k;
        if (!r->is_corrupt)
            continue;
        if (!ie_strmap_get(&at, e, &k)) {
            ie_grow((void **)&c, &cap, n + 1, sizeof(*c));
            c[n] = (struct err_count){e, 0};
            ie_strmap_put(&at, e, k = n++);
        }
        c[k].n++;
    }
    if (n)
        qsort(c, n, sizeof(*c), by_count);
    cJSON *a = cJSON_AddArrayToObject(o, "corrupt_errors");
    for (size_t i = 0; i < n; i++) {
        if (i >= CORRUPT_ERRORS_MAX) {
            other += c[i].n;
            continue;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "error", c[i].error);
        cJSON_AddNumberToObject(e, "count", (double)c[i].n);
        cJSON_AddItemToArray(a, e);
    }
    cJSON_AddNumberToObject(o, "other_errors", (double)other);
    free(c);
    ie_strmap_release(&at);
}

int srv_result_histograms(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err)
{
    struct ie_check_thresholds t;
    cJSON *o = cJSON_CreateObject(), *h;
    char *s;
    (void)row;
    (void)ctx;
    (void)mime;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, m->settings_json);
    cJSON_AddNumberToObject(o, "total_images", (double)m->src.n);
    h = cJSON_AddObjectToObject(o, "histograms");
    for (size_t i = 0; i < sizeof(SPECS) / sizeof(SPECS[0]); i++)
        cJSON_AddItemToObject(h, SPECS[i].issue, one_hist(&SPECS[i], m, &t));
    add_corrupt_errors(m, o);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return ie_err_set(err, IE_ELIMIT, "histograms: out of memory");
    ie_buf_adds(out, s);
    free(s);
    return 0;
}
