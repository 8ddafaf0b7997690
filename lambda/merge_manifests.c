/* MergeManifests: the run's partial manifests (one per batch) merged by the core's merge
 * (imgeda merge) into the canonical manifest, manifests/manifest.jsonl: the header of one scan
 * of the whole prefix, one record per object, in path order. Every part of the run must be
 * there (a missing one means a batch did not finish) and the records must add up to what
 * ListImages listed.
 * DESIGN: a merge keeps every part open at once, and Lambda allows 1,024 open files, so parts
 * are downloaded and merged fan_in() at a time into intermediate manifests (whole manifests of the
 * same settings, which merge again), level by level; /tmp holds about twice the manifest. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handlers.h"
#include "imgeda/manifest.h"
#include "imgeda/merge.h"
#include "imgeda/util.h"

/* Parts merged at once: far below Lambda's 1,024 descriptors, with room for curl's sockets.
 * IMGEDA_MERGE_FAN_IN (2..900) overrides it. */
#define DEFAULT_FAN_IN 200

static size_t fan_in(void)
{
    const char *e = getenv("IMGEDA_MERGE_FAN_IN");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v >= 2 && v <= 900 ? (size_t)v : DEFAULT_FAN_IN;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

struct fetch {
    char **files; /* local file per key */
    const struct lam_run *run;
    const char *const *keys;
    int rc;
    struct ie_err *err;
};

static int on_part(size_t k, int status, uint8_t *data, size_t len, const struct ie_err *e,
                   void *ud)
{
    struct fetch *f = ud;
    if (status < 0) {
        f->rc = ie_err_set(f->err, status,
                           "part s3://%s/%s of the run is missing or unreadable (did every "
                           "AnalyzeBatch succeed?): %s",
                           f->run->output_bucket, f->keys[k], e->msg);
    } else {
        f->rc = ie_write_file_atomic(f->files[k], data, len, f->err);
    }
    free(data);
    return f->rc < 0;
}

static char *tmp_name(const struct lam_ctx *ctx, const char *what, size_t level, size_t i)
{
    size_t n = strlen(ctx->tmp_dir) + 64;
    char *s = ie_xmalloc(n);
    snprintf(s, n, "%s/%s-%zu-%06zu.jsonl", ctx->tmp_dir, what, level, i);
    return s;
}

/* Removes and frees files[0..n) (NULL entries were never made). */
static void remove_files(char **files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (files[i])
            unlink(files[i]);
        free(files[i]);
    }
}

/* Merges files[0..n) into out (removing them), counting records into *records. */
static int merge_files(char **files, size_t n, const char *out, size_t *records, struct ie_err *err)
{
    struct ie_merge_stats st = {0};
    int rc = ie_manifest_merge((const char *const *)files, n, out, &st, err);
    remove_files(files, n);
    *records = st.records;
    return rc;
}

/* Level 0: parts [first, first + n) downloaded and merged into out. */
static int merge_remote_group(struct lam_ctx *ctx, const struct lam_run *run, size_t first,
                              size_t n, const char *out, size_t *records, struct ie_err *err)
{
    char **keys = ie_xcalloc(n, sizeof(*keys));
    char **files = ie_xcalloc(n, sizeof(*files));
    struct fetch f = {files, run, (const char *const *)keys, 0, err};
    for (size_t i = 0; i < n; i++) {
        keys[i] = lam_run_part_key(run, first + i);
        files[i] = tmp_name(ctx, "part", 0, first + i);
    }
    int rc = eng_s3_get_many(ctx->s3, run->output_bucket, (const char *const *)keys, n, 16, 0,
                             on_part, &f, NULL, err);
    if (f.rc < 0)
        rc = f.rc;
    if (rc == 0)
        rc = merge_files(files, n, out, records, err);
    else
        remove_files(files, n);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
    free(files);
    return rc;
}

/* Every part of the run merged into out; *records counts them, *levels the merge levels. */
static int merge_run(struct lam_ctx *ctx, const struct lam_run *run, const char *out,
                     size_t *records, size_t *levels, struct ie_err *err)
{
    const size_t group = fan_in();
    size_t n = (run->batch_count + group - 1) / group, level = 1;
    char **files = ie_xcalloc(n, sizeof(*files));
    int rc = 0;

    *levels = 1;
    if (run->batch_count <= group) {
        free(files);
        return merge_remote_group(ctx, run, 0, run->batch_count, out, records, err);
    }
    for (size_t g = 0; g < n && rc == 0; g++) {
        size_t first = g * group, count = min_size(run->batch_count - first, group);
        files[g] = tmp_name(ctx, "merged", level, g);
        rc = merge_remote_group(ctx, run, first, count, files[g], records, err);
    }
    /* Merge the intermediate manifests level by level until one group is left. */
    while (rc == 0 && n > group) {
        size_t next_n = (n + group - 1) / group;
        char **next = ie_xcalloc(next_n, sizeof(*next));
        level++;
        for (size_t g = 0; g < next_n; g++) {
            size_t first = g * group, count = min_size(n - first, group);
            next[g] = tmp_name(ctx, "merged", level, g);
            if (rc == 0)
                rc = merge_files(files + first, count, next[g], records, err);
            else
                remove_files(files + first, count);
        }
        free(files);
        files = next;
        n = next_n;
    }
    if (rc == 0)
        rc = merge_files(files, n, out, records, err);
    else
        remove_files(files, n);
    free(files);
    *levels = level + 1;
    return rc;
}

/* PUTs the file at path as key of the output bucket, mapped rather than read so a manifest of
 * a million records is not copied onto the heap. */
static int put_file(struct lam_ctx *ctx, const struct lam_run *run, const char *path,
                    const char *key, struct ie_err *err)
{
    struct stat st;
    int rc, fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot read %s", path);
        goto out;
    }
    void *map = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    if (map == MAP_FAILED) {
        rc = ie_err_set(err, IE_EIO, "cannot map %s", path);
        goto out;
    }
    rc = eng_s3_put(ctx->s3, run->output_bucket, key, map ? map : "", (size_t)st.st_size,
                    "application/x-ndjson", err);
    if (map)
        munmap(map, (size_t)st.st_size);
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int lam_merge_manifests(struct lam_ctx *ctx, const cJSON *event, cJSON **result, struct ie_err *err)
{
    struct lam_run run;
    char *out = NULL, *key = NULL, *settings = NULL, *input = NULL, *header = NULL;
    struct ie_buf text;
    size_t records = 0, levels = 0;
    int rc;

    if ((rc = lam_run_from_json(event, &run, err)) < 0)
        return rc;
    out = tmp_name(ctx, "manifest", 0, 0);
    key = lam_run_output_key(&run, "manifests/manifest.jsonl");
    if (run.batch_count == 0) {
        /* No images: a header-only manifest, as a scan of an empty folder writes. */
        settings = ie_scan_options_settings_json(&run.opts);
        input = lam_run_input_url(&run);
        header = ie_manifest_header_json(input, settings, 0, run.created_at);
        ie_buf_init(&text);
        ie_buf_adds(&text, header);
        ie_buf_addc(&text, '\n');
        rc = eng_s3_put(ctx->s3, run.output_bucket, key, text.data, text.len,
                        "application/x-ndjson", err);
        ie_buf_release(&text);
    } else if ((rc = merge_run(ctx, &run, out, &records, &levels, err)) == 0) {
        if (records != run.total_files)
            rc = ie_err_set(err, IE_EINVAL,
                            "the run's parts hold %zu records, but ListImages listed %zu images",
                            records, run.total_files);
        else
            rc = put_file(ctx, &run, out, key, err);
    }
    if (rc == 0) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "key", key);
        cJSON_AddNumberToObject(m, "records", (double)records);
        cJSON_AddNumberToObject(m, "merge_levels", (double)levels);
        *result = lam_result_with(event, "manifest", m);
    }
    unlink(out);
    free(out);
    free(key);
    free(settings);
    free(input);
    free(header);
    lam_run_release(&run);
    return rc;
}
