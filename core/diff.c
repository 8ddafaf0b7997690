/* Manifest diff (SPEC §4.4) and the slim manifest view shared with the gate (see imgeda/diff.h).
 * DESIGN: parsing a record with cJSON and ie_record_from_json (ie_manifest_load) costs ~14 µs
 * and ~840 bytes, so 10^6 + 10^6 records would take ~28 s and ~1.7 GB. The slim loader instead
 * streams the file through a strict, allocation-free JSON scanner (8 bytes at a time through
 * string contents) that validates every line but keeps only the dozen fields diff and gate
 * read: ~2 µs and ~180 bytes per record (bench/ops.sh). Diff is then a hash
 * join: each new record looks its path up in the old manifest's path index, which the loader
 * built anyway for "later record wins"; only the added, removed and changed lists are sorted.
 * Values of an unexpected JSON type are kept exactly (rare), so comparisons and output follow
 * Python's `!=` and repr even for odd manifests. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "imgeda/diff.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

const char *const ie_slim_field_names[IE_SLIM_NFIELDS] = {
    "file_size_bytes",     "width",      "height",    "format",
    "color_mode",          "is_corrupt", "is_dark",   "is_overexposed",
    "has_border_artifact", "phash",      "is_blurry", "aspect_ratio",
};

/* Nesting deeper than this in a record line makes the line unparseable (bounds the recursion
 * of the scanner; real records nest 2 levels). */
#define SLIM_MAX_DEPTH 64

/* ---- string arena: paths and the rare irregular values live until release ---- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

struct ie__slim_arena {
    struct arena_chunk *head;
};

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

/* ---- path index: open addressing keyed by the XXH3 of the path, the hash kept per slot so
 * that rehashing and most mismatches need no string access ---- */

struct path_slot {
    uint64_t hash;
    uint64_t rec; /* 1 + record index; 0 = empty */
};

struct ie__slim_paths {
    struct path_slot *slots; /* hash and record side by side: one cache miss per probe */
    size_t cap, n;
};

static uint64_t path_hash(const char *path, size_t len)
{
    return XXH3_64bits(path, len);
}

/* The slot of path: the one holding it, or the empty slot where it belongs. */
static size_t paths_slot(const struct ie_slim_manifest *m, const char *path, uint64_t h)
{
    const struct ie__slim_paths *ix = m->paths;
    size_t mask = ix->cap - 1, i = (size_t)h & mask;
    while (ix->slots[i].rec &&
           (ix->slots[i].hash != h || strcmp(m->recs[ix->slots[i].rec - 1].path, path) != 0))
        i = (i + 1) & mask;
    return i;
}

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

/* Index of the record for path, or SIZE_MAX. */
static size_t paths_find(const struct ie_slim_manifest *m, const char *path)
{
    if (!m->paths || !m->paths->n)
        return SIZE_MAX;
    size_t i = paths_slot(m, path, path_hash(path, strlen(path)));
    return m->paths->slots[i].rec ? (size_t)m->paths->slots[i].rec - 1 : SIZE_MAX;
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

/* ---- a strict JSON scanner for one line ---- */

struct jscan {
    const unsigned char *p, *end;
};

/* What the scanner keeps of a value: its type and where its text is. For strings, [p, p+len)
 * is the content between the quotes (escaped when esc); for numbers and containers, the
 * whole token. */
struct jcap {
    uint8_t type; /* enum ie_jtype, IE_JBOOL with b; 0xFF = absent */
    bool b, esc, is_int;
    const char *p;
    size_t len;
};

#define JCAP_ABSENT 0xFF

static void jws(struct jscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

#define SWAR_ONES  0x0101010101010101ull
#define SWAR_HIGHS 0x8080808080808080ull

/* Bytes of v that are '"', '\\' or a control character (< 0x20) have their high bit set in the
 * result; bits above the first such byte may be spurious, so only the lowest one is used. */
static inline uint64_t swar_string_stops(uint64_t v)
{
    uint64_t q = v ^ (SWAR_ONES * '"'), b = v ^ (SWAR_ONES * '\\');
    return ((q - SWAR_ONES) & ~q & SWAR_HIGHS) | ((b - SWAR_ONES) & ~b & SWAR_HIGHS) |
           ((v - SWAR_ONES * 0x20) & ~v & SWAR_HIGHS);
}

/* Advances p to the first '"', '\\' or control character before end, 8 bytes at a time: string
 * contents are most of a manifest's bytes. */
static const unsigned char *skip_plain_chars(const unsigned char *p, const unsigned char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t stops = swar_string_stops(v);
        if (stops)
            return p + (__builtin_ctzll(stops) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p >= 0x20)
        p++;
    return p;
}

/* At '"': validates a string, leaves p after the closing quote. */
static int jstring(struct jscan *s, const char **start, size_t *len, bool *esc)
{
    const unsigned char *p = s->p + 1;
    *esc = false;
    *start = (const char *)p;
    for (;;) {
        p = skip_plain_chars(p, s->end);
        if (p >= s->end || *p < 0x20)
            return -1;
        if (*p == '"')
            break;
        *esc = true;
        if (++p >= s->end)
            return -1;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p++;
            break;
        case 'u':
            if (s->end - p < 5)
                return -1;
            for (int i = 1; i <= 4; i++)
                if (hexval(p[i]) < 0)
                    return -1;
            p += 5;
            break;
        default:
            return -1;
        }
    }
    *len = (size_t)((const char *)p - *start);
    s->p = p + 1;
    return 0;
}

/* Validates a number token (RFC 8259 grammar). */
static int jnumber(struct jscan *s, bool *is_int)
{
    const unsigned char *p = s->p;
    *is_int = true;
    if (p < s->end && *p == '-')
        p++;
    if (p >= s->end)
        return -1;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return -1;
    }
    if (p < s->end && *p == '.') {
        *is_int = false;
        p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return -1;
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        *is_int = false;
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return -1;
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    return 0;
}

static int jliteral(struct jscan *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

/* Validates any value; when cap is not NULL records its type and text. */
static int jvalue(struct jscan *s, int depth, struct jcap *cap)
{
    const unsigned char *start = s->p;
    bool esc, is_int;
    const char *str;
    size_t len;

    if (s->p >= s->end)
        return -1;
    switch (*s->p) {
    case '"':
        if (jstring(s, &str, &len, &esc) < 0)
            return -1;
        if (cap) {
            cap->type = IE_JSTR;
            cap->p = str;
            cap->len = len;
            cap->esc = esc;
        }
        return 0;
    case '{':
    case '[': {
        unsigned char close = *s->p == '{' ? '}' : ']';
        if (depth >= SLIM_MAX_DEPTH)
            return -1;
        s->p++;
        jws(s);
        if (s->p < s->end && *s->p == close) {
            s->p++;
        } else {
            for (;;) {
                if (close == '}') {
                    if (s->p >= s->end || *s->p != '"' || jstring(s, &str, &len, &esc) < 0)
                        return -1;
                    jws(s);
                    if (s->p >= s->end || *s->p != ':')
                        return -1;
                    s->p++;
                    jws(s);
                }
                if (jvalue(s, depth + 1, NULL) < 0)
                    return -1;
                jws(s);
                if (s->p >= s->end)
                    return -1;
                if (*s->p == close) {
                    s->p++;
                    break;
                }
                if (*s->p != ',')
                    return -1;
                s->p++;
                jws(s);
            }
        }
        if (cap) {
            cap->type = IE_JRAW;
            cap->p = (const char *)start;
            cap->len = (size_t)(s->p - start);
        }
        return 0;
    }
    case 't':
    case 'f':
        if (jliteral(s, *s->p == 't' ? "true" : "false", *s->p == 't' ? 4 : 5) < 0)
            return -1;
        if (cap) {
            cap->type = IE_JBOOL;
            cap->b = *start == 't';
        }
        return 0;
    case 'n':
        if (jliteral(s, "null", 4) < 0)
            return -1;
        if (cap)
            cap->type = IE_JNULL;
        return 0;
    default:
        if (jnumber(s, &is_int) < 0)
            return -1;
        if (cap) {
            cap->type = is_int ? IE_JINT : IE_JFLOAT;
            cap->is_int = is_int;
            cap->p = (const char *)start;
            cap->len = (size_t)(s->p - start);
        }
        return 0;
    }
}

static void put_utf8(char **o, unsigned long cp)
{
    char *q = *o;
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xC0 | (cp >> 6));
        *q++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xE0 | (cp >> 12));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *q++ = (char)(0xF0 | (cp >> 18));
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = q;
}

static unsigned long hex4(const char *p)
{
    return (unsigned long)(hexval((unsigned char)p[0]) << 12 | hexval((unsigned char)p[1]) << 8 |
                           hexval((unsigned char)p[2]) << 4 | hexval((unsigned char)p[3]));
}

/* Decodes the escapes of validated string content into out (which holds at least len + 1
 * bytes: no escape decodes longer than itself). Lone surrogates become U+FFFD. */
static size_t junescape(const char *p, size_t len, char *out)
{
    const char *end = p + len;
    char *o = out;
    while (p < end) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        switch (*p++) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned long cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned long lo = hex4(p + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
            put_utf8(&o, cp);
            break;
        }
        default:
            *o++ = p[-1];
            break; /* " \ / */
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

/* Keys of interest, matched by length first. */
enum { CAP_PATH = IE_SLIM_NFIELDS, CAP_META, CAP_N };
static const struct {
    const char *name;
    uint8_t len, cap;
} cap_keys[] = {
    {"path", 4, CAP_PATH},
    {"__manifest_meta__", 17, CAP_META},
    {"file_size_bytes", 15, IE_SLIM_FILE_SIZE_BYTES},
    {"width", 5, IE_SLIM_WIDTH},
    {"height", 6, IE_SLIM_HEIGHT},
    {"format", 6, IE_SLIM_FORMAT},
    {"color_mode", 10, IE_SLIM_COLOR_MODE},
    {"is_corrupt", 10, IE_SLIM_IS_CORRUPT},
    {"is_dark", 7, IE_SLIM_IS_DARK},
    {"is_overexposed", 14, IE_SLIM_IS_OVEREXPOSED},
    {"has_border_artifact", 19, IE_SLIM_HAS_BORDER_ARTIFACT},
    {"phash", 5, IE_SLIM_PHASH},
    {"is_blurry", 9, IE_SLIM_IS_BLURRY},
    {"aspect_ratio", 12, IE_SLIM_ASPECT_RATIO},
};

static int cap_index(const char *k, size_t n)
{
    /* Most keys of a record are not wanted: reject them on length and first byte. */
    switch (n) {
    case 4:
    case 5:
    case 6:
    case 7:
    case 9:
    case 10:
    case 12:
    case 14:
    case 15:
    case 17:
    case 19:
        break;
    default:
        return -1;
    }
    for (size_t i = 0; i < IE_ARRAY_LEN(cap_keys); i++)
        if (cap_keys[i].len == n && cap_keys[i].name[0] == k[0] &&
            memcmp(cap_keys[i].name, k, n) == 0)
            return cap_keys[i].cap;
    return -1;
}

/* Parses a line that must be one JSON object (surrounded by optional whitespace) and captures
 * the keys of interest; for a repeated key the last one wins, as in Python. Returns 1 for an
 * object, 0 for a blank line, -1 otherwise. */
static int scan_line(const char *line, size_t n, struct jcap caps[CAP_N])
{
    struct jscan s = {(const unsigned char *)line, (const unsigned char *)line + n};
    char keybuf[32];

    for (int i = 0; i < CAP_N; i++)
        caps[i].type = JCAP_ABSENT;
    jws(&s);
    if (s.p == s.end)
        return 0;
    if (*s.p != '{')
        return -1;
    s.p++;
    jws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            const char *k;
            size_t klen;
            bool esc;
            if (s.p >= s.end || *s.p != '"' || jstring(&s, &k, &klen, &esc) < 0)
                return -1;
            int ci = -1;
            if (!esc) {
                ci = cap_index(k, klen);
            } else if (klen < sizeof(keybuf)) {
                size_t dl = junescape(k, klen, keybuf);
                ci = cap_index(keybuf, dl);
            }
            jws(&s);
            if (s.p >= s.end || *s.p != ':')
                return -1;
            s.p++;
            jws(&s);
            if (jvalue(&s, 1, ci >= 0 ? &caps[ci] : NULL) < 0)
                return -1;
            jws(&s);
            if (s.p >= s.end)
                return -1;
            if (*s.p == '}') {
                s.p++;
                break;
            }
            if (*s.p != ',')
                return -1;
            s.p++;
            jws(&s);
        }
    }
    jws(&s);
    return s.p == s.end ? 1 : -1;
}

/* ---- from captured values to a slim record ---- */

/* A captured string as a NUL-terminated string: points into buf (decoded, NUL-terminated copy)
 * which is grown as needed. */
static const char *cap_string(const struct jcap *c, struct ie_buf *buf)
{
    ie_buf_reset(buf);
    ie_grow((void **)&buf->data, &buf->cap, c->len + 1, 1);
    if (c->esc) {
        buf->len = junescape(c->p, c->len, buf->data);
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

static const char *intern(struct ie_slim_manifest *m, const char *s, size_t n)
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

static uint16_t flag_of(int f)
{
    switch (f) {
    case IE_SLIM_IS_CORRUPT:
        return IE_SLIM_F_CORRUPT;
    case IE_SLIM_IS_DARK:
        return IE_SLIM_F_DARK;
    case IE_SLIM_IS_OVEREXPOSED:
        return IE_SLIM_F_OVEREXPOSED;
    case IE_SLIM_HAS_BORDER_ARTIFACT:
        return IE_SLIM_F_ARTIFACT;
    case IE_SLIM_IS_BLURRY:
        return IE_SLIM_F_BLURRY;
    default:
        return 0;
    }
}

/* Inserts rec for its path: appended, or replacing the earlier record of the same path in the
 * earlier one's position. */
static void slim_put(struct ie_slim_manifest *m, const struct ie_slim_record *rec, size_t path_len)
{
    if (!m->paths)
        m->paths = ie_xcalloc(1, sizeof(*m->paths));
    if ((m->paths->n + 1) * 2 > m->paths->cap)
        paths_grow(m);
    uint64_t h = path_hash(rec->path, path_len);
    size_t slot = paths_slot(m, rec->path, h);
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
static int slim_add_caps(struct ie_slim_manifest *m, const struct jcap caps[CAP_N],
                         struct ie_buf *tmp)
{
    struct ie_slim_record r;
    struct ie_jvalue irr[IE_SLIM_NFIELDS];
    size_t path_len;

    if (caps[CAP_META].type == IE_JBOOL && caps[CAP_META].b) {
        m->has_header = true;
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
        struct ie_jvalue v;
        bool regular = false;
        int64_t iv;

        if (c->type == JCAP_ABSENT)
            continue; /* Python's default: 0, "", False, None, 0.0 */
        switch (f) {
        case IE_SLIM_FILE_SIZE_BYTES:
            if (c->type == IE_JINT && cap_int64(c, &iv)) {
                r.file_size_bytes = iv;
                regular = true;
            }
            break;
        case IE_SLIM_WIDTH:
        case IE_SLIM_HEIGHT:
            if (c->type == IE_JINT && cap_int64(c, &iv) && iv >= INT32_MIN && iv <= INT32_MAX) {
                *(f == IE_SLIM_WIDTH ? &r.width : &r.height) = (int32_t)iv;
                regular = true;
            }
            break;
        case IE_SLIM_FORMAT:
        case IE_SLIM_COLOR_MODE:
            if (c->type == IE_JSTR) {
                cap_string(c, tmp);
                *(f == IE_SLIM_FORMAT ? &r.format : &r.color_mode) = intern(m, tmp->data, tmp->len);
                regular = true;
            }
            break;
        case IE_SLIM_PHASH:
            if (c->type == IE_JNULL) {
                regular = true;
            } else if (c->type == IE_JSTR && !c->esc &&
                       canonical_hash_parse(c->p, c->len, &r.phash)) {
                r.flags |= IE_SLIM_F_PHASH;
                regular = true;
            }
            break;
        case IE_SLIM_ASPECT_RATIO:
            /* An integer stays irregular: Python's round() keeps it an int, and the gate prints
             * it without a decimal point. */
            if (c->type == IE_JFLOAT) {
                r.aspect_ratio = cap_double(c);
                regular = true;
            }
            break;
        default: /* the flags */
            if (c->type == IE_JBOOL) {
                if (c->b)
                    r.flags |= flag_of(f);
                regular = true;
            }
            break;
        }
        if (regular)
            continue;

        /* A value of an unexpected type: keep it exactly, compute with a best effort. */
        v = cap_jvalue(m, c, tmp);
        irr[f] = v;
        r.irregular |= (uint16_t)(1u << f);
        switch (f) {
        case IE_SLIM_FILE_SIZE_BYTES:
            r.file_size_bytes = clamp_i64(jvalue_number(&v), INT64_MIN, INT64_MAX);
            break;
        case IE_SLIM_WIDTH:
            r.width = (int32_t)clamp_i64(jvalue_number(&v), INT32_MIN, INT32_MAX);
            break;
        case IE_SLIM_HEIGHT:
            r.height = (int32_t)clamp_i64(jvalue_number(&v), INT32_MIN, INT32_MAX);
            break;
        case IE_SLIM_ASPECT_RATIO:
            r.aspect_ratio = jvalue_number(&v);
            break;
        case IE_SLIM_FORMAT:
        case IE_SLIM_COLOR_MODE:
        case IE_SLIM_PHASH:
            break;
        default:
            if (jvalue_truthy(&v))
                r.flags |= flag_of(f);
            break;
        }
    }
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
    int rc = scan_line(line, len, caps);
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
    r.format = src->format ? intern(m, src->format, strlen(src->format)) : "";
    r.color_mode = src->color_mode ? intern(m, src->color_mode, strlen(src->color_mode)) : "";
    r.file_size_bytes = src->file_size_bytes;
    r.aspect_ratio = src->aspect_ratio;
    r.width = src->width;
    r.height = src->height;
    if (src->has_phash) {
        r.phash = src->phash;
        r.flags |= IE_SLIM_F_PHASH;
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
    struct ie_buf tmp;
    char *buf = NULL;
    size_t cap = 4u << 20, len = 0;
    bool skipping = false; /* inside a line longer than IE_MANIFEST_MAX_LINE */
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open manifest %s: %s",
                          path, strerror(errno));
    ie_buf_init(&tmp);
    buf = ie_xmalloc(cap);
    for (;;) {
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = ie_err_set(err, IE_EIO, "cannot read manifest %s: %s", path,
                            errno == EISDIR ? "it is a directory" : strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
        size_t start = 0;
        char *nl;
        while ((nl = memchr(buf + start, '\n', len - start))) {
            size_t n = (size_t)(nl - (buf + start));
            if (skipping) {
                skipping = false; /* the end of an over-long line, counted already */
            } else if (n > IE_MANIFEST_MAX_LINE) {
                m->skipped_lines++;
            } else {
                int kind = scan_line(buf + start, n, caps);
                if (kind < 0)
                    m->skipped_lines++;
                else if (kind > 0)
                    slim_add_caps(m, caps, &tmp);
            }
            start = (size_t)(nl - buf) + 1;
            if (m->n >= UINT32_MAX - 1) {
                rc = ie_err_set(err, IE_ELIMIT, "manifest %s has too many records", path);
                goto out;
            }
        }
        if (start > 0) {
            memmove(buf, buf + start, len - start);
            len -= start;
        } else if (len == cap) {
            /* No newline in a full buffer: grow up to the line limit, then skip the line. */
            if (!skipping && cap <= IE_MANIFEST_MAX_LINE) {
                cap *= 2;
                buf = ie_xrealloc(buf, cap);
            } else {
                if (!skipping)
                    m->skipped_lines++;
                skipping = true;
                len = 0;
            }
        }
    }
    /* A last line without newline: a complete record, or a torn write that fails to parse. */
    if (len > 0 && !skipping) {
        if (len > IE_MANIFEST_MAX_LINE)
            m->skipped_lines++;
        else
            ie_slim_manifest_add_line(m, buf, len);
    }
out:
    free(buf);
    ie_buf_release(&tmp);
    close(fd);
    return rc;
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
        v.b = (r->flags & flag_of(f)) != 0;
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

/* ---- diff ---- */

void ie_diff_result_init(struct ie_diff_result *d)
{
    memset(d, 0, sizeof(*d));
}

void ie_diff_result_release(struct ie_diff_result *d)
{
    free(d->added);
    free(d->removed);
    free(d->changed);
    ie_diff_result_init(d);
}

static uint16_t compare_records(const struct ie_slim_manifest *a, size_t i,
                                const struct ie_slim_manifest *b, size_t j)
{
    const struct ie_slim_record *ra = &a->recs[i], *rb = &b->recs[j];
    uint16_t irregular = ra->irregular | rb->irregular, mask = 0;

    for (int f = 0; f < IE_DIFF_NFIELDS; f++) {
        bool differ;
        if (irregular & (1u << f)) {
            struct ie_jvalue va = ie_slim_manifest_value(a, i, f);
            struct ie_jvalue vb = ie_slim_manifest_value(b, j, f);
            differ = !ie_jvalue_equal(&va, &vb);
        } else {
            switch (f) {
            case IE_SLIM_FILE_SIZE_BYTES:
                differ = ra->file_size_bytes != rb->file_size_bytes;
                break;
            case IE_SLIM_WIDTH:
                differ = ra->width != rb->width;
                break;
            case IE_SLIM_HEIGHT:
                differ = ra->height != rb->height;
                break;
            case IE_SLIM_FORMAT:
                differ = strcmp(ra->format, rb->format) != 0;
                break;
            case IE_SLIM_COLOR_MODE:
                differ = strcmp(ra->color_mode, rb->color_mode) != 0;
                break;
            case IE_SLIM_PHASH:
                differ = (ra->flags & IE_SLIM_F_PHASH) != (rb->flags & IE_SLIM_F_PHASH) ||
                         ((ra->flags & IE_SLIM_F_PHASH) &&
                          memcmp(&ra->phash, &rb->phash, sizeof(ra->phash)) != 0);
                break;
            default:
                differ = ((ra->flags ^ rb->flags) & flag_of(f)) != 0;
                break;
            }
        }
        if (differ)
            mask |= (uint16_t)(1u << f);
    }
    return mask;
}

struct path_key {
    const char *path;
    size_t pos;
};

static int path_key_cmp(const void *a, const void *b)
{
    const struct path_key *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* Sorts n elements of size elsz in v by the path that path_of gives for each. */
static void sort_by_path(void *v, size_t n, size_t elsz,
                         const char *(*path_of)(const void *el, const void *ctx), const void *ctx)
{
    if (n < 2)
        return;
    struct path_key *keys = ie_xmalloc(n * sizeof(*keys));
    char *copy = ie_xmalloc(n * elsz);
    for (size_t i = 0; i < n; i++) {
        keys[i].path = path_of((char *)v + i * elsz, ctx);
        keys[i].pos = i;
    }
    qsort(keys, n, sizeof(*keys), path_key_cmp);
    memcpy(copy, v, n * elsz);
    for (size_t i = 0; i < n; i++)
        memcpy((char *)v + i * elsz, copy + keys[i].pos * elsz, elsz);
    free(copy);
    free(keys);
}

static const char *index_path(const void *el, const void *ctx)
{
    return ((const struct ie_slim_manifest *)ctx)->recs[*(const size_t *)el].path;
}

static const char *change_path(const void *el, const void *ctx)
{
    const struct ie_slim_manifest *old = ctx;
    return old->recs[((const struct ie_diff_change *)el)->old_idx].path;
}

static size_t count_corrupt(const struct ie_slim_manifest *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += (m->recs[i].flags & IE_SLIM_F_CORRUPT) != 0;
    return n;
}

void ie_diff_compute(const struct ie_slim_manifest *old, const struct ie_slim_manifest *new,
                     struct ie_diff_result *d)
{
    size_t cap_added = 0, cap_removed = 0, cap_changed = 0;
    uint8_t *matched = ie_xcalloc(old->n ? old->n : 1, 1);

    ie_diff_result_release(d);
    d->old = old;
    d->new = new;
    for (size_t i = 0; i < new->n; i++) {
        size_t j = paths_find(old, new->recs[i].path);
        if (j == SIZE_MAX) {
            ie_grow((void **)&d->added, &cap_added, d->n_added + 1, sizeof(*d->added));
            d->added[d->n_added++] = i;
            continue;
        }
        matched[j] = 1;
        uint16_t mask = compare_records(old, j, new, i);
        if (!mask) {
            d->unchanged_count++;
            continue;
        }
        ie_grow((void **)&d->changed, &cap_changed, d->n_changed + 1, sizeof(*d->changed));
        d->changed[d->n_changed++] = (struct ie_diff_change){j, i, mask};
    }
    for (size_t j = 0; j < old->n; j++) {
        if (matched[j])
            continue;
        ie_grow((void **)&d->removed, &cap_removed, d->n_removed + 1, sizeof(*d->removed));
        d->removed[d->n_removed++] = j;
    }
    free(matched);
    sort_by_path(d->added, d->n_added, sizeof(*d->added), index_path, new);
    sort_by_path(d->removed, d->n_removed, sizeof(*d->removed), index_path, old);
    sort_by_path(d->changed, d->n_changed, sizeof(*d->changed), change_path, old);

    d->summary.total_old = old->n;
    d->summary.total_new = new->n;
    d->summary.added_count = d->n_added;
    d->summary.removed_count = d->n_removed;
    d->summary.changed_count = d->n_changed;
    d->summary.corrupt_old = count_corrupt(old);
    d->summary.corrupt_new = count_corrupt(new);
    d->summary.duplicate_groups_old = ie_slim_manifest_exact_groups(old, NULL, NULL, NULL);
    d->summary.duplicate_groups_new = ie_slim_manifest_exact_groups(new, NULL, NULL, NULL);
}

/* ---- JSON out: a streaming writer formatted like orjson (compact, or OPT_INDENT_2) ---- */

#define JW_MAX_DEPTH 8

struct jw {
    FILE *f;
    bool pretty, after_key;
    int depth;
    size_t count[JW_MAX_DEPTH];
};

static void jw_prefix(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->count[w->depth - 1]++ > 0)
        putc(',', w->f);
    if (w->pretty) {
        putc('\n', w->f);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->f);
    }
}

static void jw_open(struct jw *w, char c)
{
    jw_prefix(w);
    putc(c, w->f);
    w->count[w->depth++] = 0;
}

static void jw_close(struct jw *w, char c)
{
    size_t n = w->count[--w->depth];
    if (n && w->pretty) {
        putc('\n', w->f);
        for (int i = 0; i < w->depth; i++)
            fputs("  ", w->f);
    }
    putc(c, w->f);
}

/* Escapes like Python's json/orjson: quote, backslash and control characters; UTF-8 as is. */
static void jw_escaped(struct jw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    putc('"', w->f);
    for (;; p++) {
        unsigned c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fwrite(run, 1, (size_t)(p - run), w->f);
        if (c == 0)
            break;
        switch (c) {
        case '"':
            fputs("\\\"", w->f);
            break;
        case '\\':
            fputs("\\\\", w->f);
            break;
        case '\n':
            fputs("\\n", w->f);
            break;
        case '\r':
            fputs("\\r", w->f);
            break;
        case '\t':
            fputs("\\t", w->f);
            break;
        case '\b':
            fputs("\\b", w->f);
            break;
        case '\f':
            fputs("\\f", w->f);
            break;
        default:
            fprintf(w->f, "\\u%04x", c);
            break;
        }
        run = p + 1;
    }
    putc('"', w->f);
}

static void jw_key(struct jw *w, const char *k)
{
    jw_prefix(w);
    jw_escaped(w, k);
    fputs(w->pretty ? ": " : ":", w->f);
    w->after_key = true;
}

static void jw_string(struct jw *w, const char *s)
{
    jw_prefix(w);
    jw_escaped(w, s);
}

static void jw_size(struct jw *w, const char *key, size_t v)
{
    jw_key(w, key);
    jw_prefix(w);
    fprintf(w->f, "%zu", v);
}

static void jw_jvalue(struct jw *w, const struct ie_jvalue *v)
{
    char tmp[65];
    jw_prefix(w);
    switch (v->type) {
    case IE_JBOOL:
        fputs(v->b ? "true" : "false", w->f);
        break;
    case IE_JINT:
        fprintf(w->f, "%lld", (long long)v->i);
        break;
    case IE_JFLOAT:
        ie_fmt_double(tmp, sizeof(tmp), v->d);
        fputs(tmp, w->f);
        break;
    case IE_JSTR:
        jw_escaped(w, v->s);
        break;
    case IE_JRAW:
        fputs(v->s, w->f);
        break;
    case IE_JHASH:
        ie_hash256_to_hex(&v->h, tmp);
        jw_escaped(w, tmp);
        break;
    default:
        fputs("null", w->f);
        break;
    }
}

int ie_diff_write_json(const struct ie_diff_result *d, FILE *f, bool pretty, struct ie_err *err)
{
    struct jw w = {.f = f, .pretty = pretty};
    const struct ie_diff_summary *s = &d->summary;

    jw_open(&w, '{');
    jw_key(&w, "added");
    jw_open(&w, '[');
    for (size_t i = 0; i < d->n_added; i++)
        jw_string(&w, d->new->recs[d->added[i]].path);
    jw_close(&w, ']');
    jw_key(&w, "removed");
    jw_open(&w, '[');
    for (size_t i = 0; i < d->n_removed; i++)
        jw_string(&w, d->old->recs[d->removed[i]].path);
    jw_close(&w, ']');
    jw_key(&w, "changed");
    jw_open(&w, '[');
    for (size_t i = 0; i < d->n_changed; i++) {
        const struct ie_diff_change *c = &d->changed[i];
        jw_open(&w, '{');
        jw_key(&w, "path");
        jw_string(&w, d->old->recs[c->old_idx].path);
        jw_key(&w, "fields");
        jw_open(&w, '{');
        for (int fl = 0; fl < IE_DIFF_NFIELDS; fl++) {
            if (!(c->fields & (1u << fl)))
                continue;
            struct ie_jvalue vo = ie_slim_manifest_value(d->old, c->old_idx, fl);
            struct ie_jvalue vn = ie_slim_manifest_value(d->new, c->new_idx, fl);
            jw_key(&w, ie_slim_field_names[fl]);
            jw_open(&w, '{');
            jw_key(&w, "old");
            jw_jvalue(&w, &vo);
            jw_key(&w, "new");
            jw_jvalue(&w, &vn);
            jw_close(&w, '}');
        }
        jw_close(&w, '}');
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_size(&w, "unchanged_count", d->unchanged_count);
    jw_key(&w, "summary");
    jw_open(&w, '{');
    jw_size(&w, "total_old", s->total_old);
    jw_size(&w, "total_new", s->total_new);
    jw_size(&w, "added_count", s->added_count);
    jw_size(&w, "removed_count", s->removed_count);
    jw_size(&w, "changed_count", s->changed_count);
    jw_size(&w, "corrupt_old", s->corrupt_old);
    jw_size(&w, "corrupt_new", s->corrupt_new);
    jw_size(&w, "duplicate_groups_old", s->duplicate_groups_old);
    jw_size(&w, "duplicate_groups_new", s->duplicate_groups_new);
    jw_close(&w, '}');
    jw_close(&w, '}');
    if (fflush(f) != 0 || ferror(f))
        return ie_err_set(err, IE_EIO, "cannot write the diff: %s", strerror(errno));
    return 0;
}

char *ie_diff_to_json(const struct ie_diff_result *d, bool pretty)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort(); /* only fails on allocation */
    ie_diff_write_json(d, f, pretty, NULL);
    fclose(f);
    return buf;
}
