/* The byte-level encoders behind the Parquet writer: Thrift compact protocol, RLE/bit-packing. */
#include "parquet_enc.h"

#include <assert.h>
#include <string.h>

void ie_tc_init(struct ie_tc *tc, struct ie_buf *out)
{
    tc->out = out;
    tc->depth = 0;
    tc->last[0] = 0;
}

void ie_tc_varint(struct ie_buf *out, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (unsigned char)v;
    ie_buf_add(out, b, n);
}

void ie_tc_zigzag(struct ie_buf *out, int64_t v)
{
    /* The shift is done unsigned: a left shift of a negative value is undefined in C. */
    ie_tc_varint(out, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* A field header: the id as a delta from the previous field in the short form when it is 1..15
 * (the usual case, fields are written in id order), else the type byte and the id itself. */
static void field(struct ie_tc *tc, int16_t id, enum ie_tc_type t)
{
    int delta = id - tc->last[tc->depth];
    if (delta > 0 && delta <= 15) {
        ie_buf_addc(tc->out, (char)((delta << 4) | t));
    } else {
        ie_buf_addc(tc->out, (char)t);
        ie_tc_zigzag(tc->out, id);
    }
    tc->last[tc->depth] = id;
}

void ie_tc_i32(struct ie_tc *tc, int16_t id, int32_t v)
{
    field(tc, id, IE_TC_I32);
    ie_tc_zigzag(tc->out, v);
}

void ie_tc_i64(struct ie_tc *tc, int16_t id, int64_t v)
{
    field(tc, id, IE_TC_I64);
    ie_tc_zigzag(tc->out, v);
}

void ie_tc_bin(struct ie_tc *tc, int16_t id, const void *p, size_t n)
{
    field(tc, id, IE_TC_BINARY);
    ie_tc_varint(tc->out, n);
    ie_buf_add(tc->out, p, n);
}

void ie_tc_str(struct ie_tc *tc, int16_t id, const char *s)
{
    ie_tc_bin(tc, id, s, strlen(s));
}

void ie_tc_bool(struct ie_tc *tc, int16_t id, bool v)
{
    /* A bool field carries its value in the header's type nibble. */
    field(tc, id, v ? IE_TC_BOOL_TRUE : IE_TC_BOOL_FALSE);
}

void ie_tc_list(struct ie_tc *tc, int16_t id, enum ie_tc_type elem, size_t n)
{
    field(tc, id, IE_TC_LIST);
    if (n < 15) {
        ie_buf_addc(tc->out, (char)((n << 4) | elem));
    } else {
        ie_buf_addc(tc->out, (char)(0xF0 | elem));
        ie_tc_varint(tc->out, n);
    }
}

void ie_tc_elem_i32(struct ie_tc *tc, int32_t v)
{
    ie_tc_zigzag(tc->out, v);
}

void ie_tc_elem_str(struct ie_tc *tc, const char *s)
{
    size_t n = strlen(s);
    ie_tc_varint(tc->out, n);
    ie_buf_add(tc->out, s, n);
}

void ie_tc_struct(struct ie_tc *tc, int16_t id)
{
    if (id > 0)
        field(tc, id, IE_TC_STRUCT);
    assert(tc->depth + 1 < IE_TC_DEPTH);
    tc->last[++tc->depth] = 0;
}

void ie_tc_end(struct ie_tc *tc)
{
    ie_buf_addc(tc->out, 0);
    if (tc->depth > 0)
        tc->depth--;
}

/* ---- RLE/bit-packing hybrid ---- */

static inline uint32_t at(const void *v, int width, size_t i)
{
    return width == 1 ? ((const uint8_t *)v)[i] : ((const uint32_t *)v)[i];
}

/* How many values from i on equal v[i], counting at most cap. */
static size_t run_at(const void *v, int width, size_t i, size_t n, size_t cap)
{
    uint32_t x = at(v, width, i);
    size_t j = i + 1;
    while (j < n && j - i < cap && at(v, width, j) == x)
        j++;
    return j - i;
}

/* Packs v[from..to) and zeros up to total values, bw bits each, least significant bit first. */
static void pack(struct ie_buf *out, const void *v, int width, size_t from, size_t to, size_t total,
                 int bw)
{
    uint64_t acc = 0;
    int nbits = 0;
    for (size_t k = 0; k < total; k++) {
        uint64_t x = from + k < to ? at(v, width, from + k) : 0;
        acc |= x << nbits;
        nbits += bw;
        while (nbits >= 8) {
            ie_buf_addc(out, (char)(acc & 0xFF));
            acc >>= 8;
            nbits -= 8;
        }
    }
    if (nbits > 0)
        ie_buf_addc(out, (char)(acc & 0xFF));
}

void ie_pq_bitpack(struct ie_buf *out, const void *v, int width, size_t n, int bw)
{
    pack(out, v, width, 0, n, (n + 7) / 8 * 8, bw);
}

void ie_pq_rle_hybrid(struct ie_buf *out, const void *v, int width, size_t n, int bw)
{
    size_t i = 0, vbytes = ((size_t)bw + 7) / 8;
    while (i < n) {
        size_t r = run_at(v, width, i, n, SIZE_MAX);
        if (r >= 8 || i + r == n) {
            uint32_t x = at(v, width, i);
            ie_tc_varint(out, (uint64_t)r << 1);
            for (size_t b = 0; b < vbytes; b++)
                ie_buf_addc(out, (char)((x >> (8 * b)) & 0xFF));
            i += r;
            continue;
        }
        /* Bit-pack groups of 8 until one starts a run worth an RLE run of its own. Groups
         * cannot be cut short inside the data: a reader counts 8 values per group. */
        size_t j = i;
        while (j < n && run_at(v, width, j, n, 8) < 8)
            j += 8;
        size_t end = j < n ? j : n, groups = (end - i + 7) / 8;
        ie_tc_varint(out, ((uint64_t)groups << 1) | 1);
        pack(out, v, width, i, end, groups * 8, bw);
        i = j;
    }
}
