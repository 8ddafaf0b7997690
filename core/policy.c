/* Quality-gate policies (SPEC §4.5): strict parsing of YAML or JSON with libyaml's event API.
 * DESIGN: imgeda loads the YAML with PyYAML and silently drops unknown keys, so a typo turns a
 * check off. We walk the events of exactly one document and refuse anything that is not a
 * known key with a value of the right type, reporting "file:line:col: key: reason" from the
 * event marks (like h2o's configurator). Nothing is built but the policy itself, aliases are
 * refused (no billion laughs), input size and nesting depth are capped, and the first error
 * stops the parse, so hostile input costs at most one pass over IE_POLICY_MAX_BYTES.
 * Scalars are typed as PyYAML (YAML 1.1) would type them, so that a value imgeda would read as
 * a string or a boolean is reported instead of being guessed at. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "imgeda/gate.h"
#include "imgeda/util.h"

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

/* ---- the parse state and its messages ---- */

struct pstate {
    yaml_parser_t y;
    const char *name;
    const char *text;
    size_t len;
    struct ie_err *err;
    struct ie_policy_error_pos *pos; /* may be NULL */
    int depth;
    const char *key; /* the key whose value is being read, for messages */
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
 * ps->pos, so callers need not parse the message back. */
static int fail_at(struct pstate *ps, size_t line, size_t col, const char *fmt, ...)
{
    char reason[IE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (ps->pos) {
        ps->pos->line = line;
        ps->pos->column = col;
        snprintf(ps->pos->key, sizeof(ps->pos->key), "%s", ps->key ? ps->key : "");
    }
    if (ps->key)
        return ie_err_set(ps->err, IE_EINVAL, "%s:%zu:%zu: %s: %s", ps->name, line, col, ps->key,
                          reason);
    return ie_err_set(ps->err, IE_EINVAL, "%s:%zu:%zu: %s", ps->name, line, col, reason);
}

#define MARK(m) (m).line + 1, (m).column + 1

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

static int syntax_error(struct pstate *ps)
{
    const yaml_parser_t *y = &ps->y;
    size_t line = 1, col = 1;

    if (y->error == YAML_MEMORY_ERROR)
        abort(); /* as every allocation failure (ie_xmalloc) */
    if (y->error == YAML_READER_ERROR) {
        /* Encoding problems carry a byte offset rather than a mark. */
        for (size_t i = 0; i < y->problem_offset && i < ps->len; i++) {
            if (ps->text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)ps->text[i] & 0xC0) != 0x80) {
                col++;
            }
        }
        return fail_at(ps, line, col, "%s (invalid text encoding; a policy is UTF-8)",
                       y->problem ? y->problem : "unreadable text");
    }
    line = y->problem_mark.line + 1;
    col = y->problem_mark.column + 1;
    size_t at = offset_of(ps, line, col);
    if ((at < ps->len && ps->text[at] == '\t') || (y->problem && strstr(y->problem, "tab")))
        return fail_at(ps, line, col,
                       "a tab character where YAML needs spaces (indent with spaces)");
    if (y->context)
        return fail_at(ps, line, col, "malformed YAML: %s (%s at line %zu, column %zu)",
                       y->problem ? y->problem : "syntax error", y->context, MARK(y->context_mark));
    return fail_at(ps, line, col, "malformed YAML: %s", y->problem ? y->problem : "syntax error");
}

/* The next event, refusing what a policy never needs: aliases, tags, deep nesting. On failure
 * the event needs no deletion. */
static int next_event(struct pstate *ps, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ps->y, ev))
        return syntax_error(ps);
    const char *tag = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        yaml_mark_t m = ev->start_mark; /* yaml_event_delete clears the event */
        yaml_event_delete(ev);
        return fail_at(ps, MARK(m), "aliases (*name) are not supported in a policy");
    }
    case YAML_SCALAR_EVENT:
        tag = (const char *)ev->data.scalar.tag;
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        tag = (const char *)(ev->type == YAML_SEQUENCE_START_EVENT ? ev->data.sequence_start.tag
                                                                   : ev->data.mapping_start.tag);
        if (++ps->depth > IE_POLICY_MAX_DEPTH) {
            yaml_mark_t m = ev->start_mark;
            yaml_event_delete(ev);
            return fail_at(ps, MARK(m), "nested deeper than %d levels", IE_POLICY_MAX_DEPTH);
        }
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        ps->depth--;
        break;
    default:
        break;
    }
    if (tag) {
        char shown[64];
        yaml_mark_t m = ev->start_mark;
        printable(shown, sizeof(shown), tag, strlen(tag));
        yaml_event_delete(ev);
        return fail_at(ps, MARK(m), "YAML tags (%s) are not supported in a policy", shown);
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
static void describe(const yaml_event_t *ev, char *out, size_t outsz)
{
    char shown[48];
    if (ev->type == YAML_SEQUENCE_START_EVENT) {
        snprintf(out, outsz, "a list");
        return;
    }
    if (ev->type == YAML_MAPPING_START_EVENT) {
        snprintf(out, outsz, "a mapping");
        return;
    }
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    printable(shown, sizeof(shown), v, n);
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
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

/* Reads the value event of a number key into the new policy. */
static int take_number(struct pstate *ps, struct ie_policy *np, int key, const yaml_event_t *ev)
{
    bool whole = kind_of(key) == K_WHOLE;
    const char *want = whole ? "a whole number" : "a number";
    char got[128];

    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        describe(ev, got, sizeof(got));
        return fail_at(ps, MARK(ev->start_mark), "expected %s, got %s", want, got);
    }
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    char shown[48];
    printable(shown, sizeof(shown), v, n);
    switch (classify_plain(v, n)) {
    case SK_INT:
    case SK_FLOAT:
        break;
    case SK_LEADING_ZERO:
        return fail_at(ps, MARK(ev->start_mark),
                       "%s has a leading zero, which YAML 1.1 reads as octal; write it without",
                       shown);
    case SK_OTHER_NUMBER:
        return fail_at(ps, MARK(ev->start_mark),
                       "expected a plain decimal number (like 5 or 2.5), got %s", shown);
    default:
        describe(ev, got, sizeof(got));
        return fail_at(ps, MARK(ev->start_mark), "expected %s, got %s", want, got);
    }
    double d = strtod(v, NULL);
    if (!isfinite(d))
        return fail_at(ps, MARK(ev->start_mark), "%s is too large", shown);
    if (d < 0)
        return fail_at(ps, MARK(ev->start_mark), "must not be negative (got %s)", shown);
    bool is_int = classify_plain(v, n) == SK_INT;
    if (whole) {
        if (d != floor(d))
            return fail_at(ps, MARK(ev->start_mark), "expected a whole number, got %s", shown);
        if (d >= 9.2e18)
            return fail_at(ps, MARK(ev->start_mark), "%s is too large", shown);
        int64_t iv = (int64_t)d;
        if (is_int) {
            errno = 0;
            iv = strtoll(v, NULL, 10);
            if (errno == ERANGE)
                return fail_at(ps, MARK(ev->start_mark), "%s is too large", shown);
        }
        *whole_slot(np, key) = iv;
    } else {
        *number_slot(np, key) = d == 0 ? 0.0 : d; /* -0 reads as 0 */
    }
    if (is_int)
        np->written_as_int |= 1u << key;
    return 0;
}

/* Reads allowed_formats: a list of non-empty strings. Consumes the list's events. */
static int take_formats(struct pstate *ps, struct ie_policy *np, yaml_event_t *first)
{
    char got[128];
    size_t cap = 0;
    int rc = 0;

    if (first->type != YAML_SEQUENCE_START_EVENT) {
        describe(first, got, sizeof(got));
        return fail_at(ps, MARK(first->start_mark),
                       "expected a list of format names such as [JPEG, PNG], got %s", got);
    }
    for (;;) {
        yaml_event_t ev;
        if ((rc = next_event(ps, &ev)) < 0)
            return rc;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        const char *v = (const char *)ev.data.scalar.value;
        size_t n = ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.length : 0;
        if (ev.type != YAML_SCALAR_EVENT ||
            (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && classify_plain(v, n) != SK_STR)) {
            describe(&ev, got, sizeof(got));
            rc = fail_at(ps, MARK(ev.start_mark), "expected a format name such as JPEG, got %s",
                         got);
        } else if (n == 0 || strlen(v) != n) {
            rc = fail_at(ps, MARK(ev.start_mark), "format names must be non-empty text");
        } else if (np->n_allowed_formats >= IE_POLICY_MAX_FORMATS) {
            rc = fail_at(ps, MARK(ev.start_mark), "more than %d formats", IE_POLICY_MAX_FORMATS);
        } else {
            ie_grow((void **)&np->allowed_formats, &cap, np->n_allowed_formats + 1,
                    sizeof(*np->allowed_formats));
            np->allowed_formats[np->n_allowed_formats++] = ie_xstrndup(v, n);
        }
        yaml_event_delete(&ev);
        if (rc < 0)
            return rc;
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

static int unknown_key(struct pstate *ps, const yaml_event_t *kev, const char *key, size_t n)
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
        return fail_at(ps, MARK(kev->start_mark), "unknown key (did you mean %s?)", best);
    return fail_at(ps, MARK(kev->start_mark),
                   "unknown key (known: min_images_total, max_corrupt_pct, max_overexposed_pct, "
                   "max_underexposed_pct, max_duplicate_pct, max_blurry_pct, max_artifact_pct, "
                   "min_width, min_height, allowed_formats, max_aspect_ratio)");
}

/* Reads the pairs of the top-level mapping (its start event consumed). */
static int take_mapping(struct pstate *ps, struct ie_policy *np)
{
    size_t first_line[IE_POLICY_NKEYS] = {0};
    int rc;

    for (;;) {
        yaml_event_t kev, vev;
        if ((rc = next_event(ps, &kev)) < 0)
            return rc;
        if (kev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&kev);
            return 0;
        }
        if (kev.type != YAML_SCALAR_EVENT) {
            char got[64];
            describe(&kev, got, sizeof(got));
            rc = fail_at(ps, MARK(kev.start_mark), "policy keys are names, got %s as a key", got);
            yaml_event_delete(&kev);
            return rc;
        }
        const char *key = (const char *)kev.data.scalar.value;
        size_t n = kev.data.scalar.length;
        int k = -1;
        for (int i = 0; i < IE_POLICY_NKEYS; i++)
            if (strlen(ie_policy_key_names[i]) == n && memcmp(ie_policy_key_names[i], key, n) == 0)
                k = i;
        if (k < 0) {
            rc = unknown_key(ps, &kev, key, n);
            yaml_event_delete(&kev);
            return rc;
        }
        ps->key = ie_policy_key_names[k];
        if (np->present & (1u << k)) {
            rc = fail_at(ps, MARK(kev.start_mark), "duplicate key (already set on line %zu)",
                         first_line[k]);
            yaml_event_delete(&kev);
            return rc;
        }
        first_line[k] = kev.start_mark.line + 1;
        yaml_event_delete(&kev);

        if ((rc = next_event(ps, &vev)) < 0)
            return rc;
        if (kind_of(k) == K_FORMATS)
            rc = take_formats(ps, np, &vev);
        else
            rc = take_number(ps, np, k, &vev);
        yaml_event_delete(&vev);
        if (rc < 0)
            return rc;
        np->present |= 1u << k;
        ps->key = NULL;
    }
}

/* The document's root: a mapping, or nothing at all. */
static int take_root(struct pstate *ps, struct ie_policy *np)
{
    yaml_event_t ev;
    char got[128];
    int rc;

    if ((rc = next_event(ps, &ev)) < 0)
        return rc;
    if (ev.type == YAML_MAPPING_START_EVENT) {
        yaml_event_delete(&ev);
        return take_mapping(ps, np);
    }
    if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        classify_plain((const char *)ev.data.scalar.value, ev.data.scalar.length) == SK_NULL) {
        yaml_event_delete(&ev); /* "---" alone, or "null": the default policy, as in imgeda */
        return 0;
    }
    describe(&ev, got, sizeof(got));
    rc =
        fail_at(ps, MARK(ev.start_mark),
                "a policy is a mapping of keys to values (e.g. max_corrupt_pct: 1.0), got %s", got);
    yaml_event_delete(&ev);
    return rc;
}

/* Expects an event of the given type (structure events libyaml guarantees). */
static int expect(struct pstate *ps, yaml_event_type_t type)
{
    yaml_event_t ev;
    int rc = next_event(ps, &ev);
    if (rc < 0)
        return rc;
    if (ev.type != type) {
        rc = fail_at(ps, MARK(ev.start_mark),
                     ev.type == YAML_DOCUMENT_START_EVENT
                         ? "a policy is one YAML document; found a second one"
                         : "unexpected YAML structure");
    }
    yaml_event_delete(&ev);
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
    struct pstate ps = {
        .name = name ? name : "policy", .text = text, .len = len, .err = err, .pos = pos};
    struct ie_policy np;
    yaml_event_t ev;
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
    if (!yaml_parser_initialize(&ps.y))
        abort(); /* allocation failure */
    yaml_parser_set_input_string(&ps.y, (const unsigned char *)ps.text, len);
    if ((rc = expect(&ps, YAML_STREAM_START_EVENT)) < 0)
        goto out;
    if ((rc = next_event(&ps, &ev)) < 0)
        goto out;
    yaml_event_type_t type = ev.type;
    yaml_event_delete(&ev);
    if (type == YAML_DOCUMENT_START_EVENT) {
        if ((rc = take_root(&ps, &np)) < 0)
            goto out;
        if ((rc = expect(&ps, YAML_DOCUMENT_END_EVENT)) < 0)
            goto out;
        rc = expect(&ps, YAML_STREAM_END_EVENT);
    } else if (type != YAML_STREAM_END_EVENT) {
        rc = fail_at(&ps, 1, 1, "unexpected YAML structure");
    }
out:
    yaml_parser_delete(&ps.y);
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
