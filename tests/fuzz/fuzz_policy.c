/* Fuzzes quality-gate policy parsing (ie_policy_parse_pos) on YAML and JSON text.
 * Checks the documented contract: a refused policy gives one line of message and leaves the
 * policy untouched; an accepted one prints as JSON that parses back to the same policy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/gate.h"

static void check_json_round_trip(const struct ie_policy *p)
{
    struct ie_policy q;
    struct ie_err err = {0};
    char *json = ie_policy_to_json(p);

    ie_policy_init(&q);
    if (ie_policy_parse(&q, "json", json, strlen(json), &err) != 0) {
        fprintf(stderr, "the policy's JSON is refused: %s\n%s\n", err.msg, json);
        abort();
    }
    char *again = ie_policy_to_json(&q);
    if (strcmp(json, again) != 0) {
        fprintf(stderr, "the policy's JSON reads back as another policy:\n%s\n%s\n", json, again);
        abort();
    }
    free(again);
    free(json);
    ie_policy_release(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ie_policy p;
    struct ie_policy_error_pos pos;
    struct ie_err err = {0};

    ie_policy_init(&p);
    char *before = ie_policy_to_json(&p);
    int rc = ie_policy_parse_pos(&p, "fuzz", (const char *)data, size, &pos, &err);
    if (rc == 0) {
        check_json_round_trip(&p);
    } else {
        char *after = ie_policy_to_json(&p);
        if (err.code != rc || !err.msg[0] || strchr(err.msg, '\n') || strcmp(before, after) != 0) {
            fprintf(stderr, "refused (%d, code %d) without one line of message, or changed:\n%s\n",
                    rc, err.code, err.msg);
            abort();
        }
        free(after);
    }
    free(before);
    ie_policy_release(&p);
    return 0;
}
