/* One image's analysis (a manifest record, SPEC §2) and its JSON form.
 * THREADS: records are plain data; functions here touch only their arguments. */
#ifndef IMGEDA_RECORD_H
#define IMGEDA_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

#define IE_ANALYZER_VERSION "imgedad-1"

/* A 256-bit perceptual hash, bits in row-major order, w[0] holding the most significant 64. */
struct ie_hash256 {
    uint64_t w[4];
};

struct ie_pixel_stats {
    double mean_r, mean_g, mean_b;
    double std_r, std_g, std_b;
    double mean_brightness;
    int min_val, max_val;
};

struct ie_corner_stats {
    double corner_mean, center_mean, border_mean, delta;
};

/* Nullable numbers carry a has_* flag; strings are NULL for JSON null. All strings are owned
 * by the record, valid UTF-8. */
struct ie_record {
    char *path;
    char *filename;
    int64_t file_size_bytes;
    double mtime;
    int width, height;
    char *format;
    char *color_mode;
    int num_channels;
    double aspect_ratio;

    char *camera_make, *camera_model, *lens_model;
    bool has_focal_length_mm;
    double focal_length_mm;
    bool has_focal_length_35mm;
    int focal_length_35mm;
    bool has_iso_speed;
    int iso_speed;
    bool has_f_number;
    double f_number;
    bool has_exposure_time_sec;
    double exposure_time_sec;
    char *datetime_original;
    bool has_orientation_tag;
    int orientation_tag;
    bool has_gps_data;
    char *distortion_risk; /* "high" | "medium" | "low" | NULL */

    bool has_pixel_stats;
    struct ie_pixel_stats pixel_stats;
    bool has_corner_stats;
    struct ie_corner_stats corner_stats;
    bool has_phash, has_dhash;
    struct ie_hash256 phash, dhash;
    bool has_blur_score;
    double blur_score;

    bool is_blurry, is_corrupt, is_dark, is_overexposed, has_border_artifact;
    char *analyzed_at;
    char *analyzer_version;

    /* beyond imgeda */
    char *content_hash; /* "xxh3_128:" + 32 hex, or NULL */
    char *error;        /* one line, or NULL */
    int bit_depth;
    int num_frames;
};

/* Records to compute over, held either as an array or behind a getter (e.g. the lean manifest,
 * imgeda/lean.h), so that checks, duplicates and plots run on either. get fills *tmp, or returns
 * a record of its own; the strings of what it returns must stay valid as long as the source
 * (results keep path pointers), tmp only until the next call with the same tmp. */
struct ie_recsrc {
    const struct ie_record *arr; /* NULL: use get */
    size_t n;
    const struct ie_record *(*get)(const void *ud, size_t i, struct ie_record *tmp);
    const void *ud;
};

static inline struct ie_recsrc ie_recsrc_array(const struct ie_record *recs, size_t n)
{
    struct ie_recsrc s = {recs, n, NULL, NULL};
    return s;
}

/* Record i of s: a pointer into the array, or what get made of *tmp. */
static inline const struct ie_record *ie_recsrc_at(const struct ie_recsrc *s, size_t i,
                                                   struct ie_record *tmp)
{
    return s->arr ? &s->arr[i] : s->get(s->ud, i, tmp);
}

/* Lifetimes: init zeroes; release frees owned strings and re-inits. */
void ie_record_init(struct ie_record *r);
void ie_record_release(struct ie_record *r);
/* Deep copy of src into dst (dst must be initialised or released). */
void ie_record_copy(struct ie_record *dst, const struct ie_record *src);
/* Replaces *slot with a copy of s (NULL allowed). */
void ie_record_set_str(char **slot, const char *s);

/* Serialises to one JSON line without the trailing newline. Returns malloc'd text. */
char *ie_record_to_json(const struct ie_record *r);

/* Parses one JSON object text into r (initialised by the caller). Unknown keys are ignored,
 * missing keys keep their defaults, wrong types count as missing. Returns 0, or IE_EINVAL when
 * the text is not a JSON object with a string "path". */
int ie_record_from_json(const char *text, size_t len, struct ie_record *r, struct ie_err *err);
/* The same from an object already parsed with cJSON (NULL counts as not an object): a caller that
 * also looks at the tree itself parses each line once. */
struct cJSON;
int ie_record_from_cjson(const struct cJSON *o, struct ie_record *r, struct ie_err *err);

/* Hash text: 64 lowercase hex digits. out must hold 65 bytes. */
void ie_hash256_to_hex(const struct ie_hash256 *h, char *out);
/* Parses 64 hex digits (shorter strings are right-aligned like int(hex, 16)). Returns 0 or -1. */
int ie_hash256_from_hex(const char *s, struct ie_hash256 *h);
/* Hamming distance: popcount of XOR. */
int ie_hash256_distance(const struct ie_hash256 *a, const struct ie_hash256 *b);

#endif
