/* The JSON form of an annotation result: imgeda's AnnotationStats keys, then ours (counts and
 * means as Python's json writes them, through imgeda/json.h). */

#include <cjson/cJSON.h>

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/json.h"
#include "imgeda/util.h"

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

/* imgeda's AnnotationStats.to_dict() keys, in its order. */
static void add_imgeda_keys(cJSON *o, const struct ie_annot_result *r, const size_t *by_count)
{
    size_t n_declared = 0;
    ie_json_add_int(o, "total_images", r->total_images);
    ie_json_add_int(o, "annotated_images", r->annotated_images);
    ie_json_add_int(o, "unannotated_images", r->unannotated_images);
    ie_json_add_int(o, "total_annotations", r->total_annotations);
    ie_json_add_int(o, "num_classes", r->num_classes);
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
            ie_json_add_int(counts, c->name, c->count);
    }
    ie_json_add_double(o, "mean_objects_per_image", ie_round(r->mean_objects_per_image, 2));
    ie_json_add_int(o, "max_objects_per_image", r->max_objects_per_image);
    ie_json_add_int(o, "small_count", r->small_count);
    ie_json_add_int(o, "medium_count", r->medium_count);
    ie_json_add_int(o, "large_count", r->large_count);
    cJSON *oi = cJSON_AddArrayToObject(o, "orphan_images");
    for (size_t i = 0; i < r->n_orphan_images; i++)
        cJSON_AddItemToArray(oi, cJSON_CreateString(r->orphan_images[i]));
    cJSON *oa = cJSON_AddArrayToObject(o, "orphan_annotations");
    for (size_t i = 0; i < r->n_orphan_annotations; i++)
        cJSON_AddItemToArray(oa, cJSON_CreateString(r->orphan_annotations[i]));
}

/* Our additions: totals, box sizes, files without annotations. */
static void add_our_totals(cJSON *o, const struct ie_annot_result *r)
{
    cJSON_AddStringToObject(o, "format", ie_annot_format_name(r->format));
    cJSON_AddBoolToObject(o, "detected", r->detected);
    if (r->root)
        cJSON_AddStringToObject(o, "root", r->root);
    else
        cJSON_AddNullToObject(o, "root");
    ie_json_add_int(o, "image_files", r->image_files);
    ie_json_add_int(o, "annotation_files", r->annotation_files);
    ie_json_add_int(o, "total_boxes", r->total_boxes);
    ie_json_add_int(o, "unsized_boxes", r->unsized_boxes);
    ie_json_add_double(o, "mean_box_width", ie_round(r->mean_box_width, 4));
    ie_json_add_double(o, "mean_box_height", ie_round(r->mean_box_height, 4));
    ie_json_add_double(o, "mean_box_area", ie_round(r->mean_box_area, 4));
    ie_json_add_int(o, "orphan_images_total", r->orphan_images_total);
    ie_json_add_int(o, "orphan_annotations_total", r->orphan_annotations_total);
    cJSON *ma = cJSON_AddArrayToObject(o, "missing_annotation");
    for (size_t i = 0; i < r->n_missing_annotation; i++)
        cJSON_AddItemToArray(ma, cJSON_CreateString(r->missing_annotation[i]));
    ie_json_add_int(o, "missing_annotation_total", r->missing_annotation_total);
}

/* Our additions: classes, co-occurrence, splits, issues and notes. */
static void add_our_tables(cJSON *o, const struct ie_annot_result *r, const size_t *by_count)
{
    cJSON *classes = cJSON_AddArrayToObject(o, "classes");
    for (size_t i = 0; i < r->n_classes; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", r->classes[i].name);
        cJSON_AddBoolToObject(c, "declared", r->classes[i].declared);
        ie_json_add_int(c, "count", r->classes[i].count);
        ie_json_add_int(c, "images", r->classes[i].images);
        cJSON_AddItemToArray(classes, c);
    }
    cJSON *co = cJSON_AddArrayToObject(o, "co_occurrence");
    for (size_t i = 0; i < r->n_pairs; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "a", r->classes[r->pairs[i].a].name);
        cJSON_AddStringToObject(p, "b", r->classes[r->pairs[i].b].name);
        ie_json_add_int(p, "images", r->pairs[i].count);
        cJSON_AddItemToArray(co, p);
    }
    cJSON *splits = cJSON_AddArrayToObject(o, "splits");
    cJSON *scc = cJSON_AddObjectToObject(o, "split_class_counts");
    for (size_t i = 0; i < r->n_splits; i++) {
        const struct ie_annot_split *s = &r->splits[i];
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "name", s->name);
        ie_json_add_int(so, "images", s->images);
        ie_json_add_int(so, "annotated_images", s->annotated_images);
        ie_json_add_int(so, "annotations", s->annotations);
        cJSON_AddItemToArray(splits, so);
        cJSON *cc = cJSON_AddObjectToObject(scc, s->name);
        for (size_t j = 0; j < r->n_classes; j++) {
            size_t c = by_count[j];
            if (s->class_counts[c])
                ie_json_add_int(cc, r->classes[c].name, s->class_counts[c]);
        }
    }
    ie_json_add_int(o, "issues_total", r->issues_total);
    cJSON *ic = cJSON_AddObjectToObject(o, "issue_counts");
    for (int k = 0; k < IE_ANNOT_N_KINDS; k++)
        ie_json_add_int(ic, ie__annot_issue_names[k], r->issue_counts[k]);
    cJSON *issues = cJSON_AddArrayToObject(o, "issues");
    for (size_t i = 0; i < r->n_issues; i++) {
        const struct ie_annot_issue *is = &r->issues[i];
        cJSON *io = cJSON_CreateObject();
        cJSON_AddStringToObject(io, "file", is->file);
        ie_json_add_int(io, "line", is->line);
        cJSON_AddStringToObject(io, "kind", ie__annot_issue_names[is->kind]);
        cJSON_AddStringToObject(io, "message", is->message);
        cJSON_AddItemToArray(issues, io);
    }
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    for (size_t i = 0; i < r->n_notes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
}

char *ie_annot_result_to_json(const struct ie_annot_result *r, bool pretty)
{
    cJSON *o = cJSON_CreateObject();
    size_t *by_count = classes_sorted(r, false);
    add_imgeda_keys(o, r, by_count);
    add_our_totals(o, r);
    add_our_tables(o, r, by_count);
    free(by_count);
    char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort(); /* cJSON fails only when out of memory */
    return s;
}
