/* The images of a scan: pages of records (filtered, sorted) from SQLite, one record, and
 * JPEG thumbnails made once per size from the paths the scan's records hold. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api_internal.h"
#include "bucket.h"
#include "imgeda/annotations.h"
#include "imgeda/thumbnail.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "memory.h"

/* The min_<name>/max_<name> range parameters into q: each a finite number >= 0, the minimum
 * not above the maximum. false with the reason in why (the 400's message). */
static bool parse_ranges(struct srv_req *r, struct srv_image_query *q, char *why, size_t why_size)
{
    for (int i = 0; i < SRV_RANGE_N; i++) {
        for (int m = 0; m < 2; m++) {
            char key[32];
            snprintf(key, sizeof(key), "%s_%s", m ? "max" : "min", srv_image_range_names[i]);
            const char *v = srv_query(r, key);
            if (!v)
                continue;
            char *end;
            errno = 0;
            double d = strtod(v, &end);
            if (!*v || *end || errno || !isfinite(d) || d < 0) {
                snprintf(why, why_size, "%s: a number >= 0, not \"%.40s\"", key, v);
                return false;
            }
            (m ? q->max : q->min)[i] = d;
            (m ? q->has_max : q->has_min)[i] = true;
        }
        if (q->has_min[i] && q->has_max[i] && q->min[i] > q->max[i]) {
            snprintf(why, why_size, "min_%s (%g) is above max_%s (%g): an empty range",
                     srv_image_range_names[i], q->min[i], srv_image_range_names[i], q->max[i]);
            return false;
        }
    }
    return true;
}

enum MHD_Result srv_h_images(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long limit = 50, cursor = 0;
    char *out = NULL, why[160];
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
                                .camera = srv_query(r, "camera"),
                                .split = srv_query(r, "split"),
                                .cls = srv_query(r, "class"),
                                .sort = srv_query(r, "sort"),
                                .limit = (int)limit,
                                .cursor = cursor};
    if (!parse_ranges(r, &q, why, sizeof(why)))
        return srv_reply_error(r, 400, "bad_request", "%s", why);
    /* A split is a folder name the annotation analysis takes for one, matched in any case. */
    char split[32], folder[40];
    if (q.split && *q.split) {
        snprintf(folder, sizeof(folder), "%.30s/", q.split);
        if (!*(q.split = ie_annot_path_split(folder, split, sizeof(split))) ||
            strchr(folder, '/')[1])
            return srv_reply_error(r, 400, "bad_request",
                                   "split: unknown value (train, val, valid, validation, test)");
    }
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

/* The boxes JSON of one image: {format, width, height, boxes: [{label, x, y, w, h, line}]},
 * x/y/w/h in pixels of the original image when its size is known (else normalised 0..1). */
static char *boxes_json(enum ie_annot_format fmt, const char *record, const struct ie_annot_box *b,
                        size_t n)
{
    cJSON *rec = cJSON_Parse(record), *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    const cJSON *jw = cJSON_GetObjectItemCaseSensitive(rec, "width");
    const cJSON *jh = cJSON_GetObjectItemCaseSensitive(rec, "height");
    bool sized =
        cJSON_IsNumber(jw) && cJSON_IsNumber(jh) && jw->valuedouble > 0 && jh->valuedouble > 0;
    double w = sized ? jw->valuedouble : 1, h = sized ? jh->valuedouble : 1;
    cJSON_AddStringToObject(o, "format", ie_annot_format_name(fmt));
    cJSON_AddBoolToObject(o, "pixels", sized);
    cJSON_AddNumberToObject(o, "width", sized ? w : 0);
    cJSON_AddNumberToObject(o, "height", sized ? h : 0);
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "label", b[i].label);
        cJSON_AddNumberToObject(e, "x", b[i].x * w);
        cJSON_AddNumberToObject(e, "y", b[i].y * h);
        cJSON_AddNumberToObject(e, "w", b[i].w * w);
        cJSON_AddNumberToObject(e, "h", b[i].h * h);
        cJSON_AddNumberToObject(e, "line", b[i].line);
        cJSON_AddItemToArray(arr, e);
    }
    cJSON_AddItemToObject(o, "boxes", arr);
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    cJSON_Delete(rec);
    return out;
}

/* GET images/{image_id}/annotations: the image's boxes and class labels, read from the label
 * files under the scan's root when asked (not cached: one small file). */
enum MHD_Result srv_h_image_annotations(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    long long iid;
    char *rec = NULL, *path = NULL, *json = NULL;
    struct ie_annot_box *boxes = NULL;
    size_t n = 0, root_len;
    enum ie_annot_format fmt = IE_ANNOT_FLAT;
    enum MHD_Result rc;
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    if (!parse_image_id(r->params[1], &iid)) {
        rc = srv_reply_error(r, 404, "not_found", "no image %s", r->params[1]);
        goto out;
    }
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_get_image(db, r->params[0], iid, &rec, &path, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    root_len = strlen(row.root);
    while (root_len > 1 && row.root[root_len - 1] == '/')
        root_len--;
    if (strncmp(row.root, "s3://", 5) == 0 || !srv_api_path_allowed(r->ctx->cfg, row.root) ||
        strncmp(path, row.root, root_len) != 0 || path[root_len] != '/') {
        /* A bucket, a root outside the allowed roots or an imported path: no label files. */
        json = boxes_json(fmt, rec, NULL, 0);
    } else if (ie_annot_image_boxes(row.root, path + root_len + 1, &fmt, &boxes, &n, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    } else {
        json = boxes_json(fmt, rec, boxes, n);
    }
    rc = srv_reply_buffer(r, 200, "application/json", json, strlen(json));
out:
    ie_annot_boxes_free(boxes, n);
    free(rec);
    free(path);
    srv_scan_row_release(&row);
    return rc;
}

/* The file of the image whose record holds path, into *fs_path (caller frees). Scans record
 * names that are not UTF-8 with \xNN escapes (ie_utf8_sanitize), so those bytes are tried
 * first, then the text as it is (an import's path, or a name really holding "\x"; were both on
 * disk, the scan itself could not tell their records apart). IE_ENOENT when no file is there,
 * IE_EPERM when it resolves outside scan.allowed_roots. */
static int image_file(const struct srv_config *cfg, const char *path, char **fs_path,
                      struct ie_err *err)
{
    char *bytes = ie_utf8_unsanitize(path);
    const char *cand[2] = {bytes, path};
    struct stat st;
    int rc = IE_ENOENT;
    for (int i = 0; i < 2 && rc == IE_ENOENT; i++) {
        if (!cand[i] || stat(cand[i], &st) < 0)
            continue;
        if (!srv_api_path_allowed(cfg, cand[i])) {
            rc = IE_EPERM;
        } else {
            *fs_path = ie_xstrdup(cand[i]);
            rc = 0;
        }
    }
    free(bytes);
    if (rc == IE_ENOENT)
        return ie_err_set(err, IE_ENOENT, "the image file %s no longer exists", path);
    if (rc == IE_EPERM)
        return ie_err_set(err, IE_EPERM, "the image lies outside scan.allowed_roots");
    return 0;
}

/* The largest object fetched for a thumbnail: what a scan reads of one file by default. */
#define OBJECT_MAX_BYTES ((size_t)2 << 30)

/* The thumbnail of the image object at url (an s3:// path from a scan's record): fetched into
 * memory, then the core's thumbnail from the buffer with the same pixel limit. */
static int object_thumbnail(struct srv_req *r, const char *url, int size, void **jpeg, size_t *len,
                            struct ie_err *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    int rc = srv_bucket_fetch(r->ctx->cfg, r->ctx->s3, url, OBJECT_MAX_BYTES, &data, &n, err);
    if (rc == 0)
        rc = ie_thumbnail_jpeg_buffer(data, n, size, r->ctx->cfg->max_pixels, jpeg, len, err);
    free(data);
    return rc;
}

/* A failed fetch of an image object: gone (404), outside the allowed roots (403), or the
 * store's fault (502: the daemon's credentials, the store down). */
static enum MHD_Result object_error(struct srv_req *r, const struct ie_err *err)
{
    if (err->code == IE_ENOENT)
        return srv_reply_error(r, 404, "not_found", "%s", err->msg);
    if (err->code == IE_EPERM && strstr(err->msg, "scan.allowed_roots"))
        return srv_reply_error(r, 403, "forbidden", "%s", err->msg);
    return srv_reply_error(r, 502, "bad_gateway", "%s", err->msg);
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
        /* Every decode place stayed taken for limits.thumbnail_wait_ms: an <img> in the
         * dashboard, or a script, may simply ask again a second later. */
        return srv_reply_busy(r, 1,
                              "every thumbnail decode is taken (limits.thumbnail_decodes); "
                              "retry");
    /* Another request may have made this very thumbnail while this one waited. */
    if (access(cache_path, R_OK) == 0) {
        srv_memory_gate_leave(r->ctx->thumbs);
        return srv_reply_file(r, cache_path, "image/jpeg", NULL);
    }
    /* Paths come from the scan's own records, never from the request; the core checks the
     * daemon's pixel limit on the header before it decodes anything. */
    int rc = eng_s3_is_url(path)
                 ? object_thumbnail(r, path, size, &buf, &len, &terr)
                 : ie_thumbnail_jpeg(path, size, r->ctx->cfg->max_pixels, &buf, &len, &terr);
    if (rc == 0)
        ie_write_file_atomic(cache_path, buf, len, NULL);
    srv_memory_gate_leave(r->ctx->thumbs);
    if (rc < 0 && eng_s3_is_url(path) && terr.code != IE_EFORMAT && terr.code != IE_ELIMIT)
        return object_error(r, &terr);
    if (rc < 0)
        return srv_reply_error(r, 422, terr.code == IE_ELIMIT ? "pixel_limit" : "undecodable", "%s",
                               terr.msg);
    /* A DELETE of the scan may have removed its folder meanwhile: nothing may stay behind. */
    struct ie_buf tmp;
    ie_buf_init(&tmp);
    ie_buf_addf(&tmp, "%s.tmp", cache_path);
    const char *written[] = {cache_path, tmp.data, NULL};
    enum MHD_Result out;
    if (srv_api_scan_cleanup_if_deleted(r, r->params[0], written)) {
        free(buf);
        out = srv_api_reply_deleted(r, r->params[0]);
    } else {
        out = srv_reply_buffer(r, 200, "image/jpeg", buf, len);
    }
    ie_buf_release(&tmp);
    return out;
}

/* The image the route names ({id}, {image_id}): its id and its recorded path (caller frees).
 * false with the reply made (unknown scan or image: 404) in *reply. */
static bool image_path(struct srv_req *r, long long *iid, char **path, enum MHD_Result *reply)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    if (srv_api_load_scan(r, &row, &err) < 0) {
        *reply = srv_reply_ie_err(r, &err);
        return false;
    }
    srv_scan_row_release(&row);
    if (!parse_image_id(r->params[1], iid)) {
        *reply = srv_reply_error(r, 404, "not_found", "no image %s", r->params[1]);
        return false;
    }
    sqlite3 *db = srv_http_db(r, &err);
    if (!db || srv_store_get_image(db, r->params[0], *iid, NULL, path, &err) < 0) {
        *reply = srv_reply_ie_err(r, &err);
        return false;
    }
    return true;
}

enum MHD_Result srv_h_thumbnail(struct srv_req *r)
{
    struct ie_err err = {0};
    long long iid, size = 256;
    char *path = NULL, *file = NULL, *dir = NULL;
    struct ie_buf cache;
    enum MHD_Result rc;
    if (!srv_api_parse_int(srv_query(r, "size"), 16, 1024, &size))
        return srv_reply_error(r, 400, "bad_request", "size: a number in 16..1024");
    if (!image_path(r, &iid, &path, &rc))
        return rc;
    ie_buf_init(&cache);
    if (eng_s3_is_url(path)) {
        /* An object: fetched by make_thumbnail, only if allowed and not already cached. */
        if (!srv_bucket_allowed(r->ctx->cfg, path)) {
            rc = srv_reply_error(r, 403, "forbidden", "the image lies outside scan.allowed_roots");
            goto out;
        }
        file = ie_xstrdup(path);
    } else if (image_file(r->ctx->cfg, path, &file, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    dir = srv_scan_dir(r->ctx->cfg, r->params[0]);
    ie_buf_addf(&cache, "%s/thumbs", dir);
    mkdir(cache.data, 0755);
    ie_buf_addf(&cache, "/%lld_%lld.jpg", iid, size);
    if (access(cache.data, R_OK) != 0)
        rc = make_thumbnail(r, file, (int)size, cache.data);
    else
        rc = srv_reply_file(r, cache.data, "image/jpeg", NULL);
out:
    ie_buf_release(&cache);
    free(dir);
    free(file);
    free(path);
    return rc;
}

/* The Content-Type of an original image by its name's extension; a type browsers would not
 * show as an image is sent as bytes to save. */
static const char *image_mime(const char *path)
{
    static const char *const map[][2] = {
        {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".gif", "image/gif"},  {".webp", "image/webp"}, {".bmp", "image/bmp"},
        {".tif", "image/tiff"}, {".tiff", "image/tiff"}, {".avif", "image/avif"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < IE_ARRAY_LEN(map); i++)
        if (strcasecmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

/* GET images/{image_id}/original: the image file itself, for "open original" in the
 * dashboard. The path is the scan's record, never the request's, and is confined exactly as a
 * thumbnail's is (scan.allowed_roots, bucket allow-list); nothing is decoded. */
enum MHD_Result srv_h_original(struct srv_req *r)
{
    struct ie_err err = {0};
    long long iid;
    char *path = NULL, *file = NULL;
    uint8_t *data = NULL;
    size_t n = 0;
    enum MHD_Result rc;
    if (!image_path(r, &iid, &path, &rc))
        return rc;
    if (!eng_s3_is_url(path)) {
        rc = image_file(r->ctx->cfg, path, &file, &err) < 0
                 ? srv_reply_ie_err(r, &err)
                 : srv_reply_file(r, file, image_mime(path), NULL);
    } else if (!srv_bucket_allowed(r->ctx->cfg, path)) {
        rc = srv_reply_error(r, 403, "forbidden", "the image lies outside scan.allowed_roots");
    } else if (srv_bucket_fetch(r->ctx->cfg, r->ctx->s3, path, OBJECT_MAX_BYTES, &data, &n, &err) <
               0) {
        rc = object_error(r, &err);
    } else {
        rc = srv_reply_buffer(r, 200, image_mime(path), data, n);
    }
    free(file);
    free(path);
    return rc;
}
