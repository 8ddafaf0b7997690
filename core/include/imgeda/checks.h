/* Checks (SPEC §4.3): which images a manifest flags as corrupt, dark/overexposed, border
 * artifacts, blurry or duplicated, each with the value that flagged it, and the thresholds the
 * scan used (from the manifest header's settings, else imgeda's defaults).
 * THREADS: pure functions over caller data; a result belongs to one thread at a time. */
#ifndef IMGEDA_CHECKS_H
#define IMGEDA_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "imgeda/duplicates.h"
#include "imgeda/err.h"
#include "imgeda/record.h"

enum ie_check_kind {
    IE_CHECK_CORRUPT,
    IE_CHECK_EXPOSURE,
    IE_CHECK_ARTIFACTS,
    IE_CHECK_BLUR,
    IE_CHECK_DUPLICATES,
    IE_CHECK_NKINDS
};
#define IE_CHECK_ALL ((1u << IE_CHECK_NKINDS) - 1)

/* The CLI name of a kind ("corrupt", "exposure", ...). Static storage. */
const char *ie_check_name(enum ie_check_kind k);
/* Parses a check name, or "all", into a bit set of (1u << kind). Returns 0, or IE_EINVAL with
 * a message listing the valid names. */
int ie_check_parse(const char *name, unsigned *kinds, struct ie_err *err);

/* Thresholds of a scan. A check lists what the scan flagged (the record's is_* flag, computed
 * from the unrounded value), so these are reported for context rather than re-applied. */
enum {
    IE_THR_DARK = 1u << 0,
    IE_THR_OVEREXPOSED = 1u << 1,
    IE_THR_ARTIFACT = 1u << 2,
    IE_THR_BLUR = 1u << 3,
    IE_THR_NEAR = 1u << 4,
};
struct ie_check_thresholds {
    double dark;            /* mean_brightness below is dark (40) */
    double overexposed;     /* mean_brightness above is overexposed (220) */
    double artifact;        /* corner/centre delta above is a border artifact (50) */
    double blur;            /* blur_score below is blurry (100) */
    int near;               /* near-duplicate phash distance, 0..32 (8) */
    unsigned from_manifest; /* IE_THR_* bits of the values read from the manifest */
};
/* imgeda's defaults, from_manifest = 0. */
void ie_check_thresholds_init(struct ie_check_thresholds *t);
/* Overrides the defaults with the manifest header's settings object (JSON text, NULL allowed):
 * dark_threshold, overexposed_threshold, artifact_threshold, blur_threshold (finite numbers)
 * and duplicate_hamming_threshold (an integer 0..32, imgeda's ScanConfig name). Missing or
 * unusable keys keep their values; settings that are not a JSON object change nothing. */
void ie_check_thresholds_from_settings(struct ie_check_thresholds *t, const char *settings_json);

/* Exposure issues of an item. */
enum { IE_ISSUE_DARK = 1u << 0, IE_ISSUE_OVEREXPOSED = 1u << 1 };

/* One flagged image. */
struct ie_check_item {
    size_t rec;      /* index into the records the check ran over */
    unsigned issues; /* exposure: IE_ISSUE_* bits; 0 elsewhere */
    bool has_value;  /* false when the record lacks the statistic (JSON null) */
    double value;    /* exposure: mean_brightness; artifacts: corner_stats.delta; blur:
                      * blur_score; unused for corrupt (the record's error is the detail) */
};

/* The result of one check. Items are in manifest order and refer to the records by index, so the
 * records must outlive the result. */
struct ie_check_result {
    enum ie_check_kind kind;
    size_t total_images;
    struct ie_check_item *items; /* every kind but duplicates */
    size_t n_items;
    size_t n_dark, n_overexposed; /* exposure: images with each issue */
    bool has_dups;                /* duplicates: dups is filled */
    struct ie_duplicates dups;
    size_t flagged; /* images flagged: n_items, or for duplicates imgeda's count (records in
                     * exact groups beyond the first of each) */
};

void ie_check_result_init(struct ie_check_result *r);
void ie_check_result_release(struct ie_check_result *r);

/* Runs one check over recs[0..n) (one record per path, e.g. struct ie_manifest's recs). t may be
 * NULL for the defaults (it matters for duplicates: the near threshold). out must be
 * initialised; it is released first. Returns 0, or what ie_duplicates_find returns (IE_EINVAL,
 * IE_ELIMIT) for duplicates. */
int ie_check_run(enum ie_check_kind kind, const struct ie_record *recs, size_t n,
                 const struct ie_check_thresholds *t, struct ie_check_result *out,
                 struct ie_err *err);
/* The same over a record source (imgeda/record.h), e.g. a lean manifest: the same result. */
int ie_check_run_src(enum ie_check_kind kind, const struct ie_recsrc *s,
                     const struct ie_check_thresholds *t, struct ie_check_result *out,
                     struct ie_err *err);

/* The result as JSON (caller deletes): {"check", "total_images", "count", thresholds that apply
 * ("thresholds": {name: value}, "threshold_defaults": [names not from the manifest]), "items":
 * [...]}. Items keep imgeda's keys: corrupt {path, filename, error}, exposure {path, issues,
 * mean_brightness}, artifacts {path, delta}, blur {path, blur_score}, duplicates
 * {type: exact|near|byte_identical, phash (exact), count, max_distance (near), paths}; the
 * duplicates object adds exact_groups, exact_images, near_groups, byte_identical_groups and
 * "flat": [paths]. recs must be the records the check ran over. */
cJSON *ie_check_result_to_json(const struct ie_check_result *r, const struct ie_record *recs,
                               const struct ie_check_thresholds *t);
cJSON *ie_check_result_to_json_src(const struct ie_check_result *r, const struct ie_recsrc *recs,
                                   const struct ie_check_thresholds *t);

#endif
