/* Request bodies written to a file as they arrive instead of held in memory: manifest imports,
 * which may be far larger than limits.max_body_bytes, go to <data_dir>/tmp within
 * import.max_bytes (config.h), so an upload costs disk, not memory.
 * THREADS: one upload belongs to its connection's thread. */
#ifndef IMGEDA_SERVER_UPLOAD_H
#define IMGEDA_SERVER_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

struct srv_upload;

/* True for the requests whose body is streamed to a file (POST /api/v1/manifests). */
bool srv_upload_route(const char *method, const char *url);
/* The 413 message for an upload over max bytes, naming import.max_bytes, into out. */
void srv_upload_too_large_text(char *out, size_t n, int64_t max);
/* Creates an empty file in <data_dir>/tmp for a body of at most max bytes (IE_EIO). */
int srv_upload_open(const char *data_dir, int64_t max, struct srv_upload **out, struct ie_err *err);
/* Appends a piece of the body. Past max bytes, or after a write error, the rest is discarded
 * (and the file emptied at once, so a refused upload holds no disk); srv_upload_finish says why. */
void srv_upload_add(struct srv_upload *u, const char *data, size_t n);
/* The body is complete: 0, or IE_ELIMIT (over max, the message names import.max_bytes) or IE_EIO
 * (a write failed, e.g. the disk is full). */
int srv_upload_finish(struct srv_upload *u, struct ie_err *err);
/* The file's path; the handler may move the file elsewhere (rename) to keep it. */
const char *srv_upload_path(const struct srv_upload *u);
/* Removes the uploads a stopped daemon left in <data_dir>/tmp (at start-up, the data_dir locked).
 */
void srv_upload_sweep(const char *data_dir);
/* Removes the file unless it was moved away, and frees u. NULL is a no-op. */
void srv_upload_free(struct srv_upload *u);

#endif
