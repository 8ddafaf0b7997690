/* Request helpers the API's handlers share (see api_internal.h): path ids, loading a scan and
 * its live progress, JSON bodies with known fields, roots and paths inside scan.allowed_roots,
 * numeric query parameters, replies from the result cache.
 * DESIGN: path parameters are validated here (ids are hex, never file names), so no request can
 * name a file outside the data dir. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_internal.h"
#include "imgeda/confine.h"
#include "bucket.h"
#include "cache.h"
#include "imgeda/json.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "live.h"

static bool valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Loads the scan named by the first path parameter. */
int srv_api_load_scan(struct srv_req *r, struct srv_scan_row *row, struct ie_err *err)
{
    const char *id = r->params[0];
    if (!valid_id(id))
        return ie_err_set(err, IE_ENOENT, "no scan %s", id);
    sqlite3 *db = srv_http_db(r, err);
    if (!db)
        return IE_EIO;
    return srv_store_get_scan(db, id, row, err);
}

/* Loads the scan named by the first path parameter and checks its results are final: a scan
 * that has not succeeded has partial records that must not answer for the whole dataset. */
int srv_api_load_finished_scan(struct srv_req *r, struct srv_scan_row *row, struct ie_err *err)
{
    int rc = srv_api_load_scan(r, row, err);
    if (rc < 0)
        return rc;
    struct srv_job_state st;
    const char *status = srv_api_status(r->ctx->live, row, &st);
    if (strcmp(status, "succeeded") != 0)
        return ie_err_set(err, IE_ESTATE, "scan %s is %s; its results exist once it succeeded",
                          row->id, status);
    if (strcmp(row->status, "succeeded") != 0) {
        /* Not in SQLite yet (a full disk): results are keyed by the live finish time, so none
         * of an earlier run can answer for this one. */
        free(row->finished_at);
        row->finished_at = ie_xstrdup(st.finished_at);
    }
    return 0;
}

bool srv_api_scan_deleted(struct srv_req *r, const char *id)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    sqlite3 *db = srv_http_db(r, &err);
    bool gone = db && srv_store_get_scan(db, id, &row, &err) == IE_ENOENT;
    srv_scan_row_release(&row);
    return gone;
}

/* DELETE (jobs.c) removes the scan's row before its folder. A request that wrote into the
 * folder and then still sees the row wrote before the folder was emptied, which took its files;
 * one that no longer sees it may have written after, so it removes its files and the folders
 * DELETE could not remove because of them. */
bool srv_api_scan_cleanup_if_deleted(struct srv_req *r, const char *id, const char *const *written)
{
    static const char *const subdirs[] = {"thumbs", "plots", NULL};
    if (!srv_api_scan_deleted(r, id))
        return false;
    for (size_t i = 0; written[i]; i++)
        unlink(written[i]);
    char *dir = srv_scan_dir(r->ctx->cfg, id);
    struct ie_buf b;
    ie_buf_init(&b);
    for (size_t i = 0; subdirs[i]; i++) {
        ie_buf_reset(&b);
        ie_buf_addf(&b, "%s/%s", dir, subdirs[i]);
        rmdir(b.data);
    }
    rmdir(dir);
    ie_buf_release(&b);
    free(dir);
    return true;
}

int srv_api_load_slim(struct srv_req *r, const struct srv_scan_row *row, struct ie_slim_manifest *m,
                      struct ie_err *err)
{
    char *snap = srv_slim_snap_path(row->manifest_path);
    const char *written[] = {snap, NULL};
    int rc = ie_slim_manifest_load_cached(row->manifest_path, snap, m, err);
    if (srv_api_scan_cleanup_if_deleted(r, row->id, written) && rc == 0)
        rc = ie_err_set(err, IE_ENOENT, "scan %s was deleted while this request ran", row->id);
    free(snap);
    return rc;
}

enum MHD_Result srv_api_reply_deleted(struct srv_req *r, const char *id)
{
    return srv_reply_error(r, 404, "not_found", "scan %s was deleted while this request ran", id);
}

enum MHD_Result srv_api_reply_scan_err(struct srv_req *r, const char *id, const struct ie_err *err)
{
    if (err->code != IE_ENOENT && srv_api_scan_deleted(r, id))
        return srv_api_reply_deleted(r, id);
    return srv_reply_ie_err(r, err);
}

const char *srv_api_status(struct srv_live *live, const struct srv_scan_row *row,
                           struct srv_job_state *st)
{
    return srv_live_status(live, row->id, row->status, st);
}

static cJSON *string_or_null(const char *s)
{
    return *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

void srv_api_scan_json_live(struct srv_live *live, cJSON *o)
{
    struct srv_job_state st;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(o, "status");
    if (!cJSON_IsString(id) || !cJSON_IsString(status) || !srv_live_get(live, id->valuestring, &st))
        return;
    bool running = strcmp(st.status, "running") == 0;
    bool newer = strcmp(st.status, status->valuestring) != 0;
    if (newer) {
        cJSON_ReplaceItemInObject(o, "status", cJSON_CreateString(st.status));
        cJSON_ReplaceItemInObject(o, "error", string_or_null(st.error));
        cJSON_ReplaceItemInObject(o, "finished_at", string_or_null(st.finished_at));
    }
    if (!running && !newer)
        return;
    /* A running scan shows what it has analysed; one that ended what its manifest durably
     * holds, as SQLite would. */
    cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "progress");
    size_t processed = running ? st.p.processed : st.p.durable;
    cJSON_ReplaceItemInObject(p, "total", cJSON_CreateNumber((double)st.p.total));
    cJSON_ReplaceItemInObject(p, "processed", cJSON_CreateNumber((double)processed));
    cJSON_ReplaceItemInObject(p, "corrupt", cJSON_CreateNumber((double)st.p.corrupt));
    cJSON_ReplaceItemInObject(p, "bytes", cJSON_CreateNumber((double)st.p.bytes));
    cJSON_ReplaceItemInObject(p, "rate_per_s", cJSON_CreateNumber(st.p.rate_per_s));
    cJSON_ReplaceItemInObject(
        p, "eta_s", st.p.eta_s >= 0 ? cJSON_CreateNumber(st.p.eta_s) : cJSON_CreateNull());
}

cJSON *srv_api_scan_json(struct srv_req *r, const struct srv_scan_row *row)
{
    cJSON *o = srv_scan_row_to_json(row);
    srv_api_scan_json_live(r->ctx->live, o);
    return o;
}

/* Parses the body as a JSON object whose keys are all in `allowed`. Strings cJSON would pass
 * on altered (a NUL cuts a C string short: "/data\u0000/x" would read as "/data") or that we
 * could not echo back as JSON (invalid UTF-8) are refused, as is anything after the object. */
cJSON *srv_api_parse_body(struct srv_req *r, const char *const *allowed, struct ie_err *err)
{
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, false);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        ie_err_set(err, IE_EINVAL, "the body must be a JSON object");
        return NULL;
    }
    while (end < r->body + r->body_len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end != r->body + r->body_len) {
        cJSON_Delete(o);
        ie_err_set(err, IE_EINVAL, "the body holds more than its JSON object");
        return NULL;
    }
    if (ie_json_check_strings(r->body, r->body_len, err) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    for (cJSON *it = o->child; it; it = it->next) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(it->string, allowed[i]) == 0;
        if (!ok) {
            ie_err_set(err, IE_EINVAL, "%s: unknown field", it->string);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

int srv_api_check_label(const char *field, const char *s, size_t n, struct ie_err *err)
{
    if (n > SRV_LABEL_MAX_BYTES)
        return ie_err_set(err, IE_EINVAL, "%s: longer than %d bytes", field, SRV_LABEL_MAX_BYTES);
    if (memchr(s, '\0', n))
        return ie_err_set(err, IE_EINVAL, "%s: holds a NUL character", field);
    if (!ie_utf8_valid(s, n))
        return ie_err_set(err, IE_EINVAL, "%s: not valid UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F). */
        if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
            return ie_err_set(err, IE_EINVAL,
                              "%s: holds a control character (U+%04X); a name is one line of text",
                              field, c == 0xc2 ? (unsigned char)s[i + 1] : c);
    }
    return 0;
}

/* Resolves root and checks it is a directory inside one of scan.allowed_roots (an s3:// root:
 * see srv_bucket_check_root). */
int srv_api_check_root(const struct srv_ctx *ctx, const char *root, char **resolved,
                       struct ie_err *err)
{
    const struct srv_config *cfg = ctx->cfg;
    char real[PATH_MAX];
    struct stat st;
    if (!*root)
        return ie_err_set(err, IE_EINVAL, "root: must not be empty");
    if (eng_s3_is_url(root))
        return srv_bucket_check_root(cfg, ctx->s3, root, resolved, err);
    if (!realpath(root, real))
        return ie_err_set(err, errno == ENOENT ? IE_EINVAL : IE_EPERM, "root: %s: %s", root,
                          strerror(errno));
    if (!srv_api_path_allowed(cfg, real))
        return ie_err_set(err, IE_EPERM, "root: %s is outside scan.allowed_roots", root);
    if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
        return ie_err_set(err, IE_EINVAL, "root: %s is not a directory", root);
    *resolved = ie_xstrdup(real);
    return 0;
}

/* True if path resolves inside scan.allowed_roots: imported manifests name paths we did not
 * choose, so files are read for them only where a scan could have been started. */
bool srv_api_path_allowed(const struct srv_config *cfg, const char *path)
{
    return !eng_s3_is_url(path) && ie_confine_check((const char *const *)cfg->allowed_roots,
                                                    (size_t)cfg->n_allowed_roots, path);
}

bool srv_api_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    if (!s)
        return true;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool srv_api_is_final(const char *s)
{
    return strcmp(s, "succeeded") == 0 || strcmp(s, "failed") == 0 || strcmp(s, "cancelled") == 0;
}

/* Replies from the cache if the result is there. */
bool srv_api_reply_cached(struct srv_req *r, const char *key, enum MHD_Result *rc)
{
    size_t len;
    char *ct = NULL;
    void *data = srv_cache_get(r->ctx->cache, key, &len, &ct);
    if (!data)
        return false;
    *rc = srv_reply_buffer(r, 200, ct, data, len);
    free(ct);
    return true;
}
