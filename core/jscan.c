/* A strict, allocation-free JSON scanner for one manifest line that captures the slim fields. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "imgeda/slim.h"
#include "imgeda/util.h"
#include "slim_internal.h"

/* Nesting deeper than this in a record line makes the line unparseable (bounds the recursion
 * of the scanner; real records nest 2 levels). */
#define SLIM_MAX_DEPTH 64

/* ---- a strict JSON scanner for one line ---- */

struct jscan {
    const unsigned char *p, *end;
};

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
size_t ie__slim_junescape(const char *p, size_t len, char *out)
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
    {"content_hash", 12, CAP_CHASH},
    {"input_dir", 9, CAP_INPUT_DIR},
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
int ie__slim_scan_line(const char *line, size_t n, struct jcap caps[CAP_N])
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
                size_t dl = ie__slim_junescape(k, klen, keybuf);
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

int ie__json_member_span(const char *text, size_t n, const char *key, size_t span[3])
{
    struct jscan s = {(const unsigned char *)text, (const unsigned char *)text + n};
    const unsigned char *base = s.p;
    size_t key_len = strlen(key);
    int found = 0;

    jws(&s);
    if (s.p >= s.end || *s.p != '{')
        return -1;
    s.p++;
    jws(&s);
    if (s.p < s.end && *s.p == '}')
        return 0;
    for (;;) {
        const unsigned char *member = s.p, *value;
        const char *k;
        size_t klen;
        bool esc;
        if (s.p >= s.end || *s.p != '"' || jstring(&s, &k, &klen, &esc) < 0)
            return -1;
        jws(&s);
        if (s.p >= s.end || *s.p != ':')
            return -1;
        s.p++;
        jws(&s);
        value = s.p;
        if (jvalue(&s, 1, NULL) < 0)
            return -1;
        if (!esc && klen == key_len && memcmp(k, key, klen) == 0) {
            span[0] = (size_t)(member - base);
            span[1] = (size_t)(value - base);
            span[2] = (size_t)(s.p - base);
            found = 1;
        }
        jws(&s);
        if (s.p >= s.end)
            return -1;
        if (*s.p == '}')
            return found;
        if (*s.p != ',')
            return -1;
        s.p++;
        jws(&s);
    }
}
