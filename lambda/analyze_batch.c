/* AnalyzeBatch: one batch of objects fetched into memory and analysed as `imgeda scan s3://`
 * does it, written as a partial manifest work/RUN/parts/part-NNNNNN.jsonl: the header a scan
 * with the run's settings writes, then one record per object in path order (path
 * s3://BUCKET/KEY, size and mtime as listed). An object deleted since the listing, denied or
 * larger than max_file_bytes is its error record; an object still failing after the client's
 * retries (5xx, connection lost) or a failure to write the part fails the batch (StorageError,
 * which the state machine retries). Writing the same part again (a retry) replaces it: the step
 * is idempotent.
 * DESIGN: there is one fetch-and-analyse path, the engine's: the batch's objects are planned as
 * a listed scan (ie_scan_open_listed) over a source that borrows the function's client
 * (eng_s3_source_new), and the engine's runner analyses it on the libuv pool, each pool batch
 * through eng_s3_scan_batch_run (several GETs in flight, analysis as each object arrives), into
 * a scratch manifest in the call's tmp_dir, which the finished scan leaves in path order; the
 * part is that manifest under the run's header.
 * Isolation, as the daemon does it: each analysis thread hands its images to a worker process
 * (imgeda-lambda --analysis-worker, engine/worker.c), so a decoder that crashes or hangs costs
 * one error record, not the batch (which Step Functions would retry into the same crash).
 * IMGEDA_ISOLATE=0 analyses in process; IMGEDA_IMAGE_TIMEOUT_S (default 60, 0: none) bounds an
 * image; IMGEDA_S3_IN_FLIGHT (default 4) sets the GETs in flight per analysis thread.
 * THREADS: the handler's thread plans, runs the loop and writes; the pool analyses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "engine/runner.h"
#include "engine/s3_scan.h"
#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"
#include "imgeda/util.h"

/* A batch stops this long before Lambda's deadline, to report why instead of being killed. */
#define DEADLINE_MARGIN_MS      5000
#define DEFAULT_IMAGE_TIMEOUT_S 60
struct batch {
    const struct lam_run *run;
    struct lam_ctx *ctx;
    struct ie_scan_options opts; /* the run's, with this function's isolation settings */
    struct ie_file_list files;   /* the event's objects, until the scan takes them */
    size_t n;
    char *scratch; /* the scan's manifest */
    struct ie_scan *scan;
    struct eng_s3_source *src;
};

/* The runner on the handler's own loop, stopped by a timer shortly before Lambda's deadline. */
struct running {
    struct eng_runner *r;
    uv_timer_t deadline;
    bool late;
    int status;
    struct ie_err err;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_deadline(uv_timer_t *t)
{
    struct running *st = t->data;
    st->late = true;
    if (st->r)
        eng_runner_cancel(st->r);
}

static void on_done(int status, const struct ie_err *err, void *ud)
{
    struct running *st = ud;
    st->status = status;
    if (status < 0 && err)
        st->err = *err;
    uv_close((uv_handle_t *)&st->deadline, NULL);
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

/* Plans the batch as a listed scan of the run's input over a source borrowing the function's
 * client; its manifest is a scratch file, never resumed from. */
static int plan(struct batch *b, struct ie_err *err)
{
    struct ie_scan_options o = b->opts;
    struct ie_buf scratch;
    char *input = lam_run_input_url(b->run);
    int rc;
    ie_buf_init(&scratch);
    ie_buf_addf(&scratch, "%s/analyze-batch.jsonl", b->ctx->tmp_dir ? b->ctx->tmp_dir : "/tmp");
    b->scratch = ie_buf_detach(&scratch);
    o.resume = false;
    o.force = true;
    if ((rc = eng_s3_source_new(b->ctx->s3, b->run->input_bucket, &b->src, err)) == 0)
        rc = ie_scan_open_listed(input, &b->files, b->scratch, &o, &b->scan, err);
    free(input);
    return rc;
}

/* Fetches and analyses every object with the engine's runner, one pool thread per worker.
 * Returns 0 (the scratch manifest complete, in path order) or an error. */
static int analyse_all(struct batch *b, struct ie_err *err)
{
    int workers = b->opts.workers > 0 ? b->opts.workers : 1;
    struct running st = {0};
    struct eng_runner_callbacks cb = {.on_done = on_done, .ud = &st};
    uv_loop_t loop;
    int rc;
    /* Read by libuv when the pool first starts: the first call of a runtime sizes it. */
    eng_runner_set_pool_size(workers);
    if ((rc = uv_loop_init(&loop)) != 0)
        return ie_err_set(err, IE_EIO, "cannot start an event loop: %s", uv_strerror(rc));
    uv_timer_init(&loop, &st.deadline);
    st.deadline.data = &st;
    if (b->ctx->deadline_ms) {
        int64_t left = b->ctx->deadline_ms - DEADLINE_MARGIN_MS - now_ms();
        uv_timer_start(&st.deadline, on_deadline, left > 0 ? (uint64_t)left : 0, 0);
    }
    if ((rc = eng_runner_start(&loop, b->scan, b->src, workers, &cb, &st.r, err)) < 0)
        uv_close((uv_handle_t *)&st.deadline, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    eng_runner_free(st.r);
    uv_loop_close(&loop);
    if (rc < 0)
        return rc;
    if (st.late)
        return ie_err_set(err, IE_ELIMIT,
                          "the batch did not finish before the function's timeout; lower "
                          "batch_size or raise the AnalyzeBatch function's Timeout");
    if (st.status < 0)
        return ie_err_set(err, st.status, "%s", st.err.msg);
    return 0;
}

/* The partial manifest: the header a scan of the run's prefix writes (the run's created_at),
 * then the finished scan's records. */
static int part_text(const struct batch *b, struct ie_buf *out, struct ie_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = ie_read_file(b->scratch, (size_t)1 << 30, &text, &len, err);
    if (rc < 0)
        return rc;
    const char *nl = memchr(text, '\n', len);
    char *settings = ie_scan_options_settings_json(&b->opts);
    char *input = lam_run_input_url(b->run);
    char *header = ie_manifest_header_json(input, settings, (int64_t)b->n, b->run->created_at);
    ie_buf_adds(out, header);
    ie_buf_addc(out, '\n');
    if (nl)
        ie_buf_add(out, nl + 1, len - (size_t)(nl + 1 - text));
    free(header);
    free(input);
    free(settings);
    free(text);
    return 0;
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
    if ((rc = lam_run_from_json(cJSON_GetObjectItemCaseSensitive(event, "run"), &run, err)) < 0)
        goto out;
    b.opts = run.opts;
    isolation_from_env(&b.opts);
    if ((rc = parse_batch(event, &b, &index, err)) < 0)
        goto out;
    if ((rc = plan(&b, err)) < 0 || (rc = analyse_all(&b, err)) < 0)
        goto out;
    if ((rc = part_text(&b, &part, err)) < 0)
        goto out;
    key = lam_run_part_key(&run, index);
    if ((rc = eng_s3_put(ctx->s3, run.output_bucket, key, part.data, part.len,
                         "application/x-ndjson", err)) < 0)
        goto out;
    *result = cJSON_CreateObject();
    cJSON_AddNumberToObject(*result, "index", (double)index);
    cJSON_AddStringToObject(*result, "part_key", key);
    cJSON_AddNumberToObject(*result, "records", (double)b.n);
out:
    ie_scan_free(b.scan);
    free(b.scratch);
    eng_s3_source_free(b.src);
    ie_file_list_release(&b.files);
    free(key);
    ie_buf_release(&part);
    lam_run_release(&run);
    return rc;
}
