/* Merging manifests into one canonical manifest (see imgeda/merge.h).
 * DESIGN: a k-way merge over the parts as they stream, on a binary heap keyed by path, so
 * memory is one line per part whatever the sizes. Each record line is checked with the strict
 * line scanner (jscan.c) and copied as written, never re-printed, so the merged records are
 * byte for byte those of the parts. The header's total_files must come first but is only known
 * at the end: the pass writes the sum of the parts' total_files, which is right unless
 * identical duplicates were dropped, and then the pass runs again with the count it found
 * (rare, and still bounded). A part found out of order sends the merge back to sort it first. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgeda/manifest.h"
#include "imgeda/merge.h"
#include "imgeda/options.h"
#include "imgeda/util.h"
#include "slim_internal.h"

/* merge_pass found a part whose paths do not increase: sort it, then merge again. */
#define NEEDS_SORT 1

struct part {
    const char *name;            /* as the caller gave it */
    struct ie_manifest_lines in; /* the part, or its sorted copy */
    char *sorted;                /* the sorted copy beside the output, or NULL */
    char *header;                /* the header line as written */
    char *settings;              /* its "settings" object as written */
    char *input_dir, *created_at;
    int64_t total_files;
    struct ie_shard shard;
    off_t body_at; /* where the first line after the header starts */
    int64_t pos;   /* where the next line starts */
    /* The merge cursor: the current record's line (in in's buffer, valid until the part moves
     * on) and path, and the previous path. */
    char *line;
    size_t len, lineno;
    struct ie_buf path, prev;
    int64_t records;
    bool done;
};

static void part_release(struct part *p)
{
    ie_manifest_lines_close(&p->in);
    if (p->sorted)
        unlink(p->sorted);
    free(p->sorted);
    free(p->header);
    free(p->settings);
    free(p->input_dir);
    free(p->created_at);
    ie_buf_release(&p->path);
    ie_buf_release(&p->prev);
}

static int open_stream(struct part *p, const char *path, struct ie_err *err)
{
    /* Lines go through the manifest line reader: a hostile part's huge line is never held. */
    ie_manifest_lines_close(&p->in);
    struct ie_err e = {0};
    int rc = ie_manifest_lines_open(&p->in, path, &e);
    if (rc < 0)
        return ie_err_set(err, rc, "cannot open part %s (%s)", p->name, e.msg);
    return 0;
}

/* ---- headers ---- */

/* Reads "shard": "K/N" of a header's settings; {1, 1} when absent. */
static int header_shard(const cJSON *settings, struct part *p, struct ie_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(settings, "shard");
    p->shard = (struct ie_shard){1, 1};
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || ie_shard_parse(v->valuestring, IE_SHARD_MAX, &p->shard) < 0)
        return ie_err_set(err, IE_EINVAL, "part %s: its header's settings.shard is not K/N",
                          p->name);
    return 0;
}

/* Reads the header line of p: the first non-blank line must be one. */
static int read_header(struct part *p, struct ie_err *err)
{
    cJSON *h = NULL;
    size_t span[3];
    struct ie_manifest_line l = {0};
    size_t n = 0;
    int rc;

    while ((rc = ie_manifest_lines_next(&p->in, &l, err)) > 0 &&
           (rc == IE_MANIFEST_LINE_TOO_LONG || strspn(l.text, " \t\r") == l.len))
        if (rc == IE_MANIFEST_LINE_TOO_LONG)
            break;
    if (rc < 0)
        return rc; /* "cannot read manifest PATH: why" */
    p->line = rc == 1 ? l.text : NULL;
    n = p->line ? l.len : 0;
    rc = 0;
    while (n > 0 && p->line[n - 1] == '\r')
        p->line[--n] = '\0';
    h = n > 0 ? cJSON_ParseWithLength(p->line, n) : NULL;
    if (!h || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "__manifest_meta__"))) {
        rc = ie_err_set(err, IE_EINVAL,
                        "part %s is not a manifest with a header (empty, or not a scan's output)",
                        p->name);
        goto out;
    }
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(h, "settings");
    const cJSON *dir = cJSON_GetObjectItemCaseSensitive(h, "input_dir");
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(h, "created_at");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(h, "total_files");
    if (!cJSON_IsObject(settings) ||
        ie__json_member_span(p->line, (size_t)n, "settings", span) != 1) {
        rc = ie_err_set(err, IE_EINVAL, "part %s: its header has no settings", p->name);
        goto out;
    }
    if (!cJSON_IsNumber(total) || !ie_double_fits_i64(total->valuedouble) ||
        total->valuedouble < 0) {
        rc = ie_err_set(err, IE_EINVAL, "part %s: its header has no total_files", p->name);
        goto out;
    }
    if ((rc = header_shard(settings, p, err)) < 0)
        goto out;
    p->header = ie_xstrdup(p->line);
    p->settings = ie_xmalloc(span[2] - span[1] + 1);
    memcpy(p->settings, p->line + span[1], span[2] - span[1]);
    p->settings[span[2] - span[1]] = '\0';
    p->input_dir = ie_xstrdup(cJSON_IsString(dir) ? dir->valuestring : "");
    p->created_at = ie_xstrdup(cJSON_IsString(created) ? created->valuestring : "");
    p->total_files = (int64_t)total->valuedouble;
    p->body_at = (off_t)(l.offset + (int64_t)l.len + (l.newline ? 1 : 0));
out:
    cJSON_Delete(h);
    return rc;
}

/* The first setting where parts a and b differ in what they cover: an analysis setting (their
 * records would not compare), or the extensions (shards of different file sets do not add up to
 * one scan). NULL when they agree. */
static const char *merge_difference(const struct part *a, const struct part *b)
{
    const char *key = ie_settings_analysis_difference(a->settings, b->settings);
    if (key)
        return key;
    cJSON *ja = cJSON_Parse(a->settings), *jb = cJSON_Parse(b->settings);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(ja, "extensions");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(jb, "extensions");
    bool same = (!x && !y) || (x && y && cJSON_Compare(x, y, true));
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return same ? NULL : "extensions";
}

/* "KEY is V in A but W in B" for the first setting where a and b differ (merge_difference). */
static int settings_mismatch(const struct part *a, const struct part *b, struct ie_err *err)
{
    const char *key = merge_difference(a, b);
    char *va = ie_settings_value_text(a->settings, key);
    char *vb = ie_settings_value_text(b->settings, key);
    int rc = ie_err_set(
        err, IE_EINVAL, "parts made with different %s settings: %s is %s in %s but %s in %s",
        strcmp(key, "extensions") == 0 ? "discovery" : "analysis", key, va, a->name, vb, b->name);
    free(va);
    free(vb);
    return rc;
}

/* Shards fit together when every part is a shard of the same count and each shard is there
 * exactly once; whole manifests (no shard) may be merged with each other in any number. */
static int check_shards(const struct part *parts, size_t n, struct ie_err *err)
{
    uint32_t count = parts[0].shard.count;
    size_t *given = NULL;
    int rc = 0;

    for (size_t i = 1; i < n; i++) {
        const struct part *a = &parts[0], *b = &parts[i];
        if ((a->shard.count > 1) != (b->shard.count > 1))
            return ie_err_set(err, IE_EINVAL,
                              "%s is a shard but %s is a whole manifest: merge the shards of one "
                              "scan, or whole manifests",
                              a->shard.count > 1 ? a->name : b->name,
                              a->shard.count > 1 ? b->name : a->name);
        if (a->shard.count != b->shard.count)
            return ie_err_set(err, IE_EINVAL, "%s is shard %u/%u but %s is shard %u/%u", a->name,
                              a->shard.index, a->shard.count, b->name, b->shard.index,
                              b->shard.count);
    }
    if (count <= 1)
        return 0;
    given = ie_xcalloc(count, sizeof(*given));
    for (size_t i = 0; i < n; i++) {
        size_t k = parts[i].shard.index - 1;
        if (given[k]) {
            rc = ie_err_set(err, IE_EINVAL, "shard %u/%u is given twice: %s and %s",
                            parts[i].shard.index, count, parts[given[k] - 1].name, parts[i].name);
            goto out;
        }
        given[k] = i + 1;
    }
    for (uint32_t k = 0; k < count; k++) {
        if (!given[k]) {
            rc = ie_err_set(err, IE_EINVAL,
                            "shard %u/%u is missing (%zu of %u shards given); a merge of some "
                            "shards would not be the whole scan",
                            k + 1, count, n, count);
            goto out;
        }
    }
out:
    free(given);
    return rc;
}

/* The longest common directory of two absolute directories ("/a/b/c", "/a/bx" -> "/a"). */
static void common_dir(char *acc, const char *other)
{
    size_t i = 0;
    while (acc[i] && acc[i] == other[i])
        i++;
    if ((acc[i] == '\0' || acc[i] == '/') && (other[i] == '\0' || other[i] == '/')) {
        acc[i] = '\0';
        return;
    }
    while (i > 0 && acc[i - 1] != '/')
        i--;
    acc[i > 1 ? i - 1 : i] = '\0';
}

/* The settings of the merged header: the first part's as written, without its "shard" member
 * and the comma that joined it to its neighbour. */
static char *merged_settings(const struct part *p)
{
    size_t span[3], n = strlen(p->settings);
    if (ie__json_member_span(p->settings, n, "shard", span) != 1)
        return ie_xstrdup(p->settings);
    size_t from = span[0], to = span[2];
    while (from > 0 && strchr(" \t\r\n", p->settings[from - 1]))
        from--;
    if (p->settings[from - 1] == ',') {
        from--; /* a member before it: drop ",shard" */
    } else {
        while (to < n && strchr(" \t\r\n", p->settings[to]))
            to++;
        if (to < n && p->settings[to] == ',')
            to++; /* the first member: drop "shard," */
    }
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_add(&b, p->settings, from);
    ie_buf_adds(&b, p->settings + to);
    return ie_buf_detach(&b);
}

/* ---- reading records ---- */

/* Moves p to its next record: 0 (p->done at the end), NEEDS_SORT when the path does not come
 * after the previous one, or IE_EINVAL / IE_EIO. */
static int advance(struct part *p, struct ie_err *err)
{
    struct jcap caps[CAP_N];
    for (;;) {
        struct ie_manifest_line l;
        int got = ie_manifest_lines_next(&p->in, &l, err);
        if (got < 0)
            return got; /* "cannot read manifest PATH: why" */
        if (got == 0) {
            p->done = true;
            return 0;
        }
        p->pos = l.offset + (int64_t)l.len + (l.newline ? 1 : 0);
        p->lineno++;
        p->line = l.text;
        size_t n = l.len;
        int kind = got == IE_MANIFEST_LINE_TOO_LONG ? -1 : ie__slim_scan_line(p->line, n, caps);
        if (kind == 0 || (kind > 0 && caps[CAP_META].type == IE_JBOOL && caps[CAP_META].b))
            continue;
        const struct jcap *path = &caps[CAP_PATH];
        if (kind < 0 || path->type != IE_JSTR)
            return ie_err_set(err, IE_EINVAL,
                              "part %s, line %zu: not a manifest record (a corrupt or truncated "
                              "part; re-run its scan to repair it)",
                              p->name, p->lineno + (p->sorted ? 0 : 1));
        p->len = n;
        struct ie_buf t = p->prev;
        p->prev = p->path;
        p->path = t;
        ie_buf_reset(&p->path);
        if (path->esc) {
            ie_grow((void **)&p->path.data, &p->path.cap, path->len + 1, 1);
            p->path.len = ie__slim_junescape(path->p, path->len, p->path.data);
            p->path.data[p->path.len] = '\0';
        } else {
            ie_buf_add(&p->path, path->p, path->len);
        }
        p->records++;
        if (p->records > 1 && strcmp(p->path.data, p->prev.data) <= 0)
            return NEEDS_SORT;
        return 0;
    }
}

static int rewind_part(struct part *p, struct ie_err *err)
{
    if (ie_manifest_lines_seek(&p->in, (int64_t)p->body_at, 1, err) < 0)
        return IE_EIO;
    p->pos = p->body_at;
    p->lineno = 0;
    p->records = 0;
    p->done = false;
    ie_buf_reset(&p->path);
    ie_buf_reset(&p->prev);
    return 0;
}

/* ---- sorting a part that is not in path order ---- */

struct sort_entry {
    const char *path; /* into the arena, set once it stops moving */
    size_t at;
    struct ie_line_ref ref;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct sort_entry *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->ref.offset > y->ref.offset) - (x->ref.offset < y->ref.offset);
}

/* Copies part p into a temp file beside out with one record per path (the later line of a
 * path wins) in path order, and reads from that copy from now on. Holds one part's paths. */
static int sort_part(struct part *p, const char *out, size_t index, struct ie_err *err)
{
    struct sort_entry *v = NULL;
    struct ie_line_ref *refs = NULL;
    struct ie_buf arena, name;
    size_t n = 0, cap = 0, kept = 0;
    int rc;

    ie_buf_init(&arena);
    ie_buf_init(&name);
    if ((rc = rewind_part(p, err)) < 0)
        goto out;
    for (;;) {
        int64_t at = p->pos;
        rc = advance(p, err);
        if (rc < 0)
            goto out;
        if (p->done)
            break;
        ie_grow((void **)&v, &cap, n + 1, sizeof(*v));
        v[n].at = arena.len;
        v[n].ref = (struct ie_line_ref){at, (uint32_t)p->len};
        ie_buf_add(&arena, p->path.data, p->path.len + 1);
        n++;
    }
    for (size_t i = 0; i < n; i++)
        v[i].path = arena.data + v[i].at;
    qsort(v, n, sizeof(*v), cmp_entry);
    refs = ie_xcalloc(n ? n : 1, sizeof(*refs));
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || strcmp(v[i].path, v[i + 1].path) != 0)
            refs[kept++] = v[i].ref;
    ie_buf_addf(&name, "%s.part%zu.sorted", out, index + 1);
    rc = ie_manifest_write_lines(p->name, name.data, p->header, refs, kept, err);
    if (rc < 0)
        goto out;
    p->sorted = ie_buf_detach(&name);
    p->body_at = (off_t)strlen(p->header) + 1;
    rc = open_stream(p, p->sorted, err);
out:
    free(v);
    free(refs);
    ie_buf_release(&arena);
    ie_buf_release(&name);
    return rc;
}

/* ---- the k-way merge ---- */

struct heap {
    struct part *parts;
    size_t *v, n;
};

static bool before(const struct heap *h, size_t a, size_t b)
{
    int c = strcmp(h->parts[a].path.data, h->parts[b].path.data);
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < h->n && before(h, h->v[l], h->v[m]))
            m = l;
        if (l + 1 < h->n && before(h, h->v[l + 1], h->v[m]))
            m = l + 1;
        if (m == i)
            return;
        size_t t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
}

static void heap_push(struct heap *h, size_t part)
{
    size_t i = h->n++;
    h->v[i] = part;
    while (i > 0 && before(h, h->v[i], h->v[(i - 1) / 2])) {
        size_t up = (i - 1) / 2, t = h->v[i];
        h->v[i] = h->v[up];
        h->v[up] = t;
        i = up;
    }
}

static size_t heap_pop(struct heap *h)
{
    size_t top = h->v[0];
    h->v[0] = h->v[--h->n];
    sift_down(h, 0);
    return top;
}

/* Moves part i on and puts it back into the heap unless it is done. */
static int step(struct heap *h, size_t i, size_t *unsorted, struct ie_err *err)
{
    int rc = advance(&h->parts[i], err);
    if (rc == NEEDS_SORT)
        *unsorted = i;
    if (rc == 0 && !h->parts[i].done)
        heap_push(h, i);
    return rc;
}

/* Drops the records of the other parts for the path of part i (just popped): byte-identical
 * ones are counted, any other is an ambiguity the merge refuses. */
static int take_duplicates(struct heap *h, size_t i, size_t *unsorted, struct ie_merge_stats *st,
                           struct ie_err *err)
{
    const struct part *p = &h->parts[i];
    while (h->n && strcmp(h->parts[h->v[0]].path.data, p->path.data) == 0) {
        size_t j = heap_pop(h);
        const struct part *q = &h->parts[j];
        if (q->len != p->len || memcmp(q->line, p->line, p->len) != 0)
            return ie_err_set(err, IE_EINVAL,
                              "%s is in %s and in %s with different records; merge only parts "
                              "of one scan, or remove one of them",
                              p->path.data, p->name, q->name);
        st->duplicates++;
        int rc = step(h, j, unsorted, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* One merge of every part into tmp under header. Returns 0, NEEDS_SORT (*unsorted says which
 * part) or an error. */
static int merge_pass(struct part *parts, size_t n, const char *tmp, const char *header,
                      size_t *unsorted, struct ie_merge_stats *st, struct ie_err *err)
{
    struct heap h = {parts, ie_xcalloc(n, sizeof(size_t)), 0};
    FILE *o = fopen(tmp, "wb");
    int rc = 0;

    st->records = st->duplicates = 0;
    if (!o) {
        rc = ie_err_set(err, IE_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    setvbuf(o, NULL, _IOFBF, 1u << 20);
    fputs(header, o);
    fputc('\n', o);
    for (size_t i = 0; i < n; i++)
        if ((rc = rewind_part(&parts[i], err)) != 0 || (rc = step(&h, i, unsorted, err)) != 0)
            goto out;
    while (h.n) {
        size_t i = heap_pop(&h);
        if ((rc = take_duplicates(&h, i, unsorted, st, err)) != 0)
            goto out;
        fwrite(parts[i].line, 1, parts[i].len, o);
        fputc('\n', o);
        st->records++;
        if ((rc = step(&h, i, unsorted, err)) != 0)
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (parts[i].records < parts[i].total_files) {
            rc = ie_err_set(
                err, IE_EINVAL,
                "part %s has %lld record(s) for the %lld file(s) its header counts: its "
                "scan did not finish (run it again to resume)",
                parts[i].name, (long long)parts[i].records, (long long)parts[i].total_files);
            goto out;
        }
    }
    if (fflush(o) != 0 || ferror(o) || fsync(fileno(o)) < 0)
        rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp, strerror(errno));
out:
    if (o && fclose(o) != 0 && rc == 0)
        rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp, strerror(errno));
    free(h.v);
    return rc;
}

/* ---- the whole merge ---- */

/* Reads and checks every header; fills the merged header's fields. */
static int open_parts(struct part *parts, const char *const *names, size_t n, char **input_dir,
                      const char **created_at, struct ie_err *err)
{
    int rc;
    for (size_t i = 0; i < n; i++) {
        parts[i].name = names[i];
        ie_buf_init(&parts[i].path);
        ie_buf_init(&parts[i].prev);
        if ((rc = open_stream(&parts[i], names[i], err)) < 0 ||
            (rc = read_header(&parts[i], err)) < 0)
            return rc;
        if (i > 0 && merge_difference(&parts[0], &parts[i]))
            return settings_mismatch(&parts[0], &parts[i], err);
    }
    if ((rc = check_shards(parts, n, err)) < 0)
        return rc;
    *input_dir = ie_xstrdup(parts[0].input_dir);
    *created_at = parts[0].created_at;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(*input_dir, parts[i].input_dir) != 0)
            common_dir(*input_dir, parts[i].input_dir);
        if (*parts[i].created_at && strcmp(parts[i].created_at, *created_at) < 0)
            *created_at = parts[i].created_at;
    }
    return 0;
}

static void sync_dir_of(const char *path)
{
    char *copy = ie_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int ie_manifest_merge(const char *const *names, size_t n, const char *out,
                      struct ie_merge_stats *stats, struct ie_err *err)
{
    struct ie_merge_stats st = {0};
    struct part *parts = NULL;
    char *input_dir = NULL, *settings = NULL, *header = NULL;
    const char *created_at = "";
    struct ie_buf tmp;
    int64_t predicted = 0;
    int rc;

    if (n == 0)
        return ie_err_set(err, IE_EINVAL, "merge needs at least one part");
    ie_buf_init(&tmp);
    ie_buf_addf(&tmp, "%s.tmp", out);
    parts = ie_xcalloc(n, sizeof(*parts));
    if ((rc = open_parts(parts, names, n, &input_dir, &created_at, err)) < 0)
        goto out;
    settings = merged_settings(&parts[0]);
    for (size_t i = 0; i < n; i++)
        predicted += parts[i].total_files;
    /* At most one sort per part and one pass with the corrected count. */
    for (size_t attempt = 0; attempt < n + 2; attempt++) {
        size_t unsorted = 0;
        free(header);
        header = ie_manifest_header_json(input_dir, settings, predicted, created_at);
        rc = merge_pass(parts, n, tmp.data, header, &unsorted, &st, err);
        if (rc == NEEDS_SORT && !parts[unsorted].sorted) {
            if ((rc = sort_part(&parts[unsorted], out, unsorted, err)) < 0)
                goto out;
            st.sorted_parts++;
            continue;
        }
        if (rc != 0 || (int64_t)st.records == predicted)
            break;
        predicted = (int64_t)st.records;
    }
    if (rc == 0 && (int64_t)st.records != predicted)
        rc = ie_err_set(err, IE_EINVAL, "merge did not settle on a record count");
    if (rc == 0 && rename(tmp.data, out) < 0)
        rc = ie_err_set(err, IE_EIO, "cannot replace %s: %s", out, strerror(errno));
    if (rc == 0)
        sync_dir_of(out);
    st.parts = n;
    if (rc == 0 && stats)
        *stats = st;
out:
    if (rc != 0)
        unlink(tmp.data);
    for (size_t i = 0; parts && i < n; i++)
        part_release(&parts[i]);
    free(parts);
    free(input_dir);
    free(settings);
    free(header);
    ie_buf_release(&tmp);
    return rc < 0 ? rc : rc > 0 ? ie_err_set(err, IE_EINVAL, "part order") : 0;
}
