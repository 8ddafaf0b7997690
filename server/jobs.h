/* Scan jobs: a queue run on the libuv loop thread, one scan at a time on the thread pool,
 * progress written to SQLite at every checkpoint, restart recovery, graceful stop.
 * THREADS: srv_jobs_new/run/free on the main thread (which runs the loop). Every other
 * srv_jobs_* function may be called from any thread (HTTP threads): commands are queued to the
 * loop thread (uv_async_send) and the caller waits for the answer. */
#ifndef IMGEDA_SERVER_JOBS_H
#define IMGEDA_SERVER_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "imgeda/analyze.h"
#include "imgeda/err.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"
#include "server.h"

struct uv_loop_s;
struct srv_jobs;

/* Opens the writer connection to ctx->db_path, migrates, and queues scans a crash left queued or
 * running. Keeps ctx's instances (config, cache, live state, warm-ups, metrics), which must
 * outlive it. */
int srv_jobs_new(struct uv_loop_s *loop, const struct srv_ctx *ctx, struct srv_jobs **out,
                 struct ie_err *err);
/* Stops taking work: commands queued or submitted from now on fail with IE_ECANCELED ("imgedad
 * is shutting down"), waiters on the live state are woken for good, the running scan is
 * cancelled (its progress is checkpointed and it is left queued, so the next start resumes
 * it), and handles are closed once it has stopped. Call it before stopping HTTP, whose threads
 * may be waiting on the job runner. */
void srv_jobs_stop(struct srv_jobs *j);
void srv_jobs_free(struct srv_jobs *j);

/* Scan options as the API takes them (scan_options.c). */
/* Parses the API's scan options ({"workers": 2, "force": true, ...}, keys as the CLI flags with
 * underscores) over the server defaults. IE_EINVAL names the offending key. */
int srv_scan_options_from_json(const char *json, const struct srv_config *cfg,
                               struct ie_scan_options *o, struct ie_err *err);
/* The same options (every key srv_scan_options_from_json takes, with o's values) as a new cJSON
 * object, owned by the caller: what GET /api/v1/config reports as a scan's defaults. */
cJSON *srv_scan_options_to_json(const struct ie_scan_options *o);

/* Creates a queued scan of root (already validated) and returns its id (caller frees). o is the
 * options as srv_scan_options_from_json parsed them from options_json (the validated JSON the
 * client sent, stored with the scan for restarts): the scan runs with o, no second parse. */
int srv_jobs_create(struct srv_jobs *j, const char *root, const char *name,
                    const struct ie_scan_options *o, const char *options_json, char **id,
                    struct ie_err *err);
/* Imports a manifest file (moved into the scan's folder) as a finished scan. */
int srv_jobs_import(struct srv_jobs *j, const char *manifest_tmp_path, const char *name, char **id,
                    struct ie_err *err);
/* Cancel keeps what is done; resume continues a cancelled or failed scan; delete removes a
 * finished scan and its files. IE_ENOENT / IE_EINVAL (wrong state) with a message. */
int srv_jobs_cancel(struct srv_jobs *j, const char *id, struct ie_err *err);
int srv_jobs_resume(struct srv_jobs *j, const char *id, struct ie_err *err);
int srv_jobs_delete(struct srv_jobs *j, const char *id, struct ie_err *err);
/* Rescan: a new scan (version) of a succeeded scan's root, with its name and options, that
 * starts from a copy of its manifest (unchanged files are not read again); the old scan and
 * its manifest stay. *new_id receives the new scan's id (caller frees). IE_ESTATE for a scan
 * that is not succeeded or was imported. */
int srv_jobs_rescan(struct srv_jobs *j, const char *id, char **new_id, struct ie_err *err);

/* Warms the result cache for a succeeded scan on the thread pool (warm.h: srv_warm_queue on the
 * loop thread). With m, from records already loaded (as srv_store_index_manifest kept them): *m
 * is moved out and left empty; imports use this. With m NULL, the warm-up loads the manifest
 * itself, unless one for the scan is already queued or running: a request that misses a
 * warmable result uses this, so simultaneous misses share one load. Scans run by the job runner
 * are warmed without this call. Returns once the work is queued. A DELETE or resume of the
 * scan, and shutdown, cancel the warm-up: nothing of it is cached after that. */
int srv_jobs_warm(struct srv_jobs *j, const char *id, struct ie_manifest *m, struct ie_err *err);

/* Where a scan's files live: <data_dir>/scans/<id>/. Caller frees. */
char *srv_scan_dir(const struct srv_config *cfg, const char *id);

#endif
