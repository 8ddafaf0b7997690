/* Annotation statistics: the result's summary and its JSON form. */

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

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
    ie__annot_release_summary(r);
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
        r->classes[i].name = ie__annot_clean_line(st->class_names[c], strlen(st->class_names[c]));
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
            o->name = ie__annot_clean_line(s->name, strlen(s->name));
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
}

/* Our additions: classes, co-occurrence, splits, issues and notes. */
static void add_our_tables(cJSON *o, const struct ie_annot_result *r, const size_t *by_count)
{
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
        add_size(ic, ie__annot_issue_names[k], r->issue_counts[k]);
    cJSON *issues = cJSON_AddArrayToObject(o, "issues");
    for (size_t i = 0; i < r->n_issues; i++) {
        const struct ie_annot_issue *is = &r->issues[i];
        cJSON *io = cJSON_CreateObject();
        cJSON_AddStringToObject(io, "file", is->file);
        add_size(io, "line", is->line);
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
