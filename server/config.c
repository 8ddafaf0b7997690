/* Configuration table, YAML loading and validation (see config.h).
 * DESIGN: the YAML document is read by the core's YAML reader (imgeda/yaml.h) into a small tree
 * that keeps each node's position, then every leaf is matched against one table of keys; the
 * same table sets command-line overrides, so a key behaves the same wherever it comes from. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine/s3.h"
#include "imgeda/util.h"
#include "imgeda/yaml.h"

enum key_type { K_STR, K_INT, K_BOOL, K_STRLIST, K_LEVEL };

struct key {
    const char *name;
    enum key_type type;
    size_t offset;
    int64_t min, max;
};

static const struct key keys[] = {
    {"listen.address", K_STR, offsetof(struct srv_config, listen_address), 0, 0},
    {"listen.port", K_INT, offsetof(struct srv_config, listen_port), 0, 65535},
    {"data_dir", K_STR, offsetof(struct srv_config, data_dir), 0, 0},
    {"scan.allowed_roots", K_STRLIST, offsetof(struct srv_config, allowed_roots), 0, 0},
    {"scan.workers", K_INT, offsetof(struct srv_config, workers), 0, 1024},
    {"scan.checkpoint_every", K_INT, offsetof(struct srv_config, checkpoint_every), 1, 10000000},
    {"scan.isolate", K_BOOL, offsetof(struct srv_config, isolate), 0, 1},
    {"scan.image_timeout_s", K_INT, offsetof(struct srv_config, image_timeout_s), 0, 86400},
    {"auth.token", K_STR, offsetof(struct srv_config, auth_token), 0, 0},
    {"limits.max_body_bytes", K_INT, offsetof(struct srv_config, max_body_bytes), 1024,
     (int64_t)1 << 34},
    {"import.max_bytes", K_INT, offsetof(struct srv_config, import_max_bytes), 1024,
     (int64_t)1 << 44},
    {"limits.max_buffered_bytes", K_INT, offsetof(struct srv_config, max_buffered_bytes), 1024,
     (int64_t)1 << 36},
    {"limits.max_connections", K_INT, offsetof(struct srv_config, max_connections), 1, 16384},
    {"limits.max_connections_per_ip", K_INT, offsetof(struct srv_config, max_connections_per_ip), 0,
     16384},
    {"limits.header_timeout_s", K_INT, offsetof(struct srv_config, header_timeout_s), 1, 3600},
    {"limits.body_timeout_s", K_INT, offsetof(struct srv_config, body_timeout_s), 1, 3600},
    {"limits.db_connections", K_INT, offsetof(struct srv_config, db_connections), 1, 256},
    {"limits.max_pixels", K_INT, offsetof(struct srv_config, max_pixels), 1, (int64_t)1 << 40},
    {"limits.thumbnail_decodes", K_INT, offsetof(struct srv_config, thumbnail_decodes), 1, 64},
    {"limits.thumbnail_wait_ms", K_INT, offsetof(struct srv_config, thumbnail_wait_ms), 0, 30000},
    {"log.level", K_LEVEL, offsetof(struct srv_config, log_level), 0, 0},
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *srv_log_level_name(int level)
{
    return level >= 0 && level < 4 ? level_names[level] : "info";
}

void srv_config_init(struct srv_config *c)
{
    memset(c, 0, sizeof(*c));
    c->listen_address = ie_xstrdup("127.0.0.1");
    c->listen_port = 8080;
    c->data_dir = ie_xstrdup("./var");
    char *cwd = getcwd(NULL, 0);
    c->allowed_roots[0] = ie_xstrdup(cwd ? cwd : "/");
    c->n_allowed_roots = 1;
    free(cwd);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->workers = cores > 0 ? cores : 1;
    c->checkpoint_every = 500;
    c->isolate = 1;
    c->image_timeout_s = 60;
    c->auth_token = ie_xstrdup("");
    c->max_body_bytes = 8 << 20;
    c->import_max_bytes = (int64_t)4 << 30;
    c->max_buffered_bytes = 64 << 20;
    c->max_connections = 1024;
    c->max_connections_per_ip = 128;
    c->header_timeout_s = 10;
    c->body_timeout_s = 30;
    c->db_connections = 16;
    c->max_pixels = 178956970;
    c->thumbnail_decodes = 2;
    c->thumbnail_wait_ms = 5000;
    c->log_level = SRV_LOG_INFO;
}

static void clear_roots(struct srv_config *c)
{
    for (int i = 0; i < c->n_allowed_roots; i++)
        free(c->allowed_roots[i]);
    c->n_allowed_roots = 0;
}

void srv_config_release(struct srv_config *c)
{
    free(c->listen_address);
    free(c->data_dir);
    free(c->auth_token);
    clear_roots(c);
    memset(c, 0, sizeof(*c));
}

static const struct key *find_key(const char *name)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(keys); i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Sets a scalar key. where = "file:line:col" prefix or "" for the command line. */
static int set_scalar(struct srv_config *c, const struct key *k, const char *v, const char *where,
                      struct ie_err *err)
{
    void *slot = (char *)c + k->offset;
    switch (k->type) {
    case K_STR:
        free(*(char **)slot);
        *(char **)slot = ie_xstrdup(v);
        return 0;
    case K_INT: {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno)
            return ie_err_set(err, IE_EINVAL, "%s%s: expected a whole number, got \"%s\"", where,
                              k->name, v);
        if (n < k->min || n > k->max)
            return ie_err_set(err, IE_EINVAL, "%s%s: %lld is out of range %lld..%lld", where,
                              k->name, n, (long long)k->min, (long long)k->max);
        *(int64_t *)slot = n;
        return 0;
    }
    case K_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
            *(int64_t *)slot = strcmp(v, "true") == 0;
            return 0;
        }
        return ie_err_set(err, IE_EINVAL, "%s%s: expected true or false, got \"%s\"", where,
                          k->name, v);
    case K_LEVEL:
        for (int i = 0; i < 4; i++)
            if (strcmp(v, level_names[i]) == 0) {
                *(int64_t *)slot = i;
                return 0;
            }
        return ie_err_set(err, IE_EINVAL, "%s%s: expected debug, info, warn or error, got \"%s\"",
                          where, k->name, v);
    case K_STRLIST:
        /* From the command line: a comma-separated list. */
        clear_roots(c);
        for (const char *p = v; *p;) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (n) {
                if (c->n_allowed_roots >= SRV_MAX_ROOTS)
                    return ie_err_set(err, IE_EINVAL, "%s%s: at most %d entries", where, k->name,
                                      SRV_MAX_ROOTS);
                c->allowed_roots[c->n_allowed_roots++] = ie_xstrndup(p, n);
            }
            if (!e)
                break;
            p = e + 1;
        }
        return 0;
    }
    return ie_err_set(err, IE_EINVAL, "%s%s: unsupported", where, k->name);
}

int srv_config_set(struct srv_config *c, const char *key, const char *value, struct ie_err *err)
{
    const struct key *k = find_key(key);
    if (!k)
        return ie_err_set(err, IE_EINVAL, "%s: unknown key", key);
    return set_scalar(c, k, value, "", err);
}

/* ---- YAML ---- */

/* The largest configuration file read. */
#define MAX_BYTES (1 << 20)
/* A node with more than this many collections above it is refused. */
#define MAX_DEPTH 32

/* Refuses, in text order, what the configuration never takes: nodes nested deeper than
 * MAX_DEPTH and aliases. Returns the first one's error, or 0. */
static int check_tree(const char *file, const struct ie_yaml_node *n, int depth, struct ie_err *err)
{
    if (depth > MAX_DEPTH)
        return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: nesting deeper than %d levels", file,
                          n->line, n->col, MAX_DEPTH);
    if (n->kind == IE_YAML_ALIAS)
        return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: aliases are not allowed here", file, n->line,
                          n->col);
    for (size_t i = 0; i < n->n; i++) {
        int rc = check_tree(file, n->kids[i], depth + 1, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Parses text into y: one document (its root is NULL when the text is empty), checked by
 * check_tree. The errors come in text order: those of check_tree in what was read before a
 * syntax error, then a second document, then the syntax error. */
static int parse_yaml(const char *file, const char *text, size_t len, struct ie_yaml *y,
                      struct ie_err *err)
{
    /* One collection level more than MAX_DEPTH allows, so that the reader stops no earlier
     * than check_tree refuses (the node it stops at is in the tree, below MAX_DEPTH). */
    const struct ie_yaml_options o = {.max_bytes = MAX_BYTES, .max_depth = MAX_DEPTH + 1};
    int rc = ie_yaml_parse(y, file, text, len, &o, err);
    const struct ie_yaml_node *root = ie_yaml_root(y);
    int bad = root ? check_tree(file, root, 0, err) : 0;
    if (bad < 0)
        return bad;
    if (y->n_docs > 1 && y->docs[1].root)
        return ie_err_set(err, IE_EINVAL, "%s: more than one YAML document", file);
    return rc; /* the reader's "file:line:col: malformed YAML: ..." */
}

static const char *kind_name(enum ie_yaml_kind k)
{
    return k == IE_YAML_MAP ? "a mapping" : k == IE_YAML_SEQ ? "a list" : "a scalar";
}

static int apply(struct srv_config *c, const char *file, const struct ie_yaml_node *n,
                 const char *prefix, struct ie_err *err)
{
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const struct ie_yaml_node *kn = n->kids[i], *vn = n->kids[i + 1];
        char name[256], where[512];
        if (kn->kind != IE_YAML_SCALAR)
            return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: keys must be plain names", file,
                              kn->line, kn->col);
        snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", kn->value);
        snprintf(where, sizeof(where), "%s:%zu:%zu: ", file, vn->line, vn->col);
        const struct key *k = find_key(name);
        if (!k) {
            /* A section name (listen, scan, ...) is a prefix of some key. */
            size_t nl = strlen(name);
            bool section = false;
            for (size_t j = 0; j < IE_ARRAY_LEN(keys); j++)
                if (strncmp(keys[j].name, name, nl) == 0 && keys[j].name[nl] == '.')
                    section = true;
            if (!section)
                return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: %s: unknown key", file, kn->line,
                                  kn->col, name);
            if (vn->kind != IE_YAML_MAP)
                return ie_err_set(err, IE_EINVAL, "%s%s: expected a mapping, got %s", where, name,
                                  kind_name(vn->kind));
            int rc = apply(c, file, vn, name, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (k->type == K_STRLIST) {
            if (vn->kind != IE_YAML_SEQ)
                return ie_err_set(err, IE_EINVAL, "%s%s: expected a list, got %s", where, name,
                                  kind_name(vn->kind));
            if (vn->n == 0)
                continue; /* [] keeps the default: the start-up directory */
            if (vn->n > SRV_MAX_ROOTS)
                return ie_err_set(err, IE_EINVAL, "%s%s: at most %d entries", where, name,
                                  SRV_MAX_ROOTS);
            for (size_t j = 0; j < vn->n; j++)
                if (vn->kids[j]->kind != IE_YAML_SCALAR || !*vn->kids[j]->value)
                    return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: %s: entries must be paths", file,
                                      vn->kids[j]->line, vn->kids[j]->col, name);
            clear_roots(c);
            for (size_t j = 0; j < vn->n; j++)
                c->allowed_roots[c->n_allowed_roots++] = ie_xstrdup(vn->kids[j]->value);
            continue;
        }
        if (vn->kind != IE_YAML_SCALAR)
            return ie_err_set(err, IE_EINVAL, "%s%s: expected a value, got %s", where, name,
                              kind_name(vn->kind));
        int rc = set_scalar(c, k, vn->value, where, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int srv_config_parse(struct srv_config *c, const char *name, const char *text, size_t len,
                     struct ie_err *err)
{
    struct ie_yaml y;
    int rc;
    ie_yaml_init(&y);
    rc = parse_yaml(name, text, len, &y, err);
    const struct ie_yaml_node *root = ie_yaml_root(&y);
    if (rc == 0 && root) {
        if (root->kind != IE_YAML_MAP)
            rc = ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: the configuration must be a mapping", name,
                            root->line, root->col);
        else
            rc = apply(c, name, root, "", err);
    }
    ie_yaml_release(&y);
    return rc;
}

int srv_config_load(struct srv_config *c, const char *path, struct ie_err *err)
{
    char *text = NULL;
    size_t len;
    int rc = ie_read_file(path, MAX_BYTES, &text, &len, err);
    if (rc < 0)
        return rc;
    rc = srv_config_parse(c, path, text, len, err);
    free(text);
    return rc;
}

static bool is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strcmp(addr, "localhost") == 0;
}

int srv_config_validate(struct srv_config *c, struct ie_err *err)
{
    if (c->workers == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = cores > 0 ? cores : 1;
    }
    if (!is_loopback(c->listen_address) && !*c->auth_token)
        return ie_err_set(err, IE_EINVAL,
                          "listen.address: %s is not loopback; set auth.token to expose imgedad",
                          c->listen_address);
    if (!*c->data_dir)
        return ie_err_set(err, IE_EINVAL, "data_dir: must not be empty");
    if (c->n_allowed_roots == 0)
        return ie_err_set(err, IE_EINVAL, "scan.allowed_roots: at least one root is needed");
    for (int i = 0; i < c->n_allowed_roots; i++) {
        struct eng_s3_url u;
        struct ie_err e = {0};
        if (!eng_s3_is_url(c->allowed_roots[i]))
            continue;
        if (eng_s3_url_parse(c->allowed_roots[i], &u, &e) < 0)
            return ie_err_set(err, IE_EINVAL, "scan.allowed_roots: %s", e.msg);
        eng_s3_url_release(&u);
    }
    return 0;
}
