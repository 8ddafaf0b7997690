/* The five steps of the serverless flow (deploy/aws/statemachine.asl.json), one handler each,
 * and what they share: the run (buckets, prefixes, options, the batches) that ListImages
 * creates from the execution input and every later step receives.
 *
 * Events and results (JSON; every key is documented in lambda/README.md):
 *   list_images      execution input            -> the run
 *   analyze_batch    {"run": RUN, "batch": ITEM} -> {"index", "part_key", "records"}
 *   merge_manifests  the run                    -> the run + "manifest"
 *   aggregate        the run + "manifest"       -> ... + "summary"
 *   generate_plots   the run + "manifest"       -> ... + "plots"
 * Output bucket layout (under the run's output_prefix): manifests/manifest.jsonl,
 * summary/summary.json, plots/<type>.png, and the run's working files under
 * work/<run_id>/ (batches.json, parts/part-NNNNNN.jsonl).
 * THREADS: a handler runs on the main thread; analyze_batch starts its own analysis threads. */
#ifndef IMGEDA_LAMBDA_HANDLERS_H
#define IMGEDA_LAMBDA_HANDLERS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/s3.h"
#include "imgeda/err.h"
#include "imgeda/options.h"

/* What a handler gets besides its event. */
struct lam_ctx {
    struct eng_s3 *s3;
    const char *tmp_dir; /* where files may be written (Lambda: /tmp); cleaned per call */
    int64_t deadline_ms; /* Unix time in ms when Lambda stops the call; 0: unknown */
};

/* A handler fills *result (caller deletes) and returns 0, or returns a negative IE_E* code with
 * err filled: main posts it to the Runtime API's /error with the code's error type
 * (lam_error_type), which Step Functions' Retry and Catch match. */
typedef int (*lam_handler_fn)(struct lam_ctx *ctx, const cJSON *event, cJSON **result,
                              struct ie_err *err);

struct lam_handler {
    const char *name; /* the _HANDLER value, e.g. "analyze_batch" */
    const char *step; /* the state machine's state, e.g. "AnalyzeBatch" */
    lam_handler_fn fn;
};

/* The handler called name, or NULL. */
const struct lam_handler *lam_handler_find(const char *name);
/* Every handler's name, space-separated (for messages). Static storage. */
const char *lam_handler_names(void);
/* The errorType reported for an IE_E* code: "InvalidInput", "NotFound", "AccessDenied",
 * "StorageError" (S3 failed after its retries: worth a Retry), "LimitExceeded", "Error". */
const char *lam_error_type(int code);

int lam_list_images(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err);
int lam_analyze_batch(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err);
int lam_merge_manifests(struct lam_ctx *ctx, const cJSON *event, cJSON **result,
                        struct ie_err *err);
int lam_aggregate(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err);
int lam_generate_plots(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err);

/* ---- the run ---- */

/* Batches hold at most this many objects (batch_size's upper bound). */
#define LAM_MAX_BATCH 1000

struct lam_run {
    char *run_id;        /* "20261205T213752Z-1a2b3c4d": names the working files */
    char *input_bucket;  /* where the images are */
    char *input_prefix;  /* "" or a folder of keys: "photos" means the keys under "photos/" */
    char *output_bucket; /* where results go */
    char *output_prefix; /* "" or a key prefix ending in '/' */
    char *work_prefix;   /* output_prefix + "work/" + run_id + "/" */
    char *created_at;    /* when ListImages ran (the manifest header's created_at) */
    struct ie_scan_options opts;
    size_t batch_size, batch_count, total_files;
};

/* Applies a JSON object of scan options (the daemon's "options" keys) over o; NULL applies
 * nothing. Returns 0 or IE_EINVAL naming the bad key. */
int lam_options_apply(const cJSON *opts, struct ie_scan_options *o, struct ie_err *err);
/* Reads the run from an event (the run's keys at its top level). Returns 0 or IE_EINVAL naming
 * the missing or bad key. Release with lam_run_release. */
int lam_run_from_json(const cJSON *ev, struct lam_run *run, struct ie_err *err);
void lam_run_release(struct lam_run *run);
/* The run as JSON (caller deletes): what ListImages returns. */
cJSON *lam_run_to_json(const struct lam_run *run);
/* "s3://BUCKET" or "s3://BUCKET/PREFIX" without a trailing '/': the manifest header's
 * input_dir, as `imgeda scan s3://BUCKET/PREFIX` writes it. malloc'd. */
char *lam_run_input_url(const struct lam_run *run);
/* output_prefix + rest (e.g. "manifests/manifest.jsonl"), malloc'd. */
char *lam_run_output_key(const struct lam_run *run, const char *rest);
/* work_prefix + "parts/part-NNNNNN.jsonl" for batch index, malloc'd. */
char *lam_run_part_key(const struct lam_run *run, size_t index);

struct ie_manifest;
/* The run of event (lam_run_from_json) and its merged manifest (manifests/manifest.jsonl of the
 * output bucket) loaded into m; *url (when not NULL) receives its s3:// URL, malloc'd. Returns 0
 * or an error; run must be released either way. */
int lam_load_manifest(struct lam_ctx *ctx, const cJSON *event, struct lam_run *run,
                      struct ie_manifest *m, char **url, struct ie_err *err);
/* A copy of event with key set to value (taking it). */
cJSON *lam_result_with(const cJSON *event, const char *key, cJSON *value);

#endif
