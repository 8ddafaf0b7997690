/* Private to the API's files: the request helpers handlers share (api_request.c) and the
 * handlers the route table in api.c names, one srv_handler_fn per route, by the file that holds
 * them. Nothing outside api*.c includes this.
 * THREADS: all run on the request's connection thread. */
#ifndef IMGEDA_SERVER_API_INTERNAL_H
#define IMGEDA_SERVER_API_INTERNAL_H

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "config.h"
#include "http.h"
#include "imgeda/err.h"
#include "imgeda/gate.h"
#include "imgeda/manifest.h"
#include "imgeda/marks.h"
#include "live.h"
#include "store.h"

/* ---- request helpers (api_request.c) ---- */

/* Loads the scan named by the first path parameter (IE_ENOENT for an id that is not one). */
int srv_api_load_scan(struct srv_req *r, struct srv_scan_row *row, struct ie_err *err);
/* Loads the scan named by the first path parameter and checks its results are final: a scan
 * that has not succeeded has partial records that must not answer for the whole dataset. */
int srv_api_load_finished_scan(struct srv_req *r, struct srv_scan_row *row, struct ie_err *err);
/* True if scan id no longer exists (deleted, e.g. while this request ran). */
bool srv_api_scan_deleted(struct srv_req *r, const char *id);
/* For a request that wrote files into scan id's folder (written: their paths, NULL-terminated):
 * if the scan has been deleted meanwhile, removes them and what DELETE may have left of the
 * folder because of them, and returns true (answer 404); false if the scan is still there. */
bool srv_api_scan_cleanup_if_deleted(struct srv_req *r, const char *id, const char *const *written);
/* The slim view of a finished scan's manifest, through its snapshot (srv_slim_snap_path), which
 * the first load after the scan finished writes: gate and compare read 10^6 records in about a
 * second instead of parsing the JSONL. IE_ENOENT when the scan was deleted meanwhile. */
int srv_api_load_slim(struct srv_req *r, const struct srv_scan_row *row, struct ie_slim_manifest *m,
                      struct ie_err *err);
/* 404: scan id was deleted while the request ran. */
enum MHD_Result srv_api_reply_deleted(struct srv_req *r, const char *id);
/* Replies with err, or with 404 if scan id was deleted while the request ran: reading its files
 * then fails in ways (a vanished manifest) that are no fault of the daemon's. */
enum MHD_Result srv_api_reply_scan_err(struct srv_req *r, const char *id, const struct ie_err *err);
/* The API's JSON for a scan, with srv_api_scan_json_live applied (caller owns it). */
cJSON *srv_api_scan_json(struct srv_req *r, const struct srv_scan_row *row);
/* Patches a scan's JSON (srv_scan_row_to_json) with what the job runner knows and SQLite may
 * not hold yet (live.h): a status newer than the row's, with its error, finish time and
 * progress (a state a full disk kept out of SQLite), and a running scan's progress between
 * checkpoints. */
void srv_api_scan_json_live(struct srv_live *live, cJSON *o);
/* The status the job runner last gave the scan (live.h) if it knows the scan, else the row's;
 * the string lives in *st or *row. */
const char *srv_api_status(struct srv_live *live, const struct srv_scan_row *row,
                           struct srv_job_state *st);
/* Parses the body as one JSON object whose keys are all in `allowed` (NULL-terminated); strings
 * holding a NUL, a raw control character or invalid UTF-8 are refused (IE_EINVAL naming the
 * field), since cJSON would pass them on cut short or unprintable. */
cJSON *srv_api_parse_body(struct srv_req *r, const char *const *allowed, struct ie_err *err);
/* A scan's name (POST /scans, POST /scans/import?name=) is a label shown in lists: at most this
 * many bytes of UTF-8 without control characters. */
#define SRV_LABEL_MAX_BYTES 256
/* Checks the n bytes at s as such a label; IE_EINVAL names field and the fault. */
int srv_api_check_label(const char *field, const char *s, size_t n, struct ie_err *err);
/* Resolves root and checks it is a directory inside one of scan.allowed_roots; *resolved is the
 * real path (caller frees). An s3:// root must lie under an s3:// allowed root and its bucket
 * must answer a listing (bucket.h); *resolved is then the URL. */
int srv_api_check_root(const struct srv_ctx *ctx, const char *root, char **resolved,
                       struct ie_err *err);
/* True if path resolves inside scan.allowed_roots. */
bool srv_api_path_allowed(const struct srv_config *cfg, const char *path);
/* Parses a query parameter s as a whole number in lo..hi into *out; an absent one (NULL) is
 * fine and leaves *out alone. False if s is not such a number. */
bool srv_api_parse_int(const char *s, long long lo, long long hi, long long *out);
/* True for a scan status that no longer changes by itself: succeeded, failed, cancelled. */
bool srv_api_is_final(const char *status);
/* Replies from the result cache if key is there: true, with *rc the reply's result. */
bool srv_api_reply_cached(struct srv_req *r, const char *key, enum MHD_Result *rc);

/* ---- handlers ---- */

/* api_meta.c */
enum MHD_Result srv_h_healthz(struct srv_req *r);
enum MHD_Result srv_h_openapi(struct srv_req *r);
enum MHD_Result srv_h_metrics(struct srv_req *r);
enum MHD_Result srv_h_config(struct srv_req *r);
/* api_scans.c */
enum MHD_Result srv_h_scan_create(struct srv_req *r);
enum MHD_Result srv_h_scan_list(struct srv_req *r);
enum MHD_Result srv_h_scan_get(struct srv_req *r);
enum MHD_Result srv_h_scan_cancel(struct srv_req *r);
enum MHD_Result srv_h_scan_resume(struct srv_req *r);
enum MHD_Result srv_h_scan_rescan(struct srv_req *r);
enum MHD_Result srv_h_scan_delete(struct srv_req *r);
enum MHD_Result srv_h_scan_events(struct srv_req *r);
/* api_images.c */
enum MHD_Result srv_h_images(struct srv_req *r);
enum MHD_Result srv_h_image(struct srv_req *r);
enum MHD_Result srv_h_image_annotations(struct srv_req *r);
enum MHD_Result srv_h_thumbnail(struct srv_req *r);
enum MHD_Result srv_h_original(struct srv_req *r);
/* api_results.c */
enum MHD_Result srv_h_summary(struct srv_req *r);
enum MHD_Result srv_h_check(struct srv_req *r);
enum MHD_Result srv_h_histograms(struct srv_req *r);
enum MHD_Result srv_h_duplicates(struct srv_req *r);
enum MHD_Result srv_h_leakage(struct srv_req *r);
enum MHD_Result srv_h_annotations(struct srv_req *r);
enum MHD_Result srv_h_plot(struct srv_req *r);
enum MHD_Result srv_h_report(struct srv_req *r);
/* api_exports.c */
enum MHD_Result srv_h_manifest_get(struct srv_req *r);
enum MHD_Result srv_h_manifest_import(struct srv_req *r);
enum MHD_Result srv_h_export(struct srv_req *r);
/* api_gate.c */
/* POST /api/v1/gate's body, parsed and checked; the root is not resolved yet. */
struct srv_ci_gate_req {
    cJSON *body;          /* the parsed body, which root and options point into */
    const char *root;     /* as given */
    bool wait;            /* true unless "wait": false */
    double timeout_s;     /* 3600 unless given, in (0, 86400] */
    const cJSON *options; /* an object, or NULL */
    bool apply_marks;     /* "marks": "apply" (the root's marks, as ?marks=apply) */
    struct ie_policy policy;
};
/* Parses r's body (only r->body and r->body_len are read): 0, or IE_EINVAL with a message
 * naming the field. Release q with srv_ci_gate_req_release after either. */
int srv_ci_gate_parse(struct srv_req *r, struct srv_ci_gate_req *q, struct ie_err *err);
void srv_ci_gate_req_release(struct srv_ci_gate_req *q);
enum MHD_Result srv_h_diff(struct srv_req *r);
enum MHD_Result srv_h_scan_gate(struct srv_req *r);
enum MHD_Result srv_h_ci_gate(struct srv_req *r);
enum MHD_Result srv_h_policy_example(struct srv_req *r);
enum MHD_Result srv_h_policy_validate(struct srv_req *r);
/* api_marks.c */
/* At most this many image ids in one PUT marks. */
#define SRV_MARKS_MAX_IDS 10000
/* A scan's records with its root's marks applied (core/marks.c). */
struct srv_marked {
    struct ie_manifest m;
    struct ie_marks mk;
    int64_t version; /* the root's marks version mk is (marks_db.h) */
    struct ie_marks_applied a;
};
void srv_api_marked_init(struct srv_marked *s);
void srv_api_marked_release(struct srv_marked *s);
/* Loads the records of finished scan row and applies its root's marks, duplicate groups for
 * keepers at threshold. */
int srv_api_marked_load(struct srv_req *r, const struct srv_scan_row *row, int threshold,
                        struct srv_marked *s, struct ie_err *err);
/* The slim view of finished scan row with its root's marks applied (keepers' duplicate groups at
 * threshold) and "marks" (what was applied, the caller's): from the result cache, keyed by the
 * root's marks version, else computed and cached with the marked summary (epoch: the cache's,
 * taken before row was read). Returns 0 or an error. */
int srv_api_marked_slim(struct srv_req *r, const struct srv_scan_row *row, int threshold,
                        uint64_t epoch, struct ie_slim_manifest *m, cJSON **marks,
                        struct ie_err *err);
/* Reads ?marks= ("apply"; absent or "ignore": not) and ?threshold= (the keepers' duplicate
 * groups, default 8); IE_EINVAL for other values. */
int srv_api_marks_param(struct srv_req *r, bool *apply, int *threshold, struct ie_err *err);
/* True when a summary or manifest request goes to its marked view: ?marks= present and not
 * "ignore" (a value other than "apply" then gets the marked handler's 400). */
bool srv_api_marks_wanted(struct srv_req *r);
enum MHD_Result srv_h_marks_put(struct srv_req *r);
enum MHD_Result srv_h_marks_get(struct srv_req *r);
enum MHD_Result srv_h_marks_export(struct srv_req *r);
enum MHD_Result srv_h_remove_list(struct srv_req *r);
/* summary?marks=apply and manifest?marks=apply. */
enum MHD_Result srv_api_marks_summary(struct srv_req *r);
enum MHD_Result srv_api_marks_manifest(struct srv_req *r);
/* api_static.c: a GET outside /api/ that no route matches. */
enum MHD_Result srv_h_static(struct srv_req *r);

#endif
