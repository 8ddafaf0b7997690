/* imgeda annotations: dataset layout and annotation statistics (SPEC §4.6) as a readable report
 * or one JSON object. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imgeda/annotations.h"
#include "imgeda/util.h"

static const char annotations_usage[] =
    "usage: imgeda annotations DIR [--format F] [--labels DIR | --annotation-file FILE]\n"
    "                          [-o OUT] [--json]\n"
    "\n"
    "  -f, --format F        auto (default), yolo, coco, voc, classification or flat\n"
    "      --labels LDIR     YOLO labels in LDIR, anywhere: LDIR/<image stem>.txt (LDIR's own\n"
    "                        files, not its subfolders, as Python imgeda); implies yolo\n"
    "      --annotation-file FILE\n"
    "                        COCO annotations from this JSON file, anywhere; implies coco\n"
    "  -o, --out FILE        also write the whole result as JSON to FILE\n"
    "      --json            print the whole result as JSON instead of the report\n"
    "      --max-listed N    orphans and issues listed per kind (default 1000; counts stay exact)\n"
    "  -h, --help            this text\n"
    "\n"
    "Problems inside annotation files are reported, not fatal: the exit code is 0 unless DIR\n"
    "cannot be read or a forced format finds none of its files (1).\n";

enum { OPT_JSON = 256, OPT_MAX_LISTED, OPT_LABELS, OPT_ANNOTATION_FILE };

/* Rows shown per list in the readable report. */
#define TOP_CLASSES 20
#define TOP_PAIRS   10
#define TOP_LIST    10
#define TOP_ISSUES  20

/* 1234567 -> "1,234,567". */
static const char *fmt_count(char *out, size_t n, size_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%zu", v);
    size_t o = 0;
    for (int i = 0; i < len && o + 1 < n; i++) {
        out[o++] = digits[i];
        if ((len - i - 1) % 3 == 0 && i != len - 1 && o + 1 < n)
            out[o++] = ',';
    }
    out[o] = '\0';
    return out;
}

/* Prints s padded to width display columns (UTF-8 continuation bytes take none). */
static void print_padded(const char *s, int width)
{
    int cols = 0;
    for (const char *p = s; *p; p++)
        cols += ((unsigned char)*p & 0xC0) != 0x80;
    fputs(s, stdout);
    for (; cols < width; cols++)
        putchar(' ');
}

struct class_rank {
    size_t count, idx;
};

static int cmp_class_rank(const void *pa, const void *pb)
{
    const struct class_rank *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Counts of images, files, annotations and box sizes. */
static void print_totals(const struct ie_annot_result *r)
{
    char a[32], b[32], c[32];
    printf("Annotation analysis: %s\n", r->root ? r->root : "");
    printf("  Format: %s (%s)\n", ie_annot_format_name(r->format),
           r->detected ? "detected" : "given");
    printf("  Images: %s (%s annotated, %s unannotated)\n",
           fmt_count(a, sizeof(a), r->total_images), fmt_count(b, sizeof(b), r->annotated_images),
           fmt_count(c, sizeof(c), r->unannotated_images));
    printf("  Image files: %s, annotation files: %s\n", fmt_count(a, sizeof(a), r->image_files),
           fmt_count(b, sizeof(b), r->annotation_files));
    if (r->format == IE_ANNOT_CLASSIFICATION)
        printf("  Labelled images: %s\n", fmt_count(a, sizeof(a), r->total_annotations));
    else
        printf("  Total annotations: %s\n", fmt_count(a, sizeof(a), r->total_annotations));
    printf("  Classes: %zu\n", r->num_classes);
    printf("  Avg objects/image: %.1f\n", r->mean_objects_per_image);
    printf("  Max objects/image: %zu\n", r->max_objects_per_image);
    if (r->total_boxes) {
        printf("  Size breakdown: %s small / %s medium / %s large",
               fmt_count(a, sizeof(a), r->small_count), fmt_count(b, sizeof(b), r->medium_count),
               fmt_count(c, sizeof(c), r->large_count));
        if (r->unsized_boxes)
            printf(" (%s boxes without image size)", fmt_count(a, sizeof(a), r->unsized_boxes));
        printf("\n");
    }
}

/* The class distribution, most frequent first, and declared classes never used. */
static void print_classes(const struct ie_annot_result *r)
{
    char a[32];
    if (r->num_classes) {
        /* Most frequent first, ties in class order. */
        struct class_rank *rank = ie_xcalloc(r->n_classes + 1, sizeof(*rank));
        size_t m = 0;
        for (size_t i = 0; i < r->n_classes; i++)
            if (r->classes[i].count)
                rank[m++] = (struct class_rank){r->classes[i].count, i};
        qsort(rank, m, sizeof(*rank), cmp_class_rank);
        printf("\nClass distribution (top %d):\n", TOP_CLASSES);
        for (size_t i = 0; i < m && i < TOP_CLASSES; i++) {
            const struct ie_annot_class *k = &r->classes[rank[i].idx];
            double pct = r->total_annotations
                             ? 100.0 * (double)k->count / (double)r->total_annotations
                             : 0.0;
            printf("  ");
            print_padded(k->name, 30);
            printf(" %8s (%5.1f%%) ", fmt_count(a, sizeof(a), k->count), pct);
            for (int bar = 0; bar < (int)(pct / 2); bar++)
                fputs("\u2588", stdout);
            printf("\n");
        }
        if (m > TOP_CLASSES)
            printf("  ... and %zu more (--json lists all)\n", m - TOP_CLASSES);
        size_t unused = 0;
        for (size_t i = 0; i < r->n_classes; i++)
            unused += r->classes[i].declared && r->classes[i].count == 0;
        if (unused) {
            printf("  Declared but never used: ");
            size_t shown = 0;
            for (size_t i = 0; i < r->n_classes && shown < TOP_LIST; i++) {
                if (r->classes[i].declared && r->classes[i].count == 0)
                    printf("%s%s", shown++ ? ", " : "", r->classes[i].name);
            }
            printf("%s\n", unused > TOP_LIST ? ", ..." : "");
        }
        free(rank);
    }
}

/* Per split counts, and classes a split lacks. */
static void print_splits(const struct ie_annot_result *r)
{
    char a[32], b[32], c[32];
    if (r->n_splits) {
        printf("\nSplits:\n");
        printf("  %-14s %10s %10s %12s\n", "split", "images", "annotated", "annotations");
        for (size_t i = 0; i < r->n_splits; i++) {
            const struct ie_annot_split *s = &r->splits[i];
            printf("  ");
            print_padded(s->name, 14);
            printf(" %10s %10s %12s\n", fmt_count(a, sizeof(a), s->images),
                   fmt_count(b, sizeof(b), s->annotated_images),
                   fmt_count(c, sizeof(c), s->annotations));
        }
        /* Classes missing from a split that others have are a common data bug. */
        for (size_t i = 0; i < r->n_splits; i++) {
            const struct ie_annot_split *s = &r->splits[i];
            size_t missing = 0;
            for (size_t k = 0; k < r->n_classes; k++)
                missing += r->classes[k].count > 0 && s->class_counts[k] == 0;
            if (missing && s->annotations)
                printf("  %s lacks %zu of the %zu classes in use\n", s->name, missing,
                       r->num_classes);
        }
    }
}

/* Classes seen together, images without annotations and the reverse. */
static void print_pairs_and_orphans(const struct ie_annot_result *r)
{
    char a[32], b[32];
    if (r->n_pairs) {
        printf("\nClasses seen together (top %d):\n", TOP_PAIRS);
        for (size_t i = 0; i < r->n_pairs && i < TOP_PAIRS; i++) {
            printf("  %s + %s: %s image%s\n", r->classes[r->pairs[i].a].name,
                   r->classes[r->pairs[i].b].name, fmt_count(a, sizeof(a), r->pairs[i].count),
                   r->pairs[i].count == 1 ? "" : "s");
        }
    }

    if (r->orphan_images_total) {
        printf("\n%s image%s without annotations", fmt_count(a, sizeof(a), r->orphan_images_total),
               r->orphan_images_total == 1 ? "" : "s");
        if (r->missing_annotation_total)
            printf(" (%s without an annotation file)",
                   fmt_count(b, sizeof(b), r->missing_annotation_total));
        printf(":");
        for (size_t i = 0; i < r->n_orphan_images && i < TOP_LIST; i++)
            printf("%s %s", i ? "," : "", r->orphan_images[i]);
        printf("%s\n", r->orphan_images_total > TOP_LIST ? ", ..." : "");
    }
    if (r->orphan_annotations_total) {
        printf("%s%s annotation%s without images:", r->orphan_images_total ? "" : "\n",
               fmt_count(a, sizeof(a), r->orphan_annotations_total),
               r->orphan_annotations_total == 1 ? "" : "s");
        for (size_t i = 0; i < r->n_orphan_annotations && i < TOP_LIST; i++)
            printf("%s %s", i ? "," : "", r->orphan_annotations[i]);
        printf("%s\n", r->orphan_annotations_total > TOP_LIST ? ", ..." : "");
    }
}

/* Problems in the annotation files, and notes. */
static void print_issues(const struct ie_annot_result *r)
{
    char a[32];
    if (r->issues_total) {
        printf("\nIssues: %s (", fmt_count(a, sizeof(a), r->issues_total));
        bool first = true;
        for (int k = 0; k < IE_ANNOT_N_KINDS; k++) {
            if (!r->issue_counts[k])
                continue;
            printf("%s%s %s", first ? "" : ", ", fmt_count(a, sizeof(a), r->issue_counts[k]),
                   ie_annot_issue_kind_name((enum ie_annot_issue_kind)k));
            first = false;
        }
        printf(")\n");
        for (size_t i = 0; i < r->n_issues && i < TOP_ISSUES; i++) {
            const struct ie_annot_issue *is = &r->issues[i];
            if (is->line)
                printf("  %s:%u: %s: %s\n", is->file, is->line, ie_annot_issue_kind_name(is->kind),
                       is->message);
            else
                printf("  %s: %s: %s\n", is->file, ie_annot_issue_kind_name(is->kind), is->message);
        }
        if (r->issues_total > TOP_ISSUES)
            printf("  ... and %zu more (--json or -o lists up to --max-listed)\n",
                   r->issues_total - TOP_ISSUES);
    } else if (r->format != IE_ANNOT_FLAT) {
        printf("\nNo problems found in the annotation files.\n");
    }
    for (size_t i = 0; i < r->n_notes; i++)
        printf("%s%s\n", i == 0 ? "\nNotes:\n  " : "  ", r->notes[i]);
}

static void print_report(const struct ie_annot_result *r)
{
    print_totals(r);
    print_classes(r);
    print_splits(r);
    print_pairs_and_orphans(r);
    print_issues(r);
}

int cmd_annotations(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, OPT_JSON},
        {"max-listed", required_argument, NULL, OPT_MAX_LISTED},
        {"labels", required_argument, NULL, OPT_LABELS},
        {"annotation-file", required_argument, NULL, OPT_ANNOTATION_FILE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ie_annot_options o;
    struct ie_annot_result r;
    struct ie_err err = {0};
    const char *dir = NULL, *out = NULL;
    char *json = NULL;
    bool as_json = false;
    int c, rc = 1;

    ie_annot_options_init(&o);
    ie_annot_result_init(&r);
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (ie_annot_format_parse(optarg, &o.format, &err) < 0) {
                cli_error("%s", err.msg);
                goto out;
            }
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_JSON:
            as_json = true;
            break;
        case OPT_LABELS:
            o.label_dir = optarg;
            break;
        case OPT_ANNOTATION_FILE:
            o.annotation_file = optarg;
            break;
        case OPT_MAX_LISTED: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || v < 0 || v > 100000000) {
                cli_error("--max-listed needs a number from 0 to 100000000, not '%s'", optarg);
                goto out;
            }
            o.max_listed = (size_t)v;
            break;
        }
        case 'h':
            fputs(annotations_usage, stdout);
            rc = 0;
            goto out;
        default:
            fputs(annotations_usage, stderr);
            goto out;
        }
    }
    if (optind < argc)
        dir = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        fputs(annotations_usage, stderr);
        goto out;
    }
    if (!dir) {
        cli_error("annotations needs a dataset folder");
        fputs(annotations_usage, stderr);
        goto out;
    }
    if (ie_annot_analyze(dir, &o, &r, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (as_json || out)
        json = ie_annot_result_to_json(&r, true);
    if (out) {
        struct ie_buf b;
        ie_buf_init(&b);
        ie_buf_adds(&b, json);
        ie_buf_addc(&b, '\n');
        int wrc = ie_write_file_atomic(out, b.data, b.len, &err);
        ie_buf_release(&b);
        if (wrc < 0) {
            cli_error("%s", err.msg);
            goto out;
        }
    }
    if (as_json) {
        puts(json);
    } else {
        print_report(&r);
        if (out)
            printf("\nSaved to %s\n", out);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write the report");
        goto out;
    }
    rc = 0;
out:
    free(json);
    ie_annot_result_release(&r);
    return rc;
}
