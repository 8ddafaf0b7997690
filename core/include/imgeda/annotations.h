/* Dataset layout detection and annotation statistics (SPEC §4.6): YOLO, COCO, Pascal VOC,
 * classification folders and flat folders.
 *
 * Typical use (see cli/cmd_annotations.c):
 *   struct ie_annot_options o;  struct ie_annot_result r;  struct ie_err err = {0};
 *   ie_annot_options_init(&o); ie_annot_result_init(&r);
 *   if (ie_annot_analyze(root, &o, &r, &err) == 0) { char *j = ie_annot_result_to_json(&r); ... }
 *   ie_annot_result_release(&r);
 *
 * Words: an *image* is an image file of the dataset, or (when the dataset has no image files at
 * all) an annotation entry standing for one. An *annotation file/entry* is a YOLO label file, a
 * VOC XML file or a COCO "images" entry. An *orphan image* (imgeda's word) is an image with no
 * annotations: no annotation file/entry, an empty one, or a broken one; those with no file/entry
 * at all are also listed as *missing_annotation*. An *orphan annotation* names an image that
 * does not exist. Problems inside annotation files are data (issues), never failures.
 *
 * THREADS: no shared state of ours; a result belongs to one thread at a time. cJSON records
 * the position of its last parse error in a process-wide variable, which we never read (the
 * position comes from cJSON_ParseWithLengthOpts' own out-parameter). */
#ifndef IMGEDA_ANNOTATIONS_H
#define IMGEDA_ANNOTATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

enum ie_annot_format {
    IE_ANNOT_AUTO = 0, /* detect (options only; a result always holds a concrete format) */
    IE_ANNOT_YOLO,
    IE_ANNOT_COCO,
    IE_ANNOT_VOC,
    IE_ANNOT_CLASSIFICATION,
    IE_ANNOT_FLAT,
};

/* "auto", "yolo", "coco", "voc", "classification", "flat". Static storage. */
const char *ie_annot_format_name(enum ie_annot_format f);
/* Parses a name above (case-insensitive). Returns 0 or IE_EINVAL with a message. */
int ie_annot_format_parse(const char *s, enum ie_annot_format *out, struct ie_err *err);

/* Kinds of problems found in annotation files. */
enum ie_annot_issue_kind {
    IE_ANNOT_PARSE_ERROR = 0, /* the file could not be read or parsed at all */
    IE_ANNOT_MALFORMED,       /* a line or entry with the wrong shape, type or number */
    IE_ANNOT_UNKNOWN_CLASS,   /* class id not declared (data.yaml names/nc, COCO categories) */
    IE_ANNOT_OUT_OF_BOUNDS,   /* box reaches outside the image */
    IE_ANNOT_ZERO_SIZE,       /* box with zero or negative width or height */
    IE_ANNOT_DUPLICATE_BOX,   /* same class and coordinates as an earlier box of the image */
    IE_ANNOT_MISSING_SIZE,    /* image size unknown, so boxes cannot be normalised */
    IE_ANNOT_UNKNOWN_IMAGE,   /* COCO annotation whose image_id is not in "images" */
    IE_ANNOT_CONFLICT,        /* a second annotation file/entry for one image, ambiguous names */
    IE_ANNOT_CONFIG,          /* data.yaml / categories problems (names vs nc, missing splits) */
    IE_ANNOT_N_KINDS
};
/* "parse_error", "malformed", ... Static storage. */
const char *ie_annot_issue_kind_name(enum ie_annot_issue_kind k);

struct ie_annot_issue {
    char *file;    /* path relative to the dataset root (UTF-8) */
    uint32_t line; /* 1-based line, 0 when there is none (COCO entries, whole-file problems) */
    enum ie_annot_issue_kind kind;
    char *message; /* one line */
};

struct ie_annot_class {
    char *name;
    bool declared; /* listed in data.yaml / COCO categories / a class folder (not only seen) */
    size_t count;  /* annotations (boxes, or labelled images for classification) */
    size_t images; /* images with at least one annotation of this class */
};

struct ie_annot_split {
    char *name; /* "train", "val", ..., or "unsplit" for images outside every split */
    size_t images, annotated_images, annotations;
    size_t *class_counts; /* n_classes entries, indexed like ie_annot_result.classes */
};

/* Two classes seen in the same image (a < b, indexes into classes); count = images. */
struct ie_annot_pair {
    size_t a, b;
    size_t count;
};

/* Caps on everything sized by the files being read. */
struct ie_annot_options {
    enum ie_annot_format format; /* IE_ANNOT_AUTO detects */
    size_t max_listed;           /* orphans and issues kept per list (counts stay exact): 1000 */
    size_t max_json_bytes;       /* one COCO JSON file: 512 MiB */
    size_t max_json_values;      /* JSON values in one file (cJSON takes ~80 B each): 64 Mi */
    size_t max_xml_bytes;        /* one VOC XML file: 8 MiB */
    size_t max_text_bytes;       /* one YOLO label file, data.yaml or ImageSets list: 16 MiB */
    size_t max_files;            /* files looked at under the root: 50 M */
    int max_depth;               /* JSON/XML/YAML nesting and directory depth: 64 */
    /* Optional (NULL by default): called once for each image that has annotations, as the
     * analysis counts it, with the image (its path relative to the root, or in a dataset without
     * image files the annotation file/entry standing for it) and its distinct class names, in
     * the class table's order: the folder of a classification image, the classes of a YOLO,
     * COCO or VOC image's boxes. So a caller learns each image's classes from the one parse the
     * statistics come from. Names are not sanitised (folder names are bytes as on disk); the
     * strings live until the call returns. */
    void (*on_image)(void *ctx, const char *image, const char *const *classes, size_t n);
    void *on_image_ctx;
    /* imgeda's --labels DIR: YOLO whose label files are DIR/<image stem>.txt (DIR's own files,
     * not its subfolders, as imgeda's glob), wherever DIR is; implies YOLO. NULL: found under
     * the root. Borrowed: must outlive the analysis. */
    const char *label_dir;
    /* imgeda's --annotation-file FILE: COCO from this one JSON file, wherever it is; implies
     * COCO. NULL: found under the root. Borrowed. */
    const char *annotation_file;
};
void ie_annot_options_init(struct ie_annot_options *o);

struct ie_annot_state; /* private accumulator */

/* The analysis of one dataset. imgeda's AnnotationStats.to_dict() keys map onto the fields of
 * the same name (see ie_annot_result_to_json for the few that differ in meaning). All strings
 * are owned, valid UTF-8. */
struct ie_annot_result {
    enum ie_annot_format format;
    bool detected; /* format found by detection, not forced by the caller */
    char *root;

    size_t image_files;      /* image files of the dataset found on disk */
    size_t annotation_files; /* label files, XML files or JSON files read */
    size_t total_images, annotated_images, unannotated_images;
    size_t total_annotations; /* boxes + image-level labels (classification) */
    size_t total_boxes;
    double mean_objects_per_image; /* over all images, unannotated included */
    size_t max_objects_per_image;
    size_t small_count, medium_count, large_count;         /* normalised area < .01, < .1, >= .1 */
    size_t unsized_boxes;                                  /* boxes without a known image size */
    double mean_box_width, mean_box_height, mean_box_area; /* normalised, over sized boxes */

    struct ie_annot_class *classes; /* declared classes first, in declaration order */
    size_t n_classes;
    size_t num_classes; /* classes with at least one annotation (imgeda's num_classes) */
    struct ie_annot_split *splits;
    size_t n_splits;
    struct ie_annot_pair *pairs; /* co-occurrence, most frequent first */
    size_t n_pairs;

    char **orphan_images; /* images without annotations (first max_listed), as imgeda */
    size_t n_orphan_images, orphan_images_total;
    char **missing_annotation; /* images without any annotation file/entry (first max_listed) */
    size_t n_missing_annotation, missing_annotation_total;
    char **orphan_annotations; /* annotation files/entries without an image (first max_listed) */
    size_t n_orphan_annotations, orphan_annotations_total;

    struct ie_annot_issue *issues; /* first max_listed, in discovery order */
    size_t n_issues, issues_total;
    size_t issue_counts[IE_ANNOT_N_KINDS];

    char **notes; /* remarks about the layout ("split 'test' not found"), one line each */
    size_t n_notes;

    struct ie_annot_state *state;
};

void ie_annot_result_init(struct ie_annot_result *r);
void ie_annot_result_release(struct ie_annot_result *r);

/* Detects the layout of root the way imgeda's format_detector does (YOLO, COCO, VOC,
 * classification, flat; see annotations.c for the few deliberate differences).
 * Returns 0, or IE_ENOENT/IE_EINVAL/IE_EIO when root is not a readable directory. */
int ie_annot_detect(const char *root, enum ie_annot_format *out, struct ie_err *err);

/* Detects (or takes o->format) and analyses root into r (initialised by the caller). Problems
 * inside annotation files are data: they become issues, not failures. Returns 0; IE_ENOENT etc.
 * when root is unusable; IE_EINVAL when a forced format finds none of its files; IE_ELIMIT when
 * the root holds more than o->max_files files. */
int ie_annot_analyze(const char *root, const struct ie_annot_options *o, struct ie_annot_result *r,
                     struct ie_err *err);

/* The split of an image: the first folder of rel (a path relative to the dataset root) named
 * train, val, valid, validation or test, any case, written lower-cased into out; "" when none.
 * These are the folders ie_annot_analyze takes for splits (and the leakage check's split names
 * come from them). Returns out. */
const char *ie_annot_path_split(const char *rel, char *out, size_t outsz);

/* One box of an image, for drawing: its class name and the box in the image's normalised
 * coordinates (left, top, width, height, 0..1 inside the image), with the label file's line. */
struct ie_annot_box {
    char *label;
    double x, y, w, h;
    uint32_t line;
};

/* The boxes of one image of the dataset at root (image: its path relative to root), with the
 * layout found as ie_annot_analyze finds it into *fmt. Only YOLO is read for now: other layouts
 * give no boxes (n_out 0). Returns 0 or a negative IE_E* (root unusable). Free with
 * ie_annot_boxes_free. */
int ie_annot_image_boxes(const char *root, const char *image, enum ie_annot_format *fmt,
                         struct ie_annot_box **out, size_t *n_out, struct ie_err *err);
void ie_annot_boxes_free(struct ie_annot_box *b, size_t n);

/* Parses one annotation file held in memory, as if it had been found at `name` in a dataset
 * without image files (each annotation file/entry counts as an image). For YOLO, a name ending
 * in ".yaml"/".yml" is taken as data.yaml (declares the classes; feed it first). Several calls
 * accumulate; call ie_annot_result_finish before reading r. For tests and fuzzers. Returns 0,
 * or IE_EFORMAT when the file could not be parsed at all (also recorded as an issue), or
 * IE_EINVAL for a format without annotation files. o may be NULL (defaults). */
int ie_annot_parse_buffer(struct ie_annot_result *r, enum ie_annot_format f, const char *name,
                          const char *data, size_t len, const struct ie_annot_options *o);
/* Computes the summary fields (totals, means, classes, splits, pairs) from what was fed. May
 * be called again after more input. */
void ie_annot_result_finish(struct ie_annot_result *r);

/* The whole result as JSON (malloc'd; pretty-printed when pretty). imgeda's to_dict() keys
 * first, then ours. */
char *ie_annot_result_to_json(const struct ie_annot_result *r, bool pretty);

#endif
