/* imgedad configuration (SPEC §6.1): one table drives defaults, YAML parsing, validation and
 * the documented config/imgedad.yaml. Errors read "file:line:col: key: reason".
 * THREADS: loaded once in main before any thread; read-only afterwards. */
#ifndef IMGEDA_SERVER_CONFIG_H
#define IMGEDA_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

#define SRV_MAX_ROOTS 64

enum srv_log_level { SRV_LOG_DEBUG, SRV_LOG_INFO, SRV_LOG_WARN, SRV_LOG_ERROR };

struct srv_config {
    char *listen_address;
    int64_t listen_port;
    char *data_dir;
    char *allowed_roots[SRV_MAX_ROOTS];
    int n_allowed_roots;
    int64_t workers;
    int64_t checkpoint_every;
    int64_t isolate;         /* analyse in worker processes (engine/worker.c) */
    int64_t image_timeout_s; /* an image taking longer becomes "timed out"; 0: no limit */
    char *auth_token;
    int64_t max_body_bytes;
    int64_t import_max_bytes;       /* a manifest upload, streamed to disk (upload.h) */
    int64_t max_buffered_bytes;     /* request bodies held at once, all requests together */
    int64_t max_connections;        /* open HTTP connections */
    int64_t max_connections_per_ip; /* from one client address; 0: no such limit */
    int64_t header_timeout_s;       /* to send a whole request head */
    int64_t body_timeout_s;         /* a body may pause this long between two reads */
    int64_t db_connections;         /* SQLite connections HTTP requests share */
    int64_t max_pixels;
    int64_t log_level; /* enum srv_log_level */
    /* Thumbnails decoded at once (memory.h's gate), and how long one waits for a decode. */
    int64_t thumbnail_decodes, thumbnail_wait_ms;
};

/* Defaults: 127.0.0.1:8080, ./var, allowed roots = the current directory, workers = cores. */
void srv_config_init(struct srv_config *c);
void srv_config_release(struct srv_config *c);

/* Reads a YAML file over the current values. Unknown keys, wrong types, out-of-range numbers
 * and malformed YAML fail with IE_EINVAL and "file:line:col: key: reason". */
int srv_config_load(struct srv_config *c, const char *path, struct ie_err *err);
/* The same for YAML text already read (at most 1 MiB, like a file); name stands for the file in
 * messages. A failure may leave the keys before the bad one applied. */
int srv_config_parse(struct srv_config *c, const char *name, const char *text, size_t len,
                     struct ie_err *err);

/* Sets one dotted key from a string (command-line overrides), validated like the file. */
int srv_config_set(struct srv_config *c, const char *key, const char *value, struct ie_err *err);

/* Resolves automatic values (workers 0 = cores) and checks cross-key rules (e.g. a non-loopback
 * address needs a token). */
int srv_config_validate(struct srv_config *c, struct ie_err *err);

const char *srv_log_level_name(int level);

#endif
