/* cJSON helpers for Python-compatible numbers, nullable strings, and strings checked or made
 * safe (see imgeda/json.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Where the scanner of ie_json_check_strings is: one frame per open object or array. */
#define CHECK_MAX_DEPTH 16

struct check_frame {
    bool object;
    const char *key; /* the member's key as written (escapes and all), or NULL */
    size_t key_len;
    long index; /* the element's index in an array */
};

/* Appends the field the scanner is in, e.g. options.skip[2], or "the body" at the top. */
static void check_field(struct ie_buf *b, const struct check_frame *f, int depth)
{
    for (int i = 0; i < depth && i < CHECK_MAX_DEPTH; i++) {
        if (!f[i].object)
            ie_buf_addf(b, "[%ld]", f[i].index);
        else if (f[i].key)
            ie_buf_addf(b, "%s%.*s", b->len ? "." : "", (int)IE_MIN(f[i].key_len, 200), f[i].key);
    }
    if (depth > CHECK_MAX_DEPTH)
        ie_buf_adds(b, "...");
    if (!b->len)
        ie_buf_adds(b, "the body");
}

/* What is wrong with the string whose content (between the quotes) is s..e, or NULL. */
static const char *check_string(const char *s, const char *e)
{
    for (const char *p = s; p < e; p++) {
        if ((unsigned char)*p < 0x20)
            return *p ? "holds a raw control character (JSON needs it escaped)"
                      : "holds a NUL character";
        if (*p == '\\' && p + 1 < e) {
            p++;
            if (*p == 'u' && e - p > 4 && strncmp(p + 1, "0000", 4) == 0)
                return "holds a NUL character (\\u0000)";
        }
    }
    return ie_utf8_valid(s, (size_t)(e - s)) ? NULL : "is not valid UTF-8";
}

int ie_json_check_strings(const char *text, size_t n, struct ie_err *err)
{
    struct check_frame f[CHECK_MAX_DEPTH];
    int depth = 0;
    bool expect_key = false;
    for (size_t i = 0; i < n; i++) {
        struct check_frame *top = depth > 0 && depth <= CHECK_MAX_DEPTH ? &f[depth - 1] : NULL;
        char c = text[i];
        if (c == '{' || c == '[') {
            if (depth < CHECK_MAX_DEPTH)
                f[depth] = (struct check_frame){.object = c == '{'};
            depth++;
            expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && top) {
            expect_key = top->object;
            top->index++;
        } else if (c == '"') {
            size_t start = ++i;
            while (i < n && text[i] != '"')
                i += text[i] == '\\' ? 2 : 1;
            i = IE_MIN(i, n); /* text cJSON accepted closes its strings; be safe anyway */
            const char *why = check_string(text + start, text + i);
            bool is_key = expect_key && top;
            if (is_key) {
                top->key = text + start;
                top->key_len = i - start;
                expect_key = false;
            }
            if (why) {
                struct ie_buf b;
                ie_buf_init(&b);
                check_field(&b, f, depth);
                int rc = ie_err_set(err, IE_EINVAL, "%s: %s %s", b.data,
                                    is_key ? "the key" : "the value", why);
                ie_buf_release(&b);
                return rc;
            }
        }
    }
    return 0;
}

void ie_json_sanitize_strings(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->string && !ie_utf8_valid(item->string, strlen(item->string))) {
            char *safe = ie_utf8_sanitize(item->string, strlen(item->string));
            size_t n = strlen(safe) + 1;
            if (!(item->type & cJSON_StringIsConst))
                cJSON_free(item->string);
            item->type &= ~cJSON_StringIsConst;
            item->string = cJSON_malloc(n);
            memcpy(item->string, safe, n);
            free(safe);
        }
        if (cJSON_IsString(item) && item->valuestring &&
            !ie_utf8_valid(item->valuestring, strlen(item->valuestring))) {
            char *safe = ie_utf8_sanitize(item->valuestring, strlen(item->valuestring));
            cJSON_SetValuestring(item, safe);
            free(safe);
        }
        ie_json_sanitize_strings(item->child);
    }
}
