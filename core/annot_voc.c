/* Pascal VOC: XML through expat (no DTDs), and the dataset walk. */

#include <expat.h>

#include "annot_internal.h"
#include "imgeda/annotations.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

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

void ie__annot_voc_doc_release(struct voc_doc *d)
{
    free(d->filename);
    for (size_t i = 0; i < d->n; i++)
        free(d->objs[i].name);
    free(d->objs);
    memset(d, 0, sizeof(*d));
}

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
    while (n > 0 && ie__annot_is_ws(*s))
        s++, n--;
    while (n > 0 && ie__annot_is_ws(s[n - 1]))
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
        ie__annot_add_issue(c->r, c->file, line, IE_ANNOT_MALFORMED,
                            "<%s> text longer than %d bytes", name, MAX_XML_TEXT);
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
        if (!ie__annot_parse_double(t, strlen(t), &o->c[i])) {
            ie__annot_add_issue(c->r, c->file, line, IE_ANNOT_MALFORMED,
                                "<%s> '%s' is not a finite number", name,
                                ie__annot_quote(q, sizeof(q), t, strlen(t)));
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

/* Parses a VOC XML file into doc (objects with raw coordinates; checks happen in
 * ie__annot_voc_boxes). Returns 0, or IE_EFORMAT with a PARSE_ERROR issue. */
int ie__annot_voc_parse(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
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
            ie__annot_add_issue(r, file, line, IE_ANNOT_PARSE_ERROR, "%s", c.stop_msg);
        else
            ie__annot_add_issue(r, file, line, IE_ANNOT_PARSE_ERROR, "XML error: %s",
                                XML_ErrorString(XML_GetErrorCode(c.p)));
        rc = IE_EFORMAT;
        goto out;
    }
    doc->sized =
        c.width_s && c.height_s && ie__annot_parse_double(c.width_s, strlen(c.width_s), &doc->w) &&
        ie__annot_parse_double(c.height_s, strlen(c.height_s), &doc->h) && doc->w > 0 && doc->h > 0;
out:
    XML_ParserFree(c.p);
    ie_buf_release(&c.text);
    free(c.width_s);
    free(c.height_s);
    return rc;
}

/* Turns the objects of doc into boxes, reporting bad ones. */
void ie__annot_voc_boxes(struct ie_annot_result *r, struct ie_annot_state *st, const char *file,
                         const struct voc_doc *doc, struct boxvec *bv)
{
    static const char *const coords[] = {"xmin", "ymin", "xmax", "ymax"};
    if (!doc->sized && doc->n > 0)
        ie__annot_add_issue(r, file, 0, IE_ANNOT_MISSING_SIZE,
                            "no positive <size><width>/<height>: boxes cannot be normalised");
    for (size_t i = 0; i < doc->n; i++) {
        const struct voc_obj *o = &doc->objs[i];
        if (o->bad)
            continue;
        if (!o->name)
            ie__annot_add_issue(r, file, o->line, IE_ANNOT_MALFORMED,
                                "object without <name>: counted as class 'unknown'");
        if (o->bndboxes == 0) {
            ie__annot_add_issue(r, file, o->line, IE_ANNOT_MALFORMED, "object without <bndbox>");
            continue;
        }
        if (o->have != 0xF) {
            int miss = 0;
            while (o->have & (1u << miss))
                miss++;
            ie__annot_add_issue(r, file, o->line, IE_ANNOT_MALFORMED, "<bndbox> lacks <%s>",
                                coords[miss]);
            continue;
        }
        struct box *b = ie__annot_boxvec_push(bv);
        b->line = o->line;
        b->cls = ie__annot_class_intern(st, o->name ? o->name : "unknown", false);
        memcpy(b->raw, o->c, sizeof(b->raw));
        double w = o->c[2] - o->c[0], h = o->c[3] - o->c[1];
        if (w <= 0 || h <= 0)
            ie__annot_add_issue(
                r, file, o->line, IE_ANNOT_ZERO_SIZE,
                "box has zero or negative size (xmax - xmin = %.6g, ymax - ymin = %.6g)", w, h);
        if (!doc->sized)
            continue;
        b->sized = true;
        b->nw = w / doc->w;
        b->nh = h / doc->h;
        b->area = b->nw * b->nh;
        if (w > 0 && h > 0 &&
            (o->c[0] < -EPS_PIXELS || o->c[1] < -EPS_PIXELS || o->c[2] > doc->w + EPS_PIXELS ||
             o->c[3] > doc->h + EPS_PIXELS))
            ie__annot_add_issue(r, file, o->line, IE_ANNOT_OUT_OF_BOUNDS,
                                "box [%.6g, %.6g, %.6g, %.6g] reaches outside the %.6gx%.6g image",
                                o->c[0], o->c[1], o->c[2], o->c[3], doc->w, doc->h);
    }
}

/* ---- VOC ---- */

static bool voc_image_keep_jpeg(const char *rel)
{
    return strncmp(rel, "JPEGImages/", 11) == 0;
}

static bool voc_image_keep_other(const char *rel)
{
    return !ie__annot_has_component(rel, "SegmentationClass", false) &&
           !ie__annot_has_component(rel, "SegmentationObject", false);
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
        char *full = ie__annot_join2(root, rel);
        bool exists = ie__annot_is_file(full);
        free(full);
        if (!exists || (l == 3 && have_tv))
            continue;
        if (l < 2)
            have_tv = true;
        if (ie__annot_read_annotation(r, root, rel, st->opt.max_text_bytes, &data, &len) < 0)
            continue;
        size_t sp = ie__annot_split_intern(st, lists[l]);
        for (char *p = data; p < data + len;) {
            char *eol = memchr(p, '\n', (size_t)(data + len - p));
            char *e = eol ? eol : data + len;
            while (p < e && ie__annot_is_ws(*p))
                p++;
            char *t = p;
            while (t < e && !ie__annot_is_ws(*t))
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

int ie__annot_analyze_voc(struct ie_annot_result *r, struct ie_annot_state *st, const char *root,
                          const struct walk *w, bool forced, struct ie_err *err)
{
    struct img_index ix;
    struct ie_strmap sets;
    char **set_keys = NULL, **xml = NULL;
    size_t n_set_keys = 0, n_xml = 0;
    char *ann_dir = ie__annot_join2(root, "Annotations"),
         *jpeg_dir = ie__annot_join2(root, "JPEGImages");
    int rc = 0;

    memset(&ix, 0, sizeof(ix));
    ie_strmap_init(&sets);
    xml = ie__annot_list_dir(ann_dir, false, "xml", &n_xml);
    if (n_xml == 0 && forced) {
        rc = ie_err_set(err, IE_EINVAL, "no Pascal VOC annotations in %s: no Annotations/*.xml",
                        root);
        goto out;
    }
    /* Images outside JPEGImages/ (masks in SegmentationClass/, ...) are not the dataset's. */
    ie__annot_img_index_build(
        &ix, st, w, ie__annot_is_dir(jpeg_dir) ? voc_image_keep_jpeg : voc_image_keep_other);
    r->image_files = ix.n;
    voc_image_sets(r, st, root, &sets, &set_keys, &n_set_keys);
    for (size_t i = 0; i < ix.n; i++) {
        size_t sp;
        if (ie_strmap_get(&sets, ix.stems[i], &sp))
            ix.split[i] = sp;
    }
    if (ix.n == 0)
        ie__annot_note_annotation_only(r);
    for (size_t i = 0; i < n_xml; i++) {
        char *rel = ie__annot_join2("Annotations", xml[i]), *data = NULL;
        char *xml_stem = ie__annot_strip_ext(xml[i]);
        size_t len;
        struct voc_doc doc = {0};
        struct boxvec bv = {0};
        r->annotation_files++;
        if (ie__annot_read_annotation(r, root, rel, st->opt.max_xml_bytes, &data, &len) < 0 ||
            ie__annot_voc_parse(r, st, rel, data, len, &doc) < 0) {
            /* The image still has an annotation file (a broken one, reported as such): it is
             * unannotated but not an orphan. */
            bool amb;
            size_t im = ix.n ? ie__annot_img_find(&ix, xml_stem, true, SIZE_MAX, &amb) : SIZE_MAX;
            if (im != SIZE_MAX && !ix.claimed[im]) {
                ix.claimed[im] = 1;
                ie__annot_acc_image(r, st, ix.split[im], &bv, false, rel, ix.rel[im]);
            } else if (ix.n) {
                ie__annot_add_orphan_annotation(r, rel);
            }
            goto next;
        }
        ie__annot_voc_boxes(r, st, rel, &doc, &bv);
        if (ix.n == 0) {
            size_t sp;
            if (!ie_strmap_get(&sets, xml_stem, &sp))
                sp = ie__annot_split_intern(st, "");
            ie__annot_acc_image(r, st, sp, &bv, false, rel, rel);
            goto next;
        }
        bool amb = false;
        size_t im = SIZE_MAX;
        if (doc.filename) {
            im = ie__annot_img_find(&ix, doc.filename, false, SIZE_MAX, &amb);
            if (im == SIZE_MAX) {
                char *stem = ie__annot_strip_ext(ie__annot_base_name(doc.filename));
                im = ie__annot_img_find(&ix, stem, true, SIZE_MAX, &amb);
                free(stem);
            }
        }
        if (im == SIZE_MAX)
            im = ie__annot_img_find(&ix, xml_stem, true, SIZE_MAX, &amb);
        if (im == SIZE_MAX) {
            ie__annot_add_orphan_annotation(r, rel);
            goto next;
        }
        if (amb)
            ie__annot_add_issue(r, rel, 0, IE_ANNOT_CONFLICT,
                                "the image name fits several images; %s is used", ix.rel[im]);
        if (ix.claimed[im]) {
            ie__annot_add_issue(
                r, rel, 0, IE_ANNOT_CONFLICT,
                "%s is already annotated by another XML file; this one is not counted", ix.rel[im]);
            goto next;
        }
        ix.claimed[im] = 1;
        ie__annot_acc_image(r, st, ix.split[im], &bv, false, rel, ix.rel[im]);
    next:
        free(bv.v);
        ie__annot_voc_doc_release(&doc);
        free(data);
        free(xml_stem);
        free(rel);
    }
    ie__annot_feed_unclaimed(r, st, &ix, true);
out:
    ie__annot_free_strv(xml, n_xml);
    ie__annot_free_strv(set_keys, n_set_keys);
    ie_strmap_release(&sets);
    ie__annot_img_index_release(&ix);
    free(ann_dir);
    free(jpeg_dir);
    return rc;
}
