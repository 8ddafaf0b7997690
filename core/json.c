/* cJSON helpers for Python-compatible numbers and nullable strings (see imgeda/json.h). */
#include <stdio.h>

#include "imgeda/json.h"
#include "imgeda/util.h"

void ie_json_add_double(cJSON *o, const char *k, double v)
{
    char tmp[40];
    ie_fmt_double(tmp, sizeof(tmp), v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(tmp));
}

void ie_json_add_int(cJSON *o, const char *k, int64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(tmp));
}

void ie_json_add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}
