/* Dataset layout detection and annotation statistics (see imgeda/annotations.h).
 *
 * DESIGN: every format is reduced to the same stream of "images with boxes": the YOLO, COCO and
 * VOC parsers turn an annotation file into entries (an image name, its size when known, boxes
 * with their file:line), entries are matched to the image files found on disk, and each image
 * is fed once to one accumulator (acc_image) that keeps counters only, so memory grows with
 * the number of classes and files, not boxes. Problems inside annotation files are recorded as
 * issues with file:line and never stop the analysis; only an unusable root fails.
 *
 * Untrusted input: every file is read whole under a size cap; JSON gets a nesting/size
 * pre-scan before cJSON sees it; XML goes through expat with DTDs refused (so no entity can be
 * declared, let alone expanded) and a depth cap; YAML is read as libyaml events into a small
 * tree with depth and node caps, aliases are not followed. Numbers must be finite; integers
 * must fit; strings that reach messages are cut and made valid one-line UTF-8.
 *
 * Differences from imgeda's format_detector.py / annotations.py (all deliberate):
 * - YOLO label files are found wherever images are (images/<split>/x.jpg -> labels/<split>/x.txt,
 *   train/images/x.jpg -> train/labels/x.txt, or x.txt next to x.jpg); imgeda reads only the
 *   .txt files directly in labels/, so split layouts gave it no annotations at all. All class
 *   names are used (imgeda passes only the first 10 on), as a list or an id -> name mapping.
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
#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* Tolerance for boxes touching the image border: normalised units (YOLO) and pixels. */
#define EPS_NORM   1e-6
#define EPS_PIXELS 0.5
/* Longest untrusted string quoted in a message. */
#define QUOTE_MAX 80
/* An image with more distinct classes than this is left out of the co-occurrence table
 * (its pairs grow quadratically). */
#define MAX_CLASSES_PER_IMAGE_PAIRS 256
/* Distinct class pairs kept in the co-occurrence table. */
#define MAX_PAIRS (4u << 20)
/* Notes kept (each one line). */
#define MAX_NOTES 100
/* Longest text collected from one XML element, and YAML nodes in data.yaml. */
#define MAX_XML_TEXT   4096
#define MAX_YAML_NODES 1000000
/* YOLO class ids (data.yaml names/nc, classes.txt) above this are refused: "nc: 999999" would
 * otherwise declare a million classes from a few bytes. The largest public label sets have
 * about 22000 classes. */
#define MAX_YOLO_CLASS_ID 65535

static const char *const format_names[] = {"auto", "yolo", "coco", "voc", "classification", "flat"};
static const char *const issue_names[IE_ANNOT_N_KINDS] = {
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
    return (unsigned)k < IE_ANNOT_N_KINDS ? issue_names[k] : "?";
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

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool has_suffix_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Extension without the dot (points into p), or "" when there is none. */
static const char *ext_of(const char *p)
{
    const char *b = base_name(p);
    const char *d = strrchr(b, '.');
    return d && d != b ? d + 1 : "";
}

static bool is_image_name(const char *p)
{
    const char *e = ext_of(p);
    for (size_t i = 0; i < IE_ARRAY_LEN(image_exts); i++)
        if (strcasecmp(e, image_exts[i]) == 0)
            return true;
    return false;
}

static bool is_split_name(const char *s)
{
    for (size_t i = 0; i < IE_ARRAY_LEN(split_dir_names); i++)
        if (strcasecmp(s, split_dir_names[i]) == 0)
            return true;
    return false;
}

/* p without its extension, malloc'd. */
static char *strip_ext(const char *p)
{
    const char *e = ext_of(p);
    return *e ? ie_xstrndup(p, (size_t)(e - 1 - p)) : ie_xstrdup(p);
}

static char *join2(const char *a, const char *b)
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

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Valid one-line UTF-8 copy of s[0..n): control characters become spaces. */
static char *clean_line(const char *s, size_t n)
{
    char *t = ie_utf8_sanitize(s, n);
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return t;
}

/* Untrusted text for a message: at most QUOTE_MAX bytes (cut on a UTF-8 boundary), one line. */
static const char *quote(char *out, size_t outsz, const char *s, size_t n)
{
    size_t cut = n;
    if (cut > QUOTE_MAX) {
        cut = QUOTE_MAX;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    char *t = clean_line(s, cut);
    snprintf(out, outsz, "%s%s", t, cut < n ? "..." : "");
    free(t);
    return out;
}

/* Parses a whole token as a finite double. */
static bool parse_double(const char *s, size_t n, double *out)
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
static bool parse_class_id(const char *s, size_t n, long *out)
{
    double v;
    if (!parse_double(s, n, &v) || v < 0 || v > INT_MAX || v != floor(v))
        return false;
    *out = (long)v;
    return true;
}

/* ---- the accumulator ---- */

struct box {
    size_t cls;
    double raw[4];       /* as written: YOLO xc yc w h, COCO x y w h, VOC xmin ymin xmax ymax */
    double nw, nh, area; /* normalised size, valid when sized */
    bool sized;
    uint32_t line; /* 1-based, 0 when none */
    int64_t id;    /* COCO annotation id (or index in "annotations" when id_is_index), or -1 */
    bool id_is_index;
    size_t seq;   /* order in the file */
    size_t owner; /* COCO: the entry (image) the box belongs to */
};

struct boxvec {
    struct box *v;
    size_t n, cap;
};

static struct box *boxvec_push(struct boxvec *bv)
{
    ie_grow((void **)&bv->v, &bv->cap, bv->n + 1, sizeof(*bv->v));
    struct box *b = &bv->v[bv->n];
    memset(b, 0, sizeof(*b));
    b->id = -1;
    b->seq = bv->n++;
    return b;
}

struct split_acc {
    char *name;
    size_t images, annotated, annotations;
    size_t *class_counts; /* grows with the class table */
    size_t cap;
};

struct pair_slot {
    uint64_t key; /* (a << 32 | b) + 1; 0 marks an empty slot */
    size_t count;
};

struct ie_annot_state {
    struct ie_annot_options opt;
    /* classes: index = first-seen order */
    struct ie_strmap class_index; /* name -> index; keys are class_names[] */
    char **class_names;
    size_t *class_decl; /* declaration order, SIZE_MAX when only seen */
    size_t *class_count, *class_images;
    size_t n_classes, cap_classes, n_declared;
    /* splits */
    struct split_acc *splits;
    size_t n_splits, cap_splits;
    /* co-occurrence */
    struct pair_slot *pairs;
    size_t pairs_cap, pairs_n;
    bool pairs_full_noted, pairs_wide_noted;
    /* totals */
    size_t images, annotated, annotations, boxes, max_obj, small, medium, large, unsized;
    size_t sized;
    double sum_w, sum_h, sum_area;
    /* YOLO data.yaml: class id -> class index (SIZE_MAX for undeclared ids) */
    size_t *yolo_cls;
    size_t yolo_n;
    bool yolo_declared, yolo_kpt;
    /* scratch */
    size_t *scratch;
    size_t scratch_cap;
};

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
    free(st);
}

void ie_annot_result_init(struct ie_annot_result *r)
{
    memset(r, 0, sizeof(*r));
    r->format = IE_ANNOT_FLAT;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Frees the summary arrays that ie_annot_result_finish builds. */
static void release_summary(struct ie_annot_result *r)
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
    release_summary(r);
    free(r->root);
    free_strv(r->orphan_images, r->n_orphan_images);
    free_strv(r->orphan_annotations, r->n_orphan_annotations);
    free_strv(r->missing_annotation, r->n_missing_annotation);
    for (size_t i = 0; i < r->n_issues; i++) {
        free(r->issues[i].file);
        free(r->issues[i].message);
    }
    free(r->issues);
    free_strv(r->notes, r->n_notes);
    state_free(r->state);
    ie_annot_result_init(r);
}

/* Grows an array that holds n elements so that it can take one more: capacity doubles at each
 * power of two, so no capacity needs storing. */
static void *grow_pow2(void *v, size_t n, size_t elsz)
{
    if (n == 0 || (n & (n - 1)) == 0)
        v = ie_xrealloc(v, (n ? 2 * n : 1) * elsz);
    return v;
}

static size_t max_listed(struct ie_annot_result *r)
{
    return r->state ? r->state->opt.max_listed : 1000;
}

static void add_issue(struct ie_annot_result *r, const char *file, uint32_t line,
                      enum ie_annot_issue_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_issue(struct ie_annot_result *r, const char *file, uint32_t line,
                      enum ie_annot_issue_kind kind, const char *fmt, ...)
{
    r->issues_total++;
    r->issue_counts[kind]++;
    if (r->n_issues >= max_listed(r))
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->issues = grow_pow2(r->issues, r->n_issues, sizeof(*r->issues));
    struct ie_annot_issue *is = &r->issues[r->n_issues++];
    is->file = clean_line(file, strlen(file));
    is->line = line;
    is->kind = kind;
    is->message = clean_line(msg, strlen(msg));
}

static void add_note(struct ie_annot_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_note(struct ie_annot_result *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (r->n_notes >= MAX_NOTES)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < r->n_notes; i++)
        if (strcmp(r->notes[i], msg) == 0)
            return;
    r->notes = ie_xrealloc(r->notes, (r->n_notes + 1) * sizeof(*r->notes));
    r->notes[r->n_notes++] = clean_line(msg, strlen(msg));
}

static void add_listed(struct ie_annot_result *r, char ***v, size_t *n, size_t *total,
                       const char *s)
{
    (*total)++;
    if (*n >= max_listed(r))
        return;
    *v = grow_pow2(*v, *n, sizeof(**v));
    (*v)[(*n)++] = clean_line(s, strlen(s));
}

static void add_orphan_image(struct ie_annot_result *r, const char *rel)
{
    add_listed(r, &r->orphan_images, &r->n_orphan_images, &r->orphan_images_total, rel);
}

static void add_missing_annotation(struct ie_annot_result *r, const char *rel)
{
    add_listed(r, &r->missing_annotation, &r->n_missing_annotation, &r->missing_annotation_total,
               rel);
}

static void add_orphan_annotation(struct ie_annot_result *r, const char *rel)
{
    add_listed(r, &r->orphan_annotations, &r->n_orphan_annotations, &r->orphan_annotations_total,
               rel);
}

/* Index of class `name`, created when new. declared marks it as listed by the dataset's
 * configuration (data.yaml, categories, class folders). */
static size_t class_intern(struct ie_annot_state *st, const char *name, bool declared)
{
    size_t idx;
    if (!ie_strmap_get(&st->class_index, name, &idx)) {
        if (st->n_classes == st->cap_classes) {
            size_t cap = st->cap_classes ? st->cap_classes * 2 : 16;
            st->class_names = ie_xrealloc(st->class_names, cap * sizeof(*st->class_names));
            st->class_decl = ie_xrealloc(st->class_decl, cap * sizeof(*st->class_decl));
            st->class_count = ie_xrealloc(st->class_count, cap * sizeof(*st->class_count));
            st->class_images = ie_xrealloc(st->class_images, cap * sizeof(*st->class_images));
            st->cap_classes = cap;
        }
        idx = st->n_classes++;
        st->class_names[idx] = ie_xstrdup(name);
        st->class_decl[idx] = SIZE_MAX;
        st->class_count[idx] = 0;
        st->class_images[idx] = 0;
        ie_strmap_put(&st->class_index, st->class_names[idx], idx);
    }
    if (declared && st->class_decl[idx] == SIZE_MAX)
        st->class_decl[idx] = st->n_declared++;
    return idx;
}

/* Index of split `name` ("" = images outside every split, shown as "unsplit"). */
static size_t split_intern(struct ie_annot_state *st, const char *name)
{
    const char *n = name && *name ? name : "unsplit";
    for (size_t i = 0; i < st->n_splits; i++)
        if (strcmp(st->splits[i].name, n) == 0)
            return i;
    ie_grow((void **)&st->splits, &st->cap_splits, st->n_splits + 1, sizeof(*st->splits));
    struct split_acc *s = &st->splits[st->n_splits];
    memset(s, 0, sizeof(*s));
    s->name = ie_xstrdup(n);
    return st->n_splits++;
}

static void pair_add(struct ie_annot_result *r, struct ie_annot_state *st, size_t a, size_t b)
{
    uint64_t key = (((uint64_t)a << 32) | (uint64_t)b) + 1;
    if ((st->pairs_n + 1) * 2 > st->pairs_cap) {
        if (st->pairs_n >= MAX_PAIRS) {
            /* Only when the table is full: look the pair up without inserting. */
            for (size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull) & (st->pairs_cap - 1);
                 st->pairs[i].key; i = (i + 1) & (st->pairs_cap - 1)) {
                if (st->pairs[i].key == key) {
                    st->pairs[i].count++;
                    return;
                }
            }
            if (!st->pairs_full_noted) {
                add_note(r, "more than %u distinct class pairs: co-occurrence is incomplete",
                         MAX_PAIRS);
                st->pairs_full_noted = true;
            }
            return;
        }
        size_t ncap = st->pairs_cap ? st->pairs_cap * 2 : 256;
        struct pair_slot *nv = ie_xcalloc(ncap, sizeof(*nv));
        for (size_t i = 0; i < st->pairs_cap; i++) {
            if (!st->pairs[i].key)
                continue;
            size_t j = (size_t)(st->pairs[i].key * 0x9E3779B97F4A7C15ull) & (ncap - 1);
            while (nv[j].key)
                j = (j + 1) & (ncap - 1);
            nv[j] = st->pairs[i];
        }
        free(st->pairs);
        st->pairs = nv;
        st->pairs_cap = ncap;
    }
    size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull) & (st->pairs_cap - 1);
    while (st->pairs[i].key && st->pairs[i].key != key)
        i = (i + 1) & (st->pairs_cap - 1);
    if (!st->pairs[i].key) {
        st->pairs[i].key = key;
        st->pairs_n++;
    }
    st->pairs[i].count++;
}

static int cmp_box_key(const void *pa, const void *pb)
{
    const struct box *a = pa, *b = pb;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    for (int i = 0; i < 4; i++)
        if (a->raw[i] != b->raw[i])
            return a->raw[i] < b->raw[i] ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_size(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return a < b ? -1 : a > b;
}

/* Reports boxes with the same class and coordinates as an earlier box of the same image.
 * Sorts bv (the order does not matter afterwards). */
static void report_duplicates(struct ie_annot_result *r, const char *file, struct boxvec *bv)
{
    if (bv->n < 2)
        return;
    qsort(bv->v, bv->n, sizeof(*bv->v), cmp_box_key);
    for (size_t i = 1, first = 0; i < bv->n; i++) {
        const struct box *a = &bv->v[first], *b = &bv->v[i];
        if (a->cls == b->cls && memcmp(a->raw, b->raw, sizeof(a->raw)) == 0) {
            if (b->id >= 0)
                add_issue(r, file, 0, IE_ANNOT_DUPLICATE_BOX,
                          "annotation %s%lld repeats annotation %s%lld (same class and box)",
                          b->id_is_index ? "#" : "id ", (long long)b->id,
                          a->id_is_index ? "#" : "id ", (long long)a->id);
            else if (a->line)
                add_issue(r, file, b->line, IE_ANNOT_DUPLICATE_BOX, "same class and box as line %u",
                          a->line);
            else
                add_issue(r, file, b->line, IE_ANNOT_DUPLICATE_BOX,
                          "same class and box as an earlier object");
        } else {
            first = i;
        }
    }
}

/* Feeds one image: its split (index from split_intern) and its boxes (or, with labels, its
 * image-level class labels). file names the annotation file for duplicate reports; image names
 * the image in the orphan list when it has no annotations (NULL: not listed). */
static void acc_image(struct ie_annot_result *r, struct ie_annot_state *st, size_t split,
                      struct boxvec *bv, bool labels, const char *file, const char *image)
{
    if (bv->n == 0 && image)
        add_orphan_image(r, image);
    struct split_acc *sp = &st->splits[split];
    if (sp->cap < st->n_classes) {
        size_t cap = st->cap_classes;
        sp->class_counts = ie_xrealloc(sp->class_counts, cap * sizeof(*sp->class_counts));
        memset(sp->class_counts + sp->cap, 0, (cap - sp->cap) * sizeof(*sp->class_counts));
        sp->cap = cap;
    }
    if (!labels)
        report_duplicates(r, file, bv);
    st->images++;
    sp->images++;
    if (bv->n > 0) {
        st->annotated++;
        sp->annotated++;
    }
    st->annotations += bv->n;
    sp->annotations += bv->n;
    if (bv->n > st->max_obj)
        st->max_obj = bv->n;
    ie_grow((void **)&st->scratch, &st->scratch_cap, bv->n + 1, sizeof(*st->scratch));
    for (size_t i = 0; i < bv->n; i++) {
        const struct box *b = &bv->v[i];
        st->class_count[b->cls]++;
        sp->class_counts[b->cls]++;
        st->scratch[i] = b->cls;
        if (labels)
            continue;
        st->boxes++;
        if (!b->sized) {
            st->unsized++;
            continue;
        }
        st->sized++;
        st->sum_w += b->nw;
        st->sum_h += b->nh;
        st->sum_area += b->area;
        if (b->area < 0.01)
            st->small++;
        else if (b->area < 0.1)
            st->medium++;
        else
            st->large++;
    }
    /* Distinct classes of the image: per-class image counts and co-occurring pairs. */
    qsort(st->scratch, bv->n, sizeof(*st->scratch), cmp_size);
    size_t nd = 0;
    for (size_t i = 0; i < bv->n; i++)
        if (i == 0 || st->scratch[i] != st->scratch[i - 1])
            st->scratch[nd++] = st->scratch[i];
    for (size_t i = 0; i < nd; i++)
        st->class_images[st->scratch[i]]++;
    if (nd > MAX_CLASSES_PER_IMAGE_PAIRS) {
        if (!st->pairs_wide_noted)
            add_note(r, "images with more than %d classes are left out of co-occurrence",
                     MAX_CLASSES_PER_IMAGE_PAIRS);
        st->pairs_wide_noted = true;
        return;
    }
    for (size_t i = 0; i < nd; i++)
        for (size_t j = i + 1; j < nd; j++)
            pair_add(r, st, st->scratch[i], st->scratch[j]);
}

/* ---- YAML (data.yaml): libyaml events into a small tree ---- */

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP, Y_NULL };

struct ynode {
    enum ynode_type type;
    char *s; /* scalar text */
    uint32_t line;
    struct ynode **kids; /* a map holds key, value, key, value, ... */
    size_t n, cap;
};

static void ynode_free(struct ynode *y)
{
    if (!y)
        return;
    for (size_t i = 0; i < y->n; i++)
        ynode_free(y->kids[i]);
    free(y->kids);
    free(y->s);
    free(y);
}

static struct ynode *ynode_new(enum ynode_type t, uint32_t line)
{
    struct ynode *y = ie_xcalloc(1, sizeof(*y));
    y->type = t;
    y->line = line;
    return y;
}

static void ynode_add(struct ynode *parent, struct ynode *kid)
{
    ie_grow((void **)&parent->kids, &parent->cap, parent->n + 1, sizeof(*parent->kids));
    parent->kids[parent->n++] = kid;
}

/* Loads the first YAML document of text. Aliases become null nodes (never followed, so
 * "billion laughs" through anchors costs nothing). Returns the root or NULL with msg/line. */
static struct ynode *yaml_load(const char *text, size_t len, int max_depth, char *msg, size_t msgsz,
                               uint32_t *line)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct ynode *stack[128];
    struct ynode *root = NULL;
    int depth = 0;
    size_t nodes = 0;
    bool done = false, ok = false;

    if (max_depth > (int)IE_ARRAY_LEN(stack) - 1)
        max_depth = (int)IE_ARRAY_LEN(stack) - 1;
    *line = 0;
    if (!yaml_parser_initialize(&p)) {
        snprintf(msg, msgsz, "cannot start the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            snprintf(msg, msgsz, "YAML syntax error: %s", p.problem ? p.problem : "unknown");
            *line = (uint32_t)p.problem_mark.line + 1;
            break;
        }
        uint32_t evline = (uint32_t)ev.start_mark.line + 1;
        struct ynode *node = NULL;
        bool opens = false;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            node = ynode_new(Y_SCALAR, evline);
            node->s = ie_xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            break;
        case YAML_ALIAS_EVENT:
            node = ynode_new(Y_NULL, evline);
            break;
        case YAML_SEQUENCE_START_EVENT:
            node = ynode_new(Y_SEQ, evline);
            opens = true;
            break;
        case YAML_MAPPING_START_EVENT:
            node = ynode_new(Y_MAP, evline);
            opens = true;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = true;
            ok = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (node) {
            if (++nodes > MAX_YAML_NODES) {
                ynode_free(node);
                snprintf(msg, msgsz, "more than %d YAML nodes", MAX_YAML_NODES);
                *line = evline;
                break;
            }
            if (depth == 0) {
                if (root) { /* a second top-level node cannot happen within one document */
                    ynode_free(node);
                } else {
                    root = node;
                }
            } else {
                ynode_add(stack[depth - 1], node);
            }
            if (opens) {
                if (depth >= max_depth) {
                    snprintf(msg, msgsz, "YAML nested deeper than %d levels", max_depth);
                    *line = evline;
                    break;
                }
                stack[depth++] = node;
            }
        }
    }
    yaml_parser_delete(&p);
    if (!ok) {
        ynode_free(root);
        return NULL;
    }
    if (!root)
        root = ynode_new(Y_NULL, 1);
    return root;
}

static const struct ynode *ymap_get(const struct ynode *m, const char *key)
{
    if (!m || m->type != Y_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2)
        if (m->kids[i]->type == Y_SCALAR && strcmp(m->kids[i]->s, key) == 0)
            return m->kids[i + 1];
    return NULL;
}

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
    st->yolo_cls[id] = class_intern(st, name, true);
}

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

/* Reads data.yaml: class names (a list, or a mapping id -> name), nc, kpt_shape and the split
 * entries. Problems become CONFIG issues against `file`; cfg may be NULL. Returns 0, or
 * IE_EFORMAT when the file is not YAML at all. */
static int yolo_load_yaml(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                          const char *text, size_t len, struct yolo_config *cfg)
{
    char msg[256], q[QUOTE_MAX * 4 + 8];
    uint32_t line;
    struct ynode *y = yaml_load(text, len, st->opt.max_depth, msg, sizeof(msg), &line);
    if (!y) {
        add_issue(r, file, line, IE_ANNOT_PARSE_ERROR, "%s", msg);
        return IE_EFORMAT;
    }
    if (y->type != Y_MAP) {
        add_issue(r, file, y->line, IE_ANNOT_CONFIG, "data.yaml is not a mapping of keys");
        ynode_free(y);
        return 0;
    }
    const struct ynode *names = ymap_get(y, "names");
    const struct ynode *nc = ymap_get(y, "nc");
    long ncv = -1;
    size_t n_names = 0;
    if (nc) {
        if (nc->type != Y_SCALAR || !parse_class_id(nc->s, strlen(nc->s), &ncv) ||
            ncv > MAX_YOLO_CLASS_ID) {
            add_issue(r, file, nc->line, IE_ANNOT_CONFIG, "nc is not a class count");
            ncv = -1;
        }
    }
    if (names && names->type == Y_SEQ) {
        for (size_t i = 0; i < names->n; i++) {
            const struct ynode *k = names->kids[i];
            if (k->type != Y_SCALAR) {
                add_issue(r, file, k->line, IE_ANNOT_CONFIG, "names[%zu] is not a string", i);
                snprintf(msg, sizeof(msg), "%zu", i);
                yolo_declare(st, i, msg);
            } else {
                yolo_declare(st, i, k->s);
            }
        }
        n_names = names->n;
        st->yolo_declared = true;
    } else if (names && names->type == Y_MAP) {
        for (size_t i = 0; i + 1 < names->n; i += 2) {
            const struct ynode *k = names->kids[i], *v = names->kids[i + 1];
            long id;
            if (k->type != Y_SCALAR || !parse_class_id(k->s, strlen(k->s), &id) ||
                id > MAX_YOLO_CLASS_ID) {
                add_issue(r, file, k->line, IE_ANNOT_CONFIG, "names key '%s' is not a class id",
                          k->type == Y_SCALAR ? quote(q, sizeof(q), k->s, strlen(k->s)) : "?");
                continue;
            }
            if (v->type != Y_SCALAR) {
                add_issue(r, file, v->line, IE_ANNOT_CONFIG, "name of class %ld is not a string",
                          id);
                continue;
            }
            yolo_declare(st, (size_t)id, v->s);
            n_names++;
        }
        st->yolo_declared = true;
    } else if (names && names->type != Y_NULL) {
        add_issue(r, file, names->line, IE_ANNOT_CONFIG,
                  "names is neither a list nor a mapping of class names");
    }
    if (ncv >= 0) {
        if (st->yolo_declared && (size_t)ncv != n_names) {
            add_issue(r, file, nc->line, IE_ANNOT_CONFIG, "nc is %ld but names lists %zu classes",
                      ncv, n_names);
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
        add_issue(r, file, y->line, IE_ANNOT_CONFIG,
                  "data.yaml declares no classes (names or nc): class ids are not checked");
    st->yolo_kpt = ymap_get(y, "kpt_shape") != NULL;
    if (cfg) {
        const struct ynode *path = ymap_get(y, "path");
        if (path && path->type == Y_SCALAR && *path->s)
            cfg->path = ie_xstrdup(path->s);
        static const char *const keys[] = {"train", "val", "test"};
        for (size_t k = 0; k < IE_ARRAY_LEN(keys); k++) {
            const struct ynode *v = ymap_get(y, keys[k]);
            if (!v)
                continue;
            if (v->type == Y_SCALAR && *v->s) {
                yolo_config_add_val(cfg, keys[k], v->s, v->line);
            } else if (v->type == Y_SEQ) {
                for (size_t i = 0; i < v->n; i++)
                    if (v->kids[i]->type == Y_SCALAR && *v->kids[i]->s)
                        yolo_config_add_val(cfg, keys[k], v->kids[i]->s, v->kids[i]->line);
            }
        }
    }
    ynode_free(y);
    return 0;
}

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
        add_issue(r, file, line, IE_ANNOT_UNKNOWN_CLASS,
                  "class id %ld is not declared in data.yaml", id);
    return class_intern(st, name, false);
}

/* Parses one YOLO label file into bv: "class xc yc w h" per line (normalised), a polygon
 * "class x1 y1 x2 y2 ..." (segmentation), or a box followed by keypoints when data.yaml has
 * kpt_shape. Bad lines become issues and are skipped. */
static void yolo_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
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
            while (s < le && is_ws(*s))
                s++;
            if (s >= le)
                break;
            const char *e = s;
            while (e < le && !is_ws(*e))
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
            add_issue(r, file, line, IE_ANNOT_MALFORMED,
                      "expected 5 values (class x_center y_center width height), got %zu", ntok);
            p = next;
            continue;
        }
        if (!parse_class_id(t0, l0, &cid)) {
            add_issue(r, file, line, IE_ANNOT_MALFORMED,
                      "class id '%s' is not a non-negative integer", quote(q, sizeof(q), t0, l0));
            p = next;
            continue;
        }
        bool polygon = !st->yolo_kpt && ntok >= 7 && (ntok - 1) % 2 == 0;
        size_t nvals = polygon ? ntok - 1 : 4;
        double v4[4] = {0}, minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
        bool bad = false;
        const char *s = t1;
        for (size_t i = 0; i < nvals; i++) {
            while (s < le && is_ws(*s))
                s++;
            const char *e = s;
            while (e < le && !is_ws(*e))
                e++;
            double v;
            if (!parse_double(s, (size_t)(e - s), &v)) {
                add_issue(r, file, line, IE_ANNOT_MALFORMED, "'%s' is not a finite number",
                          quote(q, sizeof(q), s, (size_t)(e - s)));
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
        struct box *b = boxvec_push(bv);
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
            add_issue(r, file, line, IE_ANNOT_ZERO_SIZE,
                      "box has zero or negative size (width %.6g, height %.6g)", v4[2], v4[3]);
        else if (x0 < -EPS_NORM || y0 < -EPS_NORM || x1 > 1 + EPS_NORM || y1 > 1 + EPS_NORM)
            add_issue(r, file, line, IE_ANNOT_OUT_OF_BOUNDS,
                      "box [%.6g, %.6g, %.6g, %.6g] (x1 y1 x2 y2) reaches outside [0, 1]", x0, y0,
                      x1, y1);
    }
}

/* ---- JSON: a pre-scan, then cJSON ---- */

struct json_keys {
    bool object; /* the top level is an object */
    bool images, annotations, categories;
    int end_depth; /* containers still open at the end: the text was cut short */
};

/* Scans JSON text without building anything: nesting depth, the number of values (commas and
 * brackets, an upper bound) and which keys the top-level object has. It is not a validation
 * (cJSON does that next) but bounds what cJSON will allocate and how deep it will recurse.
 * Returns 0, or -1 with msg. */
static int json_prescan(const char *p, size_t n, int max_depth, size_t max_values,
                        struct json_keys *k, char *msg, size_t msgsz)
{
    int depth = 0;
    size_t values = 1;
    bool first = true;
    memset(k, 0, sizeof(*k));
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (is_ws(c))
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
                while (j < n && is_ws(p[j]))
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
    if (json_prescan(data, len, st->opt.max_depth, st->opt.max_json_values, &k, msg, sizeof(msg)) <
        0) {
        add_issue(r, file, 0, IE_ANNOT_PARSE_ERROR, "%s", msg);
        return NULL;
    }
    if (keys)
        *keys = k;
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(data, len, &end, false);
    if (doc) {
        /* Trailing garbage is an error as in Python's json.load. */
        const char *e = end;
        while (e < data + len && is_ws(*e))
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
        while (q < data + len && is_ws(*q))
            q++;
        if (q == data + len)
            add_issue(r, file, 0, IE_ANNOT_PARSE_ERROR, "empty file: JSON ends early");
        else if (k.end_depth > 0)
            add_issue(r, file, line, IE_ANNOT_PARSE_ERROR,
                      "JSON ends early at line %u (truncated file?)", line);
        else
            add_issue(r, file, line, IE_ANNOT_PARSE_ERROR,
                      "JSON syntax error at line %u, column %u", line, col);
    }
    return doc;
}

/* ---- COCO ---- */

struct coco_entry {
    char *file_name; /* NULL when missing */
    char *idkey;
    double w, h;
    bool sized, size_noted, skip;
    size_t alias; /* the first entry with the same file_name (itself when none) */
};

struct coco_doc {
    struct coco_entry *e;
    size_t n, cap;
    struct boxvec boxes; /* sorted by owner, then file order */
};

static void coco_doc_release(struct coco_doc *d)
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
        snprintf(out, outsz, "'%s'", quote(q, sizeof(q), key + 2, strlen(key + 2)));
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
static int coco_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                      const char *data, size_t len, struct coco_doc *doc)
{
    char key[256], key2[256], q[QUOTE_MAX * 4 + 8], idt[QUOTE_MAX * 4 + 16];
    struct ie_strmap cats, imgs, names;
    char **cat_keys = NULL;
    size_t *cat_cls = NULL, n_cats = 0;
    int rc = 0;
    cJSON *root = json_parse_checked(r, st, file, data, len, NULL);

    ie_strmap_init(&cats);
    ie_strmap_init(&imgs);
    ie_strmap_init(&names);
    if (!root) {
        rc = IE_EFORMAT;
        goto out;
    }
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    const cJSON *categories = cJSON_GetObjectItemCaseSensitive(root, "categories");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(images) || !cJSON_IsArray(anns)) {
        add_issue(r, file, 0, IE_ANNOT_PARSE_ERROR,
                  "not a COCO file: expected an object with \"images\" and \"annotations\" "
                  "arrays");
        rc = IE_EFORMAT;
        goto out;
    }
    /* Categories declare the classes, in file order. */
    if (cJSON_IsArray(categories)) {
        size_t n = (size_t)cJSON_GetArraySize(categories), i = 0;
        cat_keys = ie_xcalloc(n + 1, sizeof(*cat_keys));
        cat_cls = ie_xcalloc(n + 1, sizeof(*cat_cls));
        const cJSON *c;
        cJSON_ArrayForEach(c, categories)
        {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
            size_t idx, prev;
            if (!cJSON_IsObject(c) ||
                !coco_id_key(cJSON_GetObjectItemCaseSensitive(c, "id"), key, sizeof(key))) {
                add_issue(r, file, 0, IE_ANNOT_CONFIG, "categories[%zu] has no usable id", i);
                i++;
                continue;
            }
            if (ie_strmap_get(&cats, key, &prev)) {
                add_issue(r, file, 0, IE_ANNOT_CONFIG,
                          "categories[%zu]: category id %s is listed twice; the first is used", i,
                          coco_id_text(key, idt, sizeof(idt)));
                i++;
                continue;
            }
            if (cJSON_IsString(name)) {
                idx = class_intern(st, name->valuestring, true);
            } else {
                add_issue(r, file, 0, IE_ANNOT_CONFIG, "categories[%zu] has no name", i);
                idx = class_intern(st, strncmp(key, "s:", 2) == 0 ? key + 2 : key, true);
            }
            if (ie_strmap_get(&names, st->class_names[idx], &prev))
                add_issue(r, file, 0, IE_ANNOT_CONFIG,
                          "category name '%s' is used by several ids; they are counted together",
                          quote(q, sizeof(q), st->class_names[idx], strlen(st->class_names[idx])));
            else
                ie_strmap_put(&names, st->class_names[idx], idx);
            cat_keys[n_cats] = ie_xstrdup(key);
            cat_cls[n_cats] = idx;
            ie_strmap_put(&cats, cat_keys[n_cats], n_cats);
            n_cats++;
            i++;
        }
    } else {
        add_note(r, "%s has no categories: classes are named by their category_id", file);
    }

    /* Images. */
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
                add_issue(r, file, 0, IE_ANNOT_MALFORMED, "images[%zu] has no usable id", i++);
                continue;
            }
            if (ie_strmap_get(&imgs, key, &prev)) {
                add_issue(r, file, 0, IE_ANNOT_CONFLICT,
                          "images[%zu]: image id %s is listed twice; the first is used", i,
                          coco_id_text(key, idt, sizeof(idt)));
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
                    add_issue(r, file, 0, IE_ANNOT_CONFLICT,
                              "images[%zu]: file_name '%s' is listed twice; its annotations "
                              "are merged",
                              i, quote(q, sizeof(q), e->file_name, strlen(e->file_name)));
                    e->alias = prev;
                } else {
                    ie_strmap_put(&fnames, e->file_name, doc->n);
                }
            } else {
                add_issue(r, file, 0, IE_ANNOT_MALFORMED,
                          "images[%zu] (id %s) has no file_name; it is skipped", i,
                          coco_id_text(key, idt, sizeof(idt)));
                e->skip = true;
            }
            e->sized = get_pos_number(im, "width", &e->w) && get_pos_number(im, "height", &e->h);
            ie_strmap_put(&imgs, e->idkey, doc->n);
            doc->n++;
            i++;
        }
    }
    ie_strmap_release(&fnames);

    /* Annotations. */
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
                add_issue(r, file, 0, IE_ANNOT_MALFORMED, "%s is not an object", idt);
                continue;
            }
            if (!coco_id_key(cJSON_GetObjectItemCaseSensitive(a, "image_id"), key, sizeof(key))) {
                add_issue(r, file, 0, IE_ANNOT_MALFORMED, "%s has no usable image_id", idt);
                continue;
            }
            if (!ie_strmap_get(&imgs, key, &ei)) {
                add_issue(r, file, 0, IE_ANNOT_UNKNOWN_IMAGE, "%s: image_id %s is not in images",
                          idt, coco_id_text(key, key2, sizeof(key2)));
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
                add_issue(r, file, 0, IE_ANNOT_MALFORMED,
                          "%s: bbox is not [x, y, width, height] with 4 finite numbers", idt);
                continue;
            }
            const cJSON *cv = cJSON_GetObjectItemCaseSensitive(a, "category_id");
            if (!coco_id_key(cv, key, sizeof(key))) {
                add_issue(r, file, 0, IE_ANNOT_MALFORMED, "%s has no usable category_id", idt);
                continue;
            }
            if (ie_strmap_get(&cats, key, &ci)) {
                ci = cat_cls[ci];
            } else {
                if (cJSON_IsArray(categories))
                    add_issue(r, file, 0, IE_ANNOT_UNKNOWN_CLASS,
                              "%s: category_id %s is not in categories", idt,
                              coco_id_text(key, key2, sizeof(key2)));
                ci = class_intern(st, strncmp(key, "s:", 2) == 0 ? key + 2 : key, false);
            }
            struct box *b = boxvec_push(&doc->boxes);
            b->owner = (size_t)(e - doc->e);
            b->cls = ci;
            b->id = aid;
            b->id_is_index = by_index;
            memcpy(b->raw, v, sizeof(v));
            if (v[2] <= 0 || v[3] <= 0)
                add_issue(r, file, 0, IE_ANNOT_ZERO_SIZE,
                          "%s: box has zero or negative size (width %.6g, height %.6g)", idt, v[2],
                          v[3]);
            if (!e->sized) {
                if (!e->size_noted)
                    add_issue(r, file, 0, IE_ANNOT_MISSING_SIZE,
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
                add_issue(r, file, 0, IE_ANNOT_OUT_OF_BOUNDS,
                          "%s: box [%.6g, %.6g, %.6g, %.6g] reaches outside the %.6gx%.6g image",
                          idt, v[0], v[1], v[2], v[3], e->w, e->h);
        }
    }
    if (doc->boxes.n > 1)
        qsort(doc->boxes.v, doc->boxes.n, sizeof(*doc->boxes.v), cmp_box_owner);
out:
    cJSON_Delete(root);
    for (size_t i = 0; i < n_cats; i++)
        free(cat_keys[i]);
    free(cat_keys);
    free(cat_cls);
    ie_strmap_release(&cats);
    ie_strmap_release(&imgs);
    ie_strmap_release(&names);
    return rc;
}

/* ---- Pascal VOC (expat) ---- */

enum voc_el {
    V_OTHER,
    V_FILENAME,
    V_SIZE,
    V_WIDTH,
    V_HEIGHT,
    V_OBJECT,
    V_NAME,
    V_BNDBOX,
    V_XMIN,
    V_YMIN,
    V_XMAX,
    V_YMAX,
};
#define VOC_PATH 8

struct voc_obj {
    char *name;
    double c[4];   /* xmin ymin xmax ymax */
    unsigned have; /* bit per coordinate */
    uint32_t line;
    int bndboxes;
    bool bad;
};

struct voc_doc {
    char *filename;
    double w, h;
    bool sized;
    struct voc_obj *objs;
    size_t n, cap;
};

static void voc_doc_release(struct voc_doc *d)
{
    free(d->filename);
    for (size_t i = 0; i < d->n; i++)
        free(d->objs[i].name);
    free(d->objs);
    memset(d, 0, sizeof(*d));
}

struct voc_ctx {
    XML_Parser p;
    struct ie_annot_result *r;
    const char *file;
    int depth, max_depth;
    enum voc_el path[VOC_PATH];
    bool collecting, too_long;
    struct ie_buf text;
    char *width_s, *height_s;
    struct voc_doc *doc;
    bool in_object;
    char stop_msg[160];
};

static void voc_stop(struct voc_ctx *c, const char *msg)
{
    if (!c->stop_msg[0])
        snprintf(c->stop_msg, sizeof(c->stop_msg), "%s", msg);
    XML_StopParser(c->p, XML_FALSE);
}

static void XMLCALL voc_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct voc_ctx *c = ud;
    (void)attrs;
    int d = ++c->depth;
    if (d > c->max_depth) {
        char msg[80];
        snprintf(msg, sizeof(msg), "XML nested deeper than %d levels", c->max_depth);
        voc_stop(c, msg);
        return;
    }
    enum voc_el parent = d >= 2 && d - 1 < VOC_PATH ? c->path[d - 1] : V_OTHER;
    enum voc_el k = V_OTHER;
    if (d == 2) {
        if (strcmp(name, "filename") == 0)
            k = V_FILENAME;
        else if (strcmp(name, "size") == 0)
            k = V_SIZE;
        else if (strcmp(name, "object") == 0)
            k = V_OBJECT;
    } else if (d == 3 && parent == V_SIZE) {
        if (strcmp(name, "width") == 0)
            k = V_WIDTH;
        else if (strcmp(name, "height") == 0)
            k = V_HEIGHT;
    } else if (d == 3 && parent == V_OBJECT) {
        if (strcmp(name, "name") == 0)
            k = V_NAME;
        else if (strcmp(name, "bndbox") == 0)
            k = V_BNDBOX;
    } else if (d == 4 && parent == V_BNDBOX && c->doc->n > 0 &&
               c->doc->objs[c->doc->n - 1].bndboxes == 1) {
        /* Only the object's first bndbox counts, as ElementTree's find() takes the first. */
        static const char *const coords[] = {"xmin", "ymin", "xmax", "ymax"};
        for (int i = 0; i < 4; i++)
            if (strcmp(name, coords[i]) == 0)
                k = (enum voc_el)(V_XMIN + i);
    }
    if (d < VOC_PATH)
        c->path[d] = k;
    if (k == V_OBJECT) {
        ie_grow((void **)&c->doc->objs, &c->doc->cap, c->doc->n + 1, sizeof(*c->doc->objs));
        struct voc_obj *o = &c->doc->objs[c->doc->n++];
        memset(o, 0, sizeof(*o));
        o->line = (uint32_t)XML_GetCurrentLineNumber(c->p);
    } else if (k == V_BNDBOX) {
        c->doc->objs[c->doc->n - 1].bndboxes++;
    }
    c->collecting = k == V_FILENAME || k == V_WIDTH || k == V_HEIGHT || k == V_NAME ||
                    (k >= V_XMIN && k <= V_YMAX);
    c->too_long = false;
    ie_buf_reset(&c->text);
}

static void XMLCALL voc_text(void *ud, const XML_Char *s, int len)
{
    struct voc_ctx *c = ud;
    if (!c->collecting || len <= 0)
        return;
    if (c->text.len + (size_t)len > MAX_XML_TEXT) {
        c->too_long = true;
        return;
    }
    ie_buf_add(&c->text, s, (size_t)len);
}

/* The collected text, trimmed, malloc'd. */
static char *voc_take_text(struct voc_ctx *c)
{
    const char *s = c->text.data ? c->text.data : "";
    size_t n = c->text.len;
    while (n > 0 && is_ws(*s))
        s++, n--;
    while (n > 0 && is_ws(s[n - 1]))
        n--;
    return ie_xstrndup(s, n);
}

static void XMLCALL voc_end(void *ud, const XML_Char *name)
{
    struct voc_ctx *c = ud;
    char q[QUOTE_MAX * 4 + 8];
    int d = c->depth--;
    (void)name;
    if (d >= VOC_PATH || !c->collecting) {
        c->collecting = false;
        return;
    }
    enum voc_el k = c->path[d];
    c->collecting = false;
    uint32_t line = (uint32_t)XML_GetCurrentLineNumber(c->p);
    if (c->too_long) {
        add_issue(c->r, c->file, line, IE_ANNOT_MALFORMED, "<%s> text longer than %d bytes", name,
                  MAX_XML_TEXT);
        if (k >= V_XMIN && k <= V_YMAX)
            c->doc->objs[c->doc->n - 1].bad = true;
        return;
    }
    char *t = voc_take_text(c);
    switch (k) {
    case V_FILENAME:
        if (!c->doc->filename && *t) {
            c->doc->filename = t;
            t = NULL;
        }
        break;
    case V_WIDTH:
        if (!c->width_s) {
            c->width_s = t;
            t = NULL;
        }
        break;
    case V_HEIGHT:
        if (!c->height_s) {
            c->height_s = t;
            t = NULL;
        }
        break;
    case V_NAME: {
        struct voc_obj *o = &c->doc->objs[c->doc->n - 1];
        if (!o->name && *t) {
            o->name = t;
            t = NULL;
        }
        break;
    }
    case V_XMIN:
    case V_YMIN:
    case V_XMAX:
    case V_YMAX: {
        struct voc_obj *o = &c->doc->objs[c->doc->n - 1];
        int i = (int)(k - V_XMIN);
        if (o->have & (1u << i))
            break;
        if (!parse_double(t, strlen(t), &o->c[i])) {
            add_issue(c->r, c->file, line, IE_ANNOT_MALFORMED, "<%s> '%s' is not a finite number",
                      name, quote(q, sizeof(q), t, strlen(t)));
            o->bad = true;
        }
        o->have |= 1u << i;
        break;
    }
    default:
        break;
    }
    free(t);
}

static void XMLCALL voc_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    voc_stop(ud, "a DOCTYPE is not allowed in an annotation file (entity expansion risk)");
}

static void XMLCALL voc_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
                               int value_len, const XML_Char *base, const XML_Char *sysid,
                               const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    voc_stop(ud, "entity declarations are not allowed in an annotation file");
}

/* Parses a VOC XML file into doc (objects with raw coordinates; checks happen in voc_boxes).
 * Returns 0, or IE_EFORMAT with a PARSE_ERROR issue. */
static int voc_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                     const char *data, size_t len, struct voc_doc *doc)
{
    struct voc_ctx c;
    int rc = 0;
    memset(&c, 0, sizeof(c));
    c.r = r;
    c.file = file;
    c.doc = doc;
    c.max_depth = st->opt.max_depth;
    ie_buf_init(&c.text);
    c.p = XML_ParserCreate(NULL);
    if (!c.p)
        abort(); /* expat fails only when out of memory */
    XML_SetUserData(c.p, &c);
    XML_SetElementHandler(c.p, voc_start, voc_end);
    XML_SetCharacterDataHandler(c.p, voc_text);
    XML_SetStartDoctypeDeclHandler(c.p, voc_doctype);
    XML_SetEntityDeclHandler(c.p, voc_entity);
    XML_SetParamEntityParsing(c.p, XML_PARAM_ENTITY_PARSING_NEVER);
    if (len > INT_MAX || XML_Parse(c.p, data, (int)len, XML_TRUE) != XML_STATUS_OK) {
        uint32_t line = (uint32_t)XML_GetCurrentLineNumber(c.p);
        if (c.stop_msg[0])
            add_issue(r, file, line, IE_ANNOT_PARSE_ERROR, "%s", c.stop_msg);
        else
            add_issue(r, file, line, IE_ANNOT_PARSE_ERROR, "XML error: %s",
                      XML_ErrorString(XML_GetErrorCode(c.p)));
        rc = IE_EFORMAT;
        goto out;
    }
    doc->sized = c.width_s && c.height_s && parse_double(c.width_s, strlen(c.width_s), &doc->w) &&
                 parse_double(c.height_s, strlen(c.height_s), &doc->h) && doc->w > 0 && doc->h > 0;
out:
    XML_ParserFree(c.p);
    ie_buf_release(&c.text);
    free(c.width_s);
    free(c.height_s);
    return rc;
}

/* Turns the objects of doc into boxes, reporting bad ones. */
static void voc_boxes(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                      const struct voc_doc *doc, struct boxvec *bv)
{
    static const char *const coords[] = {"xmin", "ymin", "xmax", "ymax"};
    if (!doc->sized && doc->n > 0)
        add_issue(r, file, 0, IE_ANNOT_MISSING_SIZE,
                  "no positive <size><width>/<height>: boxes cannot be normalised");
    for (size_t i = 0; i < doc->n; i++) {
        const struct voc_obj *o = &doc->objs[i];
        if (o->bad)
            continue;
        if (!o->name)
            add_issue(r, file, o->line, IE_ANNOT_MALFORMED,
                      "object without <name>: counted as class 'unknown'");
        if (o->bndboxes == 0) {
            add_issue(r, file, o->line, IE_ANNOT_MALFORMED, "object without <bndbox>");
            continue;
        }
        if (o->have != 0xF) {
            int miss = 0;
            while (o->have & (1u << miss))
                miss++;
            add_issue(r, file, o->line, IE_ANNOT_MALFORMED, "<bndbox> lacks <%s>", coords[miss]);
            continue;
        }
        struct box *b = boxvec_push(bv);
        b->line = o->line;
        b->cls = class_intern(st, o->name ? o->name : "unknown", false);
        memcpy(b->raw, o->c, sizeof(b->raw));
        double w = o->c[2] - o->c[0], h = o->c[3] - o->c[1];
        if (w <= 0 || h <= 0)
            add_issue(r, file, o->line, IE_ANNOT_ZERO_SIZE,
                      "box has zero or negative size (xmax - xmin = %.6g, ymax - ymin = %.6g)", w,
                      h);
        if (!doc->sized)
            continue;
        b->sized = true;
        b->nw = w / doc->w;
        b->nh = h / doc->h;
        b->area = b->nw * b->nh;
        if (w > 0 && h > 0 &&
            (o->c[0] < -EPS_PIXELS || o->c[1] < -EPS_PIXELS || o->c[2] > doc->w + EPS_PIXELS ||
             o->c[3] > doc->h + EPS_PIXELS))
            add_issue(r, file, o->line, IE_ANNOT_OUT_OF_BOUNDS,
                      "box [%.6g, %.6g, %.6g, %.6g] reaches outside the %.6gx%.6g image", o->c[0],
                      o->c[1], o->c[2], o->c[3], doc->w, doc->h);
    }
}

/* ---- the dataset on disk ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Non-hidden entries of dir: subdirectories (want_dirs) or regular files with extension ext
 * (any when NULL), sorted. Symlinks are followed. Returns NULL (and *n = 0) when dir cannot be
 * read. */
static char **list_dir(const char *dir, bool want_dirs, const char *ext, size_t *n)
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
        char *full = join2(dir, de->d_name);
        bool keep = want_dirs ? is_dir(full)
                              : is_file(full) && (!ext || strcasecmp(ext_of(de->d_name), ext) == 0);
        free(full);
        if (!keep)
            continue;
        ie_grow((void **)&v, &cap, *n + 1, sizeof(*v));
        v[(*n)++] = ie_xstrdup(de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_str);
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
        char *full = join2(dir, de->d_name);
        struct stat st;
        if (lstat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                found = dir_has_image(full, depth - 1);
            else
                found = is_image_name(de->d_name);
        }
        free(full);
    }
    closedir(d);
    return found;
}

/* Image files (imgeda's extensions) and .txt files under the root, relative paths (bytes as on
 * disk), sorted. Hidden entries are skipped; symlinked directories are followed once each. */
struct walk {
    char **images;
    size_t n_images, cap_images;
    char **texts;
    size_t n_texts, cap_texts;
    size_t files;
    struct ie_strmap seen_dirs; /* "dev:ino" of directories already walked */
    char **seen_keys;
    size_t n_seen, cap_seen;
    bool depth_noted;
};

static void walk_release(struct walk *w)
{
    free_strv(w->images, w->n_images);
    free_strv(w->texts, w->n_texts);
    ie_strmap_release(&w->seen_dirs);
    free_strv(w->seen_keys, w->n_seen);
    memset(w, 0, sizeof(*w));
}

static int walk_dir(struct ie_annot_result *r, const struct ie_annot_options *o, const char *root,
                    const char *rel, int depth, struct walk *w, struct ie_err *err)
{
    char *dir = join2(root, rel);
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
            add_note(r, "folders deeper than %d levels were not looked into", o->max_depth);
        w->depth_noted = true;
        goto out;
    }
    d = opendir(dir);
    if (!d) {
        if (*rel)
            add_note(r, "cannot read folder %s: %s", rel, strerror(errno));
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
        char *sub = join2(rel, de->d_name);
        char *full = join2(root, sub);
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
        } else if (isreg && is_image_name(de->d_name)) {
            ie_grow((void **)&w->images, &w->cap_images, w->n_images + 1, sizeof(*w->images));
            w->images[w->n_images++] = sub;
        } else if (isreg && strcasecmp(ext_of(de->d_name), "txt") == 0) {
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

static int walk_tree(struct ie_annot_result *r, const struct ie_annot_options *o, const char *root,
                     struct walk *w, struct ie_err *err)
{
    int rc = walk_dir(r, o, root, "", 0, w, err);
    if (rc < 0)
        return rc;
    if (w->n_images)
        qsort(w->images, w->n_images, sizeof(*w->images), cmp_str);
    if (w->n_texts)
        qsort(w->texts, w->n_texts, sizeof(*w->texts), cmp_str);
    return 0;
}

/* True when a component of rel (before the file name) equals name (case-insensitive when ci). */
static bool has_component(const char *rel, const char *name, bool ci)
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
static const char *path_split(const char *rel, char *out, size_t outsz)
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
            if (is_split_name(out)) {
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

/* Image files of the dataset with lookups by relative path, file name and stem. */
struct img_index {
    const char **rel; /* borrowed from the walk, sorted */
    size_t n;
    size_t *split;
    unsigned char *claimed;
    char **stems;
    struct ie_strmap by_rel, by_base, by_stem;
    size_t *next_base, *next_stem; /* chains of images sharing a name / stem; SIZE_MAX ends */
};

static void img_index_release(struct img_index *ix)
{
    free(ix->rel);
    free(ix->split);
    free(ix->claimed);
    free_strv(ix->stems, ix->n);
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
static void img_index_build(struct img_index *ix, struct ie_annot_state *st, const struct walk *w,
                            bool (*keep)(const char *rel))
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
        chain_put(&ix->by_base, ix->next_base, base_name(ix->rel[i]), i);
        ix->stems[i] = strip_ext(base_name(ix->rel[i]));
        chain_put(&ix->by_stem, ix->next_stem, ix->stems[i], i);
        ix->split[i] = split_intern(st, path_split(ix->rel[i], split, sizeof(split)));
    }
}

/* The image an annotation names: by relative path, then by a path ending in name (when name has
 * folders), then by file name alone (stem alone when by_stem); among several, the one in split
 * `prefer` (SIZE_MAX: none). SIZE_MAX when none fits; *ambiguous when several fit equally. */
static size_t img_find(const struct img_index *ix, const char *name, bool by_stem, size_t prefer,
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
    if (ie_strmap_get(m, base_name(p), &i)) {
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
static int read_annotation(struct ie_annot_result *r, const char *root, const char *rel, size_t cap,
                           char **data, size_t *len)
{
    struct ie_err e = {0};
    char *full = join2(root, rel);
    int rc = ie_read_file(full, cap, data, len, &e);
    free(full);
    if (rc < 0) {
        if (rc == IE_ELIMIT)
            add_issue(r, rel, 0, IE_ANNOT_PARSE_ERROR, "larger than the %zu-byte limit", cap);
        else
            add_issue(r, rel, 0, IE_ANNOT_PARSE_ERROR, "cannot read: %s", strerror(errno));
    }
    return rc;
}

/* Feeds the images of ix that no annotation claimed: unannotated, listed as orphans. */
static void feed_unclaimed(struct ie_annot_result *r, struct ie_annot_state *st,
                           const struct img_index *ix, bool orphans)
{
    struct boxvec none = {0};
    for (size_t i = 0; i < ix->n; i++) {
        if (ix->claimed[i])
            continue;
        acc_image(r, st, ix->split[i], &none, false, ix->rel[i], orphans ? ix->rel[i] : NULL);
        if (orphans)
            add_missing_annotation(r, ix->rel[i]);
    }
}

static void note_annotation_only(struct ie_annot_result *r)
{
    add_note(r, "no image files found: statistics come from the annotations alone and orphans "
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
        return is_file(path); /* too large to read: still a data.yaml, analysis reports it */
    for (const char *p = data; p < data + len && !found;) {
        const char *eol = memchr(p, '\n', (size_t)(data + len - p));
        const char *e = eol ? eol : data + len;
        while (p < e && is_ws(*p))
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
static void coco_file_split(const char *rel, char *out, size_t outsz)
{
    path_split(rel, out, outsz);
    if (*out)
        return;
    char *stem = strip_ext(base_name(rel));
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
static char **coco_find(const char *root, const struct ie_annot_options *o, bool first_only,
                        size_t *n_out)
{
    char **out = NULL;
    size_t n = 0, cap = 0, n_sub = 0;
    char **subs = list_dir(root, true, NULL, &n_sub);
    /* Folders to look in, in order. */
    char **dirs = ie_xcalloc(n_sub + 2, sizeof(*dirs));
    size_t nd = 0;
    dirs[nd++] = ie_xstrdup("annotations");
    for (size_t i = 0; i < n_sub; i++)
        if (is_split_name(subs[i]))
            dirs[nd++] = ie_xstrdup(subs[i]);
    dirs[nd++] = ie_xstrdup("");
    free_strv(subs, n_sub);
    for (size_t d = 0; d < nd && !(first_only && n); d++) {
        char *full = join2(root, dirs[d]);
        size_t nf = 0;
        char **files = list_dir(full, false, "json", &nf);
        for (size_t i = 0; i < nf && !(first_only && n); i++) {
            char *rel = join2(dirs[d], files[i]);
            char *path = join2(root, rel);
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
                (void)json_prescan(p, len, o->max_depth, o->max_json_values, &k, msg, sizeof(msg));
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
        free_strv(files, nf);
        free(full);
    }
    free_strv(dirs, nd);
    *n_out = n;
    return out;
}

/* Classification layout: split folders holding class folders (beyond imgeda), or imgeda's rule:
 * no labels/annotations folders, at least 3 folders, at least half of them with images. */
static bool detect_classification(const char *root, int max_depth, bool *with_splits)
{
    static const char *const ann_dirs[] = {"labels", "annotations", "Annotations"};
    size_t n = 0;
    char **subs;
    bool yes = false;
    *with_splits = false;
    for (size_t i = 0; i < IE_ARRAY_LEN(ann_dirs); i++) {
        char *p = join2(root, ann_dirs[i]);
        bool d = is_dir(p);
        free(p);
        if (d)
            return false;
    }
    subs = list_dir(root, true, NULL, &n);
    bool all_splits = n > 0;
    for (size_t i = 0; i < n; i++)
        all_splits = all_splits && is_split_name(subs[i]);
    if (all_splits) {
        struct ie_strmap classes;
        ie_strmap_init(&classes);
        char **names = NULL;
        size_t n_names = 0, cap_names = 0;
        for (size_t i = 0; i < n; i++) {
            char *sd = join2(root, subs[i]);
            size_t nc = 0;
            char **cls = list_dir(sd, true, NULL, &nc);
            for (size_t j = 0; j < nc; j++) {
                char *cd = join2(sd, cls[j]);
                size_t dummy;
                if (dir_has_image(cd, max_depth) && !ie_strmap_get(&classes, cls[j], &dummy)) {
                    ie_grow((void **)&names, &cap_names, n_names + 1, sizeof(*names));
                    names[n_names] = ie_xstrdup(cls[j]);
                    ie_strmap_put(&classes, names[n_names], 0);
                    n_names++;
                }
                free(cd);
            }
            free_strv(cls, nc);
            free(sd);
        }
        yes = n_names >= 2;
        *with_splits = yes;
        ie_strmap_release(&classes);
        free_strv(names, n_names);
    }
    if (!yes && n >= 3) {
        size_t with = 0;
        for (size_t i = 0; i < n; i++) {
            char *p = join2(root, subs[i]);
            with += dir_has_image(p, max_depth);
            free(p);
        }
        yes = (double)with >= (double)n * 0.5;
    }
    free_strv(subs, n);
    return yes;
}

static bool voc_has_xml(const char *root)
{
    char *dir = join2(root, "Annotations");
    size_t n = 0;
    char **xml = list_dir(dir, false, "xml", &n);
    free_strv(xml, n);
    free(dir);
    return n > 0;
}

static int check_root(const char *root, struct ie_err *err)
{
    struct stat st;
    if (stat(root, &st) < 0)
        return ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open %s: %s", root,
                          strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ie_err_set(err, IE_EINVAL, "%s is not a directory", root);
    return 0;
}

static int detect_layout(const char *root, const struct ie_annot_options *o,
                         enum ie_annot_format *out, bool *cls_splits, struct ie_err *err)
{
    int rc = check_root(root, err);
    if (rc < 0)
        return rc;
    *cls_splits = false;
    char *yaml = join2(root, "data.yaml");
    bool yolo = is_file(yaml) && yaml_has_keys(yaml, o->max_text_bytes);
    free(yaml);
    if (yolo) {
        *out = IE_ANNOT_YOLO;
        return 0;
    }
    size_t n = 0;
    char **coco = coco_find(root, o, true, &n);
    free_strv(coco, n);
    if (n) {
        *out = IE_ANNOT_COCO;
        return 0;
    }
    if (voc_has_xml(root)) {
        *out = IE_ANNOT_VOC;
        return 0;
    }
    *out = detect_classification(root, o->max_depth, cls_splits) ? IE_ANNOT_CLASSIFICATION
                                                                 : IE_ANNOT_FLAT;
    return 0;
}

int ie_annot_detect(const char *root, enum ie_annot_format *out, struct ie_err *err)
{
    struct ie_annot_options o;
    bool splits;
    ie_annot_options_init(&o);
    return detect_layout(root, &o, out, &splits, err);
}

/* ---- YOLO ---- */

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
        char *j = join2(path, val);
        cand = norm_rel(j);
        free(j);
        if (cand) {
            char *full = join2(root, cand);
            bool ok = is_dir(full);
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
            char *full = join2(root, cand);
            bool ok = is_dir(full);
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
    char *stem = strip_ext(img);
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
    return strcmp(base_name(rel), "classes.txt") == 0;
}

/* Darknet's classes.txt (one name per line) declares the classes when data.yaml does not. */
static void yolo_classes_txt(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                             const struct walk *w)
{
    for (size_t i = 0; i < w->n_texts && !st->yolo_declared; i++) {
        const char *rel = w->texts[i];
        if (!is_classes_txt(rel) || (strchr(rel, '/') && !has_component(rel, "labels", false)))
            continue;
        char *data = NULL;
        size_t len, id = 0;
        if (read_annotation(r, root, rel, r->state->opt.max_text_bytes, &data, &len) < 0)
            continue;
        for (char *p = data; p < data + len;) {
            char *eol = memchr(p, '\n', (size_t)(data + len - p));
            char *e = eol ? eol : data + len;
            char *s = p;
            while (s < e && is_ws(*s))
                s++;
            while (e > s && is_ws(e[-1]))
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
            add_note(r, "classes declared by %s", rel);
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
    if (read_annotation(r, root, rel, st->opt.max_text_bytes, &data, &len) == 0)
        yolo_parse(r, st, rel, data, len, &bv);
    if (image)
        acc_image(r, st, split, &bv, false, rel, image);
    free(bv.v);
    free(data);
}

static int analyze_yolo(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                        const struct walk *w, bool forced, struct ie_err *err)
{
    struct yolo_config cfg = {0};
    struct img_index ix;
    struct ie_strmap labels;
    unsigned char *claimed = NULL;
    char *yaml = join2(root, "data.yaml");
    bool has_yaml = is_file(yaml);
    int rc = 0;

    ie_strmap_init(&labels);
    memset(&ix, 0, sizeof(ix));
    if (has_yaml) {
        char *data = NULL;
        size_t len;
        if (read_annotation(r, root, "data.yaml", st->opt.max_text_bytes, &data, &len) == 0)
            yolo_load_yaml(r, st, "data.yaml", data, len, &cfg);
        free(data);
    }
    if (!st->yolo_declared)
        yolo_classes_txt(r, st, root, w);
    for (size_t i = 0; i < cfg.n_vals; i++) {
        const char *v = cfg.split_vals[i];
        char q[QUOTE_MAX * 4 + 8];
        if (has_suffix_ci(v, ".txt")) {
            add_note(r, "data.yaml %s: image list files are not read; splits come from folders",
                     cfg.split_keys[i]);
            continue;
        }
        char *dir = yolo_resolve_dir(root, cfg.path, v);
        if (!dir) {
            add_issue(r, "data.yaml", cfg.split_lines[i], IE_ANNOT_CONFIG,
                      "%s: '%s' is not a folder under the dataset root", cfg.split_keys[i],
                      quote(q, sizeof(q), v, strlen(v)));
            continue;
        }
        ie_grow((void **)&cfg.dirs, &cfg.cap_dirs, cfg.n_dirs + 1, sizeof(*cfg.dirs));
        cfg.dirs[cfg.n_dirs].split = ie_xstrdup(cfg.split_keys[i]);
        cfg.dirs[cfg.n_dirs].rel = dir;
        cfg.n_dirs++;
    }

    img_index_build(&ix, st, w, NULL);
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
            ix.split[i] = split_intern(st, cfg.dirs[best].split);
    }
    for (size_t i = 0; i < w->n_texts; i++)
        ie_strmap_put(&labels, w->texts[i], i);
    claimed = ie_xcalloc(w->n_texts + 1, 1);
    if (ix.n == 0)
        note_annotation_only(r);
    for (size_t i = 0; i < ix.n; i++) {
        char *a, *b;
        size_t li = SIZE_MAX, tmp;
        yolo_label_paths(ix.rel[i], &a, &b);
        if (a && ie_strmap_get(&labels, a, &tmp))
            li = tmp;
        else if (ie_strmap_get(&labels, b, &tmp) && !is_classes_txt(b))
            li = tmp;
        free(a);
        free(b);
        if (li == SIZE_MAX)
            continue;
        if (claimed[li])
            add_issue(r, w->texts[li], 0, IE_ANNOT_CONFLICT,
                      "label file used by more than one image (also %s)", ix.rel[i]);
        claimed[li] = 1;
        ix.claimed[i] = 1;
        yolo_feed_label(r, st, root, w->texts[li], ix.split[i], ix.rel[i]);
    }
    /* Label files without an image: orphans (parsed for their issues), or the whole dataset
     * when there are no image files. */
    for (size_t i = 0; i < w->n_texts; i++) {
        const char *rel = w->texts[i];
        char split[64];
        if (claimed[i] || !has_component(rel, "labels", false) || is_classes_txt(rel))
            continue;
        if (ix.n)
            add_orphan_annotation(r, rel);
        yolo_feed_label(r, st, root, rel, split_intern(st, path_split(rel, split, sizeof(split))),
                        ix.n == 0 ? rel : NULL);
    }
    feed_unclaimed(r, st, &ix, true);
    if (r->annotation_files == 0 && forced && !has_yaml) {
        rc = ie_err_set(err, IE_EINVAL,
                        "no YOLO dataset in %s: no data.yaml and no label files (labels/*.txt "
                        "or a .txt next to each image)",
                        root);
        goto out;
    }
    if (r->annotation_files == 0)
        add_note(r, "no label files found (labels/*.txt next to images/)");
out:
    free(yaml);
    free(claimed);
    ie_strmap_release(&labels);
    img_index_release(&ix);
    yolo_config_release(&cfg);
    return rc;
}

/* ---- COCO ---- */

/* Feeds the entries of one parsed COCO file. */
static void coco_feed(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                      const char *file_split, struct coco_doc *doc, struct img_index *ix,
                      char **claimed_by)
{
    char q[QUOTE_MAX * 4 + 8];
    size_t bi = 0;
    size_t fsplit = SIZE_MAX;
    if (*file_split)
        fsplit = split_intern(st, file_split);
    for (size_t i = 0; i < doc->n; i++) {
        struct coco_entry *e = &doc->e[i];
        size_t start = bi;
        while (bi < doc->boxes.n && doc->boxes.v[bi].owner == i)
            bi++;
        if (e->skip || e->alias != i)
            continue;
        struct boxvec view = {&doc->boxes.v[start], bi - start, bi - start};
        if (ix->n == 0) {
            char split[64];
            size_t sp = fsplit != SIZE_MAX
                            ? fsplit
                            : split_intern(st, path_split(e->file_name, split, sizeof(split)));
            acc_image(r, st, sp, &view, false, file, e->file_name);
            continue;
        }
        bool amb;
        size_t im = img_find(ix, e->file_name, false, fsplit, &amb);
        if (im == SIZE_MAX) {
            struct ie_buf b;
            ie_buf_init(&b);
            ie_buf_addf(&b, "%s (in %s)", e->file_name, file);
            add_orphan_annotation(r, b.data);
            ie_buf_release(&b);
            continue;
        }
        if (amb)
            add_issue(r, file, 0, IE_ANNOT_CONFLICT,
                      "file_name '%s' fits several images; %s is used",
                      quote(q, sizeof(q), e->file_name, strlen(e->file_name)), ix->rel[im]);
        if (ix->claimed[im]) {
            add_issue(r, file, 0, IE_ANNOT_CONFLICT,
                      "%s is already annotated by %s; this entry is not counted", ix->rel[im],
                      claimed_by[im]);
            continue;
        }
        ix->claimed[im] = 1;
        claimed_by[im] = ie_xstrdup(file);
        acc_image(r, st, fsplit != SIZE_MAX ? fsplit : ix->split[im], &view, false, file,
                  ix->rel[im]);
    }
}

static int analyze_coco(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                        const struct walk *w, bool forced, struct ie_err *err)
{
    struct img_index ix;
    size_t n = 0;
    char **files = coco_find(root, &st->opt, false, &n);
    char **claimed_by = NULL;
    int rc = 0;

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
        any_instances = any_instances || strncmp(base_name(files[i]), "instances", 9) == 0;
    img_index_build(&ix, st, w, NULL);
    r->image_files = ix.n;
    claimed_by = ie_xcalloc(ix.n + 1, sizeof(*claimed_by));
    if (ix.n == 0)
        note_annotation_only(r);
    for (size_t i = 0; i < n; i++) {
        char split[64], *data = NULL;
        size_t len;
        struct coco_doc doc = {0};
        if (any_instances && strncmp(base_name(files[i]), "instances", 9) != 0) {
            add_note(r, "%s skipped: the instances_* files hold the boxes", files[i]);
            continue;
        }
        r->annotation_files++;
        if (read_annotation(r, root, files[i], st->opt.max_json_bytes, &data, &len) < 0)
            continue;
        if (coco_parse(r, st, files[i], data, len, &doc) == 0) {
            coco_file_split(files[i], split, sizeof(split));
            coco_feed(r, st, files[i], split, &doc, &ix, claimed_by);
        }
        coco_doc_release(&doc);
        free(data);
    }
    feed_unclaimed(r, st, &ix, true);
out:
    if (claimed_by)
        free_strv(claimed_by, ix.n);
    img_index_release(&ix);
    free_strv(files, n);
    return rc;
}

/* ---- VOC ---- */

static bool voc_image_keep_jpeg(const char *rel)
{
    return strncmp(rel, "JPEGImages/", 11) == 0;
}

static bool voc_image_keep_other(const char *rel)
{
    return !has_component(rel, "SegmentationClass", false) &&
           !has_component(rel, "SegmentationObject", false);
}

/* ImageSets/Main/{train,val,test}.txt (trainval when neither train nor val exists): image id
 * -> split. Keys are owned by *keys. */
static void voc_image_sets(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                           struct ie_strmap *map, char ***keys, size_t *n_keys)
{
    static const char *const lists[] = {"train", "val", "test", "trainval"};
    size_t cap = 0;
    bool have_tv = false;
    for (size_t l = 0; l < IE_ARRAY_LEN(lists); l++) {
        char rel[64], *data = NULL;
        size_t len;
        snprintf(rel, sizeof(rel), "ImageSets/Main/%s.txt", lists[l]);
        char *full = join2(root, rel);
        bool exists = is_file(full);
        free(full);
        if (!exists || (l == 3 && have_tv))
            continue;
        if (l < 2)
            have_tv = true;
        if (read_annotation(r, root, rel, st->opt.max_text_bytes, &data, &len) < 0)
            continue;
        size_t sp = split_intern(st, lists[l]);
        for (char *p = data; p < data + len;) {
            char *eol = memchr(p, '\n', (size_t)(data + len - p));
            char *e = eol ? eol : data + len;
            while (p < e && is_ws(*p))
                p++;
            char *t = p;
            while (t < e && !is_ws(*t))
                t++;
            if (t > p) {
                char *id = ie_xstrndup(p, (size_t)(t - p));
                size_t prev;
                if (ie_strmap_get(map, id, &prev)) {
                    free(id);
                } else {
                    ie_grow((void **)keys, &cap, *n_keys + 1, sizeof(**keys));
                    (*keys)[(*n_keys)++] = id;
                    ie_strmap_put(map, id, sp);
                }
            }
            p = eol ? eol + 1 : data + len;
        }
        free(data);
    }
}

static int analyze_voc(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                       const struct walk *w, bool forced, struct ie_err *err)
{
    struct img_index ix;
    struct ie_strmap sets;
    char **set_keys = NULL, **xml = NULL;
    size_t n_set_keys = 0, n_xml = 0;
    char *ann_dir = join2(root, "Annotations"), *jpeg_dir = join2(root, "JPEGImages");
    int rc = 0;

    memset(&ix, 0, sizeof(ix));
    ie_strmap_init(&sets);
    xml = list_dir(ann_dir, false, "xml", &n_xml);
    if (n_xml == 0 && forced) {
        rc = ie_err_set(err, IE_EINVAL, "no Pascal VOC annotations in %s: no Annotations/*.xml",
                        root);
        goto out;
    }
    /* Images outside JPEGImages/ (masks in SegmentationClass/, ...) are not the dataset's. */
    img_index_build(&ix, st, w, is_dir(jpeg_dir) ? voc_image_keep_jpeg : voc_image_keep_other);
    r->image_files = ix.n;
    voc_image_sets(r, st, root, &sets, &set_keys, &n_set_keys);
    for (size_t i = 0; i < ix.n; i++) {
        size_t sp;
        if (ie_strmap_get(&sets, ix.stems[i], &sp))
            ix.split[i] = sp;
    }
    if (ix.n == 0)
        note_annotation_only(r);
    for (size_t i = 0; i < n_xml; i++) {
        char *rel = join2("Annotations", xml[i]), *data = NULL;
        char *xml_stem = strip_ext(xml[i]);
        size_t len;
        struct voc_doc doc = {0};
        struct boxvec bv = {0};
        r->annotation_files++;
        if (read_annotation(r, root, rel, st->opt.max_xml_bytes, &data, &len) < 0 ||
            voc_parse(r, st, rel, data, len, &doc) < 0) {
            /* The image still has an annotation file (a broken one, reported as such): it is
             * unannotated but not an orphan. */
            bool amb;
            size_t im = ix.n ? img_find(&ix, xml_stem, true, SIZE_MAX, &amb) : SIZE_MAX;
            if (im != SIZE_MAX && !ix.claimed[im]) {
                ix.claimed[im] = 1;
                acc_image(r, st, ix.split[im], &bv, false, rel, ix.rel[im]);
            } else if (ix.n) {
                add_orphan_annotation(r, rel);
            }
            goto next;
        }
        voc_boxes(r, st, rel, &doc, &bv);
        if (ix.n == 0) {
            size_t sp;
            if (!ie_strmap_get(&sets, xml_stem, &sp))
                sp = split_intern(st, "");
            acc_image(r, st, sp, &bv, false, rel, rel);
            goto next;
        }
        bool amb = false;
        size_t im = SIZE_MAX;
        if (doc.filename) {
            im = img_find(&ix, doc.filename, false, SIZE_MAX, &amb);
            if (im == SIZE_MAX) {
                char *stem = strip_ext(base_name(doc.filename));
                im = img_find(&ix, stem, true, SIZE_MAX, &amb);
                free(stem);
            }
        }
        if (im == SIZE_MAX)
            im = img_find(&ix, xml_stem, true, SIZE_MAX, &amb);
        if (im == SIZE_MAX) {
            add_orphan_annotation(r, rel);
            goto next;
        }
        if (amb)
            add_issue(r, rel, 0, IE_ANNOT_CONFLICT,
                      "the image name fits several images; %s is used", ix.rel[im]);
        if (ix.claimed[im]) {
            add_issue(r, rel, 0, IE_ANNOT_CONFLICT,
                      "%s is already annotated by another XML file; this one is not counted",
                      ix.rel[im]);
            goto next;
        }
        ix.claimed[im] = 1;
        acc_image(r, st, ix.split[im], &bv, false, rel, ix.rel[im]);
    next:
        free(bv.v);
        voc_doc_release(&doc);
        free(data);
        free(xml_stem);
        free(rel);
    }
    feed_unclaimed(r, st, &ix, true);
out:
    free_strv(xml, n_xml);
    free_strv(set_keys, n_set_keys);
    ie_strmap_release(&sets);
    img_index_release(&ix);
    free(ann_dir);
    free(jpeg_dir);
    return rc;
}

/* ---- classification and flat ---- */

static int analyze_classification(struct ie_annot_result *r, struct ie_annot_state *st,
                                  const char *root, const struct walk *w, bool with_splits,
                                  bool forced, struct ie_err *err)
{
    size_t n_sub = 0;
    char **subs = list_dir(root, true, NULL, &n_sub);
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
        qsort(names, nn, sizeof(*names), cmp_str);
    for (size_t i = 0; i < nn; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            class_intern(st, names[i], true);
    free_strv(names, nn);
    if (!with_splits) {
        for (size_t i = 0; i < n_sub; i++) {
            size_t idx;
            if (!ie_strmap_get(&st->class_index, subs[i], &idx))
                add_note(r, "class folder '%s' holds no images", subs[i]);
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
            sp = split_intern(st, split);
            cls = s ? s + 1 : rel;
        } else {
            sp = split_intern(st, "");
        }
        const char *slash = strchr(cls, '/');
        if (!slash || (with_splits && cls == rel)) {
            acc_image(r, st, sp, &bv, true, rel, rel);
            add_missing_annotation(r, rel);
            continue;
        }
        char *name = ie_xstrndup(cls, (size_t)(slash - cls));
        struct box *b = boxvec_push(&bv);
        b->cls = class_intern(st, name, true);
        free(name);
        acc_image(r, st, sp, &bv, true, rel, rel);
        free(bv.v);
    }
out:
    free_strv(subs, n_sub);
    return rc;
}

static void analyze_flat(struct ie_annot_result *r, struct ie_annot_state *st, const struct walk *w)
{
    struct boxvec none = {0};
    char split[64];
    for (size_t i = 0; i < w->n_images; i++)
        acc_image(r, st, split_intern(st, path_split(w->images[i], split, sizeof(split))), &none,
                  false, w->images[i], NULL);
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
    rc = check_root(root, err);
    if (rc < 0)
        goto out;
    struct ie_annot_state *st = state_get(r, o);
    free(r->root);
    r->root = clean_line(root, strlen(root));
    fmt = o->format;
    r->detected = fmt == IE_ANNOT_AUTO;
    if (fmt == IE_ANNOT_AUTO) {
        rc = detect_layout(root, &st->opt, &fmt, &cls_splits, err);
        if (rc < 0)
            goto out;
    } else if (fmt == IE_ANNOT_CLASSIFICATION) {
        (void)detect_classification(root, st->opt.max_depth, &cls_splits);
    }
    r->format = fmt;
    rc = walk_tree(r, &st->opt, root, &w, err);
    if (rc < 0)
        goto out;
    r->image_files = w.n_images;
    switch (fmt) {
    case IE_ANNOT_YOLO:
        rc = analyze_yolo(r, st, root, &w, !r->detected, err);
        break;
    case IE_ANNOT_COCO:
        rc = analyze_coco(r, st, root, &w, !r->detected, err);
        break;
    case IE_ANNOT_VOC:
        rc = analyze_voc(r, st, root, &w, !r->detected, err);
        break;
    case IE_ANNOT_CLASSIFICATION:
        rc = analyze_classification(r, st, root, &w, cls_splits, !r->detected, err);
        break;
    default:
        analyze_flat(r, st, &w);
        add_note(r, "flat layout: no annotations to analyse");
        break;
    }
    if (rc < 0)
        goto out;
    ie_annot_result_finish(r);
out:
    walk_release(&w);
    return rc;
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
    path_split(name, split, sizeof(split));
    if (f == IE_ANNOT_YOLO) {
        if (has_suffix_ci(name, ".yaml") || has_suffix_ci(name, ".yml"))
            return yolo_load_yaml(r, st, name, data, len, NULL);
        r->annotation_files++;
        yolo_parse(r, st, name, data, len, &bv);
        acc_image(r, st, split_intern(st, split), &bv, false, name, name);
    } else if (f == IE_ANNOT_COCO) {
        struct coco_doc doc = {0};
        struct img_index none;
        memset(&none, 0, sizeof(none));
        r->annotation_files++;
        char fsplit[64];
        coco_file_split(name, fsplit, sizeof(fsplit));
        rc = coco_parse(r, st, name, data, len, &doc);
        if (rc == 0)
            coco_feed(r, st, name, fsplit, &doc, &none, NULL);
        coco_doc_release(&doc);
    } else {
        struct voc_doc doc = {0};
        r->annotation_files++;
        rc = voc_parse(r, st, name, data, len, &doc);
        if (rc == 0) {
            voc_boxes(r, st, name, &doc, &bv);
            acc_image(r, st, split_intern(st, split), &bv, false, name, name);
        }
        voc_doc_release(&doc);
    }
    free(bv.v);
    return rc;
}

/* ---- summary ---- */

static int split_rank(const char *name)
{
    static const char *const order[] = {"train", "trainval", "val", "valid", "validation", "test"};
    for (size_t i = 0; i < IE_ARRAY_LEN(order); i++)
        if (strcmp(name, order[i]) == 0)
            return (int)i;
    return strcmp(name, "unsplit") == 0 ? 1000 : 100;
}

static int cmp_split(const void *pa, const void *pb)
{
    const struct ie_annot_split *a = pa, *b = pb;
    int ra = split_rank(a->name), rb = split_rank(b->name);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_pair(const void *pa, const void *pb)
{
    const struct ie_annot_pair *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

void ie_annot_result_finish(struct ie_annot_result *r)
{
    struct ie_annot_state *st = r->state;
    release_summary(r);
    if (!st)
        return;
    r->total_images = st->images;
    r->annotated_images = st->annotated;
    r->unannotated_images = st->images - st->annotated;
    r->total_annotations = st->annotations;
    r->total_boxes = st->boxes;
    r->mean_objects_per_image = st->images ? (double)st->annotations / (double)st->images : 0.0;
    r->max_objects_per_image = st->max_obj;
    r->small_count = st->small;
    r->medium_count = st->medium;
    r->large_count = st->large;
    r->unsized_boxes = st->unsized;
    r->mean_box_width = st->sized ? st->sum_w / (double)st->sized : 0.0;
    r->mean_box_height = st->sized ? st->sum_h / (double)st->sized : 0.0;
    r->mean_box_area = st->sized ? st->sum_area / (double)st->sized : 0.0;

    /* Output order: declared classes in declaration order, then the others as first seen. */
    size_t n = st->n_classes;
    size_t *order = ie_xcalloc(n + 1, sizeof(*order)); /* output position -> class index */
    size_t *pos = ie_xcalloc(n + 1, sizeof(*pos));     /* class index -> output position */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (st->class_decl[i] != SIZE_MAX)
            order[st->class_decl[i]] = i, k++;
    for (size_t i = 0; i < n; i++)
        if (st->class_decl[i] == SIZE_MAX)
            order[k++] = i;
    for (size_t i = 0; i < n; i++)
        pos[order[i]] = i;
    r->classes = ie_xcalloc(n + 1, sizeof(*r->classes));
    r->n_classes = n;
    r->num_classes = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = order[i];
        r->classes[i].name = clean_line(st->class_names[c], strlen(st->class_names[c]));
        r->classes[i].declared = st->class_decl[c] != SIZE_MAX;
        r->classes[i].count = st->class_count[c];
        r->classes[i].images = st->class_images[c];
        r->num_classes += st->class_count[c] > 0;
    }

    /* Splits: none when every image is outside all splits. */
    bool only_unsplit = st->n_splits == 1 && strcmp(st->splits[0].name, "unsplit") == 0;
    size_t ns = 0;
    if (!only_unsplit) {
        r->splits = ie_xcalloc(st->n_splits + 1, sizeof(*r->splits));
        for (size_t i = 0; i < st->n_splits; i++) {
            const struct split_acc *s = &st->splits[i];
            if (s->images == 0)
                continue;
            struct ie_annot_split *o = &r->splits[ns++];
            o->name = clean_line(s->name, strlen(s->name));
            o->images = s->images;
            o->annotated_images = s->annotated;
            o->annotations = s->annotations;
            o->class_counts = ie_xcalloc(n + 1, sizeof(*o->class_counts));
            for (size_t c = 0; c < n && c < s->cap; c++)
                o->class_counts[pos[c]] = s->class_counts[c];
        }
        qsort(r->splits, ns, sizeof(*r->splits), cmp_split);
    }
    r->n_splits = ns;

    r->pairs = ie_xcalloc(st->pairs_n + 1, sizeof(*r->pairs));
    for (size_t i = 0; i < st->pairs_cap; i++) {
        if (!st->pairs[i].key)
            continue;
        uint64_t key = st->pairs[i].key - 1;
        size_t a = pos[key >> 32], b = pos[key & 0xffffffffu];
        struct ie_annot_pair *p = &r->pairs[r->n_pairs++];
        p->a = IE_MIN(a, b);
        p->b = IE_MAX(a, b);
        p->count = st->pairs[i].count;
    }
    qsort(r->pairs, r->n_pairs, sizeof(*r->pairs), cmp_pair);
    free(order);
    free(pos);
}

/* ---- JSON ---- */

static void add_size(cJSON *o, const char *k, size_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%zu", v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(num));
}

static void add_real(cJSON *o, const char *k, double v)
{
    char num[40];
    ie_fmt_double(num, sizeof(num), v);
    cJSON_AddItemToObject(o, k, cJSON_CreateRaw(num));
}

struct rank {
    size_t count;
    const char *name;
    size_t idx;
};

static int cmp_rank_count(const void *pa, const void *pb)
{
    const struct rank *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_rank_name(const void *pa, const void *pb)
{
    const struct rank *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

/* Class indexes sorted by count (most first, ties in class order, like
 * Counter.most_common()) or by name. */
static size_t *classes_sorted(const struct ie_annot_result *r, bool by_name)
{
    struct rank *v = ie_xcalloc(r->n_classes + 1, sizeof(*v));
    size_t *idx = ie_xcalloc(r->n_classes + 1, sizeof(*idx));
    for (size_t i = 0; i < r->n_classes; i++) {
        v[i].count = r->classes[i].count;
        v[i].name = r->classes[i].name;
        v[i].idx = i;
    }
    qsort(v, r->n_classes, sizeof(*v), by_name ? cmp_rank_name : cmp_rank_count);
    for (size_t i = 0; i < r->n_classes; i++)
        idx[i] = v[i].idx;
    free(v);
    return idx;
}

char *ie_annot_result_to_json(const struct ie_annot_result *r, bool pretty)
{
    cJSON *o = cJSON_CreateObject();
    size_t *by_count = classes_sorted(r, false);
    size_t n_declared = 0;

    /* imgeda's AnnotationStats.to_dict() keys, in its order. */
    add_size(o, "total_images", r->total_images);
    add_size(o, "annotated_images", r->annotated_images);
    add_size(o, "unannotated_images", r->unannotated_images);
    add_size(o, "total_annotations", r->total_annotations);
    add_size(o, "num_classes", r->num_classes);
    cJSON *names = cJSON_AddArrayToObject(o, "class_names");
    for (size_t i = 0; i < r->n_classes; i++)
        n_declared += r->classes[i].declared;
    if (n_declared) {
        for (size_t i = 0; i < r->n_classes; i++)
            if (r->classes[i].declared)
                cJSON_AddItemToArray(names, cJSON_CreateString(r->classes[i].name));
    } else {
        /* imgeda: sorted names of the classes seen. */
        size_t *idx = classes_sorted(r, true);
        for (size_t i = 0; i < r->n_classes; i++)
            if (r->classes[idx[i]].count)
                cJSON_AddItemToArray(names, cJSON_CreateString(r->classes[idx[i]].name));
        free(idx);
    }
    cJSON *counts = cJSON_AddObjectToObject(o, "class_counts");
    for (size_t i = 0; i < r->n_classes; i++) {
        const struct ie_annot_class *c = &r->classes[by_count[i]];
        if (c->count)
            add_size(counts, c->name, c->count);
    }
    add_real(o, "mean_objects_per_image", ie_round(r->mean_objects_per_image, 2));
    add_size(o, "max_objects_per_image", r->max_objects_per_image);
    add_size(o, "small_count", r->small_count);
    add_size(o, "medium_count", r->medium_count);
    add_size(o, "large_count", r->large_count);
    cJSON *oi = cJSON_AddArrayToObject(o, "orphan_images");
    for (size_t i = 0; i < r->n_orphan_images; i++)
        cJSON_AddItemToArray(oi, cJSON_CreateString(r->orphan_images[i]));
    cJSON *oa = cJSON_AddArrayToObject(o, "orphan_annotations");
    for (size_t i = 0; i < r->n_orphan_annotations; i++)
        cJSON_AddItemToArray(oa, cJSON_CreateString(r->orphan_annotations[i]));

    /* Ours. */
    cJSON_AddStringToObject(o, "format", ie_annot_format_name(r->format));
    cJSON_AddBoolToObject(o, "detected", r->detected);
    if (r->root)
        cJSON_AddStringToObject(o, "root", r->root);
    else
        cJSON_AddNullToObject(o, "root");
    add_size(o, "image_files", r->image_files);
    add_size(o, "annotation_files", r->annotation_files);
    add_size(o, "total_boxes", r->total_boxes);
    add_size(o, "unsized_boxes", r->unsized_boxes);
    add_real(o, "mean_box_width", ie_round(r->mean_box_width, 4));
    add_real(o, "mean_box_height", ie_round(r->mean_box_height, 4));
    add_real(o, "mean_box_area", ie_round(r->mean_box_area, 4));
    add_size(o, "orphan_images_total", r->orphan_images_total);
    add_size(o, "orphan_annotations_total", r->orphan_annotations_total);
    cJSON *ma = cJSON_AddArrayToObject(o, "missing_annotation");
    for (size_t i = 0; i < r->n_missing_annotation; i++)
        cJSON_AddItemToArray(ma, cJSON_CreateString(r->missing_annotation[i]));
    add_size(o, "missing_annotation_total", r->missing_annotation_total);
    cJSON *classes = cJSON_AddArrayToObject(o, "classes");
    for (size_t i = 0; i < r->n_classes; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", r->classes[i].name);
        cJSON_AddBoolToObject(c, "declared", r->classes[i].declared);
        add_size(c, "count", r->classes[i].count);
        add_size(c, "images", r->classes[i].images);
        cJSON_AddItemToArray(classes, c);
    }
    cJSON *co = cJSON_AddArrayToObject(o, "co_occurrence");
    for (size_t i = 0; i < r->n_pairs; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "a", r->classes[r->pairs[i].a].name);
        cJSON_AddStringToObject(p, "b", r->classes[r->pairs[i].b].name);
        add_size(p, "images", r->pairs[i].count);
        cJSON_AddItemToArray(co, p);
    }
    cJSON *splits = cJSON_AddArrayToObject(o, "splits");
    cJSON *scc = cJSON_AddObjectToObject(o, "split_class_counts");
    for (size_t i = 0; i < r->n_splits; i++) {
        const struct ie_annot_split *s = &r->splits[i];
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "name", s->name);
        add_size(so, "images", s->images);
        add_size(so, "annotated_images", s->annotated_images);
        add_size(so, "annotations", s->annotations);
        cJSON_AddItemToArray(splits, so);
        cJSON *cc = cJSON_AddObjectToObject(scc, s->name);
        for (size_t j = 0; j < r->n_classes; j++) {
            size_t c = by_count[j];
            if (s->class_counts[c])
                add_size(cc, r->classes[c].name, s->class_counts[c]);
        }
    }
    add_size(o, "issues_total", r->issues_total);
    cJSON *ic = cJSON_AddObjectToObject(o, "issue_counts");
    for (int k = 0; k < IE_ANNOT_N_KINDS; k++)
        add_size(ic, issue_names[k], r->issue_counts[k]);
    cJSON *issues = cJSON_AddArrayToObject(o, "issues");
    for (size_t i = 0; i < r->n_issues; i++) {
        const struct ie_annot_issue *is = &r->issues[i];
        cJSON *io = cJSON_CreateObject();
        cJSON_AddStringToObject(io, "file", is->file);
        add_size(io, "line", is->line);
        cJSON_AddStringToObject(io, "kind", issue_names[is->kind]);
        cJSON_AddStringToObject(io, "message", is->message);
        cJSON_AddItemToArray(issues, io);
    }
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    for (size_t i = 0; i < r->n_notes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
    free(by_count);
    char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort(); /* cJSON fails only when out of memory */
    return s;
}
