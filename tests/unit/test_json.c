/* JSON helpers: strings cJSON accepts but that must not reach the daemon (a NUL that cuts a C
 * string short, raw control characters, bytes that are not UTF-8), each named by its field, and
 * the repair of stored strings that are not UTF-8 so printed JSON stays UTF-8. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/json.h"
#include "imgeda/util.h"

/* Runs ie_json_check_strings on text: its return code, and its message in msg. */
static int check(const char *text, char *msg, size_t n)
{
    struct ie_err err = {0};
    int rc = ie_json_check_strings(text, strlen(text), &err);
    snprintf(msg, n, "%s", err.msg);
    return rc;
}

Test(json, check_strings_accepts_ordinary_json)
{
    char msg[IE_ERR_MSG_MAX];
    cr_expect_eq(check("{\"root\": \"/data/caf\\u00e9\", \"name\": \"caf\xc3\xa9 \\\\u0000 \\n\","
                       " \"options\": {\"skip\": [\"a\", \"b\\\"c\"]}, \"n\": [1, {}, []]}",
                       msg, sizeof(msg)),
                 0, "%s", msg);
    cr_expect_eq(msg[0], '\0', "err untouched on success");
}

Test(json, check_strings_refuses_an_escaped_nul_and_names_the_field)
{
    char msg[IE_ERR_MSG_MAX];
    cr_expect_eq(check("{\"root\": \"/data\\u0000/../etc\"}", msg, sizeof(msg)), IE_EINVAL);
    cr_expect_str_eq(msg, "root: the value holds a NUL character (\\u0000)");
    cr_expect_eq(check("{\"a\": 1, \"options\": {\"x\": 2, \"skip\": [\"ok\", \"b\\u0000\"]}}", msg,
                       sizeof(msg)),
                 IE_EINVAL);
    cr_expect_str_eq(msg, "options.skip[1]: the value holds a NUL character (\\u0000)");
    cr_expect_eq(check("{\"splits\": {\"tr\\u0000ain\": \"x\"}}", msg, sizeof(msg)), IE_EINVAL);
    cr_expect_str_eq(msg, "splits.tr\\u0000ain: the key holds a NUL character (\\u0000)");
}

Test(json, check_strings_refuses_raw_nul_controls_and_invalid_utf8)
{
    char msg[IE_ERR_MSG_MAX];
    const char raw_nul[] = "{\"name\": \"a\0b\"}";
    struct ie_err err = {0};
    cr_expect_eq(ie_json_check_strings(raw_nul, sizeof(raw_nul) - 1, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "name: the value holds a NUL character");
    cr_expect_eq(check("{\"name\": \"a\tb\"}", msg, sizeof(msg)), IE_EINVAL);
    cr_expect_str_eq(msg, "name: the value holds a raw control character (JSON needs it escaped)");
    cr_expect_eq(check("{\"name\": \"bad\xff\xfe\"}", msg, sizeof(msg)), IE_EINVAL);
    cr_expect_str_eq(msg, "name: the value is not valid UTF-8");
    cr_expect_eq(check("[\"ok\", \"\xc3\"]", msg, sizeof(msg)), IE_EINVAL);
    cr_expect_str_eq(msg, "[1]: the value is not valid UTF-8");
    cr_expect_eq(check("\"\xed\xa0\x80\"", msg, sizeof(msg)), IE_EINVAL, "a raw surrogate");
    cr_expect_str_eq(msg, "the body: the value is not valid UTF-8");
}

Test(json, sanitize_strings_rewrites_keys_and_values_that_are_not_utf8)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name",
                            "bad\xff"
                            "name");
    cJSON *in = cJSON_AddObjectToObject(o, "options");
    cJSON_AddStringToObject(in, "k\xe9y", "ok \xc3\xa9");
    cJSON_AddItemToObject(o, "list", cJSON_CreateStringArray((const char *[]){"\xfe"}, 1));
    ie_json_sanitize_strings(o);
    char *s = cJSON_PrintUnformatted(o);
    cr_expect(ie_utf8_valid(s, strlen(s)), "%s", s);
    cr_expect_str_eq(s, "{\"name\":\"bad\\\\xffname\",\"options\":{\"k\\\\xe9y\":\"ok \xc3\xa9\"},"
                        "\"list\":[\"\\\\xfe\"]}");
    free(s);
    cJSON_Delete(o);
}
