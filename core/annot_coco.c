/* COCO: a JSON pre-scan with line/column, the instances file, and the dataset walk. */

#include <cjson/cJSON.h>

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* ---- JSON: a pre-scan, then cJSON ---- */

/* Scans JSON text without building anything: nesting depth, the number of values (commas and
 * brackets, an upper bound) and which keys the top-level object has. It is not a validation
 * (cJSON does that next) but bounds what cJSON will allocate and how deep it will recurse.
 * Returns 0, or -1 with msg. */
int ie__annot_json_prescan(const char *p, size_t n, int max_depth, size_t max_values,
                           struct json_keys *k, char *msg, size_t msgsz)
{
    int depth = 0;
    size_t values = 1;
    bool first = true;
    memset(k, 0, sizeof(*k));
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (ie__annot_is_ws(c))
            continue;
        if (first) {
            k->object = c == '{';
            first = false;
        }
        switch (c) {
        case '"': {
            size_t start = ++i;
            while (i < n && p[i] != '"')
                i += p[i] == '\\' ? 2 : 1;
            if (i >= n) {
                snprintf(msg, msgsz, "JSON ends early inside a string (truncated file?)");
                return -1;
            }
            if (depth == 1 && k->object) {
                size_t j = i + 1;
                while (j < n && ie__annot_is_ws(p[j]))
                    j++;
                if (j < n && p[j] == ':') {
                    size_t l = i - start;
                    if (l == 6 && memcmp(p + start, "images", 6) == 0)
                        k->images = true;
                    else if (l == 11 && memcmp(p + start, "annotations", 11) == 0)
                        k->annotations = true;
                    else if (l == 10 && memcmp(p + start, "categories", 10) == 0)
                        k->categories = true;
                }
            }
            break;
        }
        case '{':
        case '[':
            if (++depth > max_depth) {
                snprintf(msg, msgsz, "JSON nested deeper than %d levels", max_depth);
                return -1;
            }
            /* fall through */
        case ',':
            if (++values > max_values) {
                snprintf(msg, msgsz, "more than %zu JSON values", max_values);
                return -1;
            }
            break;
        case '}':
        case ']':
            depth--;
            break;
        default:
            break;
        }
    }
    k->end_depth = depth;
    return 0;
}

/* 1-based line and column of byte `at` in text. */
static void line_col(const char *text, size_t at, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* Parses a JSON document after the pre-scan. Returns the tree, or NULL with an issue recorded
 * against file. keys may be NULL. */
static cJSON *json_parse_checked(struct ie_annot_result *r, struct ie_annot_state *st,
                                 const char *file, const char *data, size_t len,
                                 struct json_keys *keys)
{
    char msg[256];
    struct json_keys k;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    if (ie__annot_json_prescan(data, len, st->opt.max_depth, st->opt.max_json_values, &k, msg,
                               sizeof(msg)) < 0) {
        ie__annot_add_issue(r, file, 0, IE_ANNOT_PARSE_ERROR, "%s", msg);
        return NULL;
    }
    if (keys)
        *keys = k;
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(data, len, &end, false);
    if (doc) {
        /* Trailing garbage is an error as in Python's json.load. */
        const char *e = end;
        while (e < data + len && ie__annot_is_ws(*e))
            e++;
        if (e < data + len) {
            cJSON_Delete(doc);
            doc = NULL;
            end = e;
        }
    }
    if (!doc) {
        uint32_t line, col;
        size_t at = end && end >= data && end <= data + len ? (size_t)(end - data) : 0;
        line_col(data, at, &line, &col);
        const char *q = data;
        while (q < data + len && ie__annot_is_ws(*q))
            q++;
        if (q == data + len)
            ie__annot_add_issue(r, file, 0, IE_ANNOT_PARSE_ERROR, "empty file: JSON ends early");
        else if (k.end_depth > 0)
            ie__annot_add_issue(r, file, line, IE_ANNOT_PARSE_ERROR,
                                "JSON ends early at line %u (truncated file?)", line);
        else
            ie__annot_add_issue(r, file, line, IE_ANNOT_PARSE_ERROR,
                                "JSON syntax error at line %u, column %u", line, col);
    }
    return doc;
}

/* ---- COCO ---- */

void ie__annot_coco_doc_release(struct coco_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->e[i].file_name);
        free(d->e[i].idkey);
    }
    free(d->e);
    free(d->boxes.v);
    memset(d, 0, sizeof(*d));
}

/* A COCO id (number or string) as map key text. False when it is neither. */
static bool coco_id_key(const cJSON *v, char *out, size_t outsz)
{
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d))
            return false;
        if (d == floor(d) && fabs(d) < 9e15)
            snprintf(out, outsz, "%lld", (long long)d);
        else
            snprintf(out, outsz, "%.17g", d);
        return true;
    }
    if (cJSON_IsString(v) && strlen(v->valuestring) < 200) {
        snprintf(out, outsz, "s:%s", v->valuestring);
        return true;
    }
    return false;
}

/* The id as shown in messages. */
static const char *coco_id_text(const char *key, char *out, size_t outsz)
{
    if (strncmp(key, "s:", 2) == 0) {
        char q[QUOTE_MAX * 4 + 8];
        snprintf(out, outsz, "'%s'", ie__annot_quote(q, sizeof(q), key + 2, strlen(key + 2)));
    } else {
        snprintf(out, outsz, "%s", key);
    }
    return out;
}

static bool get_pos_number(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble <= 0)
        return false;
    *out = v->valuedouble;
    return true;
}

static int cmp_box_owner(const void *pa, const void *pb)
{
    const struct box *a = pa, *b = pb;
    if (a->owner != b->owner)
        return a->owner < b->owner ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Parses a COCO detection file into doc: entries for "images", boxes for "annotations" grouped
 * by entry. Bad entries become issues. Returns 0, or IE_EFORMAT when the file is not JSON or
 * not a COCO object. */
/* What the three passes over a COCO document share. */
struct coco_parse {
    struct ie_annot_result *r;
    struct ie_annot_state *st;
    const char *file;
    struct coco_doc *doc;
    struct ie_strmap cats, imgs, names; /* category key -> index, image key -> entry, names */
    char **cat_keys;
    size_t *cat_cls, n_cats;
};

/* Categories declare the classes, in file order. */
static void coco_categories(struct coco_parse *cp, const cJSON *categories)
{
    struct ie_annot_result *r = cp->r;
    struct ie_annot_state *st = cp->st;
    const char *file = cp->file;
    char key[256], q[QUOTE_MAX * 4 + 8], idt[QUOTE_MAX * 4 + 16];
    if (cJSON_IsArray(categories)) {
        size_t n = (size_t)cJSON_GetArraySize(categories), i = 0;
        cp->cat_keys = ie_xcalloc(n + 1, sizeof(*cp->cat_keys));
        cp->cat_cls = ie_xcalloc(n + 1, sizeof(*cp->cat_cls));
        const cJSON *c;
        cJSON_ArrayForEach(c, categories)
        {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
            size_t idx, prev;
            if (!cJSON_IsObject(c) ||
                !coco_id_key(cJSON_GetObjectItemCaseSensitive(c, "id"), key, sizeof(key))) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_CONFIG, "categories[%zu] has no usable id",
                                    i);
                i++;
                continue;
            }
            if (ie_strmap_get(&cp->cats, key, &prev)) {
                ie__annot_add_issue(
                    r, file, 0, IE_ANNOT_CONFIG,
                    "categories[%zu]: category id %s is listed twice; the first is used", i,
                    coco_id_text(key, idt, sizeof(idt)));
                i++;
                continue;
            }
            if (cJSON_IsString(name)) {
                idx = ie__annot_class_intern(st, name->valuestring, true);
            } else {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_CONFIG, "categories[%zu] has no name", i);
                idx = ie__annot_class_intern(st, strncmp(key, "s:", 2) == 0 ? key + 2 : key, true);
            }
            if (ie_strmap_get(&cp->names, st->class_names[idx], &prev))
                ie__annot_add_issue(
                    r, file, 0, IE_ANNOT_CONFIG,
                    "category name '%s' is used by several ids; they are counted together",
                    ie__annot_quote(q, sizeof(q), st->class_names[idx],
                                    strlen(st->class_names[idx])));
            else
                ie_strmap_put(&cp->names, st->class_names[idx], idx);
            cp->cat_keys[cp->n_cats] = ie_xstrdup(key);
            cp->cat_cls[cp->n_cats] = idx;
            ie_strmap_put(&cp->cats, cp->cat_keys[cp->n_cats], cp->n_cats);
            cp->n_cats++;
            i++;
        }
    } else {
        ie__annot_add_note(r, "%s has no categories: classes are named by their category_id", file);
    }
}

/* Images: one entry each; a repeated file_name aliases the first. */
static void coco_images(struct coco_parse *c, const cJSON *images)
{
    struct ie_annot_result *r = c->r;
    struct coco_doc *doc = c->doc;
    const char *file = c->file;
    char key[256], q[QUOTE_MAX * 4 + 8], idt[QUOTE_MAX * 4 + 16];
    struct ie_strmap fnames;
    ie_strmap_init(&fnames);
    {
        size_t i = 0;
        const cJSON *im;
        cJSON_ArrayForEach(im, images)
        {
            const cJSON *fn = cJSON_GetObjectItemCaseSensitive(im, "file_name");
            size_t prev;
            if (!cJSON_IsObject(im) ||
                !coco_id_key(cJSON_GetObjectItemCaseSensitive(im, "id"), key, sizeof(key))) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_MALFORMED, "images[%zu] has no usable id",
                                    i++);
                continue;
            }
            if (ie_strmap_get(&c->imgs, key, &prev)) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_CONFLICT,
                                    "images[%zu]: image id %s is listed twice; the first is used",
                                    i, coco_id_text(key, idt, sizeof(idt)));
                i++;
                continue;
            }
            ie_grow((void **)&doc->e, &doc->cap, doc->n + 1, sizeof(*doc->e));
            struct coco_entry *e = &doc->e[doc->n];
            memset(e, 0, sizeof(*e));
            e->idkey = ie_xstrdup(key);
            e->alias = doc->n;
            if (cJSON_IsString(fn) && *fn->valuestring) {
                e->file_name = ie_xstrdup(fn->valuestring);
                if (ie_strmap_get(&fnames, e->file_name, &prev)) {
                    ie__annot_add_issue(
                        r, file, 0, IE_ANNOT_CONFLICT,
                        "images[%zu]: file_name '%s' is listed twice; its annotations "
                        "are merged",
                        i, ie__annot_quote(q, sizeof(q), e->file_name, strlen(e->file_name)));
                    e->alias = prev;
                } else {
                    ie_strmap_put(&fnames, e->file_name, doc->n);
                }
            } else {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_MALFORMED,
                                    "images[%zu] (id %s) has no file_name; it is skipped", i,
                                    coco_id_text(key, idt, sizeof(idt)));
                e->skip = true;
            }
            e->sized = get_pos_number(im, "width", &e->w) && get_pos_number(im, "height", &e->h);
            ie_strmap_put(&c->imgs, e->idkey, doc->n);
            doc->n++;
            i++;
        }
    }
    ie_strmap_release(&fnames);
}

/* Annotations: a box each, checked against its image's size. */
static void coco_annotations(struct coco_parse *c, const cJSON *anns, const cJSON *categories)
{
    struct ie_annot_result *r = c->r;
    struct ie_annot_state *st = c->st;
    struct coco_doc *doc = c->doc;
    const char *file = c->file;
    char key[256], key2[256], idt[QUOTE_MAX * 4 + 16];
    {
        size_t i = 0;
        const cJSON *a;
        cJSON_ArrayForEach(a, anns)
        {
            size_t at = i++, ei, ci;
            int64_t aid = (int64_t)at;
            bool by_index = true;
            const cJSON *idv = cJSON_GetObjectItemCaseSensitive(a, "id");
            if (cJSON_IsNumber(idv) && isfinite(idv->valuedouble) && idv->valuedouble >= 0 &&
                idv->valuedouble < 9e15 && idv->valuedouble == floor(idv->valuedouble)) {
                aid = (int64_t)idv->valuedouble;
                by_index = false;
            }
            snprintf(idt, sizeof(idt), "annotation %s%lld", by_index ? "#" : "id ", (long long)aid);
            if (!cJSON_IsObject(a)) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_MALFORMED, "%s is not an object", idt);
                continue;
            }
            if (!coco_id_key(cJSON_GetObjectItemCaseSensitive(a, "image_id"), key, sizeof(key))) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_MALFORMED, "%s has no usable image_id",
                                    idt);
                continue;
            }
            if (!ie_strmap_get(&c->imgs, key, &ei)) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_UNKNOWN_IMAGE,
                                    "%s: image_id %s is not in images", idt,
                                    coco_id_text(key, key2, sizeof(key2)));
                continue;
            }
            struct coco_entry *e = &doc->e[doc->e[ei].alias];
            if (e->skip)
                continue;
            const cJSON *bb = cJSON_GetObjectItemCaseSensitive(a, "bbox");
            double v[4];
            bool ok = cJSON_IsArray(bb) && cJSON_GetArraySize(bb) == 4;
            for (int k = 0; ok && k < 4; k++) {
                const cJSON *x = cJSON_GetArrayItem(bb, k);
                ok = cJSON_IsNumber(x) && isfinite(x->valuedouble);
                if (ok)
                    v[k] = x->valuedouble;
            }
            if (!ok) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_MALFORMED,
                                    "%s: bbox is not [x, y, width, height] with 4 finite numbers",
                                    idt);
                continue;
            }
            const cJSON *cv = cJSON_GetObjectItemCaseSensitive(a, "category_id");
            if (!coco_id_key(cv, key, sizeof(key))) {
                ie__annot_add_issue(r, file, 0, IE_ANNOT_MALFORMED, "%s has no usable category_id",
                                    idt);
                continue;
            }
            if (ie_strmap_get(&c->cats, key, &ci)) {
                ci = c->cat_cls[ci];
            } else {
                if (cJSON_IsArray(categories))
                    ie__annot_add_issue(r, file, 0, IE_ANNOT_UNKNOWN_CLASS,
                                        "%s: category_id %s is not in categories", idt,
                                        coco_id_text(key, key2, sizeof(key2)));
                ci = ie__annot_class_intern(st, strncmp(key, "s:", 2) == 0 ? key + 2 : key, false);
            }
            struct box *b = ie__annot_boxvec_push(&doc->boxes);
            b->owner = (size_t)(e - doc->e);
            b->cls = ci;
            b->id = aid;
            b->id_is_index = by_index;
            memcpy(b->raw, v, sizeof(v));
            if (v[2] <= 0 || v[3] <= 0)
                ie__annot_add_issue(r, file, 0, IE_ANNOT_ZERO_SIZE,
                                    "%s: box has zero or negative size (width %.6g, height %.6g)",
                                    idt, v[2], v[3]);
            if (!e->sized) {
                if (!e->size_noted)
                    ie__annot_add_issue(
                        r, file, 0, IE_ANNOT_MISSING_SIZE,
                        "image id %s has no positive width/height: its boxes cannot be "
                        "normalised",
                        coco_id_text(e->idkey, key2, sizeof(key2)));
                e->size_noted = true;
                continue;
            }
            b->sized = true;
            b->nw = v[2] / e->w;
            b->nh = v[3] / e->h;
            b->area = b->nw * b->nh;
            if (v[2] > 0 && v[3] > 0 &&
                (v[0] < -EPS_PIXELS || v[1] < -EPS_PIXELS || v[0] + v[2] > e->w + EPS_PIXELS ||
                 v[1] + v[3] > e->h + EPS_PIXELS))
                ie__annot_add_issue(
                    r, file, 0, IE_ANNOT_OUT_OF_BOUNDS,
                    "%s: box [%.6g, %.6g, %.6g, %.6g] reaches outside the %.6gx%.6g image", idt,
                    v[0], v[1], v[2], v[3], e->w, e->h);
        }
    }
}

int ie__annot_coco_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                         const char *data, size_t len, struct coco_doc *doc)
{
    struct coco_parse c = {.r = r, .st = st, .file = file, .doc = doc};
    int rc = 0;
    cJSON *root = json_parse_checked(r, st, file, data, len, NULL);

    ie_strmap_init(&c.cats);
    ie_strmap_init(&c.imgs);
    ie_strmap_init(&c.names);
    if (!root) {
        rc = IE_EFORMAT;
        goto out;
    }
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    const cJSON *categories = cJSON_GetObjectItemCaseSensitive(root, "categories");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(images) || !cJSON_IsArray(anns)) {
        ie__annot_add_issue(
            r, file, 0, IE_ANNOT_PARSE_ERROR,
            "not a COCO file: expected an object with \"images\" and \"annotations\" "
            "arrays");
        rc = IE_EFORMAT;
        goto out;
    }
    coco_categories(&c, categories);
    coco_images(&c, images);
    coco_annotations(&c, anns, categories);
    if (doc->boxes.n > 1)
        qsort(doc->boxes.v, doc->boxes.n, sizeof(*doc->boxes.v), cmp_box_owner);
out:
    cJSON_Delete(root);
    for (size_t i = 0; i < c.n_cats; i++)
        free(c.cat_keys[i]);
    free(c.cat_keys);
    free(c.cat_cls);
    ie_strmap_release(&c.cats);
    ie_strmap_release(&c.imgs);
    ie_strmap_release(&c.names);
    return rc;
}

/* ---- COCO ---- */

/* Feeds the entries of one parsed COCO file. */
void ie__annot_coco_feed(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                         const char *file_split, struct coco_doc *doc, struct img_index *ix,
                         char **claimed_by)
{
    char q[QUOTE_MAX * 4 + 8];
    size_t bi = 0;
    size_t fsplit = SIZE_MAX;
    if (*file_split)
        fsplit = ie__annot_split_intern(st, file_split);
    for (size_t i = 0; i < doc->n; i++) {
        struct coco_entry *e = &doc->e[i];
        size_t start = bi;
        while (bi < doc->boxes.n && doc->boxes.v[bi].owner == i)
            bi++;
        if (e->skip || e->alias != i)
            continue;
        struct boxvec view = {doc->boxes.v ? &doc->boxes.v[start] : NULL, bi - start, bi - start};
        if (ix->n == 0) {
            char split[64];
            size_t sp = fsplit != SIZE_MAX
                            ? fsplit
                            : ie__annot_split_intern(
                                  st, ie__annot_path_split(e->file_name, split, sizeof(split)));
            ie__annot_acc_image(r, st, sp, &view, false, file, e->file_name);
            continue;
        }
        bool amb;
        size_t im = ie__annot_img_find(ix, e->file_name, false, fsplit, &amb);
        if (im == SIZE_MAX) {
            struct ie_buf b;
            ie_buf_init(&b);
            ie_buf_addf(&b, "%s (in %s)", e->file_name, file);
            ie__annot_add_orphan_annotation(r, b.data);
            ie_buf_release(&b);
            continue;
        }
        if (amb)
            ie__annot_add_issue(
                r, file, 0, IE_ANNOT_CONFLICT, "file_name '%s' fits several images; %s is used",
                ie__annot_quote(q, sizeof(q), e->file_name, strlen(e->file_name)), ix->rel[im]);
        if (ix->claimed[im]) {
            ie__annot_add_issue(r, file, 0, IE_ANNOT_CONFLICT,
                                "%s is already annotated by %s; this entry is not counted",
                                ix->rel[im], claimed_by[im]);
            continue;
        }
        ix->claimed[im] = 1;
        claimed_by[im] = ie_xstrdup(file);
        ie__annot_acc_image(r, st, fsplit != SIZE_MAX ? fsplit : ix->split[im], &view, false, file,
                            ix->rel[im]);
    }
}

int ie__annot_analyze_coco(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                           const struct walk *w, bool forced, struct ie_err *err)
{
    struct img_index ix;
    size_t n = 0;
    /* A file the user named (imgeda's --annotation-file) is read as named, wherever it is. */
    const char *given = st->opt.annotation_file;
    const char *base = given ? "" : root;
    char **files = NULL;
    char **claimed_by = NULL;
    int rc = 0;

    if (given) {
        files = ie_xcalloc(1, sizeof(*files));
        files[n++] = ie_xstrdup(given);
    } else {
        files = ie__annot_coco_find(root, &st->opt, false, &n);
    }
    memset(&ix, 0, sizeof(ix));
    if (n == 0 && forced) {
        rc = ie_err_set(err, IE_EINVAL,
                        "no COCO file in %s: no annotations/*.json with \"images\" and "
                        "\"annotations\"",
                        root);
        goto out;
    }
    /* COCO downloads hold instances_*, person_keypoints_* and captions_* for the same images:
     * the instances files are the detection annotations. */
    bool any_instances = false;
    for (size_t i = 0; i < n; i++)
        any_instances =
            any_instances || strncmp(ie__annot_base_name(files[i]), "instances", 9) == 0;
    ie__annot_img_index_build(&ix, st, w, NULL);
    r->image_files = ix.n;
    claimed_by = ie_xcalloc(ix.n + 1, sizeof(*claimed_by));
    if (ix.n == 0)
        ie__annot_note_annotation_only(r);
    for (size_t i = 0; i < n; i++) {
        char split[64], *data = NULL;
        size_t len;
        struct coco_doc doc = {0};
        if (any_instances && strncmp(ie__annot_base_name(files[i]), "instances", 9) != 0) {
            ie__annot_add_note(r, "%s skipped: the instances_* files hold the boxes", files[i]);
            continue;
        }
        r->annotation_files++;
        if (ie__annot_read_annotation(r, base, files[i], st->opt.max_json_bytes, &data, &len) < 0)
            continue;
        if (ie__annot_coco_parse(r, st, files[i], data, len, &doc) == 0) {
            ie__annot_coco_file_split(files[i], split, sizeof(split));
            ie__annot_coco_feed(r, st, files[i], split, &doc, &ix, claimed_by);
        }
        ie__annot_coco_doc_release(&doc);
        free(data);
    }
    ie__annot_feed_unclaimed(r, st, &ix, true);
out:
    if (claimed_by)
        ie__annot_free_strv(claimed_by, ix.n);
    ie__annot_img_index_release(&ix);
    ie__annot_free_strv(files, n);
    return rc;
}
