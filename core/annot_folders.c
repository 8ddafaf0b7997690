/* The dataset on disk: the directory walk, the index of image files that annotation entries are
 * matched to, and the two layouts without annotation files (class folders, flat). */

#include <dirent.h>

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* ---- the walk ---- */

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

/* ---- image files and the annotation files next to them ---- */

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

const char *ie_annot_path_split(const char *rel, char *out, size_t outsz)
{
    return ie__annot_path_split(rel, out, outsz);
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

/* ---- classification and flat ---- */

int ie__annot_analyze_classification(struct ie_annot_result *r, struct ie_annot_state *st,
                                     const char *root, const struct walk *w, bool with_splits,
                                     bool forced, struct ie_err *err)
{
    size_t n_sub = 0;
    char **subs = ie__annot_list_dir(root, true, NULL, &n_sub);
    int rc = 0;
    if (forced && n_sub == 0) {
        rc = ie_err_set(err, IE_EINVAL, "no class folders in %s", root);
        goto out;
    }
    /* Declared classes: folders with images, sorted (imgeda's class_names). */
    char **names = ie_xcalloc(w->n_images + 1, sizeof(*names));
    size_t nn = 0;
    for (size_t i = 0; i < w->n_images; i++) {
        const char *rel = w->images[i];
        const char *cls = rel;
        if (with_splits) {
            const char *s = strchr(rel, '/');
            cls = s ? s + 1 : NULL;
        }
        const char *slash = cls ? strchr(cls, '/') : NULL;
        if (slash)
            names[nn++] = ie_xstrndup(cls, (size_t)(slash - cls));
    }
    if (nn)
        qsort(names, nn, sizeof(*names), ie__annot_cmp_str);
    for (size_t i = 0; i < nn; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            ie__annot_class_intern(st, names[i], true);
    ie__annot_free_strv(names, nn);
    if (!with_splits) {
        for (size_t i = 0; i < n_sub; i++) {
            size_t idx;
            if (!ie_strmap_get(&st->class_index, subs[i], &idx))
                ie__annot_add_note(r, "class folder '%s' holds no images", subs[i]);
        }
    }
    for (size_t i = 0; i < w->n_images; i++) {
        const char *rel = w->images[i], *cls = rel;
        char split[64];
        size_t sp;
        struct boxvec bv = {0};
        if (with_splits) {
            const char *s = strchr(rel, '/');
            size_t l = s ? (size_t)(s - rel) : 0;
            snprintf(split, sizeof(split), "%.*s", (int)IE_MIN(l, sizeof(split) - 1), rel);
            for (char *c = split; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            sp = ie__annot_split_intern(st, split);
            cls = s ? s + 1 : rel;
        } else {
            sp = ie__annot_split_intern(st, "");
        }
        const char *slash = strchr(cls, '/');
        if (!slash || (with_splits && cls == rel)) {
            ie__annot_acc_image(r, st, sp, &bv, true, rel, rel);
            ie__annot_add_missing_annotation(r, rel);
            continue;
        }
        char *name = ie_xstrndup(cls, (size_t)(slash - cls));
        struct box *b = ie__annot_boxvec_push(&bv);
        b->cls = ie__annot_class_intern(st, name, true);
        free(name);
        ie__annot_acc_image(r, st, sp, &bv, true, rel, rel);
        free(bv.v);
    }
out:
    ie__annot_free_strv(subs, n_sub);
    return rc;
}

void ie__annot_analyze_flat(struct ie_annot_result *r, struct ie_annot_state *st,
                            const struct walk *w)
{
    struct boxvec none = {0};
    char split[64];
    for (size_t i = 0; i < w->n_images; i++)
        ie__annot_acc_image(
            r, st,
            ie__annot_split_intern(st, ie__annot_path_split(w->images[i], split, sizeof(split))),
            &none, false, w->images[i], NULL);
}
