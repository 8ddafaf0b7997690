/* Small cJSON helpers for numbers written as Python's json writes them (shortest round-trip
 * floats with a decimal point, exact integers) and strings that may be null. Shared by the
 * record writer and the daemon's JSON.
 * THREADS: no shared state. */
#ifndef IMGEDA_JSON_H
#define IMGEDA_JSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

/* k: v as ie_fmt_double writes it (1.0, 0.1, 1e+20), not cJSON's %.15g/%.17g. */
void ie_json_add_double(cJSON *o, const char *k, double v);
/* k: v exactly (cJSON stores numbers as doubles, which lose integers above 2^53). */
void ie_json_add_int(cJSON *o, const char *k, int64_t v);
/* k: "v", or k: null for NULL. */
void ie_json_add_str_or_null(cJSON *o, const char *k, const char *v);

#endif
