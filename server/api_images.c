/* The images of a scan: pages of records (filtered, sorted) from SQLite, one record, and
 * JPEG thumbnails made once per size from the paths the scan's records hold. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_internal.h"
#include "imgeda/thumbnail.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "memory.h"

enum MHD_Result srv_h_images(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long limit = 50, cursor = 0;
    char *out = NULL;
    size_t out_len = 0;
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (!srv_api_parse_int(srv_query(r, "limit"), 1, 1000, &limit))
        return srv_reply_error(r, 400, "bad_request", "limit: a number in 1..1000");
    if (!srv_api_parse_int(srv_query(r, "cursor"), 0, LLONG_MAX, &cursor))
        return srv_reply_error(r, 400, "bad_request", "cursor: not a cursor");
    struct srv_image_query q = {.flag = srv_query(r, "flag"),
                                .q = srv_query(r, "q"),
                                .format = srv_query(r, "format"),
                                .sort = srv_query(r, "sort"),
                                .limit = (int)limit,
                                .cursor = cursor};
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_query_images(db, r->params[0], &q, &out, &out_len, &err) < 0)
        return srv_reply_ie_err(r, &err);
    return srv_reply_buffer(r, 200, "application/json", out, out_len);
}

static bool parse_image_id(const char *s, long long *out)
{
    return srv_api_parse_int(s, 1, LLONG_MAX, out) && s;
}

enum MHD_Result srv_h_image(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long iid;
    char *out = NULL;
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (!parse_image_id(r->params[1], &iid))
        return srv_reply_error(r, 404, "not_found", "no image %s", r->params[1]);
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_get_image(db, r->params[0], iid, &out, NULL, &err) < 0)
        return srv_reply_ie_err(r, &err);
    return srv_reply_buffer(r, 200, "application/json", out, strlen(out));
}

/* 503 with Retry-After: every decode place stayed taken for limits.thumbnail_wait_ms. The
 * client (an <img> in the dashboard, a script) may simply ask again a second later. */
static enum MHD_Result reply_busy(struct srv_req *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "code", "busy");
    cJSON_AddStringToObject(e, "message",
                            "every thumbnail decode is taken (limits.thumbnail_decodes); retry");
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct MHD_Response *resp =
        s ? MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!resp) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Retry-After", "1");
    return srv_reply_response(r, 503, resp);
}

/* Decodes path into a thumbnail of size, stores it at cache_path and replies with it. At most
 * limits.thumbnail_decodes run at once (the daemon's memory under a burst of thumbnails is that
 * many images' working sets); the rest wait for a place, then get a 503. */
static enum MHD_Result make_thumbnail(struct srv_req *r, const char *path, int size,
                                      const char *cache_path)
{
    void *buf = NULL;
    size_t len = 0;
    struct ie_err terr = {0};
    if (!srv_memory_gate_enter(r->ctx->thumbs))
        return reply_busy(r);
    /* Another request may have made this very thumbnail while this one waited. */
    if (access(cache_path, R_OK) == 0) {
        srv_memory_gate_leave(r->ctx->thumbs);
        return srv_reply_file(r, cache_path, "image/jpeg", NULL);
    }
    /* Paths come from the scan's own records, never from the request; the core checks the
     * daemon's pixel limit on the header before it decodes anything. */
    int rc = ie_thumbnail_jpeg(path, size, r->ctx->cfg->max_pixels, &buf, &len, &terr);
    if (rc == 0)
        ie_write_file_atomic(cache_path, buf, len, NULL);
    srv_memory_gate_leave(r->ctx->thumbs);
    if (rc < 0)
        return srv_reply_error(r, 422, terr.code == IE_ELIMIT ? "pixel_limit" : "undecodable", "%s",
                               terr.msg);
    return srv_reply_buffer(r, 200, "image/jpeg", buf, len);
}

enum MHD_Result srv_h_thumbnail(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long iid, size = 256;
    char *path = NULL, *dir = NULL;
    struct ie_buf cache;
    enum MHD_Result rc;
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    srv_scan_row_release(&row);
    if (!parse_image_id(r->params[1], &iid))
        return srv_reply_error(r, 404, "not_found", "no image %s", r->params[1]);
    if (!srv_api_parse_int(srv_query(r, "size"), 16, 1024, &size))
        return srv_reply_error(r, 400, "bad_request", "size: a number in 16..1024");
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_get_image(db, r->params[0], iid, NULL, &path, &err) < 0)
        return srv_reply_ie_err(r, &err);
    ie_buf_init(&cache);
    if (!srv_api_path_allowed(r->ctx->cfg, path)) {
        rc = srv_reply_error(r, 403, "forbidden", "the image lies outside scan.allowed_roots");
        goto out;
    }
    dir = srv_scan_dir(r->ctx->cfg, r->params[0]);
    ie_buf_addf(&cache, "%s/thumbs", dir);
    mkdir(cache.data, 0755);
    ie_buf_addf(&cache, "/%lld_%lld.jpg", iid, size);
    if (access(cache.data, R_OK) != 0)
        rc = make_thumbnail(r, path, (int)size, cache.data);
    else
        rc = srv_reply_file(r, cache.data, "image/jpeg", NULL);
out:
    ie_buf_release(&cache);
    free(dir);
    free(path);
    return rc;
}
