/* Accumulating the result: issues, notes and file lists as they are found, each image's boxes
 * into counters (ie__annot_acc_image), and the summary built from them (ie_annot_result_finish). */

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

/* ---- issues, notes and file lists ---- */

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

void ie__annot_add_issue(struct ie_annot_result *r, const char *file, uint32_t line,
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
    is->file = ie__annot_clean_line(file, strlen(file));
    is->line = line;
    is->kind = kind;
    is->message = ie__annot_clean_line(msg, strlen(msg));
}

void ie__annot_add_note(struct ie_annot_result *r, const char *fmt, ...)
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
    r->notes[r->n_notes++] = ie__annot_clean_line(msg, strlen(msg));
}

static void add_listed(struct ie_annot_result *r, char ***v, size_t *n, size_t *total,
                       const char *s)
{
    (*total)++;
    if (*n >= max_listed(r))
        return;
    *v = grow_pow2(*v, *n, sizeof(**v));
    (*v)[(*n)++] = ie__annot_clean_line(s, strlen(s));
}

static void add_orphan_image(struct ie_annot_result *r, const char *rel)
{
    add_listed(r, &r->orphan_images, &r->n_orphan_images, &r->orphan_images_total, rel);
}

void ie__annot_add_missing_annotation(struct ie_annot_result *r, const char *rel)
{
    add_listed(r, &r->missing_annotation, &r->n_missing_annotation, &r->missing_annotation_total,
               rel);
}

void ie__annot_add_orphan_annotation(struct ie_annot_result *r, const char *rel)
{
    add_listed(r, &r->orphan_annotations, &r->n_orphan_annotations, &r->orphan_annotations_total,
               rel);
}

/* ---- the accumulator ---- */

struct box *ie__annot_boxvec_push(struct boxvec *bv)
{
    ie_grow((void **)&bv->v, &bv->cap, bv->n + 1, sizeof(*bv->v));
    struct box *b = &bv->v[bv->n];
    memset(b, 0, sizeof(*b));
    b->id = -1;
    b->seq = bv->n++;
    return b;
}

/* Index of class `name`, created when new. declared marks it as listed by the dataset's
 * configuration (data.yaml, categories, class folders). */
size_t ie__annot_class_intern(struct ie_annot_state *st, const char *name, bool declared)
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
size_t ie__annot_split_intern(struct ie_annot_state *st, const char *name)
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
                ie__annot_add_note(
                    r, "more than %u distinct class pairs: co-occurrence is incomplete", MAX_PAIRS);
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
                ie__annot_add_issue(
                    r, file, 0, IE_ANNOT_DUPLICATE_BOX,
                    "annotation %s%lld repeats annotation %s%lld (same class and box)",
                    b->id_is_index ? "#" : "id ", (long long)b->id, a->id_is_index ? "#" : "id ",
                    (long long)a->id);
            else if (a->line)
                ie__annot_add_issue(r, file, b->line, IE_ANNOT_DUPLICATE_BOX,
                                    "same class and box as line %u", a->line);
            else
                ie__annot_add_issue(r, file, b->line, IE_ANNOT_DUPLICATE_BOX,
                                    "same class and box as an earlier object");
        } else {
            first = i;
        }
    }
}

/* Feeds one image: its split (index from ie__annot_split_intern) and its boxes (or, with labels,
 * its image-level class labels). file names the annotation file for duplicate reports; image names
 * the image in the orphan list when it has no annotations (NULL: not listed). */
/* Hands the image's distinct classes (st->scratch[0..nd), class indexes) to opt.on_image. */
static void report_image(struct ie_annot_state *st, const char *image, size_t nd)
{
    ie_grow((void **)&st->scratch_names, &st->scratch_names_cap, nd, sizeof(*st->scratch_names));
    for (size_t i = 0; i < nd; i++)
        st->scratch_names[i] = st->class_names[st->scratch[i]];
    st->opt.on_image(st->opt.on_image_ctx, image, st->scratch_names, nd);
}

void ie__annot_acc_image(struct ie_annot_result *r, struct ie_annot_state *st, size_t split,
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
    if (st->opt.on_image && nd && image)
        report_image(st, image, nd);
    if (nd > MAX_CLASSES_PER_IMAGE_PAIRS) {
        if (!st->pairs_wide_noted)
            ie__annot_add_note(r, "images with more than %d classes are left out of co-occurrence",
                               MAX_CLASSES_PER_IMAGE_PAIRS);
        st->pairs_wide_noted = true;
        return;
    }
    for (size_t i = 0; i < nd; i++)
        for (size_t j = i + 1; j < nd; j++)
            pair_add(r, st, st->scratch[i], st->scratch[j]);
}

/* ---- the summary ---- */

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
