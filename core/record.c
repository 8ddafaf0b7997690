/* Manifest records: lifetime, JSON serialisation (cJSON) and parsing, 256-bit hashes.
 * DESIGN: keys are written in imgeda's order so manifests diff cleanly against Python's; floats
 * always carry a decimal point so Python reads them back as float (cJSON alone prints 1.0 as 1). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/json.h"
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

static void add_opt_float(cJSON *o, const char *k, bool has, double v)
{
    if (has)
        ie_json_add_double(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void add_opt_int(cJSON *o, const char *k, bool has, int64_t v)
{
    if (has)
        ie_json_add_int(o, k, v);
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
    ie_json_add_str_or_null(o, "path", r->path ? r->path : "");
    ie_json_add_str_or_null(o, "filename", r->filename ? r->filename : "");
    ie_json_add_int(o, "file_size_bytes", r->file_size_bytes);
    ie_json_add_double(o, "mtime", r->mtime);
    ie_json_add_int(o, "width", r->width);
    ie_json_add_int(o, "height", r->height);
    ie_json_add_str_or_null(o, "format", r->format ? r->format : "");
    ie_json_add_str_or_null(o, "color_mode", r->color_mode ? r->color_mode : "");
    ie_json_add_int(o, "num_channels", r->num_channels);
    ie_json_add_double(o, "aspect_ratio", r->aspect_ratio);
    ie_json_add_str_or_null(o, "camera_make", r->camera_make);
    ie_json_add_str_or_null(o, "camera_model", r->camera_model);
    ie_json_add_str_or_null(o, "lens_model", r->lens_model);
    add_opt_float(o, "focal_length_mm", r->has_focal_length_mm, r->focal_length_mm);
    add_opt_int(o, "focal_length_35mm", r->has_focal_length_35mm, r->focal_length_35mm);
    add_opt_int(o, "iso_speed", r->has_iso_speed, r->iso_speed);
    add_opt_float(o, "f_number", r->has_f_number, r->f_number);
    add_opt_float(o, "exposure_time_sec", r->has_exposure_time_sec, r->exposure_time_sec);
    ie_json_add_str_or_null(o, "datetime_original", r->datetime_original);
    add_opt_int(o, "orientation_tag", r->has_orientation_tag, r->orientation_tag);
    cJSON_AddBoolToObject(o, "has_gps_data", r->has_gps_data);
    ie_json_add_str_or_null(o, "distortion_risk", r->distortion_risk);
    if (r->has_pixel_stats) {
        const struct ie_pixel_stats *p = &r->pixel_stats;
        cJSON *ps = cJSON_AddObjectToObject(o, "pixel_stats");
        ie_json_add_double(ps, "mean_r", p->mean_r);
        ie_json_add_double(ps, "mean_g", p->mean_g);
        ie_json_add_double(ps, "mean_b", p->mean_b);
        ie_json_add_double(ps, "std_r", p->std_r);
        ie_json_add_double(ps, "std_g", p->std_g);
        ie_json_add_double(ps, "std_b", p->std_b);
        ie_json_add_double(ps, "mean_brightness", p->mean_brightness);
        ie_json_add_int(ps, "min_val", p->min_val);
        ie_json_add_int(ps, "max_val", p->max_val);
    } else {
        cJSON_AddNullToObject(o, "pixel_stats");
    }
    if (r->has_corner_stats) {
        const struct ie_corner_stats *c = &r->corner_stats;
        cJSON *cs = cJSON_AddObjectToObject(o, "corner_stats");
        ie_json_add_double(cs, "corner_mean", c->corner_mean);
        ie_json_add_double(cs, "center_mean", c->center_mean);
        ie_json_add_double(cs, "border_mean", c->border_mean);
        ie_json_add_double(cs, "delta", c->delta);
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
    ie_json_add_str_or_null(o, "analyzed_at", r->analyzed_at ? r->analyzed_at : "");
    ie_json_add_str_or_null(o, "analyzer_version", r->analyzer_version ? r->analyzer_version : "");
    ie_json_add_str_or_null(o, "content_hash", r->content_hash);
    ie_json_add_str_or_null(o, "error", r->error);
    ie_json_add_int(o, "bit_depth", r->bit_depth);
    ie_json_add_int(o, "num_frames", r->num_frames);
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

enum field_kind { F_STR, F_I64, F_DBL, F_INT, F_BOOL, F_ODBL, F_OINT, F_HASH, F_PIXEL, F_CORNER };

struct field {
    const char *key;
    enum field_kind kind;
    size_t off, has_off;
};

#define FLD(k, kind)                                                                               \
    {                                                                                              \
#k, kind, offsetof(struct ie_record, k), 0                                                 \
    }
#define OPT(k, kind, has)                                                                          \
    {                                                                                              \
#k, kind, offsetof(struct ie_record, k), offsetof(struct ie_record, has)                   \
    }

/* In the order records are written, so a record of ours is decoded with one comparison per
 * key (see record_field). */
static const struct field fields[] = {
    FLD(path, F_STR),
    FLD(filename, F_STR),
    FLD(file_size_bytes, F_I64),
    FLD(mtime, F_DBL),
    FLD(width, F_INT),
    FLD(height, F_INT),
    FLD(format, F_STR),
    FLD(color_mode, F_STR),
    FLD(num_channels, F_INT),
    FLD(aspect_ratio, F_DBL),
    FLD(camera_make, F_STR),
    FLD(camera_model, F_STR),
    FLD(lens_model, F_STR),
    OPT(focal_length_mm, F_ODBL, has_focal_length_mm),
    OPT(focal_length_35mm, F_OINT, has_focal_length_35mm),
    OPT(iso_speed, F_OINT, has_iso_speed),
    OPT(f_number, F_ODBL, has_f_number),
    OPT(exposure_time_sec, F_ODBL, has_exposure_time_sec),
    FLD(datetime_original, F_STR),
    OPT(orientation_tag, F_OINT, has_orientation_tag),
    FLD(has_gps_data, F_BOOL),
    FLD(distortion_risk, F_STR),
    OPT(pixel_stats, F_PIXEL, has_pixel_stats),
    OPT(corner_stats, F_CORNER, has_corner_stats),
    OPT(phash, F_HASH, has_phash),
    OPT(dhash, F_HASH, has_dhash),
    OPT(blur_score, F_ODBL, has_blur_score),
    FLD(is_blurry, F_BOOL),
    FLD(is_corrupt, F_BOOL),
    FLD(is_dark, F_BOOL),
    FLD(is_overexposed, F_BOOL),
    FLD(has_border_artifact, F_BOOL),
    FLD(analyzed_at, F_STR),
    FLD(analyzer_version, F_STR),
    FLD(content_hash, F_STR),
    FLD(error, F_STR),
    FLD(bit_depth, F_INT),
    FLD(num_frames, F_INT),
};

/* The field for key, trying the slot after the previous key first. */
static const struct field *record_field(const char *key, size_t *hint)
{
    size_t n = IE_ARRAY_LEN(fields);
    if (*hint < n && strcmp(fields[*hint].key, key) == 0)
        return &fields[(*hint)++];
    for (size_t i = 0; i < n; i++) {
        if (strcmp(fields[i].key, key) == 0) {
            *hint = i + 1;
            return &fields[i];
        }
    }
    return NULL;
}

static bool number_as_int(const cJSON *v, int *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < -2147483648.0 || v->valuedouble > 2147483647.0)
        return false;
    *out = (int)v->valuedouble;
    return true;
}

static void set_field(struct ie_record *r, const struct field *f, const cJSON *v)
{
    char *base = (char *)r;
    bool *has = f->has_off ? (bool *)(base + f->has_off) : NULL;
    switch (f->kind) {
    case F_STR:
        ie_record_set_str((char **)(base + f->off), cJSON_IsString(v) ? v->valuestring : NULL);
        break;
    case F_I64: /* a number beyond int64_t counts as missing, like a wrong type */
        if (cJSON_IsNumber(v) && ie_double_fits_i64(v->valuedouble))
            *(int64_t *)(base + f->off) = (int64_t)v->valuedouble;
        break;
    case F_DBL:
        if (cJSON_IsNumber(v))
            *(double *)(base + f->off) = v->valuedouble;
        break;
    case F_INT:
        number_as_int(v, (int *)(base + f->off));
        break;
    case F_BOOL:
        *(bool *)(base + f->off) = cJSON_IsTrue(v);
        break;
    case F_ODBL:
        *has = cJSON_IsNumber(v);
        if (*has)
            *(double *)(base + f->off) = v->valuedouble;
        break;
    case F_OINT:
        *has = number_as_int(v, (int *)(base + f->off));
        break;
    case F_HASH:
        *has = cJSON_IsString(v) &&
               ie_hash256_from_hex(v->valuestring, (struct ie_hash256 *)(base + f->off)) == 0;
        break;
    case F_PIXEL:
        *has = cJSON_IsObject(v);
        if (*has) {
            struct ie_pixel_stats *p = &r->pixel_stats;
            p->max_val = 255;
            get_num(v, "mean_r", &p->mean_r);
            get_num(v, "mean_g", &p->mean_g);
            get_num(v, "mean_b", &p->mean_b);
            get_num(v, "std_r", &p->std_r);
            get_num(v, "std_g", &p->std_g);
            get_num(v, "std_b", &p->std_b);
            get_num(v, "mean_brightness", &p->mean_brightness);
            get_int(v, "min_val", &p->min_val);
            get_int(v, "max_val", &p->max_val);
        }
        break;
    case F_CORNER:
        *has = cJSON_IsObject(v);
        if (*has) {
            struct ie_corner_stats *c = &r->corner_stats;
            get_num(v, "corner_mean", &c->corner_mean);
            get_num(v, "center_mean", &c->center_mean);
            get_num(v, "border_mean", &c->border_mean);
            get_num(v, "delta", &c->delta);
        }
        break;
    }
}

int ie_record_from_cjson(const struct cJSON *o, struct ie_record *r, struct ie_err *err)
{
    size_t hint = 0;
    if (!o || !cJSON_IsObject(o))
        return ie_err_set(err, IE_EINVAL, "not a JSON object");
    if (!get_str(o, "path"))
        return ie_err_set(err, IE_EINVAL, "record has no string \"path\"");
    /* One pass over the keys (unknown keys are ignored, missing ones keep their defaults,
     * wrong types count as missing). */
    for (const cJSON *it = o->child; it; it = it->next) {
        const struct field *f = it->string ? record_field(it->string, &hint) : NULL;
        if (f)
            set_field(r, f, it);
    }
    return 0;
}

int ie_record_from_json(const char *text, size_t len, struct ie_record *r, struct ie_err *err)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    int rc = ie_record_from_cjson(o, r, err);
    cJSON_Delete(o);
    return rc;
}
