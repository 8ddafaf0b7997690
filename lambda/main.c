/* imgeda-lambda: an AWS Lambda custom runtime (the container image's ENTRYPOINT, like a
 * `bootstrap`) running one of the serverless flow's handlers, forever: next invocation ->
 * handler -> response or error.
 * The handler is the first argument (the image's CMD, which the template sets per function
 * through ImageConfig.Command) or else $_HANDLER: list_images, analyze_batch, merge_manifests,
 * aggregate, generate_plots. S3 settings come from the standard AWS_* environment (engine/s3.h);
 * Lambda provides the credentials of the function's role there. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/s3.h"
#include "engine/worker.h"
#include "handlers.h"
#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "runtime.h"

#ifndef IMGEDA_VERSION
#define IMGEDA_VERSION "dev"
#endif

static const char usage[] =
    "usage: imgeda-lambda [HANDLER]\n"
    "\n"
    "An AWS Lambda custom runtime for imgeda's serverless flow (deploy/aws/README.md). It talks\n"
    "to the Runtime API at $AWS_LAMBDA_RUNTIME_API and runs HANDLER (or $_HANDLER) for every\n"
    "invocation until it is stopped. Handlers: list_images analyze_batch merge_manifests\n"
    "aggregate generate_plots.\n";

/* Removes what a handler left in dir (one level of files: handlers write no folders). */
static void clean_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs one invocation to its response or error. Returns 0, or IE_EIO when the Runtime API
 * could not be told (the runtime then exits and Lambda starts a new one). */
static int invoke(struct lam_runtime *rt, const struct lam_handler *h, struct lam_ctx *ctx,
                  const struct lam_invocation *inv)
{
    struct ie_err err = {0}, post_err = {0};
    cJSON *event = NULL, *result = NULL;
    char *text = NULL;
    double t0 = now_s();
    int rc;

    ctx->deadline_ms = inv->deadline_ms;
    event = cJSON_ParseWithLength(inv->event, inv->event_len);
    if (!event)
        rc = ie_err_set(&err, IE_EINVAL, "the event is not JSON");
    else
        rc = h->fn(ctx, event, &result, &err);
    clean_dir(ctx->tmp_dir);
    if (rc == 0) {
        text = cJSON_PrintUnformatted(result);
        if (!text)
            abort(); /* cJSON fails only when out of memory */
        rc = lam_runtime_respond(rt, inv->request_id, text, strlen(text), &post_err);
        fprintf(stderr, "imgeda-lambda %s: %s done in %.2f s\n", h->name, inv->request_id,
                now_s() - t0);
    } else {
        fprintf(stderr, "imgeda-lambda %s: %s failed (%s): %s\n", h->name, inv->request_id,
                lam_error_type(rc), err.msg);
        rc = lam_runtime_fail(rt, inv->request_id, lam_error_type(rc), err.msg, &post_err);
    }
    if (rc < 0)
        fprintf(stderr, "imgeda-lambda: %s\n", post_err.msg);
    free(text);
    cJSON_Delete(result);
    cJSON_Delete(event);
    return rc;
}

/* Everything a handler needs that outlives invocations. Returns 0 or an error for init/error. */
static int start(const char *argv0, struct lam_ctx *ctx, struct eng_s3_config *cfg, char *tmp_dir,
                 size_t tmp_n, struct ie_err *err)
{
    int rc;
    const char *tmp = getenv("TMPDIR");
    if ((rc = ie_init(argv0, err)) < 0 || (rc = eng_s3_config_from_env(cfg, err)) < 0 ||
        (rc = eng_s3_new(cfg, &ctx->s3, err)) < 0)
        return rc;
    /* A folder of this process's own under /tmp (the only writable place in Lambda). */
    snprintf(tmp_dir, tmp_n, "%s/imgeda-lambda.%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    if (mkdir(tmp_dir, 0700) < 0 && errno != EEXIST)
        return ie_err_set(err, IE_EIO, "cannot create %s: %s", tmp_dir, strerror(errno));
    ctx->tmp_dir = tmp_dir;
    return 0;
}

int main(int argc, char **argv)
{
    struct lam_runtime rt;
    struct lam_ctx ctx = {0};
    struct eng_s3_config cfg = {0};
    struct ie_err err = {0};
    char tmp_dir[4096];
    const char *name = argc > 1 ? argv[1] : getenv("_HANDLER");

    /* An isolated analysis worker (engine/worker.c) is this binary started with this flag. */
    if (argc > 1 && strcmp(argv[1], ENG_WORKER_FLAG) == 0)
        return eng_worker_main(argc, argv);
    if (name && (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    if (name && strcmp(name, "--version") == 0) {
        printf("imgeda-lambda %s\n", IMGEDA_VERSION);
        return 0;
    }
    if (eng_s3_global_init(&err) < 0 ||
        lam_runtime_init(&rt, getenv("AWS_LAMBDA_RUNTIME_API"), &err) < 0) {
        fprintf(stderr, "imgeda-lambda: %s\n", err.msg);
        return 1;
    }
    const struct lam_handler *h = lam_handler_find(name);
    int rc = 1;
    if (!h)
        ie_err_set(&err, IE_EINVAL,
                   "unknown handler '%s' (the image's CMD or $_HANDLER): one of %s",
                   name ? name : "", lam_handler_names());
    if (!h || start(argv[0], &ctx, &cfg, tmp_dir, sizeof(tmp_dir), &err) < 0) {
        struct ie_err post_err = {0};
        fprintf(stderr, "imgeda-lambda: %s\n", err.msg);
        if (lam_runtime_fail(&rt, NULL, h ? "InitError" : "InvalidHandler", err.msg, &post_err) < 0)
            fprintf(stderr, "imgeda-lambda: %s\n", post_err.msg);
        goto out;
    }
    fprintf(stderr, "imgeda-lambda %s %s: ready (%s)\n", IMGEDA_VERSION, h->name, h->step);
    for (;;) {
        struct lam_invocation inv;
        int nrc = lam_runtime_next(&rt, &inv, &err);
        if (nrc == IE_ELIMIT) {
            /* An event too large to hold fails its invocation, not the runtime. */
            struct ie_err post_err = {0};
            fprintf(stderr, "imgeda-lambda %s: %s failed: %s\n", h->name, inv.request_id, err.msg);
            nrc = lam_runtime_fail(&rt, inv.request_id, lam_error_type(nrc), err.msg, &post_err);
            if (nrc < 0)
                fprintf(stderr, "imgeda-lambda: %s\n", post_err.msg);
        } else if (nrc == 0) {
            nrc = invoke(&rt, h, &ctx, &inv);
        } else {
            fprintf(stderr, "imgeda-lambda: %s\n", err.msg);
        }
        lam_invocation_release(&inv);
        if (nrc < 0)
            break;
    }
out:
    if (ctx.tmp_dir) {
        clean_dir(ctx.tmp_dir);
        rmdir(ctx.tmp_dir);
    }
    eng_s3_free(ctx.s3);
    eng_s3_config_release(&cfg);
    lam_runtime_release(&rt);
    return rc;
}
