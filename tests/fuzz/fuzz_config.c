/* Fuzzes the daemon's configuration reader: srv_config_parse on YAML text (what
 * srv_config_load does with a file's bytes), then srv_config_validate. An input whose first byte
 * is 0x01 is instead lines of "key=value" for srv_config_set (imgedad --set). Checks: a refusal
 * is one line of message that starts with the file's name; an accepted file leaves every key in
 * the range config.c documents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "config.h"

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s\n", what, detail);
    abort();
}

static void check_refusal(int rc, const struct ie_err *err, const char *prefix)
{
    if (err->code != rc || !err->msg[0] || strchr(err->msg, '\n') ||
        strncmp(err->msg, prefix, strlen(prefix)) != 0)
        fail("refused without one line of message naming the source", err->msg);
}

static void check_range(const char *key, int64_t v, int64_t lo, int64_t hi)
{
    char text[128];
    if (v < lo || v > hi) {
        snprintf(text, sizeof(text), "%s = %lld, outside %lld..%lld", key, (long long)v,
                 (long long)lo, (long long)hi);
        fail("an accepted configuration holds a value out of range", text);
    }
}

/* The ranges of config.c's key table, and what every string key must be. */
static void check_accepted(const struct srv_config *c)
{
    check_range("listen.port", c->listen_port, 0, 65535);
    check_range("scan.workers", c->workers, 0, 1024);
    check_range("scan.checkpoint_every", c->checkpoint_every, 1, 10000000);
    check_range("scan.isolate", c->isolate, 0, 1);
    check_range("scan.image_timeout_s", c->image_timeout_s, 0, 86400);
    check_range("limits.max_body_bytes", c->max_body_bytes, 1024, (int64_t)1 << 34);
    check_range("limits.max_pixels", c->max_pixels, 1, (int64_t)1 << 40);
    check_range("log.level", c->log_level, SRV_LOG_DEBUG, SRV_LOG_ERROR);
    check_range("scan.allowed_roots (entries)", c->n_allowed_roots, 0, SRV_MAX_ROOTS);
    if (!c->listen_address || !c->data_dir || !c->auth_token)
        fail("an accepted configuration lacks a string", "listen.address, data_dir or auth.token");
    for (int i = 0; i < c->n_allowed_roots; i++)
        if (!c->allowed_roots[i] || !c->allowed_roots[i][0])
            fail("an accepted configuration has an empty allowed root", "scan.allowed_roots");
}

/* Lines of key=value, each set in turn as imgedad --set does; stops at the first refusal. */
static void fuzz_overrides(struct srv_config *c, const char *text)
{
    char *copy = strdup(text), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct ie_err err = {0};
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        int rc = srv_config_set(c, line, eq + 1, &err);
        if (rc < 0) {
            check_refusal(rc, &err, "");
            break;
        }
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct srv_config c;
    struct ie_err err = {0};
    int rc = 0;

    srv_config_init(&c);
    if (size > 0 && data[0] == 0x01) {
        /* A NUL ends the text, as it ends a command-line argument. */
        char *text = fuzz_text(data + 1, size - 1);
        fuzz_overrides(&c, text);
        free(text);
    } else {
        rc = srv_config_parse(&c, "fuzz.yaml", (const char *)data, size, &err);
        if (rc < 0)
            check_refusal(rc, &err, "fuzz.yaml");
    }
    if (rc == 0) {
        check_accepted(&c);
        struct ie_err verr = {0};
        int vrc = srv_config_validate(&c, &verr);
        if (vrc < 0)
            check_refusal(vrc, &verr, "");
        else
            check_accepted(&c);
    }
    srv_config_release(&c);
    return 0;
}
