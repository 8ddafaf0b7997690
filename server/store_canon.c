/* Whether a manifest line can be stored as it came (store.h: srv_store_canonical_line): printing
 * each imported record again (ie_record_to_json) was 40 % of an import's time, and the lines a
 * scan writes are already in that form.
 * DESIGN: the form is learnt once from ie_record_to_json itself (a record with every field set
 * and one with none), so a field added to records later only sends lines to the slow path: a
 * line passes when its keys are exactly those, in that order, each value of the kind the record
 * reader takes as it is (a hash as 64 lowercase hex digits, a whole number in int range, a
 * finite number, a string, a bool, or null where the printed form may have null). Number text
 * may differ ("3000.0"); it is the same JSON number. */
#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/record.h"
#include "imgeda/util.h"
#include "store.h"

enum kind { K_STR, K_HASH, K_INT, K_DBL, K_BOOL, K_OBJ, K_NONE };

struct form;
struct form_key {
    char *name;
    enum kind kind;
    bool nullable;
    struct form *sub; /* K_OBJ's keys */
};
struct form {
    struct form_key *keys;
    size_t n;
};

static struct form top;
static pthread_once_t top_once = PTHREAD_ONCE_INIT;

/* The kind of a value printed from the record with every field set (strings "s", whole
 * numbers 7, other numbers 0.5, hashes of 0xab bytes). */
static enum kind kind_of(const cJSON *v)
{
    if (cJSON_IsString(v))
        return strlen(v->valuestring) == 64 ? K_HASH : K_STR;
    if (cJSON_IsNumber(v))
        return v->valuedouble == 7 ? K_INT : K_DBL;
    if (cJSON_IsBool(v))
        return K_BOOL;
    return cJSON_IsObject(v) ? K_OBJ : K_NONE;
}

/* Learns a form from the same object printed full and empty; false when they differ in keys. */
static bool learn(struct form *f, const cJSON *full, const cJSON *empty)
{
    int n = cJSON_GetArraySize(full);
    if (n != cJSON_GetArraySize(empty))
        return false;
    f->keys = ie_xcalloc((size_t)n + 1, sizeof(*f->keys));
    const cJSON *e = empty->child;
    for (const cJSON *v = full->child; v; v = v->next, e = e->next) {
        struct form_key *k = &f->keys[f->n++];
        if (strcmp(v->string, e->string) != 0)
            return false;
        k->name = ie_xstrdup(v->string);
        k->kind = kind_of(v);
        k->nullable = cJSON_IsNull(v) || cJSON_IsNull(e);
        if (k->kind == K_OBJ) {
            k->sub = ie_xcalloc(1, sizeof(*k->sub));
            if (!cJSON_IsNull(e) || !learn(k->sub, v, v))
                return false;
        }
    }
    return true;
}

static void learn_top(void)
{
    struct ie_record full, empty;
    ie_record_init(&full);
    ie_record_init(&empty);
    char **strs[] = {&full.path,        &full.filename,          &full.format,
                     &full.color_mode,  &full.camera_make,       &full.camera_model,
                     &full.lens_model,  &full.datetime_original, &full.distortion_risk,
                     &full.analyzed_at, &full.analyzer_version,  &full.content_hash,
                     &full.error};
    for (size_t i = 0; i < IE_ARRAY_LEN(strs); i++)
        ie_record_set_str(strs[i], "s");
    ie_record_set_str(&empty.path, "s");
    full.file_size_bytes = full.width = full.height = full.num_channels = 7;
    full.focal_length_35mm = full.iso_speed = full.orientation_tag = 7;
    full.bit_depth = full.num_frames = full.pixel_stats.min_val = full.pixel_stats.max_val = 7;
    full.mtime = full.aspect_ratio = full.focal_length_mm = full.f_number = 0.5;
    full.exposure_time_sec = full.blur_score = 0.5;
    double *px[] = {&full.pixel_stats.mean_r,          &full.pixel_stats.mean_g,
                    &full.pixel_stats.mean_b,          &full.pixel_stats.std_r,
                    &full.pixel_stats.std_g,           &full.pixel_stats.std_b,
                    &full.pixel_stats.mean_brightness, &full.corner_stats.corner_mean,
                    &full.corner_stats.center_mean,    &full.corner_stats.border_mean,
                    &full.corner_stats.delta};
    for (size_t i = 0; i < IE_ARRAY_LEN(px); i++)
        *px[i] = 0.5;
    full.has_focal_length_mm = full.has_focal_length_35mm = full.has_iso_speed = true;
    full.has_f_number = full.has_exposure_time_sec = full.has_orientation_tag = true;
    full.has_pixel_stats = full.has_corner_stats = full.has_phash = full.has_dhash = true;
    full.has_blur_score = true;
    memset(&full.phash, 0xab, sizeof(full.phash));
    memset(&full.dhash, 0xab, sizeof(full.dhash));
    char *a = ie_record_to_json(&full), *b = ie_record_to_json(&empty);
    cJSON *fa = cJSON_Parse(a), *fb = cJSON_Parse(b);
    /* A form that cannot be learnt matches no line (n = 0 and a line has keys). */
    if (!fa || !fb || !learn(&top, fa, fb))
        top.n = 0;
    cJSON_Delete(fa);
    cJSON_Delete(fb);
    free(a);
    free(b);
    ie_record_release(&full);
    ie_record_release(&empty);
}

static bool is_hash(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == 64;
}

static bool value_ok(const struct form_key *k, const cJSON *v)
{
    if (cJSON_IsNull(v))
        return k->nullable;
    switch (k->kind) {
    case K_STR:
        return cJSON_IsString(v);
    case K_HASH:
        return cJSON_IsString(v) && is_hash(v->valuestring);
    case K_INT:
        return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
               fabs(v->valuedouble) < 2147483648.0;
    case K_DBL:
        return cJSON_IsNumber(v) && isfinite(v->valuedouble);
    case K_BOOL:
        return cJSON_IsBool(v);
    default:
        return false;
    }
}

static bool matches(const struct form *f, const cJSON *o)
{
    size_t i = 0;
    const cJSON *v = o->child;
    for (; v && i < f->n; v = v->next, i++) {
        const struct form_key *k = &f->keys[i];
        if (!v->string || strcmp(v->string, k->name) != 0)
            return false;
        if (k->kind == K_OBJ && cJSON_IsObject(v) ? !matches(k->sub, v) : !value_ok(k, v))
            return false;
    }
    return !v && i == f->n && f->n > 0;
}

char *srv_store_canonical_parsed(const char *text, size_t n, const cJSON *o, const char *end)
{
    char *copy = NULL;
    pthread_once(&top_once, learn_top);
    /* \u0000 would cut a string short in the parsed record but not in the stored text. */
    if (!o || end != text + n || !cJSON_IsObject(o) || !ie_utf8_valid(text, n) ||
        memmem(text, n, "\\u0000", 6) || !matches(&top, o))
        return NULL;
    copy = ie_xmalloc(n + 1);
    memcpy(copy, text, n);
    copy[n] = '\0';
    return copy;
}

char *srv_store_canonical_line(const char *text, size_t n)
{
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(text, n, &end, false);
    char *copy = srv_store_canonical_parsed(text, n, o, end);
    cJSON_Delete(o);
    return copy;
}
