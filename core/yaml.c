/* The YAML reader (see imgeda/yaml.h): libyaml's events into a tree of positioned nodes.
 * DESIGN: one loop over the events with an explicit stack of open collections, so hostile
 * nesting costs no C stack; every node is attached to its parent the moment its first event is
 * read, so a failed parse leaves a tree of exactly what came before the failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "imgeda/util.h"
#include "imgeda/yaml.h"

struct reader {
    struct ie_yaml *y;
    struct ie_yaml_options o;
    struct ie_yaml_node **open; /* the collections being read, innermost last */
    size_t n_open, cap_open;
    size_t nodes;
};

static void node_free(struct ie_yaml_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->value);
    free(n->tag);
    free(n);
}

void ie_yaml_init(struct ie_yaml *y)
{
    memset(y, 0, sizeof(*y));
}

void ie_yaml_release(struct ie_yaml *y)
{
    for (size_t i = 0; i < y->n_docs; i++)
        node_free(y->docs[i].root);
    free(y->docs);
    ie_yaml_init(y);
}

const struct ie_yaml_node *ie_yaml_root(const struct ie_yaml *y)
{
    return y->n_docs ? y->docs[0].root : NULL;
}

const struct ie_yaml_node *ie_yaml_map_get(const struct ie_yaml_node *m, const char *key)
{
    if (!m || m->kind != IE_YAML_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->kind == IE_YAML_SCALAR && strcmp(m->kids[i]->value, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

/* Records a failure at a node (or at line 0 when it has no place). */
static int fail(struct reader *rd, enum ie_yaml_failure kind, size_t line, size_t col)
{
    rd->y->error.kind = kind;
    rd->y->error.line = line;
    rd->y->error.col = col;
    return kind == IE_YAML_TOO_LARGE ? IE_ELIMIT : IE_EINVAL;
}

static int syntax_failure(struct reader *rd, const yaml_parser_t *p)
{
    struct ie_yaml_error *e = &rd->y->error;
    if (p->error == YAML_MEMORY_ERROR)
        abort(); /* as every allocation failure (ie_xmalloc) */
    snprintf(e->problem, sizeof(e->problem), "%s", p->problem ? p->problem : "");
    snprintf(e->context, sizeof(e->context), "%s", p->context ? p->context : "");
    e->context_line = p->context_mark.line + 1;
    e->context_col = p->context_mark.column + 1;
    e->offset = p->problem_offset;
    return fail(rd, p->error == YAML_READER_ERROR ? IE_YAML_ENCODING : IE_YAML_SYNTAX,
                p->problem_mark.line + 1, p->problem_mark.column + 1);
}

static struct ie_yaml_node *node_new(enum ie_yaml_kind kind, const yaml_event_t *ev,
                                     const yaml_char_t *tag)
{
    struct ie_yaml_node *n = ie_xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->line = ev->start_mark.line + 1;
    n->col = ev->start_mark.column + 1;
    n->complete = kind == IE_YAML_SCALAR || kind == IE_YAML_ALIAS;
    if (tag)
        n->tag = ie_xstrdup((const char *)tag);
    return n;
}

/* Makes the node of a scalar, alias or collection-start event. */
static struct ie_yaml_node *node_of_event(const yaml_event_t *ev)
{
    struct ie_yaml_node *n;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(IE_YAML_SCALAR, ev, ev->data.scalar.tag);
        n->len = ev->data.scalar.length;
        n->value = ie_xstrndup((const char *)ev->data.scalar.value, n->len);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return n;
    case YAML_ALIAS_EVENT:
        n = node_new(IE_YAML_ALIAS, ev, NULL);
        n->value = ie_xstrdup((const char *)ev->data.alias.anchor);
        n->len = strlen(n->value);
        return n;
    case YAML_SEQUENCE_START_EVENT:
        return node_new(IE_YAML_SEQ, ev, ev->data.sequence_start.tag);
    default:
        return node_new(IE_YAML_MAP, ev, ev->data.mapping_start.tag);
    }
}

/* Attaches a node to the open collection or as its document's root, then checks the caps. */
static int add_node(struct reader *rd, struct ie_yaml_node *n)
{
    if (rd->n_open) {
        struct ie_yaml_node *parent = rd->open[rd->n_open - 1];
        ie_grow((void **)&parent->kids, &parent->cap, parent->n + 1, sizeof(*parent->kids));
        parent->kids[parent->n++] = n;
    } else {
        rd->y->docs[rd->y->n_docs - 1].root = n;
    }
    if (rd->o.max_nodes && ++rd->nodes > rd->o.max_nodes)
        return fail(rd, IE_YAML_TOO_MANY_NODES, n->line, n->col);
    if (n->kind != IE_YAML_SEQ && n->kind != IE_YAML_MAP)
        return 0;
    if (rd->o.max_depth > 0 && rd->n_open >= (size_t)rd->o.max_depth)
        return fail(rd, IE_YAML_TOO_DEEP, n->line, n->col);
    ie_grow((void **)&rd->open, &rd->cap_open, rd->n_open + 1, sizeof(*rd->open));
    rd->open[rd->n_open++] = n;
    return 0;
}

/* Takes one event into the tree; *done when the reading ends there. */
static int take_event(struct reader *rd, const yaml_event_t *ev, bool *done)
{
    struct ie_yaml *y = rd->y;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        ie_grow((void **)&y->docs, &y->cap_docs, y->n_docs + 1, sizeof(*y->docs));
        y->docs[y->n_docs++] = (struct ie_yaml_document){
            .line = ev->start_mark.line + 1, .col = ev->start_mark.column + 1, .root = NULL};
        return 0;
    case YAML_DOCUMENT_END_EVENT:
        *done = rd->o.first_document_only;
        return 0;
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        rd->open[--rd->n_open]->complete = true;
        return 0;
    case YAML_SCALAR_EVENT:
    case YAML_ALIAS_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        return add_node(rd, node_of_event(ev));
    default:
        return 0;
    }
}

static int report(const struct ie_yaml *y, const char *name, size_t len,
                  const struct ie_yaml_options *o, struct ie_err *err)
{
    const struct ie_yaml_error *e = &y->error;
    switch (e->kind) {
    case IE_YAML_TOO_LARGE:
        return ie_err_set(err, IE_ELIMIT, "%s: YAML text is at most %zu bytes, this one has %zu",
                          name, o->max_bytes, len);
    case IE_YAML_TOO_DEEP:
        return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: nesting deeper than %d levels", name,
                          e->line, e->col, o->max_depth);
    case IE_YAML_TOO_MANY_NODES:
        return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: more than %zu YAML nodes", name, e->line,
                          e->col, o->max_nodes);
    default:
        return ie_err_set(err, IE_EINVAL, "%s:%zu:%zu: malformed YAML: %s", name, e->line, e->col,
                          *e->problem ? e->problem : "parse error");
    }
}

int ie_yaml_parse(struct ie_yaml *y, const char *name, const char *text, size_t len,
                  const struct ie_yaml_options *o, struct ie_err *err)
{
    struct reader rd = {.y = y};
    yaml_parser_t p;
    bool done = false;
    int rc = 0;

    ie_yaml_release(y);
    if (o)
        rd.o = *o;
    if (!text)
        text = "", len = 0;
    if (rd.o.max_bytes && len > rd.o.max_bytes) {
        fail(&rd, IE_YAML_TOO_LARGE, 0, 0);
        return report(y, name, len, &rd.o, err);
    }
    if (!yaml_parser_initialize(&p))
        abort(); /* allocation failure */
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_failure(&rd, &p);
            break;
        }
        rc = take_event(&rd, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    free(rd.open);
    if (rc < 0)
        return report(y, name, len, &rd.o, err);
    return 0;
}
