/* Marks (see imgeda/marks.h): the marks file, and applying marks to records as one pure function.
 * DESIGN: marks are matched through keys "content_hash \x01 relative path" sorted once, so the
 * marks of one hash are contiguous and both the exact match and the moved-file fallback are one
 * map lookup; duplicate groups come from ie_duplicates_find only when a keeper exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "imgeda/duplicates.h"
#include "imgeda/export.h"
#include "imgeda/manifest.h"
#include "imgeda/marks.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* A marks file larger than this is refused: a million marks take about 150 MB. */
#define MARKS_MAX_FILE_BYTES ((size_t)512 << 20)

static const char *const kind_names[] = {"", "remove", "keep", "ok", "not_duplicate"};

const char *ie_mark_name(enum ie_mark_kind k)
{
    return (unsigned)k < IE_ARRAY_LEN(kind_names) ? kind_names[k] : "";
}

int ie_mark_parse(const char *s, enum ie_mark_kind *out, struct ie_err *err)
{
    for (size_t i = 1; s && i < IE_ARRAY_LEN(kind_names); i++)
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum ie_mark_kind)i;
            return 0;
        }
    return ie_err_set(err, IE_EINVAL, "mark: one of remove, keep, ok, not_duplicate (got \"%s\")",
                      s ? s : "");
}

void ie_marks_init(struct ie_marks *mk)
{
    memset(mk, 0, sizeof(*mk));
}

void ie_marks_release(struct ie_marks *mk)
{
    for (size_t i = 0; i < mk->n; i++) {
        free(mk->v[i].content_hash);
        free(mk->v[i].path);
        free(mk->v[i].group);
    }
    free(mk->v);
    ie_marks_init(mk);
}

void ie_marks_add(struct ie_marks *mk, const char *content_hash, const char *path,
                  enum ie_mark_kind kind, const char *group)
{
    ie_grow((void **)&mk->v, &mk->cap, mk->n + 1, sizeof(*mk->v));
    struct ie_mark *m = &mk->v[mk->n++];
    m->content_hash = content_hash ? ie_xstrdup(content_hash) : NULL;
    m->path = ie_xstrdup(path ? path : "");
    m->kind = kind;
    m->group = group ? ie_xstrdup(group) : NULL;
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void ie_marks_set(struct ie_marks *mk, const char *content_hash, const char *path,
                  enum ie_mark_kind kind)
{
    size_t o = 0;
    for (size_t i = 0; i < mk->n; i++) {
        struct ie_mark *m = &mk->v[i];
        bool same = same_str(m->content_hash, content_hash) && strcmp(m->path, path) == 0;
        if (same && (kind == IE_MARK_NONE || m->kind != IE_MARK_NOT_DUPLICATE)) {
            free(m->content_hash);
            free(m->path);
            free(m->group);
            continue;
        }
        mk->v[o++] = *m;
    }
    mk->n = o;
    if (kind != IE_MARK_NONE)
        ie_marks_add(mk, content_hash, path, kind, NULL);
}

char *ie_marks_new_group(const struct ie_marks *mk)
{
    long max = 0;
    for (size_t i = 0; i < mk->n; i++) {
        const char *g = mk->v[i].group;
        if (g && strncmp(g, "nd-", 3) == 0) {
            long v = strtol(g + 3, NULL, 10);
            if (v > max)
                max = v;
        }
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "nd-%ld", max + 1);
    return ie_xstrdup(buf);
}

/* Parses one line of a marks file into mk. */
static int parse_line(const char *text, size_t len, size_t lineno, struct ie_marks *mk,
                      struct ie_err *err)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    int rc = 0;
    enum ie_mark_kind kind;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "content_hash");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "path");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "mark");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "group");
    if (!cJSON_IsObject(o) || !cJSON_IsString(p) || !cJSON_IsString(k) ||
        !(cJSON_IsString(h) || cJSON_IsNull(h) || !h) || (g && !cJSON_IsString(g))) {
        rc = ie_err_set(err, IE_EINVAL,
                        "line %zu: not a mark (an object with \"path\", \"mark\" and a "
                        "\"content_hash\" string or null)",
                        lineno);
        goto out;
    }
    if (ie_mark_parse(k->valuestring, &kind, err) < 0) {
        rc = ie_err_set(err, IE_EINVAL, "line %zu: %s", lineno, err ? err->msg : "bad mark");
        goto out;
    }
    if ((kind == IE_MARK_NOT_DUPLICATE) != (g != NULL)) {
        rc = ie_err_set(err, IE_EINVAL, "line %zu: \"group\" belongs to not_duplicate marks only",
                        lineno);
        goto out;
    }
    ie_marks_add(mk, cJSON_IsString(h) ? h->valuestring : NULL, p->valuestring, kind,
                 g ? g->valuestring : NULL);
out:
    cJSON_Delete(o);
    return rc;
}

int ie_marks_load(const char *file, struct ie_marks *mk, struct ie_err *err)
{
    char *data = NULL;
    size_t len = 0, lineno = 0;
    int rc = ie_read_file(file, MARKS_MAX_FILE_BYTES, &data, &len, err);
    if (rc < 0)
        return rc;
    for (size_t s = 0; s < len && rc == 0;) {
        const char *nl = memchr(data + s, '\n', len - s);
        size_t e = nl ? (size_t)(nl - data) : len;
        lineno++;
        size_t a = s;
        while (a < e && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r'))
            a++;
        if (a < e)
            rc = parse_line(data + a, e - a, lineno, mk, err);
        s = e + 1;
    }
    free(data);
    if (rc < 0 && err) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        snprintf(err->msg, sizeof(err->msg), "%.200s: %.300s", file, msg);
    }
    return rc;
}

char *ie_mark_to_json(const struct ie_mark *m)
{
    cJSON *o = cJSON_CreateObject();
    if (m->content_hash)
        cJSON_AddStringToObject(o, "content_hash", m->content_hash);
    else
        cJSON_AddNullToObject(o, "content_hash");
    cJSON_AddStringToObject(o, "path", m->path);
    cJSON_AddStringToObject(o, "mark", ie_mark_name(m->kind));
    if (m->group)
        cJSON_AddStringToObject(o, "group", m->group);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

char *ie_mark_to_csv(const struct ie_mark *m)
{
    struct ie_buf b;
    ie_buf_init(&b);
    const char *h = m->content_hash ? m->content_hash : "";
    ie_export_csv_field(&b, h, strlen(h));
    ie_buf_addc(&b, ',');
    ie_export_csv_field(&b, m->path, strlen(m->path));
    ie_buf_addf(&b, ",%s,", ie_mark_name(m->kind));
    if (m->group)
        ie_export_csv_field(&b, m->group, strlen(m->group));
    return ie_buf_detach(&b);
}

int ie_marks_save(const char *file, const struct ie_marks *mk, struct ie_err *err)
{
    struct ie_buf b;
    ie_buf_init(&b);
    for (size_t i = 0; i < mk->n; i++) {
        char *line = ie_mark_to_json(&mk->v[i]);
        ie_buf_adds(&b, line);
        ie_buf_addc(&b, '\n');
        free(line);
    }
    int rc = ie_write_file_atomic(file, b.data ? b.data : "", b.len, err);
    ie_buf_release(&b);
    return rc;
}

/* path after prefix and a '/', or NULL when it does not start so. */
static const char *after_prefix(const char *path, const char *prefix, size_t n)
{
    return n && strncmp(path, prefix, n) == 0 && path[n] == '/' && path[n + 1] ? path + n + 1
                                                                               : NULL;
}

const char *ie_marks_rel_path(const char *root, const char *path)
{
    size_t n = root ? strlen(root) : 0;
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (n == 1 && root[0] == '/')
        return path[0] == '/' && path[1] ? path + 1 : path;
    const char *rel = after_prefix(path, root, n);
    if (rel || n == 0)
        return rel ? rel : path;
    /* The CLI writes paths as the root was given ("data/x.jpg", "../set/x.jpg") while the
     * header holds the real root ("/home/u/set"): the tail of the root that starts the path,
     * after any "./" and "../", is the root as written. */
    const char *q = path;
    while (strncmp(q, "./", 2) == 0 || strncmp(q, "../", 3) == 0)
        q += q[1] == '/' ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        if (root[i] != '/')
            continue;
        if ((rel = after_prefix(q, root + i + 1, n - i - 1)))
            return rel;
    }
    return path;
}

void ie_marks_applied_init(struct ie_marks_applied *a)
{
    memset(a, 0, sizeof(*a));
}

void ie_marks_applied_release(struct ie_marks_applied *a)
{
    free(a->recs);
    free(a->orig);
    free(a->kind);
    free(a->removed);
    free(a->nd_of);
    free(a->nd_start);
    ie_marks_applied_init(a);
}

/* The marks sorted by key "hash \x01 path", with maps from a key and from a hash to the first
 * position of its run. */
struct key_ref {
    const char *key;
    size_t idx;
};

struct mark_index {
    char **keys;         /* per mark */
    struct key_ref *ord; /* sorted by key */
    char **hashes;       /* per mark: the hash part (by_hash's keys) */
    struct ie_strmap by_key, by_hash, groups;
    size_t n_groups;
};

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct key_ref *)a)->key, ((const struct key_ref *)b)->key);
}

static char *make_key(const char *hash, const char *rel)
{
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_adds(&b, hash ? hash : "");
    ie_buf_addc(&b, '\x01');
    ie_buf_adds(&b, rel);
    return ie_buf_detach(&b);
}

static void index_build(struct mark_index *ix, const struct ie_marks *mk)
{
    memset(ix, 0, sizeof(*ix));
    ie_strmap_init(&ix->by_key);
    ie_strmap_init(&ix->by_hash);
    ie_strmap_init(&ix->groups);
    ix->keys = ie_xcalloc(mk->n + 1, sizeof(char *));
    ix->hashes = ie_xcalloc(mk->n + 1, sizeof(char *));
    ix->ord = ie_xcalloc(mk->n + 1, sizeof(*ix->ord));
    for (size_t i = 0; i < mk->n; i++) {
        ix->keys[i] = make_key(mk->v[i].content_hash, mk->v[i].path);
        ix->hashes[i] = ie_xstrdup(mk->v[i].content_hash ? mk->v[i].content_hash : "");
        ix->ord[i] = (struct key_ref){ix->keys[i], i};
        size_t g;
        if (mk->v[i].group && !ie_strmap_get(&ix->groups, mk->v[i].group, &g))
            ie_strmap_put(&ix->groups, mk->v[i].group, ix->n_groups++);
    }
    qsort(ix->ord, mk->n, sizeof(*ix->ord), cmp_key);
    /* Walking backwards leaves each map pointing at the first position of its run. */
    for (size_t k = mk->n; k-- > 0;) {
        size_t i = ix->ord[k].idx;
        ie_strmap_put(&ix->by_key, ix->keys[i], k);
        if (mk->v[i].content_hash)
            ie_strmap_put(&ix->by_hash, ix->hashes[i], k);
    }
}

static void index_release(struct mark_index *ix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ix->keys[i]);
        free(ix->hashes[i]);
    }
    free(ix->keys);
    free(ix->hashes);
    free(ix->ord);
    ie_strmap_release(&ix->by_key);
    ie_strmap_release(&ix->by_hash);
    ie_strmap_release(&ix->groups);
}

/* The not_duplicate memberships as (record, set) pairs, appended record by record. */
struct nd_acc {
    size_t *of, n, cap;
};

/* Matches record i to its marks: kind and not_duplicate sets into a, matched marks flagged. */
static void match_record(const struct mark_index *ix, const struct ie_marks *mk,
                         const struct ie_record *r, const char *root, size_t i, bool *matched,
                         const bool *exact, struct nd_acc *nd, struct ie_marks_applied *a)
{
    const char *rel = ie_marks_rel_path(root, r->path);
    char *key = make_key(r->content_hash, rel);
    size_t pos, end;
    a->nd_start[i] = nd->n;
    if (ie_strmap_get(&ix->by_key, key, &pos)) {
        for (end = pos; end < mk->n && strcmp(ix->ord[end].key, key) == 0; end++)
            ;
    } else if (r->content_hash && ie_strmap_get(&ix->by_hash, r->content_hash, &pos)) {
        /* Moved or renamed: the marks of its bytes count when they all name one path that no
         * record of this scan holds any more (else this is another copy of a file that is still
         * there, or one of several copies and which one is unknown). */
        const char *p0 = mk->v[ix->ord[pos].idx].path;
        for (end = pos; end < mk->n && strcmp(ix->hashes[ix->ord[end].idx], r->content_hash) == 0;
             end++)
            if (strcmp(mk->v[ix->ord[end].idx].path, p0) != 0 || exact[ix->ord[end].idx])
                break;
        if (end < mk->n && strcmp(ix->hashes[ix->ord[end].idx], r->content_hash) == 0)
            end = pos;
    } else {
        end = pos = 0;
    }
    for (size_t k = pos; k < end; k++) {
        const struct ie_mark *m = &mk->v[ix->ord[k].idx];
        size_t g;
        matched[ix->ord[k].idx] = true;
        if (m->kind == IE_MARK_NOT_DUPLICATE && ie_strmap_get(&ix->groups, m->group, &g)) {
            ie_grow((void **)&nd->of, &nd->cap, nd->n + 1, sizeof(size_t));
            nd->of[nd->n++] = g;
        } else if (m->kind != IE_MARK_NOT_DUPLICATE) {
            a->kind[i] = (uint8_t)m->kind;
        }
    }
    free(key);
}

static bool share_set(const struct ie_marks_applied *a, size_t x, size_t y)
{
    for (size_t i = a->nd_start[x]; i < a->nd_start[x + 1]; i++)
        for (size_t j = a->nd_start[y]; j < a->nd_start[y + 1]; j++)
            if (a->nd_of[i] == a->nd_of[j])
                return true;
    return false;
}

/* Removes the non-kept members of each group of list that holds a keeper. */
static void drop_by_keepers(const struct ie_dup_list *list, struct ie_marks_applied *a)
{
    for (size_t gi = 0; gi < list->n; gi++) {
        const struct ie_dup_group *g = &list->groups[gi];
        bool has_keeper = false;
        for (size_t k = 0; k < g->n && !has_keeper; k++)
            has_keeper = a->kind[g->recs[k]] == IE_MARK_KEEP;
        if (!has_keeper)
            continue;
        for (size_t k = 0; k < g->n; k++) {
            size_t m = g->recs[k];
            bool spared = a->kind[m] == IE_MARK_KEEP || a->kind[m] == IE_MARK_OK || a->removed[m];
            for (size_t q = 0; q < g->n && !spared; q++)
                spared = a->kind[g->recs[q]] == IE_MARK_KEEP && share_set(a, m, g->recs[q]);
            if (!spared) {
                a->removed[m] = true;
                a->removed_by_keep++;
            }
        }
    }
}

static int apply_keepers(const struct ie_record *recs, size_t n, int threshold,
                         struct ie_marks_applied *a, struct ie_err *err)
{
    struct ie_dup_opts o;
    struct ie_duplicates d;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = a->kind[i] == IE_MARK_KEEP;
    if (!any)
        return 0;
    ie_dup_opts_init(&o);
    o.threshold = threshold;
    ie_duplicates_init(&d);
    int rc = ie_duplicates_find(recs, n, &o, &d, err);
    if (rc == 0) {
        drop_by_keepers(&d.exact, a);
        drop_by_keepers(&d.byte_identical, a);
        drop_by_keepers(&d.near, a);
    }
    ie_duplicates_release(&d);
    return rc;
}

struct hash_ref {
    struct ie_hash256 h;
    size_t k; /* index into a->recs */
};

static int cmp_hash_ref(const void *x, const void *y)
{
    const struct hash_ref *a = x, *b = y;
    int c = memcmp(a->h.w, b->h.w, sizeof(a->h.w));
    return c ? c : (a->k > b->k) - (a->k < b->k);
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

/* Splits one run of kept records with the same phash (refs[0..g)) whose members all belong to
 * not_duplicate sets into the components of "share no set". */
static void split_run(const struct hash_ref *refs, size_t g, struct ie_marks_applied *a)
{
    size_t *parent = ie_xmalloc(g * sizeof(size_t));
    for (size_t x = 0; x < g; x++)
        parent[x] = x;
    for (size_t x = 0; x < g; x++)
        for (size_t y = x + 1; y < g; y++)
            if (!share_set(a, a->orig[refs[x].k], a->orig[refs[y].k]))
                parent[uf_find(parent, x)] = uf_find(parent, y);
    size_t first = uf_find(parent, 0);
    for (size_t x = 1; x < g; x++) {
        size_t c = uf_find(parent, x), size = 0;
        if (c == first)
            continue;
        for (size_t y = 0; y < g; y++)
            size += uf_find(parent, y) == c;
        struct ie_record *r = &a->recs[refs[x].k];
        a->split_images++;
        if (size == 1) {
            r->has_phash = false;
        } else {
            /* A hash of its own per component: far (about 128 bits) from any real one. */
            uint64_t salt = 0x9e3779b97f4a7c15ull * (uint64_t)(c + 1);
            r->phash.w[1] ^= salt;
            r->phash.w[3] ^= ~salt;
        }
    }
    free(parent);
}

static void split_not_duplicates(struct ie_marks_applied *a)
{
    struct hash_ref *refs = ie_xmalloc((a->n + 1) * sizeof(*refs));
    size_t m = 0;
    for (size_t k = 0; k < a->n; k++)
        if (!a->recs[k].is_corrupt && a->recs[k].has_phash)
            refs[m++] = (struct hash_ref){a->recs[k].phash, k};
    qsort(refs, m, sizeof(*refs), cmp_hash_ref);
    for (size_t s = 0, e; s < m; s = e) {
        bool all_in_sets = true;
        for (e = s; e < m && memcmp(refs[e].h.w, refs[s].h.w, sizeof(refs[s].h.w)) == 0; e++) {
            size_t i = a->orig[refs[e].k];
            all_in_sets = all_in_sets && a->nd_start[i + 1] > a->nd_start[i];
        }
        if (e - s >= 2 && all_in_sets)
            split_run(refs + s, e - s, a);
    }
    free(refs);
}

/* Copies the records that stay, clearing the flags of ok ones. */
static void keep_records(const struct ie_record *recs, size_t n, struct ie_marks_applied *a)
{
    a->recs = ie_xmalloc((n + 1) * sizeof(*a->recs));
    a->orig = ie_xmalloc((n + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        if (a->removed[i])
            continue;
        struct ie_record *r = &a->recs[a->n];
        *r = recs[i];
        a->orig[a->n++] = i;
        if (a->kind[i] == IE_MARK_OK) {
            r->is_dark = r->is_overexposed = r->is_blurry = r->has_border_artifact = false;
            a->ok_images++;
        }
    }
}

int ie_marks_apply(const struct ie_record *recs, size_t n, const char *root,
                   const struct ie_marks *mk, int threshold, struct ie_marks_applied *out,
                   struct ie_err *err)
{
    struct mark_index ix;
    struct nd_acc nd = {0};
    ie_marks_applied_release(out);
    if (threshold < 0 || threshold > IE_HASH_INDEX_MAX_THRESHOLD)
        return ie_err_set(err, IE_EINVAL, "threshold: a number in 0..%d",
                          IE_HASH_INDEX_MAX_THRESHOLD);
    index_build(&ix, mk);
    bool *matched = ie_xcalloc(mk->n + 1, sizeof(bool));
    bool *exact = ie_xcalloc(mk->n + 1, sizeof(bool));
    out->in_n = n;
    out->kind = ie_xcalloc(n + 1, 1);
    out->removed = ie_xcalloc(n + 1, sizeof(bool));
    out->nd_start = ie_xcalloc(n + 1, sizeof(size_t));
    /* First the marks some record matches exactly, which moved-file matching must not take. */
    for (size_t i = 0; i < n; i++) {
        char *key = make_key(recs[i].content_hash, ie_marks_rel_path(root, recs[i].path));
        size_t pos;
        if (ie_strmap_get(&ix.by_key, key, &pos))
            for (; pos < mk->n && strcmp(ix.ord[pos].key, key) == 0; pos++)
                exact[ix.ord[pos].idx] = true;
        free(key);
    }
    for (size_t i = 0; i < n; i++)
        match_record(&ix, mk, &recs[i], root, i, matched, exact, &nd, out);
    out->nd_start[n] = nd.n;
    out->nd_of = nd.of ? nd.of : ie_xmalloc(sizeof(size_t));
    for (size_t j = 0; j < mk->n; j++)
        out->marks_applied += matched[j];
    out->marks_unmatched = mk->n - out->marks_applied;
    for (size_t i = 0; i < n; i++)
        if (out->kind[i] == IE_MARK_REMOVE) {
            out->removed[i] = true;
            out->removed_marked++;
        }
    int rc = apply_keepers(recs, n, threshold, out, err);
    if (rc == 0) {
        keep_records(recs, n, out);
        if (nd.n)
            split_not_duplicates(out);
    } else {
        ie_marks_applied_release(out);
    }
    free(matched);
    free(exact);
    index_release(&ix, mk->n);
    return rc;
}

cJSON *ie_marks_applied_to_cjson(const struct ie_marks_applied *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "applied", (double)a->marks_applied);
    cJSON_AddNumberToObject(o, "unmatched", (double)a->marks_unmatched);
    cJSON_AddNumberToObject(o, "removed", (double)(a->removed_marked + a->removed_by_keep));
    cJSON_AddNumberToObject(o, "removed_marked", (double)a->removed_marked);
    cJSON_AddNumberToObject(o, "removed_by_keep", (double)a->removed_by_keep);
    cJSON_AddNumberToObject(o, "ok", (double)a->ok_images);
    cJSON_AddNumberToObject(o, "split", (double)a->split_images);
    return o;
}

void ie_marks_write(const struct ie_manifest *m, const struct ie_marks_applied *a, bool clean,
                    const char *root, struct ie_buf *b)
{
    if (clean) {
        char now[40];
        ie_now_iso(now, sizeof(now));
        char *h = ie_manifest_header_json(m->meta.input_dir ? m->meta.input_dir
                                          : root            ? root
                                                            : "",
                                          m->meta.settings_json, (int64_t)a->n,
                                          m->meta.created_at ? m->meta.created_at : now);
        ie_buf_adds(b, h);
        ie_buf_addc(b, '\n');
        free(h);
    }
    for (size_t i = 0; i < m->n && i < a->in_n; i++) {
        if (a->removed[i] == clean)
            continue;
        char *line = clean ? ie_record_to_json(&m->recs[i]) : NULL;
        ie_buf_adds(b, clean ? line : m->recs[i].path);
        ie_buf_addc(b, '\n');
        free(line);
    }
}
