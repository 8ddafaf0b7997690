/* AnalyzeBatch: one batch of objects fetched into memory (several GETs in flight), analysed by
 * the core on as many threads as the function has cores, written as a partial manifest
 * work/RUN/parts/part-NNNNNN.jsonl: the header a scan with the run's settings writes, then one
 * record per object in key order, with the fields of a local scan and path s3://BUCKET/KEY.
 * An object that cannot be read (deleted since the listing, access denied, larger than
 * max_file_bytes) is that object's error record, as in a scan; only a failure to write the
 * part fails the batch. Writing the same part again (a retry) replaces it: the step is
 * idempotent.
 * THREADS: the handler's thread runs the transfers (eng_s3_get_many) and hands each object to a
 * bounded queue; analysis threads take them from there. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "imgeda/analyze.h"
#include "imgeda/manifest.h"
#include "imgeda/record.h"
#include "imgeda/util.h"

/* GETs in flight per batch: enough to hide S3's first-byte latency behind analysis. */
#define IN_FLIGHT 8
/* A batch stops this long before Lambda's deadline, to report why instead of being killed. */
#define DEADLINE_MARGIN_MS 5000

struct object {
    const char *key;
    int64_t size, mtime;
};

struct job {
    size_t index;
    uint8_t *data;
    size_t len;
};

struct batch {
    const struct lam_run *run;
    struct lam_ctx *ctx;
    struct object *objs;
    size_t n;
    char **lines;     /* one record line per object, NULL until done */
    bool *corrupt;    /* per object: its record says is_corrupt */
    size_t *fetch_of; /* the object of each key handed to eng_s3_get_many */

    pthread_mutex_t mu;
    pthread_cond_t can_push, can_pop;
    struct job *queue; /* ring of cap jobs */
    size_t cap, head, queued;
    bool closed;
    bool late; /* stopped: the deadline was near */
};

/* The record of object i as a manifest line: analysed from data, or an error record saying why
 * it could not be read. */
static void object_line(struct batch *b, size_t i, const uint8_t *data, size_t len, const char *why)
{
    const struct object *ob = &b->objs[i];
    struct ie_record r;
    char now[40], *path;
    size_t n = strlen(b->run->input_bucket) + strlen(ob->key) + 8;
    const char *slash = strrchr(ob->key, '/');

    ie_record_init(&r);
    ie_now_iso(now, sizeof(now));
    path = ie_xmalloc(n);
    snprintf(path, n, "s3://%s/%s", b->run->input_bucket, ob->key);
    ie_record_set_str(&r.path, path);
    ie_record_set_str(&r.filename, slash ? slash + 1 : ob->key);
    r.file_size_bytes = why ? ob->size : (int64_t)len;
    r.mtime = (double)ob->mtime;
    if (why) {
        ie_record_set_str(&r.analyzer_version, IE_ANALYZER_VERSION);
        r.is_corrupt = true;
        ie_record_set_str(&r.error, why);
    } else {
        ie_analyze_buffer(data, len, &b->run->opts, &r);
    }
    /* Set last: the corrupt path of ie_analyze_buffer resets what it does not keep. */
    ie_record_set_str(&r.analyzed_at, now);
    b->corrupt[i] = r.is_corrupt;
    b->lines[i] = ie_record_to_json(&r);
    ie_record_release(&r);
    free(path);
}

static void *analysis_thread(void *arg)
{
    struct batch *b = arg;
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
        object_line(b, j.index, j.data, j.len, NULL);
        free(j.data);
    }
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
        /* As a local scan words it when the file is over the limit. */
        object_line(b, i, NULL, 0, status == IE_ELIMIT ? "file too large" : err->msg);
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

/* Reads the event's batch: {"index": N, "objects": [{"key", "size", "mtime"}...]}. */
static int parse_batch(const cJSON *ev, struct batch *b, size_t *index, struct ie_err *err)
{
    const cJSON *batch = cJSON_GetObjectItemCaseSensitive(ev, "batch");
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(batch, "index");
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(batch, "objects");
    if (!cJSON_IsNumber(idx) || idx->valuedouble < 0 || !cJSON_IsArray(objs))
        return ie_err_set(err, IE_EINVAL,
                          "the event needs \"batch\": {\"index\": N, \"objects\": [...]} (an item "
                          "of the run's batches.json)");
    *index = (size_t)idx->valuedouble;
    b->n = (size_t)cJSON_GetArraySize(objs);
    if (b->n > LAM_MAX_BATCH)
        return ie_err_set(err, IE_EINVAL, "a batch holds at most %d objects, not %zu",
                          LAM_MAX_BATCH, b->n);
    b->objs = ie_xcalloc(b->n ? b->n : 1, sizeof(*b->objs));
    size_t i = 0;
    for (const cJSON *o = objs->child; o; o = o->next, i++) {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
        const cJSON *mtime = cJSON_GetObjectItemCaseSensitive(o, "mtime");
        if (!cJSON_IsString(key) || !*key->valuestring || !cJSON_IsNumber(size) ||
            !cJSON_IsNumber(mtime))
            return ie_err_set(err, IE_EINVAL,
                              "batch object %zu needs \"key\" (a string), \"size\" and \"mtime\" "
                              "(numbers)",
                              i);
        b->objs[i] = (struct object){key->valuestring, (int64_t)size->valuedouble,
                                     (int64_t)mtime->valuedouble};
    }
    return 0;
}

/* Fetches and analyses every object into b->lines. Returns 0 or an error. */
static int analyse_all(struct batch *b, struct ie_err *err)
{
    const struct ie_scan_options *o = &b->run->opts;
    int nthreads = o->workers > 0 ? o->workers : 1, started = 0, rc = 0;
    pthread_t *threads = ie_xcalloc((size_t)nthreads, sizeof(*threads));
    const char **keys = ie_xcalloc(b->n ? b->n : 1, sizeof(*keys));
    size_t n_keys = 0;

    /* Objects the listing already shows too large are never fetched; eng_s3_get_many's cap
     * refuses any that grew since. */
    b->fetch_of = ie_xcalloc(b->n ? b->n : 1, sizeof(*b->fetch_of));
    for (size_t i = 0; i < b->n; i++) {
        if (b->objs[i].size > o->max_file_bytes) {
            object_line(b, i, NULL, 0, "file too large");
            continue;
        }
        b->fetch_of[n_keys] = i;
        keys[n_keys++] = b->objs[i].key;
    }
    b->cap = (size_t)nthreads;
    b->queue = ie_xcalloc(b->cap, sizeof(*b->queue));
    for (; started < nthreads; started++)
        if (pthread_create(&threads[started], NULL, analysis_thread, b) != 0)
            break;
    if (started == 0) {
        rc = ie_err_set(err, IE_EIO, "cannot start an analysis thread");
        goto out;
    }
    rc = eng_s3_get_many(b->ctx->s3, b->run->input_bucket, keys, n_keys, IN_FLIGHT,
                         (size_t)o->max_file_bytes, on_fetched, b, NULL, err);
out:
    pthread_mutex_lock(&b->mu);
    b->closed = true;
    pthread_cond_broadcast(&b->can_pop);
    pthread_mutex_unlock(&b->mu);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    if (b->late)
        rc = ie_err_set(err, IE_ELIMIT,
                        "the batch did not finish before the function's timeout; lower batch_size "
                        "or raise the AnalyzeBatch function's Timeout");
    for (size_t i = 0; rc == 0 && i < b->n; i++)
        if (!b->lines[i])
            rc = ie_err_set(err, IE_EIO, "s3://%s/%s was neither analysed nor failed",
                            b->run->input_bucket, b->objs[i].key);
    free(threads);
    free(keys);
    free(b->fetch_of);
    free(b->queue);
    return rc;
}

int lam_analyze_batch(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err)
{
    struct lam_run run;
    struct batch b = {.run = &run, .ctx = ctx};
    struct ie_buf part;
    char *header = NULL, *settings = NULL, *input = NULL, *key = NULL;
    size_t index = 0, corrupt = 0;
    int rc;

    ie_buf_init(&part);
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.can_push, NULL);
    pthread_cond_init(&b.can_pop, NULL);
    if ((rc = lam_run_from_json(cJSON_GetObjectItemCaseSensitive(event, "run"), &run, err)) < 0)
        goto out;
    if ((rc = parse_batch(event, &b, &index, err)) < 0)
        goto out;
    b.lines = ie_xcalloc(b.n ? b.n : 1, sizeof(*b.lines));
    b.corrupt = ie_xcalloc(b.n ? b.n : 1, sizeof(*b.corrupt));
    if ((rc = analyse_all(&b, err)) < 0)
        goto out;
    settings = ie_scan_options_settings_json(&run.opts);
    input = lam_run_input_url(&run);
    header = ie_manifest_header_json(input, settings, (int64_t)b.n, run.created_at);
    ie_buf_adds(&part, header);
    ie_buf_addc(&part, '\n');
    for (size_t i = 0; i < b.n; i++) {
        ie_buf_adds(&part, b.lines[i]);
        ie_buf_addc(&part, '\n');
        corrupt += b.corrupt[i];
    }
    key = lam_run_part_key(&run, index);
    if ((rc = eng_s3_put(ctx->s3, run.output_bucket, key, part.data, part.len,
                         "application/x-ndjson", err)) < 0)
        goto out;
    *result = cJSON_CreateObject();
    cJSON_AddNumberToObject(*result, "index", (double)index);
    cJSON_AddStringToObject(*result, "part_key", key);
    cJSON_AddNumberToObject(*result, "records", (double)b.n);
    cJSON_AddNumberToObject(*result, "corrupt", (double)corrupt);
out:
    for (size_t i = 0; b.lines && i < b.n; i++)
        free(b.lines[i]);
    free(b.lines);
    free(b.corrupt);
    free(b.objs);
    free(header);
    free(settings);
    free(input);
    free(key);
    ie_buf_release(&part);
    pthread_cond_destroy(&b.can_pop);
    pthread_cond_destroy(&b.can_push);
    pthread_mutex_destroy(&b.mu);
    lam_run_release(&run);
    return rc;
}
