/* Layout detection: which format a dataset folder holds (YOLO, COCO, VOC, class folders, flat),
 * by imgeda's format_detector rules (differences in annotations.c). */

#include <dirent.h>

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

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

/* True when dir holds a .txt file directly or in one of its folders. */
static bool dir_has_txt(const char *dir)
{
    size_t n = 0, n_sub = 0;
    char **txt = ie__annot_list_dir(dir, false, "txt", &n);
    ie__annot_free_strv(txt, n);
    char **subs = n ? NULL : ie__annot_list_dir(dir, true, NULL, &n_sub);
    for (size_t i = 0; i < n_sub && !n; i++) {
        char *sd = ie__annot_join2(dir, subs[i]);
        txt = ie__annot_list_dir(sd, false, "txt", &n);
        ie__annot_free_strv(txt, n);
        free(sd);
    }
    ie__annot_free_strv(subs, n_sub);
    return n > 0;
}

/* Darknet-style YOLO without data.yaml (beyond imgeda, which needs data.yaml): an images/
 * folder next to a labels/ folder that holds .txt files (labels, or classes.txt), with or
 * without split folders inside. A labels/ folder alone stays flat, as before. */
static bool yolo_without_yaml(const char *root)
{
    char *images = ie__annot_join2(root, "images");
    char *labels = ie__annot_join2(root, "labels");
    bool yes = ie__annot_is_dir(images) && ie__annot_is_dir(labels) && dir_has_txt(labels);
    free(images);
    free(labels);
    return yes;
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
    if (yolo_without_yaml(root)) {
        *out = IE_ANNOT_YOLO;
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
