/* Scan options, defined once. Every option of a scan is one row of the table in
 * core/options.c: its field in struct ie_scan_options, its command-line flag, its key in the
 * API's JSON, its key in the manifest header's "settings", its type, default, accepted range and
 * help text. The CLI's parser and --help, the daemon's validation, GET /api/v1/config's
 * defaults and the manifest header are all read from that table, so the ranges are the same
 * everywhere. To add an option: add a field to struct ie_scan_options, one row to the table,
 * and use the field in the analysis code.
 * THREADS: the table is constant; every function here uses only its arguments. */
#ifndef IMGEDA_OPTIONS_H
#define IMGEDA_OPTIONS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/confine.h"
#include "imgeda/err.h"

#define IE_MAX_EXTENSIONS 32

/* A deterministic share of a root's files: shard index of count (1-based). count 1 (the default)
 * or 0 is the whole root. A file belongs to shard 1 + XXH3-64(relative path) mod count, so its
 * shard never changes when files are added or removed elsewhere. */
struct ie_shard {
    uint32_t index, count;
};
#define IE_SHARD_MAX 65536 /* the largest count: a merge holds one flag per shard */

/* Every option and threshold of a scan; the manifest header's "settings" records all of them. */
struct ie_scan_options {
    int workers;          /* threads analysing images; default: online cores */
    int checkpoint_every; /* records between durable checkpoints; default 500 */
    bool resume;          /* reuse records whose (path, size, mtime) still match; default on */
    bool force;           /* re-analyse everything */
    bool skip_pixel_stats, skip_exif, no_hashes, skip_blur;
    size_t n_extensions;
    char extensions[IE_MAX_EXTENSIONS][16]; /* lowercase, with the dot */
    double dark_threshold;                  /* 40 */
    double overexposed_threshold;           /* 220 */
    double artifact_threshold;              /* 50 */
    double blur_threshold;                  /* 100 */
    double corner_patch_fraction;           /* 0.1 */
    int max_image_dim;                      /* 2048 */
    int hash_size;                          /* 16 (fixed: 256-bit hashes) */
    int64_t max_pixels;                     /* 178956970, Pillow's hard limit */
    int64_t max_file_bytes;                 /* files above are corrupt ("file too large"); 2 GiB */
    bool shrink_on_load;    /* JPEG DCT-domain shrink when it keeps >= max_image_dim;
                             * off by default (changes blur_score, see analyze.c) */
    int profile;            /* enum ie_profile; IE_PROFILE_COMPATIBLE by default */
    bool isolate;           /* analyse in worker processes (engine/worker.c) */
    double image_timeout_s; /* with isolate: longer analyses become "timed out"; 0: no limit */
    struct ie_shard shard;  /* analyse only this share of the files; {1, 1}: all of them */
    /* Not an option of the table: the daemon's scan.allowed_roots (NULL: no confinement, as in
     * the CLI). Discovery skips files whose real path lies outside, and analysis checks the
     * opened file again. Borrowed: it must outlive every scan using these options. */
    const struct ie_confine *confine;
};

/* How an image is decoded and measured (the "profile" option). COMPATIBLE: full-resolution
 * decode and Pillow's Lanczos, values as Python imgeda's. FAST: the decoder's own shrink (JPEG DCT
 * scale, WebP scale) down to no less than max_image_dim, values measured on that image and
 * blur_score rescaled to the working size (core/analyze.c says how); flags agree with COMPATIBLE
 * on almost every image, values differ slightly. The order is that of the option's choices. */
enum ie_profile { IE_PROFILE_COMPATIBLE, IE_PROFILE_FAST };

enum ie_opt_type {
    IE_OPT_BOOL,
    IE_OPT_INT,
    IE_OPT_INT64,
    IE_OPT_DOUBLE,
    IE_OPT_EXTENSIONS,
    IE_OPT_SHARD,  /* "K/N": lo..hi bound N */
    IE_OPT_CHOICE, /* an int field: the index of a name among the row's metavar "a|b|c" */
};

/* Where a front end may lower an option's upper bound (the daemon's own limits). */
enum ie_opt_cap { IE_OPT_CAP_NONE, IE_OPT_CAP_WORKERS, IE_OPT_CAP_MAX_PIXELS };

enum {
    IE_OPT_ANALYSIS = 1u << 0,       /* changes computed values: a resume must match it */
    IE_OPT_HEADER_NEGATED = 1u << 1, /* the header stores the negation (include_hashes) */
    IE_OPT_DEFAULT_CORES = 1u << 2,  /* the default is the number of online cores, not def */
    /* The header records the setting only when it is not the default, so the headers of scans
     * made before the option existed keep their bytes; a header without it has the default. */
    IE_OPT_HEADER_UNLESS_DEFAULT = 1u << 3,
};

/* One row of the table. */
struct ie_scan_option {
    const char *name;       /* the field's name, also its key in the API's JSON (or NULL) */
    const char *json_key;   /* key in POST /api/v1/scans "options"; NULL: not settable there */
    const char *cli_flag;   /* e.g. "--max-image-dim"; NULL: not on the command line */
    const char *cli_negate; /* a boolean's "off" flag, e.g. "--no-resume", or NULL */
    const char *header_key; /* key in the manifest header's "settings"; NULL: not recorded
                             * (how a scan runs, not what it computes) */
    enum ie_opt_type type;
    size_t offset; /* of the field in struct ie_scan_options */
    double lo, hi; /* accepted range of numbers (inclusive) */
    double def;    /* the default (booleans 0/1); see IE_OPT_DEFAULT_CORES and extensions */
    enum ie_opt_cap cap;
    unsigned flags;
    const char *metavar;      /* the CLI value's name, e.g. "N" */
    const char *help;         /* one line, or several separated by \n */
    const char *default_text; /* printed as the default instead of the value, or NULL */
};

/* The table, in the order of the manifest header's settings. */
size_t ie_scan_option_table(const struct ie_scan_option **rows);
/* The row whose json_key is key, or NULL. */
const struct ie_scan_option *ie_scan_option_by_json_key(const char *key);
/* The row whose cli_flag (*negated = false) or cli_negate (true) is flag, or NULL. */
const struct ie_scan_option *ie_scan_option_by_flag(const char *flag, bool *negated);

/* Fills every field with its row's default (workers: online cores; extensions: the image
 * formats libvips reads). */
void ie_scan_options_init(struct ie_scan_options *o);
/* Whether analyses run in worker processes: asked for (isolate), or needed because a time limit
 * is set (only a worker process can be stopped mid-decode). The one rule every front end follows:
 * the CLI's --image-timeout implies --isolate; the daemon's scan.isolate: false sets no limit. */
bool ie_scan_options_isolated(const struct ie_scan_options *o);
/* Parses "jpg,.PNG" into o->extensions. Returns 0 or IE_EINVAL. */
int ie_scan_options_set_extensions(struct ie_scan_options *o, const char *list, struct ie_err *err);
/* True if name ends with one of the extensions (case-insensitive). */
bool ie_scan_options_match_ext(const struct ie_scan_options *o, const char *name);
/* True if the file at rel (its path relative to the root, len bytes as on disk) belongs to
 * o->shard; always true without a shard. */
bool ie_scan_options_in_shard(const struct ie_scan_options *o, const char *rel, size_t len);
/* Parses "K/N" (1 <= K <= N <= max_count). Returns 0 or IE_EINVAL (err untouched: callers word
 * the message). */
int ie_shard_parse(const char *text, uint32_t max_count, struct ie_shard *out);

/* Upper bounds a front end puts on capped options (0: the table's own bound). */
struct ie_scan_option_caps {
    int64_t workers;
    int64_t max_pixels;
};

/* Sets row's field from command-line text (value ignored for booleans; negated sets "off").
 * Returns 0, or IE_EINVAL with "FLAG needs a ... from LO to HI, not 'TEXT'". */
int ie_scan_option_set_text(const struct ie_scan_option *row, const char *text, bool negated,
                            struct ie_scan_options *o, struct ie_err *err);
/* Sets row's field from a JSON value, within caps (may be NULL). Returns 0, or IE_EINVAL with
 * "options.KEY: expected ...". */
int ie_scan_option_set_json(const struct ie_scan_option *row, const cJSON *v,
                            const struct ie_scan_option_caps *caps, struct ie_scan_options *o,
                            struct ie_err *err);
/* Applies a JSON object of options (keys: json_key) over o. NULL json: nothing to apply.
 * Returns 0, or IE_EINVAL naming the first bad or unknown key. */
int ie_scan_options_apply_json(const char *json, const struct ie_scan_option_caps *caps,
                               struct ie_scan_options *o, struct ie_err *err);
/* Every option settable over the API, as a JSON object (the caller owns it). */
cJSON *ie_scan_options_to_json(const struct ie_scan_options *o);
/* The command-line help of every option with a flag, one per line, indented as in
 * `imgeda scan --help`, into a malloc'd string. */
char *ie_scan_options_usage(void);

/* The "settings" object of the manifest header, as JSON text (malloc'd). */
char *ie_scan_options_settings_json(const struct ie_scan_options *o);
/* True if two settings JSON texts imply the same computed values (the IE_OPT_ANALYSIS rows and
 * the analyzer version; workers, resume, checkpoint_every, force, extensions and shard do not
 * count). Unparseable text compares unequal. */
bool ie_settings_same_analysis(const char *a_json, const char *b_json);
/* The first key that makes ie_settings_same_analysis false (a header key of the table, or
 * "analyzer_version"; "settings" when either text does not parse), or NULL when the same.
 * Static storage. */
const char *ie_settings_analysis_difference(const char *a_json, const char *b_json);
/* The value of key in a settings JSON text, as JSON text ("missing" when absent; the default
 * of a setting recorded only when not the default), malloc'd. For messages. */
char *ie_settings_value_text(const char *settings_json, const char *key);

#endif
