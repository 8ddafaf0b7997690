/* What the annotation modules share (core/annotations.c and core/annot_*.c): limits, the
 * accumulator's state, the per-format documents, and the ie__annot_* functions, grouped by the
 * file that defines them. Private to the core. */
#ifndef IMGEDA_ANNOT_INTERNAL_H
#define IMGEDA_ANNOT_INTERNAL_H

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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
/* Longest text collected from one XML element; YAML nodes and nesting levels in data.yaml. */
#define MAX_XML_TEXT   4096
#define MAX_YAML_NODES 1000000
#define MAX_YAML_DEPTH 127
/* YOLO class ids (data.yaml names/nc, classes.txt) above this are refused: "nc: 999999" would
 * otherwise declare a million classes from a few bytes. The largest public label sets have
 * about 22000 classes. */
#define MAX_YOLO_CLASS_ID 65535
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
    const char **scratch_names; /* the class names handed to opt.on_image */
    size_t scratch_names_cap;
};

/* data.yaml's split folders (annot_yolo.c). */
struct yolo_config;

struct json_keys {
    bool object; /* the top level is an object */
    bool images, annotations, categories;
    int end_depth; /* containers still open at the end: the text was cut short */
};

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

/* annotations.c: names, small string/path/number helpers, the result's lifetime. */
extern const char *const ie__annot_issue_names[IE_ANNOT_N_KINDS];
bool ie__annot_is_ws(char c);
bool ie__annot_has_suffix_ci(const char *s, const char *suf);
const char *ie__annot_base_name(const char *p);
const char *ie__annot_ext_of(const char *p);
bool ie__annot_is_image_name(const char *p);
bool ie__annot_is_split_name(const char *s);
char *ie__annot_strip_ext(const char *p);
char *ie__annot_join2(const char *a, const char *b);
bool ie__annot_is_dir(const char *p);
bool ie__annot_is_file(const char *p);
char *ie__annot_clean_line(const char *s, size_t n);
const char *ie__annot_quote(char *out, size_t outsz, const char *s, size_t n);
bool ie__annot_parse_double(const char *s, size_t n, double *out);
bool ie__annot_parse_class_id(const char *s, size_t n, long *out);
void ie__annot_free_strv(char **v, size_t n);
void ie__annot_release_summary(struct ie_annot_result *r);

/* annot_stats.c: issues, notes and lists; the accumulator. */
void ie__annot_add_issue(struct ie_annot_result *r, const char *file, uint32_t line,
                         enum ie_annot_issue_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ie__annot_add_note(struct ie_annot_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ie__annot_add_missing_annotation(struct ie_annot_result *r, const char *rel);
void ie__annot_add_orphan_annotation(struct ie_annot_result *r, const char *rel);
struct box *ie__annot_boxvec_push(struct boxvec *bv);
size_t ie__annot_class_intern(struct ie_annot_state *st, const char *name, bool declared);
size_t ie__annot_split_intern(struct ie_annot_state *st, const char *name);
void ie__annot_acc_image(struct ie_annot_result *r, struct ie_annot_state *st, size_t split,
                         struct boxvec *bv, bool labels, const char *file, const char *image);

/* annot_folders.c: the walk, the image index, class folders and flat layouts. */
int ie__annot_cmp_str(const void *a, const void *b);
char **ie__annot_list_dir(const char *dir, bool want_dirs, const char *ext, size_t *n);
int ie__annot_walk_tree(struct ie_annot_result *r, const struct ie_annot_options *o,
                        const char *root, struct walk *w, struct ie_err *err);
void ie__annot_walk_release(struct walk *w);
bool ie__annot_has_component(const char *rel, const char *name, bool ci);
const char *ie__annot_path_split(const char *rel, char *out, size_t outsz);
void ie__annot_img_index_build(struct img_index *ix, struct ie_annot_state *st,
                               const struct walk *w, bool (*keep)(const char *rel));
void ie__annot_img_index_release(struct img_index *ix);
size_t ie__annot_img_find(const struct img_index *ix, const char *name, bool by_stem, size_t prefer,
                          bool *ambiguous);
int ie__annot_read_annotation(struct ie_annot_result *r, const char *root, const char *rel,
                              size_t cap, char **data, size_t *len);
void ie__annot_feed_unclaimed(struct ie_annot_result *r, struct ie_annot_state *st,
                              const struct img_index *ix, bool orphans);
void ie__annot_note_annotation_only(struct ie_annot_result *r);
int ie__annot_analyze_classification(struct ie_annot_result *r, struct ie_annot_state *st,
                                     const char *root, const struct walk *w, bool with_splits,
                                     bool forced, struct ie_err *err);
void ie__annot_analyze_flat(struct ie_annot_result *r, struct ie_annot_state *st,
                            const struct walk *w);

/* annot_layout.c: layout detection. */
int ie__annot_check_root(const char *root, struct ie_err *err);
int ie__annot_detect_layout(const char *root, const struct ie_annot_options *o,
                            enum ie_annot_format *out, bool *cls_splits, struct ie_err *err);
bool ie__annot_detect_classification(const char *root, int max_depth, bool *with_splits);
char **ie__annot_coco_find(const char *root, const struct ie_annot_options *o, bool first_only,
                           size_t *n_out);
void ie__annot_coco_file_split(const char *rel, char *out, size_t outsz);

/* annot_yolo.c: YOLO label files, data.yaml and datasets. */
int ie__annot_yolo_load_yaml(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                             const char *text, size_t len, struct yolo_config *cfg);
void ie__annot_yolo_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                          const char *data, size_t len, struct boxvec *bv);
void ie__annot_yolo_image_boxes(struct ie_annot_result *r, struct ie_annot_state *st,
                                const char *root, const char *image, struct boxvec *bv);
int ie__annot_analyze_yolo(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                           const struct walk *w, bool forced, struct ie_err *err);

/* annot_coco.c: COCO JSON files and datasets. */
int ie__annot_json_prescan(const char *p, size_t n, int max_depth, size_t max_values,
                           struct json_keys *k, char *msg, size_t msgsz);
int ie__annot_coco_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                         const char *data, size_t len, struct coco_doc *doc);
void ie__annot_coco_feed(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                         const char *file_split, struct coco_doc *doc, struct img_index *ix,
                         char **claimed_by);
void ie__annot_coco_doc_release(struct coco_doc *d);
int ie__annot_analyze_coco(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                           const struct walk *w, bool forced, struct ie_err *err);

/* annot_voc.c: Pascal VOC XML files and datasets. */
int ie__annot_voc_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                        const char *data, size_t len, struct voc_doc *doc);
void ie__annot_voc_boxes(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                         const struct voc_doc *doc, struct boxvec *bv);
void ie__annot_voc_doc_release(struct voc_doc *d);
int ie__annot_analyze_voc(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                          const struct walk *w, bool forced, struct ie_err *err);

#endif
