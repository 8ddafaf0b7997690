/* Configuration table, YAML loading and validation (see config.h).
 * DESIGN: the YAML document is read with libyaml's event parser into a small tree that keeps
 * each node's position, then every leaf is matched against one table of keys; the same table
 * sets command-line overrides, so a key behaves the same wherever it comes from. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "imgeda/util.h"

enum key_type { K_STR, K_INT, K_STRLIST, K_LEVEL };

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
    {"auth.token", K_STR, offsetof(struct srv_config, auth_token), 0, 0},
    {"limits.max_body_bytes", K_INT, offsetof(struct srv_config, max_body_bytes), 1024,
     (int64_t)1 << 34},
    {"limits.max_pixels", K_INT, offsetof(struct srv_config, max_pixels), 1, (int64_t)1 << 40},
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
    c->auth_token = ie_xstrdup("");
    c->max_body_bytes = 8 << 20;
    c->max_pixels = 178956970;
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

/* ---- YAML tree ---- */

enum node_kind { N_SCALAR, N_MAP, N_SEQ };

struct node {
    enum node_kind kind;
    char *value; /* scalar text, or the key for map entries' children */
    bool plain;  /* an unquoted scalar (so "null"/"~" mean null) */
    int line, col;
    struct node **kids; /* N_MAP: key scalar, value, key, value, ...; N_SEQ: items */
    size_t n, cap;
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n);
}

struct parse {
    yaml_parser_t p;
    const char *file;
    struct ie_err *err;
};

#define MAX_DEPTH 32

static int parse_node(struct parse *ps, yaml_event_t *first, int depth, struct node **out);

static int yaml_failed(struct parse *ps)
{
    return ie_err_set(ps->err, IE_EINVAL, "%s:%zu:%zu: malformed YAML: %s", ps->file,
                      ps->p.problem_mark.line + 1, ps->p.problem_mark.column + 1,
                      ps->p.problem ? ps->p.problem : "parse error");
}

static int parse_children(struct parse *ps, struct node *n, yaml_event_type_t end, int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&ps->p, &ev))
            return yaml_failed(ps);
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return 0;
        }
        struct node *kid = NULL;
        int rc = parse_node(ps, &ev, depth + 1, &kid);
        yaml_event_delete(&ev);
        /* Attach even a half-built child, so freeing the parent frees it too. */
        if (kid) {
            ie_grow((void **)&n->kids, &n->cap, n->n + 1, sizeof(*n->kids));
            n->kids[n->n++] = kid;
        }
        if (rc < 0)
            return rc;
    }
}

static int parse_node(struct parse *ps, yaml_event_t *ev, int depth, struct node **out)
{
    if (depth > MAX_DEPTH)
        return ie_err_set(ps->err, IE_EINVAL, "%s:%zu:%zu: nesting deeper than %d levels", ps->file,
                          ev->start_mark.line + 1, ev->start_mark.column + 1, MAX_DEPTH);
    struct node *n = ie_xcalloc(1, sizeof(*n));
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    *out = n;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n->kind = N_SCALAR;
        n->value = ie_xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return 0;
    case YAML_MAPPING_START_EVENT:
        n->kind = N_MAP;
        return parse_children(ps, n, YAML_MAPPING_END_EVENT, depth);
    case YAML_SEQUENCE_START_EVENT:
        n->kind = N_SEQ;
        return parse_children(ps, n, YAML_SEQUENCE_END_EVENT, depth);
    case YAML_ALIAS_EVENT:
        return ie_err_set(ps->err, IE_EINVAL, "%s:%d:%d: aliases are not allowed here", ps->file,
                          n->line, n->col);
    default:
        return ie_err_set(ps->err, IE_EINVAL, "%s:%d:%d: unexpected YAML event", ps->file, n->line,
                          n->col);
    }
}

/* Parses text into a tree; an empty document gives NULL. */
static int parse_yaml(const char *file, const char *text, size_t len, struct node **root,
                      struct ie_err *err)
{
    struct parse ps = {.file = file, .err = err};
    int rc = 0;
    *root = NULL;
    if (!yaml_parser_initialize(&ps.p))
        return ie_err_set(err, IE_EINVAL, "%s: cannot start the YAML parser", file);
    yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&ps.p, &ev)) {
            rc = yaml_failed(&ps);
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT) {
            if (*root) {
                yaml_event_delete(&ev);
                rc = ie_err_set(err, IE_EINVAL, "%s: more than one YAML document", file);
                break;
            }
            rc = parse_node(&ps, &ev, 0, root);
        }
        yaml_event_delete(&ev);
        if (rc < 0 || t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&ps.p);
    if (rc < 0) {
        node_free(*root);
        *root = NULL;
    }
    return rc;
}

static const char *kind_name(enum node_kind k)
{
    return k == N_MAP ? "a mapping" : k == N_SEQ ? "a list" : "a scalar";
}

static int apply(struct srv_config *c, const char *file, const struct node *n, const char *prefix,
                 struct ie_err *err)
{
    for (size_t i = 0; i + 1 < n->n; i += 2) {
        const struct node *kn = n->kids[i], *vn = n->kids[i + 1];
        char name[256], where[512];
        if (kn->kind != N_SCALAR)
            return ie_err_set(err, IE_EINVAL, "%s:%d:%d: keys must be plain names", file, kn->line,
                              kn->col);
        snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", kn->value);
        snprintf(where, sizeof(where), "%s:%d:%d: ", file, vn->line, vn->col);
        const struct key *k = find_key(name);
        if (!k) {
            /* A section name (listen, scan, ...) is a prefix of some key. */
            size_t nl = strlen(name);
            bool section = false;
            for (size_t j = 0; j < IE_ARRAY_LEN(keys); j++)
                if (strncmp(keys[j].name, name, nl) == 0 && keys[j].name[nl] == '.')
                    section = true;
            if (!section)
                return ie_err_set(err, IE_EINVAL, "%s:%d:%d: %s: unknown key", file, kn->line,
                                  kn->col, name);
            if (vn->kind != N_MAP)
                return ie_err_set(err, IE_EINVAL, "%s%s: expected a mapping, got %s", where, name,
                                  kind_name(vn->kind));
            int rc = apply(c, file, vn, name, err);
            if (rc < 0)
                return rc;
            continue;
        }
        if (k->type == K_STRLIST) {
            if (vn->kind != N_SEQ)
                return ie_err_set(err, IE_EINVAL, "%s%s: expected a list, got %s", where, name,
                                  kind_name(vn->kind));
            if (vn->n == 0)
                continue; /* [] keeps the default: the start-up directory */
            if (vn->n > SRV_MAX_ROOTS)
                return ie_err_set(err, IE_EINVAL, "%s%s: at most %d entries", where, name,
                                  SRV_MAX_ROOTS);
            for (size_t j = 0; j < vn->n; j++)
                if (vn->kids[j]->kind != N_SCALAR || !*vn->kids[j]->value)
                    return ie_err_set(err, IE_EINVAL, "%s:%d:%d: %s: entries must be paths", file,
                                      vn->kids[j]->line, vn->kids[j]->col, name);
            clear_roots(c);
            for (size_t j = 0; j < vn->n; j++)
                c->allowed_roots[c->n_allowed_roots++] = ie_xstrdup(vn->kids[j]->value);
            continue;
        }
        if (vn->kind != N_SCALAR)
            return ie_err_set(err, IE_EINVAL, "%s%s: expected a value, got %s", where, name,
                              kind_name(vn->kind));
        int rc = set_scalar(c, k, vn->value, where, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int srv_config_load(struct srv_config *c, const char *path, struct ie_err *err)
{
    char *text = NULL;
    size_t len;
    struct node *root = NULL;
    int rc = ie_read_file(path, 1 << 20, &text, &len, err);
    if (rc < 0)
        return rc;
    rc = parse_yaml(path, text, len, &root, err);
    if (rc == 0 && root) {
        if (root->kind != N_MAP)
            rc = ie_err_set(err, IE_EINVAL, "%s:%d:%d: the configuration must be a mapping", path,
                            root->line, root->col);
        else
            rc = apply(c, path, root, "", err);
    }
    node_free(root);
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
    return 0;
}
