/* A bucket as a scan source (see s3_scan.h): planning from a listing, batches fetched into
 * memory several at a time and analysed from the buffer.
 * DESIGN: the core scan never touches the network: it plans the listed files (fs_path = key,
 * size and mtime from the listing) and takes the lines this driver makes with
 * ie_scan_analyze_bytes / ie_scan_failed_one, just as the isolated path hands it lines made in
 * worker processes. No byte goes through a temporary file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"
#include "engine/s3_scan.h"

#define IN_FLIGHT_DEFAULT 4
#define IN_FLIGHT_MAX     64

struct eng_s3_source {
    struct eng_s3 *client;
    char *bucket;
    int in_flight;
    bool borrowed; /* the client is the caller's (eng_s3_source_new) */
};

struct eng_s3 *eng_s3_source_client(const struct eng_s3_source *src)
{
    return src->client;
}

void eng_s3_source_free(struct eng_s3_source *src)
{
    if (!src)
        return;
    if (!src->borrowed)
        eng_s3_free(src->client);
    free(src->bucket);
    free(src);
}

static int in_flight_from_env(struct ie_err *err, int *out);

int eng_s3_source_new(struct eng_s3 *client, const char *bucket, struct eng_s3_source **out,
                      struct ie_err *err)
{
    struct eng_s3_source *src = ie_xcalloc(1, sizeof(*src));
    int rc = in_flight_from_env(err, &src->in_flight);
    if (rc < 0) {
        free(src);
        return rc;
    }
    src->client = client;
    src->borrowed = true;
    src->bucket = ie_xstrdup(bucket);
    *out = src;
    return 0;
}

static int in_flight_from_env(struct ie_err *err, int *out)
{
    const char *v = getenv("IMGEDA_S3_IN_FLIGHT");
    char *end;
    *out = IN_FLIGHT_DEFAULT;
    if (!v || !*v)
        return 0;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > IN_FLIGHT_MAX)
        return ie_err_set(err, IE_EINVAL, "IMGEDA_S3_IN_FLIGHT must be 1..%d: %s", IN_FLIGHT_MAX,
                          v);
    *out = (int)n;
    return 0;
}

/* What the listing callback needs. */
struct lister {
    const struct ie_scan_options *o;
    const char *bucket;
    const char *prefix;
    size_t rel_at; /* the key's part after the listed prefix is what shards hash */
    struct ie_file_list *files;
};

void eng_s3_listed_add(struct ie_file_list *files, const char *bucket, const char *key,
                       int64_t size, double mtime)
{
    struct ie_buf rec;
    size_t n = strlen(key);
    char *safe = ie_utf8_sanitize(key, n);
    ie_buf_init(&rec);
    ie_buf_addf(&rec, "%s%s/%s", ENG_S3_SCHEME, bucket, safe);
    free(safe);
    ie_grow((void **)&files->v, &files->cap, files->n + 1, sizeof(*files->v));
    files->v[files->n++] = (struct ie_found_file){.fs_path = ie_xstrdup(key),
                                                  .record_path = ie_buf_detach(&rec),
                                                  .listed = true,
                                                  .size = size,
                                                  .mtime = mtime};
}

static int on_object(const struct eng_s3_object *obj, void *ud)
{
    struct lister *l = ud;
    size_t n = strlen(obj->key);
    /* Keys ending in '/' are the "folders" consoles create: never images. A key outside the
     * prefix (a server that ignores it) is not ours either. */
    if (n == 0 || obj->key[n - 1] == '/' || strncmp(obj->key, l->prefix, l->rel_at) != 0 ||
        !ie_scan_options_match_ext(l->o, obj->key))
        return 0;
    if (!ie_scan_options_in_shard(l->o, obj->key + l->rel_at, n - l->rel_at))
        return 0;
    eng_s3_listed_add(l->files, l->bucket, obj->key, obj->size, (double)obj->mtime);
    return 0;
}

/* The prefix listed for a scan root: a folder, so "photos" lists "photos/". */
static char *folder_prefix(const char *prefix)
{
    size_t n = strlen(prefix);
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_adds(&b, prefix);
    if (n && prefix[n - 1] != '/')
        ie_buf_addc(&b, '/');
    return ie_buf_detach(&b);
}

/* "s3://BUCKET" or "s3://BUCKET/PREFIX" without a trailing '/': the header's input_dir. */
static char *input_dir_of(const struct eng_s3_url *u)
{
    struct ie_buf b;
    size_t n = strlen(u->prefix);
    while (n && u->prefix[n - 1] == '/')
        n--;
    ie_buf_init(&b);
    ie_buf_addf(&b, "%s%s", ENG_S3_SCHEME, u->bucket);
    if (n) {
        ie_buf_addc(&b, '/');
        ie_buf_add(&b, u->prefix, n);
    }
    return ie_buf_detach(&b);
}

int eng_s3_scan_open(const char *url, const char *manifest_path, const struct ie_scan_options *o,
                     struct ie_scan **scan, struct eng_s3_source **out, struct ie_err *err)
{
    struct eng_s3_url u = {0};
    struct eng_s3_config cfg = {0};
    struct eng_s3_source *src = ie_xcalloc(1, sizeof(*src));
    struct ie_file_list files;
    char *prefix = NULL, *input_dir = NULL;
    int rc;

    ie_file_list_init(&files);
    if ((rc = eng_s3_url_parse(url, &u, err)) < 0 ||
        (rc = in_flight_from_env(err, &src->in_flight)) < 0 ||
        (rc = eng_s3_config_from_env(&cfg, err)) < 0 ||
        (rc = eng_s3_new(&cfg, &src->client, err)) < 0)
        goto out;
    src->bucket = ie_xstrdup(u.bucket);
    prefix = folder_prefix(u.prefix);
    if ((rc = eng_s3_check(src->client, u.bucket, prefix, err)) < 0)
        goto out;
    struct lister l = {o, u.bucket, prefix, strlen(prefix), &files};
    rc = eng_s3_list(src->client, u.bucket, prefix, on_object, &l, err);
    if (rc < 0) {
        struct ie_err e = *err;
        rc = ie_err_set(err, rc, "cannot list %s: %s", url, e.msg);
        goto out;
    }
    input_dir = input_dir_of(&u);
    rc = ie_scan_open_listed(input_dir, &files, manifest_path, o, scan, err);
out:
    ie_file_list_release(&files);
    eng_s3_url_release(&u);
    eng_s3_config_release(&cfg);
    free(prefix);
    free(input_dir);
    if (rc < 0)
        eng_s3_source_free(src);
    else
        *out = src;
    return rc;
}

/* One batch in progress: which of its files are fetched (get[] indexes b->files by position). */
struct batch_run {
    const struct ie_scan *scan;
    struct ie_scan_batch *b;
    struct eng_worker *wk;
    const atomic_int *cancel;
    size_t *pos; /* the batch position of the i-th key fetched */
    int failed;
    struct ie_err *err;
};

/* Analyses the fetched object at batch position k here or in the worker. Returns non-zero when
 * the batch must stop. */
static int analyse_fetched(struct batch_run *r, size_t k, const uint8_t *data, size_t len)
{
    const struct ie_scan_options *o = ie_scan_options(r->scan);
    const struct ie_found_file *f = ie_scan_file(r->scan, r->b->files[k]);
    int64_t bytes = 0;
    if (!r->wk) {
        ie_scan_analyze_bytes(o, f, data, len, &r->b->lines[k], &r->b->flags[k], &bytes);
        r->b->bytes += bytes;
        return 0;
    }
    enum eng_worker_result res = eng_worker_analyze(
        r->wk, o, f, data, len, r->cancel, &r->b->lines[k], &r->b->flags[k], &bytes, r->err);
    if (res == ENG_WORKER_FAILED) {
        r->failed = 1;
        return 1;
    }
    r->b->bytes += bytes;
    return res == ENG_WORKER_CANCELLED;
}

static int on_fetched(size_t index, int status, uint8_t *data, size_t len, const struct ie_err *e,
                      void *ud)
{
    struct batch_run *r = ud;
    size_t k = r->pos[index];
    int stop = 0;
    if (status == 0) {
        stop = analyse_fetched(r, k, data, len);
    } else if (status == IE_EIO) {
        /* Still failing after the retries: the scan stops and a re-run fetches it again. */
        *r->err = *e;
        r->failed = 1;
        stop = 1;
    } else {
        /* Deleted since the listing, denied, too large: that image's verdict. */
        char why[IE_ERR_MSG_MAX + 32];
        const struct ie_found_file *f = ie_scan_file(r->scan, r->b->files[k]);
        if (status == IE_ELIMIT)
            snprintf(why, sizeof(why), "file too large");
        else
            snprintf(why, sizeof(why), "cannot fetch %s", e->msg);
        ie_scan_failed_one(ie_scan_options(r->scan), f, why, &r->b->lines[k], &r->b->flags[k]);
    }
    free(data);
    return stop;
}

int eng_s3_scan_batch_run(const struct eng_s3_source *src, const struct ie_scan *scan,
                          struct ie_scan_batch *b, struct eng_worker *wk, const atomic_int *cancel,
                          struct ie_err *err)
{
    const struct ie_scan_options *o = ie_scan_options(scan);
    const char **keys = ie_xcalloc(b->n ? b->n : 1, sizeof(*keys));
    struct batch_run r = {scan, b, wk, cancel, ie_xcalloc(b->n ? b->n : 1, sizeof(size_t)), 0, err};
    size_t n = 0;
    int rc = 0;
    for (size_t k = 0; k < b->n; k++) {
        const struct ie_found_file *f = ie_scan_file(scan, b->files[k]);
        /* The listing already says it is too large (as a file on disk would be): not fetched.
         * Buffers handed to a worker must also fit its 32-bit frames. */
        if ((o->max_file_bytes > 0 && f->size > o->max_file_bytes) ||
            (wk && f->size > (int64_t)UINT32_MAX)) {
            ie_scan_failed_one(o, f, "file too large", &b->lines[k], &b->flags[k]);
            continue;
        }
        r.pos[n] = k;
        keys[n++] = f->fs_path;
    }
    size_t cap = o->max_file_bytes > 0 ? (size_t)o->max_file_bytes : 0;
    if (wk && (cap == 0 || cap > UINT32_MAX))
        cap = UINT32_MAX;
    if (n)
        rc = eng_s3_get_many(src->client, src->bucket, keys, n, src->in_flight, cap, on_fetched, &r,
                             cancel, err);
    if (r.failed)
        rc = IE_EIO;
    free(keys);
    free(r.pos);
    return rc;
}
