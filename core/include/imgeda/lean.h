/* The lean manifest: the records of a manifest, as ie_manifest_load has them (same order, one
 * per path, a later record replacing an earlier one in its place), holding only the fields
 * that summary, checks, duplicates, histograms and plots read, in about 220 bytes plus the
 * path per record instead of the kilobytes of parsed records (loader in core/lean.c). The
 * daemon computes a large scan's results from it.
 *
 * THREADS: plain data; a lean manifest belongs to one thread at a time, but once loaded it may
 * be read from several threads at once. */
#ifndef IMGEDA_LEAN_H
#define IMGEDA_LEAN_H

#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/record.h"
#include "imgeda/slim.h"

/* One record's kept fields. Strings are owned by the manifest; format, colour mode, camera make
 * and model and distortion risk are interned (one copy per distinct text). */
struct ie_lean_record {
    const char *path, *filename, *content_hash, *error;
    const char *format, *color_mode, *camera_make, *camera_model, *distortion_risk;
    int64_t file_size_bytes;
    double aspect_ratio, blur_score, corner_delta;
    double mean_r, mean_g, mean_b, std_r, std_g, std_b, mean_brightness;
    struct ie_hash256 phash;
    int32_t width, height, iso_speed, focal_length_35mm, orientation_tag;
    uint16_t flags; /* IE_LEAN_F_* */
};

enum {
    IE_LEAN_F_CORRUPT = 1u << 0,
    IE_LEAN_F_DARK = 1u << 1,
    IE_LEAN_F_OVEREXPOSED = 1u << 2,
    IE_LEAN_F_ARTIFACT = 1u << 3,
    IE_LEAN_F_BLURRY = 1u << 4,
    IE_LEAN_F_PHASH = 1u << 5,
    IE_LEAN_F_PIXEL_STATS = 1u << 6,
    IE_LEAN_F_CORNER_STATS = 1u << 7,
    IE_LEAN_F_BLUR_SCORE = 1u << 8,
    IE_LEAN_F_ISO = 1u << 9,
    IE_LEAN_F_FOCAL35 = 1u << 10,
    IE_LEAN_F_ORIENTATION = 1u << 11,
    IE_LEAN_F_GPS = 1u << 12,
};

struct ie_lean_manifest {
    struct ie_lean_record *recs;
    size_t n, cap;
    char *settings_json;  /* the header's "settings" as JSON text, or NULL */
    size_t skipped_lines; /* as struct ie_manifest has them */
    size_t replaced;
    /* private: the string arena and interned strings */
    struct ie_slim_manifest strings;
};

/* Lifetimes: init makes an empty manifest; release frees everything and re-inits. */
void ie_lean_manifest_init(struct ie_lean_manifest *m);
void ie_lean_manifest_release(struct ie_lean_manifest *m);

/* Reads the manifest at path into m (initialised and empty) through ie_manifest_reader, record
 * by record, so that no more than one parsed record is held at a time. Returns 0, or what
 * ie_manifest_reader_open/next return (err set). */
int ie_lean_manifest_load(const char *path, struct ie_lean_manifest *m, struct ie_err *err);

/* Fills *out (its previous content is overwritten, never freed) with record i: the kept fields,
 * every other field zero or NULL. The strings are borrowed from m and stay valid until m is
 * released; out must not be released. */
void ie_lean_manifest_record(const struct ie_lean_manifest *m, size_t i, struct ie_record *out);

/* The records of m as a record source (imgeda/record.h) for checks, duplicates and plots. */
struct ie_recsrc ie_lean_manifest_src(const struct ie_lean_manifest *m);

#endif
