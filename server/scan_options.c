/* Scan options as the API takes them (see jobs.h): JSON over the daemon's defaults, and back. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>

#include "imgeda/util.h"
#include "jobs.h"

/* The API's scan options: one table for the parser and for srv_scan_options_to_json, so the
 * options a client is told about are the ones it may send. "extensions" is handled apart. */
enum opt_kind { OPT_BOOL, OPT_NUMBER, OPT_INT, OPT_INT64 };
enum opt_limit { LIMIT_FIXED, LIMIT_CFG_WORKERS, LIMIT_CFG_MAX_PIXELS };
static const struct scan_option_field {
    const char *name;
    enum opt_kind kind;
    size_t offset;
    double lo, hi;        /* whole numbers: the accepted range */
    enum opt_limit limit; /* hi taken from the daemon's config instead */
} scan_option_fields[] = {
#define F(name, kind, lo, hi, limit)                                                               \
    {                                                                                              \
#name, kind, offsetof(struct ie_scan_options, name), lo, hi, limit                         \
    }
    F(dark_threshold, OPT_NUMBER, 0, 1e9, LIMIT_FIXED),
    F(overexposed_threshold, OPT_NUMBER, 0, 1e9, LIMIT_FIXED),
    F(artifact_threshold, OPT_NUMBER, 0, 1e9, LIMIT_FIXED),
    F(blur_threshold, OPT_NUMBER, 0, 1e9, LIMIT_FIXED),
    F(workers, OPT_INT, 1, 0, LIMIT_CFG_WORKERS),
    F(checkpoint_every, OPT_INT, 1, 1e7, LIMIT_FIXED),
    F(max_image_dim, OPT_INT, 16, 65535, LIMIT_FIXED),
    F(max_pixels, OPT_INT64, 1, 0, LIMIT_CFG_MAX_PIXELS),
    F(force, OPT_BOOL, 0, 0, LIMIT_FIXED),
    F(skip_pixel_stats, OPT_BOOL, 0, 0, LIMIT_FIXED),
    F(skip_exif, OPT_BOOL, 0, 0, LIMIT_FIXED),
    F(skip_blur, OPT_BOOL, 0, 0, LIMIT_FIXED),
    F(no_hashes, OPT_BOOL, 0, 0, LIMIT_FIXED),
    F(shrink_on_load, OPT_BOOL, 0, 0, LIMIT_FIXED),
#undef F
};

static const struct scan_option_field *scan_option_field(const char *name)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(scan_option_fields); i++)
        if (strcmp(scan_option_fields[i].name, name) == 0)
            return &scan_option_fields[i];
    return NULL;
}

/* Stores one option's JSON value into o, or returns IE_EINVAL naming it. */
static int set_scan_option(const struct scan_option_field *f, const cJSON *it,
                           const struct srv_config *cfg, struct ie_scan_options *o,
                           struct ie_err *err)
{
    char *at = (char *)o + f->offset;
    double v = it->valuedouble;
    double hi = f->limit == LIMIT_CFG_WORKERS      ? (double)cfg->workers
                : f->limit == LIMIT_CFG_MAX_PIXELS ? (double)cfg->max_pixels
                                                   : f->hi;
    switch (f->kind) {
    case OPT_BOOL:
        if (!cJSON_IsBool(it))
            return ie_err_set(err, IE_EINVAL, "options.%s: expected true or false", f->name);
        *(bool *)at = cJSON_IsTrue(it);
        return 0;
    case OPT_NUMBER:
        if (!cJSON_IsNumber(it) || v < f->lo || v > hi)
            return ie_err_set(err, IE_EINVAL, "options.%s: expected a number >= 0", f->name);
        *(double *)at = v;
        return 0;
    case OPT_INT:
    case OPT_INT64:
        if (!cJSON_IsNumber(it) || v != (double)(int64_t)v || v < f->lo || v > hi)
            return ie_err_set(err, IE_EINVAL, "options.%s: expected a whole number in %g..%g",
                              f->name, f->lo, hi);
        if (f->kind == OPT_INT)
            *(int *)at = (int)v;
        else
            *(int64_t *)at = (int64_t)v;
        return 0;
    }
    return ie_err_set(err, IE_EINVAL, "options.%s: unknown option", f->name);
}

int srv_scan_options_from_json(const char *json, const struct srv_config *cfg,
                               struct ie_scan_options *o, struct ie_err *err)
{
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    int rc = 0;
    ie_scan_options_init(o);
    o->workers = (int)cfg->workers;
    o->checkpoint_every = (int)cfg->checkpoint_every;
    o->max_pixels = cfg->max_pixels;
    if (!json)
        return 0;
    if (!root || !cJSON_IsObject(root)) {
        rc = ie_err_set(err, IE_EINVAL, "options: expected a JSON object");
        goto out;
    }
    for (cJSON *it = root->child; it; it = it->next) {
        const char *k = it->string;
        const struct scan_option_field *f = scan_option_field(k);
        if (f) {
            if ((rc = set_scan_option(f, it, cfg, o, err)) < 0)
                goto out;
        } else if (strcmp(k, "extensions") == 0) {
            struct ie_buf b;
            ie_buf_init(&b);
            if (cJSON_IsString(it)) {
                ie_buf_adds(&b, it->valuestring);
            } else if (cJSON_IsArray(it)) {
                for (cJSON *e = it->child; e; e = e->next) {
                    if (!cJSON_IsString(e)) {
                        ie_buf_release(&b);
                        rc = ie_err_set(err, IE_EINVAL, "options.extensions: expected strings");
                        goto out;
                    }
                    ie_buf_addf(&b, "%s,", e->valuestring);
                }
            } else {
                rc = ie_err_set(err, IE_EINVAL,
                                "options.extensions: expected \"jpg,png\" or a list");
                goto out;
            }
            rc = ie_scan_options_set_extensions(o, b.data ? b.data : "", err);
            ie_buf_release(&b);
            if (rc < 0)
                goto out;
        } else {
            rc = ie_err_set(err, IE_EINVAL, "options.%s: unknown option", k);
            goto out;
        }
    }
out:
    cJSON_Delete(root);
    return rc;
}

cJSON *srv_scan_options_to_json(const struct ie_scan_options *o)
{
    cJSON *d = cJSON_CreateObject();
    for (size_t i = 0; i < IE_ARRAY_LEN(scan_option_fields); i++) {
        const struct scan_option_field *f = &scan_option_fields[i];
        const char *at = (const char *)o + f->offset;
        switch (f->kind) {
        case OPT_BOOL:
            cJSON_AddBoolToObject(d, f->name, *(const bool *)at);
            break;
        case OPT_NUMBER:
            cJSON_AddNumberToObject(d, f->name, *(const double *)at);
            break;
        case OPT_INT:
            cJSON_AddNumberToObject(d, f->name, *(const int *)at);
            break;
        case OPT_INT64:
            cJSON_AddNumberToObject(d, f->name, (double)*(const int64_t *)at);
            break;
        }
    }
    cJSON *ext = cJSON_AddArrayToObject(d, "extensions");
    for (size_t i = 0; i < o->n_extensions; i++)
        cJSON_AddItemToArray(ext, cJSON_CreateString(o->extensions[i]));
    return d;
}
