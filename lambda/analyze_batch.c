/* AnalyzeBatch: one batch of objects fetched into memory and analysed as `imgeda scan s3://`
 * does it, written as a partial manifest work/RUN/parts/part-NNNNNN.jsonl: the header a scan
 * with the run's settings writes, then one record per object in path order (path
 * s3://BUCKET/KEY, size and mtime as listed). An object deleted since the listing, denied or
 * larger than max_file_bytes is its error record; an object still failing after the client's
 * retries (5xx, connection lost) or a failure to write the part fails the batch (StorageError,
 * which the state machine retries). Writing the same part again (a retry) replaces it: the step
 * is idempotent.
 * DESIGN: there is one fetch-and-analyse path, the engine's (engine/s3_scan.c): the batch's
 * objects are planned as a listed scan (ie_scan_open_listed, its manifest a scratch file in the
 * call's tmp_dir that is never committed to) over a source that borrows the function's client
 * (eng_s3_source_new), cut into small scan batches, and each analysis thread runs batches with
 * eng_s3_scan_batch_run (several GETs in flight, analysis as each object arrives).
 * Isolation, as the daemon does it: each analysis thread hands its images to a worker process
 * (imgeda-lambda --analysis-worker, engine/worker.c), so a decoder that crashes or hangs costs
 * one error record, not the batch (which Step Functions would retry into the same crash).
 * IMGEDA_ISOLATE=0 analyses in process; IMGEDA_IMAGE_TIMEOUT_S (default 60, 0: none) bounds an
 * image; IMGEDA_S3_IN_FLIGHT (default 4) sets the GETs in flight per analysis thread.
 * THREADS: the handler's thread plans and writes; analysis threads take scan batches in turn. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/s3_scan.h"
#include "engine/worker.h"
#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"
#include "imgeda/util.h"

/* A batch stops this long before Lambda's deadline, to report why instead of being killed. */
#define DEADLINE_MARGIN_MS      5000
#define DEFAULT_IMAGE_TIMEOUT_S 60
/* Objects per scan batch: small enough that threads share the work evenly and the deadline is
 * checked often, large enough to keep several GETs in flight. */
#define CHUNK_MAX 16

struct batch {
    const struct lam_run *run;
    struct lam_ctx *ctx;
    struct ie_scan_options opts; /* the run's, with this function's isolation settings */
    struct ie_file_list files;   /* the event's objects, until the scan takes them */
    size_t n;
    struct ie_scan *scan;
    struct eng_s3_source *src;
    struct ie_scan_batch **parts; /* the scan's batches, in path order */
    size_t n_parts;

    atomic_size_t next; /* the next scan batch to take */
    atomic_int cancel;
    pthread_mutex_t mu;
    bool late;             /* stopped: the deadline was near */
    struct ie_err failure; /* a batch failed (code 0: none) */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stops every thread; the first failure is the one reported. */
static void stop_all(struct batch *b, bool late, const struct ie_err *e)
{
    pthread_mutex_lock(&b->mu);
    if (late)
        b->late = true;
    if (e && !b->failure.code)
        b->failure = *e;
    pthread_mutex_unlock(&b->mu);
    atomic_store(&b->cancel, 1);
}

static void *analysis_thread(void *arg)
{
    struct batch *b = arg;
    struct eng_worker w = {0};
    struct eng_worker *wk = ie_scan_options_isolated(&b->opts) ? &w : NULL;
    for (;;) {
        size_t i = atomic_fetch_add(&b->next, 1);
        if (i >= b->n_parts || atomic_load(&b->cancel))
            break;
        if (b->ctx->deadline_ms && now_ms() > b->ctx->deadline_ms - DEADLINE_MARGIN_MS) {
            stop_all(b, true, NULL);
            break;
        }
        struct ie_err e = {0};
        int rc = eng_s3_scan_batch_run(b->src, b->scan, b->parts[i], wk, &b->cancel, &e);
        if (rc < 0 && rc != IE_ECANCELED) {
            e.code = rc;
            stop_all(b, false, &e);
        }
    }
    eng_worker_stop(&w);
    ie_thread_done();
    return NULL;
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
        eng_s3_listed_add(&b->files, b->run->input_bucket, key->valuestring,
                          (int64_t)size->valuedouble, mtime->valuedouble);
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

/* Plans the batch as a listed scan over a source borrowing the function's client, and cuts it
 * into scan batches in path order. */
static int plan(struct batch *b, struct ie_err *err)
{
    struct ie_scan_options o = b->opts;
    struct ie_buf scratch;
    char *input = lam_run_input_url(b->run);
    int nthreads = o.workers > 0 ? o.workers : 1, rc;
    ie_buf_init(&scratch);
    ie_buf_addf(&scratch, "%s/analyze-batch.jsonl", b->ctx->tmp_dir ? b->ctx->tmp_dir : "/tmp");
    /* The scratch manifest is never resumed from: every call analyses its whole batch. */
    o.resume = false;
    o.force = true;
    if ((rc = eng_s3_source_new(b->ctx->s3, b->run->input_bucket, &b->src, err)) < 0 ||
        (rc = ie_scan_open_listed(input, &b->files, scratch.data, &o, &b->scan, err)) < 0)
        goto out;
    size_t chunk = (b->n + (size_t)nthreads * 4 - 1) / ((size_t)nthreads * 4);
    chunk = chunk < 1 ? 1 : chunk > CHUNK_MAX ? CHUNK_MAX : chunk;
    b->parts = ie_xcalloc(b->n / chunk + 1, sizeof(*b->parts));
    struct ie_scan_batch *sb;
    while ((sb = ie_scan_next_batch(b->scan, chunk)))
        b->parts[b->n_parts++] = sb;
out:
    ie_buf_release(&scratch);
    free(input);
    return rc;
}

/* Fetches and analyses every object into the scan batches' lines. Returns 0 or an error. */
static int analyse_all(struct batch *b, struct ie_err *err)
{
    int nthreads = b->opts.workers > 0 ? b->opts.workers : 1, started = 0, rc = 0;
    pthread_t *threads = ie_xcalloc((size_t)nthreads, sizeof(*threads));
    for (; started < nthreads; started++)
        if (pthread_create(&threads[started], NULL, analysis_thread, b) != 0)
            break;
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    if (started == 0)
        return ie_err_set(err, IE_EIO, "cannot start an analysis thread");
    if (b->late)
        return ie_err_set(err, IE_ELIMIT,
                          "the batch did not finish before the function's timeout; lower "
                          "batch_size or raise the AnalyzeBatch function's Timeout");
    if (b->failure.code)
        return ie_err_set(err, b->failure.code, "%s", b->failure.msg);
    for (size_t p = 0; p < b->n_parts; p++)
        for (size_t k = 0; k < b->parts[p]->n; k++)
            if (!b->parts[p]->lines[k])
                rc = ie_err_set(err, IE_EIO, "%s was neither analysed nor failed",
                                ie_scan_file(b->scan, b->parts[p]->files[k])->record_path);
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
    for (size_t p = 0; p < b->n_parts; p++)
        for (size_t k = 0; k < b->parts[p]->n; k++) {
            ie_buf_adds(out, b->parts[p]->lines[k]);
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
    ie_file_list_init(&b.files);
    pthread_mutex_init(&b.mu, NULL);
    if ((rc = lam_run_from_json(cJSON_GetObjectItemCaseSensitive(event, "run"), &run, err)) < 0)
        goto out;
    b.opts = run.opts;
    isolation_from_env(&b.opts);
    if ((rc = parse_batch(event, &b, &index, err)) < 0)
        goto out;
    if ((rc = plan(&b, err)) < 0 || (rc = analyse_all(&b, err)) < 0)
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
    for (size_t p = 0; p < b.n_parts; p++)
        ie_scan_batch_free(b.parts[p]);
    free(b.parts);
    ie_scan_free(b.scan);
    eng_s3_source_free(b.src);
    ie_file_list_release(&b.files);
    free(key);
    ie_buf_release(&part);
    pthread_mutex_destroy(&b.mu);
    lam_run_release(&run);
    return rc;
}
