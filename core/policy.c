/* Quality-gate policies (SPEC §4.5): strict parsing of YAML or JSON through the YAML reader.
 * DESIGN: imgeda loads the YAML with PyYAML and silently drops unknown keys, so a typo turns a
 * check off. We walk the nodes of exactly one document in text order and refuse anything that
 * is not a known key with a value of the right type, reporting "file:line:col: key: reason" from
 * the node positions (like h2o's configurator). Aliases are refused (and never followed, so no
 * billion laughs), input size and nesting depth are capped, and the first error in text order
 * is the one reported: when the reader failed, its partial tree is walked first, so a wrong key
 * before a syntax error is still the error shown, hostile input costing one pass over at most
 * IE_POLICY_MAX_BYTES. Scalars are typed as PyYAML (YAML 1.1) would type them, so that a value
 * imgeda would read as a string or a boolean is reported instead of being guessed at. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/gate.h"
#include "imgeda/util.h"
#include "imgeda/yaml.h"

const char *const ie_policy_key_names[IE_POLICY_NKEYS] = {
    "max_corrupt_pct", "max_overexposed_pct", "max_underexposed_pct", "max_duplicate_pct",
    "max_blurry_pct",  "max_artifact_pct",    "min_images_total",     "min_width",
    "min_height",      "allowed_formats",     "max_aspect_ratio",
};

enum key_kind { K_PCT, K_WHOLE, K_FORMATS };

static enum key_kind kind_of(int key)
{
    switch (key) {
    case IE_POLICY_MIN_IMAGES_TOTAL:
    case IE_POLICY_MIN_WIDTH:
    case IE_POLICY_MIN_HEIGHT:
        return K_WHOLE;
    case IE_POLICY_ALLOWED_FORMATS:
        return K_FORMATS;
    default:
        return K_PCT; /* any non-negative number, also max_aspect_ratio */
    }
}

void ie_policy_init(struct ie_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->min_images_total = 100;
    p->max_corrupt_pct = 1.0;
    p->max_overexposed_pct = 5.0;
    p->max_underexposed_pct = 5.0;
    p->max_duplicate_pct = 10.0;
    p->max_blurry_pct = 100.0;
    p->max_artifact_pct = 100.0;
    p->max_aspect_ratio = 0.0;
}

void ie_policy_release(struct ie_policy *p)
{
    for (size_t i = 0; i < p->n_allowed_formats; i++)
        free(p->allowed_formats[i]);
    free(p->allowed_formats);
    ie_policy_init(p);
}

static double *number_slot(struct ie_policy *p, int key)
{
    switch (key) {
    case IE_POLICY_MAX_CORRUPT_PCT:
        return &p->max_corrupt_pct;
    case IE_POLICY_MAX_OVEREXPOSED_PCT:
        return &p->max_overexposed_pct;
    case IE_POLICY_MAX_UNDEREXPOSED_PCT:
        return &p->max_underexposed_pct;
    case IE_POLICY_MAX_DUPLICATE_PCT:
        return &p->max_duplicate_pct;
    case IE_POLICY_MAX_BLURRY_PCT:
        return &p->max_blurry_pct;
    case IE_POLICY_MAX_ARTIFACT_PCT:
        return &p->max_artifact_pct;
    default:
        return &p->max_aspect_ratio;
    }
}

static int64_t *whole_slot(struct ie_policy *p, int key)
{
    return key == IE_POLICY_MIN_IMAGES_TOTAL ? &p->min_images_total
           : key == IE_POLICY_MIN_WIDTH      ? &p->min_width
                                             : &p->min_height;
}

/* Nodes the reader keeps of a policy. An accepted policy has at most 87 (the root, 11 keys, 10
 * numbers, the format list and its 64 names) and the walk below refuses the first node past
 * those, so the first error in text order always lies in what the reader kept: the cap changes
 * no answer, it only stops hostile text (a list of half a million items) from costing a tree. */
#define MAX_NODES 256

/* ---- the parse state and its messages ---- */

struct pstate {
    const struct ie_yaml *doc;
    const char *name;
    const char *text;
    size_t len;
    struct ie_err *err;
    struct ie_policy_error_pos *pos; /* may be NULL */
    struct ie_policy_errors *errs;   /* NULL: stop at the first problem */
    const char *key;                 /* the key whose value is being read, for messages */
    size_t n_failed;                 /* problems found so far */
    bool fatal;                      /* the reader failed, or errs is full: nothing more to read */
};

/* Copies s for a message: control characters become '?', long text is cut with "...". */
static void printable(char *out, size_t outsz, const char *s, size_t n)
{
    size_t o = 0, max = outsz - 4;
    for (size_t i = 0; i < n && o < max; i++)
        out[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? '?' : s[i];
    if (o == max && n > max)
        memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
}

static int fail_at(struct pstate *ps, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fails with "name:line:col: key: reason" (1-based line and column), and the same place in
 * ps->pos, so callers need not parse the message back. The first problem is the one in err and
 * pos (what the gate says); with ps->errs every problem is also added there, in text order. */
static int fail_at(struct pstate *ps, size_t line, size_t col, const char *fmt, ...)
{
    char reason[IE_ERR_MSG_MAX];
    struct ie_err e = {0};
    struct ie_policy_error_pos where = {.line = line, .column = col};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(where.key, sizeof(where.key), "%s", ps->key ? ps->key : "");
    if (ps->key)
        ie_err_set(&e, IE_EINVAL, "%s:%zu:%zu: %s: %s", ps->name, line, col, ps->key, reason);
    else
        ie_err_set(&e, IE_EINVAL, "%s:%zu:%zu: %s", ps->name, line, col, reason);
    if (ps->n_failed++ == 0) {
        if (ps->err)
            *ps->err = e;
        if (ps->pos)
            *ps->pos = where;
    }
    if (ps->errs && ps->errs->n < IE_POLICY_MAX_ERRORS) {
        struct ie_policy_error *pe = &ps->errs->e[ps->errs->n++];
        pe->pos = where;
        snprintf(pe->message, sizeof(pe->message), "%s", e.msg);
    } else if (ps->errs) {
        ps->errs->truncated = true;
        ps->fatal = true;
    }
    return IE_EINVAL;
}

#define AT(node) (node)->line, (node)->col

/* Byte offset of a 1-based (line, column in characters) position, or len. */
static size_t offset_of(const struct pstate *ps, size_t line, size_t col)
{
    size_t i = 0;
    for (size_t l = 1; l < line && i < ps->len; i++)
        if (ps->text[i] == '\n')
            l++;
    for (size_t c = 1; c < col && i < ps->len; i++)
        if (((unsigned char)ps->text[i] & 0xC0) != 0x80)
            c++;
    while (i < ps->len && ((unsigned char)ps->text[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* The reader's failure, in the words a policy has always used. */
static int syntax_error(struct pstate *ps)
{
    const struct ie_yaml_error *e = &ps->doc->error;
    size_t line = 1, col = 1;

    ps->fatal = true; /* the reader stopped here: nothing after it can be read */
    if (e->kind == IE_YAML_ENCODING) {
        /* Encoding problems carry a byte offset rather than a mark. */
        for (size_t i = 0; i < e->offset && i < ps->len; i++) {
            if (ps->text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)ps->text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        return fail_at(ps, line, col, "%s (invalid text encoding; a policy is UTF-8)",
                       *e->problem ? e->problem : "unreadable text");
    }
    /* The reader's caps; a policy's own checks refuse any collection deeper than a list value
     * and any node past MAX_NODES first, so these are safety nets. */
    if (e->kind == IE_YAML_TOO_DEEP)
        return fail_at(ps, e->line, e->col, "nested deeper than %d levels", IE_POLICY_MAX_DEPTH);
    if (e->kind == IE_YAML_TOO_MANY_NODES)
        return fail_at(ps, e->line, e->col, "more than %d YAML nodes", MAX_NODES);
    line = e->line;
    col = e->col;
    size_t at = offset_of(ps, line, col);
    if ((at < ps->len && ps->text[at] == '\t') || strstr(e->problem, "tab"))
        return fail_at(ps, line, col,
                       "a tab character where YAML needs spaces (indent with spaces)");
    if (*e->context)
        return fail_at(ps, line, col, "malformed YAML: %s (%s at line %zu, column %zu)",
                       *e->problem ? e->problem : "syntax error", e->context, e->context_line,
                       e->context_col);
    return fail_at(ps, line, col, "malformed YAML: %s", *e->problem ? e->problem : "syntax error");
}

/* Refuses what a policy never needs in a node it reads: aliases, tags. */
static int check_node(struct pstate *ps, const struct ie_yaml_node *n)
{
    if (n->kind == IE_YAML_ALIAS)
        return fail_at(ps, AT(n), "aliases (*name) are not supported in a policy");
    if (n->tag) {
        char shown[64];
        printable(shown, sizeof(shown), n->tag, strlen(n->tag));
        return fail_at(ps, AT(n), "YAML tags (%s) are not supported in a policy", shown);
    }
    return 0;
}

/* ---- typing scalars as PyYAML would ---- */

enum scalar_kind {
    SK_NULL,
    SK_BOOL,
    SK_INT,          /* decimal integer */
    SK_FLOAT,        /* decimal with a point and/or exponent */
    SK_LEADING_ZERO, /* 010: an octal number to YAML 1.1 */
    SK_OTHER_NUMBER, /* 0x1F, 1_000, 1:30, .inf: numbers to PyYAML, refused here */
    SK_STR,
};

static bool one_of(const char *v, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(v, *words) == 0)
            return true;
    return false;
}

static enum scalar_kind classify_plain(const char *v, size_t n)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const bools[] = {"yes",  "Yes",  "YES",   "no",    "No",    "NO", "true",
                                        "True", "TRUE", "false", "False", "FALSE", "on", "On",
                                        "ON",   "off",  "Off",   "OFF",   NULL};
    static const char *const specials[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
    const char *p = v, *end = v + n;
    size_t int_digits = 0, frac_digits = 0;
    bool point = false, exponent = false;

    if (n == 0 || one_of(v, nulls))
        return SK_NULL;
    if (one_of(v, bools))
        return SK_BOOL;
    if (*p == '+' || *p == '-')
        p++;
    if (one_of(p, specials))
        return SK_OTHER_NUMBER;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++, int_digits++;
    if (p < end && *p == '.') {
        point = true;
        p++;
        while (p < end && *p >= '0' && *p <= '9')
            p++, frac_digits++;
    }
    if (int_digits + frac_digits > 0 && p < end && (*p == 'e' || *p == 'E')) {
        const char *e = p + 1;
        if (e < end && (*e == '+' || *e == '-'))
            e++;
        if (e < end && *e >= '0' && *e <= '9') {
            while (e < end && *e >= '0' && *e <= '9')
                e++;
            exponent = true;
            p = e;
        }
    }
    if (p == end && int_digits + frac_digits > 0) {
        if (point || exponent)
            return SK_FLOAT;
        return int_digits > 1 && digits[0] == '0' ? SK_LEADING_ZERO : SK_INT;
    }
    /* Other spellings PyYAML reads as numbers. */
    p = digits;
    if (p < end && ((*p >= '0' && *p <= '9') || *p == '.')) {
        for (; p < end; p++)
            if (!strchr("0123456789abcdefABCDEFxXoO_:.+-", *p))
                return SK_STR;
        return SK_OTHER_NUMBER;
    }
    return SK_STR;
}

/* "got ..." for a value of the wrong type. */
static void describe(const struct ie_yaml_node *node, char *out, size_t outsz)
{
    char shown[48];
    if (node->kind == IE_YAML_SEQ) {
        snprintf(out, outsz, "a list");
        return;
    }
    if (node->kind == IE_YAML_MAP) {
        snprintf(out, outsz, "a mapping");
        return;
    }
    const char *v = node->value;
    size_t n = node->len;
    printable(shown, sizeof(shown), v, n);
    if (!node->plain) {
        enum scalar_kind k = classify_plain(v, n);
        snprintf(out, outsz, "the string \"%s\"%s", shown,
                 k == SK_INT || k == SK_FLOAT ? " (write numbers without quotes)" : "");
        return;
    }
    switch (classify_plain(v, n)) {
    case SK_NULL:
        snprintf(out, outsz, n ? "null (%s)" : "no value", shown);
        break;
    case SK_BOOL:
        snprintf(out, outsz, "a boolean (%s)", shown);
        break;
    case SK_INT:
    case SK_FLOAT:
    case SK_LEADING_ZERO:
    case SK_OTHER_NUMBER:
        snprintf(out, outsz, "a number (%s)", shown);
        break;
    default:
        snprintf(out, outsz, "\"%s\"", shown);
        break;
    }
}

/* Reads the value of a number key into the new policy. */
static int take_number(struct pstate *ps, struct ie_policy *np, int key,
                       const struct ie_yaml_node *ev)
{
    bool whole = kind_of(key) == K_WHOLE;
    const char *want = whole ? "a whole number" : "a number";
    char got[128];

    if (ev->kind != IE_YAML_SCALAR || !ev->plain) {
        describe(ev, got, sizeof(got));
        return fail_at(ps, AT(ev), "expected %s, got %s", want, got);
    }
    const char *v = ev->value;
    size_t n = ev->len;
    char shown[48];
    printable(shown, sizeof(shown), v, n);
    switch (classify_plain(v, n)) {
    case SK_INT:
    case SK_FLOAT:
        break;
    case SK_LEADING_ZERO:
        return fail_at(ps, AT(ev),
                       "%s has a leading zero, which YAML 1.1 reads as octal; write it without",
                       shown);
    case SK_OTHER_NUMBER:
        return fail_at(ps, AT(ev), "expected a plain decimal number (like 5 or 2.5), got %s",
                       shown);
    default:
        describe(ev, got, sizeof(got));
        return fail_at(ps, AT(ev), "expected %s, got %s", want, got);
    }
    double d = strtod(v, NULL);
    if (!isfinite(d))
        return fail_at(ps, AT(ev), "%s is too large", shown);
    if (d < 0)
        return fail_at(ps, AT(ev), "must not be negative (got %s)", shown);
    bool is_int = classify_plain(v, n) == SK_INT;
    if (whole) {
        if (d != floor(d))
            return fail_at(ps, AT(ev), "expected a whole number, got %s", shown);
        if (d >= 9.2e18)
            return fail_at(ps, AT(ev), "%s is too large", shown);
        int64_t iv = (int64_t)d;
        if (is_int) {
            errno = 0;
            iv = strtoll(v, NULL, 10);
            if (errno == ERANGE)
                return fail_at(ps, AT(ev), "%s is too large", shown);
        }
        *whole_slot(np, key) = iv;
    } else {
        *number_slot(np, key) = d == 0 ? 0.0 : d; /* -0 reads as 0 */
    }
    if (is_int)
        np->written_as_int |= 1u << key;
    return 0;
}

/* Reads allowed_formats: a list of non-empty strings. */
static int take_formats(struct pstate *ps, struct ie_policy *np, const struct ie_yaml_node *list)
{
    char got[128];
    size_t cap = 0;
    int rc = 0;

    if (list->kind != IE_YAML_SEQ) {
        describe(list, got, sizeof(got));
        return fail_at(ps, AT(list), "expected a list of format names such as [JPEG, PNG], got %s",
                       got);
    }
    for (size_t i = 0;; i++) {
        if (i == list->n) /* the end, or where the reader failed inside the list */
            return list->complete ? 0 : syntax_error(ps);
        const struct ie_yaml_node *ev = list->kids[i];
        if ((rc = check_node(ps, ev)) < 0)
            return rc;
        const char *v = ev->value;
        size_t n = ev->kind == IE_YAML_SCALAR ? ev->len : 0;
        if (ev->kind != IE_YAML_SCALAR || (ev->plain && classify_plain(v, n) != SK_STR)) {
            describe(ev, got, sizeof(got));
            return fail_at(ps, AT(ev), "expected a format name such as JPEG, got %s", got);
        }
        if (n == 0 || strlen(v) != n)
            return fail_at(ps, AT(ev), "format names must be non-empty text");
        if (np->n_allowed_formats >= IE_POLICY_MAX_FORMATS)
            return fail_at(ps, AT(ev), "more than %d formats", IE_POLICY_MAX_FORMATS);
        ie_grow((void **)&np->allowed_formats, &cap, np->n_allowed_formats + 1,
                sizeof(*np->allowed_formats));
        np->allowed_formats[np->n_allowed_formats++] = ie_xstrndup(v, n);
    }
}

/* Levenshtein distance, for "did you mean". Keys are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int unknown_key(struct pstate *ps, const struct ie_yaml_node *kev, const char *key, size_t n)
{
    char shown[72];
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    printable(shown, sizeof(shown), key, n);
    for (int k = 0; k < IE_POLICY_NKEYS; k++) {
        size_t d = edit_distance(key, ie_policy_key_names[k]);
        if (d < best_d) {
            best_d = d;
            best = ie_policy_key_names[k];
        }
    }
    ps->key = shown;
    if (best && best_d <= 3)
        return fail_at(ps, AT(kev), "unknown key (did you mean %s?)", best);
    return fail_at(ps, AT(kev),
                   "unknown key (known: min_images_total, max_corrupt_pct, max_overexposed_pct, "
                   "max_underexposed_pct, max_duplicate_pct, max_blurry_pct, max_artifact_pct, "
                   "min_width, min_height, allowed_formats, max_aspect_ratio)");
}

/* Reads the pair at m->kids[i] (key) and m->kids[i + 1] (value). first_line[k] is the line
 * where key k was first set (0: not yet). */
static int take_pair(struct pstate *ps, struct ie_policy *np, const struct ie_yaml_node *m,
                     size_t i, size_t *first_line)
{
    const struct ie_yaml_node *kev = m->kids[i];
    int rc;
    if ((rc = check_node(ps, kev)) < 0)
        return rc;
    if (kev->kind != IE_YAML_SCALAR) {
        char got[64];
        describe(kev, got, sizeof(got));
        return fail_at(ps, AT(kev), "policy keys are names, got %s as a key", got);
    }
    const char *key = kev->value;
    size_t n = kev->len;
    int k = -1;
    for (int j = 0; j < IE_POLICY_NKEYS; j++)
        if (strlen(ie_policy_key_names[j]) == n && memcmp(ie_policy_key_names[j], key, n) == 0)
            k = j;
    if (k < 0)
        return unknown_key(ps, kev, key, n);
    ps->key = ie_policy_key_names[k];
    /* By its first line, not by a value taken: a key whose first value was refused is still
     * a duplicate the second time. */
    if (first_line[k])
        return fail_at(ps, AT(kev), "duplicate key (already set on line %zu)", first_line[k]);
    first_line[k] = kev->line;

    if (i + 1 == m->n) /* the reader failed before the value */
        return syntax_error(ps);
    const struct ie_yaml_node *vev = m->kids[i + 1];
    if ((rc = check_node(ps, vev)) < 0)
        return rc;
    if (kind_of(k) == K_FORMATS)
        rc = take_formats(ps, np, vev);
    else
        rc = take_number(ps, np, k, vev);
    if (rc < 0)
        return rc;
    np->present |= 1u << k;
    return 0;
}

/* Reads the pairs of the top-level mapping: up to the first problem, or with ps->errs past
 * every problem in a pair to the next pair (not past the reader's own failure). */
static int take_mapping(struct pstate *ps, struct ie_policy *np, const struct ie_yaml_node *m)
{
    size_t first_line[IE_POLICY_NKEYS] = {0};
    bool failed = false;

    for (size_t i = 0; i < m->n; i += 2) {
        ps->key = NULL;
        int rc = take_pair(ps, np, m, i, first_line);
        ps->key = NULL;
        if (rc < 0 && (!ps->errs || ps->fatal))
            return rc;
        failed = failed || rc < 0;
    }
    /* The end, or where the reader failed before a key. */
    if (!m->complete)
        return syntax_error(ps);
    return failed ? IE_EINVAL : 0;
}

/* The document's root: a mapping, or nothing at all. */
static int take_root(struct pstate *ps, struct ie_policy *np, const struct ie_yaml_node *root)
{
    char got[128];
    int rc;

    if (!root) /* the reader failed before it */
        return syntax_error(ps);
    if ((rc = check_node(ps, root)) < 0)
        return rc;
    if (root->kind == IE_YAML_MAP)
        return take_mapping(ps, np, root);
    if (root->kind == IE_YAML_SCALAR && root->plain &&
        classify_plain(root->value, root->len) == SK_NULL)
        return 0; /* "---" alone, or "null": the default policy, as in imgeda */
    describe(root, got, sizeof(got));
    return fail_at(ps, AT(root),
                   "a policy is a mapping of keys to values (e.g. max_corrupt_pct: 1.0), got %s",
                   got);
}

/* Exactly one document (or none: the default policy), then the end of the text. */
static int take_stream(struct pstate *ps, struct ie_policy *np)
{
    const struct ie_yaml *doc = ps->doc;
    int rc;

    if (doc->n_docs == 0)
        return doc->error.kind == IE_YAML_OK ? 0 : syntax_error(ps);
    rc = take_root(ps, np, doc->docs[0].root);
    if (rc < 0 && (!ps->errs || ps->fatal))
        return rc;
    if (doc->n_docs > 1)
        return fail_at(ps, doc->docs[1].line, doc->docs[1].col,
                       "a policy is one YAML document; found a second one");
    if (doc->error.kind != IE_YAML_OK)
        return syntax_error(ps);
    return rc;
}

int ie_policy_parse(struct ie_policy *p, const char *name, const char *text, size_t len,
                    struct ie_err *err)
{
    return ie_policy_parse_pos(p, name, text, len, NULL, err);
}

int ie_policy_parse_pos(struct ie_policy *p, const char *name, const char *text, size_t len,
                        struct ie_policy_error_pos *pos, struct ie_err *err)
{
    return ie_policy_parse_all(p, name, text, len, pos, NULL, err);
}

int ie_policy_parse_all(struct ie_policy *p, const char *name, const char *text, size_t len,
                        struct ie_policy_error_pos *pos, struct ie_policy_errors *errs,
                        struct ie_err *err)
{
    struct pstate ps = {.name = name ? name : "policy",
                        .text = text,
                        .len = len,
                        .err = err,
                        .pos = pos,
                        .errs = errs};
    if (errs)
        *errs = (struct ie_policy_errors){0};
    const struct ie_yaml_options limits = {
        .max_bytes = IE_POLICY_MAX_BYTES, .max_depth = IE_POLICY_MAX_DEPTH, .max_nodes = MAX_NODES};
    struct ie_policy np;
    struct ie_yaml doc;
    int rc;

    if (!text) { /* an empty HTTP body */
        ps.text = "";
        ps.len = len = 0;
    }
    if (len > IE_POLICY_MAX_BYTES) {
        if (pos)
            *pos = (struct ie_policy_error_pos){0};
        return ie_err_set(err, IE_ELIMIT, "%s: a policy is at most %u bytes, this one has %zu",
                          ps.name, IE_POLICY_MAX_BYTES, len);
    }
    ie_policy_init(&np);
    ie_yaml_init(&doc);
    /* The reader's own message is not used: take_stream says it the policy's way, in order. */
    (void)ie_yaml_parse(&doc, ps.name, ps.text, len, &limits, NULL);
    ps.doc = &doc;
    rc = take_stream(&ps, &np);
    ie_yaml_release(&doc);
    if (rc < 0) {
        ie_policy_release(&np);
        return rc;
    }
    ie_policy_release(p);
    *p = np;
    return 0;
}

int ie_policy_load(struct ie_policy *p, const char *path, struct ie_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = ie_read_file(path, IE_POLICY_MAX_BYTES, &text, &len, err);
    if (rc == IE_ELIMIT)
        return ie_err_set(err, IE_ELIMIT, "%s: a policy is at most %u bytes", path,
                          IE_POLICY_MAX_BYTES);
    if (rc < 0)
        return rc;
    rc = ie_policy_parse(p, path, text, len, err);
    free(text);
    return rc;
}

char *ie_policy_to_json(const struct ie_policy *policy)
{
    struct ie_policy copy = *policy, *p = &copy; /* the slot helpers take a mutable policy */
    cJSON *o = cJSON_CreateObject();
    char num[400]; /* "%.0f" of the largest double has 309 digits */
    for (int k = 0; k < IE_POLICY_NKEYS; k++) {
        switch (kind_of(k)) {
        case K_WHOLE:
            snprintf(num, sizeof(num), "%lld", (long long)*whole_slot(p, k));
            cJSON_AddItemToObject(o, ie_policy_key_names[k], cJSON_CreateRaw(num));
            break;
        case K_PCT: {
            double v = *number_slot(p, k);
            if (p->written_as_int & (1u << k))
                snprintf(num, sizeof(num), "%.0f", v);
            else
                ie_fmt_double(num, sizeof(num), v);
            cJSON_AddItemToObject(o, ie_policy_key_names[k], cJSON_CreateRaw(num));
            break;
        }
        case K_FORMATS: {
            cJSON *a = cJSON_AddArrayToObject(o, ie_policy_key_names[k]);
            for (size_t i = 0; i < p->n_allowed_formats; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(p->allowed_formats[i]));
            break;
        }
        }
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort();
    return s;
}
