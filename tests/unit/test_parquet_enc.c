/* The Parquet writer's byte-level encoders against hand-computed bytes: Thrift compact varints,
 * zigzag, field-id deltas (short and long form), nested structs, list headers, bools; the
 * RLE/bit-packing hybrid and bit-packing of parquet-format's Encodings.md. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "parquet_enc.h"

static void expect_bytes(const struct ie_buf *b, const unsigned char *want, size_t n)
{
    cr_assert_eq(b->len, n, "%zu bytes, expected %zu", b->len, n);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq((unsigned char)b->data[i], want[i], "byte %zu: %02x, expected %02x", i,
                     (unsigned char)b->data[i], want[i]);
}

Test(parquet_enc, varints_and_zigzag)
{
    struct ie_buf b;
    ie_buf_init(&b);
    ie_tc_varint(&b, 0);
    ie_tc_varint(&b, 127);
    ie_tc_varint(&b, 128);
    ie_tc_varint(&b, 300);
    expect_bytes(&b, (const unsigned char[]){0x00, 0x7f, 0x80, 0x01, 0xac, 0x02}, 6);
    ie_buf_reset(&b);
    ie_tc_zigzag(&b, 0);
    ie_tc_zigzag(&b, -1);
    ie_tc_zigzag(&b, 1);
    ie_tc_zigzag(&b, -2);
    ie_tc_zigzag(&b, 2147483647);
    expect_bytes(&b, (const unsigned char[]){0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0xff, 0xff, 0x0f},
                 9);
    ie_buf_reset(&b);
    /* INT64_MIN zigzags to 2^64 - 1: ten bytes, the last 0x01. */
    ie_tc_zigzag(&b, INT64_MIN);
    cr_assert_eq(b.len, 10);
    for (int i = 0; i < 9; i++)
        cr_expect_eq((unsigned char)b.data[i], 0xff);
    cr_expect_eq(b.data[9], 0x01);
    ie_buf_release(&b);
}

Test(parquet_enc, field_deltas_structs_and_bools)
{
    struct ie_buf b;
    struct ie_tc tc;
    ie_buf_init(&b);
    ie_tc_init(&tc, &b);
    ie_tc_i32(&tc, 1, 5);      /* delta 1, I32: 0x15, zigzag 10 */
    ie_tc_i32(&tc, 3, 1);      /* delta 2: 0x25 */
    ie_tc_i64(&tc, 20, 0);     /* delta 17 > 15: long form, type byte then zigzag id 40 */
    ie_tc_bool(&tc, 21, true); /* the value in the type nibble */
    ie_tc_struct(&tc, 22);
    ie_tc_bool(&tc, 1, false); /* field ids restart inside a struct */
    ie_tc_end(&tc);
    ie_tc_i32(&tc, 23, -1); /* the delta counts from the struct field, 22 */
    ie_tc_i32(&tc, 2, 0);   /* a smaller id than the last one: long form */
    ie_tc_end(&tc);
    expect_bytes(&b,
                 (const unsigned char[]){0x15, 0x0a, 0x25, 0x02, 0x06, 0x28, 0x00, 0x11, 0x1c, 0x12,
                                         0x00, 0x15, 0x01, 0x05, 0x04, 0x00, 0x00},
                 17);
    ie_buf_release(&b);
}

Test(parquet_enc, lists_and_binaries)
{
    struct ie_buf b;
    struct ie_tc tc;
    ie_buf_init(&b);
    ie_tc_init(&tc, &b);
    ie_tc_list(&tc, 1, IE_TC_STRUCT, 2); /* short form: size 2, element type 12 */
    ie_tc_struct(&tc, 0);
    ie_tc_str(&tc, 4, "ab");
    ie_tc_end(&tc);
    ie_tc_struct(&tc, 0);
    ie_tc_end(&tc);
    ie_tc_list(&tc, 2, IE_TC_I32, 20); /* long form: 0xF5 then the size */
    for (int i = 0; i < 20; i++)
        ie_tc_elem_i32(&tc, i == 19 ? -3 : 0);
    ie_tc_end(&tc);
    unsigned char want[9 + 2 + 20 + 1] = {0x19, 0x2c, 0x48, 0x02, 'a', 'b', 0x00, 0x00, 0x19};
    want[9] = 0xf5;
    want[10] = 20;
    want[30] = 0x05; /* zigzag(-3) */
    want[31] = 0x00;
    expect_bytes(&b, want, sizeof(want));
    ie_buf_release(&b);
}

Test(parquet_enc, rle_hybrid_runs_and_bit_packing)
{
    struct ie_buf b;
    ie_buf_init(&b);
    uint8_t ones[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    ie_pq_rle_hybrid(&b, ones, 1, 10, 1); /* one RLE run: header 10 << 1, the value's byte */
    expect_bytes(&b, (const unsigned char[]){0x14, 0x01}, 2);

    ie_buf_reset(&b);
    uint8_t mixed[10] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 1};
    ie_pq_rle_hybrid(&b, mixed, 1, 10, 1); /* 2 bit-packed groups, the last padded with 0 */
    expect_bytes(&b, (const unsigned char[]){0x05, 0x55, 0x03}, 3);

    ie_buf_reset(&b);
    uint32_t idx[19] = {0, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2};
    ie_pq_rle_hybrid(&b, idx, 4, 19, 3);
    /* Encodings.md's example: 0..7 in 3 bits is 0x88 0xC6 0xFA; then a run of ten 5s, and the
     * last value as a run of one. */
    expect_bytes(&b, (const unsigned char[]){0x03, 0x88, 0xc6, 0xfa, 0x14, 0x05, 0x02, 0x02}, 8);

    ie_buf_reset(&b);
    uint32_t wide[8] = {300, 300, 300, 300, 300, 300, 300, 300};
    ie_pq_rle_hybrid(&b, wide, 4, 8, 9); /* a 9-bit value takes two bytes, little-endian */
    expect_bytes(&b, (const unsigned char[]){0x10, 0x2c, 0x01}, 3);

    ie_buf_reset(&b);
    uint8_t bools[3] = {1, 0, 1};
    ie_pq_bitpack(&b, bools, 1, 3, 1); /* PLAIN booleans: bits, least significant first */
    expect_bytes(&b, (const unsigned char[]){0x05}, 1);
    ie_buf_release(&b);
}
