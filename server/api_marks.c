/* Marks on a scan's images (issue 12): setting and listing them, the remove list, the marks as
 * CSV or JSONL, and the marked view of a scan that the summary, the gate and the cleaned
 * manifest use with ?marks=apply. Marks live per scan root (marks_db.h), so a later scan of the
 * same folder sees them; core/marks.c decides what they do to records. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "cache.h"
#include "imgeda/duplicates.h"
#include "imgeda/json.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"
#include "marks_db.h"
#include "results.h"

int srv_api_marks_param(struct srv_req *r, bool *apply, int *threshold, struct ie_err *err)
{
    const char *v = srv_query(r, "marks");
    long long t = IE_DUP_DEFAULT_THRESHOLD;
    *apply = false;
    if (v && strcmp(v, "apply") != 0 && strcmp(v, "ignore") != 0)
        return ie_err_set(err, IE_EINVAL, "marks: \"apply\" or \"ignore\"");
    if (!srv_api_parse_int(srv_query(r, "threshold"), 0, IE_HASH_INDEX_MAX_THRESHOLD, &t))
        return ie_err_set(err, IE_EINVAL, "threshold: a number in 0..%d",
                          IE_HASH_INDEX_MAX_THRESHOLD);
    *apply = v && strcmp(v, "apply") == 0;
    *threshold = (int)t;
    return 0;
}

bool srv_api_marks_wanted(struct srv_req *r)
{
    const char *v = srv_query(r, "marks");
    return v && strcmp(v, "ignore") != 0;
}

void srv_api_marked_init(struct srv_marked *s)
{
    ie_manifest_init(&s->m);
    ie_marks_init(&s->mk);
    ie_marks_applied_init(&s->a);
}

void srv_api_marked_release(struct srv_marked *s)
{
    ie_marks_applied_release(&s->a);
    ie_marks_release(&s->mk);
    ie_manifest_release(&s->m);
}

int srv_api_marked_load(struct srv_req *r, const struct srv_scan_row *row, int threshold,
                        struct srv_marked *s, struct ie_err *err)
{
    sqlite3 *db = srv_http_db(r, err);
    if (!db || srv_marks_load_versioned(db, row->root, &s->mk, &s->version, err) < 0)
        return err->code ? err->code : IE_EIO;
    /* The loading below takes a while on large scans and needs no connection. */
    srv_http_db_release(r);
    int rc = ie_manifest_load(row->manifest_path, &s->m, err);
    if (rc == 0)
        rc = ie_marks_apply(s->m.recs, s->m.n, row->root, &s->mk, threshold, &s->a, err);
    return rc;
}

/* Loads a finished scan and its marked view for a GET handler; replies itself on failure
 * (returns false with *rc set). */
static bool load_marked(struct srv_req *r, struct srv_scan_row *row, struct srv_marked *s,
                        enum MHD_Result *rc)
{
    struct ie_err err = {0};
    bool apply;
    int threshold;
    if (srv_api_marks_param(r, &apply, &threshold, &err) < 0 ||
        srv_api_load_finished_scan(r, row, &err) < 0) {
        *rc = srv_reply_ie_err(r, &err);
        return false;
    }
    if (srv_api_marked_load(r, row, threshold, s, &err) < 0) {
        *rc = srv_api_reply_scan_err(r, row->id, &err);
        return false;
    }
    return true;
}

/* Reads image_ids (1..SRV_MARKS_MAX_IDS distinct image ids of the scan) into targets: each
 * image's content hash and path relative to the root. Strings live in *keep. */
static int read_targets(sqlite3 *db, const struct srv_scan_row *row, const cJSON *ids,
                        struct srv_mark_target *t, char **keep, size_t *n, struct ie_err *err)
{
    const cJSON *v;
    *n = 0;
    cJSON_ArrayForEach(v, ids)
    {
        double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
        if (d < 1 || d > 9e15 || d != (double)(long long)d)
            return ie_err_set(err, IE_EINVAL, "image_ids: whole numbers >= 1");
        char *json = NULL, *path = NULL;
        if (srv_store_get_image(db, row->id, (int64_t)d, &json, &path, err) < 0) {
            err->code = IE_EINVAL;
            return IE_EINVAL;
        }
        cJSON *rec = cJSON_Parse(json);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(rec, "content_hash");
        keep[2 * *n] = cJSON_IsString(h) ? ie_xstrdup(h->valuestring) : NULL;
        keep[2 * *n + 1] = path;
        t[*n].content_hash = keep[2 * *n];
        t[*n].path = ie_marks_rel_path(row->root, path);
        cJSON_Delete(rec);
        free(json);
        for (size_t k = 0; k < *n; k++)
            if (strcmp(t[k].path, t[*n].path) == 0 &&
                !strcmp(t[k].content_hash ? t[k].content_hash : "",
                        t[*n].content_hash ? t[*n].content_hash : ""))
                return ie_err_set(err, IE_EINVAL, "image_ids: image %.0f is given twice", d);
        (*n)++;
    }
    return 0;
}

/* PUT marks {"image_ids": [...], "mark": "remove" | "keep" | "ok" | "not_duplicate" | null}. */
enum MHD_Result srv_h_marks_put(struct srv_req *r)
{
    static const char *const allowed[] = {"image_ids", "mark", NULL};
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    enum ie_mark_kind kind = IE_MARK_NONE;
    struct srv_mark_target *t = NULL;
    char **keep = NULL, *group = NULL;
    size_t n = 0, cnt = 0;
    enum MHD_Result rc;
    cJSON *body = srv_api_parse_body(r, allowed, &err);
    if (!body)
        return srv_reply_ie_err(r, &err);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(body, "image_ids");
    const cJSON *mark = cJSON_GetObjectItemCaseSensitive(body, "mark");
    cnt = (size_t)cJSON_GetArraySize(ids);
    if (!cJSON_IsArray(ids) || cnt < 1 || cnt > SRV_MARKS_MAX_IDS) {
        ie_err_set(&err, IE_EINVAL, "image_ids: required, an array of 1..%d image ids",
                   SRV_MARKS_MAX_IDS);
        goto bad;
    }
    if (!mark || !(cJSON_IsNull(mark) || cJSON_IsString(mark))) {
        ie_err_set(&err, IE_EINVAL,
                   "mark: required, \"remove\", \"keep\", \"ok\", \"not_duplicate\" or null");
        goto bad;
    }
    if (cJSON_IsString(mark) && ie_mark_parse(mark->valuestring, &kind, &err) < 0)
        goto bad;
    if (kind == IE_MARK_NOT_DUPLICATE && cnt < 2) {
        ie_err_set(&err, IE_EINVAL, "image_ids: not_duplicate needs a pair or a group (2 or more)");
        goto bad;
    }
    if (srv_api_load_finished_scan(r, &row, &err) < 0)
        goto bad;
    sqlite3 *db = srv_http_db(r, &err);
    t = ie_xcalloc(cnt, sizeof(*t));
    keep = ie_xcalloc(2 * cnt, sizeof(char *));
    if (!db || read_targets(db, &row, ids, t, keep, &n, &err) < 0 ||
        srv_marks_put(db, row.root, t, n, kind, &group, &err) < 0)
        goto bad;
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "scan_id", row.id);
        if (kind == IE_MARK_NONE)
            cJSON_AddNullToObject(o, "mark");
        else
            cJSON_AddStringToObject(o, "mark", ie_mark_name(kind));
        cJSON_AddNumberToObject(o, "images", (double)n);
        if (group)
            cJSON_AddStringToObject(o, "group", group);
        rc = srv_reply_json(r, 200, o);
    }
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    for (size_t i = 0; keep && i < 2 * cnt; i++)
        free(keep[i]);
    free(keep);
    free(t);
    free(group);
    srv_scan_row_release(&row);
    cJSON_Delete(body);
    return rc;
}

/* The names of mk's not_duplicate sets by number, as ie_marks_apply numbers them (first
 * appearance). */
static const char **group_names(const struct ie_marks *mk, size_t *n)
{
    const char **names = ie_xcalloc(mk->n + 1, sizeof(char *));
    *n = 0;
    for (size_t i = 0; i < mk->n; i++) {
        const char *g = mk->v[i].group;
        bool seen = !g;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = strcmp(names[k], g) == 0;
        if (!seen)
            names[(*n)++] = g;
    }
    return names;
}

static cJSON *marked_item(const struct srv_marked *s, size_t i, const char **names)
{
    const struct ie_record *rec = &s->m.recs[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "image_id", (double)(i + 1));
    cJSON_AddStringToObject(o, "path", rec->path);
    if (rec->content_hash)
        cJSON_AddStringToObject(o, "content_hash", rec->content_hash);
    else
        cJSON_AddNullToObject(o, "content_hash");
    if (s->a.kind[i])
        cJSON_AddStringToObject(o, "mark", ie_mark_name(s->a.kind[i]));
    else
        cJSON_AddNullToObject(o, "mark");
    cJSON *nd = cJSON_AddArrayToObject(o, "not_duplicate");
    for (size_t k = s->a.nd_start[i]; k < s->a.nd_start[i + 1]; k++)
        cJSON_AddItemToArray(nd, cJSON_CreateString(names[s->a.nd_of[k]]));
    cJSON_AddBoolToObject(o, "removed", s->a.removed[i]);
    return o;
}

/* What one handler makes of a finished scan's marked view; it replies. */
typedef enum MHD_Result (*marked_fn)(struct srv_req *r, const struct srv_scan_row *row,
                                     const struct srv_marked *s, void *ctx);

/* Loads the marked view of the scan and hands it to fn (the reply is fn's, or the failure's). */
static enum MHD_Result with_marked(struct srv_req *r, marked_fn fn, void *ctx)
{
    struct srv_scan_row row = {0};
    struct srv_marked s;
    enum MHD_Result rc;
    srv_api_marked_init(&s);
    if (load_marked(r, &row, &s, &rc))
        rc = fn(r, &row, &s, ctx);
    srv_api_marked_release(&s);
    srv_scan_row_release(&row);
    return rc;
}

struct page {
    long long limit, cursor;
};

static enum MHD_Result marks_page(struct srv_req *r, const struct srv_scan_row *row,
                                  const struct srv_marked *s, void *ctx)
{
    const struct page *pg = ctx;
    size_t n_names = 0, total = 0, shown = 0, last = 0;
    bool more = false;
    (void)row;
    const char **names = group_names(&s->mk, &n_names);
    cJSON *o = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(o, "images");
    for (size_t i = 0; i < s->m.n; i++) {
        if (!s->a.kind[i] && s->a.nd_start[i] == s->a.nd_start[i + 1] && !s->a.removed[i])
            continue;
        total++;
        if ((long long)i + 1 <= pg->cursor)
            continue;
        if (shown == (size_t)pg->limit) {
            more = true;
            continue;
        }
        cJSON_AddItemToArray(items, marked_item(s, i, names));
        shown++;
        last = i + 1;
    }
    cJSON_AddNumberToObject(o, "total", (double)total);
    if (more)
        cJSON_AddNumberToObject(o, "next_cursor", (double)last);
    else
        cJSON_AddNullToObject(o, "next_cursor");
    cJSON_AddItemToObject(o, "marks", ie_marks_applied_to_cjson(&s->a));
    free(names);
    return srv_reply_json(r, 200, o);
}

/* GET marks?limit=&cursor=: the scan's images that hold a mark (or leave through a keeper), in
 * image id order; cursor is the image id to start after. */
enum MHD_Result srv_h_marks_get(struct srv_req *r)
{
    struct page pg = {100, 0};
    if (!srv_api_parse_int(srv_query(r, "limit"), 1, 1000, &pg.limit))
        return srv_reply_error(r, 400, "bad_request", "limit: a number in 1..1000");
    if (!srv_api_parse_int(srv_query(r, "cursor"), 0, LLONG_MAX, &pg.cursor))
        return srv_reply_error(r, 400, "bad_request", "cursor: not a cursor");
    return with_marked(r, marks_page, &pg);
}

/* remove.txt (ctx NULL): the paths the marks take out, one a line, in manifest order;
 * manifest?marks=apply (ctx non-NULL): the manifest without them (records as analysed
 * otherwise: an ok mark is an opinion, not a new measurement). */
static enum MHD_Result marked_file(struct srv_req *r, const struct srv_scan_row *row,
                                   const struct srv_marked *s, void *ctx)
{
    struct ie_buf b;
    char cd[128];
    ie_buf_init(&b);
    ie_marks_write(&s->m, &s->a, ctx != NULL, row->root, &b);
    size_t n = b.len;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        n, n ? ie_buf_detach(&b) : ie_xstrdup(""), MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type",
                            ctx ? "application/x-ndjson" : "text/plain; charset=utf-8");
    if (ctx) {
        snprintf(cd, sizeof(cd), "attachment; filename=\"%s.cleaned.jsonl\"", row->id);
        MHD_add_response_header(resp, "Content-Disposition", cd);
    }
    ie_buf_release(&b);
    return srv_reply_response(r, 200, resp);
}

enum MHD_Result srv_h_remove_list(struct srv_req *r)
{
    return with_marked(r, marked_file, NULL);
}

enum MHD_Result srv_api_marks_manifest(struct srv_req *r)
{
    static int clean = 1;
    return with_marked(r, marked_file, &clean);
}

/* The cache key of a marked view ("summary" or "slim") of row at threshold under marks version
 * v: a change of the marks bumps v, so what was cached before just ages out. */
static void marked_key(char *out, size_t n, const struct srv_scan_row *row, int64_t v,
                       int threshold, const char *view)
{
    char what[96];
    snprintf(what, sizeof(what), "marks:v%lld:t%d:%s", (long long)v, threshold, view);
    srv_result_key(out, n, row, what);
}

/* One kept record as a line of the slim view: the fields the slim manifest holds, a fraction of
 * the record (10^5 records stay well inside a cache entry). */
static void slim_line(const struct ie_record *rec, struct ie_buf *b)
{
    char hex[65];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", rec->path ? rec->path : "");
    ie_json_add_int(o, "file_size_bytes", rec->file_size_bytes);
    ie_json_add_int(o, "width", rec->width);
    ie_json_add_int(o, "height", rec->height);
    cJSON_AddStringToObject(o, "format", rec->format ? rec->format : "");
    cJSON_AddStringToObject(o, "color_mode", rec->color_mode ? rec->color_mode : "");
    cJSON_AddBoolToObject(o, "is_corrupt", rec->is_corrupt);
    cJSON_AddBoolToObject(o, "is_dark", rec->is_dark);
    cJSON_AddBoolToObject(o, "is_overexposed", rec->is_overexposed);
    cJSON_AddBoolToObject(o, "has_border_artifact", rec->has_border_artifact);
    cJSON_AddBoolToObject(o, "is_blurry", rec->is_blurry);
    ie_json_add_double(o, "aspect_ratio", rec->aspect_ratio);
    if (rec->has_phash) {
        ie_hash256_to_hex(&rec->phash, hex);
        cJSON_AddStringToObject(o, "phash", hex);
    }
    if (rec->content_hash)
        cJSON_AddStringToObject(o, "content_hash", rec->content_hash);
    char *line = cJSON_PrintUnformatted(o);
    ie_buf_adds(b, line);
    ie_buf_addc(b, '\n');
    free(line);
    cJSON_Delete(o);
}

/* Both marked views of s, and caches them under s's marks version: the summary (SPEC 4.2 of what
 * stays, with "marks") and the slim view (a first line {"marks", "has_header"}, then a slim line
 * per record that stays). */
static void marked_views_put(struct srv_req *r, const struct srv_scan_row *row, int threshold,
                             uint64_t epoch, const struct srv_marked *s, struct ie_buf *summary,
                             struct ie_buf *slim)
{
    struct ie_summary sum;
    char key[512];
    ie_summary_compute(s->a.recs, s->a.n, &sum);
    cJSON *o = ie_summary_to_cjson(&sum);
    cJSON *head = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "marks", ie_marks_applied_to_cjson(&s->a));
    cJSON_AddItemToObject(head, "marks", ie_marks_applied_to_cjson(&s->a));
    cJSON_AddBoolToObject(head, "has_header", s->m.meta.present);
    char *text = cJSON_PrintUnformatted(o);
    ie_buf_adds(summary, text);
    free(text);
    text = cJSON_PrintUnformatted(head);
    ie_buf_adds(slim, text);
    ie_buf_addc(slim, '\n');
    free(text);
    for (size_t i = 0; i < s->a.n; i++)
        slim_line(&s->a.recs[i], slim);
    marked_key(key, sizeof(key), row, s->version, threshold, "summary");
    srv_cache_put_since(r->ctx->cache, epoch, key, summary->data, summary->len, "application/json");
    marked_key(key, sizeof(key), row, s->version, threshold, "slim");
    srv_cache_put_since(r->ctx->cache, epoch, key, slim->data, slim->len, "application/x-ndjson");
    cJSON_Delete(head);
    cJSON_Delete(o);
    ie_summary_release(&sum);
}

/* The marked view `view` ("summary" or "slim") of row at threshold: from the cache under the
 * root's current marks version, else computed (both views, both cached). Returns a malloc'd
 * copy and its length, or NULL with err filled. */
static void *marked_view(struct srv_req *r, const struct srv_scan_row *row, int threshold,
                         uint64_t epoch, const char *view, size_t *len, struct ie_err *err)
{
    char key[512], *ct = NULL;
    int64_t v = 0;
    sqlite3 *db = srv_http_db(r, err);
    if (!db || srv_marks_version(db, row->root, &v, err) < 0)
        return NULL;
    marked_key(key, sizeof(key), row, v, threshold, view);
    void *data = srv_cache_get(r->ctx->cache, key, len, &ct);
    free(ct);
    if (data)
        return data;
    struct srv_marked s;
    struct ie_buf bufs[2];
    ie_buf_init(&bufs[0]);
    ie_buf_init(&bufs[1]);
    srv_api_marked_init(&s);
    if (srv_api_marked_load(r, row, threshold, &s, err) == 0) {
        marked_views_put(r, row, threshold, epoch, &s, &bufs[0], &bufs[1]);
        struct ie_buf *b = &bufs[strcmp(view, "slim") == 0];
        *len = b->len;
        data = b->len ? ie_buf_detach(b) : ie_xstrdup("");
    }
    srv_api_marked_release(&s);
    ie_buf_release(&bufs[0]);
    ie_buf_release(&bufs[1]);
    return data;
}

int srv_api_marked_slim(struct srv_req *r, const struct srv_scan_row *row, int threshold,
                        uint64_t epoch, struct ie_slim_manifest *m, cJSON **marks,
                        struct ie_err *err)
{
    size_t len = 0;
    char *blob = marked_view(r, row, threshold, epoch, "slim", &len, err);
    if (!blob)
        return err->code ? err->code : IE_EIO;
    char *nl = memchr(blob, '\n', len);
    cJSON *head = nl ? cJSON_ParseWithLength(blob, (size_t)(nl - blob)) : NULL;
    int rc = 0;
    if (!cJSON_IsObject(head)) {
        rc = ie_err_set(err, IE_EIO, "a damaged marked view");
        goto out;
    }
    m->has_header = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(head, "has_header"));
    *marks = cJSON_DetachItemFromObjectCaseSensitive(head, "marks");
    for (char *p = nl + 1, *end = blob + len; p < end;) {
        char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        ie_slim_manifest_add_line(m, p, n);
        p += n + 1;
    }
out:
    cJSON_Delete(head);
    free(blob);
    return rc;
}

/* GET summary?marks=apply: the summary of what stays, with "marks" saying what was applied;
 * cached per marks version (see marked_view). */
enum MHD_Result srv_api_marks_summary(struct srv_req *r)
{
    /* Before the row is read, as serve_result does: a DELETE meanwhile refuses the put. */
    uint64_t epoch = srv_cache_epoch(r->ctx->cache);
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    enum MHD_Result rc;
    bool apply;
    int threshold;
    size_t len = 0;
    void *data = NULL;
    if (srv_api_marks_param(r, &apply, &threshold, &err) < 0 ||
        srv_api_load_finished_scan(r, &row, &err) < 0)
        rc = srv_reply_ie_err(r, &err);
    else if (!(data = marked_view(r, &row, threshold, epoch, "summary", &len, &err)))
        rc = srv_api_reply_scan_err(r, row.id, &err);
    else
        rc = srv_reply_buffer(r, 200, "application/json", data, len);
    srv_scan_row_release(&row);
    return rc;
}

/* GET marks.{csv|jsonl}: every mark of the scan's root as stored (also those of images this
 * scan no longer holds), in the marks-file format `imgeda marks` reads. */
enum MHD_Result srv_h_marks_export(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_marks mk;
    struct ie_err err = {0};
    struct ie_buf b;
    bool csv = strcmp(r->params[1], "csv") == 0;
    if (!csv && strcmp(r->params[1], "jsonl") != 0)
        return srv_reply_error(r, 404, "not_found", "no marks format \"%s\" (csv, jsonl)",
                               r->params[1]);
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    ie_marks_init(&mk);
    ie_buf_init(&b);
    sqlite3 *db = srv_http_db(r, &err);
    enum MHD_Result rc;
    if (!db || srv_marks_load(db, row.root, &mk, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    if (csv)
        ie_buf_adds(&b, IE_MARKS_CSV_HEADER "\n");
    for (size_t i = 0; i < mk.n; i++) {
        char *line = csv ? ie_mark_to_csv(&mk.v[i]) : ie_mark_to_json(&mk.v[i]);
        ie_buf_adds(&b, line);
        ie_buf_addc(&b, '\n');
        free(line);
    }
    {
        size_t n = b.len;
        rc = srv_reply_buffer(r, 200, csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
                              n ? ie_buf_detach(&b) : ie_xstrdup(""), n);
    }
out:
    ie_buf_release(&b);
    ie_marks_release(&mk);
    srv_scan_row_release(&row);
    return rc;
}
