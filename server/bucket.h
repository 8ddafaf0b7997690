/* Buckets in the daemon: s3:// scan roots and images. scan.allowed_roots may hold s3://BUCKET
 * or s3://BUCKET/PREFIX entries; a root or an image is allowed when its bucket is the entry's and
 * its key lies under the entry's prefix on key boundaries (s3://b/data admits s3://b/data/x.jpg
 * and s3://b/data, never s3://b/data-old/...). Files and objects never admit each other.
 * THREADS: the functions are thread-safe (the client is, see engine/s3.h). */
#ifndef IMGEDA_SERVER_BUCKET_H
#define IMGEDA_SERVER_BUCKET_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "engine/s3.h"
#include "imgeda/err.h"

/* True when one of cfg's allowed roots is an s3:// entry (the daemon then needs a client). */
bool srv_bucket_configured(const struct srv_config *cfg);
/* The client for cfg's buckets, from the standard AWS_* environment: *out NULL when no allowed
 * root is a bucket. Returns 0, or IE_EINVAL for malformed settings (start-up fails). */
int srv_bucket_client_new(const struct srv_config *cfg, struct eng_s3 **out, struct ie_err *err);

/* True when url (s3://BUCKET/KEY or a prefix) lies under one of cfg's s3:// allowed roots. */
bool srv_bucket_allowed(const struct srv_config *cfg, const char *url);

/* Checks an s3:// scan root: a well-formed URL, allowed, and (with client) a bucket that exists
 * and these credentials may list. *resolved is the URL as scans store it ("s3://BUCKET/PREFIX",
 * no trailing '/'; caller frees). Errors: IE_EINVAL (malformed, no such bucket), IE_EPERM
 * (outside scan.allowed_roots, or access denied), IE_EIO (the store is unreachable), each
 * message starting "root: ". */
int srv_bucket_check_root(const struct srv_config *cfg, struct eng_s3 *client, const char *root,
                          char **resolved, struct ie_err *err);

/* The bytes of the image object at url (s3://BUCKET/KEY, from a scan's record), at most max
 * bytes (0: no cap). Returns 0 with *data (caller frees) and *len, or IE_EPERM (outside
 * scan.allowed_roots, access denied), IE_ENOENT (gone), IE_ELIMIT, IE_EIO, IE_EINVAL. */
int srv_bucket_fetch(const struct srv_config *cfg, struct eng_s3 *client, const char *url,
                     size_t max, uint8_t **data, size_t *len, struct ie_err *err);

#endif
