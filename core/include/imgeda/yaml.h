/* The project's one YAML reader (core/yaml.c): data.yaml, quality-gate policies and the daemon's
 * configuration read text through it into a small tree whose nodes keep their 1-based line and
 * column, so every caller can report "file:line:col" for what it refuses.
 *
 * The reader keeps what the text says and judges nothing beyond syntax and the caller's caps:
 * aliases stay alias nodes (never followed, so anchors cost nothing), tags are kept as written,
 * duplicate keys are all kept in order, several documents are read one after the other. Each
 * caller refuses what it does not accept by looking at the tree. When the parse fails, the tree
 * keeps everything read before the failure, so a caller that checks its input in document order
 * can report its own error when that error comes first in the text.
 *
 * THREADS: plain data; libyaml keeps no global state, so separate parses may run at once. */
#ifndef IMGEDA_YAML_H
#define IMGEDA_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "imgeda/err.h"

enum ie_yaml_kind { IE_YAML_SCALAR, IE_YAML_SEQ, IE_YAML_MAP, IE_YAML_ALIAS };

struct ie_yaml_node {
    enum ie_yaml_kind kind;
    char *value; /* scalar: its text, len bytes and a NUL (it may hold NULs); alias: the anchor */
    size_t len;
    bool plain;       /* a plain (unquoted) scalar, the only kind YAML may read as null or number */
    char *tag;        /* the tag as libyaml resolved it ("tag:yaml.org,2002:str"), or NULL */
    size_t line, col; /* 1-based, where the node starts */
    bool complete;    /* a collection whose end was read: false only in a failed parse's tree */
    struct ie_yaml_node **kids; /* sequence: the items; mapping: key, value, key, value, ... */
    size_t n, cap;
};

struct ie_yaml_document {
    size_t line, col;          /* where it starts: its "---", or its first token */
    struct ie_yaml_node *root; /* NULL when the parse failed before the document's content */
};

enum ie_yaml_failure {
    IE_YAML_OK,
    IE_YAML_SYNTAX,         /* libyaml's scanner or parser refused the text */
    IE_YAML_ENCODING,       /* the text is not valid UTF-8 (or UTF-16 with a BOM) */
    IE_YAML_TOO_LARGE,      /* longer than max_bytes */
    IE_YAML_TOO_DEEP,       /* a collection nested deeper than max_depth */
    IE_YAML_TOO_MANY_NODES, /* more than max_nodes nodes */
};

/* Why a parse failed, for callers whose messages say it their own way. */
struct ie_yaml_error {
    enum ie_yaml_failure kind;
    size_t line, col;  /* 1-based: libyaml's problem mark (encoding errors have none: 1:1, see
                        * offset), or the node that broke a cap; 0 for TOO_LARGE */
    char problem[128]; /* libyaml's description ("did not find expected key"), or "" */
    char context[128]; /* what libyaml was reading ("while parsing a flow sequence"), or "" */
    size_t context_line, context_col;
    size_t offset; /* ENCODING: byte offset of the offending bytes */
};

/* Caps for untrusted text; 0 leaves a cap off. */
struct ie_yaml_options {
    size_t max_bytes;         /* longer text fails at once (IE_ELIMIT) */
    int max_depth;            /* a sequence or mapping inside max_depth others fails (IE_EINVAL) */
    size_t max_nodes;         /* more nodes than this fail (IE_EINVAL) */
    bool first_document_only; /* stop after the first document, not reading what follows */
};

struct ie_yaml {
    struct ie_yaml_document *docs; /* in text order; an empty text has none */
    size_t n_docs, cap_docs;
    struct ie_yaml_error error; /* kind IE_YAML_OK after a successful parse */
};

void ie_yaml_init(struct ie_yaml *y);
/* Frees the tree; y is initialised again. */
void ie_yaml_release(struct ie_yaml *y);

/* Parses text[0..len) (NULL with len 0 reads as empty) into y, replacing what it held; o may be
 * NULL (no caps), name names the text in messages. Returns 0, or IE_ELIMIT / IE_EINVAL with
 * y->error filled and err set to "name:line:col: malformed YAML: <libyaml's problem>" (syntax and
 * encoding), "name:line:col: nesting deeper than N levels", "name:line:col: more than N YAML nodes"
 * or "name: YAML text is at most N bytes, this one has M". On failure y still holds the documents
 * read so far (see above); release it in every case. */
int ie_yaml_parse(struct ie_yaml *y, const char *name, const char *text, size_t len,
                  const struct ie_yaml_options *o, struct ie_err *err);

/* The root node of the first document, or NULL when there is none. */
const struct ie_yaml_node *ie_yaml_root(const struct ie_yaml *y);

/* The value of the first pair of mapping m whose key is a scalar equal to key (later duplicates
 * are not looked at), or NULL; NULL when m is NULL or not a mapping. */
const struct ie_yaml_node *ie_yaml_map_get(const struct ie_yaml_node *m, const char *key);

#endif
