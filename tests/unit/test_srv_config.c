/* Daemon configuration: the documented file loads to the defaults, overrides, and every kind of
 * bad input reports file:line:col: key: reason. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "helpers.h"

static char *write_cfg(const char *dir, const char *text)
{
    char *p = th_path(dir, "c.yaml");
    th_write(p, text, strlen(text));
    return p;
}

Test(config, documented_file_loads_to_the_defaults)
{
    struct srv_config a, b;
    struct ie_err err = {0};
    char path[4096];
    const char *src = getenv("IE_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/config/imgedad.yaml", src ? src : ".");
    srv_config_init(&a);
    srv_config_init(&b);
    cr_assert_eq(srv_config_load(&a, path, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_config_validate(&a, &err), 0, "%s", err.msg);
    cr_assert_eq(srv_config_validate(&b, &err), 0, "%s", err.msg);
    cr_expect_str_eq(a.listen_address, b.listen_address);
    cr_expect_eq(a.listen_port, 8080);
    cr_expect_str_eq(a.data_dir, "./var");
    cr_expect_eq(a.n_allowed_roots, 1);
    cr_expect_str_eq(a.allowed_roots[0], b.allowed_roots[0]);
    cr_expect_eq(a.workers, b.workers);
    cr_expect_eq(a.checkpoint_every, 500);
    cr_expect_str_eq(a.auth_token, "");
    cr_expect_eq(a.max_body_bytes, 8 << 20);
    cr_expect_eq(a.max_buffered_bytes, 64 << 20);
    cr_expect_eq(a.max_connections, 1024);
    cr_expect_eq(a.max_connections_per_ip, 128);
    cr_expect_eq(a.header_timeout_s, 10);
    cr_expect_eq(a.body_timeout_s, 30);
    cr_expect_eq(a.db_connections, 16);
    cr_expect_eq(a.max_pixels, 178956970);
    cr_expect_eq(a.log_level, SRV_LOG_INFO);
    srv_config_release(&a);
    srv_config_release(&b);
}

Test(config, values_and_overrides)
{
    char *d = th_tempdir();
    struct srv_config c;
    struct ie_err err = {0};
    char *p = write_cfg(d, "listen:\n  port: 9000\nscan:\n  allowed_roots: [/data, /mnt]\n"
                           "  workers: 3\nlog: {level: debug}\n");
    srv_config_init(&c);
    cr_assert_eq(srv_config_load(&c, p, &err), 0, "%s", err.msg);
    cr_expect_eq(c.listen_port, 9000);
    cr_expect_eq(c.n_allowed_roots, 2);
    cr_expect_str_eq(c.allowed_roots[1], "/mnt");
    cr_expect_eq(c.workers, 3);
    cr_expect_eq(c.log_level, SRV_LOG_DEBUG);
    cr_assert_eq(srv_config_set(&c, "scan.workers", "5", &err), 0);
    cr_expect_eq(c.workers, 5);
    cr_expect_eq(srv_config_set(&c, "scan.wrokers", "5", &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "scan.wrokers: unknown key");
    srv_config_release(&c);
    th_rmrf(d);
    free(d);
    free(p);
}

static void expect_error(const char *text, const char *want)
{
    char *d = th_tempdir();
    struct srv_config c;
    struct ie_err err = {0};
    char *p = write_cfg(d, text);
    srv_config_init(&c);
    cr_expect_eq(srv_config_load(&c, p, &err), IE_EINVAL, "loading %s", text);
    cr_expect(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    cr_expect_eq(strncmp(err.msg, p, strlen(p)), 0, "'%s' starts with the file name", err.msg);
    srv_config_release(&c);
    th_rmrf(d);
    free(d);
    free(p);
}

Test(config, bad_input_is_reported_with_position)
{
    expect_error("listen:\n  prot: 1\n", ":2:3: listen.prot: unknown key");
    expect_error("listen:\n  port: eighty\n", ":2:9: listen.port: expected a whole number");
    expect_error("listen:\n  port: -1\n", "listen.port: -1 is out of range 0..65535");
    expect_error("scan:\n  workers: [1]\n", "scan.workers: expected a value, got a list");
    expect_error("scan:\n  allowed_roots: /data\n", "scan.allowed_roots: expected a list");
    expect_error("log:\n  level: loud\n", "log.level: expected debug, info, warn or error");
    expect_error("listen: [\n", "malformed YAML");
    expect_error("- a\n- b\n", "the configuration must be a mapping");
    expect_error("a: &x 1\nb: *x\n", "aliases are not allowed");
    expect_error("listen: 8080\n", "listen: expected a mapping");
    expect_error("limits:\n  header_timeout_s: 0\n",
                 "limits.header_timeout_s: 0 is out of range 1..3600");
    expect_error("limits:\n  db_connections: 0\n", "limits.db_connections: 0 is out of range");
    expect_error("limits:\n  max_connections_per_ip: -1\n",
                 "limits.max_connections_per_ip: -1 is out of range 0..16384");
    expect_error("limits:\n  max_buffered_bytes: 10\n",
                 "limits.max_buffered_bytes: 10 is out of range");
    char deep[400] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    expect_error(deep, "nesting deeper than");
}

Test(config, non_loopback_needs_a_token)
{
    struct srv_config c;
    struct ie_err err = {0};
    srv_config_init(&c);
    cr_assert_eq(srv_config_set(&c, "listen.address", "0.0.0.0", &err), 0);
    cr_expect_eq(srv_config_validate(&c, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "auth.token") != NULL, "%s", err.msg);
    cr_assert_eq(srv_config_set(&c, "auth.token", "s3cret", &err), 0);
    cr_expect_eq(srv_config_validate(&c, &err), 0);
    srv_config_release(&c);
}

Test(config, thumbnail_limits_default_documented_and_bounded)
{
    struct srv_config c;
    struct ie_err err = {0};
    char path[4096];
    const char *src = getenv("IE_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/config/imgedad.yaml", src ? src : ".");
    srv_config_init(&c);
    cr_expect_eq(c.thumbnail_decodes, 2);
    cr_expect_eq(c.thumbnail_wait_ms, 5000);
    cr_assert_eq(srv_config_load(&c, path, &err), 0, "%s", err.msg);
    cr_expect_eq(c.thumbnail_decodes, 2, "the documented file says the default");
    cr_expect_eq(c.thumbnail_wait_ms, 5000);
    srv_config_release(&c);
    expect_error("limits:\n  thumbnail_decodes: 0\n",
                 "limits.thumbnail_decodes: 0 is out of range 1..64");
    expect_error("limits:\n  thumbnail_wait_ms: 30001\n",
                 "limits.thumbnail_wait_ms: 30001 is out of range 0..30000");
}

/* Loads config/imgedad.yaml, the documented defaults, over c's defaults. */
static void load_documented(struct srv_config *c)
{
    struct ie_err err = {0};
    char path[4096];
    const char *src = getenv("IE_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/config/imgedad.yaml", src ? src : ".");
    cr_assert_eq(srv_config_load(c, path, &err), 0, "%s", err.msg);
}

Test(config, import_limit_default_documented_and_bounded)
{
    struct srv_config c;
    struct ie_err err = {0};
    srv_config_init(&c);
    cr_expect_eq(c.import_max_bytes, (int64_t)4 << 30);
    load_documented(&c);
    cr_expect_eq(c.import_max_bytes, (int64_t)4 << 30, "the documented file says the default");
    cr_assert_eq(srv_config_set(&c, "import.max_bytes", "100000000000", &err), 0, "%s", err.msg);
    cr_expect_eq(c.import_max_bytes, 100000000000);
    srv_config_release(&c);
    expect_error("import:\n  max_bytes: 1000\n", "import.max_bytes: 1000 is out of range 1024..");
}
