/* Results of finished scans computed from their records (summary, duplicates, checks), their
 * keys in the result cache (cache.h), and the warm-up's computation of the ones a dashboard asks
 * for first (warm.c runs it on the pool as soon as a scan has succeeded), so that nobody waits
 * for the manifest load.
 * THREADS: every function may run on any thread; they touch only their arguments (results
 * reach the cache through their callers: the API's handlers and warm.c). */
#ifndef IMGEDA_SERVER_RESULTS_H
#define IMGEDA_SERVER_RESULTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "imgeda/err.h"
#include "imgeda/lean.h"
#include "imgeda/manifest.h"
#include "imgeda/plot.h"
#include "imgeda/util.h"
#include "store.h"

/* The records a result is computed from, in ie_manifest_load's order (an image's id is its
 * 1-based position): a loaded manifest's array or a lean manifest (imgeda/lean.h), which the
 * daemon uses so that a scan of 10^6 images does not hold kilobytes per record; and the
 * manifest header's settings (the scan's thresholds). Both give the same bytes. */
struct srv_records {
    struct ie_recsrc src;
    const char *settings_json;
    const struct ie_manifest *manifest; /* the loaded manifest, or NULL for a lean one */
};
struct srv_records srv_records_of_manifest(const struct ie_manifest *m);
struct srv_records srv_records_of_lean(const struct ie_lean_manifest *m);

/* Computes a result from a finished scan's records m: the body into out, its content type into
 * *mime (left at JSON by most). ctx is the function's own parameter. Returns 0 or an IE_E* code
 * with err filled. */
typedef int (*srv_result_fn)(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                             struct ie_buf *out, const char **mime, struct ie_err *err);

/* The cache key of result `what` (e.g. "summary") of a finished scan: "<id>|<finished_at>|what".
 * Its records are fixed until it is resumed, which changes finished_at, so old keys just age
 * out; DELETE drops the prefix "<id>|". */
void srv_result_key(char *out, size_t n, const struct srv_scan_row *row, const char *what);

/* The `what` of GET summary, GET duplicates?threshold=T and GET checks/{name}. */
#define SRV_RESULT_SUMMARY "summary"
void srv_result_duplicates_what(char *out, size_t n, int threshold);
void srv_result_check_what(char *out, size_t n, const char *name);

/* A page of duplicate groups (GET duplicates?cursor=&limit=), the reviewing view: what and how
 * many groups to show, from group `cursor` on. */
struct srv_dup_page_req {
    bool near;     /* near groups at threshold; else exact groups (identical phash) */
    int threshold; /* near groups only */
    size_t cursor; /* the first group's position */
    int limit;     /* at most this many groups (fewer when the member budget runs out) */
};
/* The `what` of a kind's group index (one per kind and threshold; pages are cut from it). */
void srv_result_dup_index_what(char *out, size_t n, const struct srv_dup_page_req *q);
/* A group index for pages (cursor and limit unused): a binary blob of every group's JSON, cut
 * into pages by srv_dup_page_from_index without parsing. ctx: const struct srv_dup_page_req *. */
#define SRV_DUP_PAGE_GROUP_MEMBERS 500
#define SRV_DUP_PAGE_MEMBERS       2000
int srv_result_dup_index(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                         struct ie_buf *out, const char **mime, struct ie_err *err);
/* Appends q's page of an index blob: {"kind", "threshold", "total_groups", "total_images",
 * "duplicate_count", "groups": [{"size", "keeper", "members_truncated", "members": [{"id",
 * "path", "width", "height", "file_size_bytes", "format", "distance"}]}], "next_cursor"}. A
 * group lists at most SRV_DUP_PAGE_GROUP_MEMBERS members, and a page stops once it has listed
 * SRV_DUP_PAGE_MEMBERS (always at least one group), so a page stays under about 1 MB. Returns
 * 0, or IE_EINVAL for a blob that is not an index. */
int srv_dup_page_from_index(const void *blob, size_t len, const struct srv_dup_page_req *q,
                            struct ie_buf *out);

/* SPEC 4.2 summary; ctx unused. */
int srv_result_summary(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                       struct ie_buf *out, const char **mime, struct ie_err *err);
/* SPEC 4.1 duplicates plus the image id of every path ("exact_ids", "byte_identical_ids", "ids"
 * in each near group, "flat_ids") and "threshold"; ctx: const struct ie_dup_opts *. */
int srv_result_duplicates(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err);
#define SRV_RESULT_HISTOGRAMS "histograms"
/* Per-issue histograms of the metric each flag compares (dark, overexposed, blurry, artifacts),
 * with the scan's thresholds, from which any integer threshold's count is a sum of bins
 * (result_hist.c; GET histograms). ctx unused. */
int srv_result_histograms(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                          struct ie_buf *out, const char **mime, struct ie_err *err);
/* SPEC 4.3 checks; ctx: const unsigned * with the IE_CHECK_* bits (IE_CHECK_ALL gives
 * {"total_images", "checks": {name: ...}} like `imgeda check all --json`). */
int srv_result_checks(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                      struct ie_buf *out, const char **mime, struct ie_err *err);

/* A plot request (GET plots/{type}.{fmt}?dpi=&sample=) and its `what`. */
struct srv_plot_request {
    struct ie_plot_opts o;
    enum ie_plot_type type;
};
void srv_result_plot_what(char *out, size_t n, const char *file, long long dpi, long long sample);
/* One plot; ctx: struct srv_plot_request * (its options take the scan's thresholds). */
int srv_result_plot(const struct srv_scan_row *row, const struct srv_records *m, void *ctx,
                    struct ie_buf *out, const char **mime, struct ie_err *err);

/* GET plots without ?dpi= renders at this dpi. */
#define SRV_PLOT_DEFAULT_DPI 150

/* The duplicate thresholds the warm-up computes: the dashboard's slider range. */
#define SRV_WARM_THRESHOLD_MAX 16

/* True if srv_results_warm computes the result `what`: what a dashboard opens a scan with —
 * the summary, checks "all", the whole duplicates answer at the default threshold, the group
 * indexes of the paged duplicates (exact, near at the default threshold), every plot as PNG at
 * the default dpi, then the near group indexes at the other thresholds 0..SRV_WARM_THRESHOLD_MAX.
 */
bool srv_result_is_warmed(const char *what);

/* Receives one warmed result; decides whether to cache it. */
typedef void (*srv_result_put_fn)(void *ud, const char *key, const void *data, size_t len,
                                  const char *mime);

/* Computes every warmed result of the succeeded scan row from its records m and hands each to
 * put. *stop is read between results: once it is
 * true, returns IE_ECANCELED. Returns 0 or the first computation's error. */
int srv_results_warm(const struct srv_scan_row *row, const struct srv_records *m,
                     const atomic_bool *stop, srv_result_put_fn put, void *ud, struct ie_err *err);

#endif
