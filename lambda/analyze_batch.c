/* AnalyzeBatch: one batch of objects fetched into memory (several GETs in flight), analysed by
 * the core on as many threads as the function has cores, written as a partial manifest
 * work/RUN/parts/part-NNNNNN.jsonl: the header a scan with the run's settings writes, then one
 * record per object in key order, made as `imgeda scan s3://` makes it (ie_scan_analyze_bytes:
 * path s3://BUCKET/KEY, size and mtime as listed). An object that cannot be fetched (deleted
 * since the listing, access denied, larger than max_file_bytes) is its error record; only a
 * failure to write the part fails the batch. Writing the same part again (a retry) replaces it:
 * the step is idempotent.
 * Isolation, as the daemon does it: each analysis thread hands its images to a worker process
 * (imgeda-lambda --analysis-worker, engine/worker.c), so a decoder that crashes or hangs costs
 * one error record, not the batch (which Step Functions would retry into the same crash).
 * IMGEDA_ISOLATE=0 analyses in process; IMGEDA_IMAGE_TIMEOUT_S (default 60, 0: none) bounds an
 * image.
 * THREADS: the handler's thread runs the transfers (eng_s3_get_many) and hands each object to a
 * bounded queue; analysis threads take them from there. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/worker.h"
#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"
#include "imgeda/util.h"

/* GETs in flight per batch: enough to hide S3's first-byte latency behind analysis. */
#define IN_FLIGHT 8
/* A batch stops this long before Lambda's deadline, to report why instead of being killed. */
#define DEADLINE_MARGIN_MS      5000
#define DEFAULT_IMAGE_TIMEOUT_S 60

struct job {
    size_t index;
    uint8_t *data;
    size_t len;
};

struct batch {
    const struct lam_run *run;
    struct lam_ctx *ctx;
    struct ie_scan_options opts; /* the run's, with this function's isolation settings */
    struct ie_found_file *files; /* listed files: fs_path the key, record_path s3://B/KEY */
    size_t n;
    char **lines;     /* one record line per object, NULL until done */
    size_t *fetch_of; /* the object of each key handed to eng_s3_get_many */

    pthread_mutex_t mu;
    pthread_cond_t can_push, can_pop;
    struct job *queue; /* ring of cap jobs */
    size_t cap, head, queued;
    bool closed;
    bool late;             /* stopped: the deadline was near */
    struct ie_err failure; /* an analysis worker could not run (code 0: none) */
};

/* The record line of object i, from its bytes, here or in the thread's worker process. */
static void analyse(struct batch *b, struct eng_worker *w, const struct job *j)
{
    const struct ie_found_file *f = &b->files[j->index];
    uint8_t flags;
    int64_t bytes;
    if (!ie_scan_options_isolated(&b->opts)) {
        ie_scan_analyze_bytes(&b->opts, f, j->data, j->len, &b->lines[j->index], &flags, &bytes);
        return;
    }
    struct ie_err err = {0};
    enum eng_worker_result r = eng_worker_analyze(w, &b->opts, f, j->data, j->len, NULL,
                                                  &b->lines[j->index], &flags, &bytes, &err);
    if (r == ENG_WORKER_FAILED) {
        pthread_mutex_lock(&b->mu);
        if (!b->failure.code)
            b->failure = err;
        pthread_mutex_unlock(&b->mu);
    }
}

static void *analysis_thread(void *arg)
{
    struct batch *b = arg;
    struct eng_worker w = {0};
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->queued && !b->closed)
            pthread_cond_wait(&b->can_pop, &b->mu);
        if (!b->queued) {
            pthread_mutex_unlock(&b->mu);
            break;
        }
        struct job j = b->queue[b->head];
        b->head = (b->head + 1) % b->cap;
        b->queued--;
        pthread_cond_signal(&b->can_push);
        pthread_mutex_unlock(&b->mu);
        analyse(b, &w, &j);
        free(j.data);
    }
    eng_worker_stop(&w);
    ie_thread_done();
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* eng_s3_get_many's callback: a fetched object goes to the queue (waiting while it is full, so
 * memory stays at IN_FLIGHT + queue + threads objects), a failed one becomes its error record. */
static int on_fetched(size_t k, int status, uint8_t *data, size_t len, const struct ie_err *err,
                      void *ud)
{
    struct batch *b = ud;
    size_t i = b->fetch_of[k];
    if (status < 0) {
        /* Deleted since the listing, denied, grown too large: that image's verdict, worded as
         * a scan of the bucket words it. */
        char why[IE_ERR_MSG_MAX + 32];
        uint8_t flags;
        snprintf(why, sizeof(why), "cannot fetch %s", err->msg);
        ie_scan_failed_one(&b->opts, &b->files[i], status == IE_ELIMIT ? "file too large" : why,
                           &b->lines[i], &flags);
        return 0;
    }
    pthread_mutex_lock(&b->mu);
    while (b->queued == b->cap)
        pthread_cond_wait(&b->can_push, &b->mu);
    b->queue[(b->head + b->queued) % b->cap] = (struct job){i, data, len};
    b->queued++;
    pthread_cond_signal(&b->can_pop);
    pthread_mutex_unlock(&b->mu);
    if (b->ctx->deadline_ms && now_ms() > b->ctx->deadline_ms - DEADLINE_MARGIN_MS) {
        b->late = true;
        return 1;
    }
    return 0;
}

/* Reads the event's batch, {"index": N, "objects": [{"key", "size", "mtime"}...]}, into listed
 * files. */
static int parse_batch(const cJSON *ev, struct batch *b, size_t *index, struct ie_err *err)
{
    const cJSON *batch = cJSON_GetObjectItemCaseSensitive(ev, "batch");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(batch, "index");
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(batch, "objects");
    if (!cJSON_IsNumber(idx) || !(idx->valuedouble >= 0 && idx->valuedouble < 1e12) ||
        !cJSON_IsArray(objs))
        return ie_err_set(err, IE_EINVAL,
                          "the event needs \"batch\": {\"index\": N, \"objects\": [...]} (an item "
                          "of the run's batches.json)");
    *index = (size_t)idx->valuedouble;
    b->n = (size_t)cJSON_GetArraySize(objs);
    if (b->n > LAM_MAX_BATCH)
        return ie_err_set(err, IE_EINVAL, "a batch holds at most %d objects, not %zu",
                          LAM_MAX_BATCH, b->n);
    b->files = ie_xcalloc(b->n ? b->n : 1, sizeof(*b->files));
    size_t i = 0;
    for (const cJSON *o = objs->child; o; o = o->next, i++) {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
        const cJSON *mtime = cJSON_GetObjectItemCaseSensitive(o, "mtime");
        /* Numbers are checked before they become integers (an out-of-range conversion is
         * undefined). */
        if (!cJSON_IsString(key) || !*key->valuestring || !cJSON_IsNumber(size) ||
            !(size->valuedouble >= 0 && size->valuedouble < 9e18) || !cJSON_IsNumber(mtime) ||
            !(fabs(mtime->valuedouble) < 1e12))
            return ie_err_set(err, IE_EINVAL,
                              "batch object %zu needs \"key\" (a string), \"size\" and \"mtime\" "
                              "(numbers)",
                              i);
        struct ie_buf path;
        char *safe = ie_utf8_sanitize(key->valuestring, strlen(key->valuestring));
        ie_buf_init(&path);
        ie_buf_addf(&path, "s3://%s/%s", b->run->input_bucket, safe);
        free(safe);
        b->files[i] = (struct ie_found_file){.fs_path = ie_xstrdup(key->valuestring),
                                             .record_path = ie_buf_detach(&path),
                                             .listed = true,
                                             .size = (int64_t)size->valuedouble,
                                             .mtime = mtime->valuedouble};
    }
    return 0;
}

/* The run's options with this function's isolation settings (not options of a run: like the
 * daemon's scan.isolate, they belong to where the analysis runs). */
static void isolation_from_env(struct ie_scan_options *o)
{
    const char *iso = getenv("IMGEDA_ISOLATE"), *t = getenv("IMGEDA_IMAGE_TIMEOUT_S");
    o->isolate = !(iso && strcmp(iso, "0") == 0);
    o->image_timeout_s = t && *t ? atof(t) : DEFAULT_IMAGE_TIMEOUT_S;
    if (!(o->image_timeout_s >= 0 && o->image_timeout_s <= 86400))
        o->image_timeout_s = DEFAULT_IMAGE_TIMEOUT_S;
    if (!o->isolate)
        o->image_timeout_s = 0;
}

/* Stops the analysis threads once the queue is drained. */
static void close_queue(struct batch *b)
{
    pthread_mutex_lock(&b->mu);
    b->closed = true;
    pthread_cond_broadcast(&b->can_pop);
    pthread_mutex_unlock(&b->mu);
}

/* Fetches and analyses every object into b->lines. Returns 0 or an error. */
static int analyse_all(struct batch *b, struct ie_err *err)
{
    const struct ie_scan_options *o = &b->opts;
    int nthreads = o->workers > 0 ? o->workers : 1, started = 0, rc = 0;
    pthread_t *threads = ie_xcalloc((size_t)nthreads, sizeof(*threads));
    const char **keys = ie_xcalloc(b->n ? b->n : 1, sizeof(*keys));
    size_t n_keys = 0;

    /* Objects the listing already shows too large are never fetched; eng_s3_get_many's cap
     * refuses any that grew since. */
    b->fetch_of = ie_xcalloc(b->n ? b->n : 1, sizeof(*b->fetch_of));
    for (size_t i = 0; i < b->n; i++) {
        uint8_t flags;
        if (o->max_file_bytes > 0 && b->files[i].size > o->max_file_bytes) {
            ie_scan_failed_one(o, &b->files[i], "file too large", &b->lines[i], &flags);
            continue;
        }
        b->fetch_of[n_keys] = i;
        keys[n_keys++] = b->files[i].fs_path;
    }
    b->cap = (size_t)nthreads;
    b->queue = ie_xcalloc(b->cap, sizeof(*b->queue));
    for (; started < nthreads; started++)
        if (pthread_create(&threads[started], NULL, analysis_thread, b) != 0)
            break;
    if (started == 0)
        rc = ie_err_set(err, IE_EIO, "cannot start an analysis thread");
    else
        rc = eng_s3_get_many(b->ctx->s3, b->run->input_bucket, keys, n_keys, IN_FLIGHT,
                             (size_t)o->max_file_bytes, on_fetched, b, NULL, err);
    close_queue(b);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    if (b->late)
        rc = ie_err_set(err, IE_ELIMIT,
                        "the batch did not finish before the function's timeout; lower batch_size "
                        "or raise the AnalyzeBatch function's Timeout");
    else if (rc == 0 && b->failure.code)
        rc = ie_err_set(err, IE_EIO, "%s", b->failure.msg);
    for (size_t i = 0; rc == 0 && i < b->n; i++)
        if (!b->lines[i])
            rc = ie_err_set(err, IE_EIO, "%s was neither analysed nor failed",
                            b->files[i].record_path);
    free(threads);
    free(keys);
    free(b->fetch_of);
    free(b->queue);
    return rc;
}

/* The partial manifest: the header a scan of the run's prefix writes, then the batch's lines. */
static void part_text(const struct batch *b, struct ie_buf *out)
{
    char *settings = ie_scan_options_settings_json(&b->opts);
    char *input = lam_run_input_url(b->run);
    char *header = ie_manifest_header_json(input, settings, (int64_t)b->n, b->run->created_at);
    ie_buf_adds(out, header);
    ie_buf_addc(out, '\n');
    for (size_t i = 0; i < b->n; i++) {
        ie_buf_adds(out, b->lines[i]);
        ie_buf_addc(out, '\n');
    }
    free(header);
    free(input);
    free(settings);
}

int lam_analyze_batch(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err)
{
    struct lam_run run;
    struct batch b = {.run = &run, .ctx = ctx};
    struct ie_buf part;
    char *key = NULL;
    size_t index = 0;
    int rc;

    ie_buf_init(&part);
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.can_push, NULL);
    pthread_cond_init(&b.can_pop, NULL);
    if ((rc = lam_run_from_json(cJSON_GetObjectItemCaseSensitive(event, "run"), &run, err)) < 0)
        goto out;
    b.opts = run.opts;
    isolation_from_env(&b.opts);
    if ((rc = parse_batch(event, &b, &index, err)) < 0)
        goto out;
    b.lines = ie_xcalloc(b.n ? b.n : 1, sizeof(*b.lines));
    if ((rc = analyse_all(&b, err)) < 0)
        goto out;
    part_text(&b, &part);
    key = lam_run_part_key(&run, index);
    if ((rc = eng_s3_put(ctx->s3, run.output_bucket, key, part.data, part.len,
                         "application/x-ndjson", err)) < 0)
        goto out;
    *result = cJSON_CreateObject();
    cJSON_AddNumberToObject(*result, "index", (double)index);
    cJSON_AddStringToObject(*result, "part_key", key);
    cJSON_AddNumberToObject(*result, "records", (double)b.n);
out:
    for (size_t i = 0; b.lines && i < b.n; i++)
        free(b.lines[i]);
    free(b.lines);
    for (size_t i = 0; b.files && i < b.n; i++) {
        free(b.files[i].fs_path);
        free(b.files[i].record_path);
    }
    free(b.files);
    free(key);
    ie_buf_release(&part);
    pthread_cond_destroy(&b.can_pop);
    pthread_cond_destroy(&b.can_push);
    pthread_mutex_destroy(&b.mu);
    lam_run_release(&run);
    return rc;
}
