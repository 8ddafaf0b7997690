/* The diff's JSON (imgeda's DiffResult.to_dict(), see imgeda/diff.h), streamed. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/diff.h"
#include "imgeda/slim.h"
#include "imgeda/util.h"

/* ---- JSON out: a streaming writer formatted like orjson (compact, or OPT_INDENT_2) ---- */

#define JW_MAX_DEPTH 8

struct jw {
    FILE *f;
    bool pretty, after_key;
    int depth;
    size_t count[JW_MAX_DEPTH];
};

static void jw_prefix(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->count[w->depth - 1]++ > 0)
        putc(',', w->f);
    if (w->pretty) {
        putc('\n', w->f);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->f);
    }
}

static void jw_open(struct jw *w, char c)
{
    jw_prefix(w);
    putc(c, w->f);
    w->count[w->depth++] = 0;
}

static void jw_close(struct jw *w, char c)
{
    size_t n = w->count[--w->depth];
    if (n && w->pretty) {
        putc('\n', w->f);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->f);
    }
    putc(c, w->f);
}

/* Escapes like Python's json/orjson: quote, backslash and control characters; UTF-8 as is. */
static void jw_escaped(struct jw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    putc('"', w->f);
    for (;; p++) {
        unsigned c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(run, 1, (size_t)(p - run), w->f);
        if (c == 0)
            break;
        switch (c) {
        case '"':
            fputs("\\\"", w->f);
            break;
        case '\\':
            fputs("\\\\", w->f);
            break;
        case '\n':
            fputs("\\n", w->f);
            break;
        case '\r':
            fputs("\\r", w->f);
            break;
        case '\t':
            fputs("\\t", w->f);
            break;
        case '\b':
            fputs("\\b", w->f);
            break;
        case '\f':
            fputs("\\f", w->f);
            break;
        default:
            fprintf(w->f, "\\u%04x", c);
            break;
        }
        run = p + 1;
    }
    putc('"', w->f);
}

static void jw_key(struct jw *w, const char *k)
{
    jw_prefix(w);
    jw_escaped(w, k);
    fputs(w->pretty ? ": " : ":", w->f);
    w->after_key = true;
}

static void jw_string(struct jw *w, const char *s)
{
    jw_prefix(w);
    jw_escaped(w, s);
}

static void jw_size(struct jw *w, const char *key, size_t v)
{
    jw_key(w, key);
    jw_prefix(w);
    fprintf(w->f, "%zu", v);
}

static void jw_jvalue(struct jw *w, const struct ie_jvalue *v)
{
    char tmp[65];
    jw_prefix(w);
    switch (v->type) {
    case IE_JBOOL:
        fputs(v->b ? "true" : "false", w->f);
        break;
    case IE_JINT:
        fprintf(w->f, "%lld", (long long)v->i);
        break;
    case IE_JFLOAT:
        ie_fmt_double(tmp, sizeof(tmp), v->d);
        fputs(tmp, w->f);
        break;
    case IE_JSTR:
        jw_escaped(w, v->s);
        break;
    case IE_JRAW:
        fputs(v->s, w->f);
        break;
    case IE_JHASH:
        ie_hash256_to_hex(&v->h, tmp);
        jw_escaped(w, tmp);
        break;
    default:
        fputs("null", w->f);
        break;
    }
}

static void write_pairs(struct jw *w, const struct ie_diff_result *d, bool moved)
{
    const struct ie_diff_pair *v = moved ? d->moved : d->copied;
    size_t n = moved ? d->n_moved : d->n_copied;
    jw_key(w, moved ? "moved" : "copied");
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) {
        jw_open(w, '{');
        jw_key(w, moved ? "old_path" : "path");
        jw_string(w, moved ? d->old->recs[v[i].old_idx].path : d->new->recs[v[i].new_idx].path);
        jw_key(w, moved ? "new_path" : "from");
        jw_string(w, moved ? d->new->recs[v[i].new_idx].path : d->old->recs[v[i].old_idx].path);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

static void write_change(struct jw *w, const struct ie_diff_result *d,
                         const struct ie_diff_change *c, bool extended)
{
    jw_open(w, '{');
    jw_key(w, "path");
    jw_string(w, d->old->recs[c->old_idx].path);
    if (extended) {
        jw_key(w, "new_path");
        jw_string(w, d->new->recs[c->new_idx].path);
        jw_key(w, "phash_distance");
        jw_prefix(w);
        if (c->phash_distance >= 0)
            fprintf(w->f, "%d", c->phash_distance);
        else
            fputs("null", w->f);
    }
    jw_key(w, "fields");
    jw_open(w, '{');
    for (int fl = 0; fl < IE_DIFF_NFIELDS; fl++) {
        if (!(c->fields & (1u << fl)))
            continue;
        struct ie_jvalue vo = ie_slim_manifest_value(d->old, c->old_idx, fl);
        struct ie_jvalue vn = ie_slim_manifest_value(d->new, c->new_idx, fl);
        jw_key(w, ie_slim_field_names[fl]);
        jw_open(w, '{');
        jw_key(w, "old");
        jw_jvalue(w, &vo);
        jw_key(w, "new");
        jw_jvalue(w, &vn);
        jw_close(w, '}');
    }
    jw_close(w, '}');
    jw_close(w, '}');
}

int ie_diff_write_json_ext(const struct ie_diff_result *d, FILE *f, bool pretty, bool extended,
                           struct ie_err *err)
{
    struct jw w = {.f = f, .pretty = pretty};
    const struct ie_diff_summary *s = &d->summary;
    bool moves = extended || d->n_moved > 0;

    jw_open(&w, '{');
    if (extended) {
        jw_key(&w, "match");
        jw_string(&w, d->by_relative_path ? "relative_path" : "path");
    }
    jw_key(&w, "added");
    jw_open(&w, '[');
    for (size_t i = 0; i < d->n_added; i++)
        jw_string(&w, d->new->recs[d->added[i]].path);
    jw_close(&w, ']');
    jw_key(&w, "removed");
    jw_open(&w, '[');
    for (size_t i = 0; i < d->n_removed; i++)
        jw_string(&w, d->old->recs[d->removed[i]].path);
    jw_close(&w, ']');
    jw_key(&w, "changed");
    jw_open(&w, '[');
    for (size_t i = 0; i < d->n_changed; i++)
        write_change(&w, d, &d->changed[i], extended);
    jw_close(&w, ']');
    if (moves)
        write_pairs(&w, d, true);
    if (extended)
        write_pairs(&w, d, false);
    jw_size(&w, "unchanged_count", d->unchanged_count);
    jw_key(&w, "summary");
    jw_open(&w, '{');
    jw_size(&w, "total_old", s->total_old);
    jw_size(&w, "total_new", s->total_new);
    jw_size(&w, "added_count", s->added_count);
    jw_size(&w, "removed_count", s->removed_count);
    jw_size(&w, "changed_count", s->changed_count);
    if (moves)
        jw_size(&w, "moved_count", s->moved_count);
    if (extended)
        jw_size(&w, "copied_count", s->copied_count);
    jw_size(&w, "corrupt_old", s->corrupt_old);
    jw_size(&w, "corrupt_new", s->corrupt_new);
    jw_size(&w, "duplicate_groups_old", s->duplicate_groups_old);
    jw_size(&w, "duplicate_groups_new", s->duplicate_groups_new);
    jw_close(&w, '}');
    jw_close(&w, '}');
    if (fflush(f) != 0 || ferror(f))
        return ie_err_set(err, IE_EIO, "cannot write the diff: %s", strerror(errno));
    return 0;
}

int ie_diff_write_json(const struct ie_diff_result *d, FILE *f, bool pretty, struct ie_err *err)
{
    return ie_diff_write_json_ext(d, f, pretty, false, err);
}

char *ie_diff_to_json_ext(const struct ie_diff_result *d, bool pretty, bool extended)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort(); /* only fails on allocation */
    ie_diff_write_json_ext(d, f, pretty, extended, NULL);
    fclose(f);
    return buf;
}

char *ie_diff_to_json(const struct ie_diff_result *d, bool pretty)
{
    return ie_diff_to_json_ext(d, pretty, false);
}
