/* data.yaml for YOLO datasets: libyaml events into a small tree with caps. */

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* ---- YAML (data.yaml): libyaml events into a small tree ---- */

static void ynode_free(struct ynode *y)
{
    if (!y)
        return;
    for (size_t i = 0; i < y->n; i++)
        ynode_free(y->kids[i]);
    free(y->kids);
    free(y->s);
    free(y);
}

static struct ynode *ynode_new(enum ynode_type t, uint32_t line)
{
    struct ynode *y = ie_xcalloc(1, sizeof(*y));
    y->type = t;
    y->line = line;
    return y;
}

static void ynode_add(struct ynode *parent, struct ynode *kid)
{
    ie_grow((void **)&parent->kids, &parent->cap, parent->n + 1, sizeof(*parent->kids));
    parent->kids[parent->n++] = kid;
}

/* Loads the first YAML document of text. Aliases become null nodes (never followed, so
 * "billion laughs" through anchors costs nothing). Returns the root or NULL with msg/line. */
static struct ynode *yaml_load(const char *text, size_t len, int max_depth, char *msg, size_t msgsz,
                               uint32_t *line)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct ynode *stack[128];
    struct ynode *root = NULL;
    int depth = 0;
    size_t nodes = 0;
    bool done = false, ok = false;

    if (max_depth > (int)IE_ARRAY_LEN(stack) - 1)
        max_depth = (int)IE_ARRAY_LEN(stack) - 1;
    *line = 0;
    if (!yaml_parser_initialize(&p)) {
        snprintf(msg, msgsz, "cannot start the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            snprintf(msg, msgsz, "YAML syntax error: %s", p.problem ? p.problem : "unknown");
            *line = (uint32_t)p.problem_mark.line + 1;
            break;
        }
        uint32_t evline = (uint32_t)ev.start_mark.line + 1;
        struct ynode *node = NULL;
        bool opens = false;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            node = ynode_new(Y_SCALAR, evline);
            node->s = ie_xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            break;
        case YAML_ALIAS_EVENT:
            node = ynode_new(Y_NULL, evline);
            break;
        case YAML_SEQUENCE_START_EVENT:
            node = ynode_new(Y_SEQ, evline);
            opens = true;
            break;
        case YAML_MAPPING_START_EVENT:
            node = ynode_new(Y_MAP, evline);
            opens = true;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = true;
            ok = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (node) {
            if (++nodes > MAX_YAML_NODES) {
                ynode_free(node);
                snprintf(msg, msgsz, "more than %d YAML nodes", MAX_YAML_NODES);
                *line = evline;
                break;
            }
            if (depth == 0) {
                if (root) { /* a second top-level node cannot happen within one document */
                    ynode_free(node);
                } else {
                    root = node;
                }
            } else {
                ynode_add(stack[depth - 1], node);
            }
            if (opens) {
                if (depth >= max_depth) {
                    snprintf(msg, msgsz, "YAML nested deeper than %d levels", max_depth);
                    *line = evline;
                    break;
                }
                stack[depth++] = node;
            }
        }
    }
    yaml_parser_delete(&p);
    if (!ok) {
        ynode_free(root);
        return NULL;
    }
    if (!root)
        root = ynode_new(Y_NULL, 1);
    return root;
}

static const struct ynode *ymap_get(const struct ynode *m, const char *key)
{
    if (!m || m->type != Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->s, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

/* Declares YOLO class id -> name. */
void ie__annot_yolo_declare(struct ie_annot_state *st, size_t id, const char *name)
{
    if (id >= st->yolo_n) {
        size_t n = IE_MAX(id + 1, st->yolo_n * 2);
        st->yolo_cls = ie_xrealloc(st->yolo_cls, n * sizeof(*st->yolo_cls));
        for (size_t i = st->yolo_n; i < n; i++)
            st->yolo_cls[i] = SIZE_MAX;
        st->yolo_n = n;
    }
    st->yolo_cls[id] = ie__annot_class_intern(st, name, true);
}

void ie__annot_yolo_config_release(struct yolo_config *c)
{
    for (size_t i = 0; i < c->n_dirs; i++) {
        free(c->dirs[i].split);
        free(c->dirs[i].rel);
    }
    free(c->dirs);
    for (size_t i = 0; i < c->n_vals; i++) {
        free(c->split_vals[i]);
        free(c->split_keys[i]);
    }
    free(c->split_vals);
    free(c->split_keys);
    free(c->split_lines);
    free(c->path);
    memset(c, 0, sizeof(*c));
}

static void yolo_config_add_val(struct yolo_config *c, const char *key, const char *val,
                                uint32_t line)
{
    c->split_vals = ie_xrealloc(c->split_vals, (c->n_vals + 1) * sizeof(*c->split_vals));
    c->split_keys = ie_xrealloc(c->split_keys, (c->n_vals + 1) * sizeof(*c->split_keys));
    c->split_lines = ie_xrealloc(c->split_lines, (c->n_vals + 1) * sizeof(*c->split_lines));
    c->split_vals[c->n_vals] = ie_xstrdup(val);
    c->split_keys[c->n_vals] = ie_xstrdup(key);
    c->split_lines[c->n_vals] = line;
    c->n_vals++;
}

/* Reads data.yaml: class names (a list, or a mapping id -> name), nc, kpt_shape and the split
 * entries. Problems become CONFIG issues against `file`; cfg may be NULL. Returns 0, or
 * IE_EFORMAT when the file is not YAML at all. */
int ie__annot_yolo_load_yaml(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                             const char *text, size_t len, struct yolo_config *cfg)
{
    char msg[256], q[QUOTE_MAX * 4 + 8];
    uint32_t line;
    struct ynode *y = yaml_load(text, len, st->opt.max_depth, msg, sizeof(msg), &line);
    if (!y) {
        ie__annot_add_issue(r, file, line, IE_ANNOT_PARSE_ERROR, "%s", msg);
        return IE_EFORMAT;
    }
    if (y->type != Y_MAP) {
        ie__annot_add_issue(r, file, y->line, IE_ANNOT_CONFIG,
                            "data.yaml is not a mapping of keys");
        ynode_free(y);
        return 0;
    }
    const struct ynode *names = ymap_get(y, "names");
    const struct ynode *nc = ymap_get(y, "nc");
    long ncv = -1;
    size_t n_names = 0;
    if (nc) {
        if (nc->type != Y_SCALAR || !ie__annot_parse_class_id(nc->s, strlen(nc->s), &ncv) ||
            ncv > MAX_YOLO_CLASS_ID) {
            ie__annot_add_issue(r, file, nc->line, IE_ANNOT_CONFIG, "nc is not a class count");
            ncv = -1;
        }
    }
    if (names && names->type == Y_SEQ) {
        for (size_t i = 0; i < names->n; i++) {
            const struct ynode *k = names->kids[i];
            if (k->type != Y_SCALAR) {
                ie__annot_add_issue(r, file, k->line, IE_ANNOT_CONFIG, "names[%zu] is not a string",
                                    i);
                snprintf(msg, sizeof(msg), "%zu", i);
                ie__annot_yolo_declare(st, i, msg);
            } else {
                ie__annot_yolo_declare(st, i, k->s);
            }
        }
        n_names = names->n;
        st->yolo_declared = true;
    } else if (names && names->type == Y_MAP) {
        for (size_t i = 0; i + 1 < names->n; i += 2) {
            const struct ynode *k = names->kids[i], *v = names->kids[i + 1];
            long id;
            if (k->type != Y_SCALAR || !ie__annot_parse_class_id(k->s, strlen(k->s), &id) ||
                id > MAX_YOLO_CLASS_ID) {
                ie__annot_add_issue(
                    r, file, k->line, IE_ANNOT_CONFIG, "names key '%s' is not a class id",
                    k->type == Y_SCALAR ? ie__annot_quote(q, sizeof(q), k->s, strlen(k->s)) : "?");
                continue;
            }
            if (v->type != Y_SCALAR) {
                ie__annot_add_issue(r, file, v->line, IE_ANNOT_CONFIG,
                                    "name of class %ld is not a string", id);
                continue;
            }
            ie__annot_yolo_declare(st, (size_t)id, v->s);
            n_names++;
        }
        st->yolo_declared = true;
    } else if (names && names->type != Y_NULL) {
        ie__annot_add_issue(r, file, names->line, IE_ANNOT_CONFIG,
                            "names is neither a list nor a mapping of class names");
    }
    if (ncv >= 0) {
        if (st->yolo_declared && (size_t)ncv != n_names) {
            ie__annot_add_issue(r, file, nc->line, IE_ANNOT_CONFIG,
                                "nc is %ld but names lists %zu classes", ncv, n_names);
        } else if (!st->yolo_declared) {
            /* Only a count: ids 0..nc-1 are valid and named by their number, as imgeda does. */
            for (long i = 0; i < ncv; i++) {
                snprintf(msg, sizeof(msg), "%ld", i);
                ie__annot_yolo_declare(st, (size_t)i, msg);
            }
            st->yolo_declared = true;
        }
    }
    if (!names && ncv < 0)
        ie__annot_add_issue(
            r, file, y->line, IE_ANNOT_CONFIG,
            "data.yaml declares no classes (names or nc): class ids are not checked");
    st->yolo_kpt = ymap_get(y, "kpt_shape") != NULL;
    if (cfg) {
        const struct ynode *path = ymap_get(y, "path");
        if (path && path->type == Y_SCALAR && *path->s)
            cfg->path = ie_xstrdup(path->s);
        static const char *const keys[] = {"train", "val", "test"};
        for (size_t k = 0; k < IE_ARRAY_LEN(keys); k++) {
            const struct ynode *v = ymap_get(y, keys[k]);
            if (!v)
                continue;
            if (v->type == Y_SCALAR && *v->s) {
                yolo_config_add_val(cfg, keys[k], v->s, v->line);
            } else if (v->type == Y_SEQ) {
                for (size_t i = 0; i < v->n; i++)
                    if (v->kids[i]->type == Y_SCALAR && *v->kids[i]->s)
                        yolo_config_add_val(cfg, keys[k], v->kids[i]->s, v->kids[i]->line);
            }
        }
    }
    ynode_free(y);
    return 0;
}
