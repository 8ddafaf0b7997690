/* Manifest records: lifetime, JSON serialisation (cJSON) and parsing, 256-bit hashes.
 * DESIGN: keys are written in imgeda's order so manifests diff cleanly against Python's; floats
 * always carry a decimal point so Python reads them back as float (cJSON alone prints 1.0 as 1). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/record.h"
#include "imgeda/util.h"

void ie_record_init(struct ie_record *r)
{
    memset(r, 0, sizeof(*r));
}

/* Offsets of the owned string members, so release and copy cannot miss one. */
static const size_t record_string_offsets[] = {
    offsetof(struct ie_record, path),
    offsetof(struct ie_record, filename),
    offsetof(struct ie_record, format),
    offsetof(struct ie_record, color_mode),
    offsetof(struct ie_record, camera_make),
    offsetof(struct ie_record, camera_model),
    offsetof(struct ie_record, lens_model),
    offsetof(struct ie_record, datetime_original),
    offsetof(struct ie_record, distortion_risk),
    offsetof(struct ie_record, analyzed_at),
    offsetof(struct ie_record, analyzer_version),
    offsetof(struct ie_record, content_hash),
    offsetof(struct ie_record, error),
};

static char **string_slot(struct ie_record *r, size_t i)
{
    return (char **)((char *)r + record_string_offsets[i]);
}

void ie_record_release(struct ie_record *r)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(record_string_offsets); i++)
        free(*string_slot(r, i));
    ie_record_init(r);
}

void ie_record_copy(struct ie_record *dst, const struct ie_record *src)
{
    memcpy(dst, src, sizeof(*dst));
    for (size_t i = 0; i < IE_ARRAY_LEN(record_string_offsets); i++) {
        char **slot = string_slot(dst, i);
        if (*slot)
            *slot = ie_xstrdup(*slot);
    }
}

void ie_record_set_str(char **slot, const char *s)
{
    char *old = *slot;
    *slot = s ? ie_xstrdup(s) : NULL;
    free(old);
}

/* ---- hashes ---- */

void ie_hash256_to_hex(const struct ie_hash256 *h, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 16; i++)
            out[w * 16 + i] = hex[(h->w[w] >> (60 - 4 * i)) & 0xF];
    out[64] = '\0';
}

int ie_hash256_from_hex(const char *s, struct ie_hash256 *h)
{
    size_t n = strlen(s);
    memset(h, 0, sizeof(*h));
    if (n == 0 || n > 64)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned v;
        if (c >= '0' && c <= '9')
            v = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v = (unsigned)(c - 'A' + 10);
        else
            return -1;
        size_t nib = 64 - n + i; /* right-aligned nibble index */
        h->w[nib / 16] |= (uint64_t)v << (60 - 4 * (nib % 16));
    }
    return 0;
}

int ie_hash256_distance(const struct ie_hash256 *a, const struct ie_hash256 *b)
{
    return __builtin_popcountll(a->w[0] ^ b->w[0]) + __builtin_popcountll(a->w[1] ^ b->w[1]) +
           __builtin_popcountll(a->w[2] ^ b->w[2]) + __builtin_popcountll(a->w[3] ^ b->w[3]);
}

/* ---- JSON out ---- */

static void add_float(cJSON *o, const char *k, double v)
{
    char tmp[40];
    ie_fmt_double(tmp, sizeof(tmp), v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(tmp));
}

static void add_int(cJSON *o, const char *k, int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(tmp));
}

static void add_str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_opt_float(cJSON *o, const char *k, bool has, double v)
{
    if (has)
        add_float(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_opt_int(cJSON *o, const char *k, bool has, int64_t v)
{
    if (has)
        add_int(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_hash(cJSON *o, const char *k, bool has, const struct ie_hash256 *h)
{
    char hex[65];
    if (!has) {
        cJSON_AddNullToObject(o, k);
        return;
    }
    ie_hash256_to_hex(h, hex);
    cJSON_AddStringToObject(o, k, hex);
}

char *ie_record_to_json(const struct ie_record *r)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "path", r->path ? r->path : "");
    add_str(o, "filename", r->filename ? r->filename : "");
    add_int(o, "file_size_bytes", r->file_size_bytes);
    add_float(o, "mtime", r->mtime);
    add_int(o, "width", r->width);
    add_int(o, "height", r->height);
    add_str(o, "format", r->format ? r->format : "");
    add_str(o, "color_mode", r->color_mode ? r->color_mode : "");
    add_int(o, "num_channels", r->num_channels);
    add_float(o, "aspect_ratio", r->aspect_ratio);
    add_str(o, "camera_make", r->camera_make);
    add_str(o, "camera_model", r->camera_model);
    add_str(o, "lens_model", r->lens_model);
    add_opt_float(o, "focal_length_mm", r->has_focal_length_mm, r->focal_length_mm);
    add_opt_int(o, "focal_length_35mm", r->has_focal_length_35mm, r->focal_length_35mm);
    add_opt_int(o, "iso_speed", r->has_iso_speed, r->iso_speed);
    add_opt_float(o, "f_number", r->has_f_number, r->f_number);
    add_opt_float(o, "exposure_time_sec", r->has_exposure_time_sec, r->exposure_time_sec);
    add_str(o, "datetime_original", r->datetime_original);
    add_opt_int(o, "orientation_tag", r->has_orientation_tag, r->orientation_tag);
    cJSON_AddBoolToObject(o, "has_gps_data", r->has_gps_data);
    add_str(o, "distortion_risk", r->distortion_risk);
    if (r->has_pixel_stats) {
        const struct ie_pixel_stats *p = &r->pixel_stats;
        cJSON *ps = cJSON_AddObjectToObject(o, "pixel_stats");
        add_float(ps, "mean_r", p->mean_r);
        add_float(ps, "mean_g", p->mean_g);
        add_float(ps, "mean_b", p->mean_b);
        add_float(ps, "std_r", p->std_r);
        add_float(ps, "std_g", p->std_g);
        add_float(ps, "std_b", p->std_b);
        add_float(ps, "mean_brightness", p->mean_brightness);
        add_int(ps, "min_val", p->min_val);
        add_int(ps, "max_val", p->max_val);
    } else {
        cJSON_AddNullToObject(o, "pixel_stats");
    }
    if (r->has_corner_stats) {
        const struct ie_corner_stats *c = &r->corner_stats;
        cJSON *cs = cJSON_AddObjectToObject(o, "corner_stats");
        add_float(cs, "corner_mean", c->corner_mean);
        add_float(cs, "center_mean", c->center_mean);
        add_float(cs, "border_mean", c->border_mean);
        add_float(cs, "delta", c->delta);
    } else {
        cJSON_AddNullToObject(o, "corner_stats");
    }
    add_hash(o, "phash", r->has_phash, &r->phash);
    add_hash(o, "dhash", r->has_dhash, &r->dhash);
    add_opt_float(o, "blur_score", r->has_blur_score, r->blur_score);
    cJSON_AddBoolToObject(o, "is_blurry", r->is_blurry);
    cJSON_AddBoolToObject(o, "is_corrupt", r->is_corrupt);
    cJSON_AddBoolToObject(o, "is_dark", r->is_dark);
    cJSON_AddBoolToObject(o, "is_overexposed", r->is_overexposed);
    cJSON_AddBoolToObject(o, "has_border_artifact", r->has_border_artifact);
    add_str(o, "analyzed_at", r->analyzed_at ? r->analyzed_at : "");
    add_str(o, "analyzer_version", r->analyzer_version ? r->analyzer_version : "");
    add_str(o, "content_hash", r->content_hash);
    add_str(o, "error", r->error);
    add_int(o, "bit_depth", r->bit_depth);
    add_int(o, "num_frames", r->num_frames);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort(); /* cJSON fails only on allocation */
    return s;
}

/* ---- JSON in ---- */

static const char *get_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool get_num(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

static bool get_int(const cJSON *o, const char *k, int *out)
{
    double d;
    if (!get_num(o, k, &d) || d < -2147483648.0 || d > 2147483647.0)
        return false;
    *out = (int)d;
    return true;
}

static bool get_bool(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsTrue(v);
}

static void take_str(char **slot, const cJSON *o, const char *k)
{
    const char *s = get_str(o, k);
    ie_record_set_str(slot, s);
}

static bool get_hash(const cJSON *o, const char *k, struct ie_hash256 *h)
{
    const char *s = get_str(o, k);
    return s && ie_hash256_from_hex(s, h) == 0;
}

int ie_record_from_json(const char *text, size_t len, struct ie_record *r, struct ie_err *err)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    double d;
    int rc = 0;

    if (!o || !cJSON_IsObject(o)) {
        rc = ie_err_set(err, IE_EINVAL, "not a JSON object");
        goto out;
    }
    if (!get_str(o, "path")) {
        rc = ie_err_set(err, IE_EINVAL, "record has no string \"path\"");
        goto out;
    }
    take_str(&r->path, o, "path");
    take_str(&r->filename, o, "filename");
    if (get_num(o, "file_size_bytes", &d))
        r->file_size_bytes = (int64_t)d;
    get_num(o, "mtime", &r->mtime);
    get_int(o, "width", &r->width);
    get_int(o, "height", &r->height);
    take_str(&r->format, o, "format");
    take_str(&r->color_mode, o, "color_mode");
    get_int(o, "num_channels", &r->num_channels);
    get_num(o, "aspect_ratio", &r->aspect_ratio);
    take_str(&r->camera_make, o, "camera_make");
    take_str(&r->camera_model, o, "camera_model");
    take_str(&r->lens_model, o, "lens_model");
    r->has_focal_length_mm = get_num(o, "focal_length_mm", &r->focal_length_mm);
    r->has_focal_length_35mm = get_int(o, "focal_length_35mm", &r->focal_length_35mm);
    r->has_iso_speed = get_int(o, "iso_speed", &r->iso_speed);
    r->has_f_number = get_num(o, "f_number", &r->f_number);
    r->has_exposure_time_sec = get_num(o, "exposure_time_sec", &r->exposure_time_sec);
    take_str(&r->datetime_original, o, "datetime_original");
    r->has_orientation_tag = get_int(o, "orientation_tag", &r->orientation_tag);
    r->has_gps_data = get_bool(o, "has_gps_data");
    take_str(&r->distortion_risk, o, "distortion_risk");

    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(o, "pixel_stats");
    if (cJSON_IsObject(ps)) {
        struct ie_pixel_stats *p = &r->pixel_stats;
        r->has_pixel_stats = true;
        p->max_val = 255;
        get_num(ps, "mean_r", &p->mean_r);
        get_num(ps, "mean_g", &p->mean_g);
        get_num(ps, "mean_b", &p->mean_b);
        get_num(ps, "std_r", &p->std_r);
        get_num(ps, "std_g", &p->std_g);
        get_num(ps, "std_b", &p->std_b);
        get_num(ps, "mean_brightness", &p->mean_brightness);
        get_int(ps, "min_val", &p->min_val);
        get_int(ps, "max_val", &p->max_val);
    }
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(o, "corner_stats");
    if (cJSON_IsObject(cs)) {
        struct ie_corner_stats *c = &r->corner_stats;
        r->has_corner_stats = true;
        get_num(cs, "corner_mean", &c->corner_mean);
        get_num(cs, "center_mean", &c->center_mean);
        get_num(cs, "border_mean", &c->border_mean);
        get_num(cs, "delta", &c->delta);
    }
    r->has_phash = get_hash(o, "phash", &r->phash);
    r->has_dhash = get_hash(o, "dhash", &r->dhash);
    r->has_blur_score = get_num(o, "blur_score", &r->blur_score);
    r->is_blurry = get_bool(o, "is_blurry");
    r->is_corrupt = get_bool(o, "is_corrupt");
    r->is_dark = get_bool(o, "is_dark");
    r->is_overexposed = get_bool(o, "is_overexposed");
    r->has_border_artifact = get_bool(o, "has_border_artifact");
    take_str(&r->analyzed_at, o, "analyzed_at");
    take_str(&r->analyzer_version, o, "analyzer_version");
    take_str(&r->content_hash, o, "content_hash");
    take_str(&r->error, o, "error");
    get_int(o, "bit_depth", &r->bit_depth);
    if (!get_int(o, "num_frames", &r->num_frames))
        r->num_frames = 0;
out:
    cJSON_Delete(o);
    return rc;
}
