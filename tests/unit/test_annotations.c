/* Annotations and dataset layout (SPEC §4.6): detection of each layout, the YOLO/COCO/VOC
 * parsers with their issues (file:line), statistics on the hand-made trees in
 * tests/fixtures/annotations/ (expected values worked out in the comments), and hostile input. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "imgeda/annotations.h"
#include "imgeda/util.h"

static char *fixture(const char *name)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/annotations/%s", th_fixtures(), name);
    return p;
}

static void analyze(const char *root, enum ie_annot_format f, struct ie_annot_result *r)
{
    struct ie_annot_options o;
    struct ie_err err = {0};
    ie_annot_options_init(&o);
    o.format = f;
    ie_annot_result_init(r);
    cr_assert_eq(ie_annot_analyze(root, &o, r, &err), 0, "%s: %s", root, err.msg);
}

static void analyze_fixture(const char *name, struct ie_annot_result *r)
{
    char *root = fixture(name);
    analyze(root, IE_ANNOT_AUTO, r);
    free(root);
}

/* Writes rel under dir, creating parent folders. */
static void mk(const char *dir, const char *rel, const char *content)
{
    char *p = th_path(dir, rel);
    for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    th_write(p, content, strlen(content));
    free(p);
}

static const struct ie_annot_issue *find_issue(const struct ie_annot_result *r,
                                               enum ie_annot_issue_kind k, const char *file,
                                               uint32_t line)
{
    for (size_t i = 0; i < r->n_issues; i++)
        if (r->issues[i].kind == k && strcmp(r->issues[i].file, file) == 0 &&
            (line == UINT32_MAX || r->issues[i].line == line))
            return &r->issues[i];
    return NULL;
}

#define expect_issue(r, k, file, line)                                                             \
    cr_expect_not_null(find_issue(r, k, file, line), "no %s issue at %s:%u",                       \
                       ie_annot_issue_kind_name(k), file, (unsigned)(line))

static const struct ie_annot_class *find_class(const struct ie_annot_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_classes; i++)
        if (strcmp(r->classes[i].name, name) == 0)
            return &r->classes[i];
    return NULL;
}

static size_t class_count(const struct ie_annot_result *r, const char *name)
{
    const struct ie_annot_class *c = find_class(r, name);
    return c ? c->count : 0;
}

static const struct ie_annot_split *find_split(const struct ie_annot_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_splits; i++)
        if (strcmp(r->splits[i].name, name) == 0)
            return &r->splits[i];
    return NULL;
}

static size_t split_class(const struct ie_annot_result *r, const char *split, const char *cls)
{
    const struct ie_annot_split *s = find_split(r, split);
    cr_assert_not_null(s, "no split %s", split);
    for (size_t i = 0; i < r->n_classes; i++)
        if (strcmp(r->classes[i].name, cls) == 0)
            return s->class_counts[i];
    return 0;
}

static size_t pair_count(const struct ie_annot_result *r, const char *a, const char *b)
{
    for (size_t i = 0; i < r->n_pairs; i++) {
        const char *x = r->classes[r->pairs[i].a].name, *y = r->classes[r->pairs[i].b].name;
        if ((strcmp(x, a) == 0 && strcmp(y, b) == 0) || (strcmp(x, b) == 0 && strcmp(y, a) == 0))
            return r->pairs[i].count;
    }
    return 0;
}

static int feed(struct ie_annot_result *r, enum ie_annot_format f, const char *name,
                const char *text)
{
    return ie_annot_parse_buffer(r, f, name, text, strlen(text), NULL);
}

/* ---- names ---- */

Test(annotations, format_names_parse_case_insensitively)
{
    enum ie_annot_format f;
    struct ie_err err = {0};
    cr_expect_eq(ie_annot_format_parse("YOLO", &f, &err), 0);
    cr_expect_eq(f, IE_ANNOT_YOLO);
    cr_expect_eq(ie_annot_format_parse("classification", &f, &err), 0);
    cr_expect_str_eq(ie_annot_format_name(f), "classification");
    cr_expect_eq(ie_annot_format_parse("kitti", &f, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "kitti") && strstr(err.msg, "coco"), "%s", err.msg);
    cr_expect_str_eq(ie_annot_issue_kind_name(IE_ANNOT_DUPLICATE_BOX), "duplicate_box");
}

/* ---- detection ---- */

Test(annotations, detects_each_fixture_layout)
{
    static const struct {
        const char *name;
        enum ie_annot_format f;
    } cases[] = {
        {"yolo", IE_ANNOT_YOLO},
        {"coco", IE_ANNOT_COCO},
        {"voc", IE_ANNOT_VOC},
        {"classification", IE_ANNOT_CLASSIFICATION},
        {"classification_root", IE_ANNOT_CLASSIFICATION},
        {"flat", IE_ANNOT_FLAT},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(cases); i++) {
        char *root = fixture(cases[i].name);
        enum ie_annot_format f = IE_ANNOT_AUTO;
        struct ie_err err = {0};
        cr_expect_eq(ie_annot_detect(root, &f, &err), 0, "%s: %s", root, err.msg);
        cr_expect_eq(f, cases[i].f, "%s detected as %s", cases[i].name, ie_annot_format_name(f));
        free(root);
    }
}

Test(annotations, detection_follows_imgeda_rules)
{
    char *d = th_tempdir();
    enum ie_annot_format f;
    struct ie_err err = {0};
    /* A data.yaml with only comments is not YOLO (imgeda's parser finds no key). */
    mk(d, "a/data.yaml", "# nothing here\n\n");
    mk(d, "a/x.png", "");
    char *a = th_path(d, "a");
    cr_expect_eq(ie_annot_detect(a, &f, &err), 0);
    cr_expect_eq(f, IE_ANNOT_FLAT);
    /* Two class folders are not enough for imgeda's classification rule. */
    mk(d, "b/cat/1.png", "");
    mk(d, "b/dog/2.png", "");
    char *b = th_path(d, "b");
    cr_expect_eq(ie_annot_detect(b, &f, &err), 0);
    cr_expect_eq(f, IE_ANNOT_FLAT);
    /* ... but a labels/ folder vetoes classification even with three. */
    mk(d, "c/x/1.png", "");
    mk(d, "c/y/2.png", "");
    mk(d, "c/labels/1.txt", "");
    char *c = th_path(d, "c");
    cr_expect_eq(ie_annot_detect(c, &f, &err), 0);
    cr_expect_eq(f, IE_ANNOT_FLAT);
    /* Roboflow COCO: train/_annotations.coco.json next to the images (beyond imgeda). */
    mk(d, "r/train/_annotations.coco.json",
       "{\"images\":[{\"id\":0,\"file_name\":\"a.jpg\",\"width\":10,\"height\":10}],"
       "\"annotations\":[{\"id\":0,\"image_id\":0,\"category_id\":1,\"bbox\":[1,1,2,2]}],"
       "\"categories\":[{\"id\":1,\"name\":\"pill\"}]}");
    mk(d, "r/train/a.jpg", "");
    mk(d, "r/valid/b.jpg", "");
    mk(d, "r/test/c.jpg", "");
    char *rb = th_path(d, "r");
    cr_expect_eq(ie_annot_detect(rb, &f, &err), 0);
    cr_expect_eq(f, IE_ANNOT_COCO);
    struct ie_annot_result r;
    analyze(rb, IE_ANNOT_AUTO, &r);
    cr_expect_eq(r.total_images, 3);
    cr_expect_eq(r.annotated_images, 1);
    cr_expect_eq(class_count(&r, "pill"), 1);
    cr_expect_eq(split_class(&r, "train", "pill"), 1);
    cr_expect_eq(r.orphan_images_total, 2); /* valid/b.jpg and test/c.jpg */
    ie_annot_result_release(&r);
    free(a);
    free(b);
    free(c);
    free(rb);
    th_rmrf(d);
    free(d);
}

/* Darknet's layout: images/, labels/ and classes.txt with no data.yaml and no split folders is
 * YOLO (it was taken as flat, so none of its label problems were reported). */
Test(annotations, yolo_without_data_yaml_is_detected_and_checked)
{
    char *d = th_tempdir();
    enum ie_annot_format f = IE_ANNOT_AUTO;
    struct ie_err err = {0};
    mk(d, "classes.txt", "cat\ndog\n");
    mk(d, "images/a.jpg", "");
    mk(d, "images/b.jpg", "");
    mk(d, "images/c.jpg", "");
    mk(d, "labels/a.txt", "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n");
    mk(d, "labels/b.txt", "5 0.5 0.5 0.2 0.2\n0 1.5 0.5 0.2 0.2\n0 0.5\n");
    mk(d, "labels/gone.txt", "0 0.5 0.5 0.2 0.2\n");
    cr_expect_eq(ie_annot_detect(d, &f, &err), 0, "%s", err.msg);
    cr_expect_eq(f, IE_ANNOT_YOLO, "detected as %s", ie_annot_format_name(f));
    struct ie_annot_result r;
    analyze(d, IE_ANNOT_AUTO, &r);
    cr_expect_eq(r.format, IE_ANNOT_YOLO);
    cr_expect_eq(r.total_images, 3);
    cr_expect_eq(r.annotated_images, 2);
    cr_expect_eq(class_count(&r, "cat"), 2, "cat: %zu", class_count(&r, "cat"));
    cr_expect_eq(class_count(&r, "dog"), 1);
    expect_issue(&r, IE_ANNOT_UNKNOWN_CLASS, "labels/b.txt", 1);
    expect_issue(&r, IE_ANNOT_OUT_OF_BOUNDS, "labels/b.txt", 2);
    expect_issue(&r, IE_ANNOT_MALFORMED, "labels/b.txt", 3);
    cr_expect_eq(r.missing_annotation_total, 1); /* images/c.jpg */
    cr_expect_eq(r.orphan_annotations_total, 1); /* labels/gone.txt */
    ie_annot_result_release(&r);
    th_rmrf(d);
    free(d);
}

Test(annotations, unusable_root_is_an_error)
{
    enum ie_annot_format f;
    struct ie_err err = {0};
    struct ie_annot_result r;
    cr_expect_eq(ie_annot_detect("/nonexistent/dataset", &f, &err), IE_ENOENT);
    cr_expect(strstr(err.msg, "/nonexistent/dataset"), "%s", err.msg);
    char *file = fixture("yolo/data.yaml");
    cr_expect_eq(ie_annot_detect(file, &f, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "not a directory"), "%s", err.msg);
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_analyze(file, NULL, &r, &err), IE_EINVAL);
    ie_annot_result_release(&r);
    free(file);
}

Test(annotations, forced_format_without_its_files_is_an_error)
{
    static const enum ie_annot_format forced[] = {IE_ANNOT_COCO, IE_ANNOT_VOC};
    char *root = fixture("yolo");
    for (size_t i = 0; i < IE_ARRAY_LEN(forced); i++) {
        struct ie_annot_options o;
        struct ie_annot_result r;
        struct ie_err err = {0};
        ie_annot_options_init(&o);
        o.format = forced[i];
        ie_annot_result_init(&r);
        cr_expect_eq(ie_annot_analyze(root, &o, &r, &err), IE_EINVAL);
        cr_expect(strstr(err.msg, root), "%s", err.msg);
        ie_annot_result_release(&r);
    }
    free(root);
    root = fixture("flat");
    struct ie_annot_options o;
    struct ie_annot_result r;
    struct ie_err err = {0};
    ie_annot_options_init(&o);
    o.format = IE_ANNOT_YOLO;
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_analyze(root, &o, &r, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "data.yaml"), "%s", err.msg);
    ie_annot_result_release(&r);
    free(root);
}

/* ---- the fixture trees ---- */

Test(annotations, yolo_fixture_statistics)
{
    struct ie_annot_result r;
    analyze_fixture("yolo", &r);
    cr_expect_eq(r.format, IE_ANNOT_YOLO);
    cr_expect(r.detected);
    /* images a b c d (train), e f (val); d has no label file, c an empty one. */
    cr_expect_eq(r.image_files, 6);
    cr_expect_eq(r.total_images, 6);
    cr_expect_eq(r.annotated_images, 4);
    cr_expect_eq(r.unannotated_images, 2);
    /* a:2 b:2 e:4 (line 4 is malformed) f:1 (a polygon) = 9; zzz.txt has no image. */
    cr_expect_eq(r.total_boxes, 9);
    cr_expect_eq(r.total_annotations, 9);
    cr_expect_eq(r.annotation_files, 6);
    cr_expect_eq(r.max_objects_per_image, 4);
    cr_expect_float_eq(r.mean_objects_per_image, 1.5, 1e-12);
    /* small: b 0.0025 x2, e's zero-size box; medium: a 0.04, a 0.1*0.1 (a hair above 0.01),
     * e 0.1*0.1, e 0.04, f 0.2*0.2; large: e 0.64. */
    cr_expect_eq(r.small_count, 3);
    cr_expect_eq(r.medium_count, 5);
    cr_expect_eq(r.large_count, 1);
    cr_expect_eq(r.unsized_boxes, 0);
    /* Declared classes first, in data.yaml order; class id 5 is only seen. */
    cr_assert_eq(r.n_classes, 4);
    cr_expect_str_eq(r.classes[0].name, "cat");
    cr_expect_str_eq(r.classes[2].name, "bird");
    cr_expect_str_eq(r.classes[3].name, "5");
    cr_expect_not(r.classes[3].declared);
    cr_expect_eq(r.num_classes, 4);
    cr_expect_eq(class_count(&r, "cat"), 4);
    cr_expect_eq(class_count(&r, "dog"), 3);
    cr_expect_eq(class_count(&r, "bird"), 1);
    cr_expect_eq(find_class(&r, "cat")->images, 3); /* a, b, e */
    /* Splits from data.yaml's folders. */
    cr_assert_eq(r.n_splits, 2);
    cr_expect_str_eq(r.splits[0].name, "train");
    cr_expect_eq(r.splits[0].images, 4);
    cr_expect_eq(r.splits[0].annotated_images, 2);
    cr_expect_eq(r.splits[0].annotations, 4);
    cr_expect_eq(split_class(&r, "train", "cat"), 3);
    cr_expect_eq(split_class(&r, "val", "dog"), 2);
    cr_expect_eq(split_class(&r, "val", "bird"), 1);
    /* Co-occurrence: cat+dog in a and e; e also has bird and 5. */
    cr_expect_eq(pair_count(&r, "cat", "dog"), 2);
    cr_expect_eq(pair_count(&r, "bird", "5"), 1);
    cr_expect_eq(r.n_pairs, 6);
    cr_expect_eq(r.pairs[0].count, 2);
    /* Orphans (imgeda's meaning: no annotations): c's label file is empty, d has none. */
    cr_assert_eq(r.n_orphan_images, 2);
    cr_expect_str_eq(r.orphan_images[0], "images/train/c.png");
    cr_expect_str_eq(r.orphan_images[1], "images/train/d.png");
    cr_assert_eq(r.n_missing_annotation, 1);
    cr_expect_str_eq(r.missing_annotation[0], "images/train/d.png");
    cr_assert_eq(r.n_orphan_annotations, 1);
    cr_expect_str_eq(r.orphan_annotations[0], "labels/train/zzz.txt");
    ie_annot_result_release(&r);
}

Test(annotations, yolo_fixture_issues_carry_file_and_line)
{
    struct ie_annot_result r;
    analyze_fixture("yolo", &r);
    cr_expect_eq(r.issues_total, 6);
    expect_issue(&r, IE_ANNOT_CONFIG, "data.yaml", 5);                 /* test: missing folder */
    expect_issue(&r, IE_ANNOT_DUPLICATE_BOX, "labels/train/b.txt", 2); /* same as line 1 */
    expect_issue(&r, IE_ANNOT_UNKNOWN_CLASS, "labels/val/e.txt", 2);   /* class 5, nc = 3 */
    expect_issue(&r, IE_ANNOT_OUT_OF_BOUNDS, "labels/val/e.txt", 3);   /* x up to 1.05 */
    expect_issue(&r, IE_ANNOT_MALFORMED, "labels/val/e.txt", 4);       /* "bad line" */
    expect_issue(&r, IE_ANNOT_ZERO_SIZE, "labels/val/e.txt", 5);       /* width 0 */
    const struct ie_annot_issue *dup =
        find_issue(&r, IE_ANNOT_DUPLICATE_BOX, "labels/train/b.txt", 2);
    cr_expect(dup && strstr(dup->message, "line 1"), "%s", dup ? dup->message : "");
    ie_annot_result_release(&r);
}

Test(annotations, coco_fixture_statistics_and_issues)
{
    struct ie_annot_result r;
    const char *f = "annotations/instances_train.json";
    analyze_fixture("coco", &r);
    cr_expect_eq(r.format, IE_ANNOT_COCO);
    /* a: ids 1 2 7, b: ids 3 4, c: id 9 (no size), d: not listed; missing.png has no file. */
    cr_expect_eq(r.image_files, 4);
    cr_expect_eq(r.total_images, 4);
    cr_expect_eq(r.annotated_images, 3);
    cr_expect_eq(r.total_boxes, 6);
    cr_expect_eq(r.max_objects_per_image, 3);
    /* a: 0.04 medium, 0.25 large, 0.04 medium; b: 0.04 medium, 0.0004 small; c unsized. */
    cr_expect_eq(r.small_count, 1);
    cr_expect_eq(r.medium_count, 3);
    cr_expect_eq(r.large_count, 1);
    cr_expect_eq(r.unsized_boxes, 1);
    cr_expect_eq(class_count(&r, "cat"), 3);
    cr_expect_eq(class_count(&r, "dog"), 2);
    cr_expect_eq(class_count(&r, "9"), 1);
    cr_expect(find_class(&r, "bird")->declared);
    cr_expect_eq(class_count(&r, "bird"), 0);
    cr_expect_eq(r.num_classes, 3);
    cr_expect_eq(r.n_classes, 4);
    cr_expect_eq(split_class(&r, "train", "cat"), 3); /* split from the file name */
    cr_expect_eq(r.orphan_images_total, 1);
    cr_expect_str_eq(r.orphan_images[0], "images/d.png");
    cr_expect_eq(r.missing_annotation_total, 1);
    cr_expect_eq(r.orphan_annotations_total, 1);
    cr_expect(strstr(r.orphan_annotations[0], "missing.png"), "%s", r.orphan_annotations[0]);
    cr_expect_eq(r.issues_total, 6);
    expect_issue(&r, IE_ANNOT_OUT_OF_BOUNDS, f, 0);
    expect_issue(&r, IE_ANNOT_UNKNOWN_CLASS, f, 0);
    expect_issue(&r, IE_ANNOT_UNKNOWN_IMAGE, f, 0);
    expect_issue(&r, IE_ANNOT_MALFORMED, f, 0);
    expect_issue(&r, IE_ANNOT_DUPLICATE_BOX, f, 0);
    expect_issue(&r, IE_ANNOT_MISSING_SIZE, f, 0);
    const struct ie_annot_issue *dup = find_issue(&r, IE_ANNOT_DUPLICATE_BOX, f, 0);
    cr_expect(dup && strstr(dup->message, "id 7") && strstr(dup->message, "id 1"), "%s",
              dup ? dup->message : "");
    ie_annot_result_release(&r);
}

Test(annotations, voc_fixture_statistics_and_issues)
{
    struct ie_annot_result r;
    analyze_fixture("voc", &r);
    cr_expect_eq(r.format, IE_ANNOT_VOC);
    /* JPEGImages a b c f; SegmentationClass/a.png is a mask, not an image of the dataset. */
    cr_expect_eq(r.image_files, 4);
    cr_expect_eq(r.total_images, 4);
    cr_expect_eq(r.annotation_files, 5);
    /* a: person, car, person (duplicate); b: the out-of-bounds cat (the others are bad). */
    cr_expect_eq(r.total_boxes, 4);
    cr_expect_eq(r.annotated_images, 2);
    cr_expect_eq(class_count(&r, "person"), 2);
    cr_expect_eq(class_count(&r, "head"), 0); /* a <part>, not an object */
    /* person 40x40 of 100x80 = 0.2 large (x2); car 25/8000 small; cat 60x60/8000 large. */
    cr_expect_eq(r.small_count, 1);
    cr_expect_eq(r.large_count, 3);
    /* ImageSets/Main: a b train, c f val. */
    cr_expect_eq(find_split(&r, "train")->images, 2);
    cr_expect_eq(find_split(&r, "val")->images, 2);
    cr_expect_eq(find_split(&r, "val")->annotated_images, 0);
    /* c.xml is broken (c.jpg has no usable annotations); f.jpg has no XML at all. */
    cr_expect_eq(r.orphan_images_total, 2);
    cr_expect_str_eq(r.orphan_images[0], "JPEGImages/c.jpg");
    cr_expect_eq(r.missing_annotation_total, 1);
    cr_expect_str_eq(r.missing_annotation[0], "JPEGImages/f.jpg");
    cr_expect_eq(r.orphan_annotations_total, 2); /* d.xml (gone.jpg), e.xml (truncated) */
    cr_expect_eq(r.issues_total, 6);
    expect_issue(&r, IE_ANNOT_DUPLICATE_BOX, "Annotations/a.xml", 12);
    expect_issue(&r, IE_ANNOT_OUT_OF_BOUNDS, "Annotations/b.xml", 5);
    expect_issue(&r, IE_ANNOT_MALFORMED, "Annotations/b.xml", 8);  /* no bndbox */
    expect_issue(&r, IE_ANNOT_MALFORMED, "Annotations/b.xml", 10); /* xmin abc */
    expect_issue(&r, IE_ANNOT_PARSE_ERROR, "Annotations/e.xml", 1);
    const struct ie_annot_issue *dtd =
        find_issue(&r, IE_ANNOT_PARSE_ERROR, "Annotations/c.xml", UINT32_MAX);
    cr_expect(dtd && strstr(dtd->message, "DOCTYPE"), "%s", dtd ? dtd->message : "");
    ie_annot_result_release(&r);
}

Test(annotations, classification_with_split_folders)
{
    struct ie_annot_result r;
    analyze_fixture("classification", &r);
    cr_expect_eq(r.format, IE_ANNOT_CLASSIFICATION);
    cr_expect_eq(r.total_images, 6);
    cr_expect_eq(r.annotated_images, 5); /* train/loose.png is in no class folder */
    cr_expect_eq(r.total_annotations, 5);
    cr_expect_eq(r.total_boxes, 0);
    cr_assert_eq(r.n_classes, 2);
    cr_expect_str_eq(r.classes[0].name, "cat");
    cr_expect_eq(class_count(&r, "cat"), 3);
    cr_expect_eq(split_class(&r, "train", "cat"), 2);
    cr_expect_eq(split_class(&r, "val", "dog"), 1);
    cr_expect_eq(r.orphan_images_total, 1);
    cr_expect_str_eq(r.orphan_images[0], "train/loose.png");
    cr_expect_eq(r.missing_annotation_total, 1);
    cr_expect_eq(r.issues_total, 0);
    ie_annot_result_release(&r);

    analyze_fixture("classification_root", &r);
    cr_expect_eq(r.format, IE_ANNOT_CLASSIFICATION);
    cr_expect_eq(r.num_classes, 3);
    cr_expect_eq(class_count(&r, "banana"), 2);
    cr_expect_eq(r.n_splits, 0);
    ie_annot_result_release(&r);
}

Test(annotations, flat_counts_images_only)
{
    struct ie_annot_result r;
    analyze_fixture("flat", &r);
    cr_expect_eq(r.format, IE_ANNOT_FLAT);
    cr_expect_eq(r.total_images, 3);
    cr_expect_eq(r.unannotated_images, 3);
    cr_expect_eq(r.orphan_images_total, 0); /* nothing to be an orphan of */
    cr_expect_eq(r.n_notes, 1);
    ie_annot_result_release(&r);
}

Test(annotations, roboflow_yolo_layout_resolves_splits_and_mapping_names)
{
    char *d = th_tempdir();
    struct ie_annot_result r;
    /* Roboflow writes paths relative to a folder above the dataset. */
    mk(d, "data.yaml",
       "train: ../train/images\nval: ../valid/images\nnc: 2\nnames:\n  0: pill\n  1: pin\n");
    mk(d, "train/images/a.jpg", "");
    mk(d, "train/labels/a.txt", "1 0.5 0.5 0.5 0.5\n0 0.2 0.2 0.1 0.1\n");
    mk(d, "valid/images/b.jpg", "");
    mk(d, "valid/labels/b.txt", "0 0.5 0.5 0.5 0.5\r\n");
    mk(d, "README.roboflow.txt", "not a label file");
    analyze(d, IE_ANNOT_AUTO, &r);
    cr_expect_eq(r.format, IE_ANNOT_YOLO);
    cr_expect_eq(r.total_images, 2);
    cr_expect_eq(r.annotated_images, 2);
    cr_expect_eq(class_count(&r, "pill"), 2);
    cr_expect_eq(class_count(&r, "pin"), 1);
    cr_expect_eq(split_class(&r, "train", "pin"), 1);
    cr_expect_eq(split_class(&r, "val", "pill"), 1);
    cr_expect_eq(r.issues_total, 0, "first: %s", r.n_issues ? r.issues[0].message : "");
    cr_expect_eq(r.orphan_annotations_total, 0);
    ie_annot_result_release(&r);
    th_rmrf(d);
    free(d);
}

Test(annotations, darknet_classes_txt_and_side_by_side_labels)
{
    char *d = th_tempdir();
    struct ie_annot_result r;
    mk(d, "obj/1.jpg", "");
    mk(d, "obj/1.txt", "0 0.5 0.5 0.2 0.2\n2 0.5 0.5 0.2 0.2\n");
    mk(d, "labels/classes.txt", "person\ncar\n");
    analyze(d, IE_ANNOT_YOLO, &r);
    cr_expect_eq(r.total_boxes, 2);
    cr_expect_eq(class_count(&r, "person"), 1);
    expect_issue(&r, IE_ANNOT_UNKNOWN_CLASS, "obj/1.txt", 2);
    ie_annot_result_release(&r);
    th_rmrf(d);
    free(d);
}

Test(annotations, symlink_loops_end)
{
    char *d = th_tempdir();
    struct ie_annot_result r;
    mk(d, "a/1.png", "");
    mk(d, "b/2.png", "");
    mk(d, "c/3.png", "");
    /* Several links to the parent: a walk that followed them would branch exponentially. */
    static const char *const links[] = {"a/loop", "a/loop2", "b/loop", "c/loop"};
    char *link = NULL;
    for (size_t i = 0; i < IE_ARRAY_LEN(links); i++) {
        free(link);
        link = th_path(d, links[i]);
        cr_assert_eq(symlink("..", link), 0);
    }
    analyze(d, IE_ANNOT_AUTO, &r);
    cr_expect_eq(r.image_files, 3);
    ie_annot_result_release(&r);
    free(link);
    th_rmrf(d);
    free(d);
}

/* ---- YOLO parsing ---- */

Test(annotations, yolo_malformed_lines_are_reported_and_skipped)
{
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    cr_assert_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "names: [a, b]\n"), 0);
    cr_assert_eq(feed(&r, IE_ANNOT_YOLO, "labels/x.txt",
                      "\xEF\xBB\xBF"
                      "0 0.5 0.5 0.1 0.1\r\n"                  /* 1 fine (BOM, CRLF) */
                      "\n"                                     /* 2 blank */
                      "1 0.5 0.5 0.1\n"                        /* 3 too few */
                      "x 0.5 0.5 0.1 0.1\n"                    /* 4 class not a number */
                      "-1 0.5 0.5 0.1 0.1\n"                   /* 5 negative class */
                      "1.5 0.5 0.5 0.1 0.1\n"                  /* 6 fractional class */
                      "99999999999999999999 0.5 0.5 0.1 0.1\n" /* 7 huge class */
                      "1 nan 0.5 0.1 0.1\n"                    /* 8 */
                      "1 0.5 inf 0.1 0.1\n"                    /* 9 */
                      "1 0.5 0.5 1e999 0.1\n"                  /* 10 overflows */
                      "1 0.5 0.5 0.1 0x1p-3\n"                 /* 11 hex float is accepted */
                      "1.0 0.5 0.5 0.2 0.2\n"                  /* 12 "1.0" is class 1 */
                      "1 0.5 0.5 0.3 0.3 0.9\n"),              /* 13 box + confidence */
                 0);
    ie_annot_result_finish(&r);
    for (uint32_t line = 3; line <= 10; line++)
        expect_issue(&r, IE_ANNOT_MALFORMED, "labels/x.txt", line);
    cr_expect_eq(r.issue_counts[IE_ANNOT_MALFORMED], 8);
    cr_expect_eq(r.total_boxes, 4); /* lines 1, 11, 12, 13 */
    cr_expect_eq(class_count(&r, "b"), 3);
    cr_expect_eq(r.total_images, 1);
    ie_annot_result_release(&r);
}

Test(annotations, yolo_polygons_and_keypoints)
{
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    /* A polygon (segmentation): its bounding box is 0.2..0.6 x 0.1..0.5, area 0.16. */
    cr_assert_eq(feed(&r, IE_ANNOT_YOLO, "a.txt", "0 0.2 0.1 0.6 0.1 0.6 0.5 0.2 0.5\n"), 0);
    ie_annot_result_finish(&r);
    cr_expect_eq(r.large_count, 1);
    cr_expect_float_eq(r.mean_box_area, 0.16, 1e-9);
    ie_annot_result_release(&r);
    /* With kpt_shape the first four numbers are the box: 0.1 x 0.1, small. */
    ie_annot_result_init(&r);
    cr_assert_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "kpt_shape: [2, 2]\nnames: [p]\n"), 0);
    cr_assert_eq(feed(&r, IE_ANNOT_YOLO, "b.txt", "0 0.5 0.5 0.05 0.05 0.5 0.5 0.6 0.6\n"), 0);
    ie_annot_result_finish(&r);
    cr_expect_eq(r.small_count, 1);
    cr_expect_eq(r.issues_total, 0);
    ie_annot_result_release(&r);
}

Test(annotations, data_yaml_problems_are_config_issues_with_lines)
{
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "nc: 3\nnames: [a, b]\n"), 0);
    expect_issue(&r, IE_ANNOT_CONFIG, "data.yaml", 1);
    ie_annot_result_release(&r);

    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "names: [a, b\nnc: 2\n"), IE_EFORMAT);
    cr_assert_eq(r.n_issues, 1);
    cr_expect_eq(r.issues[0].kind, IE_ANNOT_PARSE_ERROR);
    cr_expect_gt(r.issues[0].line, 0);
    ie_annot_result_release(&r);

    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "- a\n- b\n"), 0);
    expect_issue(&r, IE_ANNOT_CONFIG, "data.yaml", 1);
    ie_annot_result_release(&r);

    /* nc alone declares ids 0..nc-1, named by number. */
    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "nc: 2\n"), 0);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "l.txt", "1 .5 .5 .1 .1\n2 .5 .5 .1 .1\n"), 0);
    ie_annot_result_finish(&r);
    expect_issue(&r, IE_ANNOT_UNKNOWN_CLASS, "l.txt", 2);
    cr_expect(find_class(&r, "1")->declared);
    ie_annot_result_release(&r);
}

Test(annotations, yaml_aliases_and_depth_are_bounded)
{
    /* A "billion laughs" through anchors: aliases are never followed. */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "names: *e\n";
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", bomb), 0);
    ie_annot_result_release(&r);

    struct ie_buf deep;
    ie_buf_init(&deep);
    ie_buf_adds(&deep, "names: ");
    for (int i = 0; i < 10000; i++)
        ie_buf_addc(&deep, '[');
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_YOLO, "data.yaml", deep.data, deep.len, NULL),
                 IE_EFORMAT);
    cr_assert_eq(r.n_issues, 1);
    cr_expect(strstr(r.issues[0].message, "deeper"), "%s", r.issues[0].message);
    ie_annot_result_release(&r);
    ie_buf_release(&deep);
}

/* ---- COCO parsing ---- */

Test(annotations, coco_hostile_json_gives_clear_errors)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"", "ends early"},
        {"{\"images\": [], \"annotations\": []} trailing", "syntax error"},
        {"[1, 2, 3]", "not a COCO file"},
        {"{\"images\": {}, \"annotations\": []}", "not a COCO file"},
        {"{\"images\": [], \"annotations\": 5}", "not a COCO file"},
        {"{\"images\": [], \"annotations\": [], \"x\": \"unterminated", "inside a string"},
        {"", "ends early"},
        {"{\"images\": [], \"annotations\": [], \"x\": 1e999}", NULL},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(cases); i++) {
        struct ie_annot_result r;
        ie_annot_result_init(&r);
        int rc = feed(&r, IE_ANNOT_COCO, "c.json", cases[i].text);
        if (!cases[i].needle) {
            cr_expect_eq(rc, 0, "case %zu", i); /* a huge number outside any entry is harmless */
        } else {
            cr_expect_eq(rc, IE_EFORMAT, "case %zu", i);
            cr_assert_eq(r.n_issues, 1, "case %zu", i);
            cr_expect_eq(r.issues[0].kind, IE_ANNOT_PARSE_ERROR);
            cr_expect(strstr(r.issues[0].message, cases[i].needle), "case %zu: %s", i,
                      r.issues[0].message);
        }
        ie_annot_result_release(&r);
    }
}

Test(annotations, coco_deep_nesting_and_value_count_are_capped)
{
    struct ie_buf b;
    struct ie_annot_result r;
    ie_buf_init(&b);
    ie_buf_adds(&b, "{\"images\": [], \"annotations\": [], \"x\": ");
    for (int i = 0; i < 200000; i++)
        ie_buf_addc(&b, '[');
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_COCO, "c.json", b.data, b.len, NULL),
                 IE_EFORMAT);
    cr_assert_eq(r.n_issues, 1);
    cr_expect(strstr(r.issues[0].message, "deeper than 64"), "%s", r.issues[0].message);
    ie_annot_result_release(&r);

    struct ie_annot_options o;
    ie_annot_options_init(&o);
    o.max_json_values = 100;
    ie_buf_reset(&b);
    ie_buf_adds(&b, "{\"images\": [], \"annotations\": [], \"x\": [");
    for (int i = 0; i < 1000; i++)
        ie_buf_adds(&b, "1,");
    ie_buf_adds(&b, "1]}");
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_COCO, "c.json", b.data, b.len, &o), IE_EFORMAT);
    cr_expect(strstr(r.issues[0].message, "more than 100"), "%s", r.issues[0].message);
    ie_annot_result_release(&r);
    ie_buf_release(&b);
}

Test(annotations, coco_wrong_types_are_per_entry_issues)
{
    const char *text =
        "\xEF\xBB\xBF{\"images\": ["
        "{\"id\": \"x1\", \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 50},"
        "{\"id\": \"x1\", \"file_name\": \"b.jpg\"},"                            /* duplicate id */
        "{\"id\": 2, \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 50}," /* same name */
        "{\"id\": 3, \"file_name\": 7},"                                         /* no file_name */
        "{\"id\": 1e400, \"file_name\": \"c.jpg\"},"                             /* no usable id */
        "\"not an object\"],"
        "\"annotations\": ["
        "{\"id\": 1, \"image_id\": \"x1\", \"category_id\": 1, \"bbox\": [0, 0, 10, 10]},"
        "{\"id\": 2, \"image_id\": 2, \"category_id\": 1, \"bbox\": [0, 0, 20, 10]},"
        "{\"id\": 3, \"image_id\": \"x1\", \"category_id\": 1, \"bbox\": [\"0\", 0, 1, 1]},"
        "{\"id\": 4, \"image_id\": \"x1\", \"category_id\": 1, \"bbox\": [0, 0, 1e999, 1]},"
        "{\"id\": 5, \"image_id\": \"x1\", \"category_id\": 1, \"bbox\": [0, 0, 1, 1, 1]},"
        "{\"id\": 6, \"image_id\": \"x1\", \"category_id\": {}, \"bbox\": [0, 0, 1, 1]},"
        "{\"id\": 7, \"image_id\": null, \"category_id\": 1, \"bbox\": [0, 0, 1, 1]},"
        "{\"id\": 8, \"image_id\": \"x1\", \"category_id\": 1, \"bbox\": [0, 0, 0, 5]},"
        "[]],"
        "\"categories\": [{\"id\": 1, \"name\": \"thing\"}, {\"id\": 1, \"name\": \"again\"},"
        "{\"name\": \"no id\"}]}";
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    cr_assert_eq(feed(&r, IE_ANNOT_COCO, "instances_val.json", text), 0);
    ie_annot_result_finish(&r);
    /* Entries: x1 (a.jpg), 2 (a.jpg again: merged into x1), 3 (skipped). */
    cr_expect_eq(r.total_images, 1);
    cr_expect_eq(r.total_boxes, 3); /* ids 1, 2 and the zero-size 8 */
    cr_expect_eq(r.issue_counts[IE_ANNOT_CONFLICT], 2);
    cr_expect_eq(r.issue_counts[IE_ANNOT_CONFIG], 2);
    cr_expect_eq(r.issue_counts[IE_ANNOT_ZERO_SIZE], 1);
    /* images: file_name 7, id 1e400, a string; annotations: 3 4 5 6 7 and []. */
    cr_expect_eq(r.issue_counts[IE_ANNOT_MALFORMED], 9);
    cr_expect_eq(find_split(&r, "val") ? find_split(&r, "val")->images : 0, 1);
    ie_annot_result_release(&r);
}

Test(annotations, truncated_prefixes_of_every_fixture_never_crash)
{
    static const struct {
        const char *rel;
        enum ie_annot_format f;
    } files[] = {
        {"coco/annotations/instances_train.json", IE_ANNOT_COCO},
        {"voc/Annotations/a.xml", IE_ANNOT_VOC},
        {"voc/Annotations/b.xml", IE_ANNOT_VOC},
        {"yolo/labels/val/e.txt", IE_ANNOT_YOLO},
        {"yolo/data.yaml", IE_ANNOT_YOLO},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(files); i++) {
        char *path = fixture(files[i].rel), *data = NULL;
        size_t len;
        struct ie_err err = {0};
        cr_assert_eq(ie_read_file(path, 1 << 20, &data, &len, &err), 0, "%s", err.msg);
        const char *name = strstr(files[i].rel, "data.yaml") ? "data.yaml" : files[i].rel;
        for (size_t n = 0; n <= len; n++) {
            struct ie_annot_result r;
            ie_annot_result_init(&r);
            (void)ie_annot_parse_buffer(&r, files[i].f, name, data, n, NULL);
            ie_annot_result_finish(&r);
            char *json = ie_annot_result_to_json(&r, false);
            cr_assert_not_null(json);
            free(json);
            ie_annot_result_release(&r);
        }
        free(data);
        free(path);
    }
}

/* ---- VOC parsing ---- */

Test(annotations, voc_entity_attacks_are_refused)
{
    static const char *const attacks[] = {
        "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"xxxxxxxxxx\">"
        "<!ENTITY y \"&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;\">]><annotation>&y;</annotation>",
        "<?xml version=\"1.0\"?><!DOCTYPE a SYSTEM \"file:///etc/passwd\"><annotation/>",
        "<!DOCTYPE a [<!ENTITY ext SYSTEM \"file:///etc/passwd\">]><annotation>&ext;</annotation>",
        "<annotation>&undefined;</annotation>",
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(attacks); i++) {
        struct ie_annot_result r;
        ie_annot_result_init(&r);
        cr_expect_eq(feed(&r, IE_ANNOT_VOC, "x.xml", attacks[i]), IE_EFORMAT, "attack %zu", i);
        cr_assert_eq(r.n_issues, 1, "attack %zu", i);
        cr_expect_eq(r.issues[0].kind, IE_ANNOT_PARSE_ERROR);
        if (i < 3)
            cr_expect(strstr(r.issues[0].message, "DOCTYPE"), "%s", r.issues[0].message);
        ie_annot_result_release(&r);
    }
}

Test(annotations, voc_depth_text_and_size_are_checked)
{
    struct ie_buf b;
    struct ie_annot_result r;
    ie_buf_init(&b);
    for (int i = 0; i < 5000; i++)
        ie_buf_adds(&b, "<a>");
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_VOC, "d.xml", b.data, b.len, NULL), IE_EFORMAT);
    cr_expect(strstr(r.issues[0].message, "deeper than 64"), "%s", r.issues[0].message);
    ie_annot_result_release(&r);

    ie_buf_reset(&b);
    ie_buf_adds(&b, "<annotation><object><name>");
    for (int i = 0; i < 10000; i++)
        ie_buf_addc(&b, 'n');
    ie_buf_adds(&b, "</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax>"
                    "</bndbox></object></annotation>");
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_VOC, "t.xml", b.data, b.len, NULL), 0);
    ie_annot_result_finish(&r);
    cr_expect_eq(r.issue_counts[IE_ANNOT_MALFORMED], 2); /* too long, then no name */
    cr_expect_eq(r.issue_counts[IE_ANNOT_MISSING_SIZE], 1);
    cr_expect_eq(r.unsized_boxes, 1);
    cr_expect_eq(class_count(&r, "unknown"), 1);
    ie_annot_result_release(&r);
    ie_buf_release(&b);

    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_VOC, "z.xml",
                      "<annotation><size><width>-5</width><height>x</height></size>"
                      "<object><name>a</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax>"
                      "<ymax>3</ymax></bndbox></object></annotation>"),
                 0);
    ie_annot_result_finish(&r);
    cr_expect_eq(r.issue_counts[IE_ANNOT_MISSING_SIZE], 1);
    cr_expect_eq(r.issue_counts[IE_ANNOT_ZERO_SIZE], 1); /* xmax < xmin */
    ie_annot_result_release(&r);
}

/* ---- output and caps ---- */

Test(annotations, issue_lists_are_capped_but_counts_stay_exact)
{
    struct ie_annot_options o;
    struct ie_annot_result r;
    struct ie_buf b;
    ie_annot_options_init(&o);
    o.max_listed = 3;
    ie_buf_init(&b);
    for (int i = 0; i < 50; i++)
        ie_buf_adds(&b, "bad\n");
    ie_annot_result_init(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_YOLO, "l.txt", b.data, b.len, &o), 0);
    ie_annot_result_finish(&r);
    cr_expect_eq(r.n_issues, 3);
    cr_expect_eq(r.issues_total, 50);
    cr_expect_eq(r.issue_counts[IE_ANNOT_MALFORMED], 50);
    ie_annot_result_release(&r);
    ie_buf_release(&b);
}

Test(annotations, json_output_has_imgeda_keys_first)
{
    struct ie_annot_result r;
    analyze_fixture("yolo", &r);
    char *text = ie_annot_result_to_json(&r, true);
    cJSON *o = cJSON_Parse(text);
    cr_assert_not_null(o, "%s", text);
    static const char *const imgeda_keys[] = {
        "total_images",          "annotated_images",
        "unannotated_images",    "total_annotations",
        "num_classes",           "class_names",
        "class_counts",          "mean_objects_per_image",
        "max_objects_per_image", "small_count",
        "medium_count",          "large_count",
        "orphan_images",         "orphan_annotations",
    };
    const cJSON *it = o->child;
    for (size_t i = 0; i < IE_ARRAY_LEN(imgeda_keys); i++, it = it->next) {
        cr_assert_not_null(it);
        cr_expect_str_eq(it->string, imgeda_keys[i]);
    }
    cr_expect_eq(cJSON_GetObjectItem(o, "mean_objects_per_image")->valuedouble, 1.5);
    const cJSON *cc = cJSON_GetObjectItem(o, "class_counts");
    cr_expect_str_eq(cc->child->string, "cat"); /* most common first */
    cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "class_names")), 3);
    const cJSON *scc = cJSON_GetObjectItem(o, "split_class_counts");
    cr_expect_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(scc, "val"), "dog")->valueint, 2);
    const cJSON *issue = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "issues"), 0);
    cr_expect_str_eq(cJSON_GetObjectItem(issue, "kind")->valuestring, "config");
    cr_expect_eq(cJSON_GetObjectItem(issue, "line")->valueint, 5);
    cr_expect_str_eq(cJSON_GetObjectItem(o, "format")->valuestring, "yolo");
    cJSON_Delete(o);
    free(text);
    ie_annot_result_release(&r);
}

Test(annotations, release_is_safe_on_an_empty_result)
{
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    ie_annot_result_finish(&r);
    char *json = ie_annot_result_to_json(&r, false);
    cr_expect(strstr(json, "\"total_images\":0"), "%s", json);
    free(json);
    ie_annot_result_release(&r);
    ie_annot_result_release(&r);
    cr_expect_eq(ie_annot_parse_buffer(&r, IE_ANNOT_FLAT, "x", "", 0, NULL), IE_EINVAL);
    ie_annot_result_release(&r);
}

Test(annotations, coco_names_prefer_the_files_split_and_report_ambiguity)
{
    char *d = th_tempdir();
    struct ie_annot_result r;
    const char *coco =
        "{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":10,\"height\":10}],"
        "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,"
        "\"bbox\":[1,1,2,2]}],\"categories\":[{\"id\":1,\"name\":\"k\"}]}";
    mk(d, "annotations/instances_val.json", coco);
    mk(d, "images/train/a.jpg", "");
    mk(d, "images/val/a.jpg", "");
    analyze(d, IE_ANNOT_AUTO, &r);
    cr_expect_eq(r.issues_total, 0, "%s", r.n_issues ? r.issues[0].message : "");
    cr_expect_eq(find_split(&r, "val")->annotated_images, 1);
    cr_expect_str_eq(r.orphan_images[0], "images/train/a.jpg");
    ie_annot_result_release(&r);
    /* Without a split in the file name, a bare name that fits two images is a conflict. */
    char *a = th_path(d, "annotations/instances_val.json");
    char *b = th_path(d, "annotations/instances.json");
    cr_assert_eq(rename(a, b), 0);
    analyze(d, IE_ANNOT_AUTO, &r);
    expect_issue(&r, IE_ANNOT_CONFLICT, "annotations/instances.json", 0);
    cr_expect_eq(r.annotated_images, 1);
    ie_annot_result_release(&r);
    free(a);
    free(b);
    th_rmrf(d);
    free(d);
}

Test(annotations, huge_class_counts_in_data_yaml_are_refused)
{
    struct ie_annot_result r;
    ie_annot_result_init(&r);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "nc: 999999\n"), 0);
    expect_issue(&r, IE_ANNOT_CONFIG, "data.yaml", 1);
    cr_expect_eq(feed(&r, IE_ANNOT_YOLO, "data.yaml", "names: {99999999: x, 2: y}\n"), 0);
    ie_annot_result_finish(&r);
    cr_expect_eq(r.n_classes, 1);
    ie_annot_result_release(&r);
}

/* ---- each image's classes (ie_annot_options.on_image) ---- */

/* Collects "image: class,class" lines, one per on_image call, into a buffer. */
static void collect_image(void *ctx, const char *image, const char *const *classes, size_t n)
{
    struct ie_buf *b = ctx;
    ie_buf_addf(b, "%s:", image);
    for (size_t i = 0; i < n; i++)
        ie_buf_addf(b, "%s%s", i ? "," : " ", classes[i]);
    ie_buf_addc(b, '\n');
}

/* Analyses root with the hook; returns the lines (malloc'd) and the number of calls. */
static char *image_classes(const char *root, struct ie_annot_result *r, size_t *calls)
{
    struct ie_annot_options o;
    struct ie_err err = {0};
    struct ie_buf b;
    ie_buf_init(&b);
    ie_annot_options_init(&o);
    o.on_image = collect_image;
    o.on_image_ctx = &b;
    ie_annot_result_init(r);
    cr_assert_eq(ie_annot_analyze(root, &o, r, &err), 0, "%s: %s", root, err.msg);
    char *lines = ie_buf_detach(&b);
    *calls = 0;
    for (const char *p = lines; (p = strchr(p, '\n')) != NULL; p++)
        (*calls)++;
    return lines;
}

Test(annotations, on_image_gives_each_annotated_images_classes)
{
    /* Every layout: one call per annotated image, never one for an image without annotations. */
    const char *const names[] = {"yolo", "coco", "voc", "classification", "classification_root",
                                 "flat"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct ie_annot_result r;
        size_t calls;
        char *root = fixture(names[i]);
        char *lines = image_classes(root, &r, &calls);
        cr_expect_eq(calls, r.annotated_images, "%s: %zu calls, %zu annotated images\n%s", names[i],
                     calls, r.annotated_images, lines);
        free(lines);
        free(root);
        ie_annot_result_release(&r);
    }
    /* Class folders: the class is the folder below the split; train/loose.png has none. */
    struct ie_annot_result r;
    size_t calls;
    char *root = fixture("classification");
    char *lines = image_classes(root, &r, &calls);
    cr_expect_str_eq(lines, "train/cat/1.png: cat\ntrain/cat/2.png: cat\ntrain/dog/3.png: dog\n"
                            "val/cat/4.png: cat\nval/dog/5.png: dog\n");
    free(lines);
    free(root);
    ie_annot_result_release(&r);

    /* YOLO (images/, labels/, classes.txt): each class once, in the class table's order. */
    char *d = th_tempdir();
    mk(d, "classes.txt", "cat\ndog\nbird\n");
    mk(d, "images/a.jpg", "");
    mk(d, "labels/a.txt", "1 0.5 0.5 0.2 0.2\n0 0.3 0.3 0.1 0.1\n1 0.7 0.7 0.1 0.1\n");
    mk(d, "images/b.jpg", "");
    mk(d, "labels/b.txt", "");
    mk(d, "images/c.jpg", "");
    mk(d, "images/e.jpg", "");
    mk(d, "labels/e.txt", "2 0.5 0.5 0.2 0.2\n");
    lines = image_classes(d, &r, &calls);
    cr_expect_eq(r.format, IE_ANNOT_YOLO);
    cr_expect_str_eq(lines, "images/a.jpg: cat,dog\nimages/e.jpg: bird\n");
    free(lines);
    ie_annot_result_release(&r);
    th_rmrf(d);
    free(d);
}
