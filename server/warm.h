/* Warm-ups: the results a dashboard opens a scan with (results.h: srv_results_warm), computed
 * into the result cache on the thread pool as soon as a scan has succeeded or an import is
 * indexed, so that nobody waits for the manifest load.
 * THREADS: srv_warm_new/free on the main thread; srv_warm_queue, _cancel and _stop on the loop
 * thread (the job runner calls them); srv_warm_await from any thread. */
#ifndef IMGEDA_SERVER_WARM_H
#define IMGEDA_SERVER_WARM_H

#include "imgeda/manifest.h"

struct uv_loop_s;
struct srv_cache;
struct srv_metrics;
struct srv_warm;

/* How long a request for a warmed result waits for the warm-up computing it. */
#define SRV_WARM_WAIT_MS 10000

/* The warm-ups of one daemon: they run on loop's pool, read scans from db_path (copied), put
 * into cache and count into metrics (both must outlive them). */
struct srv_warm *srv_warm_new(struct uv_loop_s *loop, const char *db_path, struct srv_cache *cache,
                              struct srv_metrics *metrics);
/* Frees the warm-ups' state, once the loop has run the after-work callback of every warm-up
 * (after srv_warm_stop, the loop's last run does). NULL is a no-op. */
void srv_warm_free(struct srv_warm *sw);

/* Queues the warm-up of succeeded scan id, taking the records out of *m (left empty); with m
 * NULL it loads them on the pool, unless a warm-up of the scan is already queued or running
 * (requests that miss at the same time then share one load). After srv_warm_stop, releases *m
 * and queues nothing. Loop thread. */
void srv_warm_queue(struct srv_warm *sw, const char *id, struct ie_manifest *m);
/* Cancels the warm-ups of scan id (all of them when id is NULL): once this returns nothing more
 * of theirs is cached, and those still queued never run. Loop thread. */
void srv_warm_cancel(struct srv_warm *sw, const char *id);
/* Shutdown: cancels every warm-up and queues no more. Loop thread. */
void srv_warm_stop(struct srv_warm *sw);

/* Waits up to timeout_ms while a warm-up of scan id is queued or running, not cancelled, and has
 * not cached key yet (returns at once when there is none), so a request for a warmed result takes
 * it from the cache instead of loading the manifest a second time. Any thread. */
void srv_warm_await(struct srv_warm *sw, const char *id, const char *key, int timeout_ms);

#endif
