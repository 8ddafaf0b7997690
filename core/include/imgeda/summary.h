/* Dataset summary (SPEC §4.2): imgeda's aggregate fields, plus percentiles, duplicate counts
 * and total pixels. A pure computation over records, usable in one call over a loaded manifest
 * or fed record by record (init -> add* -> finish) while streaming.
 * THREADS: a summary belongs to one thread at a time; functions touch only their arguments. */
#ifndef IMGEDA_SUMMARY_H
#define IMGEDA_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/record.h"

struct cJSON;
struct ie_manifest;

/* One counted value. */
struct ie_count_entry {
    char *key;
    size_t count;
};

/* Counts ordered as Python's Counter.most_common(): by count descending, ties in the order the
 * keys were first seen. Keys are owned. */
struct ie_counts {
    struct ie_count_entry *v;
    size_t n, cap;
};

/* p5/p50/p95 of a set of values, numpy's default ("linear") percentile. n = 0 means no values
 * and the percentiles are NaN (JSON null). */
struct ie_pcts {
    size_t n;
    double p5, p50, p95;
};

struct ie__summary_acc;

struct ie_summary {
    /* imgeda's DatasetSummary, same meaning and JSON names. */
    size_t total_images;
    int64_t total_size_bytes;
    size_t corrupt_count, dark_count, overexposed_count, artifact_count, blurry_count;
    int min_width, max_width, min_height, max_height; /* non-corrupt records; 0 if none */
    struct ie_counts format_counts;                   /* non-empty format, all records */
    struct ie_counts mode_counts;                     /* non-empty color_mode, all records */
    struct ie_counts extension_counts;    /* lowercased text after the filename's last dot */
    struct ie_counts camera_make_counts;  /* non-empty camera_make */
    struct ie_counts camera_model_counts; /* non-empty camera_model */
    size_t high_distortion_risk_count;    /* distortion_risk == "high" */
    size_t gps_flagged_count;             /* has_gps_data */
    size_t rotated_count;                 /* orientation_tag present and != 1 */
    size_t exif_present_count;            /* non-empty camera_make (imgeda's definition) */

    /* Beyond imgeda. */
    struct ie_pcts width, height;  /* non-corrupt records */
    struct ie_pcts file_size;      /* all records */
    struct ie_pcts brightness;     /* non-corrupt with pixel_stats: mean_brightness */
    struct ie_pcts blur;           /* non-corrupt with blur_score */
    int64_t total_pixels;          /* sum of width*height over non-corrupt records */
    size_t exact_duplicate_groups; /* non-corrupt records sharing a phash, groups >= 2 */
    size_t exact_duplicate_images; /* images in those groups beyond the first of each */
    size_t byte_identical_groups;  /* same for content_hash (byte-identical files) */
    size_t byte_identical_images;

    struct ie__summary_acc *acc; /* accumulation state, allocated by the first add */
    bool finished;
};

/* Starts an empty summary (ready for ie_summary_add). Allocates nothing. */
void ie_summary_init(struct ie_summary *s);
/* Frees everything owned, including unfinished accumulation state; leaves s initialised. */
void ie_summary_release(struct ie_summary *s);

/* Adds one record. The caller supplies each image once (ie_manifest_load already keeps only the
 * last record of a path; a raw reader stream of a manifest written by an interrupted scan may
 * repeat paths). Memory grows by about 90 bytes per record (values kept for percentiles and
 * hashes kept for duplicate groups). After ie_summary_finish it does nothing. */
void ie_summary_add(struct ie_summary *s, const struct ie_record *r);
/* Computes percentiles, orders counts and counts duplicate groups; frees the accumulation
 * state. Idempotent. */
void ie_summary_finish(struct ie_summary *s);

/* init + add each record + finish. s must be uninitialised, or initialised or released with
 * nothing added (any content is overwritten). */
void ie_summary_compute(const struct ie_record *recs, size_t n, struct ie_summary *s);

/* The finished summary as a cJSON object (caller deletes): imgeda's keys in imgeda's order,
 * then "total_pixels", "percentiles" {width, height, file_size_bytes, mean_brightness,
 * blur_score: {n, p5, p50, p95}} and "duplicates" {exact_groups, exact_images,
 * byte_identical_groups, byte_identical_images}. Floats always keep a decimal point. */
struct cJSON *ie_summary_to_cjson(const struct ie_summary *s);
/* What `imgeda info --json` prints (the serverless flow's summary/summary.json is the same):
 * ie_summary_to_cjson(s) plus "manifest": {path, has_header, input_dir, created_at,
 * total_files, skipped_lines, replaced_records, thresholds, threshold_defaults} of the manifest
 * m loaded from path, whose records s summarises. Caller deletes. */
struct cJSON *ie_summary_info_cjson(const struct ie_summary *s, const char *path,
                                    const struct ie_manifest *m);
/* Same as text (pretty: indented), malloc'd. */
char *ie_summary_to_json(const struct ie_summary *s, bool pretty);

/* numpy.percentile(values, q) with the default linear method over n ascending values:
 * index (n-1)*q/100 interpolated between its neighbours exactly as numpy does. NaN if n == 0. */
double ie_percentile(const double *sorted, size_t n, double q);

#endif
