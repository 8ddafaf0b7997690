/* YOLO: label files, data.yaml (through core/yaml.c) and classes.txt class names, and the
 * dataset walk. */

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"
#include "imgeda/yaml.h"

/* ---- YOLO label files ---- */

/* Class index for a YOLO class id, reporting ids that data.yaml does not declare. */
static size_t yolo_class(struct ie_annot_result *r, struct ie_annot_state *st, long id,
                         const char *file, uint32_t line)
{
    if ((size_t)id < st->yolo_n && st->yolo_cls[id] != SIZE_MAX)
        return st->yolo_cls[id];
    char name[32];
    snprintf(name, sizeof(name), "%ld", id);
    if (st->yolo_declared)
        ie__annot_add_issue(r, file, line, IE_ANNOT_UNKNOWN_CLASS,
                            "class id %ld is not declared in data.yaml", id);
    return ie__annot_class_intern(st, name, false);
}

/* Parses one YOLO label file into bv: "class xc yc w h" per line (normalised), a polygon
 * "class x1 y1 x2 y2 ..." (segmentation), or a box followed by keypoints when data.yaml has
 * kpt_shape. Bad lines become issues and are skipped. */
void ie__annot_yolo_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                          const char *data, size_t len, struct boxvec *bv)
{
    char q[QUOTE_MAX * 4 + 8];
    const char *p = data, *end = data + len;
    uint32_t line = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        line++;
        /* Tokenise in place: (start, length) pairs, counted first. */
        size_t ntok = 0;
        const char *t0 = NULL, *t1 = NULL;
        size_t l0 = 0;
        for (const char *s = p; s < le;) {
            while (s < le && ie__annot_is_ws(*s))
                s++;
            if (s >= le)
                break;
            const char *e = s;
            while (e < le && !ie__annot_is_ws(*e))
                e++;
            if (ntok == 0) {
                t0 = s;
                l0 = (size_t)(e - s);
            } else if (ntok == 1) {
                t1 = s;
            }
            ntok++;
            s = e;
        }
        const char *next = eol ? eol + 1 : end;
        if (ntok == 0) {
            p = next;
            continue;
        }
        long cid;
        if (ntok < 5) {
            ie__annot_add_issue(r, file, line, IE_ANNOT_MALFORMED,
                                "expected 5 values (class x_center y_center width height), got %zu",
                                ntok);
            p = next;
            continue;
        }
        if (!ie__annot_parse_class_id(t0, l0, &cid)) {
            ie__annot_add_issue(r, file, line, IE_ANNOT_MALFORMED,
                                "class id '%s' is not a non-negative integer",
                                ie__annot_quote(q, sizeof(q), t0, l0));
            p = next;
            continue;
        }
        bool polygon = !st->yolo_kpt && ntok >= 7 && (ntok - 1) % 2 == 0;
        size_t nvals = polygon ? ntok - 1 : 4;
        double v4[4] = {0}, minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
        bool bad = false;
        const char *s = t1;
        for (size_t i = 0; i < nvals; i++) {
            while (s < le && ie__annot_is_ws(*s))
                s++;
            const char *e = s;
            while (e < le && !ie__annot_is_ws(*e))
                e++;
            double v;
            if (!ie__annot_parse_double(s, (size_t)(e - s), &v)) {
                ie__annot_add_issue(r, file, line, IE_ANNOT_MALFORMED,
                                    "'%s' is not a finite number",
                                    ie__annot_quote(q, sizeof(q), s, (size_t)(e - s)));
                bad = true;
                break;
            }
            if (polygon) {
                if (i % 2 == 0) {
                    minx = fmin(minx, v);
                    maxx = fmax(maxx, v);
                } else {
                    miny = fmin(miny, v);
                    maxy = fmax(maxy, v);
                }
            } else {
                v4[i] = v;
            }
            s = e;
        }
        p = next;
        if (bad)
            continue;
        struct box *b = ie__annot_boxvec_push(bv);
        b->line = line;
        b->cls = yolo_class(r, st, cid, file, line);
        double x0, y0, x1, y1;
        if (polygon) {
            x0 = minx, y0 = miny, x1 = maxx, y1 = maxy;
            v4[0] = (minx + maxx) / 2;
            v4[1] = (miny + maxy) / 2;
            v4[2] = maxx - minx;
            v4[3] = maxy - miny;
        } else {
            x0 = v4[0] - v4[2] / 2, x1 = v4[0] + v4[2] / 2;
            y0 = v4[1] - v4[3] / 2, y1 = v4[1] + v4[3] / 2;
        }
        memcpy(b->raw, v4, sizeof(v4));
        b->sized = true;
        b->nw = v4[2];
        b->nh = v4[3];
        b->area = v4[2] * v4[3];
        if (v4[2] <= 0 || v4[3] <= 0)
            ie__annot_add_issue(r, file, line, IE_ANNOT_ZERO_SIZE,
                                "box has zero or negative size (width %.6g, height %.6g)", v4[2],
                                v4[3]);
        else if (x0 < -EPS_NORM || y0 < -EPS_NORM || x1 > 1 + EPS_NORM || y1 > 1 + EPS_NORM)
            ie__annot_add_issue(r, file, line, IE_ANNOT_OUT_OF_BOUNDS,
                                "box [%.6g, %.6g, %.6g, %.6g] (x1 y1 x2 y2) reaches outside [0, 1]",
                                x0, y0, x1, y1);
    }
}

/* ---- data.yaml ---- */

struct yolo_split_dir {
    char *split; /* "train", "val", "test" */
    char *rel;   /* directory relative to the root, "" for the root itself */
};

struct yolo_config {
    struct yolo_split_dir *dirs;
    size_t n_dirs, cap_dirs;
    /* raw split values (relative to the yaml), resolved by the caller against the disk */
    char **split_vals;
    char **split_keys;
    uint32_t *split_lines;
    size_t n_vals;
    char *path; /* the "path" key, or NULL */
};

/* Declares YOLO class id -> name. */
static void yolo_declare(struct ie_annot_state *st, size_t id, const char *name)
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

static void yolo_config_release(struct yolo_config *c)
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

/* Reads data.yaml through the YAML reader: the first document only, depth and node counts
 * capped, aliases kept as alias nodes that the readers below take for null. A failed parse
 * becomes a PARSE_ERROR issue (with the line only). Returns the root, possibly NULL for an empty
 * file, or IE_EFORMAT through *rc. */
static const struct ie_yaml_node *data_yaml_read(struct ie_annot_result *r,
                                                 struct ie_annot_state *st, const char *file,
                                                 const char *text, size_t len, struct ie_yaml *y,
                                                 int *rc)
{
    struct ie_yaml_options o = {.max_depth = IE_MIN(st->opt.max_depth, MAX_YAML_DEPTH),
                                .max_nodes = MAX_YAML_NODES,
                                .first_document_only = true};
    const struct ie_yaml_error *e = &y->error;
    *rc = 0;
    if (ie_yaml_parse(y, file, text, len, &o, NULL) == 0)
        return ie_yaml_root(y);
    if (e->kind == IE_YAML_TOO_DEEP)
        ie__annot_add_issue(r, file, (uint32_t)e->line, IE_ANNOT_PARSE_ERROR,
                            "YAML nested deeper than %d levels", o.max_depth);
    else if (e->kind == IE_YAML_TOO_MANY_NODES)
        ie__annot_add_issue(r, file, (uint32_t)e->line, IE_ANNOT_PARSE_ERROR,
                            "more than %d YAML nodes", MAX_YAML_NODES);
    else
        ie__annot_add_issue(r, file, (uint32_t)e->line, IE_ANNOT_PARSE_ERROR,
                            "YAML syntax error: %s", *e->problem ? e->problem : "unknown");
    *rc = IE_EFORMAT;
    return NULL;
}

/* Declares the classes of data.yaml's names: a list, or a mapping id -> name. Returns how many
 * names it declared. */
static size_t data_yaml_names(struct ie_annot_result *r, struct ie_annot_state *st,
                              const char *file, const struct ie_yaml_node *names)
{
    char msg[32], q[QUOTE_MAX * 4 + 8];
    size_t n_names = 0;
    if (names->kind == IE_YAML_SEQ) {
        for (size_t i = 0; i < names->n; i++) {
            const struct ie_yaml_node *k = names->kids[i];
            if (k->kind != IE_YAML_SCALAR) {
                ie__annot_add_issue(r, file, (uint32_t)k->line, IE_ANNOT_CONFIG,
                                    "names[%zu] is not a string", i);
                snprintf(msg, sizeof(msg), "%zu", i);
                yolo_declare(st, i, msg);
            } else {
                yolo_declare(st, i, k->value);
            }
        }
        return names->n;
    }
    for (size_t i = 0; i + 1 < names->n; i += 2) {
        const struct ie_yaml_node *k = names->kids[i], *v = names->kids[i + 1];
        long id;
        if (k->kind != IE_YAML_SCALAR ||
            !ie__annot_parse_class_id(k->value, strlen(k->value), &id) || id > MAX_YOLO_CLASS_ID) {
            ie__annot_add_issue(r, file, (uint32_t)k->line, IE_ANNOT_CONFIG,
                                "names key '%s' is not a class id",
                                k->kind == IE_YAML_SCALAR
                                    ? ie__annot_quote(q, sizeof(q), k->value, strlen(k->value))
                                    : "?");
            continue;
        }
        if (v->kind != IE_YAML_SCALAR) {
            ie__annot_add_issue(r, file, (uint32_t)v->line, IE_ANNOT_CONFIG,
                                "name of class %ld is not a string", id);
            continue;
        }
        yolo_declare(st, (size_t)id, v->value);
        n_names++;
    }
    return n_names;
}

/* The split entries (train, val, test: a path or a list of paths) and "path". */
static void data_yaml_splits(const struct ie_yaml_node *y, struct yolo_config *cfg)
{
    const struct ie_yaml_node *path = ie_yaml_map_get(y, "path");
    if (path && path->kind == IE_YAML_SCALAR && *path->value)
        cfg->path = ie_xstrdup(path->value);
    static const char *const keys[] = {"train", "val", "test"};
    for (size_t k = 0; k < IE_ARRAY_LEN(keys); k++) {
        const struct ie_yaml_node *v = ie_yaml_map_get(y, keys[k]);
        if (!v)
            continue;
        if (v->kind == IE_YAML_SCALAR && *v->value) {
            yolo_config_add_val(cfg, keys[k], v->value, (uint32_t)v->line);
        } else if (v->kind == IE_YAML_SEQ) {
            for (size_t i = 0; i < v->n; i++)
                if (v->kids[i]->kind == IE_YAML_SCALAR && *v->kids[i]->value)
                    yolo_config_add_val(cfg, keys[k], v->kids[i]->value,
                                        (uint32_t)v->kids[i]->line);
        }
    }
}

/* Reads data.yaml: class names (a list, or a mapping id -> name), nc, kpt_shape and the split
 * entries. Problems become CONFIG issues against `file`; cfg may be NULL. Returns 0, or
 * IE_EFORMAT when the file is not YAML at all. */
int ie__annot_yolo_load_yaml(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                             const char *text, size_t len, struct yolo_config *cfg)
{
    char msg[32];
    struct ie_yaml doc;
    int rc;
    ie_yaml_init(&doc);
    const struct ie_yaml_node *y = data_yaml_read(r, st, file, text, len, &doc, &rc);
    if (rc < 0)
        goto out;
    if (!y || y->kind != IE_YAML_MAP) {
        ie__annot_add_issue(r, file, y ? (uint32_t)y->line : 1, IE_ANNOT_CONFIG,
                            "data.yaml is not a mapping of keys");
        goto out;
    }
    const struct ie_yaml_node *names = ie_yaml_map_get(y, "names");
    const struct ie_yaml_node *nc = ie_yaml_map_get(y, "nc");
    long ncv = -1;
    size_t n_names = 0;
    if (nc) {
        if (nc->kind != IE_YAML_SCALAR ||
            !ie__annot_parse_class_id(nc->value, strlen(nc->value), &ncv) ||
            ncv > MAX_YOLO_CLASS_ID) {
            ie__annot_add_issue(r, file, (uint32_t)nc->line, IE_ANNOT_CONFIG,
                                "nc is not a class count");
            ncv = -1;
        }
    }
    if (names && (names->kind == IE_YAML_SEQ || names->kind == IE_YAML_MAP)) {
        n_names = data_yaml_names(r, st, file, names);
        st->yolo_declared = true;
    } else if (names && names->kind != IE_YAML_ALIAS) {
        ie__annot_add_issue(r, file, (uint32_t)names->line, IE_ANNOT_CONFIG,
                            "names is neither a list nor a mapping of class names");
    }
    if (ncv >= 0) {
        if (st->yolo_declared && (size_t)ncv != n_names) {
            ie__annot_add_issue(r, file, (uint32_t)nc->line, IE_ANNOT_CONFIG,
                                "nc is %ld but names lists %zu classes", ncv, n_names);
        } else if (!st->yolo_declared) {
            /* Only a count: ids 0..nc-1 are valid and named by their number, as imgeda does. */
            for (long i = 0; i < ncv; i++) {
                snprintf(msg, sizeof(msg), "%ld", i);
                yolo_declare(st, (size_t)i, msg);
            }
            st->yolo_declared = true;
        }
    }
    if (!names && ncv < 0)
        ie__annot_add_issue(
            r, file, (uint32_t)y->line, IE_ANNOT_CONFIG,
            "data.yaml declares no classes (names or nc): class ids are not checked");
    st->yolo_kpt = ie_yaml_map_get(y, "kpt_shape") != NULL;
    if (cfg)
        data_yaml_splits(y, cfg);
out:
    ie_yaml_release(&doc);
    return rc;
}

/* ---- the YOLO dataset ---- */

/* Lexically normalised relative path ("a/./b/../c" -> "a/c"), or NULL when it is absolute or
 * climbs out of the root. */
static char *norm_rel(const char *p)
{
    if (*p == '/')
        return NULL;
    char *copy = ie_xstrdup(p), *save = NULL;
    char **parts = NULL;
    size_t n = 0, cap = 0;
    bool bad = false;
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, ".") == 0)
            continue;
        if (strcmp(t, "..") == 0) {
            if (n == 0) {
                bad = true;
                break;
            }
            n--;
            continue;
        }
        ie_grow((void **)&parts, &cap, n + 1, sizeof(*parts));
        parts[n++] = t;
    }
    char *res = NULL;
    if (!bad) {
        struct ie_buf b;
        ie_buf_init(&b);
        ie_buf_adds(&b, "");
        for (size_t i = 0; i < n; i++) {
            if (i)
                ie_buf_addc(&b, '/');
            ie_buf_adds(&b, parts[i]);
        }
        res = ie_buf_detach(&b);
    }
    free(parts);
    free(copy);
    return res;
}

/* Finds the folder a data.yaml split entry means: joined to "path" when that is relative, else
 * the entry itself or its longest tail that exists under the root (so "../train/images" and
 * absolute paths from another machine resolve). NULL when none exists. */
static char *yolo_resolve_dir(const char *root, const char *path, const char *val)
{
    char *cand = NULL;
    if (path && *path != '/') {
        char *j = ie__annot_join2(path, val);
        cand = norm_rel(j);
        free(j);
        if (cand) {
            char *full = ie__annot_join2(root, cand);
            bool ok = ie__annot_is_dir(full);
            free(full);
            if (ok)
                return cand;
            free(cand);
        }
    }
    for (const char *p = val; p;) {
        while (*p == '/')
            p++;
        cand = norm_rel(p);
        if (cand) {
            char *full = ie__annot_join2(root, cand);
            bool ok = ie__annot_is_dir(full);
            free(full);
            if (ok)
                return cand;
            free(cand);
        }
        p = strchr(p, '/');
    }
    return NULL;
}

/* Label file candidates for an image: the last "images" folder replaced by "labels" (the
 * Ultralytics rule), then a .txt next to the image. */
static void yolo_label_paths(const char *img, char **a, char **b)
{
    char *stem = ie__annot_strip_ext(img);
    *a = NULL;
    const char *last = NULL;
    for (const char *p = stem; (p = strstr(p, "images/")) != NULL; p++)
        if (p == stem || p[-1] == '/')
            last = p;
    if (last) {
        struct ie_buf buf;
        ie_buf_init(&buf);
        ie_buf_add(&buf, stem, (size_t)(last - stem));
        ie_buf_adds(&buf, "labels/");
        ie_buf_adds(&buf, last + 7);
        ie_buf_adds(&buf, ".txt");
        *a = ie_buf_detach(&buf);
    }
    struct ie_buf buf;
    ie_buf_init(&buf);
    ie_buf_adds(&buf, stem);
    ie_buf_adds(&buf, ".txt");
    *b = ie_buf_detach(&buf);
    free(stem);
}

static bool is_classes_txt(const char *rel)
{
    return strcmp(ie__annot_base_name(rel), "classes.txt") == 0;
}

/* Darknet's classes.txt (one name per line) declares the classes when data.yaml does not. */
static void yolo_classes_txt(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                             const struct walk *w)
{
    for (size_t i = 0; i < w->n_texts && !st->yolo_declared; i++) {
        const char *rel = w->texts[i];
        if (!is_classes_txt(rel) ||
            (strchr(rel, '/') && !ie__annot_has_component(rel, "labels", false)))
            continue;
        char *data = NULL;
        size_t len, id = 0;
        if (ie__annot_read_annotation(r, root, rel, r->state->opt.max_text_bytes, &data, &len) < 0)
            continue;
        for (char *p = data; p < data + len;) {
            char *eol = memchr(p, '\n', (size_t)(data + len - p));
            char *e = eol ? eol : data + len;
            char *s = p;
            while (s < e && ie__annot_is_ws(*s))
                s++;
            while (e > s && ie__annot_is_ws(e[-1]))
                e--;
            if (e > s && id < MAX_YOLO_CLASS_ID) {
                char *name = ie_xstrndup(s, (size_t)(e - s));
                yolo_declare(st, id++, name);
                free(name);
            }
            p = eol ? eol + 1 : data + len;
        }
        free(data);
        st->yolo_declared = id > 0;
        if (id)
            ie__annot_add_note(r, "classes declared by %s", rel);
    }
}

/* Reads and parses label file rel; counts it as image `image` unless that is NULL (an orphan
 * label is parsed for its issues only). */
static void yolo_feed_label(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                            const char *rel, size_t split, const char *image)
{
    char *data = NULL;
    size_t len;
    struct boxvec bv = {0};
    r->annotation_files++;
    if (ie__annot_read_annotation(r, root, rel, st->opt.max_text_bytes, &data, &len) == 0)
        ie__annot_yolo_parse(r, st, rel, data, len, &bv);
    if (image)
        ie__annot_acc_image(r, st, split, &bv, false, rel, image);
    free(bv.v);
    free(data);
}

/* Pairs label files found under the root with the images of ix: the Ultralytics path, else a
 * .txt next to the image. Label files under a labels/ folder without an image are orphans
 * (parsed for their issues), or the whole dataset when there are no image files. */
static void yolo_pair_walk(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                           const struct walk *w, struct img_index *ix)
{
    struct ie_strmap labels;
    unsigned char *claimed = ie_xcalloc(w->n_texts + 1, 1);
    ie_strmap_init(&labels);
    for (size_t i = 0; i < w->n_texts; i++)
        ie_strmap_put(&labels, w->texts[i], i);
    for (size_t i = 0; i < ix->n; i++) {
        char *a, *b;
        size_t li = SIZE_MAX, tmp;
        yolo_label_paths(ix->rel[i], &a, &b);
        if (a && ie_strmap_get(&labels, a, &tmp))
            li = tmp;
        else if (ie_strmap_get(&labels, b, &tmp) && !is_classes_txt(b))
            li = tmp;
        free(a);
        free(b);
        if (li == SIZE_MAX)
            continue;
        if (claimed[li])
            ie__annot_add_issue(r, w->texts[li], 0, IE_ANNOT_CONFLICT,
                                "label file used by more than one image (also %s)", ix->rel[i]);
        claimed[li] = 1;
        ix->claimed[i] = 1;
        yolo_feed_label(r, st, root, w->texts[li], ix->split[i], ix->rel[i]);
    }
    for (size_t i = 0; i < w->n_texts; i++) {
        const char *rel = w->texts[i];
        char split[64];
        if (claimed[i] || !ie__annot_has_component(rel, "labels", false) || is_classes_txt(rel))
            continue;
        if (ix->n)
            ie__annot_add_orphan_annotation(r, rel);
        yolo_feed_label(r, st, root, rel,
                        ie__annot_split_intern(st, ie__annot_path_split(rel, split, sizeof(split))),
                        ix->n == 0 ? rel : NULL);
    }
    free(claimed);
    ie_strmap_release(&labels);
}

/* imgeda's --labels DIR: DIR's own .txt files (not its subfolders, as imgeda's glob), each the
 * labels of the images with its file stem, wherever they are under the root. Label files are
 * named by their path as given (DIR/a.txt); the unpaired ones are orphans, as above. */
static void yolo_pair_dir(struct ie_annot_result *r, struct ie_annot_state *st,
                          struct img_index *ix, const char *dir)
{
    size_t nf = 0, li;
    char **files = ie__annot_list_dir(dir, false, "txt", &nf);
    char **full = ie_xcalloc(nf + 1, sizeof(*full));
    char **stem_of = ie_xcalloc(nf + 1, sizeof(*stem_of)); /* the map's keys */
    unsigned char *claimed = ie_xcalloc(nf + 1, 1);
    struct ie_strmap stems;
    ie_strmap_init(&stems);
    for (size_t i = 0; i < nf; i++) {
        full[i] = ie__annot_join2(dir, files[i]);
        stem_of[i] = ie__annot_strip_ext(files[i]);
        claimed[i] = is_classes_txt(files[i]);
        if (!claimed[i])
            ie_strmap_put(&stems, stem_of[i], i);
    }
    for (size_t i = 0; i < ix->n; i++) {
        char *stem = ie__annot_strip_ext(ie__annot_base_name(ix->rel[i]));
        bool found = ie_strmap_get(&stems, stem, &li);
        free(stem);
        if (!found)
            continue;
        if (claimed[li])
            ie__annot_add_issue(r, full[li], 0, IE_ANNOT_CONFLICT,
                                "label file used by more than one image (also %s)", ix->rel[i]);
        claimed[li] = 1;
        ix->claimed[i] = 1;
        yolo_feed_label(r, st, "", full[li], ix->split[i], ix->rel[i]);
    }
    for (size_t i = 0; i < nf; i++) {
        char split[64];
        if (claimed[i])
            continue;
        if (ix->n)
            ie__annot_add_orphan_annotation(r, full[i]);
        yolo_feed_label(
            r, st, "", full[i],
            ie__annot_split_intern(st, ie__annot_path_split(full[i], split, sizeof(split))),
            ix->n == 0 ? full[i] : NULL);
    }
    ie__annot_free_strv(files, nf);
    ie__annot_free_strv(full, nf);
    ie_strmap_release(&stems);
    ie__annot_free_strv(stem_of, nf);
    free(claimed);
}

int ie__annot_analyze_yolo(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                           const struct walk *w, bool forced, struct ie_err *err)
{
    struct yolo_config cfg = {0};
    struct img_index ix;
    char *yaml = ie__annot_join2(root, "data.yaml");
    bool has_yaml = ie__annot_is_file(yaml);
    int rc = 0;

    memset(&ix, 0, sizeof(ix));
    if (has_yaml) {
        char *data = NULL;
        size_t len;
        if (ie__annot_read_annotation(r, root, "data.yaml", st->opt.max_text_bytes, &data, &len) ==
            0)
            ie__annot_yolo_load_yaml(r, st, "data.yaml", data, len, &cfg);
        free(data);
    }
    if (!st->yolo_declared)
        yolo_classes_txt(r, st, root, w);
    for (size_t i = 0; i < cfg.n_vals; i++) {
        const char *v = cfg.split_vals[i];
        char q[QUOTE_MAX * 4 + 8];
        if (ie__annot_has_suffix_ci(v, ".txt")) {
            ie__annot_add_note(
                r, "data.yaml %s: image list files are not read; splits come from folders",
                cfg.split_keys[i]);
            continue;
        }
        char *dir = yolo_resolve_dir(root, cfg.path, v);
        if (!dir) {
            ie__annot_add_issue(r, "data.yaml", cfg.split_lines[i], IE_ANNOT_CONFIG,
                                "%s: '%s' is not a folder under the dataset root",
                                cfg.split_keys[i], ie__annot_quote(q, sizeof(q), v, strlen(v)));
            continue;
        }
        ie_grow((void **)&cfg.dirs, &cfg.cap_dirs, cfg.n_dirs + 1, sizeof(*cfg.dirs));
        cfg.dirs[cfg.n_dirs].split = ie_xstrdup(cfg.split_keys[i]);
        cfg.dirs[cfg.n_dirs].rel = dir;
        cfg.n_dirs++;
    }

    ie__annot_img_index_build(&ix, st, w, NULL);
    r->image_files = ix.n;
    /* data.yaml's folders name the split of the images under them (longest folder wins). */
    for (size_t i = 0; i < ix.n && cfg.n_dirs; i++) {
        size_t best = SIZE_MAX, best_len = 0;
        for (size_t d = 0; d < cfg.n_dirs; d++) {
            size_t l = strlen(cfg.dirs[d].rel);
            if ((l == 0 || (strncmp(ix.rel[i], cfg.dirs[d].rel, l) == 0 && ix.rel[i][l] == '/')) &&
                (best == SIZE_MAX || l > best_len)) {
                best = d;
                best_len = l;
            }
        }
        if (best != SIZE_MAX)
            ix.split[i] = ie__annot_split_intern(st, cfg.dirs[best].split);
    }
    if (ix.n == 0)
        ie__annot_note_annotation_only(r);
    if (st->opt.label_dir)
        yolo_pair_dir(r, st, &ix, st->opt.label_dir);
    else
        yolo_pair_walk(r, st, root, w, &ix);
    ie__annot_feed_unclaimed(r, st, &ix, true);
    if (r->annotation_files == 0 && st->opt.label_dir) {
        rc = ie_err_set(err, IE_EINVAL, "no label files (*.txt) in %s", st->opt.label_dir);
        goto out;
    }
    if (r->annotation_files == 0 && forced && !has_yaml) {
        rc = ie_err_set(err, IE_EINVAL,
                        "no YOLO dataset in %s: no data.yaml and no label files (labels/*.txt "
                        "or a .txt next to each image)",
                        root);
        goto out;
    }
    if (r->annotation_files == 0)
        ie__annot_add_note(r, "no label files found (labels/*.txt next to images/)");
out:
    free(yaml);
    ie__annot_img_index_release(&ix);
    yolo_config_release(&cfg);
    return rc;
}

/* The boxes of one image (its path relative to root) of a YOLO dataset, for a viewer: classes
 * from data.yaml or classes.txt, the label file found by the analysis's rule. No label file
 * leaves bv empty. */
void ie__annot_yolo_image_boxes(struct ie_annot_result *r, struct ie_annot_state *st,
                                const char *root, const char *image, struct boxvec *bv)
{
    char *yaml = ie__annot_join2(root, "data.yaml");
    char *data = NULL, *a, *b;
    size_t len;
    if (ie__annot_is_file(yaml) &&
        ie__annot_read_annotation(r, root, "data.yaml", st->opt.max_text_bytes, &data, &len) == 0)
        ie__annot_yolo_load_yaml(r, st, "data.yaml", data, len, NULL);
    free(data);
    free(yaml);
    if (!st->yolo_declared) {
        char top[] = "classes.txt", in_labels[] = "labels/classes.txt";
        char *names[] = {top, in_labels};
        struct walk w;
        memset(&w, 0, sizeof(w));
        w.texts = names;
        w.n_texts = IE_ARRAY_LEN(names);
        yolo_classes_txt(r, st, root, &w);
    }
    yolo_label_paths(image, &a, &b);
    const char *pick = NULL;
    char *pa = a ? ie__annot_join2(root, a) : NULL, *pb = ie__annot_join2(root, b);
    if (pa && ie__annot_is_file(pa))
        pick = a;
    else if (ie__annot_is_file(pb) && !is_classes_txt(b))
        pick = b;
    data = NULL;
    if (pick && ie__annot_read_annotation(r, root, pick, st->opt.max_text_bytes, &data, &len) == 0)
        ie__annot_yolo_parse(r, st, pick, data, len, bv);
    free(data);
    free(pa);
    free(pb);
    free(a);
    free(b);
}
