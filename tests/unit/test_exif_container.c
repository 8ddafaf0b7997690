/* The container EXIF reader (core/exif_container.c) on inputs built byte by byte: each
 * container's EXIF is found and read, and cut chunks, lengths past the end, loops between IFDs,
 * zlib bombs, broken hex and zero-byte files give nothing without reading outside the buffer
 * (the sanitizer stage runs these). Every prefix of a real fixture of each container is read
 * too. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "helpers.h"
#include "imgeda/analyze.h"
#include "imgeda/record.h"
#include "imgeda/util.h"
#include "internal.h"

static void add32be(struct ie_buf *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    ie_buf_add(b, p, 4);
}

static void add32le(struct ie_buf *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    ie_buf_add(b, p, 4);
}

static void add16le(struct ie_buf *b, uint32_t v)
{
    unsigned char p[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    ie_buf_add(b, p, 2);
}

static void entry(struct ie_buf *b, uint32_t tag, uint32_t type, uint32_t count, uint32_t value)
{
    add16le(b, tag);
    add16le(b, type);
    add32le(b, count);
    add32le(b, value);
}

/* A little-endian TIFF: IFD0 with Make "Canon", Model "EOS 5D", Orientation 6 and a GPS
 * pointer to a GPS IFD of one entry. gps_at and make_at override those offsets when non-zero
 * (hostile variants). It is both an EXIF blob and a (pixel-less) TIFF file. */
static void tiny_tiff(struct ie_buf *b, uint32_t gps_at, uint32_t make_at)
{
    ie_buf_add(b, "II*\0", 4);
    add32le(b, 8);
    add16le(b, 4);
    entry(b, 0x010F, 2, 6, make_at ? make_at : 62);
    entry(b, 0x0110, 2, 7, 68);
    entry(b, 0x0112, 3, 1, 6);
    entry(b, 0x8825, 4, 1, gps_at ? gps_at : 76);
    add32le(b, 0);
    ie_buf_add(b, "Canon\0EOS 5D\0\0", 14);
    add16le(b, 1);
    entry(b, 0x0000, 1, 4, 0x00000202);
    add32le(b, 0);
}

static void png_chunk(struct ie_buf *b, const char *type, const void *data, size_t n)
{
    add32be(b, (uint32_t)n);
    ie_buf_add(b, type, 4);
    ie_buf_add(b, data, n);
    add32be(b, 0); /* the CRC: not checked by the reader */
}

static void png_start(struct ie_buf *b)
{
    ie_buf_add(b, "\x89PNG\r\n\x1A\n", 8);
    png_chunk(b, "IHDR", "\0\0\0\x20\0\0\0\x18\x08\x02\0\0\0", 13);
}

/* Runs the reader and libexif on buf as format; returns the record (release it). */
static bool read_exif(const void *buf, size_t n, const char *format, struct ie_record *r)
{
    struct ie_exif_bytes x;
    ie_record_init(r);
    bool found = ie__exif_find(buf, n, format, &x);
    if (found) {
        cr_assert(x.len > 0 && x.data != NULL);
        ie__exif_extract(x.data, x.len, r);
    } else {
        cr_assert(x.data == NULL && x.len == 0 && x.owned == NULL);
    }
    ie__exif_bytes_release(&x);
    return found;
}

static void expect_canon(const void *buf, size_t n, const char *format)
{
    struct ie_record r;
    cr_assert(read_exif(buf, n, format, &r), "%s: no EXIF found", format);
    cr_expect_str_eq(r.camera_make, "Canon");
    cr_expect_str_eq(r.camera_model, "EOS 5D");
    cr_expect(r.has_orientation_tag && r.orientation_tag == 6);
    cr_expect(r.has_gps_data);
    ie_record_release(&r);
}

static void expect_nothing(const void *buf, size_t n, const char *format)
{
    struct ie_record r;
    cr_expect_not(read_exif(buf, n, format, &r), "%s: EXIF found in a hostile input", format);
    ie_record_release(&r);
}

/* Every prefix must be read without a fault; those that cut the EXIF find none or less. */
static void every_prefix(const void *buf, size_t n, const char *format)
{
    for (size_t k = 0; k <= n; k++) {
        unsigned char *copy = ie_xmalloc(k + 1); /* exact size: ASan sees any overread */
        memcpy(copy, buf, k);
        struct ie_record r;
        read_exif(copy, k, format, &r);
        ie_record_release(&r);
        free(copy);
    }
}

Test(exif_container, png_exif_chunk_before_and_after_idat)
{
    struct ie_buf t, b;
    ie_buf_init(&t);
    ie_buf_init(&b);
    tiny_tiff(&t, 0, 0);
    for (int after = 0; after < 2; after++) {
        ie_buf_reset(&b);
        png_start(&b);
        if (!after)
            png_chunk(&b, "eXIf", t.data, t.len);
        png_chunk(&b, "IDAT", "\x78\x9c\x03\0\0\0\0\x01", 8);
        if (after)
            png_chunk(&b, "eXIf", t.data, t.len);
        png_chunk(&b, "IEND", "", 0);
        expect_canon(b.data, b.len, "PNG");
        every_prefix(b.data, b.len, "PNG");
    }
    /* A length past the end, and an eXIf after IEND, are not read. */
    size_t at = b.len - 12 - (12 + t.len);
    b.data[at] = 0x7F;
    expect_nothing(b.data, b.len, "PNG");
    ie_buf_reset(&b);
    png_start(&b);
    png_chunk(&b, "IEND", "", 0);
    png_chunk(&b, "eXIf", t.data, t.len);
    expect_nothing(b.data, b.len, "PNG");
    expect_nothing(b.data, 0, "PNG");
    ie_buf_release(&t);
    ie_buf_release(&b);
}

/* ImageMagick's raw profile: "\nexif\n<len>\n" then the hex of "Exif\0\0" + TIFF. */
static void raw_profile(struct ie_buf *out, const struct ie_buf *tiff)
{
    ie_buf_addf(out, "\nexif\n%8zu\n", tiff->len + 6);
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)tiff->data;
    ie_buf_adds(out, "457869660000");
    for (size_t i = 0; i < tiff->len; i++) {
        ie_buf_addc(out, hex[p[i] >> 4]);
        ie_buf_addc(out, hex[p[i] & 15]);
        if (i % 36 == 35)
            ie_buf_addc(out, '\n');
    }
    ie_buf_addc(out, '\n');
}

static void text_chunk(struct ie_buf *png, const char *type, const char *text, size_t n)
{
    struct ie_buf c;
    ie_buf_init(&c);
    ie_buf_add(&c, "Raw profile type exif", 22);
    if (type[0] == 't') {
        ie_buf_add(&c, text, n);
    } else {
        if (type[0] == 'i')
            ie_buf_add(&c, "\1\0\0\0", 4); /* compressed, method, no language or translation */
        else
            ie_buf_addc(&c, 0);
        uLongf zn = compressBound(n);
        unsigned char *z = ie_xmalloc(zn);
        cr_assert_eq(compress(z, &zn, (const unsigned char *)text, n), Z_OK);
        ie_buf_add(&c, z, zn);
        free(z);
    }
    png_chunk(png, type, c.data, c.len);
    ie_buf_release(&c);
}

Test(exif_container, png_raw_profile_in_text_chunks)
{
    static const char *types[] = {"tEXt", "zTXt", "iTXt"};
    struct ie_buf t, text, b;
    ie_buf_init(&t);
    ie_buf_init(&text);
    ie_buf_init(&b);
    tiny_tiff(&t, 0, 0);
    raw_profile(&text, &t);
    for (int i = 0; i < 3; i++) {
        ie_buf_reset(&b);
        png_start(&b);
        text_chunk(&b, types[i], text.data, text.len);
        png_chunk(&b, "IEND", "", 0);
        expect_canon(b.data, b.len, "PNG");
        every_prefix(b.data, b.len, "PNG");
    }
    /* An odd hex digit, a stray character or fewer than three header lines: nothing. */
    static const char *broken[] = {"\nexif\n  4\n4578696", "\nexif\n  4\n4578x966",
                                   "\nexif\n457869660000"};
    for (size_t i = 0; i < IE_ARRAY_LEN(broken); i++) {
        ie_buf_reset(&b);
        png_start(&b);
        text_chunk(&b, "zTXt", broken[i], strlen(broken[i]));
        expect_nothing(b.data, b.len, "PNG");
    }
    /* A broken zlib stream, and a bomb inflating past the cap, give nothing. */
    ie_buf_reset(&b);
    png_start(&b);
    png_chunk(&b, "zTXt", "Raw profile type exif\0\0\x78\x9c\xff\xff", 26);
    expect_nothing(b.data, b.len, "PNG");
    size_t big = 9u << 20;
    char *zeros = ie_xmalloc(big);
    memcpy(zeros, "\nexif\n1\n", 8);
    memset(zeros + 8, '0', big - 8);
    ie_buf_reset(&b);
    png_start(&b);
    text_chunk(&b, "zTXt", zeros, big);
    free(zeros);
    expect_nothing(b.data, b.len, "PNG");
    ie_buf_release(&t);
    ie_buf_release(&text);
    ie_buf_release(&b);
}

Test(exif_container, tiff_ifd0_and_its_sub_ifds)
{
    struct ie_buf t;
    ie_buf_init(&t);
    tiny_tiff(&t, 0, 0);
    expect_canon(t.data, t.len, "TIFF");
    every_prefix(t.data, t.len, "TIFF");

    /* GPS pointing back at IFD0 (a loop), past the end, or a value past the end. */
    struct ie_record r;
    ie_buf_reset(&t);
    tiny_tiff(&t, 8, 0);
    cr_assert(read_exif(t.data, t.len, "TIFF", &r));
    cr_expect_str_eq(r.camera_make, "Canon");
    ie_record_release(&r);
    ie_buf_reset(&t);
    tiny_tiff(&t, 0xFFFFFFF0u, 0xFFFFFFF0u);
    cr_assert(read_exif(t.data, t.len, "TIFF", &r));
    cr_expect_null(r.camera_make);
    cr_expect_str_eq(r.camera_model, "EOS 5D");
    cr_expect_not(r.has_gps_data);
    ie_record_release(&r);

    /* IFD0 past the end, an entry count past the end, BigTIFF, zero bytes. */
    ie_buf_reset(&t);
    tiny_tiff(&t, 0, 0);
    t.data[4] = (char)0xF0;
    expect_nothing(t.data, t.len, "TIFF");
    t.data[4] = 8;
    t.data[8] = t.data[9] = (char)0xFF;
    cr_assert(read_exif(t.data, t.len, "TIFF", &r));
    ie_record_release(&r);
    t.data[2] = 43;
    expect_nothing(t.data, t.len, "TIFF");
    expect_nothing(t.data, 0, "TIFF");
    ie_buf_release(&t);
}

Test(exif_container, webp_exif_chunk)
{
    struct ie_buf t, b;
    ie_buf_init(&t);
    ie_buf_init(&b);
    tiny_tiff(&t, 0, 0);
    ie_buf_add(&b, "RIFF\0\0\0\0WEBP", 12);
    ie_buf_add(&b, "VP8X", 4);
    add32le(&b, 10);
    ie_buf_add(&b, "\x08\0\0\0\x1f\0\0\x17\0\0", 10);
    ie_buf_add(&b, "ICCP", 4); /* an odd size: the chunk is padded */
    add32le(&b, 3);
    ie_buf_add(&b, "abc\0", 4);
    ie_buf_add(&b, "EXIF", 4);
    add32le(&b, (uint32_t)t.len);
    ie_buf_add(&b, t.data, t.len);
    expect_canon(b.data, b.len, "WEBP");
    every_prefix(b.data, b.len, "WEBP");
    b.data[12 + 18 + 4] = (char)0xFE; /* ICCP's size past the end */
    expect_nothing(b.data, b.len, "WEBP");
    ie_buf_release(&t);
    ie_buf_release(&b);
}

/* A HEIF: ftyp, meta (iinf with an Exif item, iloc), then mdat holding the item (4-byte TIFF
 * offset, "Exif\0\0", TIFF) after pad bytes of image data. */
static void tiny_heif(struct ie_buf *b, const struct ie_buf *tiff, uint32_t skip, size_t pad)
{
    ie_buf_add(b,
               "\0\0\0\x14"
               "ftypheic\0\0\0\0heic",
               20);
    size_t meta = b->len;
    add32be(b, 0);
    ie_buf_add(b, "meta\0\0\0\0", 8);
    ie_buf_add(b, "\0\0\0\x23iinf\0\0\0\0\0\x01", 14);
    ie_buf_add(b, "\0\0\0\x15infe\x02\0\0\0\0\x01\0\0Exif\0", 21);
    ie_buf_add(b, "\0\0\0\x1eiloc\0\0\0\0\x44\0\0\x01\0\x01\0\0\0\x01", 22);
    size_t off_at = b->len;
    add32be(b, 0);
    add32be(b, (uint32_t)(4 + 6 + tiff->len));
    unsigned char *m = (unsigned char *)b->data + meta;
    size_t mn = b->len - meta;
    m[2] = (unsigned char)(mn >> 8);
    m[3] = (unsigned char)mn;
    add32be(b, (uint32_t)(8 + pad + 4 + 6 + tiff->len));
    ie_buf_add(b, "mdat", 4);
    for (size_t i = 0; i < pad; i++)
        ie_buf_addc(b, 'x');
    size_t item = b->len;
    add32be(b, skip);
    ie_buf_add(b, "Exif\0\0", 6);
    ie_buf_add(b, tiff->data, tiff->len);
    m = (unsigned char *)b->data + off_at;
    m[0] = (unsigned char)(item >> 24);
    m[1] = (unsigned char)(item >> 16);
    m[2] = (unsigned char)(item >> 8);
    m[3] = (unsigned char)item;
}

/* The same item stored in the meta box's idat (iloc version 1, construction method 1). */
static void tiny_heif_idat(struct ie_buf *b, const struct ie_buf *tiff)
{
    uint32_t item = (uint32_t)(4 + 6 + tiff->len);
    ie_buf_add(b,
               "\0\0\0\x14"
               "ftypheic\0\0\0\0heic",
               20);
    add32be(b, 12 + 35 + 32 + 8 + item);
    ie_buf_add(b, "meta\0\0\0\0", 8);
    ie_buf_add(b, "\0\0\0\x23iinf\0\0\0\0\0\x01", 14);
    ie_buf_add(b, "\0\0\0\x15infe\x02\0\0\0\0\x01\0\0Exif\0", 21);
    ie_buf_add(b, "\0\0\0\x20iloc\x01\0\0\0\x44\0\0\x01\0\x01\0\x01\0\0\0\x01", 24);
    add32be(b, 0);
    add32be(b, item);
    add32be(b, 8 + item);
    ie_buf_add(b, "idat", 4);
    add32be(b, 6);
    ie_buf_add(b, "Exif\0\0", 6);
    ie_buf_add(b, tiff->data, tiff->len);
}

Test(exif_container, heif_exif_item)
{
    struct ie_buf t, b;
    ie_buf_init(&t);
    ie_buf_init(&b);
    tiny_tiff(&t, 0, 0);
    tiny_heif(&b, &t, 6, 40);
    expect_canon(b.data, b.len, "HEIF");
    every_prefix(b.data, b.len, "HEIF");
    /* The 4-byte offset may also point at "Exif\0\0" (libexif reads both). */
    ie_buf_reset(&b);
    tiny_heif(&b, &t, 0, 0);
    expect_canon(b.data, b.len, "AVIF");
    /* Cut image data before the item: the mdat box is cut, the item is not there. */
    expect_nothing(b.data, b.len - t.len, "HEIF");
    /* The TIFF offset past the item, and an extent past the end of the file. */
    ie_buf_reset(&b);
    tiny_heif(&b, &t, 0xFFFFFFF0u, 0);
    expect_nothing(b.data, b.len, "HEIF");
    ie_buf_reset(&b);
    tiny_heif(&b, &t, 6, 0);
    size_t len_at = 20 + 12 + 35 + 22 + 4;
    b.data[len_at] = 0x7F;
    expect_nothing(b.data, b.len, "HEIF");
    expect_nothing(b.data, 0, "HEIF");
    ie_buf_reset(&b);
    tiny_heif_idat(&b, &t);
    expect_canon(b.data, b.len, "HEIF");
    every_prefix(b.data, b.len, "HEIF");
    ie_buf_release(&t);
    ie_buf_release(&b);
}

Test(exif_container, formats_without_a_reader_find_nothing)
{
    static const char *formats[] = {"JPEG", "GIF", "BMP", NULL};
    struct ie_buf t;
    ie_buf_init(&t);
    tiny_tiff(&t, 0, 0);
    for (size_t i = 0; i < IE_ARRAY_LEN(formats); i++)
        expect_nothing(t.data, t.len, formats[i]);
    expect_nothing(NULL, 0, "PNG");
    ie_buf_release(&t);
}

/* Every prefix of one real fixture per container (real camera EXIF, real encoders). */
Test(exif_container, every_prefix_of_real_fixtures)
{
    static const char *files[] = {"png_after/07_iphone_6_gps.png", "png_ztxt/03_n9.png",
                                  "tiff/05_xt1635_02_gps.tiff", "webp/01_c2000z.webp",
                                  "heic_cut/08_iphone_6_gps.heic"};
    static const char *formats[] = {"PNG", "PNG", "TIFF", "WEBP", "HEIF"};
    for (size_t i = 0; i < IE_ARRAY_LEN(files); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/exif_containers/%s", th_fixtures(), files[i]);
        char *buf;
        size_t n;
        struct ie_err err = {0};
        cr_assert_eq(ie_read_file(path, 1 << 20, &buf, &n, &err), 0, "%s", err.msg);
        struct ie_record r;
        cr_assert(read_exif(buf, n, formats[i], &r), "%s", files[i]);
        cr_expect_not_null(r.camera_make, "%s", files[i]);
        ie_record_release(&r);
        every_prefix(buf, n, formats[i]);
        free(buf);
    }
}

static void start_vips(void)
{
    struct ie_err err = {0};
    cr_assert_eq(ie_init("test_exif_container", &err), 0, "%s", err.msg);
}

/* A cut HEIC (libheif refuses it) keeps format "HEIF" and the EXIF of its meta box; another
 * ftyp file that cannot be read (an MP4 brand) gets no format. */
Test(exif_container, cut_heic_keeps_format_and_exif, .init = start_vips)
{
    char path[1024], *buf;
    size_t n;
    struct ie_err err = {0};
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    snprintf(path, sizeof(path), "%s/exif_containers/heic_cut/07_iphone_6_gps.heic", th_fixtures());
    cr_assert_eq(ie_read_file(path, 1 << 20, &buf, &n, &err), 0, "%s", err.msg);
    struct ie_record r;
    ie_record_init(&r);
    ie_analyze_buffer(buf, n, &o, &r);
    cr_expect(r.is_corrupt);
    cr_expect_str_eq(r.format, "HEIF");
    cr_expect_str_eq(r.camera_make, "Apple");
    cr_expect(r.has_gps_data);
    ie_record_release(&r);
    memcpy(buf + 8, "isom", 4);
    for (size_t at = 16; at + 4 <= 28; at += 4)
        memcpy(buf + at, "mp41", 4);
    ie_record_init(&r);
    ie_analyze_buffer(buf, n, &o, &r);
    cr_expect(r.is_corrupt);
    cr_expect(r.format == NULL || r.format[0] == 0, "format %s", r.format);
    cr_expect_null(r.camera_make);
    ie_record_release(&r);
    free(buf);
}
