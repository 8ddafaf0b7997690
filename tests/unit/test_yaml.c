/* Unit tests for core/yaml.c: the tree (nested maps and lists, positions, scalar styles, tags,
 * aliases, documents), the caps and the syntax errors with their line:col. */
#include <criterion/criterion.h>
#include <string.h>

#include "imgeda/yaml.h"

/* Parses text as "t.yaml" with caps o (may be NULL) into y, replacing what it held; returns the
 * code, message in err. */
static int parse(struct ie_yaml *y, const char *text, const struct ie_yaml_options *o,
                 struct ie_err *err)
{
    return ie_yaml_parse(y, "t.yaml", text, strlen(text), o, err);
}

static void expect_at(const struct ie_yaml_node *n, enum ie_yaml_kind kind, size_t line, size_t col)
{
    cr_assert_not_null(n);
    cr_expect_eq(n->kind, kind);
    cr_expect_eq(n->line, line, "line %zu, want %zu", n->line, line);
    cr_expect_eq(n->col, col, "column %zu, want %zu", n->col, col);
}

static void expect_scalar(const struct ie_yaml_node *n, const char *text, size_t line, size_t col)
{
    expect_at(n, IE_YAML_SCALAR, line, col);
    cr_expect_str_eq(n->value, text);
    cr_expect_eq(n->len, strlen(text));
}

Test(yaml, nested_maps_and_lists_keep_their_positions)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    const char *text = "listen:\n"
                       "  port: 8080\n"
                       "roots: [/a, \"/b\"]\n"
                       "names:\n"
                       "  - cat\n"
                       "  - {id: 1}\n";
    cr_assert_eq(parse(&y, text, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(err.code, 0, "err is untouched on success");
    cr_assert_eq(y.n_docs, 1);
    cr_expect_eq(y.error.kind, IE_YAML_OK);
    const struct ie_yaml_node *root = ie_yaml_root(&y);
    expect_at(root, IE_YAML_MAP, 1, 1);
    cr_expect(root->complete);
    cr_assert_eq(root->n, 6, "three keys and their values");
    expect_scalar(root->kids[0], "listen", 1, 1);

    const struct ie_yaml_node *listen = ie_yaml_map_get(root, "listen");
    expect_at(listen, IE_YAML_MAP, 2, 3);
    expect_scalar(ie_yaml_map_get(listen, "port"), "8080", 2, 9);

    const struct ie_yaml_node *roots = ie_yaml_map_get(root, "roots");
    expect_at(roots, IE_YAML_SEQ, 3, 8);
    cr_assert_eq(roots->n, 2);
    expect_scalar(roots->kids[0], "/a", 3, 9);
    cr_expect(roots->kids[0]->plain);
    expect_scalar(roots->kids[1], "/b", 3, 13);
    cr_expect_not(roots->kids[1]->plain, "a quoted scalar is not plain");

    const struct ie_yaml_node *names = ie_yaml_map_get(root, "names");
    expect_at(names, IE_YAML_SEQ, 5, 3);
    cr_assert_eq(names->n, 2);
    expect_scalar(names->kids[0], "cat", 5, 5);
    expect_at(names->kids[1], IE_YAML_MAP, 6, 5);
    expect_scalar(ie_yaml_map_get(names->kids[1], "id"), "1", 6, 10);

    cr_expect_null(ie_yaml_map_get(root, "missing"));
    cr_expect_null(ie_yaml_map_get(roots, "a"), "a list has no keys");
    cr_expect_null(ie_yaml_map_get(NULL, "a"));
    ie_yaml_release(&y);
    cr_expect_null(y.docs);
    cr_expect_eq(y.n_docs, 0);
}

Test(yaml, scalars_keep_tags_nul_bytes_and_empty_values)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "a: !!str 1\nb: \"x\\0y\"\nc:\n", NULL, &err), 0, "%s", err.msg);
    const struct ie_yaml_node *root = ie_yaml_root(&y);
    const struct ie_yaml_node *a = ie_yaml_map_get(root, "a");
    cr_assert_not_null(a->tag);
    cr_expect_str_eq(a->tag, "tag:yaml.org,2002:str");
    cr_expect_null(ie_yaml_map_get(root, "b")->tag);
    const struct ie_yaml_node *b = ie_yaml_map_get(root, "b");
    cr_expect_eq(b->len, 3);
    cr_expect_eq(memcmp(b->value, "x\0y", 4), 0);
    const struct ie_yaml_node *c = ie_yaml_map_get(root, "c");
    expect_scalar(c, "", 3, 3);
    cr_expect(c->plain, "an empty value is a plain empty scalar");
    ie_yaml_release(&y);
}

Test(yaml, aliases_stay_alias_nodes)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "a: &x [1, 2]\nb: *x\n", NULL, &err), 0, "%s", err.msg);
    const struct ie_yaml_node *b = ie_yaml_map_get(ie_yaml_root(&y), "b");
    expect_at(b, IE_YAML_ALIAS, 2, 4);
    cr_expect_str_eq(b->value, "x");
    cr_expect_eq(b->n, 0, "an alias is never followed");
    ie_yaml_release(&y);
}

Test(yaml, duplicate_keys_are_kept_and_lookup_takes_the_first)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "k: 1\nk: 2\n", NULL, &err), 0, "%s", err.msg);
    const struct ie_yaml_node *root = ie_yaml_root(&y);
    cr_expect_eq(root->n, 4);
    expect_scalar(ie_yaml_map_get(root, "k"), "1", 1, 4);
    expect_scalar(root->kids[3], "2", 2, 4);
    ie_yaml_release(&y);
}

Test(yaml, empty_text_has_no_document)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "", NULL, &err), 0);
    cr_expect_eq(y.n_docs, 0);
    cr_expect_null(ie_yaml_root(&y));
    cr_assert_eq(parse(&y, "# a comment only\n", NULL, &err), 0);
    cr_expect_null(ie_yaml_root(&y));
    cr_assert_eq(ie_yaml_parse(&y, "t.yaml", NULL, 0, NULL, &err), 0, "NULL reads as empty");
    cr_expect_eq(y.n_docs, 0);
    /* "---" alone is a document holding an empty plain scalar. */
    cr_assert_eq(parse(&y, "---\n", NULL, &err), 0);
    cr_assert_eq(y.n_docs, 1);
    expect_scalar(ie_yaml_root(&y), "", 2, 1);
    ie_yaml_release(&y);
}

Test(yaml, documents_are_read_in_order_unless_only_the_first_is_wanted)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    const char *text = "a: 1\n---\nb: 2\n";
    cr_assert_eq(parse(&y, text, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(y.n_docs, 2);
    cr_expect_eq(y.docs[0].line, 1);
    cr_expect_eq(y.docs[1].line, 2, "the second starts at its ---");
    cr_expect_eq(y.docs[1].col, 1);
    expect_at(y.docs[1].root, IE_YAML_MAP, 3, 1);

    /* What follows the first document is not read, not even a syntax error. */
    struct ie_yaml_options first = {.first_document_only = true};
    cr_assert_eq(parse(&y, "a: 1\n---\n[b\n", &first, &err), 0, "%s", err.msg);
    cr_expect_eq(y.n_docs, 1);
    ie_yaml_release(&y);
}

Test(yaml, syntax_error_reports_line_column_and_problem)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "a: 1\nb: [x, y\n", NULL, &err), IE_EINVAL);
    cr_expect_eq(err.code, IE_EINVAL);
    cr_expect_str_eq(err.msg, "t.yaml:3:1: malformed YAML: did not find expected ',' or ']'");
    cr_expect_eq(y.error.kind, IE_YAML_SYNTAX);
    cr_expect_eq(y.error.line, 3);
    cr_expect_eq(y.error.col, 1);
    cr_expect_str_eq(y.error.problem, "did not find expected ',' or ']'");
    cr_expect_str_eq(y.error.context, "while parsing a flow sequence");
    cr_expect_eq(y.error.context_line, 2);
    cr_expect_eq(y.error.context_col, 4);

    /* What came before the error stays in the tree; the open list is marked incomplete. */
    const struct ie_yaml_node *root = ie_yaml_root(&y);
    cr_assert_not_null(root);
    cr_expect_not(root->complete);
    expect_scalar(ie_yaml_map_get(root, "a"), "1", 1, 4);
    const struct ie_yaml_node *b = ie_yaml_map_get(root, "b");
    expect_at(b, IE_YAML_SEQ, 2, 4);
    cr_expect_not(b->complete);
    cr_expect_eq(b->n, 2);
    ie_yaml_release(&y);
}

Test(yaml, invalid_utf8_is_an_encoding_error_with_its_offset)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "a: b\nc: \xff\n", NULL, &err), IE_EINVAL);
    cr_expect_eq(y.error.kind, IE_YAML_ENCODING);
    cr_expect_eq(y.error.offset, 8);
    cr_expect_str_eq(err.msg, "t.yaml:1:1: malformed YAML: invalid leading UTF-8 octet");
    ie_yaml_release(&y);
}

Test(yaml, size_cap_refuses_longer_text)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    struct ie_yaml_options o = {.max_bytes = 8};
    cr_expect_eq(parse(&y, "a: 12345", &o, &err), 0, "exactly the cap is read");
    cr_assert_eq(parse(&y, "a: 123456", &o, &err), IE_ELIMIT);
    cr_expect_eq(err.code, IE_ELIMIT);
    cr_expect_str_eq(err.msg, "t.yaml: YAML text is at most 8 bytes, this one has 9");
    cr_expect_eq(y.error.kind, IE_YAML_TOO_LARGE);
    cr_expect_eq(y.n_docs, 0);
    ie_yaml_release(&y);
}

Test(yaml, depth_cap_counts_collections)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    struct ie_yaml_options o = {.max_depth = 3};
    cr_expect_eq(parse(&y, "[[[x]]]", &o, &err), 0, "%s", err.msg);
    cr_assert_eq(parse(&y, "[[[[x]]]]", &o, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "t.yaml:1:4: nesting deeper than 3 levels");
    cr_expect_eq(y.error.kind, IE_YAML_TOO_DEEP);
    /* The collection that broke the cap ends the partial tree. */
    const struct ie_yaml_node *n = ie_yaml_root(&y);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(n->n, 1);
        n = n->kids[0];
    }
    expect_at(n, IE_YAML_SEQ, 1, 4);
    ie_yaml_release(&y);
}

Test(yaml, node_cap_counts_every_node)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    struct ie_yaml_options o = {.max_nodes = 3};
    cr_expect_eq(parse(&y, "[a, b]", &o, &err), 0, "%s", err.msg);
    cr_assert_eq(parse(&y, "[a, b, c]", &o, &err), IE_EINVAL);
    cr_expect_str_eq(err.msg, "t.yaml:1:8: more than 3 YAML nodes");
    cr_expect_eq(y.error.kind, IE_YAML_TOO_MANY_NODES);
    ie_yaml_release(&y);
}

Test(yaml, a_second_parse_replaces_the_first)
{
    struct ie_yaml y;
    struct ie_err err = {0};
    ie_yaml_init(&y);
    cr_assert_eq(parse(&y, "a: [1\n", NULL, &err), IE_EINVAL);
    cr_assert_eq(ie_yaml_parse(&y, "t.yaml", "b: 2\n", 5, NULL, &err), 0);
    cr_expect_eq(y.error.kind, IE_YAML_OK);
    cr_expect_eq(y.n_docs, 1);
    cr_expect_not_null(ie_yaml_map_get(ie_yaml_root(&y), "b"));
    ie_yaml_release(&y);
}
