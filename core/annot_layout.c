/* The dataset on disk: directory walk, image index, split names, layout detection. */

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* ---- the dataset on disk ---- */

int ie__annot_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Non-hidden entries of dir: subdirectories (want_dirs) or regular files with extension ext
 * (any when NULL), sorted. Symlinks are followed. Returns NULL (and *n = 0) when dir cannot be
 * read. */
char **ie__annot_list_dir(const char *dir, bool want_dirs, const char *ext, size_t *n)
{
    char **v = NULL;
    size_t cap = 0;
    struct dirent *de;
    DIR *d = opendir(dir);
    *n = 0;
    if (!d)
        return NULL;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *full = ie__annot_join2(dir, de->d_name);
        bool keep = want_dirs ? ie__annot_is_dir(full)
                              : ie__annot_is_file(full) &&
                                    (!ext || strcasecmp(ie__annot_ext_of(de->d_name), ext) == 0);
        free(full);
        if (!keep)
            continue;
        ie_grow((void **)&v, &cap, *n + 1, sizeof(*v));
        v[(*n)++] = ie_xstrdup(de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), ie__annot_cmp_str);
    return v;
}

/* True when dir holds an image file at any depth (up to depth levels). Like imgeda's os.walk,
 * symlinked folders are not entered (which also keeps symlink loops from multiplying the walk)
 * and any non-folder with an image extension counts. */
static bool dir_has_image(const char *dir, int depth)
{
    struct dirent *de;
    bool found = false;
    if (depth <= 0)
        return false;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    while (!found && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *full = ie__annot_join2(dir, de->d_name);
        struct stat st;
        if (lstat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                found = dir_has_image(full, depth - 1);
            else
                found = ie__annot_is_image_name(de->d_name);
        }
        free(full);
    }
    closedir(d);
    return found;
}

void ie__annot_walk_release(struct walk *w)
{
    ie__annot_free_strv(w->images, w->n_images);
    ie__annot_free_strv(w->texts, w->n_texts);
    ie_strmap_release(&w->seen_dirs);
    ie__annot_free_strv(w->seen_keys, w->n_seen);
    memset(w, 0, sizeof(*w));
}

static int walk_dir(struct ie_annot_result *r, const struct ie_annot_options *o, const char *root,
                    const char *rel, int depth, struct walk *w, struct ie_err *err)
{
    char *dir = ie__annot_join2(root, rel);
    struct dirent *de;
    struct stat st;
    char key[64];
    int rc = 0;
    DIR *d = NULL;

    if (stat(dir, &st) < 0)
        goto out;
    snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    size_t dummy;
    if (ie_strmap_get(&w->seen_dirs, key, &dummy))
        goto out; /* a symlink loop or a second link to the same folder */
    ie_grow((void **)&w->seen_keys, &w->cap_seen, w->n_seen + 1, sizeof(*w->seen_keys));
    w->seen_keys[w->n_seen] = ie_xstrdup(key);
    ie_strmap_put(&w->seen_dirs, w->seen_keys[w->n_seen], 0);
    w->n_seen++;
    if (depth > o->max_depth) {
        if (!w->depth_noted)
            ie__annot_add_note(r, "folders deeper than %d levels were not looked into",
                               o->max_depth);
        w->depth_noted = true;
        goto out;
    }
    d = opendir(dir);
    if (!d) {
        if (*rel)
            ie__annot_add_note(r, "cannot read folder %s: %s", rel, strerror(errno));
        else
            rc = ie_err_set(err, IE_EIO, "cannot read %s: %s", root, strerror(errno));
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (++w->files > o->max_files) {
            rc = ie_err_set(err, IE_ELIMIT, "%s holds more than %zu files", root, o->max_files);
            goto out;
        }
        char *sub = ie__annot_join2(rel, de->d_name);
        char *full = ie__annot_join2(root, sub);
        bool isdir = false, isreg = false;
        if (stat(full, &st) == 0) {
            isdir = S_ISDIR(st.st_mode);
            isreg = S_ISREG(st.st_mode);
        }
        free(full);
        if (isdir) {
            rc = walk_dir(r, o, root, sub, depth + 1, w, err);
            free(sub);
            if (rc < 0)
                goto out;
        } else if (isreg && ie__annot_is_image_name(de->d_name)) {
            ie_grow((void **)&w->images, &w->cap_images, w->n_images + 1, sizeof(*w->images));
            w->images[w->n_images++] = sub;
        } else if (isreg && strcasecmp(ie__annot_ext_of(de->d_name), "txt") == 0) {
            ie_grow((void **)&w->texts, &w->cap_texts, w->n_texts + 1, sizeof(*w->texts));
            w->texts[w->n_texts++] = sub;
        } else {
            free(sub);
        }
    }
out:
    if (d)
        closedir(d);
    free(dir);
    return rc;
}

int ie__annot_walk_tree(struct ie_annot_result *r, const struct ie_annot_options *o,
                        const char *root, struct walk *w, struct ie_err *err)
{
    int rc = walk_dir(r, o, root, "", 0, w, err);
    if (rc < 0)
        return rc;
    if (w->n_images)
        qsort(w->images, w->n_images, sizeof(*w->images), ie__annot_cmp_str);
    if (w->n_texts)
        qsort(w->texts, w->n_texts, sizeof(*w->texts), ie__annot_cmp_str);
    return 0;
}

/* True when a component of rel (before the file name) equals name (case-insensitive when ci). */
bool ie__annot_has_component(const char *rel, const char *name, bool ci)
{
    size_t n = strlen(name);
    for (const char *p = rel;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            return false;
        if ((size_t)(slash - p) == n && (ci ? strncasecmp(p, name, n) : strncmp(p, name, n)) == 0)
            return true;
        p = slash + 1;
    }
}

/* The first folder component of rel that names a split ("" when none), written into out. */
const char *ie__annot_path_split(const char *rel, char *out, size_t outsz)
{
    out[0] = '\0';
    for (const char *p = rel;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        size_t n = (size_t)(slash - p);
        if (n < outsz) {
            memcpy(out, p, n);
            out[n] = '\0';
            if (ie__annot_is_split_name(out)) {
                for (char *c = out; *c; c++)
                    *c = (char)tolower((unsigned char)*c);
                return out;
            }
        }
        p = slash + 1;
    }
    out[0] = '\0';
    return out;
}

void ie__annot_img_index_release(struct img_index *ix)
{
    free(ix->rel);
    free(ix->split);
    free(ix->claimed);
    ie__annot_free_strv(ix->stems, ix->n);
    ie_strmap_release(&ix->by_rel);
    ie_strmap_release(&ix->by_base);
    ie_strmap_release(&ix->by_stem);
    free(ix->next_base);
    free(ix->next_stem);
    memset(ix, 0, sizeof(*ix));
}

/* Chains image i into map under key (first image keeps the map slot). */
static void chain_put(struct ie_strmap *m, size_t *next, const char *key, size_t i)
{
    size_t first;
    next[i] = SIZE_MAX;
    if (!ie_strmap_get(m, key, &first)) {
        ie_strmap_put(m, key, i);
        return;
    }
    while (next[first] != SIZE_MAX)
        first = next[first];
    next[first] = i;
}

/* Builds the index over the walk's images for which keep(rel) holds (all when NULL). */
void ie__annot_img_index_build(struct img_index *ix, struct ie_annot_state *st,
                               const struct walk *w, bool (*keep)(const char *rel))
{
    char split[64];
    memset(ix, 0, sizeof(*ix));
    ix->rel = ie_xcalloc(w->n_images + 1, sizeof(*ix->rel));
    for (size_t i = 0; i < w->n_images; i++)
        if (!keep || keep(w->images[i]))
            ix->rel[ix->n++] = w->images[i];
    ix->split = ie_xcalloc(ix->n + 1, sizeof(*ix->split));
    ix->claimed = ie_xcalloc(ix->n + 1, 1);
    ix->stems = ie_xcalloc(ix->n + 1, sizeof(*ix->stems));
    ix->next_base = ie_xcalloc(ix->n + 1, sizeof(*ix->next_base));
    ix->next_stem = ie_xcalloc(ix->n + 1, sizeof(*ix->next_stem));
    for (size_t i = 0; i < ix->n; i++) {
        ie_strmap_put(&ix->by_rel, ix->rel[i], i);
        chain_put(&ix->by_base, ix->next_base, ie__annot_base_name(ix->rel[i]), i);
        ix->stems[i] = ie__annot_strip_ext(ie__annot_base_name(ix->rel[i]));
        chain_put(&ix->by_stem, ix->next_stem, ix->stems[i], i);
        ix->split[i] =
            ie__annot_split_intern(st, ie__annot_path_split(ix->rel[i], split, sizeof(split)));
    }
}

/* The image an annotation names: by relative path, then by a path ending in name (when name has
 * folders), then by file name alone (stem alone when by_stem); among several, the one in split
 * `prefer` (SIZE_MAX: none). SIZE_MAX when none fits; *ambiguous when several fit equally. */
size_t ie__annot_img_find(const struct img_index *ix, const char *name, bool by_stem, size_t prefer,
                          bool *ambiguous)
{
    char *norm = ie_xstrdup(name);
    const char *p = norm;
    size_t i, found = SIZE_MAX, n_fit = 0, in_split = SIZE_MAX, n_in_split = 0;
    *ambiguous = false;
    for (char *c = norm; *c; c++)
        if (*c == '\\')
            *c = '/';
    while (strncmp(p, "./", 2) == 0)
        p += 2;
    while (*p == '/')
        p++;
    if (ie_strmap_get(&ix->by_rel, p, &i)) {
        free(norm);
        return i;
    }
    const struct ie_strmap *m = by_stem ? &ix->by_stem : &ix->by_base;
    const size_t *next = by_stem ? ix->next_stem : ix->next_base;
    bool has_dir = strchr(p, '/') != NULL;
    size_t plen = strlen(p);
    if (ie_strmap_get(m, ie__annot_base_name(p), &i)) {
        for (size_t j = i; j != SIZE_MAX; j = next[j]) {
            size_t rl = strlen(ix->rel[j]);
            if (has_dir && !by_stem && rl > plen && ix->rel[j][rl - plen - 1] == '/' &&
                strcmp(ix->rel[j] + rl - plen, p) == 0) {
                free(norm);
                return j;
            }
            if (found == SIZE_MAX)
                found = j;
            n_fit++;
            if (prefer != SIZE_MAX && ix->split[j] == prefer) {
                if (in_split == SIZE_MAX)
                    in_split = j;
                n_in_split++;
            }
        }
    }
    free(norm);
    if (n_in_split) {
        *ambiguous = n_in_split > 1;
        return in_split;
    }
    *ambiguous = n_fit > 1;
    return found;
}

/* Reads rel under root into *data, recording a PARSE_ERROR issue when it cannot be read. */
int ie__annot_read_annotation(struct ie_annot_result *r, const char *root, const char *rel,
                              size_t cap, char **data, size_t *len)
{
    struct ie_err e = {0};
    char *full = ie__annot_join2(root, rel);
    int rc = ie_read_file(full, cap, data, len, &e);
    free(full);
    if (rc < 0) {
        if (rc == IE_ELIMIT)
            ie__annot_add_issue(r, rel, 0, IE_ANNOT_PARSE_ERROR, "larger than the %zu-byte limit",
                                cap);
        else
            ie__annot_add_issue(r, rel, 0, IE_ANNOT_PARSE_ERROR, "cannot read: %s",
                                strerror(errno));
    }
    return rc;
}

/* Feeds the images of ix that no annotation claimed: unannotated, listed as orphans. */
void ie__annot_feed_unclaimed(struct ie_annot_result *r, struct ie_annot_state *st,
                              const struct img_index *ix, bool orphans)
{
    struct boxvec none = {0};
    for (size_t i = 0; i < ix->n; i++) {
        if (ix->claimed[i])
            continue;
        ie__annot_acc_image(r, st, ix->split[i], &none, false, ix->rel[i],
                            orphans ? ix->rel[i] : NULL);
        if (orphans)
            ie__annot_add_missing_annotation(r, ix->rel[i]);
    }
}

void ie__annot_note_annotation_only(struct ie_annot_result *r)
{
    ie__annot_add_note(
        r, "no image files found: statistics come from the annotations alone and orphans "
           "are not checked");
}

/* ---- detection ---- */

/* imgeda reads data.yaml with a line parser and takes YOLO when any "key: value" line is found
 * (an empty or comment-only file does not count). */
static bool yaml_has_keys(const char *path, size_t cap)
{
    char *data = NULL;
    size_t len;
    bool found = false;
    if (ie_read_file(path, cap, &data, &len, NULL) < 0)
        return ie__annot_is_file(
            path); /* too large to read: still a data.yaml, analysis reports it */
    for (const char *p = data; p < data + len && !found;) {
        const char *eol = memchr(p, '\n', (size_t)(data + len - p));
        const char *e = eol ? eol : data + len;
        while (p < e && ie__annot_is_ws(*p))
            p++;
        if (p < e && *p != '#' && memchr(p, ':', (size_t)(e - p)))
            found = true;
        p = eol ? eol + 1 : e;
    }
    free(data);
    return found;
}

/* Split name of a COCO file: its folder when that names a split, else (as imgeda) "train",
 * "val" or "test" found in its stem; "" when none. */
void ie__annot_coco_file_split(const char *rel, char *out, size_t outsz)
{
    ie__annot_path_split(rel, out, outsz);
    if (*out)
        return;
    char *stem = ie__annot_strip_ext(ie__annot_base_name(rel));
    for (char *c = stem; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    static const char *const names[] = {"trainval", "train", "val", "test"};
    for (size_t i = 0; i < IE_ARRAY_LEN(names); i++) {
        if (strstr(stem, names[i])) {
            snprintf(out, outsz, "%s", names[i]);
            break;
        }
    }
    free(stem);
}

/* COCO files: .json files with top-level "images" and "annotations" in annotations/ (imgeda), in
 * split folders (Roboflow) or in the root. With first_only, stops at the first. Returns the
 * relative paths (sorted per folder). */
char **ie__annot_coco_find(const char *root, const struct ie_annot_options *o, bool first_only,
                           size_t *n_out)
{
    char **out = NULL;
    size_t n = 0, cap = 0, n_sub = 0;
    char **subs = ie__annot_list_dir(root, true, NULL, &n_sub);
    /* Folders to look in, in order. */
    char **dirs = ie_xcalloc(n_sub + 2, sizeof(*dirs));
    size_t nd = 0;
    dirs[nd++] = ie_xstrdup("annotations");
    for (size_t i = 0; i < n_sub; i++)
        if (ie__annot_is_split_name(subs[i]))
            dirs[nd++] = ie_xstrdup(subs[i]);
    dirs[nd++] = ie_xstrdup("");
    ie__annot_free_strv(subs, n_sub);
    for (size_t d = 0; d < nd && !(first_only && n); d++) {
        char *full = ie__annot_join2(root, dirs[d]);
        size_t nf = 0;
        char **files = ie__annot_list_dir(full, false, "json", &nf);
        for (size_t i = 0; i < nf && !(first_only && n); i++) {
            char *rel = ie__annot_join2(dirs[d], files[i]);
            char *path = ie__annot_join2(root, rel);
            char *data = NULL, msg[128];
            size_t len;
            struct json_keys k = {0};
            bool is_coco = false;
            int rc = ie_read_file(path, o->max_json_bytes, &data, &len, NULL);
            if (rc == IE_ELIMIT) {
                /* Too large to check: in annotations/ it is taken as COCO so that the
                 * analysis says why it cannot read it. */
                is_coco = d == 0;
            } else if (rc == 0) {
                const char *p = data;
                if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                    p += 3, len -= 3;
                (void)ie__annot_json_prescan(p, len, o->max_depth, o->max_json_values, &k, msg,
                                             sizeof(msg));
                is_coco = k.object && k.images && k.annotations;
            }
            free(data);
            free(path);
            if (is_coco) {
                ie_grow((void **)&out, &cap, n + 1, sizeof(*out));
                out[n++] = rel;
            } else {
                free(rel);
            }
        }
        ie__annot_free_strv(files, nf);
        free(full);
    }
    ie__annot_free_strv(dirs, nd);
    *n_out = n;
    return out;
}

/* Classification layout: split folders holding class folders (beyond imgeda), or imgeda's rule:
 * no labels/annotations folders, at least 3 folders, at least half of them with images. */
bool ie__annot_detect_classification(const char *root, int max_depth, bool *with_splits)
{
    static const char *const ann_dirs[] = {"labels", "annotations", "Annotations"};
    size_t n = 0;
    char **subs;
    bool yes = false;
    *with_splits = false;
    for (size_t i = 0; i < IE_ARRAY_LEN(ann_dirs); i++) {
        char *p = ie__annot_join2(root, ann_dirs[i]);
        bool d = ie__annot_is_dir(p);
        free(p);
        if (d)
            return false;
    }
    subs = ie__annot_list_dir(root, true, NULL, &n);
    bool all_splits = n > 0;
    for (size_t i = 0; i < n; i++)
        all_splits = all_splits && ie__annot_is_split_name(subs[i]);
    if (all_splits) {
        struct ie_strmap classes;
        ie_strmap_init(&classes);
        char **names = NULL;
        size_t n_names = 0, cap_names = 0;
        for (size_t i = 0; i < n; i++) {
            char *sd = ie__annot_join2(root, subs[i]);
            size_t nc = 0;
            char **cls = ie__annot_list_dir(sd, true, NULL, &nc);
            for (size_t j = 0; j < nc; j++) {
                char *cd = ie__annot_join2(sd, cls[j]);
                size_t dummy;
                if (dir_has_image(cd, max_depth) && !ie_strmap_get(&classes, cls[j], &dummy)) {
                    ie_grow((void **)&names, &cap_names, n_names + 1, sizeof(*names));
                    names[n_names] = ie_xstrdup(cls[j]);
                    ie_strmap_put(&classes, names[n_names], 0);
                    n_names++;
                }
                free(cd);
            }
            ie__annot_free_strv(cls, nc);
            free(sd);
        }
        yes = n_names >= 2;
        *with_splits = yes;
        ie_strmap_release(&classes);
        ie__annot_free_strv(names, n_names);
    }
    if (!yes && n >= 3) {
        size_t with = 0;
        for (size_t i = 0; i < n; i++) {
            char *p = ie__annot_join2(root, subs[i]);
            with += dir_has_image(p, max_depth);
            free(p);
        }
        yes = (double)with >= (double)n * 0.5;
    }
    ie__annot_free_strv(subs, n);
    return yes;
}

static bool voc_has_xml(const char *root)
{
    char *dir = ie__annot_join2(root, "Annotations");
    size_t n = 0;
    char **xml = ie__annot_list_dir(dir, false, "xml", &n);
    ie__annot_free_strv(xml, n);
    free(dir);
    return n > 0;
}

int ie__annot_check_root(const char *root, struct ie_err *err)
{
    struct stat st;
    if (stat(root, &st) < 0)
        return ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open %s: %s", root,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ie_err_set(err, IE_EINVAL, "%s is not a directory", root);
    return 0;
}

int ie__annot_detect_layout(const char *root, const struct ie_annot_options *o,
                            enum ie_annot_format *out, bool *cls_splits, struct ie_err *err)
{
    int rc = ie__annot_check_root(root, err);
    if (rc < 0)
        return rc;
    *cls_splits = false;
    char *yaml = ie__annot_join2(root, "data.yaml");
    bool yolo = ie__annot_is_file(yaml) && yaml_has_keys(yaml, o->max_text_bytes);
    free(yaml);
    if (yolo) {
        *out = IE_ANNOT_YOLO;
        return 0;
    }
    size_t n = 0;
    char **coco = ie__annot_coco_find(root, o, true, &n);
    ie__annot_free_strv(coco, n);
    if (n) {
        *out = IE_ANNOT_COCO;
        return 0;
    }
    if (voc_has_xml(root)) {
        *out = IE_ANNOT_VOC;
        return 0;
    }
    *out = ie__annot_detect_classification(root, o->max_depth, cls_splits) ? IE_ANNOT_CLASSIFICATION
                                                                           : IE_ANNOT_FLAT;
    return 0;
}

int ie_annot_detect(const char *root, enum ie_annot_format *out, struct ie_err *err)
{
    struct ie_annot_options o;
    bool splits;
    ie_annot_options_init(&o);
    return ie__annot_detect_layout(root, &o, out, &splits, err);
}
