/* The server context: the instances one daemon is made of, made by main (or a test) and handed
 * to the parts that use them, so that nothing of a daemon's state is a process global and two
 * daemons (or a unit test) can live in one process.
 * THREADS: filled in on the main thread before the HTTP server starts, read-only afterwards;
 * each instance documents its own thread-safety. */
#ifndef IMGEDA_SERVER_SERVER_H
#define IMGEDA_SERVER_SERVER_H

struct srv_config;
struct srv_cache;
struct srv_live;
struct srv_metrics;
struct srv_warm;
struct srv_jobs;
struct srv_http;
struct srv_memory_gate;
struct eng_s3;

struct srv_ctx {
    const struct srv_config *cfg;
    const char *db_path;         /* <data_dir>/imgedad.db */
    const char *web_dir;         /* the dashboard's static files, or NULL for none */
    struct srv_cache *cache;     /* results of finished scans (cache.h) */
    struct srv_live *live;       /* status and progress of the scans jobs knows (live.h) */
    struct srv_metrics *metrics; /* work counters (metrics.h) */
    struct srv_warm *warm;       /* result warm-ups on the pool (warm.h) */
    struct srv_jobs *jobs;       /* the job runner on the loop thread (jobs.h) */
    struct srv_http *http;       /* the HTTP server, for its counters (http.h) */
    /* Bounds concurrent thumbnail decodes (memory.h). */
    struct srv_memory_gate *thumbs;
    /* The S3 client for s3:// allowed roots (bucket.h), NULL when there is none. */
    struct eng_s3 *s3;
};

#endif
