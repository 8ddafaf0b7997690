/* Fuzzes the daemon's JSON request bodies: the input as the body of POST /api/v1/gate
 * (srv_ci_gate_parse: srv_api_parse_body's known-fields check, then root, wait, timeout_s,
 * options and the policy, YAML string or JSON object), and as a scan's "options" object
 * (srv_scan_options_from_json over the daemon's defaults, i.e. ie_scan_options_apply_json).
 * Checks: a refused body is IE_EINVAL with a message; accepted options stay within the daemon's
 * caps, print as JSON (ie_scan_options_to_json) that reads back to the same options, and give a
 * manifest header "settings" object that parses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "api_internal.h"
#include "imgeda/options.h"
#include "jobs.h"

static struct srv_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Caps below the table's own bounds, so that the caps are what is checked. */
    srv_config_init(&cfg);
    cfg.workers = 4;
    cfg.max_pixels = 50000000;
    return 0;
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "%s:\n%s\n", what, detail);
    abort();
}

static void check_refusal(int rc, const struct ie_err *err, const char *input)
{
    if (rc != IE_EINVAL || err->code != IE_EINVAL || !err->msg[0])
        fail("refused without IE_EINVAL and a message", input);
}

static char *options_json(const struct ie_scan_options *o)
{
    cJSON *j = srv_scan_options_to_json(o);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        abort();
    return text;
}

/* The options text as a scan's "options": accepted within the caps and round-tripping, or
 * refused with a message. */
static void check_options(const char *text)
{
    struct ie_scan_options o, back;
    struct ie_err err = {0};
    int rc = srv_scan_options_from_json(text, &cfg, &o, &err);
    if (rc < 0) {
        check_refusal(rc, &err, text);
        return;
    }
    if (o.workers < 0 || o.workers > cfg.workers || o.max_pixels < 1 ||
        o.max_pixels > cfg.max_pixels || o.n_extensions > IE_MAX_EXTENSIONS)
        fail("accepted options beyond the daemon's caps", text);
    char *printed = options_json(&o);
    if (srv_scan_options_from_json(printed, &cfg, &back, &err) < 0)
        fail("the options' own JSON is refused", err.msg);
    char *again = options_json(&back);
    if (strcmp(printed, again) != 0)
        fail("the options' JSON reads back as other options", printed);
    char *settings = ie_scan_options_settings_json(&o);
    cJSON *parsed = cJSON_Parse(settings);
    if (!cJSON_IsObject(parsed))
        fail("the settings of accepted options do not parse", settings);
    cJSON_Delete(parsed);
    free(settings);
    free(again);
    free(printed);
}

static void check_gate_body(const uint8_t *data, size_t size)
{
    struct srv_req r;
    struct srv_ci_gate_req q;
    struct ie_err err = {0};

    memset(&r, 0, sizeof(r));
    r.body = (const char *)data;
    r.body_len = size;
    int rc = srv_ci_gate_parse(&r, &q, &err);
    if (rc < 0) {
        check_refusal(rc, &err, "(the gate body)");
    } else {
        if (!q.root || !(q.timeout_s > 0 && q.timeout_s <= 86400) ||
            (q.options && !cJSON_IsObject(q.options)))
            fail("an accepted gate body with a bad field", q.root ? q.root : "(no root)");
        char *policy = ie_policy_to_json(&q.policy);
        free(policy);
        /* As the handler does: the options object printed, then read as a scan's options. */
        char *opts = q.options ? cJSON_PrintUnformatted(q.options) : strdup("{}");
        check_options(opts);
        free(opts);
    }
    srv_ci_gate_req_release(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_gate_body(data, size);
    /* The handlers pass options as text that cJSON printed: it ends at a NUL. */
    char *text = fuzz_text(data, size);
    check_options(text);
    free(text);
    return 0;
}
