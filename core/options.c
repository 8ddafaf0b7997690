/* Scan options, defined once: the table every front end reads (see imgeda/options.h).
 * DESIGN: like redis' static_configs[], one row per option carries everything a reader needs,
 * so parsing (CLI text, API JSON), help, defaults and the manifest header cannot drift apart.
 * The rows are in the order of the manifest header's "settings", which must stay byte-stable
 * (resume compares settings, and users diff manifests). */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xxhash.h>

#include "imgeda/options.h"
#include "imgeda/record.h"
#include "imgeda/util.h"

static const char *const default_extensions[] = {".jpg",  ".jpeg", ".png",  ".bmp",
                                                 ".tiff", ".tif",  ".webp", ".gif",
                                                 ".heic", ".heif", ".avif", ".jxl"};

#define OFF(field) offsetof(struct ie_scan_options, field)
#define AN         IE_OPT_ANALYSIS

/* name, json key, CLI flag, CLI "off" flag, header key, type, offset, lo, hi, cap, flags,
 * default, cap, flags, metavar, help, default text (printed instead of the default). */
static const struct ie_scan_option rows[] = {
    {"workers", "workers", "--workers", NULL, "workers", IE_OPT_INT, OFF(workers), 1, 1024, 0,
     IE_OPT_CAP_WORKERS, IE_OPT_DEFAULT_CORES, "N", "analysis threads", "number of cores"},
    {"checkpoint_every", "checkpoint_every", "--checkpoint-every", NULL, "checkpoint_every",
     IE_OPT_INT, OFF(checkpoint_every), 1, 1e7, 500, IE_OPT_CAP_NONE, 0, "N",
     "records between durable checkpoints", NULL},
    {"no_hashes", "no_hashes", "--no-hashes", NULL, "include_hashes", IE_OPT_BOOL, OFF(no_hashes),
     0, 1, 0, IE_OPT_CAP_NONE, AN | IE_OPT_HEADER_NEGATED, NULL, "do not compute perceptual hashes",
     NULL},
    {"skip_pixel_stats", "skip_pixel_stats", "--skip-pixel-stats", NULL, "skip_pixel_stats",
     IE_OPT_BOOL, OFF(skip_pixel_stats), 0, 1, 0, IE_OPT_CAP_NONE, AN, NULL,
     "metadata only: no pixel, corner or blur statistics", NULL},
    {"skip_exif", "skip_exif", "--skip-exif", NULL, "skip_exif", IE_OPT_BOOL, OFF(skip_exif), 0, 1,
     0, IE_OPT_CAP_NONE, AN, NULL, "do not read EXIF", NULL},
    {"skip_blur", "skip_blur", "--skip-blur", NULL, "skip_blur", IE_OPT_BOOL, OFF(skip_blur), 0, 1,
     0, IE_OPT_CAP_NONE, AN, NULL, "do not compute the blur score", NULL},
    {"dark_threshold", "dark_threshold", "--dark-threshold", NULL, "dark_threshold", IE_OPT_DOUBLE,
     OFF(dark_threshold), 0, 1e9, 40, IE_OPT_CAP_NONE, AN, "F", "mean brightness below F is dark",
     NULL},
    {"overexposed_threshold", "overexposed_threshold", "--overexposed-threshold", NULL,
     "overexposed_threshold", IE_OPT_DOUBLE, OFF(overexposed_threshold), 0, 1e9, 220,
     IE_OPT_CAP_NONE, AN, "F", "mean brightness above F is overexposed", NULL},
    {"artifact_threshold", "artifact_threshold", "--artifact-threshold", NULL, "artifact_threshold",
     IE_OPT_DOUBLE, OFF(artifact_threshold), 0, 1e9, 50, IE_OPT_CAP_NONE, AN, "F",
     "corner/centre delta above F is a border artifact", NULL},
    {"blur_threshold", "blur_threshold", "--blur-threshold", NULL, "blur_threshold", IE_OPT_DOUBLE,
     OFF(blur_threshold), 0, 1e9, 100, IE_OPT_CAP_NONE, AN, "F", "blur score below F is blurry",
     NULL},
    {"corner_patch_fraction", NULL, NULL, NULL, "corner_patch_fraction", IE_OPT_DOUBLE,
     OFF(corner_patch_fraction), 0, 0.5, 0.1, IE_OPT_CAP_NONE, AN, NULL,
     "share of each side the corner patches cover (fixed)", NULL},
    {"max_image_dim", "max_image_dim", "--max-image-dim", NULL, "max_image_dimension", IE_OPT_INT,
     OFF(max_image_dim), 16, 65535, 2048, IE_OPT_CAP_NONE, AN, "N", "working-image size limit",
     NULL},
    {"hash_size", NULL, NULL, NULL, "hash_size", IE_OPT_INT, OFF(hash_size), 16, 16, 16,
     IE_OPT_CAP_NONE, AN, NULL, "perceptual hash side (fixed: 256-bit hashes)", NULL},
    {"max_pixels", "max_pixels", "--max-pixels", NULL, "max_pixels", IE_OPT_INT64, OFF(max_pixels),
     1, 1099511627776.0, 178956970, IE_OPT_CAP_MAX_PIXELS, AN, "N",
     "larger images are corrupt, not decoded", NULL},
    {"max_file_bytes", NULL, NULL, NULL, "max_file_bytes", IE_OPT_INT64, OFF(max_file_bytes), 1,
     1099511627776.0, 2147483648.0, IE_OPT_CAP_NONE, AN, NULL,
     "larger files are corrupt, not read (fixed)", NULL},
    /* Off by default: the DCT-domain shrink changes blur_score by 8-17% on >= 4096 px JPEGs
     * (measured against Pillow with tests/oracle), beyond SPEC §3.4's 1%. Opt in for speed. */
    {"shrink_on_load", "shrink_on_load", "--shrink-on-load", NULL, "shrink_on_load", IE_OPT_BOOL,
     OFF(shrink_on_load), 0, 1, 0, IE_OPT_CAP_NONE, AN, NULL,
     "faster decode of JPEGs >= 2x max-image-dim; changes\nblur_score by ~10% there (off by "
     "default, for compat;\nsee --profile fast, which subsumes it)",
     NULL},
    /* Recorded only when fast: the headers of compatible scans keep the bytes they had before
     * profiles existed, and a header without it was a compatible scan. */
    {"profile", "profile", "--profile", NULL, "profile", IE_OPT_CHOICE, OFF(profile), 0, 1,
     IE_PROFILE_COMPATIBLE, IE_OPT_CAP_NONE, AN | IE_OPT_HEADER_UNLESS_DEFAULT, "compatible|fast",
     "compatible: full-resolution decode, values as Python\nimgeda's; fast: decode at the JPEG "
     "DCT / WebP scale\nnearest above max-image-dim, blur_score rescaled\n(flags agree, values "
     "differ slightly)",
     "compatible"},
    {"resume", NULL, "--resume", "--no-resume", "resume", IE_OPT_BOOL, OFF(resume), 0, 1, 1,
     IE_OPT_CAP_NONE, 0, NULL, "reuse records of unchanged files", "--resume"},
    {"force", "force", "--force", NULL, "force", IE_OPT_BOOL, OFF(force), 0, 1, 0, IE_OPT_CAP_NONE,
     0, NULL, "re-analyse everything, overwriting OUT", NULL},
    {"isolate", NULL, "--isolate", NULL, NULL, IE_OPT_BOOL, OFF(isolate), 0, 1, 0, IE_OPT_CAP_NONE,
     0, NULL,
     "analyse in worker processes: a decoder that crashes\nor hangs costs one image, not the scan",
     NULL},
    {"image_timeout_s", NULL, "--image-timeout", NULL, NULL, IE_OPT_DOUBLE, OFF(image_timeout_s), 0,
     86400, 0, IE_OPT_CAP_NONE, 0, "S",
     "seconds an image may take before it becomes an error\nrecord \"timed out\" (implies "
     "--isolate; 0: no limit)",
     NULL},
    /* Not an API option: a daemon scan is one whole root. Recorded only when given, so the
     * manifests of whole scans keep their bytes, and merge knows which shards it was given. */
    {"shard", NULL, "--shard", NULL, "shard", IE_OPT_SHARD, OFF(shard), 1, IE_SHARD_MAX, 1,
     IE_OPT_CAP_NONE, 0, "K/N",
     "analyse only shard K of N (by a hash of each file's\npath under DIR); merge the parts "
     "with imgeda merge",
     "all files"},
    {"extensions", "extensions", "--extensions", NULL, "extensions", IE_OPT_EXTENSIONS,
     OFF(extensions), 0, 0, 0, IE_OPT_CAP_NONE, 0, "LIST", "comma-separated, e.g. jpg,png",
     "jpg jpeg png bmp\ntiff tif webp gif heic heif avif jxl"},
};

#undef AN
#undef OFF

size_t ie_scan_option_table(const struct ie_scan_option **out)
{
    *out = rows;
    return IE_ARRAY_LEN(rows);
}

const struct ie_scan_option *ie_scan_option_by_json_key(const char *key)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(rows); i++)
        if (rows[i].json_key && strcmp(rows[i].json_key, key) == 0)
            return &rows[i];
    return NULL;
}

const struct ie_scan_option *ie_scan_option_by_flag(const char *flag, bool *negated)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(rows); i++) {
        if (rows[i].cli_flag && strcmp(rows[i].cli_flag, flag) == 0) {
            *negated = false;
            return &rows[i];
        }
        if (rows[i].cli_negate && strcmp(rows[i].cli_negate, flag) == 0) {
            *negated = true;
            return &rows[i];
        }
    }
    return NULL;
}

/* Stores a number already checked against the row's range into its field (booleans: 0 or 1;
 * extensions are not numbers and are left alone). */
static void store_number(const struct ie_scan_option *row, double v, struct ie_scan_options *o)
{
    char *at = (char *)o + row->offset;
    switch (row->type) {
    case IE_OPT_INT:
        *(int *)at = (int)v;
        break;
    case IE_OPT_INT64:
        *(int64_t *)at = (int64_t)v;
        break;
    case IE_OPT_DOUBLE:
        *(double *)at = v;
        break;
    case IE_OPT_BOOL:
        *(bool *)at = v != 0;
        break;
    case IE_OPT_CHOICE:
        *(int *)at = (int)v;
        break;
    case IE_OPT_SHARD: /* shard 1 of v: with the default 1, the whole root */
        *(struct ie_shard *)at = (struct ie_shard){1, (uint32_t)v};
        break;
    case IE_OPT_EXTENSIONS:
        break;
    }
}

void ie_scan_options_init(struct ie_scan_options *o)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < IE_ARRAY_LEN(rows); i++) {
        const struct ie_scan_option *row = &rows[i];
        double def = row->def;
        if (row->flags & IE_OPT_DEFAULT_CORES) {
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            def = cores > 0 ? (double)cores : 1;
        }
        if (row->type == IE_OPT_EXTENSIONS) {
            for (size_t k = 0; k < IE_ARRAY_LEN(default_extensions); k++)
                snprintf(o->extensions[k], sizeof(o->extensions[k]), "%s", default_extensions[k]);
            o->n_extensions = IE_ARRAY_LEN(default_extensions);
        } else {
            store_number(row, def, o);
        }
    }
}

bool ie_scan_options_isolated(const struct ie_scan_options *o)
{
    return o->isolate || o->image_timeout_s > 0;
}

/* Whether text can be a file name's extension that the manifest header, JSON replies and
 * listings carry as it is: valid UTF-8 without control characters, quotes, backslashes or
 * slashes. */
static bool extension_text_ok(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '/')
            return false;
    }
    /* Sanitizing rewrites each invalid byte as longer text, so valid UTF-8 comes back alike. */
    char *clean = ie_utf8_sanitize(p, len);
    bool ok = strlen(clean) == len && memcmp(clean, p, len) == 0;
    free(clean);
    return ok;
}

int ie_scan_options_set_extensions(struct ie_scan_options *o, const char *list, struct ie_err *err)
{
    size_t n = 0;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        while (len && *p == '.') {
            p++;
            len--;
        }
        if (len) {
            if (n >= IE_MAX_EXTENSIONS)
                return ie_err_set(err, IE_EINVAL, "too many extensions (at most %d)",
                                  IE_MAX_EXTENSIONS);
            if (len + 2 > sizeof(o->extensions[0]))
                return ie_err_set(err, IE_EINVAL, "extension too long: %.*s", (int)len, p);
            if (!extension_text_ok(p, len))
                return ie_err_set(err, IE_EINVAL,
                                  "extension %zu is not a file name extension (it holds a control "
                                  "character, a quote, a backslash, a slash or invalid UTF-8)",
                                  n + 1);
            o->extensions[n][0] = '.';
            for (size_t i = 0; i < len; i++)
                o->extensions[n][i + 1] = (char)tolower((unsigned char)p[i]);
            o->extensions[n][len + 1] = '\0';
            n++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (n == 0)
        return ie_err_set(err, IE_EINVAL, "no extensions in \"%s\"", list);
    o->n_extensions = n;
    return 0;
}

bool ie_scan_options_in_shard(const struct ie_scan_options *o, const char *rel, size_t len)
{
    if (o->shard.count <= 1)
        return true;
    return XXH3_64bits(rel, len) % o->shard.count == o->shard.index - 1;
}

int ie_shard_parse(const char *text, uint32_t max_count, struct ie_shard *out)
{
    char *end;
    /* Digits only: strtoul alone would take "-1", " 2" or "+3". */
    if (!isdigit((unsigned char)text[0]))
        return IE_EINVAL;
    unsigned long k = strtoul(text, &end, 10);
    if (*end != '/' || !isdigit((unsigned char)end[1]))
        return IE_EINVAL;
    unsigned long n = strtoul(end + 1, &end, 10);
    if (*end || k < 1 || n < 1 || k > n || n > max_count)
        return IE_EINVAL;
    out->index = (uint32_t)k;
    out->count = (uint32_t)n;
    return 0;
}

bool ie_scan_options_match_ext(const struct ie_scan_options *o, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < o->n_extensions; i++) {
        size_t el = strlen(o->extensions[i]);
        if (el <= nl && strcasecmp(name + nl - el, o->extensions[i]) == 0)
            return true;
    }
    return false;
}

/* ---- setting one option ---- */

static double upper_bound(const struct ie_scan_option *row, const struct ie_scan_option_caps *c)
{
    int64_t cap = !c                                  ? 0
                  : row->cap == IE_OPT_CAP_WORKERS    ? c->workers
                  : row->cap == IE_OPT_CAP_MAX_PIXELS ? c->max_pixels
                                                      : 0;
    return cap > 0 && (double)cap < row->hi ? (double)cap : row->hi;
}

static bool is_whole(double v)
{
    return v == floor(v) && fabs(v) < 9.2e18;
}

/* The index of name among the row's choices (its metavar "a|b|c"), or -1. */
static int choice_index(const struct ie_scan_option *row, const char *name)
{
    size_t len = strlen(name);
    int i = 0;
    for (const char *p = row->metavar;; i++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0)
            return i;
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

/* Appends choice i of the row (its name, without quotes). */
static void add_choice(struct ie_buf *b, const struct ie_scan_option *row, int i)
{
    const char *p = row->metavar;
    for (; i > 0 && strchr(p, '|'); i--)
        p = strchr(p, '|') + 1;
    const char *bar = strchr(p, '|');
    ie_buf_addf(b, "%.*s", (int)(bar ? (size_t)(bar - p) : strlen(p)), p);
}

/* The name of choice i of the row, malloc'd. */
static char *choice_name(const struct ie_scan_option *row, int i)
{
    struct ie_buf b;
    ie_buf_init(&b);
    add_choice(&b, row, i);
    return ie_buf_detach(&b);
}

int ie_scan_option_set_text(const struct ie_scan_option *row, const char *text, bool negated,
                            struct ie_scan_options *o, struct ie_err *err)
{
    char *end;
    if (row->type == IE_OPT_BOOL) {
        *(bool *)((char *)o + row->offset) = !negated;
        return 0;
    }
    if (row->type == IE_OPT_EXTENSIONS) {
        struct ie_err e = {0};
        if (ie_scan_options_set_extensions(o, text, &e) < 0)
            return ie_err_set(err, e.code, "%s: %s", row->cli_flag, e.msg);
        return 0;
    }
    if (row->type == IE_OPT_SHARD) {
        if (ie_shard_parse(text, (uint32_t)row->hi, (struct ie_shard *)((char *)o + row->offset)))
            return ie_err_set(err, IE_EINVAL,
                              "%s needs K/N, a shard K from 1 to N of N from %.15g to %.15g, "
                              "not '%s'",
                              row->cli_flag, row->lo, row->hi, text);
        return 0;
    }
    if (row->type == IE_OPT_CHOICE) {
        int i = choice_index(row, text);
        if (i < 0)
            return ie_err_set(err, IE_EINVAL, "%s needs one of %s, not '%s'", row->cli_flag,
                              row->metavar, text);
        store_number(row, i, o);
        return 0;
    }
    double v = strtod(text, &end);
    bool whole = row->type != IE_OPT_DOUBLE;
    if (!*text || *end || isnan(v) || (whole && !is_whole(v)) || v < row->lo || v > row->hi)
        return ie_err_set(err, IE_EINVAL, "%s needs a %s from %.15g to %.15g, not '%s'",
                          row->cli_flag, whole ? "whole number" : "number", row->lo, row->hi, text);
    store_number(row, v, o);
    return 0;
}

static int set_json_extensions(const cJSON *v, struct ie_scan_options *o, struct ie_err *err)
{
    struct ie_buf b;
    int rc;
    ie_buf_init(&b);
    if (cJSON_IsString(v)) {
        ie_buf_adds(&b, v->valuestring);
    } else if (cJSON_IsArray(v)) {
        for (const cJSON *e = v->child; e; e = e->next) {
            if (!cJSON_IsString(e)) {
                ie_buf_release(&b);
                return ie_err_set(err, IE_EINVAL, "options.extensions: expected strings");
            }
            ie_buf_addf(&b, "%s,", e->valuestring);
        }
    } else {
        return ie_err_set(err, IE_EINVAL, "options.extensions: expected \"jpg,png\" or a list");
    }
    rc = ie_scan_options_set_extensions(o, b.data ? b.data : "", err);
    ie_buf_release(&b);
    return rc;
}

int ie_scan_option_set_json(const struct ie_scan_option *row, const cJSON *v,
                            const struct ie_scan_option_caps *caps, struct ie_scan_options *o,
                            struct ie_err *err)
{
    double hi = upper_bound(row, caps);
    double d = v->valuedouble;
    switch (row->type) {
    case IE_OPT_BOOL:
        if (!cJSON_IsBool(v))
            return ie_err_set(err, IE_EINVAL, "options.%s: expected true or false", row->json_key);
        *(bool *)((char *)o + row->offset) = cJSON_IsTrue(v);
        return 0;
    case IE_OPT_EXTENSIONS:
        return set_json_extensions(v, o, err);
    case IE_OPT_SHARD:
        return ie_err_set(err, IE_EINVAL, "options.%s: not an API option", row->json_key);
    case IE_OPT_CHOICE: {
        int i = cJSON_IsString(v) ? choice_index(row, v->valuestring) : -1;
        if (i < 0)
            return ie_err_set(err, IE_EINVAL, "options.%s: expected one of \"%s\"", row->json_key,
                              row->metavar);
        store_number(row, i, o);
        return 0;
    }
    case IE_OPT_DOUBLE:
        if (!cJSON_IsNumber(v) || d < row->lo || d > hi)
            return ie_err_set(err, IE_EINVAL, "options.%s: expected a number in %.15g..%.15g",
                              row->json_key, row->lo, hi);
        break;
    case IE_OPT_INT:
    case IE_OPT_INT64:
        if (!cJSON_IsNumber(v) || !is_whole(d) || d < row->lo || d > hi)
            return ie_err_set(err, IE_EINVAL, "options.%s: expected a whole number in %g..%g",
                              row->json_key, row->lo, hi);
        break;
    }
    store_number(row, d, o);
    return 0;
}

int ie_scan_options_apply_json(const char *json, const struct ie_scan_option_caps *caps,
                               struct ie_scan_options *o, struct ie_err *err)
{
    cJSON *root;
    int rc = 0;
    if (!json)
        return 0;
    root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        rc = ie_err_set(err, IE_EINVAL, "options: expected a JSON object");
        goto out;
    }
    for (const cJSON *it = root->child; it; it = it->next) {
        const struct ie_scan_option *row = ie_scan_option_by_json_key(it->string);
        if (!row) {
            rc = ie_err_set(err, IE_EINVAL, "options.%s: unknown option", it->string);
            goto out;
        }
        if ((rc = ie_scan_option_set_json(row, it, caps, o, err)) < 0)
            goto out;
    }
out:
    cJSON_Delete(root);
    return rc;
}

cJSON *ie_scan_options_to_json(const struct ie_scan_options *o)
{
    cJSON *d = cJSON_CreateObject();
    for (size_t i = 0; i < IE_ARRAY_LEN(rows); i++) {
        const struct ie_scan_option *row = &rows[i];
        const char *at = (const char *)o + row->offset;
        if (!row->json_key)
            continue;
        switch (row->type) {
        case IE_OPT_BOOL:
            cJSON_AddBoolToObject(d, row->json_key, *(const bool *)at);
            break;
        case IE_OPT_DOUBLE:
            cJSON_AddNumberToObject(d, row->json_key, *(const double *)at);
            break;
        case IE_OPT_INT:
            cJSON_AddNumberToObject(d, row->json_key, *(const int *)at);
            break;
        case IE_OPT_INT64:
            cJSON_AddNumberToObject(d, row->json_key, (double)*(const int64_t *)at);
            break;
        case IE_OPT_EXTENSIONS: {
            cJSON *ext = cJSON_AddArrayToObject(d, row->json_key);
            for (size_t k = 0; k < o->n_extensions; k++)
                cJSON_AddItemToArray(ext, cJSON_CreateString(o->extensions[k]));
            break;
        }
        case IE_OPT_CHOICE: {
            char *name = choice_name(row, *(const int *)at);
            cJSON_AddStringToObject(d, row->json_key, name);
            free(name);
            break;
        }
        case IE_OPT_SHARD:
            break;
        }
    }
    return d;
}

/* ---- help ---- */

#define HELP_COLUMN 31

/* Appends text whose lines after the first are indented to the help column. */
static void add_help_text(struct ie_buf *b, const char *text)
{
    for (const char *p = text; *p; p++) {
        ie_buf_addf(b, "%c", *p);
        if (*p == '\n')
            ie_buf_addf(b, "%*s", HELP_COLUMN, "");
    }
}

static void add_default(struct ie_buf *b, const struct ie_scan_option *row,
                        const struct ie_scan_options *d)
{
    const char *at = (const char *)d + row->offset;
    char num[40];
    if (row->default_text) {
        ie_buf_adds(b, " (default: ");
        add_help_text(b, row->default_text);
        ie_buf_adds(b, ")");
        return;
    }
    switch (row->type) {
    case IE_OPT_INT:
        ie_buf_addf(b, " (default %d)", *(const int *)at);
        break;
    case IE_OPT_INT64:
        ie_buf_addf(b, " (default %lld)", (long long)*(const int64_t *)at);
        break;
    case IE_OPT_DOUBLE:
        ie_fmt_double(num, sizeof(num), *(const double *)at);
        ie_buf_addf(b, " (default %s)", num);
        break;
    case IE_OPT_BOOL:
    case IE_OPT_EXTENSIONS:
    case IE_OPT_SHARD:
    case IE_OPT_CHOICE:
        break;
    }
}

char *ie_scan_options_usage(void)
{
    struct ie_scan_options d;
    struct ie_buf b;
    char flag[64];
    ie_scan_options_init(&d);
    ie_buf_init(&b);
    for (size_t i = 0; i < IE_ARRAY_LEN(rows); i++) {
        const struct ie_scan_option *row = &rows[i];
        if (!row->cli_flag)
            continue;
        snprintf(flag, sizeof(flag), "%s%s%s%s%s", row->cli_flag, row->metavar ? " " : "",
                 row->metavar ? row->metavar : "", row->cli_negate ? " / " : "",
                 row->cli_negate ? row->cli_negate : "");
        ie_buf_addf(&b, "      %-*s  ", HELP_COLUMN - 8, flag);
        add_help_text(&b, row->help);
        add_default(&b, row, &d);
        ie_buf_adds(&b, "\n");
    }
    return ie_buf_detach(&b);
}

/* ---- the manifest header ---- */

char *ie_scan_options_settings_json(const struct ie_scan_options *o)
{
    struct ie_buf b;
    char num[40];
    ie_buf_init(&b);
    ie_buf_adds(&b, "{");
    for (size_t i = 0; i < IE_ARRAY_LEN(rows); i++) {
        const struct ie_scan_option *row = &rows[i];
        const char *at = (const char *)o + row->offset;
        if (row->type == IE_OPT_EXTENSIONS || !row->header_key)
            continue; /* extensions last, after the analyzer version */
        if (row->type == IE_OPT_SHARD && ((const struct ie_shard *)at)->count <= 1)
            continue; /* a whole scan: its header stays as it was before shards existed */
        if ((row->flags & IE_OPT_HEADER_UNLESS_DEFAULT) && *(const int *)at == (int)row->def)
            continue; /* only IE_OPT_CHOICE rows carry this flag */
        ie_buf_addf(&b, "%s\"%s\":", b.len > 1 ? "," : "", row->header_key);
        switch (row->type) {
        case IE_OPT_BOOL: {
            bool v = *(const bool *)at != ((row->flags & IE_OPT_HEADER_NEGATED) != 0);
            ie_buf_adds(&b, v ? "true" : "false");
            break;
        }
        case IE_OPT_INT:
            ie_buf_addf(&b, "%d", *(const int *)at);
            break;
        case IE_OPT_INT64:
            ie_buf_addf(&b, "%lld", (long long)*(const int64_t *)at);
            break;
        case IE_OPT_DOUBLE:
            ie_fmt_double(num, sizeof(num), *(const double *)at);
            ie_buf_adds(&b, num);
            break;
        case IE_OPT_SHARD: {
            const struct ie_shard *sh = (const struct ie_shard *)at;
            ie_buf_addf(&b, "\"%u/%u\"", (unsigned)sh->index, (unsigned)sh->count);
            break;
        }
        case IE_OPT_CHOICE:
            ie_buf_adds(&b, "\"");
            add_choice(&b, row, *(const int *)at);
            ie_buf_adds(&b, "\"");
            break;
        case IE_OPT_EXTENSIONS:
            break;
        }
    }
    ie_buf_addf(&b, ",\"analyzer_version\":\"%s\",\"extensions\":[", IE_ANALYZER_VERSION);
    for (size_t i = 0; i < o->n_extensions; i++) {
        /* Escaped by cJSON: set_extensions refuses what needs escaping, but the header must
         * stay JSON whatever a caller put into the array. */
        cJSON *s = cJSON_CreateString(o->extensions[i]);
        char *text = cJSON_PrintUnformatted(s);
        if (!text)
            abort(); /* cJSON fails only when out of memory */
        ie_buf_addf(&b, "%s%s", i ? "," : "", text);
        free(text);
        cJSON_Delete(s);
    }
    ie_buf_adds(&b, "]}");
    return ie_buf_detach(&b);
}

static bool same_key(const cJSON *a, const cJSON *b, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, key);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, key);
    return x && y && cJSON_Compare(x, y, true);
}

/* Whether a and b have the same value of the row's setting; with IE_OPT_HEADER_UNLESS_DEFAULT,
 * a header without the key has the default. */
static bool same_setting(const cJSON *a, const cJSON *b, const struct ie_scan_option *row)
{
    if (!(row->flags & IE_OPT_HEADER_UNLESS_DEFAULT))
        return same_key(a, b, row->header_key);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, row->header_key);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, row->header_key);
    char *def = choice_name(row, (int)row->def);
    const char *vx = !x ? def : cJSON_IsString(x) ? x->valuestring : NULL;
    const char *vy = !y ? def : cJSON_IsString(y) ? y->valuestring : NULL;
    bool same = vx && vy && strcmp(vx, vy) == 0;
    free(def);
    return same;
}

const char *ie_settings_analysis_difference(const char *a_json, const char *b_json)
{
    cJSON *a = cJSON_Parse(a_json), *b = cJSON_Parse(b_json);
    const char *diff = NULL;
    if (!a || !b)
        diff = "settings";
    else if (!same_key(a, b, "analyzer_version"))
        diff = "analyzer_version";
    for (size_t i = 0; !diff && i < IE_ARRAY_LEN(rows); i++)
        if ((rows[i].flags & IE_OPT_ANALYSIS) && !same_setting(a, b, &rows[i]))
            diff = rows[i].header_key;
    cJSON_Delete(a);
    cJSON_Delete(b);
    return diff;
}

char *ie_settings_value_text(const char *settings_json, const char *key)
{
    cJSON *j = cJSON_Parse(settings_json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    char *text = NULL;
    if (v) {
        text = cJSON_PrintUnformatted(v);
    } else if (j) {
        for (size_t i = 0; !text && i < IE_ARRAY_LEN(rows); i++) {
            if (!(rows[i].flags & IE_OPT_HEADER_UNLESS_DEFAULT) ||
                strcmp(rows[i].header_key, key) != 0)
                continue;
            struct ie_buf b;
            ie_buf_init(&b);
            ie_buf_adds(&b, "\"");
            add_choice(&b, &rows[i], (int)rows[i].def);
            ie_buf_adds(&b, "\"");
            text = ie_buf_detach(&b);
        }
    }
    cJSON_Delete(j);
    return text ? text : ie_xstrdup("missing");
}

bool ie_settings_same_analysis(const char *a_json, const char *b_json)
{
    return ie_settings_analysis_difference(a_json, b_json) == NULL;
}
