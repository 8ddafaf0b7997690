/* The scans and images tables: rows, JSON forms, and the queries the API needs.
 * THREADS: every function uses only the connection it is given. */
#ifndef IMGEDA_SERVER_STORE_H
#define IMGEDA_SERVER_STORE_H

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"

struct srv_scan_row {
    char *id, *name, *root, *status, *options_json, *manifest_path;
    bool imported;
    char *created_at, *started_at, *finished_at, *error;
    int64_t total, processed, corrupt, bytes;
    double rate_per_s;
    bool has_eta;
    double eta_s;
    int64_t seq;
    int64_t version; /* 1-based among the scans of its root; 0 for a row not read by a SELECT */
};
void srv_scan_row_release(struct srv_scan_row *r);

/* The API's JSON for a scan (status, progress, links). */
cJSON *srv_scan_row_to_json(const struct srv_scan_row *r);

int srv_store_insert_scan(sqlite3 *db, const struct srv_scan_row *r, struct ie_err *err);
/* IE_ENOENT when there is no such scan. */
int srv_store_get_scan(sqlite3 *db, const char *id, struct srv_scan_row *r, struct ie_err *err);
/* The newest scan of a root that is not failed, or IE_ENOENT. */
int srv_store_last_scan_of_root(sqlite3 *db, const char *root, struct srv_scan_row *r,
                                struct ie_err *err);
/* The newest succeeded scan of root older than before_seq (INT64_MAX: the newest of all), or
 * IE_ENOENT with a message. */
int srv_store_version_before(sqlite3 *db, const char *root, int64_t before_seq,
                             struct srv_scan_row *r, struct ie_err *err);
int srv_store_set_status(sqlite3 *db, const char *id, const char *status, const char *error,
                         struct ie_err *err);
int srv_store_set_progress(sqlite3 *db, const char *id, const struct ie_scan_progress *p,
                           struct ie_err *err);
int srv_store_delete_scan(sqlite3 *db, const char *id, struct ie_err *err);
/* Ids of scans left queued or running (a crash), oldest first. Caller frees each and *ids. */
int srv_store_unfinished(sqlite3 *db, char ***ids, size_t *n, struct ie_err *err);
/* A page of scans, newest first: {"scans": [...], "next_cursor": "..."|null}. */
int srv_store_list_scans(sqlite3 *db, const char *status, int limit, int64_t before_seq,
                         cJSON **out, struct ie_err *err);
/* The same page restricted to the scans of one root when root is not NULL (its versions). */
int srv_store_list_versions(sqlite3 *db, const char *status, const char *root, int limit,
                            int64_t before_seq, cJSON **out, struct ie_err *err);
int64_t srv_store_next_seq(sqlite3 *db);

/* What indexing saw: record and corrupt counts, and the header's input_dir (owned, or NULL). */
struct srv_index_stats {
    int64_t total, corrupt;
    bool has_header;
    char *input_dir;
};

/* Replaces the indexed records of a scan with the manifest's (one transaction). stats may be
 * NULL; otherwise the caller frees stats->input_dir. keep may be NULL; otherwise, on success,
 * it receives the loaded records (image id = index + 1; the caller releases it), so that
 * results can be computed without loading the manifest again. */
int srv_store_index_manifest(sqlite3 *db, const char *scan_id, const char *manifest_path,
                             struct srv_index_stats *stats, struct ie_manifest *keep,
                             struct ie_err *err);
/* Indexes an uploaded manifest as scan_id's records, reading it line by line in one transaction,
 * so memory stays flat however large it is. Stricter than srv_store_index_manifest (which
 * tolerates what a crashed scan leaves): a line that is not a record, a cut-off last line or a
 * file with neither header nor record fails with IE_EINVAL naming the line, and nothing is
 * stored. Repeated paths and image ids as ie_manifest_load has them (a later record replaces an
 * earlier one in its place). stats as for srv_store_index_manifest (not NULL). */
int srv_store_import_manifest(sqlite3 *db, const char *scan_id, const char *manifest_path,
                              struct srv_index_stats *stats, struct ie_err *err);

/* Shared by the two indexers (store.c, store_import.c). */
/* images.camera from the EXIF make (?14) and model (?15), as the camera filter matches it. */
#define SRV_STORE_CAMERA_SQL "coalesce(?14, '') || ' ' || coalesce(?15, '')"
#define SRV_STORE_INSERT_IMAGE                                                                     \
    "INSERT INTO images (scan_id, id, path, filename, format, width, height, file_size_bytes, "    \
    "mean_brightness, blur_score, border_delta, flags, phash, camera, split) "                     \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, " SRV_STORE_CAMERA_SQL ", "   \
    "path_split(?3, (SELECT root FROM scans WHERE id = ?1)))"
#define SRV_STORE_INSERT_RECORD                                                                    \
    "INSERT INTO image_records (rowid_ref, id, record_json, utf8) VALUES (?, ?, ?, 1)"
/* Binds ?1..?15 of SRV_STORE_INSERT_IMAGE (or a statement numbered alike) for record r. */
void srv_store_bind_image(sqlite3_stmt *st, const char *scan_id, int64_t id,
                          const struct ie_record *r, const char *phash_hex, bool duplicate);
/* A record's JSON made valid UTF-8 (a manifest written elsewhere may hold any bytes), so the
 * stored row can be served as it is. Caller frees. */
char *srv_store_record_json(const struct ie_record *r);
/* A copy of a manifest line (n bytes, no newline) when it can be stored as it is: it serves the
 * record srv_store_record_json would print from it (the same keys in the same order, values the
 * record reader takes as they are, valid UTF-8, nothing after the object); else NULL. */
char *srv_store_canonical_line(const char *text, size_t n);
/* The same for a line the caller parsed already (cJSON_ParseWithLengthOpts, not requiring the
 * terminator: o, or NULL, and where the parse ended), so an import parses each line once. */
char *srv_store_canonical_parsed(const char *text, size_t n, const cJSON *o, const char *end);
/* Precomputes the totals the image pages report, inside the indexing transaction. */
int srv_store_write_counts(sqlite3 *db, const char *scan_id, struct ie_err *err);

/* Replaces scan_id's image_classes rows (and its class:<name> counts) with the classes the
 * annotation analysis of root gives its images (core's ie_annot_options.on_image). root NULL or a
 * bucket: no classes. The records must be indexed first (rows are matched by path). Runs the
 * analysis before opening its transaction. When the analysis fails (root unreadable), the old
 * rows are still removed and its error is returned. */
int srv_store_index_classes(sqlite3 *db, const char *scan_id, const char *root, struct ie_err *err);

/* Sets a scan's root (imports learn it from the manifest header). */
int srv_store_set_root(sqlite3 *db, const char *id, const char *root, struct ie_err *err);

/* The numeric range filters of a page of records, in the order of srv_image_range_names. */
enum srv_image_range {
    SRV_RANGE_BLUR,
    SRV_RANGE_BRIGHTNESS,
    SRV_RANGE_WIDTH,
    SRV_RANGE_HEIGHT,
    SRV_RANGE_ASPECT,
    SRV_RANGE_BYTES,
    SRV_RANGE_N
};
/* "blur", "brightness", "width", "height", "aspect", "bytes": the query parameters are
 * min_<name> and max_<name>. */
extern const char *const srv_image_range_names[SRV_RANGE_N];

struct srv_image_query {
    const char *flag;   /* comma-separated corrupt|dark|overexposed|blurry|artifact|duplicate,
                           every one required (AND), or NULL */
    const char *q;      /* substring of the path */
    const char *format; /* exact format */
    const char *camera; /* substring of EXIF "make model", any case */
    const char *split;  /* train, val, valid, validation or test: the image's split folder */
    const char *cls;    /* a class of the image (image_classes), exactly */
    const char *sort;   /* [-]field; filename and path sort naturally (img2 before img10) */
    bool has_min[SRV_RANGE_N], has_max[SRV_RANGE_N];
    double min[SRV_RANGE_N], max[SRV_RANGE_N]; /* inclusive; records without the value fail */
    int limit;
    int64_t cursor; /* offset */
};
/* A page of records as JSON text (malloc'd): {"images": [...], "total": n,
 * "next_cursor": "..."|null, "splits": {name: images}, "classes": {name: images}} (the scan's
 * splits and classes, {} when none).
 * IE_EINVAL for an unknown flag or sort field. */
int srv_store_query_images(sqlite3 *db, const char *scan_id, const struct srv_image_query *q,
                           char **out, size_t *out_len, struct ie_err *err);
/* The image id of the record with this path in the scan (images_by_path), or IE_ENOENT. */
int srv_store_image_id_by_path(sqlite3 *db, const char *scan_id, const char *path, int64_t *id,
                               struct ie_err *err);
/* One record with its "id" as JSON text (malloc'd), and/or its path; IE_ENOENT if absent. */
int srv_store_get_image(sqlite3 *db, const char *scan_id, int64_t image_id, char **out, char **path,
                        struct ie_err *err);

/* Where the slim snapshot of a scan's manifest lives (core/slim_snap.c): beside the manifest,
 * in the scan's folder, so that deleting the scan removes it. malloc'd. */
char *srv_slim_snap_path(const char *manifest_path);

#endif
