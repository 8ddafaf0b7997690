/* Comparing and gating scans: POST diff, a scan's gate, the CI gate (scan then gate in one
 * request), and the policy editor's example and validation. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "cache.h"
#include "imgeda/diff.h"
#include "imgeda/duplicates.h"
#include "imgeda/gate.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "live.h"
#include "results.h"

/* Picks the two scans of a diff body: {old, new} as given; {new} alone: the version of new's
 * root before it; {root} alone: the root's last two succeeded versions. rows[0] old, rows[1]
 * new, both finished. */
static int diff_pick(struct srv_req *r, cJSON *body, struct srv_scan_row rows[2],
                     struct ie_err *err)
{
    static const char *const names[2] = {"old", "new"};
    cJSON *v[2], *jroot = cJSON_GetObjectItemCaseSensitive(body, "root");
    char real[PATH_MAX];
    sqlite3 *db;
    int rc;
    for (int i = 0; i < 2; i++) {
        v[i] = cJSON_GetObjectItemCaseSensitive(body, names[i]);
        if (v[i] && !cJSON_IsString(v[i]))
            return ie_err_set(err, IE_EINVAL, "%s: a scan id", names[i]);
    }
    if (jroot && (!cJSON_IsString(jroot) || v[0] || v[1]))
        return ie_err_set(err, IE_EINVAL, "root: a string, without old and new");
    if (!jroot && !v[1])
        return ie_err_set(err, IE_EINVAL,
                          "new: required, a scan id (or root, for its last two versions)");
    for (int i = 1; i >= 0; i--) {
        if (!v[i])
            continue;
        r->params[0] = v[i]->valuestring;
        if ((rc = srv_api_load_finished_scan(r, &rows[i], err)) < 0) {
            if (err->code == IE_ENOENT)
                err->code = IE_EINVAL;
            return rc;
        }
    }
    if (v[0])
        return 0;
    if (!(db = srv_http_db(r, err)))
        return err->code;
    if (jroot) {
        const char *root = jroot->valuestring;
        if (!strstr(root, "://") && realpath(root, real))
            root = real;
        if ((rc = srv_store_version_before(db, root, INT64_MAX, &rows[1], err)) < 0)
            return rc == IE_ENOENT
                       ? ie_err_set(err, IE_EINVAL, "root: no finished scan of %s", root)
                       : rc;
    }
    if (!rows[1].root || !*rows[1].root)
        return ie_err_set(err, IE_EINVAL, "old: %s names no root to find versions of; give old",
                          rows[1].id);
    rc = srv_store_version_before(db, rows[1].root, rows[1].seq, &rows[0], err);
    if (rc == IE_ENOENT)
        rc = ie_err_set(err, IE_EINVAL, "old: %s is the first finished version of %s; give old",
                        rows[1].id, rows[1].root);
    return rc;
}

/* The image ids (record index + 1, as indexed) of each changed, moved and copied pair, in the
 * order of those lists, so a page can show both thumbnails without a lookup by path. Kept apart
 * from the pairs themselves, whose shape is the CLI's. */
static void diff_ids_json(struct ie_buf *b, const struct ie_diff_result *d)
{
    ie_buf_adds(b, "\"ids\":{\"changed\":[");
    for (size_t i = 0; i < d->n_changed; i++)
        ie_buf_addf(b, "%s[%zu,%zu]", i ? "," : "", d->changed[i].old_idx + 1,
                    d->changed[i].new_idx + 1);
    for (int k = 0; k < 2; k++) {
        const struct ie_diff_pair *v = k ? d->copied : d->moved;
        size_t n = k ? d->n_copied : d->n_moved;
        ie_buf_addf(b, "],\"%s\":[", k ? "copied" : "moved");
        for (size_t i = 0; i < n; i++)
            ie_buf_addf(b, "%s[%zu,%zu]", i ? "," : "", v[i].old_idx + 1, v[i].new_idx + 1);
    }
    ie_buf_adds(b, "]},");
}

/* POST /diff {old?, new?, root?}: the extended diff (ie_diff_write_json_ext): files matched by
 * path under their roots, then by content hash. */
enum MHD_Result srv_h_diff(struct srv_req *r)
{
    static const char *const allowed[] = {"old", "new", "root", NULL};
    struct ie_err err = {0};
    struct srv_scan_row rows[2] = {{0}, {0}};
    struct ie_slim_manifest ms[2];
    struct ie_diff_result d;
    enum MHD_Result rc;
    char key[256], what[128];
    ie_slim_manifest_init(&ms[0]);
    ie_slim_manifest_init(&ms[1]);
    ie_diff_result_init(&d);
    cJSON *body = srv_api_parse_body(r, allowed, &err);
    if (!body)
        return srv_reply_ie_err(r, &err);
    if (diff_pick(r, body, rows, &err) < 0)
        goto bad;
    snprintf(what, sizeof(what), "diffi:%s:%s", rows[1].id, rows[1].finished_at);
    srv_result_key(key, sizeof(key), &rows[0], what);
    if (srv_api_reply_cached(r, key, &rc))
        goto out;
    for (int i = 0; i < 2; i++)
        if (srv_api_load_slim(r, &rows[i], &ms[i], &err) < 0)
            goto bad;
    ie_diff_compute(&ms[0], &ms[1], &d);
    {
        /* Which scans were compared (a request by root does not say), spliced in front rather
         * than through a parse of what may be 10^6 paths. Scan ids are hex digits. */
        char *diff = ie_diff_to_json_ext(&d, false, true);
        struct ie_buf b;
        ie_buf_init(&b);
        ie_buf_addf(&b, "{\"old_id\":\"%s\",\"new_id\":\"%s\",", rows[0].id, rows[1].id);
        diff_ids_json(&b, &d);
        ie_buf_adds(&b, diff + 1);
        free(diff);
        size_t n = b.len;
        char *json = ie_buf_detach(&b);
        srv_cache_put(r->ctx->cache, key, json, n, "application/json");
        rc = srv_reply_buffer(r, 200, "application/json", json, n);
    }
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&ms[0]);
    ie_slim_manifest_release(&ms[1]);
    srv_scan_row_release(&rows[0]);
    srv_scan_row_release(&rows[1]);
    cJSON_Delete(body);
    return rc;
}

/* Adds "sample_ids" parallel to each check's "sample_paths": the image id of each path in the
 * scan, or null when the path has no indexed record. The gate reads the slim manifest, which
 * keeps no positions, so ids come from the images_by_path index (at most 10 per check). */
static int add_sample_ids(sqlite3 *db, const char *scan_id, const struct ie_gate_result *g,
                          cJSON *result, struct ie_err *err)
{
    cJSON *checks = cJSON_GetObjectItemCaseSensitive(result, "checks");
    cJSON *co = checks ? checks->child : NULL;
    for (size_t i = 0; i < g->n_checks && co; i++, co = co->next) {
        cJSON *ids = cJSON_AddArrayToObject(co, "sample_ids");
        for (size_t k = 0; k < g->checks[i].n_samples; k++) {
            int64_t id = 0;
            struct ie_err e = {0};
            int rc = srv_store_image_id_by_path(db, scan_id, g->checks[i].sample_paths[k], &id, &e);
            if (rc == IE_ENOENT) {
                cJSON_AddItemToArray(ids, cJSON_CreateNull());
            } else if (rc < 0) {
                *err = e;
                return rc;
            } else {
                cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
            }
        }
    }
    return 0;
}

/* Adds "allowed" (the policy's list) to the allowed_formats check, whose numeric threshold is 0
 * as imgeda writes it: a reader of the verdict sees the limit, not "0". */
static void add_allowed_formats(const struct ie_policy *p, cJSON *result)
{
    cJSON *co = cJSON_GetObjectItemCaseSensitive(result, "checks");
    for (co = co ? co->child : NULL; co; co = co->next) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(co, "name");
        if (!cJSON_IsString(name) || strcmp(name->valuestring, "allowed_formats") != 0)
            continue;
        cJSON *a = cJSON_AddArrayToObject(co, "allowed");
        for (size_t i = 0; i < p->n_allowed_formats; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(p->allowed_formats[i]));
    }
}

/* Gates a finished scan against a parsed policy: 200 passed, 412 failed, body = the result
 * (plus scan_id, each check's sample_ids and allowed_formats' "allowed" list). With
 * marks_threshold >= 0 the root's marks are applied first (duplicate groups of keepers at that
 * threshold) and the body says so in "marks". */
static enum MHD_Result reply_gate(struct srv_req *r, const struct srv_scan_row *row,
                                  const struct ie_policy *p, int marks_threshold, uint64_t epoch)
{
    struct ie_slim_manifest m;
    struct ie_gate_result g;
    struct ie_err err = {0};
    cJSON *o = NULL, *marks = NULL;
    sqlite3 *db;
    enum MHD_Result rc;
    ie_slim_manifest_init(&m);
    ie_gate_result_init(&g);
    if (marks_threshold >= 0
            ? srv_api_marked_slim(r, row, marks_threshold, epoch, &m, &marks, &err) < 0
            : srv_api_load_slim(r, row, &m, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    ie_gate_evaluate(&m, p, &g);
    o = ie_gate_result_to_cjson(&g);
    cJSON_AddStringToObject(o, "scan_id", row->id);
    if (marks) {
        cJSON_AddItemToObject(o, "marks", marks);
        marks = NULL;
    }
    add_allowed_formats(p, o);
    if (!(db = srv_http_db(r, &err)) || add_sample_ids(db, row->id, &g, o, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    {
        unsigned st = g.passed ? 200 : 412;
        rc = srv_reply_json(r, st, o);
        o = NULL;
    }
out:
    cJSON_Delete(o);
    cJSON_Delete(marks);
    ie_gate_result_release(&g);
    ie_slim_manifest_release(&m);
    return rc;
}

/* A policy from a JSON value: a YAML/JSON string, or an object (re-printed as JSON, which
 * YAML parses; positions then refer to that compact text). */
static int policy_from_json(const cJSON *v, struct ie_policy *p, struct ie_err *err)
{
    if (cJSON_IsString(v))
        return ie_policy_parse(p, "policy", v->valuestring, strlen(v->valuestring), err);
    if (cJSON_IsObject(v)) {
        char *text = cJSON_PrintUnformatted(v);
        int rc = ie_policy_parse(p, "policy", text, strlen(text), err);
        free(text);
        return rc;
    }
    return ie_err_set(err, IE_EINVAL, "policy: expected a YAML string or a JSON object");
}

enum MHD_Result srv_h_scan_gate(struct srv_req *r)
{
    /* Before the row is read: a DELETE meanwhile keeps the marked view out of the cache. */
    uint64_t epoch = srv_cache_epoch(r->ctx->cache);
    struct srv_scan_row row = {0};
    struct ie_policy p;
    struct ie_err err = {0};
    enum MHD_Result rc;
    bool apply = false;
    int threshold = 0;
    ie_policy_init(&p);
    if (srv_api_marks_param(r, &apply, &threshold, &err) < 0 ||
        srv_api_load_finished_scan(r, &row, &err) < 0) {
        rc = srv_reply_ie_err(r, &err);
    } else if (ie_policy_parse(&p, "policy", r->body, r->body_len, &err) < 0) {
        err.code = IE_EINVAL;
        rc = srv_reply_ie_err(r, &err);
    } else {
        rc = reply_gate(r, &row, &p, apply ? threshold : -1, epoch);
    }
    ie_policy_release(&p);
    srv_scan_row_release(&row);
    return rc;
}

/* Generated from config/policy.example.yaml by migrations/embed.cmake. */
extern const struct {
    const char *name;
    const char *data;
    size_t len;
} srv_policy_example[];
extern const size_t srv_n_policy_example;

/* GET /api/v1/policy/example: the documented policy this binary was built with, byte for byte,
 * so an editor starts from the keys and defaults the gate really applies. */
enum MHD_Result srv_h_policy_example(struct srv_req *r)
{
    size_t n = srv_n_policy_example ? srv_policy_example[0].len : 0;
    char *copy = ie_xmalloc(n + 1);
    memcpy(copy, n ? srv_policy_example[0].data : "", n);
    return srv_reply_buffer(r, 200, "text/yaml; charset=utf-8", copy, n);
}

/* One entry of /policy/validate's "errors": line, column and key are null where the problem
 * has none (the size limit). Keys and messages quote the body, which may hold invalid UTF-8 cut
 * by the parser's "..."; JSON must not. */
static cJSON *validation_error(const struct ie_policy_error_pos *pos, const char *message)
{
    char *key = pos->key[0] ? ie_utf8_sanitize(pos->key, strlen(pos->key)) : NULL;
    char *msg = ie_utf8_sanitize(message, strlen(message));
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "line",
                          pos->line ? cJSON_CreateNumber((double)pos->line) : cJSON_CreateNull());
    cJSON_AddItemToObject(
        e, "column", pos->column ? cJSON_CreateNumber((double)pos->column) : cJSON_CreateNull());
    cJSON_AddItemToObject(e, "key", key ? cJSON_CreateString(key) : cJSON_CreateNull());
    cJSON_AddStringToObject(e, "message", msg);
    free(key);
    free(msg);
    return e;
}

/* POST /api/v1/policy/validate: parses the body as the gate does (YAML or JSON, same limits)
 * and always answers 200, because a refused policy is the expected answer here, not a failed
 * request: {"valid": true, "policy": {every key: effective value}} or {"valid": false,
 * "errors": [{"line", "column", "key", "message"}, ...]}. Every problem is listed, in text
 * order (at most IE_POLICY_MAX_ERRORS, then "truncated": true), each message as the gate's 400
 * would say it; the first is the one the gate reports. A YAML syntax error ends the list. */
enum MHD_Result srv_h_policy_validate(struct srv_req *r)
{
    struct ie_policy p;
    struct ie_policy_error_pos pos = {0};
    struct ie_policy_errors *errs = ie_xcalloc(1, sizeof(*errs));
    struct ie_err err = {0};
    cJSON *o = cJSON_CreateObject();
    ie_policy_init(&p);
    if (ie_policy_parse_all(&p, "policy", r->body, r->body_len, &pos, errs, &err) == 0) {
        char *json = ie_policy_to_json(&p);
        cJSON_AddTrueToObject(o, "valid");
        cJSON_AddItemToObject(o, "policy", cJSON_CreateRaw(json));
        free(json);
    } else {
        cJSON_AddFalseToObject(o, "valid");
        cJSON *list = cJSON_AddArrayToObject(o, "errors");
        if (!errs->n) /* the size limit: in err only */
            cJSON_AddItemToArray(list, validation_error(&pos, err.msg));
        for (size_t i = 0; i < errs->n; i++)
            cJSON_AddItemToArray(list, validation_error(&errs->e[i].pos, errs->e[i].message));
        if (errs->truncated)
            cJSON_AddTrueToObject(o, "truncated");
    }
    free(errs);
    ie_policy_release(&p);
    return srv_reply_json(r, 200, o);
}

int srv_ci_gate_parse(struct srv_req *r, struct srv_ci_gate_req *q, struct ie_err *err)
{
    static const char *const allowed[] = {"root",    "policy", "wait", "timeout_s",
                                          "options", "marks",  NULL};
    memset(q, 0, sizeof(*q));
    ie_policy_init(&q->policy);
    q->body = srv_api_parse_body(r, allowed, err);
    if (!q->body)
        return IE_EINVAL;
    cJSON *jroot = cJSON_GetObjectItemCaseSensitive(q->body, "root");
    cJSON *jwait = cJSON_GetObjectItemCaseSensitive(q->body, "wait");
    cJSON *jtimeout = cJSON_GetObjectItemCaseSensitive(q->body, "timeout_s");
    cJSON *jopts = cJSON_GetObjectItemCaseSensitive(q->body, "options");
    if (!cJSON_IsString(jroot))
        return ie_err_set(err, IE_EINVAL, "root: required, a string");
    if (jwait && !cJSON_IsBool(jwait))
        return ie_err_set(err, IE_EINVAL, "wait: expected true or false");
    q->wait = !cJSON_IsFalse(jwait);
    q->timeout_s = 3600;
    if (jtimeout) {
        if (!cJSON_IsNumber(jtimeout) || jtimeout->valuedouble <= 0 ||
            jtimeout->valuedouble > 86400)
            return ie_err_set(err, IE_EINVAL, "timeout_s: a number of seconds in (0, 86400]");
        q->timeout_s = jtimeout->valuedouble;
    }
    if (jopts && !cJSON_IsObject(jopts))
        return ie_err_set(err, IE_EINVAL, "options: must be an object");
    const cJSON *jmarks = cJSON_GetObjectItemCaseSensitive(q->body, "marks");
    if (jmarks && !(cJSON_IsString(jmarks) && (strcmp(jmarks->valuestring, "apply") == 0 ||
                                               strcmp(jmarks->valuestring, "ignore") == 0)))
        return ie_err_set(err, IE_EINVAL, "marks: \"apply\" or \"ignore\"");
    q->apply_marks = jmarks && strcmp(jmarks->valuestring, "apply") == 0;
    if (policy_from_json(cJSON_GetObjectItemCaseSensitive(q->body, "policy"), &q->policy, err) <
        0) {
        if (err)
            err->code = IE_EINVAL; /* a bad policy is a bad request, whatever the reason */
        return IE_EINVAL;
    }
    q->root = jroot->valuestring;
    q->options = jopts;
    return 0;
}

void srv_ci_gate_req_release(struct srv_ci_gate_req *q)
{
    cJSON_Delete(q->body);
    ie_policy_release(&q->policy);
    memset(q, 0, sizeof(*q));
}

/* Waits (this connection's thread blocks) until scan id has ended, then gates it: the gate's
 * reply, 422 when the scan did not succeed, 504 when timeout_s runs out first (the scan goes
 * on), 503 when the daemon stops meanwhile (the scan resumes at its next start). The status is
 * the one the job runner last set, which SQLite may not hold yet (srv_api_status). It waits
 * holding no pooled SQLite connection. */
static enum MHD_Result await_and_gate(struct srv_req *r, const char *id, double timeout_s,
                                      const struct ie_policy *p, int marks_threshold)
{
    struct srv_scan_row row = {0};
    struct srv_job_state st;
    struct ie_err err = {0};
    enum MHD_Result rc;
    const char *status;
    sqlite3 *db;
    double deadline = ie_mono_seconds() + timeout_s;
    uint64_t version = 0, epoch = srv_cache_epoch(r->ctx->cache);
    for (;;) {
        srv_scan_row_release(&row);
        if (!(db = srv_http_db(r, &err)) || srv_store_get_scan(db, id, &row, &err) < 0) {
            rc = srv_reply_ie_err(r, &err);
            goto out;
        }
        if (srv_api_is_final((status = srv_api_status(r->ctx->live, &row, &st))))
            break;
        srv_http_db_release(r);
        if (srv_live_closed(r->ctx->live)) {
            rc = srv_reply_error(r, 503, "shutting_down",
                                 "imgedad is shutting down; scan %s is checkpointed and resumes "
                                 "at its next start",
                                 id);
            goto out;
        }
        if (ie_mono_seconds() > deadline) {
            rc = srv_reply_error(r, 504, "timeout",
                                 "scan %s did not finish within %.0f s; it goes on", id, timeout_s);
            goto out;
        }
        version = srv_live_wait(r->ctx->live, version, 1000);
    }
    if (strcmp(status, "succeeded") != 0) {
        cJSON *o = srv_api_scan_json(r, &row);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
        const char *why = cJSON_IsString(e) ? e->valuestring : NULL;
        rc = srv_reply_error(r, 422, "scan_failed", "scan %s %s%s%s", id, status, why ? ": " : "",
                             why ? why : "");
        cJSON_Delete(o);
        goto out;
    }
    rc = reply_gate(r, &row, p, marks_threshold, epoch);
out:
    srv_scan_row_release(&row);
    return rc;
}

/* POST /api/v1/gate {root, policy, wait?, timeout_s?}: the one request a CI job needs. It
 * resumes the last scan of the root (unchanged files are not read again) or starts one, waits
 * for it (this connection's thread blocks; nobody else does), then gates it. */
enum MHD_Result srv_h_ci_gate(struct srv_req *r)
{
    struct ie_err err = {0};
    struct srv_ci_gate_req q;
    struct srv_scan_row row = {0};
    struct ie_scan_options o;
    char *root = NULL, *id = NULL, *opts = NULL;
    enum MHD_Result rc;
    if (srv_ci_gate_parse(r, &q, &err) < 0)
        goto bad;
    double timeout_s = q.timeout_s;
    if (srv_api_check_root(r->ctx, q.root, &root, &err) < 0)
        goto bad;
    opts = q.options ? cJSON_PrintUnformatted(q.options) : ie_xstrdup("{}");
    if (srv_scan_options_from_json(opts, r->ctx->cfg, &o, &err) < 0)
        goto bad;
    sqlite3 *db = srv_http_db(r, &err);
    if (!db)
        goto bad;
    if (srv_store_last_scan_of_root(db, root, &row, &err) == 0) {
        struct srv_job_state st;
        id = ie_xstrdup(row.id);
        if (srv_api_is_final(srv_api_status(r->ctx->live, &row, &st)) &&
            srv_jobs_resume(r->ctx->jobs, id, &err) < 0)
            goto bad;
    } else if (srv_jobs_create(r->ctx->jobs, root, "ci gate", &o, opts, &id, &err) < 0) {
        goto bad;
    }
    srv_scan_row_release(&row);
    if (!q.wait) {
        if (srv_store_get_scan(db, id, &row, &err) < 0)
            goto bad;
        rc = srv_reply_json(r, 202, srv_api_scan_json(r, &row));
        goto out;
    }
    rc = await_and_gate(r, id, timeout_s, &q.policy, q.apply_marks ? IE_DUP_DEFAULT_THRESHOLD : -1);
    goto out;
bad:
    rc = srv_reply_ie_err(r, &err);
out:
    srv_ci_gate_req_release(&q);
    srv_scan_row_release(&row);
    free(root);
    free(id);
    free(opts);
    return rc;
}
