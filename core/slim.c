/* The slim manifest view (see imgeda/slim.h): arena, path index, captured values to slim
 * records, loading, values and exact-duplicate groups. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/manifest.h"
#include "imgeda/slim.h"
#include "imgeda/util.h"
#include "slim_internal.h"

const char *const ie_slim_field_names[IE_SLIM_NFIELDS] = {
    "file_size_bytes",     "width",      "height",    "format",
    "color_mode",          "is_corrupt", "is_dark",   "is_overexposed",
    "has_border_artifact", "phash",      "is_blurry", "aspect_ratio",
};

/* ---- string arena: paths and the rare irregular values live until release ---- */

#define ARENA_CHUNK (1u << 20)

static char *arena_strndup(struct ie_slim_manifest *m, const char *s, size_t n)
{
    if (!m->arena)
        m->arena = ie_xcalloc(1, sizeof(*m->arena));
    struct arena_chunk *c = m->arena->head;
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > ARENA_CHUNK / 4 ? n + 1 : ARENA_CHUNK;
        struct arena_chunk *nc = ie_xmalloc(sizeof(*nc) + cap);
        nc->used = 0;
        nc->cap = cap;
        if (c && cap != ARENA_CHUNK) {
            /* An oversized string gets its own chunk behind the current one, which stays in
             * use for the small strings that follow. */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            m->arena->head = nc;
        }
        c = nc;
    }
    char *p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    return p;
}

char *ie__slim_strndup(struct ie_slim_manifest *m, const char *s, size_t n)
{
    return arena_strndup(m, s, n);
}

/* ---- path index: growing it (the index and its lookup, which diff.c uses too, are in
 * slim_internal.h) ---- */

static void paths_grow(struct ie_slim_manifest *m)
{
    struct ie__slim_paths *ix = m->paths, old = *ix;
    ix->cap = old.cap ? old.cap * 2 : 1024;
    ix->slots = ie_xcalloc(ix->cap, sizeof(*ix->slots));
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.slots[i].rec)
            continue;
        size_t j = (size_t)old.slots[i].hash & (ix->cap - 1);
        while (ix->slots[j].rec)
            j = (j + 1) & (ix->cap - 1);
        ix->slots[j] = old.slots[i];
    }
    free(old.slots);
}

void ie_slim_manifest_init(struct ie_slim_manifest *m)
{
    memset(m, 0, sizeof(*m));
    ie_strmap_init(&m->interned);
}

void ie_slim_manifest_release(struct ie_slim_manifest *m)
{
    free(m->recs);
    free(m->irr);
    if (m->paths) {
        free(m->paths->slots);
        free(m->paths);
    }
    ie_strmap_release(&m->interned);
    if (m->arena) {
        struct arena_chunk *c = m->arena->head;
        while (c) {
            struct arena_chunk *next = c->next;
            free(c);
            c = next;
        }
        free(m->arena);
    }
    ie_slim_manifest_init(m);
}

/* ---- from captured values to a slim record ---- */

/* A captured string as a NUL-terminated string: points into buf (decoded, NUL-terminated copy)
 * which is grown as needed. */
static const char *cap_string(const struct jcap *c, struct ie_buf *buf)
{
    ie_buf_reset(buf);
    ie_grow((void **)&buf->data, &buf->cap, c->len + 1, 1);
    if (c->esc) {
        buf->len = ie__slim_junescape(c->p, c->len, buf->data);
    } else {
        memcpy(buf->data, c->p, c->len);
        buf->data[c->len] = '\0';
        buf->len = c->len;
    }
    return buf->data;
}

/* Exact powers of ten: a double holds them exactly up to 1e22. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double cap_double(const struct jcap *c)
{
    /* Fast path for plain decimals such as 1.3333: with at most 15 digits the mantissa and the
     * power of ten are exact doubles, so one IEEE division is correctly rounded, as strtod. */
    const char *p = c->p, *end = c->p + c->len;
    bool neg = p < end && *p == '-';
    uint64_t mant = 0;
    int digits = 0, frac = -1;
    if (neg)
        p++;
    for (; p < end; p++) {
        if (*p >= '0' && *p <= '9') {
            mant = mant * 10 + (uint64_t)(*p - '0');
            digits++;
            if (frac >= 0)
                frac++;
        } else if (*p == '.' && frac < 0) {
            frac = 0;
        } else {
            break;
        }
    }
    if (p == end && digits > 0 && digits <= 15) {
        double v = (double)mant / pow10_exact[frac > 0 ? frac : 0];
        return neg ? -v : v;
    }

    char tmp[64];
    if (c->len < sizeof(tmp)) {
        memcpy(tmp, c->p, c->len);
        tmp[c->len] = '\0';
        return strtod(tmp, NULL);
    }
    char *heap = ie_xstrndup(c->p, c->len);
    double v = strtod(heap, NULL);
    free(heap);
    return v;
}

/* An integer token: returns false when it does not fit in int64 (Python's int has no limit;
 * such a value is kept as a float). */
static bool cap_int64(const struct jcap *c, int64_t *out)
{
    const char *p = c->p, *end = c->p + c->len;
    bool neg = *p == '-';
    uint64_t v = 0;
    if (neg)
        p++;
    for (; p < end; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* The exact value of a capture, with strings copied into the arena. */
static struct ie_jvalue cap_jvalue(struct ie_slim_manifest *m, const struct jcap *c,
                                   struct ie_buf *tmp)
{
    struct ie_jvalue v;
    memset(&v, 0, sizeof(v));
    v.type = c->type;
    switch (c->type) {
    case IE_JBOOL:
        v.b = c->b;
        break;
    case IE_JINT:
        if (!cap_int64(c, &v.i)) {
            v.type = IE_JFLOAT;
            v.d = cap_double(c);
        }
        break;
    case IE_JFLOAT:
        v.d = cap_double(c);
        break;
    case IE_JSTR:
        cap_string(c, tmp);
        v.s = arena_strndup(m, tmp->data, tmp->len);
        break;
    case IE_JRAW:
        v.s = arena_strndup(m, c->p, c->len);
        break;
    default:
        break;
    }
    return v;
}

/* Python's truthiness of a JSON value. */
static bool jvalue_truthy(const struct ie_jvalue *v)
{
    switch (v->type) {
    case IE_JBOOL:
        return v->b;
    case IE_JINT:
        return v->i != 0;
    case IE_JFLOAT:
        return v->d != 0;
    case IE_JSTR:
        return v->s[0] != '\0';
    case IE_JRAW: {
        /* [] and {} (with any inner whitespace) are empty. */
        const char *p = v->s + 1;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        return *p != ']' && *p != '}';
    }
    case IE_JHASH:
        return true;
    default:
        return false;
    }
}

/* The numeric value of a number or bool; 0 for anything else. */
static double jvalue_number(const struct ie_jvalue *v)
{
    switch (v->type) {
    case IE_JBOOL:
        return v->b;
    case IE_JINT:
        return (double)v->i;
    case IE_JFLOAT:
        return v->d;
    default:
        return 0;
    }
}

static int64_t clamp_i64(double d, int64_t lo, int64_t hi)
{
    if (!(d >= (double)lo)) /* also NaN */
        return d < 0 ? lo : 0;
    if (d >= (double)hi)
        return hi;
    return (int64_t)d;
}

const char *ie__slim_intern(struct ie_slim_manifest *m, const char *s, size_t n)
{
    size_t at;
    if (n == 0)
        return "";
    if (ie_strmap_get(&m->interned, s, &at))
        return (const char *)at;
    char *copy = arena_strndup(m, s, n);
    ie_strmap_put(&m->interned, copy, (size_t)copy);
    return copy;
}

/* Parses 64 lowercase hex digits, the only phash text that imgeda writes and that round-trips
 * through 256 bits without changing. Returns false for any other text. */
static bool canonical_hash_parse(const char *p, size_t n, struct ie_hash256 *h)
{
    if (n != 64)
        return false;
    for (int w = 0; w < 4; w++) {
        uint64_t x = 0;
        int bad = 0;
        for (int i = 0; i < 16; i++) {
            unsigned c = (unsigned char)p[w * 16 + i], d = c - '0', l = c - 'a';
            int v = d < 10 ? (int)d : l < 6 ? (int)l + 10 : -1;
            bad |= v;
            x = x << 4 | (uint64_t)(v & 15);
        }
        if (bad < 0)
            return false;
        h->w[w] = x;
    }
    return true;
}

/* Parses "xxh3_128:" + 32 lowercase hex digits (what scans write as content_hash). */
static bool content_hash_parse(const struct jcap *c, uint64_t out[2])
{
    static const char prefix[] = "xxh3_128:";
    size_t plen = sizeof(prefix) - 1;
    if (c->type != IE_JSTR || c->esc || c->len != plen + 32 || memcmp(c->p, prefix, plen) != 0)
        return false;
    for (int w = 0; w < 2; w++) {
        uint64_t x = 0;
        for (int i = 0; i < 16; i++) {
            unsigned ch = (unsigned char)c->p[plen + (size_t)w * 16 + (size_t)i];
            unsigned d = ch - '0', l = ch - 'a';
            if (d >= 10 && l >= 6)
                return false;
            x = x << 4 | (d < 10 ? d : l + 10);
        }
        out[w] = x;
    }
    return true;
}

/* Inserts rec for its path: appended, or replacing the earlier record of the same path in the
 * earlier one's position. */
static void slim_put(struct ie_slim_manifest *m, const struct ie_slim_record *rec, size_t path_len)
{
    if (!m->paths)
        m->paths = ie_xcalloc(1, sizeof(*m->paths));
    if ((m->paths->n + 1) * 2 > m->paths->cap)
        paths_grow(m);
    uint64_t h = ie__slim_path_hash(rec->path, path_len);
    size_t slot = ie__slim_paths_slot(m, rec->path, h);
    if (m->paths->slots[slot].rec) {
        m->recs[m->paths->slots[slot].rec - 1] = *rec;
        m->replaced++;
        return;
    }
    ie_grow((void **)&m->recs, &m->cap, m->n + 1, sizeof(*m->recs));
    m->recs[m->n] = *rec;
    m->n++;
    m->paths->slots[slot].hash = h;
    m->paths->slots[slot].rec = m->n;
    m->paths->n++;
}

static uint32_t new_irregular_block(struct ie_slim_manifest *m)
{
    ie_grow((void **)&m->irr, &m->cap_irr, m->n_irr + 1, sizeof(*m->irr));
    memset(&m->irr[m->n_irr], 0, sizeof(m->irr[0]));
    return (uint32_t)++m->n_irr;
}

/* Builds a slim record from the captures of one object line. */
/* Stores field f of the expected JSON type into r; false when the value's type is unexpected. */
static bool take_regular(struct ie_slim_manifest *m, int f, const struct jcap *c,
                         struct ie_slim_record *r, struct ie_buf *tmp)
{
    bool regular = false;
    int64_t iv;
    switch (f) {
    case IE_SLIM_FILE_SIZE_BYTES:
        if (c->type == IE_JINT && cap_int64(c, &iv)) {
            r->file_size_bytes = iv;
            regular = true;
        }
        break;
    case IE_SLIM_WIDTH:
    case IE_SLIM_HEIGHT:
        if (c->type == IE_JINT && cap_int64(c, &iv) && iv >= INT32_MIN && iv <= INT32_MAX) {
            *(f == IE_SLIM_WIDTH ? &r->width : &r->height) = (int32_t)iv;
            regular = true;
        }
        break;
    case IE_SLIM_FORMAT:
    case IE_SLIM_COLOR_MODE:
        if (c->type == IE_JSTR) {
            cap_string(c, tmp);
            *(f == IE_SLIM_FORMAT ? &r->format : &r->color_mode) =
                ie__slim_intern(m, tmp->data, tmp->len);
            regular = true;
        }
        break;
    case IE_SLIM_PHASH:
        if (c->type == IE_JNULL) {
            regular = true;
        } else if (c->type == IE_JSTR && !c->esc && canonical_hash_parse(c->p, c->len, &r->phash)) {
            r->flags |= IE_SLIM_F_PHASH;
            regular = true;
        }
        break;
    case IE_SLIM_ASPECT_RATIO:
        /* An integer stays irregular: Python's round() keeps it an int, and the gate prints
         * it without a decimal point. */
        if (c->type == IE_JFLOAT) {
            r->aspect_ratio = cap_double(c);
            regular = true;
        }
        break;
    default: /* the flags */
        if (c->type == IE_JBOOL) {
            if (c->b)
                r->flags |= ie__slim_flag_of(f);
            regular = true;
        }
        break;
    }
    return regular;
}

/* A value of an unexpected type: computed with a best effort (it is kept exactly apart). */
static void take_irregular(int f, const struct ie_jvalue *v, struct ie_slim_record *r)
{
    switch (f) {
    case IE_SLIM_FILE_SIZE_BYTES:
        r->file_size_bytes = clamp_i64(jvalue_number(v), INT64_MIN, INT64_MAX);
        break;
    case IE_SLIM_WIDTH:
        r->width = (int32_t)clamp_i64(jvalue_number(v), INT32_MIN, INT32_MAX);
        break;
    case IE_SLIM_HEIGHT:
        r->height = (int32_t)clamp_i64(jvalue_number(v), INT32_MIN, INT32_MAX);
        break;
    case IE_SLIM_ASPECT_RATIO:
        r->aspect_ratio = jvalue_number(v);
        break;
    case IE_SLIM_FORMAT:
    case IE_SLIM_COLOR_MODE:
    case IE_SLIM_PHASH:
        break;
    default:
        if (jvalue_truthy(v))
            r->flags |= ie__slim_flag_of(f);
        break;
    }
}

static int slim_add_caps(struct ie_slim_manifest *m, const struct jcap caps[CAP_N],
                         struct ie_buf *tmp)
{
    struct ie_slim_record r;
    struct ie_jvalue irr[IE_SLIM_NFIELDS];
    size_t path_len;

    if (caps[CAP_META].type == IE_JBOOL && caps[CAP_META].b) {
        m->has_header = true;
        if (caps[CAP_INPUT_DIR].type == IE_JSTR) {
            cap_string(&caps[CAP_INPUT_DIR], tmp);
            m->input_dir = arena_strndup(m, tmp->data, strlen(tmp->data));
        }
        return 0;
    }
    if (caps[CAP_PATH].type != IE_JSTR) {
        m->skipped_lines++;
        return -1;
    }
    memset(&r, 0, sizeof(r));
    r.format = r.color_mode = "";
    if (caps[CAP_PATH].esc) {
        cap_string(&caps[CAP_PATH], tmp);
        path_len = strlen(tmp->data); /* an escaped NUL ends the path, as in C everywhere */
        r.path = arena_strndup(m, tmp->data, path_len);
    } else {
        path_len = caps[CAP_PATH].len; /* raw content holds no NUL: control bytes fail */
        r.path = arena_strndup(m, caps[CAP_PATH].p, path_len);
    }

    for (int f = 0; f < IE_SLIM_NFIELDS; f++) {
        const struct jcap *c = &caps[f];
        if (c->type == JCAP_ABSENT)
            continue; /* Python's default: 0, "", False, None, 0.0 */
        if (take_regular(m, f, c, &r, tmp))
            continue;
        /* A value of an unexpected type: keep it exactly, compute with a best effort. */
        irr[f] = cap_jvalue(m, c, tmp);
        r.irregular |= (uint16_t)(1u << f);
        take_irregular(f, &irr[f], &r);
    }
    if (content_hash_parse(&caps[CAP_CHASH], r.chash))
        r.flags |= IE_SLIM_F_CHASH;
    if (r.irregular) {
        r.irregular_block = new_irregular_block(m);
        struct ie_slim_irregular *b = &m->irr[r.irregular_block - 1];
        for (int f = 0; f < IE_SLIM_NFIELDS; f++)
            if (r.irregular & (1u << f))
                b->v[f] = irr[f];
    }
    slim_put(m, &r, path_len);
    return 1;
}

int ie_slim_manifest_add_line(struct ie_slim_manifest *m, const char *line, size_t len)
{
    struct jcap caps[CAP_N];
    struct ie_buf tmp;
    int rc = ie__slim_scan_line(line, len, caps);
    if (rc <= 0) {
        if (rc < 0)
            m->skipped_lines++;
        return rc;
    }
    ie_buf_init(&tmp);
    rc = slim_add_caps(m, caps, &tmp);
    ie_buf_release(&tmp);
    return rc;
}

void ie_slim_manifest_add_record(struct ie_slim_manifest *m, const struct ie_record *src)
{
    struct ie_slim_record r;
    memset(&r, 0, sizeof(r));
    size_t path_len = src->path ? strlen(src->path) : 0;
    r.path = arena_strndup(m, src->path ? src->path : "", path_len);
    r.format = src->format ? ie__slim_intern(m, src->format, strlen(src->format)) : "";
    r.color_mode =
        src->color_mode ? ie__slim_intern(m, src->color_mode, strlen(src->color_mode)) : "";
    r.file_size_bytes = src->file_size_bytes;
    r.aspect_ratio = src->aspect_ratio;
    r.width = src->width;
    r.height = src->height;
    if (src->has_phash) {
        r.phash = src->phash;
        r.flags |= IE_SLIM_F_PHASH;
    }
    if (src->content_hash) {
        struct jcap c = {.type = IE_JSTR, .p = src->content_hash, .len = strlen(src->content_hash)};
        if (content_hash_parse(&c, r.chash))
            r.flags |= IE_SLIM_F_CHASH;
    }
    r.flags |= (src->is_corrupt ? IE_SLIM_F_CORRUPT : 0) | (src->is_dark ? IE_SLIM_F_DARK : 0) |
               (src->is_overexposed ? IE_SLIM_F_OVEREXPOSED : 0) |
               (src->has_border_artifact ? IE_SLIM_F_ARTIFACT : 0) |
               (src->is_blurry ? IE_SLIM_F_BLURRY : 0);
    slim_put(m, &r, path_len);
}

/* ---- loading a file ---- */

int ie_slim_manifest_load(const char *path, struct ie_slim_manifest *m, struct ie_err *err)
{
    struct jcap caps[CAP_N];
    struct ie_manifest_lines lines;
    struct ie_manifest_line ln;
    struct ie_buf tmp;
    int rc;

    ie_buf_init(&tmp);
    rc = ie_manifest_lines_open(&lines, path, err);
    while (rc >= 0 && (rc = ie_manifest_lines_next(&lines, &ln, err)) > 0) {
        if (rc == IE_MANIFEST_LINE_TOO_LONG) {
            m->skipped_lines++;
            if (m->long_lines++ == 0)
                m->first_long_line = ln.number;
            continue;
        }
        /* A last line without newline is a complete record, or a torn write that fails to
         * parse. */
        int kind = ie__slim_scan_line(ln.text, ln.len, caps);
        if (kind < 0)
            m->skipped_lines++;
        else if (kind > 0)
            slim_add_caps(m, caps, &tmp);
        if (m->n >= UINT32_MAX - 1)
            rc = ie_err_set(err, IE_ELIMIT, "manifest %s has too many records", path);
    }
    ie_manifest_lines_close(&lines);
    ie_buf_release(&tmp);
    return rc < 0 ? rc : 0;
}

/* ---- values ---- */

struct ie_jvalue ie_slim_manifest_value(const struct ie_slim_manifest *m, size_t i,
                                        enum ie_slim_field f)
{
    const struct ie_slim_record *r = &m->recs[i];
    struct ie_jvalue v;

    if (r->irregular & (1u << f))
        return m->irr[r->irregular_block - 1].v[f];
    memset(&v, 0, sizeof(v));
    switch (f) {
    case IE_SLIM_FILE_SIZE_BYTES:
        v.type = IE_JINT;
        v.i = r->file_size_bytes;
        break;
    case IE_SLIM_WIDTH:
        v.type = IE_JINT;
        v.i = r->width;
        break;
    case IE_SLIM_HEIGHT:
        v.type = IE_JINT;
        v.i = r->height;
        break;
    case IE_SLIM_FORMAT:
        v.type = IE_JSTR;
        v.s = r->format;
        break;
    case IE_SLIM_COLOR_MODE:
        v.type = IE_JSTR;
        v.s = r->color_mode;
        break;
    case IE_SLIM_PHASH:
        if (r->flags & IE_SLIM_F_PHASH) {
            v.type = IE_JHASH;
            v.h = r->phash;
        } else {
            v.type = IE_JNULL;
        }
        break;
    case IE_SLIM_ASPECT_RATIO:
        v.type = IE_JFLOAT;
        v.d = r->aspect_ratio;
        break;
    default:
        v.type = IE_JBOOL;
        v.b = (r->flags & ie__slim_flag_of(f)) != 0;
        break;
    }
    return v;
}

static bool jvalue_is_number(const struct ie_jvalue *v)
{
    return v->type == IE_JBOOL || v->type == IE_JINT || v->type == IE_JFLOAT;
}

bool ie_jvalue_equal(const struct ie_jvalue *a, const struct ie_jvalue *b)
{
    if (jvalue_is_number(a) && jvalue_is_number(b)) {
        if (a->type == IE_JFLOAT || b->type == IE_JFLOAT)
            return jvalue_number(a) == jvalue_number(b);
        int64_t x = a->type == IE_JBOOL ? a->b : a->i;
        int64_t y = b->type == IE_JBOOL ? b->b : b->i;
        return x == y;
    }
    if (a->type != b->type)
        return false; /* a hash's text is canonical and an IE_JSTR phash never is */
    switch (a->type) {
    case IE_JNULL:
        return true;
    case IE_JSTR:
    case IE_JRAW:
        return strcmp(a->s, b->s) == 0;
    case IE_JHASH:
        return memcmp(&a->h, &b->h, sizeof(a->h)) == 0;
    default:
        return false;
    }
}

/* ---- exact duplicate groups ---- */

static uint64_t hash_mix(const struct ie_hash256 *h)
{
    uint64_t x = h->w[0] ^ (h->w[1] << 17 | h->w[1] >> 47) ^ (h->w[2] << 31 | h->w[2] >> 33) ^
                 (h->w[3] << 47 | h->w[3] >> 17);
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    return x;
}

size_t ie_slim_manifest_exact_groups(const struct ie_slim_manifest *m, uint32_t **group_of,
                                     uint32_t **sizes, size_t *n_groups)
{
    /* Open addressing keyed by the 256-bit hash: slot = 1 + record index of the group's first
     * member (0 = empty), plus its group number. Irregular phash texts (not 64 lowercase hex)
     * are grouped by text in a string map. */
    size_t cap = 16;
    while (cap < 2 * m->n)
        cap *= 2;
    uint32_t *slot_rec = ie_xcalloc(cap, sizeof(*slot_rec));
    uint32_t *slot_group = ie_xmalloc(cap * sizeof(*slot_group));
    uint32_t *of = group_of ? ie_xmalloc((m->n ? m->n : 1) * sizeof(*of)) : NULL;
    uint32_t *sz = NULL;
    size_t sz_cap = 0, ng = 0, multi = 0;
    struct ie_strmap texts;
    struct ie_buf key;
    char **keys = NULL;
    size_t n_keys = 0, keys_cap = 0;

    ie_strmap_init(&texts);
    ie_buf_init(&key);
    for (size_t i = 0; i < m->n; i++) {
        const struct ie_slim_record *r = &m->recs[i];
        uint32_t g = UINT32_MAX;
        if (r->flags & IE_SLIM_F_CORRUPT) {
            /* not a candidate */
        } else if (r->flags & IE_SLIM_F_PHASH) {
            size_t s = (size_t)hash_mix(&r->phash) & (cap - 1);
            while (slot_rec[s] &&
                   memcmp(&m->recs[slot_rec[s] - 1].phash, &r->phash, sizeof(r->phash)) != 0)
                s = (s + 1) & (cap - 1);
            if (slot_rec[s]) {
                g = slot_group[s];
            } else {
                slot_rec[s] = (uint32_t)i + 1;
                slot_group[s] = g = (uint32_t)ng;
            }
        } else if (r->irregular & (1u << IE_SLIM_PHASH)) {
            const struct ie_jvalue *v = &m->irr[r->irregular_block - 1].v[IE_SLIM_PHASH];
            size_t at;
            /* Python groups by any truthy phash as a dict key: strings by text, numbers by
             * value (5 == 5.0 == ...); arrays and objects would make it raise, so they are
             * left out. The key text keeps the kinds apart. */
            if (jvalue_truthy(v) && v->type != IE_JRAW) {
                ie_buf_reset(&key);
                if (v->type == IE_JSTR)
                    ie_buf_addf(&key, "s%s", v->s);
                else if (v->type == IE_JFLOAT && v->d != floor(v->d))
                    ie_buf_addf(&key, "n%.17g", v->d);
                else
                    ie_buf_addf(&key, "n%.0f", jvalue_number(v));
                if (ie_strmap_get(&texts, key.data, &at)) {
                    g = (uint32_t)at;
                } else {
                    g = (uint32_t)ng;
                    ie_grow((void **)&keys, &keys_cap, n_keys + 1, sizeof(*keys));
                    keys[n_keys] = ie_buf_detach(&key);
                    ie_strmap_put(&texts, keys[n_keys++], ng);
                }
            }
        }
        if (g != UINT32_MAX) {
            if (g == ng) {
                ie_grow((void **)&sz, &sz_cap, ng + 1, sizeof(*sz));
                sz[ng++] = 0;
            }
            if (++sz[g] == 2)
                multi++;
        }
        if (of)
            of[i] = g;
    }
    ie_strmap_release(&texts);
    for (size_t k = 0; k < n_keys; k++)
        free(keys[k]);
    free(keys);
    ie_buf_release(&key);
    free(slot_rec);
    free(slot_group);
    if (group_of)
        *group_of = of;
    if (sizes)
        *sizes = sz;
    else
        free(sz);
    if (n_groups)
        *n_groups = ng;
    return multi;
}
