/* What the handlers share: the handler table, error types, and the run every step after
 * ListImages receives (read from and written to JSON). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

static const struct lam_handler handlers[] = {
    {"list_images", "ListImages", lam_list_images},
    {"analyze_batch", "AnalyzeBatch", lam_analyze_batch},
    {"merge_manifests", "MergeManifests", lam_merge_manifests},
    {"aggregate", "Aggregate", lam_aggregate},
    {"generate_plots", "GeneratePlots", lam_generate_plots},
};

const struct lam_handler *lam_handler_find(const char *name)
{
    for (size_t i = 0; name && i < IE_ARRAY_LEN(handlers); i++)
        if (strcmp(handlers[i].name, name) == 0)
            return &handlers[i];
    return NULL;
}

const char *lam_handler_names(void)
{
    return "list_images analyze_batch merge_manifests aggregate generate_plots";
}

const char *lam_error_type(int code)
{
    switch (code) {
    case IE_EINVAL:
    case IE_EFORMAT:
        return "InvalidInput";
    case IE_ENOENT:
        return "NotFound";
    case IE_EPERM:
        return "AccessDenied";
    case IE_EIO:
        return "StorageError";
    case IE_ELIMIT:
        return "LimitExceeded";
    default:
        return "Error";
    }
}

/* A required string member (non-empty unless may_be_empty) copied into *out. */
static int get_string(const cJSON *ev, const char *key, bool may_be_empty, char **out,
                      struct ie_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);
    if (!cJSON_IsString(v) || (!may_be_empty && !*v->valuestring))
        return ie_err_set(err, IE_EINVAL, "the event's \"%s\" must be a%s string", key,
                          may_be_empty ? "" : " non-empty");
    *out = ie_xstrdup(v->valuestring);
    return 0;
}

/* A required count member within [lo, hi]. */
static int get_count(const cJSON *ev, const char *key, double lo, double hi, size_t *out,
                     struct ie_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != (double)(size_t)v->valuedouble)
        return ie_err_set(err, IE_EINVAL,
                          "the event's \"%s\" must be a whole number from %.0f to %.0f", key, lo,
                          hi);
    *out = (size_t)v->valuedouble;
    return 0;
}

int lam_options_apply(const cJSON *opts, struct ie_scan_options *o, struct ie_err *err)
{
    if (!opts)
        return 0;
    if (!cJSON_IsObject(opts))
        return ie_err_set(err, IE_EINVAL, "\"options\" must be an object of scan options");
    char *text = cJSON_PrintUnformatted(opts);
    if (!text)
        abort(); /* cJSON fails only when out of memory */
    int rc = ie_scan_options_apply_json(text, NULL, o, err);
    free(text);
    return rc;
}

int lam_run_from_json(const cJSON *ev, struct lam_run *run, struct ie_err *err)
{
    int rc;
    memset(run, 0, sizeof(*run));
    ie_scan_options_init(&run->opts);
    if (!cJSON_IsObject(ev))
        return ie_err_set(err, IE_EINVAL,
                          "the event must be a JSON object (the run ListImages returned)");
    if ((rc = get_string(ev, "run_id", false, &run->run_id, err)) < 0 ||
        (rc = get_string(ev, "input_bucket", false, &run->input_bucket, err)) < 0 ||
        (rc = get_string(ev, "input_prefix", true, &run->input_prefix, err)) < 0 ||
        (rc = get_string(ev, "output_bucket", false, &run->output_bucket, err)) < 0 ||
        (rc = get_string(ev, "output_prefix", true, &run->output_prefix, err)) < 0 ||
        (rc = get_string(ev, "work_prefix", false, &run->work_prefix, err)) < 0 ||
        (rc = get_string(ev, "created_at", true, &run->created_at, err)) < 0 ||
        (rc = get_count(ev, "batch_size", 1, LAM_MAX_BATCH, &run->batch_size, err)) < 0 ||
        (rc = get_count(ev, "batch_count", 0, 1e12, &run->batch_count, err)) < 0 ||
        (rc = get_count(ev, "total_files", 0, 1e15, &run->total_files, err)) < 0)
        goto fail;
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(ev, "options");
    if (!opts) {
        rc = ie_err_set(err, IE_EINVAL, "the event has no \"options\"");
        goto fail;
    }
    if ((rc = lam_options_apply(opts, &run->opts, err)) < 0)
        goto fail;
    return 0;
fail:
    lam_run_release(run);
    return rc;
}

void lam_run_release(struct lam_run *run)
{
    free(run->run_id);
    free(run->input_bucket);
    free(run->input_prefix);
    free(run->output_bucket);
    free(run->output_prefix);
    free(run->work_prefix);
    free(run->created_at);
    memset(run, 0, sizeof(*run));
}

cJSON *lam_run_to_json(const struct lam_run *run)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run_id", run->run_id);
    cJSON_AddStringToObject(o, "input_bucket", run->input_bucket);
    cJSON_AddStringToObject(o, "input_prefix", run->input_prefix);
    cJSON_AddStringToObject(o, "output_bucket", run->output_bucket);
    cJSON_AddStringToObject(o, "output_prefix", run->output_prefix);
    cJSON_AddStringToObject(o, "work_prefix", run->work_prefix);
    char *batches = ie_xmalloc(strlen(run->work_prefix) + 16);
    sprintf(batches, "%sbatches.json", run->work_prefix);
    cJSON_AddStringToObject(o, "batches_key", batches);
    free(batches);
    cJSON_AddStringToObject(o, "created_at", run->created_at);
    cJSON_AddNumberToObject(o, "batch_size", (double)run->batch_size);
    cJSON_AddNumberToObject(o, "batch_count", (double)run->batch_count);
    cJSON_AddNumberToObject(o, "total_files", (double)run->total_files);
    cJSON *opts = ie_scan_options_to_json(&run->opts);
    /* Each AnalyzeBatch analyses on as many threads as its own Lambda has cores. */
    cJSON_DeleteItemFromObjectCaseSensitive(opts, "workers");
    cJSON_AddItemToObject(o, "options", opts);
    return o;
}

char *lam_run_input_url(const struct lam_run *run)
{
    struct ie_buf b;
    size_t n = strlen(run->input_prefix);
    while (n && run->input_prefix[n - 1] == '/')
        n--;
    ie_buf_init(&b);
    ie_buf_addf(&b, "s3://%s", run->input_bucket);
    if (n) {
        ie_buf_addc(&b, '/');
        ie_buf_add(&b, run->input_prefix, n);
    }
    return ie_buf_detach(&b);
}

char *lam_run_output_key(const struct lam_run *run, const char *rest)
{
    size_t n = strlen(run->output_prefix) + strlen(rest) + 1;
    char *s = ie_xmalloc(n);
    snprintf(s, n, "%s%s", run->output_prefix, rest);
    return s;
}

char *lam_run_part_key(const struct lam_run *run, size_t index)
{
    size_t n = strlen(run->work_prefix) + 48;
    char *s = ie_xmalloc(n);
    snprintf(s, n, "%sparts/part-%06zu.jsonl", run->work_prefix, index);
    return s;
}

cJSON *lam_result_with(const cJSON *event, const char *key, cJSON *value)
{
    cJSON *o = cJSON_Duplicate(event, 1);
    if (!o)
        abort(); /* cJSON fails only when out of memory */
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddItemToObject(o, key, value);
    return o;
}

int lam_load_manifest(struct lam_ctx *ctx, const cJSON *event, struct lam_run *run,
                      struct ie_manifest *m, char **url, struct ie_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char *key = NULL, *local = NULL;
    int rc;

    if ((rc = lam_run_from_json(event, run, err)) < 0)
        return rc;
    key = lam_run_output_key(run, "manifests/manifest.jsonl");
    if ((rc = eng_s3_get(ctx->s3, run->output_bucket, key, 0, &data, &len, err)) < 0)
        goto out;
    /* ie_manifest_load reads files: the manifest goes to /tmp once, then is freed. */
    local = ie_xmalloc(strlen(ctx->tmp_dir) + 16);
    sprintf(local, "%s/manifest.jsonl", ctx->tmp_dir);
    rc = ie_write_file_atomic(local, data, len, err);
    free(data);
    if (rc < 0 || (rc = ie_manifest_load(local, m, err)) < 0)
        goto out;
    if (url) {
        *url = ie_xmalloc(strlen(run->output_bucket) + strlen(key) + 8);
        sprintf(*url, "s3://%s/%s", run->output_bucket, key);
    }
out:
    if (local)
        unlink(local);
    free(local);
    free(key);
    return rc;
}
