/* ListImages: the execution input becomes the run; the images under the input prefix are
 * listed and cut into batches, written to the output bucket as work/RUN/batches.json, which
 * the Map state reads (ItemReader), so no state payload carries the key list (Step Functions
 * allows 256 KB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "handlers.h"
#include "imgeda/util.h"

#define DEFAULT_BATCH_SIZE 20

/* The keys an execution input may have; anything else is a typo worth refusing. */
static const char *const input_keys[] = {"input_bucket",  "input_prefix", "output_bucket",
                                         "output_prefix", "batch_size",   "options"};

/* The string at key, else the environment's name, else dflt (NULL: required). */
static int input_string(const cJSON *in, const char *key, const char *env, const char *dflt,
                        char **out, struct ie_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    const char *e = getenv(env);
    if (v && !cJSON_IsString(v))
        return ie_err_set(err, IE_EINVAL, "the input's \"%s\" must be a string", key);
    const char *s = v ? v->valuestring : e && *e ? e : dflt;
    if (!s || (!dflt && !*s))
        return ie_err_set(err, IE_EINVAL,
                          "the input has no \"%s\" (and the function's %s is not set)", key, env);
    *out = ie_xstrdup(s);
    return 0;
}

static int input_batch_size(const cJSON *in, size_t *out, struct ie_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "batch_size");
    const char *e = getenv("IMGEDA_BATCH_SIZE");
    double d = v         ? (cJSON_IsNumber(v) ? v->valuedouble : -1)
               : e && *e ? atof(e)
                         : DEFAULT_BATCH_SIZE;
    if (d < 1 || d > LAM_MAX_BATCH || d != (double)(size_t)d)
        return ie_err_set(err, IE_EINVAL, "batch_size must be a whole number from 1 to %d",
                          LAM_MAX_BATCH);
    *out = (size_t)d;
    return 0;
}

/* "" stays ""; anything else ends with exactly one '/' so the layout reads PREFIX/manifests/. */
static void as_folder(char **prefix)
{
    size_t n = strlen(*prefix);
    if (n == 0 || (*prefix)[n - 1] == '/')
        return;
    *prefix = ie_xrealloc(*prefix, n + 2);
    strcpy(*prefix + n, "/");
}

/* A run id sorting by time and unique across concurrent executions. */
static char *new_run_id(char *created_at, size_t n)
{
    char id[64];
    uint32_t r = 0;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = (uint32_t)clock() ^ (uint32_t)t;
    strftime(id, sizeof(id), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(id + strlen(id), sizeof(id) - strlen(id), "-%08x", r);
    ie_now_iso(created_at, n);
    return ie_xstrdup(id);
}

/* The run from the execution input (and the function's IMGEDA_* environment defaults). */
static int run_from_input(const cJSON *in, struct lam_run *run, struct ie_err *err)
{
    char created[40];
    int rc;
    memset(run, 0, sizeof(*run));
    ie_scan_options_init(&run->opts);
    if (!cJSON_IsObject(in))
        return ie_err_set(err, IE_EINVAL, "the execution input must be a JSON object");
    for (const cJSON *it = in->child; it; it = it->next) {
        bool known = false;
        for (size_t i = 0; i < IE_ARRAY_LEN(input_keys); i++)
            known |= strcmp(it->string, input_keys[i]) == 0;
        if (!known)
            return ie_err_set(err, IE_EINVAL, "unknown key \"%s\" in the execution input",
                              it->string);
    }
    if ((rc = input_string(in, "input_bucket", "IMGEDA_INPUT_BUCKET", NULL, &run->input_bucket,
                           err)) < 0 ||
        (rc = input_string(in, "input_prefix", "IMGEDA_INPUT_PREFIX", "", &run->input_prefix,
                           err)) < 0 ||
        (rc = input_string(in, "output_bucket", "IMGEDA_OUTPUT_BUCKET", NULL, &run->output_bucket,
                           err)) < 0 ||
        (rc = input_string(in, "output_prefix", "IMGEDA_OUTPUT_PREFIX", "", &run->output_prefix,
                           err)) < 0 ||
        (rc = input_batch_size(in, &run->batch_size, err)) < 0)
        return rc;
    if ((rc = lam_options_apply(cJSON_GetObjectItemCaseSensitive(in, "options"), &run->opts, err)) <
        0)
        return rc;
    as_folder(&run->output_prefix);
    run->run_id = new_run_id(created, sizeof(created));
    run->created_at = ie_xstrdup(created);
    run->work_prefix = lam_run_output_key(run, "work/");
    size_t n = strlen(run->work_prefix) + strlen(run->run_id) + 2;
    run->work_prefix = ie_xrealloc(run->work_prefix, n);
    strcat(strcat(run->work_prefix, run->run_id), "/");
    return 0;
}

/* The listing cut into batches as it streams: batches.json text, one batch object at a time. */
struct lister {
    struct lam_run *run;
    struct ie_buf json; /* "[{...},{...}" so far */
    cJSON *batch;       /* the batch being filled, or NULL */
    cJSON *objects;
};

static void flush_batch(struct lister *l)
{
    if (!l->batch)
        return;
    char *text = cJSON_PrintUnformatted(l->batch);
    if (!text)
        abort(); /* cJSON fails only when out of memory */
    ie_buf_adds(&l->json, l->run->batch_count ? ",\n" : "[\n");
    ie_buf_adds(&l->json, text);
    free(text);
    cJSON_Delete(l->batch);
    l->batch = l->objects = NULL;
    l->run->batch_count++;
}

static int on_object(const struct eng_s3_object *o, void *ud)
{
    struct lister *l = ud;
    size_t len = strlen(o->key);
    /* Keys ending in '/' are the "folders" consoles create: never images. */
    if (len == 0 || o->key[len - 1] == '/' || !ie_scan_options_match_ext(&l->run->opts, o->key))
        return 0;
    if (!l->batch) {
        l->batch = cJSON_CreateObject();
        cJSON_AddNumberToObject(l->batch, "index", (double)l->run->batch_count);
        l->objects = cJSON_AddArrayToObject(l->batch, "objects");
    }
    cJSON *ob = cJSON_CreateObject();
    cJSON_AddStringToObject(ob, "key", o->key);
    cJSON_AddNumberToObject(ob, "size", (double)o->size);
    cJSON_AddNumberToObject(ob, "mtime", (double)o->mtime);
    cJSON_AddItemToArray(l->objects, ob);
    l->run->total_files++;
    if ((size_t)cJSON_GetArraySize(l->objects) >= l->run->batch_size)
        flush_batch(l);
    return 0;
}

int lam_list_images(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err)
{
    struct lam_run run;
    struct lister l = {.run = &run};
    char *key = NULL, *folder = NULL;
    int rc;

    ie_buf_init(&l.json);
    if ((rc = run_from_input(event, &run, err)) < 0)
        goto out;
    /* The prefix names a folder, as in `imgeda scan s3://BUCKET/PREFIX`: "photos" lists the keys
     * under "photos/", not "photos-old/...". */
    folder = ie_xmalloc(strlen(run.input_prefix) + 2);
    strcpy(folder, run.input_prefix);
    if (*folder && folder[strlen(folder) - 1] != '/')
        strcat(folder, "/");
    if ((rc = eng_s3_list(ctx->s3, run.input_bucket, folder, on_object, &l, err)) < 0) {
        struct ie_err e = *err;
        rc = ie_err_set(err, rc, "cannot list s3://%s/%s: %s", run.input_bucket, folder, e.msg);
        goto out;
    }
    flush_batch(&l);
    ie_buf_adds(&l.json, run.batch_count ? "\n]\n" : "[]\n");
    key = ie_xmalloc(strlen(run.work_prefix) + 16);
    sprintf(key, "%sbatches.json", run.work_prefix);
    if ((rc = eng_s3_put(ctx->s3, run.output_bucket, key, l.json.data, l.json.len,
                         "application/json", err)) < 0)
        goto out;
    fprintf(stderr, "imgeda-lambda list_images: %zu images under s3://%s/%s in %zu batches\n",
            run.total_files, run.input_bucket, run.input_prefix, run.batch_count);
    *result = lam_run_to_json(&run);
out:
    cJSON_Delete(l.batch);
    ie_buf_release(&l.json);
    free(key);
    free(folder);
    lam_run_release(&run);
    return rc;
}
