/* The byte-level encoders of the Parquet writer (core/parquet.c): the RLE/bit-packing hybrid of
 * parquet-format's Encodings.md (definition levels, dictionary indices, PLAIN booleans), and the
 * Thrift compact protocol, write side only, as much of it as a Parquet footer and page headers
 * need (parquet-format's parquet.thrift): structs, i32/i64, binary, bool, lists.
 *
 * Typical use:
 *   struct ie_tc tc; ie_tc_init(&tc, &buf);
 *   ie_tc_i32(&tc, 1, 2);                        field 1 = 2
 *   ie_tc_list(&tc, 2, IE_TC_STRUCT, n);         field 2 = list of n structs
 *   ie_tc_struct(&tc, 0); ... ie_tc_end(&tc);    each element (id 0: a list element)
 *   ie_tc_end(&tc);                              the outermost STOP
 * THREADS: an encoder belongs to one thread. */
#ifndef IMGEDA_PARQUET_ENC_H
#define IMGEDA_PARQUET_ENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/util.h"

/* Compact protocol element types. */
enum ie_tc_type {
    IE_TC_BOOL_TRUE = 1,
    IE_TC_BOOL_FALSE = 2,
    IE_TC_BYTE = 3,
    IE_TC_I16 = 4,
    IE_TC_I32 = 5,
    IE_TC_I64 = 6,
    IE_TC_DOUBLE = 7,
    IE_TC_BINARY = 8,
    IE_TC_LIST = 9,
    IE_TC_STRUCT = 12,
};

/* Nesting deeper than this is a programming error (Parquet's footer needs 6). */
#define IE_TC_DEPTH 16

struct ie_tc {
    struct ie_buf *out;
    int depth;
    int16_t last[IE_TC_DEPTH]; /* the last field id written at each struct level */
};

/* Starts encoding one top-level struct into out (appended to). */
void ie_tc_init(struct ie_tc *tc, struct ie_buf *out);

/* Raw pieces: an unsigned LEB128 varint, and a zigzag-encoded signed one. */
void ie_tc_varint(struct ie_buf *out, uint64_t v);
void ie_tc_zigzag(struct ie_buf *out, int64_t v);

/* Field headers followed by their value. id > 0. */
void ie_tc_i32(struct ie_tc *tc, int16_t id, int32_t v);
void ie_tc_i64(struct ie_tc *tc, int16_t id, int64_t v);
void ie_tc_bin(struct ie_tc *tc, int16_t id, const void *p, size_t n);
void ie_tc_str(struct ie_tc *tc, int16_t id, const char *s);
void ie_tc_bool(struct ie_tc *tc, int16_t id, bool v);
/* A list field of n elements of type elem; the elements follow: ie_tc_elem_* for scalars,
 * ie_tc_struct(tc, 0) ... ie_tc_end(tc) for structs. */
void ie_tc_list(struct ie_tc *tc, int16_t id, enum ie_tc_type elem, size_t n);
void ie_tc_elem_i32(struct ie_tc *tc, int32_t v);
void ie_tc_elem_str(struct ie_tc *tc, const char *s);
/* Opens a nested struct: a field id > 0, or 0 for a list element. */
void ie_tc_struct(struct ie_tc *tc, int16_t id);
/* Writes STOP and closes the innermost struct (the top-level one at depth 0). */
void ie_tc_end(struct ie_tc *tc);

/* ---- RLE/bit-packing hybrid ---- */

/* Appends the n values v[0..n) (unsigned, each below 2^bw, 1 <= bw <= 32; width 1 reads v as
 * uint8_t, width 4 as uint32_t) as RLE runs (a run of 8 or more equal values, and the last run)
 * and bit-packed groups of 8 (the last group padded with zeros), without a length prefix. */
void ie_pq_rle_hybrid(struct ie_buf *out, const void *v, int width, size_t n, int bw);
/* Appends v[0..n) packed bw bits each, least significant bit first, padded with zero values to
 * a multiple of 8 values (PLAIN booleans: bw 1, width 1). */
void ie_pq_bitpack(struct ie_buf *out, const void *v, int width, size_t n, int bw);

#endif
