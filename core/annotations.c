/* Dataset layout detection and annotation statistics (see imgeda/annotations.h).
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

/* ---- classification and flat ---- */

static int analyze_classification(struct ie_annot_result *r, struct ie_annot_state *st,
                                  const char *root, const struct walk *w, bool with_splits,
                                  bool forced, struct ie_err *err)
{
    size_t n_sub = 0;
    char **subs = ie__annot_list_dir(root, true, NULL, &n_sub);
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
        qsort(names, nn, sizeof(*names), ie__annot_cmp_str);
    for (size_t i = 0; i < nn; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            ie__annot_class_intern(st, names[i], true);
    ie__annot_free_strv(names, nn);
    if (!with_splits) {
        for (size_t i = 0; i < n_sub; i++) {
            size_t idx;
            if (!ie_strmap_get(&st->class_index, subs[i], &idx))
                ie__annot_add_note(r, "class folder '%s' holds no images", subs[i]);
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
            sp = ie__annot_split_intern(st, split);
            cls = s ? s + 1 : rel;
        } else {
            sp = ie__annot_split_intern(st, "");
        }
        const char *slash = strchr(cls, '/');
        if (!slash || (with_splits && cls == rel)) {
            ie__annot_acc_image(r, st, sp, &bv, true, rel, rel);
            ie__annot_add_missing_annotation(r, rel);
            continue;
        }
        char *name = ie_xstrndup(cls, (size_t)(slash - cls));
        struct box *b = ie__annot_boxvec_push(&bv);
        b->cls = ie__annot_class_intern(st, name, true);
        free(name);
        ie__annot_acc_image(r, st, sp, &bv, true, rel, rel);
        free(bv.v);
    }
out:
    ie__annot_free_strv(subs, n_sub);
    return rc;
}

static void analyze_flat(struct ie_annot_result *r, struct ie_annot_state *st, const struct walk *w)
{
    struct boxvec none = {0};
    char split[64];
    for (size_t i = 0; i < w->n_images; i++)
        ie__annot_acc_image(
            r, st,
            ie__annot_split_intern(st, ie__annot_path_split(w->images[i], split, sizeof(split))),
            &none, false, w->images[i], NULL);
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
    struct ie_annot_state *st = state_get(r, o);
    free(r->root);
    r->root = ie__annot_clean_line(root, strlen(root));
    fmt = o->format;
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
        rc = analyze_classification(r, st, root, &w, cls_splits, !r->detected, err);
        break;
    default:
        analyze_flat(r, st, &w);
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
