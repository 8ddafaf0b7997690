/* Quality gate (SPEC §4.5): a policy (YAML or JSON, validated strictly) and its evaluation
 * against a manifest, compatible with imgeda's core/gate.py and models/policy.py.
 *
 * Typical use (see cli/cmd_gate.c):
 *   struct ie_policy p;  struct ie_slim_manifest m;  struct ie_gate_result g;
 *   ie_policy_init(&p); ie_slim_manifest_init(&m); ie_gate_result_init(&g);
 *   ie_policy_load(&p, "policy.yaml", &err)      -> "policy.yaml:3:1: max_corupt_pct: ..."
 *   ie_slim_manifest_load("manifest.jsonl", &m, &err);
 *   ie_gate_evaluate(&m, &p, &g);   g.passed ? exit 0 : exit 2
 *   ie_gate_result_release(&g); ie_slim_manifest_release(&m); ie_policy_release(&p);
 *
 * THREADS: plain data; functions touch only their arguments (libyaml keeps no global state). */
#ifndef IMGEDA_GATE_H
#define IMGEDA_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/slim.h"
#include "imgeda/err.h"

struct cJSON;

/* ---- Policy ---- */

/* Policy text larger than this is refused, before parsing. */
#define IE_POLICY_MAX_BYTES (1u << 20)
/* Collections nested deeper than this are refused (a valid policy nests 2 levels). */
#define IE_POLICY_MAX_DEPTH 8
/* allowed_formats holds at most this many names. */
#define IE_POLICY_MAX_FORMATS 64

/* The policy keys, in imgeda's Policy dataclass order. */
enum ie_policy_key {
    IE_POLICY_MAX_CORRUPT_PCT,
    IE_POLICY_MAX_OVEREXPOSED_PCT,
    IE_POLICY_MAX_UNDEREXPOSED_PCT,
    IE_POLICY_MAX_DUPLICATE_PCT,
    IE_POLICY_MAX_BLURRY_PCT,
    IE_POLICY_MAX_ARTIFACT_PCT,
    IE_POLICY_MIN_IMAGES_TOTAL,
    IE_POLICY_MIN_WIDTH,
    IE_POLICY_MIN_HEIGHT,
    IE_POLICY_ALLOWED_FORMATS,
    IE_POLICY_MAX_ASPECT_RATIO,
    IE_POLICY_NKEYS
};

/* Names of the keys, indexed by enum ie_policy_key. */
extern const char *const ie_policy_key_names[IE_POLICY_NKEYS];

/* Defaults (SPEC §4.5): min_images_total 100, max_corrupt_pct 1.0, max_overexposed_pct 5.0,
 * max_underexposed_pct 5.0, max_duplicate_pct 10.0, max_blurry_pct and max_artifact_pct 100.0
 * (off: checked only below 100), min_width/min_height 0 (off), allowed_formats empty (off),
 * max_aspect_ratio 0.0 (off). Every number is >= 0. */
struct ie_policy {
    double max_corrupt_pct, max_overexposed_pct, max_underexposed_pct, max_duplicate_pct;
    double max_blurry_pct, max_artifact_pct;
    int64_t min_images_total, min_width, min_height;
    char **allowed_formats; /* as written; compared case-insensitively with aliases */
    size_t n_allowed_formats;
    double max_aspect_ratio;
    /* Bit (1 << enum ie_policy_key) per number key written as an integer ("5", not "5.0"):
     * imgeda keeps YAML's int and prints such thresholds without a decimal point. */
    uint32_t written_as_int;
    /* Bit per key that the text set (the others hold their defaults). */
    uint32_t present;
};

/* Lifetimes: init fills the defaults; release frees the formats and re-inits. */
void ie_policy_init(struct ie_policy *p);
void ie_policy_release(struct ie_policy *p);

/* Parses a policy from YAML text, or JSON (a YAML flow mapping), named `name` in messages
 * (a file name, or e.g. "request body"). p must be initialised; on success it is replaced,
 * on failure left untouched. An empty document (nothing, comments only, or null) is the
 * default policy. Refused with IE_EINVAL and one line "name:line:col: key: reason" (line and
 * column 1-based; "key: " when the problem belongs to a key): malformed YAML (with libyaml's
 * reason; tabs in indentation are named as such), more than one document, a top level that is
 * not a mapping, keys that are not strings, unknown keys (with a "did you mean" suggestion),
 * duplicate keys, values of the wrong type (numbers must be plain decimal numbers, not quoted
 * strings, booleans or null; min_images_total/min_width/min_height whole numbers;
 * allowed_formats a list of non-empty strings), negative or non-finite numbers, aliases and
 * tags, nesting deeper than IE_POLICY_MAX_DEPTH, more than IE_POLICY_MAX_FORMATS formats.
 * Text over IE_POLICY_MAX_BYTES fails with IE_ELIMIT ("name: ..."). */
int ie_policy_parse(struct ie_policy *p, const char *name, const char *text, size_t len,
                    struct ie_err *err);

/* Where a refused policy went wrong, for editors that mark the place (the message says the
 * same in words). */
struct ie_policy_error_pos {
    size_t line, column; /* 1-based, as in the message; 0 when it has no place (size limit) */
    char key[72];        /* the key it belongs to, as the message shows it, or "" when none */
};

/* ie_policy_parse that also fills *pos (may be NULL) when the policy is refused; pos is left
 * untouched on success. */
int ie_policy_parse_pos(struct ie_policy *p, const char *name, const char *text, size_t len,
                        struct ie_policy_error_pos *pos, struct ie_err *err);

/* Every problem of a refused policy (at most IE_POLICY_MAX_ERRORS, then truncated), in text
 * order, for editors that show them all. */
#define IE_POLICY_MAX_ERRORS 20
struct ie_policy_error {
    struct ie_policy_error_pos pos;
    char message[IE_ERR_MSG_MAX]; /* as ie_err's: "name:line:col: key: reason" */
};
struct ie_policy_errors {
    size_t n;
    bool truncated; /* more problems than IE_POLICY_MAX_ERRORS */
    struct ie_policy_error e[IE_POLICY_MAX_ERRORS];
};

/* ie_policy_parse_pos that reads on past a problem in one key's pair to the next pair and puts
 * every problem in *errs (may be NULL: then it stops at the first, as ie_policy_parse_pos). A
 * failure of the YAML reader ends the list (nothing after it can be read). err and pos get the
 * first problem, the one ie_policy_parse would report. The size limit (IE_ELIMIT) is in err
 * only, with errs->n == 0. */
int ie_policy_parse_all(struct ie_policy *p, const char *name, const char *text, size_t len,
                        struct ie_policy_error_pos *pos, struct ie_policy_errors *errs,
                        struct ie_err *err);

/* Reads and parses the file at path (messages name it as given). IE_ENOENT/IE_EIO when it
 * cannot be read. */
int ie_policy_load(struct ie_policy *p, const char *path, struct ie_err *err);

/* The effective policy as a JSON object with every key, in imgeda's order. Caller frees. */
char *ie_policy_to_json(const struct ie_policy *p);

/* Whether a record's format passes allowed_formats: compared case-insensitively (as imgeda's
 * upper()), and beyond imgeda JPG, JPEG and MPO all mean JPEG and TIF means TIFF. */
bool ie_policy_format_allowed(const struct ie_policy *p, const char *format);

/* ---- Gate ---- */

#define IE_GATE_MAX_CHECKS  11
#define IE_GATE_MAX_SAMPLES 10

struct ie_gate_check {
    const char *name; /* static: "min_images_total", "max_corrupt_pct", ... */
    double threshold;
    bool threshold_is_int; /* printed without ".0", as Python prints a YAML int */
    double observed;       /* rounded like imgeda: percentages and aspect ratio to 2 decimals */
    bool observed_is_int;  /* max_aspect_ratio from a record holding an integer ratio */
    bool passed;
    char *sample_paths[IE_GATE_MAX_SAMPLES]; /* owned; the first offenders in manifest order */
    size_t n_samples;
};

struct ie_gate_result {
    bool passed;
    size_t total_images;
    struct ie_gate_check checks[IE_GATE_MAX_CHECKS];
    size_t n_checks;
};

void ie_gate_result_init(struct ie_gate_result *g);
void ie_gate_result_release(struct ie_gate_result *g);

/* Evaluates the policy as imgeda's evaluate_policy does, over one record per path: checks in
 * the order min_images_total, max_corrupt_pct, max_overexposed_pct, max_underexposed_pct,
 * max_duplicate_pct, then only when enabled max_blurry_pct (< 100), max_artifact_pct (< 100),
 * min_width (> 0), min_height (> 0), allowed_formats (non-empty), max_aspect_ratio (> 0). An
 * empty manifest gives the single failed check min_images_total. g must be initialised or
 * released; the result owns its strings. Never fails. */
void ie_gate_evaluate(const struct ie_slim_manifest *m, const struct ie_policy *p,
                      struct ie_gate_result *g);

/* imgeda's GateResult.to_dict() as a cJSON tree: {passed, total_images, checks: [{name,
 * threshold, observed, passed, sample_paths}]}, floats with a decimal point where Python prints
 * a float. Caller deletes. */
struct cJSON *ie_gate_result_to_cjson(const struct ie_gate_result *g);

/* The same as text: pretty = indented by 2 like imgeda's -o file, else one line. Caller frees. */
char *ie_gate_result_to_json(const struct ie_gate_result *g, bool pretty);

#endif
