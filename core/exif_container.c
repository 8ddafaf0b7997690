/* Finds the EXIF bytes inside PNG, TIFF, WebP and HEIF files when libvips hands over none.
 * DESIGN: the file is already in memory (the analyser reads it once), so every reader works on
 * (buf, len) and returns a view into it where the EXIF is contiguous; only a zTXt/iTXt inflate,
 * a hex dump, a TIFF's compacted IFDs or a HEIF item in several extents are copied, each
 * bounded by IE_EXIF_CAP. Every length and offset is checked against the bytes that are there:
 * these are hostile files. What is found follows Pillow's getexif(): a PNG's eXIf chunk wins
 * over ImageMagick's "Raw profile type exif" text chunk; a TIFF's EXIF is its own IFD0 with the
 * EXIF and GPS sub-IFDs it points to; a WebP's EXIF chunk; a HEIF's "Exif" item. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "imgeda/util.h"
#include "internal.h"

/* No camera writes EXIF near this size (JPEG caps it at 64 KiB); more is a hostile file. */
#define IE_EXIF_CAP (4u << 20)

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void found_view(struct ie_exif_bytes *x, const unsigned char *p, size_t n)
{
    x->data = p;
    x->len = n;
}

static void found_owned(struct ie_exif_bytes *x, unsigned char *p, size_t n)
{
    x->owned = p;
    x->data = p;
    x->len = n;
}

void ie__exif_bytes_release(struct ie_exif_bytes *x)
{
    free(x->owned);
    memset(x, 0, sizeof(*x));
}

/* ---- PNG ---- */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ImageMagick's raw profile: "\nexif\n<length>\n" then hex lines. Pillow drops the first three
 * '\n'-separated lines, joins the rest and reads it with bytes.fromhex (whitespace between byte
 * pairs only); anything else makes Pillow's getexif() fail, so it gives no EXIF here either. */
static bool raw_profile_decode(const unsigned char *t, size_t n, struct ie_exif_bytes *x)
{
    size_t i = 0;
    if (n > 2 * (size_t)IE_EXIF_CAP + 64)
        return false;
    for (int lines = 0; lines < 3; lines++) {
        const unsigned char *nl = memchr(t + i, '\n', n - i);
        if (!nl)
            return false;
        i = (size_t)(nl - t) + 1;
    }
    unsigned char *out = ie_xmalloc((n - i) / 2 + 1);
    size_t m = 0;
    while (i < n) {
        if (t[i] == '\n' || t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\v' ||
            t[i] == '\f') {
            i++;
            continue;
        }
        int hi = hexval(t[i]), lo = i + 1 < n ? hexval(t[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
            free(out);
            return false;
        }
        out[m++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    if (m == 0) {
        free(out);
        return false;
    }
    found_owned(x, out, m);
    return true;
}

/* Inflates a zlib stream into at most cap bytes; NULL if it is broken or larger. */
static unsigned char *inflate_capped(const unsigned char *p, size_t n, size_t cap, size_t *out_n)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return NULL;
    size_t room = IE_MIN(cap, IE_MAX(n * 4, (size_t)4096));
    unsigned char *out = ie_xmalloc(room);
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)IE_MIN(n, (size_t)UINT32_MAX);
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (z.total_out == room) {
            if (room == cap)
                break;
            room = IE_MIN(cap, room * 2);
            out = ie_xrealloc(out, room);
        }
        z.next_out = out + z.total_out;
        z.avail_out = (uInt)(room - z.total_out);
        rc = inflate(&z, Z_NO_FLUSH);
    }
    *out_n = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* A tEXt, zTXt or iTXt chunk whose keyword is "Raw profile type exif". */
static bool png_text(const char *type, const unsigned char *d, size_t n, struct ie_exif_bytes *x)
{
    static const char key[] = "Raw profile type exif";
    if (n < sizeof(key) || memcmp(d, key, sizeof(key)) != 0)
        return false;
    d += sizeof(key);
    n -= sizeof(key);
    bool compressed = type[0] == 'z';
    if (type[0] == 'i') {
        /* Compression flag and method, then language tag and translated keyword. */
        if (n < 2)
            return false;
        compressed = d[0] != 0;
        d += 2;
        n -= 2;
        for (int k = 0; k < 2; k++) {
            const unsigned char *z = memchr(d, 0, n);
            if (!z)
                return false;
            n -= (size_t)(z - d) + 1;
            d = z + 1;
        }
    } else if (compressed) {
        if (n < 1)
            return false;
        d++;
        n--;
    }
    if (!compressed)
        return raw_profile_decode(d, n, x);
    size_t tn;
    unsigned char *t = inflate_capped(d, n, 2 * IE_EXIF_CAP + 64, &tn);
    if (!t)
        return false;
    bool ok = raw_profile_decode(t, tn, x);
    free(t);
    return ok;
}

static bool png_exif(const unsigned char *b, size_t n, struct ie_exif_bytes *x)
{
    const unsigned char *text = NULL;
    char text_type[5] = "";
    size_t text_len = 0;
    size_t pos = 8;
    while (n - pos >= 12) {
        uint32_t clen = be32(b + pos);
        const unsigned char *type = b + pos + 4, *data = b + pos + 8;
        if (clen > n - pos - 12)
            break; /* A cut chunk: nothing after it can be trusted. */
        if (memcmp(type, "eXIf", 4) == 0) {
            if (clen < 8 || clen > IE_EXIF_CAP)
                return false; /* less than a TIFF header is no EXIF (Pillow reads none) */
            found_view(x, data, clen);
            return true;
        }
        if (memcmp(type, "IEND", 4) == 0)
            break;
        if (!text &&
            (memcmp(type, "tEXt", 4) == 0 || memcmp(type, "zTXt", 4) == 0 ||
             memcmp(type, "iTXt", 4) == 0) &&
            clen > 21 && memcmp(data, "Raw profile type exif", 21) == 0) {
            text = data;
            text_len = clen;
            memcpy(text_type, type, 4);
        }
        pos += 12 + (size_t)clen;
    }
    return text && png_text(text_type, text, text_len, x);
}

/* ---- TIFF ---- */

/* Entries and value sizes beyond these are not EXIF a camera wrote (strip tables, ICC, XMP). */
#define TIFF_MAX_ENTRIES 1024
#define TIFF_MAX_VALUE   (64u << 10)

struct tiff_in {
    const unsigned char *b;
    size_t n;
    bool le;
};

/* The compact copy: "Exif\0\0", then a TIFF whose offsets count from out.data + 6. */
struct tiff_out {
    struct ie_buf o;
    size_t exif_slot, gps_slot; /* where IFD0's pointers' values are, 0 if absent */
    uint32_t exif_src, gps_src;
};

static uint32_t t16(const struct tiff_in *t, size_t off)
{
    const unsigned char *p = t->b + off;
    return t->le ? (uint32_t)(p[0] | p[1] << 8) : (uint32_t)(p[0] << 8 | p[1]);
}

static uint32_t t32(const struct tiff_in *t, size_t off)
{
    return t->le ? le32(t->b + off) : be32(t->b + off);
}

static void put16(unsigned char *p, bool le, uint32_t v)
{
    p[le ? 0 : 1] = (unsigned char)v;
    p[le ? 1 : 0] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, bool le, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[le ? i : 3 - i] = (unsigned char)(v >> (8 * i));
}

static size_t tiff_type_size(uint32_t type)
{
    static const unsigned char size[14] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4};
    return type < 14 ? size[type] : 0;
}

/* Whether the entry at e is copied, and its value's size in *size. Pointers to other IFDs are
 * kept only in IFD0 (EXIF 0x8769, GPS 0x8825), since only those targets are copied too. */
static bool tiff_keep(const struct tiff_in *t, size_t e, bool ifd0, uint64_t *size)
{
    uint32_t tag = t16(t, e), ts = (uint32_t)tiff_type_size(t16(t, e + 2));
    uint64_t count = t32(t, e + 4);
    if (ts == 0 || count == 0)
        return false;
    *size = count * ts;
    if (tag == 0x8769 || tag == 0x8825)
        return ifd0;
    if (tag == 0xA005 || tag == 0x014A)
        return false; /* interoperability IFD and SubIFDs: their targets are not copied */
    if (*size <= 4)
        return true;
    uint32_t off = t32(t, e + 8);
    return *size <= TIFF_MAX_VALUE && off <= t->n && *size <= t->n - off;
}

/* Appends a copy of the IFD at src offset off to w, values after its entries. */
static bool tiff_copy_ifd(const struct tiff_in *t, uint32_t off, bool ifd0, struct tiff_out *w)
{
    if (off < 8 || off > t->n - 2)
        return false;
    size_t count = IE_MIN((size_t)t16(t, off), (t->n - off - 2) / 12);
    count = IE_MIN(count, (size_t)TIFF_MAX_ENTRIES);
    size_t kept = 0;
    uint64_t size;
    for (size_t i = 0; i < count; i++)
        kept += tiff_keep(t, off + 2 + 12 * i, ifd0, &size);
    size_t at = w->o.len;
    unsigned char zero[12] = {0};
    ie_buf_add(&w->o, zero, 2);
    for (size_t i = 0; i < kept + 1; i++)
        ie_buf_add(&w->o, zero, i < kept ? 12 : 4);
    put16((unsigned char *)w->o.data + at, t->le, (uint32_t)kept);
    size_t slot = at + 2;
    for (size_t i = 0; i < count; i++) {
        size_t e = off + 2 + 12 * i;
        if (!tiff_keep(t, e, ifd0, &size))
            continue;
        uint32_t tag = t16(t, e);
        memcpy(w->o.data + slot, t->b + e, 8);
        if (tag == 0x8769 || tag == 0x8825) {
            /* Written as one LONG; the value is set once the sub-IFD is copied. */
            put16((unsigned char *)w->o.data + slot + 2, t->le, 4);
            put32((unsigned char *)w->o.data + slot + 4, t->le, 1);
            *(tag == 0x8769 ? &w->exif_slot : &w->gps_slot) = slot + 8;
            *(tag == 0x8769 ? &w->exif_src : &w->gps_src) = t32(t, e + 8);
        } else if (size <= 4) {
            memcpy(w->o.data + slot + 8, t->b + e + 8, 4);
        } else if (w->o.len + size <= IE_EXIF_CAP) {
            if (w->o.len & 1)
                ie_buf_addc(&w->o, 0);
            put32((unsigned char *)w->o.data + slot + 8, t->le, (uint32_t)(w->o.len - 6));
            ie_buf_add(&w->o, t->b + t32(t, e + 8), (size_t)size);
        }
        slot += 12;
    }
    return true;
}

/* Copies a sub-IFD of IFD0 and points slot at it; an unreadable one becomes an empty IFD. */
static void tiff_sub_ifd(const struct tiff_in *t, size_t slot, uint32_t src, struct tiff_out *w)
{
    if (w->o.len & 1)
        ie_buf_addc(&w->o, 0);
    uint32_t at = (uint32_t)(w->o.len - 6);
    if (!tiff_copy_ifd(t, src, false, w)) {
        unsigned char empty[6] = {0};
        ie_buf_add(&w->o, empty, sizeof(empty));
    }
    put32((unsigned char *)w->o.data + slot, t->le, at);
}

/* A TIFF keeps its EXIF in its own IFD0 (Pillow's getexif() reads it there): the IFD0 entries,
 * the EXIF and GPS sub-IFDs and their values are copied into a small TIFF for libexif, rather
 * than the whole file, whose IFD often comes after megabytes of strips. */
static bool tiff_exif(const unsigned char *b, size_t n, struct ie_exif_bytes *x)
{
    if (n < 8)
        return false;
    struct tiff_in t = {b, n, b[0] == 'I'};
    if (t16(&t, 2) != 42)
        return false; /* BigTIFF (43) holds no EXIF that Pillow reads either */
    struct tiff_out w = {0};
    ie_buf_init(&w.o);
    ie_buf_add(&w.o, "Exif\0\0", 6);
    ie_buf_add(&w.o, b, 4);
    unsigned char first[4];
    put32(first, t.le, 8);
    ie_buf_add(&w.o, first, 4);
    if (!tiff_copy_ifd(&t, t32(&t, 4), true, &w)) {
        ie_buf_release(&w.o);
        return false;
    }
    if (w.exif_slot)
        tiff_sub_ifd(&t, w.exif_slot, w.exif_src, &w);
    if (w.gps_slot)
        tiff_sub_ifd(&t, w.gps_slot, w.gps_src, &w);
    size_t len = w.o.len;
    found_owned(x, (unsigned char *)ie_buf_detach(&w.o), len);
    return true;
}

/* ---- HEIF (ISOBMFF) ---- */

struct box {
    size_t body, end; /* payload [body, end) */
    char type[4];
};

/* The box at pos inside [pos, end); false when its header or declared size does not fit. */
static bool box_at(const unsigned char *b, size_t pos, size_t end, struct box *bx)
{
    if (end - pos < 8)
        return false;
    uint64_t size = be32(b + pos);
    size_t hdr = 8;
    if (size == 1) {
        if (end - pos < 16)
            return false;
        size = (uint64_t)be32(b + pos + 8) << 32 | be32(b + pos + 12);
        hdr = 16;
    } else if (size == 0) {
        size = end - pos;
    }
    if (size < hdr || size > end - pos)
        return false;
    memcpy(bx->type, b + pos + 4, 4);
    bx->body = pos + hdr;
    bx->end = pos + (size_t)size;
    return true;
}

/* The first child box of type inside [pos, end). */
static bool box_find(const unsigned char *b, size_t pos, size_t end, const char *type,
                     struct box *bx)
{
    while (box_at(b, pos, end, bx)) {
        if (memcmp(bx->type, type, 4) == 0)
            return true;
        pos = bx->end;
    }
    return false;
}

/* The item_ID of the first "Exif" item in iinf, or 0. */
static uint32_t heif_exif_item(const unsigned char *b, const struct box *iinf)
{
    if (iinf->end - iinf->body < 6)
        return 0;
    size_t pos = iinf->body + (b[iinf->body] == 0 ? 6 : 8);
    struct box e;
    while (pos <= iinf->end && box_find(b, pos, iinf->end, "infe", &e)) {
        pos = e.end;
        size_t p = e.body, n = e.end - e.body;
        if (n < 4 || b[p] < 2)
            continue;
        size_t id_len = b[p] == 2 ? 2 : 4;
        if (n < 4 + id_len + 2 + 4)
            continue;
        uint32_t id = id_len == 2 ? (uint32_t)(b[p + 4] << 8 | b[p + 5]) : be32(b + p + 4);
        if (memcmp(b + p + 4 + id_len + 2, "Exif", 4) == 0)
            return id;
    }
    return 0;
}

/* Reads an n-byte big-endian field (n is 0, 2, 4 or 8) at *p inside [*p, end). */
static bool field(const unsigned char *b, size_t *p, size_t end, unsigned n, uint64_t *v)
{
    if (n != 0 && n != 2 && n != 4 && n != 8)
        return false;
    if (end - *p < n)
        return false;
    *v = 0;
    for (unsigned i = 0; i < n; i++)
        *v = *v << 8 | b[*p + i];
    *p += n;
    return true;
}

/* The EXIF item's bytes: its extents in the file (construction 0) or in idat (1). */
struct heif_item {
    const unsigned char *b;
    size_t n;
    struct box idat;
    bool has_idat;
};

static bool heif_extents(const struct heif_item *h, size_t *p, size_t end, const unsigned *sz,
                         unsigned method, uint64_t base, struct ie_exif_bytes *x)
{
    uint64_t count, idx, off, len;
    if (!field(h->b, p, end, 2, &count) || count == 0 || count > 64)
        return false;
    if (method > 1 || (method == 1 && !h->has_idat))
        return false; /* construction 2 (from another item) is not used for EXIF */
    size_t lo = method == 1 ? h->idat.body : 0, hi = method == 1 ? h->idat.end : h->n;
    struct ie_buf cat;
    ie_buf_init(&cat);
    const unsigned char *one = NULL;
    size_t one_len = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (!field(h->b, p, end, sz[3], &idx) || !field(h->b, p, end, sz[0], &off) ||
            !field(h->b, p, end, sz[1], &len) || base > hi - lo || off > hi - lo - base)
            goto fail;
        size_t at = lo + (size_t)(base + off);
        if (len == 0)
            len = hi - at;
        if (len > hi - at || len > IE_EXIF_CAP - cat.len)
            goto fail;
        one = h->b + at;
        one_len = (size_t)len;
        if (count > 1)
            ie_buf_add(&cat, one, one_len);
    }
    if (count == 1)
        found_view(x, one, one_len);
    else
        found_owned(x, (unsigned char *)ie_buf_detach(&cat), cat.len);
    return true;
fail:
    ie_buf_release(&cat);
    return false;
}

/* Finds item id in iloc and gathers its bytes. */
static bool heif_iloc(const struct heif_item *h, const struct box *iloc, uint32_t id,
                      struct ie_exif_bytes *x)
{
    size_t p = iloc->body, end = iloc->end;
    if (end - p < 6)
        return false;
    unsigned v = h->b[p];
    unsigned sz[4] = {h->b[p + 4] >> 4, h->b[p + 4] & 15, h->b[p + 5] >> 4,
                      v == 1 || v == 2 ? (unsigned)(h->b[p + 5] & 15) : 0};
    if (v > 2)
        return false;
    p += 6;
    uint64_t items, item, method = 0, skip, base, count, f;
    if (!field(h->b, &p, end, v < 2 ? 2 : 4, &items))
        return false;
    for (uint64_t i = 0; i < items; i++) {
        if (!field(h->b, &p, end, v < 2 ? 2 : 4, &item) ||
            (v >= 1 && !field(h->b, &p, end, 2, &method)) || !field(h->b, &p, end, 2, &skip) ||
            !field(h->b, &p, end, sz[2], &base))
            return false;
        if (item == id)
            return heif_extents(h, &p, end, sz, (unsigned)(method & 15), base, x);
        if (!field(h->b, &p, end, 2, &count))
            return false;
        for (uint64_t k = 0; k < count; k++)
            if (!field(h->b, &p, end, sz[3], &f) || !field(h->b, &p, end, sz[0], &f) ||
                !field(h->b, &p, end, sz[1], &f))
                return false;
    }
    return false;
}

/* A HEIF's EXIF is the "Exif" item of its meta box: 4 bytes giving the offset of the TIFF
 * header after them, then the EXIF. Only the meta box is read, so a file whose image data is
 * cut still gives its EXIF when the item itself is whole. */
static bool heif_exif(const unsigned char *b, size_t n, struct ie_exif_bytes *x)
{
    struct heif_item h = {.b = b, .n = n};
    struct box meta, iinf, iloc;
    size_t pos = 0;
    /* Top-level boxes until meta; a cut box after it (the image data) does not matter. */
    if (!box_find(b, pos, n, "meta", &meta) || meta.end - meta.body < 4)
        return false;
    size_t kids = meta.body + 4;
    if (!box_find(b, kids, meta.end, "iinf", &iinf) || !box_find(b, kids, meta.end, "iloc", &iloc))
        return false;
    h.has_idat = box_find(b, kids, meta.end, "idat", &h.idat);
    uint32_t id = heif_exif_item(b, &iinf);
    struct ie_exif_bytes item = {0};
    if (id == 0 || !heif_iloc(&h, &iloc, id, &item))
        return false;
    uint32_t skip = item.len >= 4 ? be32(item.data) : 0;
    if (item.len < 4 || skip > item.len - 4 || item.len - 4 - skip < 8) {
        ie__exif_bytes_release(&item);
        return false;
    }
    *x = item;
    x->data = item.data + 4 + skip;
    x->len = item.len - 4 - skip;
    return true;
}

/* ---- WebP ---- */

static bool webp_exif(const unsigned char *b, size_t n, struct ie_exif_bytes *x)
{
    size_t pos = 12;
    while (n - pos >= 8) {
        uint32_t clen = le32(b + pos + 4);
        if (clen > n - pos - 8)
            return false;
        if (memcmp(b + pos, "EXIF", 4) == 0) {
            if (clen < 8 || clen > IE_EXIF_CAP)
                return false;
            found_view(x, b + pos + 8, clen);
            return true;
        }
        size_t step = 8 + (size_t)clen + (clen & 1);
        if (step > n - pos)
            return false;
        pos += step;
    }
    return false;
}

bool ie__exif_find(const unsigned char *buf, size_t len, const char *format,
                   struct ie_exif_bytes *x)
{
    memset(x, 0, sizeof(*x));
    if (!buf || !format)
        return false;
    if (strcmp(format, "PNG") == 0 && len >= 8)
        return png_exif(buf, len, x);
    if (strcmp(format, "WEBP") == 0 && len >= 12)
        return webp_exif(buf, len, x);
    if (strcmp(format, "TIFF") == 0)
        return tiff_exif(buf, len, x);
    if (strcmp(format, "HEIF") == 0 || strcmp(format, "AVIF") == 0)
        return heif_exif(buf, len, x);
    return false;
}
