/* The REST API v1 (see api.h): the route table, dispatch, and the OpenAPI document.
 * DESIGN: the table is the single source of truth: dispatch walks it, /api/v1/openapi.json is
 * generated from it, and a test checks both directions. Each resource's handlers live in their
 * own file (api_scans.c, api_images.c, api_results.c, api_exports.c, api_gate.c, api_meta.c,
 * api_static.c) behind one signature, srv_handler_fn; this file knows their names only. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "api_internal.h"
#include "imgeda/util.h"

struct route {
    const char *method;
    const char *pattern;
    const char *summary;
    srv_handler_fn fn;
};

static const struct route routes[] = {
    {"GET", "/healthz", "Liveness and version", srv_h_healthz},
    {"GET", "/metrics", "Prometheus metrics", srv_h_metrics},
    {"GET", "/api/v1/openapi.json", "This API description", srv_h_openapi},
    {"POST", "/api/v1/scans", "Create a scan of a root: {root, name?, options?}",
     srv_h_scan_create},
    {"GET", "/api/v1/scans",
     "List scans, newest first (?status=&root=&limit=&cursor=; root: the versions of a root)",
     srv_h_scan_list},
    {"GET", "/api/v1/scans/{id}", "A scan with status and progress", srv_h_scan_get},
    {"DELETE", "/api/v1/scans/{id}", "Delete a finished scan and its files", srv_h_scan_delete},
    {"GET", "/api/v1/scans/{id}/events", "Server-Sent Events: progress and status",
     srv_h_scan_events},
    {"POST", "/api/v1/scans/{id}/cancel", "Cancel a scan, keeping what is done", srv_h_scan_cancel},
    {"POST", "/api/v1/scans/{id}/resume", "Resume a cancelled, failed or finished scan",
     srv_h_scan_resume},
    {"POST", "/api/v1/scans/{id}/rescan",
     "Scan a succeeded scan's root again as a new version, keeping the old one", srv_h_scan_rescan},
    {"POST", "/api/v1/manifests", "Import a JSONL manifest as a scan (?name=)",
     srv_h_manifest_import},
    {"GET", "/api/v1/scans/{id}/manifest",
     "The scan's JSONL manifest; ?marks=apply leaves removed images out", srv_h_manifest_get},
    {"GET", "/api/v1/scans/{id}/summary", "Dataset summary (SPEC 4.2); ?marks=apply",
     srv_h_summary},
    {"GET", "/api/v1/scans/{id}/images",
     "Records, filtered, sorted, paged "
     "(?flag=a,b&q=&format=&camera=&split=&class=&min_/max_blur|brightness|"
     "width|height|aspect|bytes=&sort=&limit=&cursor=)",
     srv_h_images},
    {"GET", "/api/v1/scans/{id}/images/{image_id}", "One record", srv_h_image},
    {"GET", "/api/v1/scans/{id}/images/{image_id}/annotations",
     "The image's boxes and class labels in pixels (YOLO label files)", srv_h_image_annotations},
    {"GET", "/api/v1/scans/{id}/images/{image_id}/thumbnail",
     "A JPEG thumbnail (?size=); 503 when every decode is taken", srv_h_thumbnail},
    {"GET", "/api/v1/scans/{id}/images/{image_id}/original",
     "The image file itself, confined like thumbnails", srv_h_original},
    {"GET", "/api/v1/scans/{id}/checks/{name}",
     "A check: corrupt, exposure, artifacts, blur, duplicates or all (SPEC 4.3)", srv_h_check},
    {"GET", "/api/v1/scans/{id}/duplicates",
     "Duplicate groups (?threshold=); with ?cursor=&limit=&kind=exact|near a page of groups with "
     "members, distances and a suggested keeper",
     srv_h_duplicates},
    {"GET", "/api/v1/scans/{id}/histograms",
     "Per-issue metric histograms and the scan's thresholds: the count any integer threshold "
     "would flag",
     srv_h_histograms},
    {"GET", "/api/v1/scans/{id}/annotations", "Layout and annotation statistics of the root",
     srv_h_annotations},
    {"GET", "/api/v1/scans/{id}/plots/{file}", "A plot: {type}.{png|svg|pdf} (?dpi=&sample=)",
     srv_h_plot},
    {"GET", "/api/v1/scans/{id}/report.{format}", "The report: pdf or html", srv_h_report},
    {"GET", "/api/v1/scans/{id}/export.{format}",
     "Export: csv, jsonl, sqlite or parquet (downloads)", srv_h_export},
    {"GET", "/api/v1/scans/{id}/marks",
     "Images holding marks, paged (?limit=&cursor=&threshold=), and what the marks do",
     srv_h_marks_get},
    {"PUT", "/api/v1/scans/{id}/marks",
     "Mark images: {image_ids, mark: remove|keep|ok|not_duplicate|null}", srv_h_marks_put},
    {"GET", "/api/v1/scans/{id}/marks.{format}",
     "The root's marks as csv or jsonl (the `imgeda marks` file)", srv_h_marks_export},
    {"GET", "/api/v1/scans/{id}/remove.txt",
     "Paths the marks take out, one a line (?threshold= for keepers' groups)", srv_h_remove_list},
    {"POST", "/api/v1/diff", "Diff two scans: {old, new}", srv_h_diff},
    {"POST", "/api/v1/leakage", "Leakage across splits: {splits, threshold?}", srv_h_leakage},
    {"POST", "/api/v1/scans/{id}/gate",
     "Gate a scan against a policy (YAML or JSON body; ?marks=apply); 412 when it fails",
     srv_h_scan_gate},
    {"POST", "/api/v1/gate",
     "Scan (resuming the root's last scan) then gate: {root, policy, wait?, timeout_s?, "
     "marks?: apply}; 412 "
     "when it fails",
     srv_h_ci_gate},
    {"GET", "/api/v1/policy/example",
     "The documented example policy (YAML, every key at its default)", srv_h_policy_example},
    {"POST", "/api/v1/policy/validate",
     "Check a policy (YAML or JSON body): 200 {valid, policy} or {valid: false, errors}",
     srv_h_policy_validate},
    {"GET", "/api/v1/config",
     "Version, limits, allowed roots and the options a scan gets by default", srv_h_config},
};

/* Matches url against pattern; fills r->params. Segments "{x}" capture a whole segment and
 * "lit.{x}" capture what follows "lit.". */
static bool match(const char *pattern, const char *url, struct srv_req *r, char bufs[4][256])
{
    const char *p = pattern, *u = url;
    int n = 0;
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            return false;
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        const char *brace = memchr(p, '{', pl);
        if (brace) {
            size_t lit = (size_t)(brace - p);
            if (ul < lit + 1 || strncmp(p, u, lit) != 0 || n >= 4 || ul - lit >= 256)
                return false;
            memcpy(bufs[n], u + lit, ul - lit);
            bufs[n][ul - lit] = '\0';
            if (strcmp(bufs[n], "..") == 0 || strcmp(bufs[n], ".") == 0)
                return false;
            r->params[n] = bufs[n];
            n++;
        } else if (pl != ul || strncmp(p, u, pl) != 0) {
            return false;
        }
        p += pl;
        u += ul;
    }
    r->n_params = n;
    return *p == '\0' && *u == '\0';
}

enum MHD_Result srv_api_dispatch(struct srv_req *r)
{
    char bufs[4][256];
    bool path_found = false;
    for (size_t i = 0; i < IE_ARRAY_LEN(routes); i++) {
        if (!match(routes[i].pattern, r->url, r, bufs))
            continue;
        path_found = true;
        if (strcmp(routes[i].method, r->method) == 0)
            return routes[i].fn(r);
    }
    if (path_found)
        return srv_reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method,
                               r->url);
    if (strncmp(r->url, "/api/", 5) != 0 && strcmp(r->method, "GET") == 0 && r->ctx->web_dir)
        return srv_h_static(r);
    return srv_reply_error(r, 404, "not_found", "no route for %s %s", r->method, r->url);
}

cJSON *srv_api_openapi(void)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "openapi", "3.0.3");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    cJSON_AddStringToObject(info, "title", "imgedad");
    cJSON_AddStringToObject(info, "version", IMGEDA_VERSION);
    cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
    for (size_t i = 0; i < IE_ARRAY_LEN(routes); i++) {
        cJSON *item = cJSON_GetObjectItemCaseSensitive(paths, routes[i].pattern);
        if (!item)
            item = cJSON_AddObjectToObject(paths, routes[i].pattern);
        char method[16];
        size_t k = 0;
        for (; routes[i].method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)(routes[i].method[k] - 'A' + 'a');
        method[k] = '\0';
        cJSON *op = cJSON_AddObjectToObject(item, method);
        cJSON_AddStringToObject(op, "summary", routes[i].summary);
        cJSON *params = cJSON_AddArrayToObject(op, "parameters");
        for (const char *s = strchr(routes[i].pattern, '{'); s; s = strchr(s + 1, '{')) {
            const char *e = strchr(s, '}');
            cJSON *prm = cJSON_CreateObject();
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(e - s - 1), s + 1);
            cJSON_AddStringToObject(prm, "name", name);
            cJSON_AddStringToObject(prm, "in", "path");
            cJSON_AddTrueToObject(prm, "required");
            cJSON *schema = cJSON_AddObjectToObject(prm, "schema");
            cJSON_AddStringToObject(schema, "type", "string");
            cJSON_AddItemToArray(params, prm);
        }
        cJSON *resp = cJSON_AddObjectToObject(op, "responses");
        cJSON *def = cJSON_AddObjectToObject(resp, "default");
        cJSON_AddStringToObject(def, "description",
                                "JSON body; errors are {\"error\": {\"code\", \"message\"}}");
    }
    return doc;
}
