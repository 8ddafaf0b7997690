/* Annotation statistics (see imgeda/annotations.h): the entry points, the result's lifetime and
 * the small helpers every format shares; one file per format beside it (annot_*.c).
 *
 * DESIGN: every format is reduced to the same stream of "images with boxes": the YOLO, COCO and
 * VOC parsers turn an annotation file into entries (an image name, its size when known, boxes
 * with their file:line), entries are matched to the image files found on disk, and each image
 * is fed once to one accumulator (ie__annot_acc_image) that keeps counters only, so memory grows
 * with the number of classes and files, not boxes. Problems inside annotation files are recorded as
 * issues with file:line and never stop the analysis; only an unusable root fails.
 *
 * Untrusted input: every file is read whole under a size cap; JSON gets a nesting/size
 * pre-scan before cJSON sees it; XML goes through expat with DTDs refused (so no entity can be
 * declared, let alone expanded) and a depth cap; YAML is read by the project's reader
 * (core/yaml.c) into a small tree with depth and node caps, aliases are not followed. Numbers
 * must be finite; integers must fit; strings that reach messages are cut and made valid one-line
 * UTF-8.
 *
 * Differences from imgeda's format_detector.py / annotations.py (all deliberate):
 * - YOLO label files are found wherever images are (images/<split>/x.jpg -> labels/<split>/x.txt,
 *   train/images/x.jpg -> train/labels/x.txt, or x.txt next to x.jpg); imgeda reads only the
 *   .txt files directly in labels/, so split layouts gave it no annotations at all. All class
 *   names are used (imgeda passes only the first 10 on), as a list or an id -> name mapping.
 * - A folder with images/ and labels/ (holding .txt files) but no data.yaml is YOLO, its classes
 *   from classes.txt when present (Darknet's layout); imgeda needed data.yaml and took it as flat.
 * - Every COCO file is analysed (only the instances_* ones when present), not just the first
 *   JSON; COCO files are also found in split folders (Roboflow's train/_annotations.coco.json).
 * - Pascal VOC needs XML files in Annotations/ (the SPEC's rule); images are those in
 *   JPEGImages/ when it exists (imgeda required it).
 * - Classification also recognises split folders (train/val/valid/test) holding class folders;
 *   imgeda took the split folders for three classes.
 * - "orphan_images" keeps imgeda's meaning (images with no annotations), but imgeda only knew
 *   images through their label files; we also list images that have no annotation file at all
 *   (and, separately, as "missing_annotation"). Boxes of orphan annotations are not counted
 *   when the dataset has image files, since no image can be trained on with them.
 * - Boxes without a known image size are not classed small/medium/large (imgeda divided by a
 *   default size of 1 pixel). */

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

static const char *const format_names[] = {"auto", "yolo", "coco", "voc", "classification", "flat"};
const char *const ie__annot_issue_names[IE_ANNOT_N_KINDS] = {
    "parse_error",   "malformed",    "unknown_class", "out_of_bounds", "zero_size",
    "duplicate_box", "missing_size", "unknown_image", "conflict",      "config",
};
/* imgeda's format_detector IMAGE_EXTENSIONS. */
static const char *const image_exts[] = {"jpg", "jpeg", "png", "bmp", "tiff", "tif", "webp", "gif"};
/* Folder names taken for dataset splits. */
static const char *const split_dir_names[] = {"train", "val", "valid", "validation", "test"};

const char *ie_annot_format_name(enum ie_annot_format f)
{
    return (unsigned)f < IE_ARRAY_LEN(format_names) ? format_names[f] : "?";
}

int ie_annot_format_parse(const char *s, enum ie_annot_format *out, struct ie_err *err)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(format_names); i++) {
        if (strcasecmp(s, format_names[i]) == 0) {
            *out = (enum ie_annot_format)i;
            return 0;
        }
    }
    return ie_err_set(
        err, IE_EINVAL,
        "unknown annotation format '%s' (auto, yolo, coco, voc, classification, flat)", s);
}

const char *ie_annot_issue_kind_name(enum ie_annot_issue_kind k)
{
    return (unsigned)k < IE_ANNOT_N_KINDS ? ie__annot_issue_names[k] : "?";
}

void ie_annot_options_init(struct ie_annot_options *o)
{
    memset(o, 0, sizeof(*o));
    o->format = IE_ANNOT_AUTO;
    o->max_listed = 1000;
    o->max_json_bytes = 512u << 20;
    o->max_json_values = 64u << 20;
    o->max_xml_bytes = 8u << 20;
    o->max_text_bytes = 16u << 20;
    o->max_files = 50000000;
    o->max_depth = 64;
}

/* ---- small helpers ---- */

bool ie__annot_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool ie__annot_has_suffix_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

const char *ie__annot_base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Extension without the dot (points into p), or "" when there is none. */
const char *ie__annot_ext_of(const char *p)
{
    const char *b = ie__annot_base_name(p);
    const char *d = strrchr(b, '.');
    return d && d != b ? d + 1 : "";
}

bool ie__annot_is_image_name(const char *p)
{
    const char *e = ie__annot_ext_of(p);
    for (size_t i = 0; i < IE_ARRAY_LEN(image_exts); i++)
        if (strcasecmp(e, image_exts[i]) == 0)
            return true;
    return false;
}

bool ie__annot_is_split_name(const char *s)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(split_dir_names); i++)
        if (strcasecmp(s, split_dir_names[i]) == 0)
            return true;
    return false;
}

/* p without its extension, malloc'd. */
char *ie__annot_strip_ext(const char *p)
{
    const char *e = ie__annot_ext_of(p);
    return *e ? ie_xstrndup(p, (size_t)(e - 1 - p)) : ie_xstrdup(p);
}

char *ie__annot_join2(const char *a, const char *b)
{
    struct ie_buf buf;
    ie_buf_init(&buf);
    if (a && *a) {
        ie_buf_adds(&buf, a);
        if (b && *b)
            ie_buf_addc(&buf, '/');
    }
    if (b)
        ie_buf_adds(&buf, b);
    return ie_buf_detach(&buf);
}

bool ie__annot_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ie__annot_is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Valid one-line UTF-8 copy of s[0..n): control characters become spaces. */
char *ie__annot_clean_line(const char *s, size_t n)
{
    char *t = ie_utf8_sanitize(s, n);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return t;
}

/* Untrusted text for a message: at most QUOTE_MAX bytes (cut on a UTF-8 boundary), one line. */
const char *ie__annot_quote(char *out, size_t outsz, const char *s, size_t n)
{
    size_t cut = n;
    if (cut > QUOTE_MAX) {
        cut = QUOTE_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    char *t = ie__annot_clean_line(s, cut);
    snprintf(out, outsz, "%s%s", t, cut < n ? "..." : "");
    free(t);
    return out;
}

/* Parses a whole token as a finite double. */
bool ie__annot_parse_double(const char *s, size_t n, double *out)
{
    char tmp[64];
    char *end;
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* A class id: a non-negative integer (written "3", or "3.0" as Ultralytics accepts) that fits
 * in an int. */
bool ie__annot_parse_class_id(const char *s, size_t n, long *out)
{
    double v;
    if (!ie__annot_parse_double(s, n, &v) || v < 0 || v > INT_MAX || v != floor(v))
        return false;
    *out = (long)v;
    return true;
}

/* ---- the result ---- */

static struct ie_annot_state *state_get(struct ie_annot_result *r, const struct ie_annot_options *o)
{
    if (!r->state) {
        r->state = ie_xcalloc(1, sizeof(*r->state));
        if (o)
            r->state->opt = *o;
        else
            ie_annot_options_init(&r->state->opt);
        if (r->state->opt.max_depth <= 0)
            r->state->opt.max_depth = 64;
    }
    return r->state;
}

static void state_free(struct ie_annot_state *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n_classes; i++)
        free(st->class_names[i]);
    free(st->class_names);
    free(st->class_decl);
    free(st->class_count);
    free(st->class_images);
    ie_strmap_release(&st->class_index);
    for (size_t i = 0; i < st->n_splits; i++) {
        free(st->splits[i].name);
        free(st->splits[i].class_counts);
    }
    free(st->splits);
    free(st->pairs);
    free(st->yolo_cls);
    free(st->scratch);
    free(st->scratch_names);
    free(st);
}

void ie_annot_result_init(struct ie_annot_result *r)
{
    memset(r, 0, sizeof(*r));
    r->format = IE_ANNOT_FLAT;
}

void ie__annot_free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Frees the summary arrays that ie_annot_result_finish builds. */
void ie__annot_release_summary(struct ie_annot_result *r)
{
    for (size_t i = 0; i < r->n_classes; i++)
        free(r->classes[i].name);
    free(r->classes);
    r->classes = NULL;
    r->n_classes = 0;
    for (size_t i = 0; i < r->n_splits; i++) {
        free(r->splits[i].name);
        free(r->splits[i].class_counts);
    }
    free(r->splits);
    r->splits = NULL;
    r->n_splits = 0;
    free(r->pairs);
    r->pairs = NULL;
    r->n_pairs = 0;
}

void ie_annot_result_release(struct ie_annot_result *r)
{
    ie__annot_release_summary(r);
    free(r->root);
    ie__annot_free_strv(r->orphan_images, r->n_orphan_images);
    ie__annot_free_strv(r->orphan_annotations, r->n_orphan_annotations);
    ie__annot_free_strv(r->missing_annotation, r->n_missing_annotation);
    for (size_t i = 0; i < r->n_issues; i++) {
        free(r->issues[i].file);
        free(r->issues[i].message);
    }
    free(r->issues);
    ie__annot_free_strv(r->notes, r->n_notes);
    state_free(r->state);
    ie_annot_result_init(r);
}

/* A label folder or annotation file named by the user decides the format (imgeda's options
 * apply to one format each), and must exist. */
static int given_files(const struct ie_annot_options *o, enum ie_annot_format *fmt,
                       struct ie_err *err)
{
    if (o->label_dir && o->annotation_file)
        return ie_err_set(err, IE_EINVAL,
                          "a label folder is for YOLO and an annotation file for COCO: give one");
    if (!o->label_dir && !o->annotation_file)
        return 0;
    enum ie_annot_format want = o->label_dir ? IE_ANNOT_YOLO : IE_ANNOT_COCO;
    const char *what = o->label_dir ? "label folder" : "annotation file";
    const char *path = o->label_dir ? o->label_dir : o->annotation_file;
    if (*fmt != IE_ANNOT_AUTO && *fmt != want)
        return ie_err_set(err, IE_EINVAL, "a %s is for %s, not %s", what,
                          ie_annot_format_name(want), ie_annot_format_name(*fmt));
    if (o->label_dir ? !ie__annot_is_dir(path) : !ie__annot_is_file(path))
        return ie_err_set(err, IE_ENOENT, "%s: no such %s", path, what);
    *fmt = want;
    return 0;
}

int ie_annot_analyze(const char *root, const struct ie_annot_options *o, struct ie_annot_result *r,
                     struct ie_err *err)
{
    struct ie_annot_options def;
    struct walk w;
    enum ie_annot_format fmt;
    bool cls_splits = false;
    int rc;

    memset(&w, 0, sizeof(w));
    if (!o) {
        ie_annot_options_init(&def);
        o = &def;
    }
    rc = ie__annot_check_root(root, err);
    if (rc < 0)
        goto out;
    fmt = o->format;
    rc = given_files(o, &fmt, err);
    if (rc < 0)
        goto out;
    struct ie_annot_state *st = state_get(r, o);
    free(r->root);
    r->root = ie__annot_clean_line(root, strlen(root));
    r->detected = fmt == IE_ANNOT_AUTO;
    if (fmt == IE_ANNOT_AUTO) {
        rc = ie__annot_detect_layout(root, &st->opt, &fmt, &cls_splits, err);
        if (rc < 0)
            goto out;
    } else if (fmt == IE_ANNOT_CLASSIFICATION) {
        (void)ie__annot_detect_classification(root, st->opt.max_depth, &cls_splits);
    }
    r->format = fmt;
    rc = ie__annot_walk_tree(r, &st->opt, root, &w, err);
    if (rc < 0)
        goto out;
    r->image_files = w.n_images;
    switch (fmt) {
    case IE_ANNOT_YOLO:
        rc = ie__annot_analyze_yolo(r, st, root, &w, !r->detected, err);
        break;
    case IE_ANNOT_COCO:
        rc = ie__annot_analyze_coco(r, st, root, &w, !r->detected, err);
        break;
    case IE_ANNOT_VOC:
        rc = ie__annot_analyze_voc(r, st, root, &w, !r->detected, err);
        break;
    case IE_ANNOT_CLASSIFICATION:
        rc = ie__annot_analyze_classification(r, st, root, &w, cls_splits, !r->detected, err);
        break;
    default:
        ie__annot_analyze_flat(r, st, &w);
        ie__annot_add_note(r, "flat layout: no annotations to analyse");
        break;
    }
    if (rc < 0)
        goto out;
    ie_annot_result_finish(r);
out:
    ie__annot_walk_release(&w);
    return rc;
}

/* ---- the boxes of one image ---- */

int ie_annot_image_boxes(const char *root, const char *image, enum ie_annot_format *fmt,
                         struct ie_annot_box **out, size_t *n_out, struct ie_err *err)
{
    struct ie_annot_result r;
    struct boxvec bv = {0};
    bool splits;
    ie_annot_result_init(&r);
    struct ie_annot_state *st = state_get(&r, NULL);
    *out = NULL;
    *n_out = 0;
    int rc = ie__annot_detect_layout(root, &st->opt, fmt, &splits, err);
    if (rc == 0 && *fmt == IE_ANNOT_YOLO)
        ie__annot_yolo_image_boxes(&r, st, root, image, &bv);
    if (bv.n)
        *out = ie_xcalloc(bv.n, sizeof(**out));
    for (size_t i = 0; i < bv.n; i++) {
        const struct box *b = &bv.v[i];
        struct ie_annot_box *o = &(*out)[i];
        /* YOLO writes the centre and size; a viewer wants the top-left corner. */
        o->label = ie_xstrdup(st->class_names[b->cls]);
        o->w = b->raw[2];
        o->h = b->raw[3];
        o->x = b->raw[0] - b->raw[2] / 2;
        o->y = b->raw[1] - b->raw[3] / 2;
        o->line = b->line;
    }
    *n_out = bv.n;
    free(bv.v);
    ie_annot_result_release(&r);
    return rc;
}

void ie_annot_boxes_free(struct ie_annot_box *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++)
        free(b[i].label);
    free(b);
}

/* ---- one file from memory ---- */

int ie_annot_parse_buffer(struct ie_annot_result *r, enum ie_annot_format f, const char *name,
                          const char *data, size_t len, const struct ie_annot_options *o)
{
    struct ie_annot_state *st = state_get(r, o);
    struct boxvec bv = {0};
    char split[64];
    int rc = 0;

    if (f != IE_ANNOT_YOLO && f != IE_ANNOT_COCO && f != IE_ANNOT_VOC)
        return IE_EINVAL;
    r->format = f;
    ie__annot_path_split(name, split, sizeof(split));
    if (f == IE_ANNOT_YOLO) {
        if (ie__annot_has_suffix_ci(name, ".yaml") || ie__annot_has_suffix_ci(name, ".yml"))
            return ie__annot_yolo_load_yaml(r, st, name, data, len, NULL);
        r->annotation_files++;
        ie__annot_yolo_parse(r, st, name, data, len, &bv);
        ie__annot_acc_image(r, st, ie__annot_split_intern(st, split), &bv, false, name, name);
    } else if (f == IE_ANNOT_COCO) {
        struct coco_doc doc = {0};
        struct img_index none;
        memset(&none, 0, sizeof(none));
        r->annotation_files++;
        char fsplit[64];
        ie__annot_coco_file_split(name, fsplit, sizeof(fsplit));
        rc = ie__annot_coco_parse(r, st, name, data, len, &doc);
        if (rc == 0)
            ie__annot_coco_feed(r, st, name, fsplit, &doc, &none, NULL);
        ie__annot_coco_doc_release(&doc);
    } else {
        struct voc_doc doc = {0};
        r->annotation_files++;
        rc = ie__annot_voc_parse(r, st, name, data, len, &doc);
        if (rc == 0) {
            ie__annot_voc_boxes(r, st, name, &doc, &bv);
            ie__annot_acc_image(r, st, ie__annot_split_intern(st, split), &bv, false, name, name);
        }
        ie__annot_voc_doc_release(&doc);
    }
    free(bv.v);
    return rc;
}
