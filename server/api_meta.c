/* The daemon's own resources: GET /healthz, /metrics (Prometheus text), /api/v1/openapi.json
 * and /api/v1/config. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_internal.h"
#include "cache.h"
#include "db.h"
#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "memory.h"
#include "metrics.h"

enum MHD_Result srv_h_healthz(struct srv_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddStringToObject(o, "version", IMGEDA_VERSION);
    cJSON_AddStringToObject(o, "analyzer_version", IE_ANALYZER_VERSION);
    return srv_reply_json(r, 200, o);
}

enum MHD_Result srv_h_openapi(struct srv_req *r)
{
    return srv_reply_json(r, 200, srv_api_openapi());
}

enum MHD_Result srv_h_metrics(struct srv_req *r)
{
    struct ie_err err = {0};
    struct ie_buf b;
    struct srv_metrics_counts jm;
    struct srv_cache_stats cs;
    unsigned long long req = 0, errs = 0;
    sqlite3 *db = srv_http_db(r, &err);
    if (!db)
        return srv_reply_ie_err(r, &err);
    ie_buf_init(&b);
    ie_buf_adds(&b, "# HELP imgedad_scans Scans by state.\n# TYPE imgedad_scans gauge\n");
    static const char *const states[] = {"queued", "running", "succeeded", "failed", "cancelled"};
    for (size_t i = 0; i < IE_ARRAY_LEN(states); i++) {
        sqlite3_stmt *st;
        long long n = 0;
        if (srv_db_prepare(db, "SELECT COUNT(*) FROM scans WHERE status = ?", &st, NULL) == 0) {
            sqlite3_bind_text(st, 1, states[i], -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        ie_buf_addf(&b, "imgedad_scans{state=\"%s\"} %lld\n", states[i], n);
    }
    srv_metrics_get(r->ctx->metrics, &jm);
    srv_http_metrics(r->ctx->http, &req, &errs);
    srv_cache_stats(r->ctx->cache, &cs);
    ie_buf_addf(&b,
                "# HELP imgedad_images_scanned_total Images analysed since start.\n"
                "# TYPE imgedad_images_scanned_total counter\nimgedad_images_scanned_total %llu\n"
                "# HELP imgedad_bytes_scanned_total Bytes read since start.\n"
                "# TYPE imgedad_bytes_scanned_total counter\nimgedad_bytes_scanned_total %llu\n"
                "# HELP imgedad_scan_errors_total Scans that failed since start.\n"
                "# TYPE imgedad_scan_errors_total counter\nimgedad_scan_errors_total %llu\n"
                "# HELP imgedad_http_requests_total HTTP requests since start.\n"
                "# TYPE imgedad_http_requests_total counter\nimgedad_http_requests_total %llu\n"
                "# HELP imgedad_http_errors_total HTTP replies with status >= 400.\n"
                "# TYPE imgedad_http_errors_total counter\nimgedad_http_errors_total %llu\n"
                "# HELP imgedad_results_warmed_total Scans whose first results were computed "
                "ahead of requests.\n"
                "# TYPE imgedad_results_warmed_total counter\nimgedad_results_warmed_total %llu\n"
                "# HELP imgedad_result_cache_hits_total Results of finished scans answered from "
                "the cache.\n"
                "# TYPE imgedad_result_cache_hits_total counter\n"
                "imgedad_result_cache_hits_total %llu\n"
                "# HELP imgedad_result_cache_misses_total Results of finished scans not in the "
                "cache.\n"
                "# TYPE imgedad_result_cache_misses_total counter\n"
                "imgedad_result_cache_misses_total %llu\n"
                "# HELP imgedad_result_cache_bytes Bytes held by the result cache.\n"
                "# TYPE imgedad_result_cache_bytes gauge\nimgedad_result_cache_bytes %llu\n",
                (unsigned long long)jm.images_scanned, (unsigned long long)jm.bytes_scanned,
                (unsigned long long)jm.scan_errors, req, errs,
                (unsigned long long)jm.results_warmed, (unsigned long long)cs.hits,
                (unsigned long long)cs.misses, (unsigned long long)cs.bytes);
    int decoding;
    unsigned long long busy;
    srv_memory_gate_stats(r->ctx->thumbs, &decoding, &busy);
    ie_buf_addf(&b,
                "# HELP imgedad_thumbnail_decodes Thumbnails being decoded now.\n"
                "# TYPE imgedad_thumbnail_decodes gauge\nimgedad_thumbnail_decodes %d\n"
                "# HELP imgedad_thumbnail_busy_total Thumbnail requests answered 503 busy.\n"
                "# TYPE imgedad_thumbnail_busy_total counter\nimgedad_thumbnail_busy_total %llu\n",
                decoding, busy);
    size_t n = b.len;
    return srv_reply_buffer(r, 200, "text/plain; version=0.0.4", ie_buf_detach(&b), n);
}

/* GET /api/v1/config: what a client may need to know of this daemon's configuration (never the
 * token), and the options a scan without options gets, computed by the same function that
 * parses a scan's options, so the two cannot drift apart. */
enum MHD_Result srv_h_config(struct srv_req *r)
{
    const struct srv_config *cfg = r->ctx->cfg;
    struct ie_scan_options so;
    struct ie_err err = {0};
    if (srv_scan_options_from_json(NULL, cfg, &so, &err) < 0)
        return srv_reply_ie_err(r, &err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "version", IMGEDA_VERSION);
    cJSON_AddNumberToObject(o, "workers", (double)cfg->workers);
    /* As srv_api_check_root compares them; a root that does not resolve admits nothing, so it is
     * left out. */
    cJSON *roots = cJSON_AddArrayToObject(o, "allowed_roots");
    for (int i = 0; i < cfg->n_allowed_roots; i++) {
        char real[PATH_MAX];
        if (strncmp(cfg->allowed_roots[i], "s3://", 5) == 0)
            cJSON_AddItemToArray(roots, cJSON_CreateString(cfg->allowed_roots[i]));
        else if (realpath(cfg->allowed_roots[i], real))
            cJSON_AddItemToArray(roots, cJSON_CreateString(real));
    }
    cJSON_AddNumberToObject(o, "max_body_bytes", (double)cfg->max_body_bytes);
    cJSON_AddNumberToObject(o, "max_pixels", (double)cfg->max_pixels);
    cJSON_AddBoolToObject(o, "auth", cfg->auth_token[0] != '\0');
    cJSON_AddItemToObject(o, "scan_defaults", srv_scan_options_to_json(&so));
    return srv_reply_json(r, 200, o);
}
