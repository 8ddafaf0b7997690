/* A bucket as a scan source: `imgeda scan s3://BUCKET/PREFIX` and the daemon's scans of
 * s3:// roots. Planning lists the bucket (ListObjectsV2) instead of walking a folder; each batch
 * GETs its objects into memory, several in flight (eng_s3_get_many), and analyses them from the
 * buffer, in this process or in an isolated worker. Records are those of a local scan but for
 * path (s3://BUCKET/KEY) and mtime (LastModified, whole seconds); resume is keyed on (path,
 * size, LastModified).
 * A PREFIX names a folder: s3://b/photos scans the keys under "photos/" (not "photos-old/..."),
 * and shards hash the key relative to it, as a local scan of the synced folder would.
 * Outcomes: a missing bucket, denied access or an unreachable endpoint fail the open (nothing
 * is written); an object deleted since the listing, or denied (403), or larger than
 * max_file_bytes becomes that image's error record; an object that still fails after the
 * client's retries (5xx, connection lost) fails the batch, so the scan stops with its progress
 * saved and a re-run fetches only what is missing.
 * THREADS: open/free on one thread; eng_s3_scan_batch_run from any number of pool threads. */
#ifndef IMGEDA_ENGINE_S3_SCAN_H
#define IMGEDA_ENGINE_S3_SCAN_H

#include <stdatomic.h>

#include "imgeda/err.h"
#include "imgeda/options.h"
#include "imgeda/scan.h"
#include "engine/s3.h"
#include "engine/worker.h"

/* Where an S3 scan's bytes come from: the client, the bucket and how many GETs each batch keeps
 * in flight (IMGEDA_S3_IN_FLIGHT, 1..64, default 4). */
struct eng_s3_source;

/* Plans a scan of url (s3://BUCKET[/PREFIX]) into manifest_path: the client from the standard
 * environment (eng_s3_config_from_env), the bucket checked (eng_s3_check), its keys listed and
 * filtered by o's extensions and shard, then ie_scan_open_listed. Returns 0 with *scan and *src
 * (both the caller's), or an error (IE_EINVAL bad URL or settings, IE_ENOENT no such bucket,
 * IE_EPERM access denied, IE_EIO endpoint unreachable) with a message. */
int eng_s3_scan_open(const char *url, const char *manifest_path, const struct ie_scan_options *o,
                     struct ie_scan **scan, struct eng_s3_source **src, struct ie_err *err);
/* A source over a client the caller already has (the Lambda's AnalyzeBatch, whose batches come
 * from a listing made earlier): the client is borrowed (it must outlive the source, and
 * eng_s3_source_free leaves it alone); GETs in flight as for eng_s3_scan_open. Returns 0 or
 * IE_EINVAL (a bad IMGEDA_S3_IN_FLIGHT). */
int eng_s3_source_new(struct eng_s3 *client, const char *bucket, struct eng_s3_source **out,
                      struct ie_err *err);
void eng_s3_source_free(struct eng_s3_source *src);
/* Adds the object key of bucket to files as a scan of the bucket lists it: fs_path the key,
 * record_path s3://BUCKET/KEY (made valid UTF-8), size and mtime as listed. */
void eng_s3_listed_add(struct ie_file_list *files, const char *bucket, const char *key,
                       int64_t size, double mtime);
/* The source's client (for other requests to the same store). */
struct eng_s3 *eng_s3_source_client(const struct eng_s3_source *src);

/* Analyses batch b of scan (opened by eng_s3_scan_open with src): fetches its objects, several
 * in flight, and analyses each as it arrives, here (wk NULL) or in the isolated worker wk.
 * Stops early on *cancel (files without a line go back to the to-do list at commit). Returns 0,
 * IE_ECANCELED, or IE_EIO (an object still failing after the retries, or no analysis worker)
 * with err filled: the scan must stop. */
int eng_s3_scan_batch_run(const struct eng_s3_source *src, const struct ie_scan *scan,
                          struct ie_scan_batch *b, struct eng_worker *wk, const atomic_int *cancel,
                          struct ie_err *err);

#endif
