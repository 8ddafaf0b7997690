/* The metric histograms behind the dashboard's threshold sliders (GET histograms, results.h). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "imgeda/checks.h"
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

static cJSON *one_hist(const struct hist_spec *s, const struct ie_manifest *m,
                       const struct ie_check_thresholds *t)
{
    size_t nb = (size_t)(s->hi - s->lo + 1), with = 0, under = 0, over = 0, flagged = 0;
    double *bins = calloc(nb, sizeof(*bins));
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; bins && i < m->n; i++) {
        double v;
        if (!metric_of(&m->recs[i], s->metric, &v) || !isfinite(v))
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
    for (size_t i = 0; i < m->n; i++) {
        const struct ie_record *r = &m->recs[i];
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

int srv_result_histograms(const struct srv_scan_row *row, const struct ie_manifest *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err)
{
    struct ie_check_thresholds t;
    cJSON *o = cJSON_CreateObject(), *h;
    char *s;
    (void)row;
    (void)ctx;
    (void)mime;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, m->meta.settings_json);
    cJSON_AddNumberToObject(o, "total_images", (double)m->n);
    h = cJSON_AddObjectToObject(o, "histograms");
    for (size_t i = 0; i < sizeof(SPECS) / sizeof(SPECS[0]); i++)
        cJSON_AddItemToObject(h, SPECS[i].issue, one_hist(&SPECS[i], m, &t));
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return ie_err_set(err, IE_ELIMIT, "histograms: out of memory");
    ie_buf_adds(out, s);
    free(s);
    return 0;
}
