/* Small cJSON helpers for numbers written as Python's json writes them (shortest round-trip
 * floats with a decimal point, exact integers), strings that may be null, and the checks and
 * repairs of strings that cJSON does not make. Shared by the record writer and the daemon's JSON.
 * THREADS: no shared state. */
#ifndef IMGEDA_JSON_H
#define IMGEDA_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

/* k: v as ie_fmt_double writes it (1.0, 0.1, 1e+20), not cJSON's %.15g/%.17g. */
void ie_json_add_double(cJSON *o, const char *k, double v);
/* k: v exactly (cJSON stores numbers as doubles, which lose integers above 2^53). */
void ie_json_add_int(cJSON *o, const char *k, int64_t v);
/* k: "v", or k: null for NULL. */
void ie_json_add_str_or_null(cJSON *o, const char *k, const char *v);

/* Checks every string (key or value) of JSON text that cJSON accepted, for what cJSON lets
 * through: a NUL (escaped \u0000 or raw), which cuts its C string short so that the value read
 * is not the value sent; a raw control character, which JSON forbids; bytes that are not UTF-8.
 * Returns 0, or IE_EINVAL with err naming the field, e.g. "options.skip[2]: the value holds a
 * NUL character (\u0000)". */
int ie_json_check_strings(const char *text, size_t n, struct ie_err *err);
/* Rewrites every key and string value under item (and its siblings) that is not valid UTF-8 as
 * ie_utf8_sanitize does, so the printed JSON is UTF-8 whatever was stored. */
void ie_json_sanitize_strings(cJSON *item);

#endif
