/* Manifest export to Parquet: row groups buffered column by column, pages, the footer. */
/* DESIGN: one pass of ie_export_source fills, per column, the PLAIN bytes of its non-null cells,
 * one definition level per row, statistics, and (text columns) a dictionary that is given up
 * once it grows past DICT_MAX_ENTRIES or DICT_MAX_BYTES. A full row group becomes, per column,
 * an optional dictionary page and one data page (format v1), each zstd-compressed, and its
 * RowGroup struct is encoded right away into a buffer; the footer lists those at the end. So
 * memory is one row group plus a few hundred bytes of footer per row group. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include <xxhash.h>

#include "imgeda/parquet.h"
#include "parquet_enc.h"

#ifndef IMGEDA_VERSION
#define IMGEDA_VERSION "0"
#endif

enum {
    GROUP_ROWS = 65536,
    GROUP_ROWS_MAX = 1 << 20,
    GROUP_BYTES = 64 << 20,
    DICT_MAX_ENTRIES = 4096,
    DICT_MAX_BYTES = 1 << 20,
    ZSTD_LEVEL = 1,
};

/* parquet.thrift's enums, the values this writer uses. */
enum {
    PQ_BOOLEAN = 0,
    PQ_INT64 = 2,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_OPTIONAL = 1,
    PQ_CONVERTED_UTF8 = 0,
    PQ_ENC_PLAIN = 0,
    PQ_ENC_RLE = 3,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_CODEC_ZSTD = 6,
    PQ_PAGE_DATA = 0,
    PQ_PAGE_DICTIONARY = 2,
};

struct pq_dict {
    bool off;            /* given up for this row group */
    struct ie_buf bytes; /* the entries, PLAIN-encoded (4-byte length, bytes) */
    uint32_t *start;     /* each entry's offset in bytes */
    size_t count, start_cap;
    uint32_t *slots; /* open addressing: entry + 1, 0 for empty */
    size_t nslots;
    uint32_t *idx; /* the entry of each non-null cell */
    size_t nidx, idx_cap;
};

struct pq_col {
    const char *name;
    enum ie_export_type type;
    struct ie_buf plain; /* non-null cells, PLAIN (booleans one byte each until written) */
    struct ie_buf defs;  /* one definition level per row: 1 value, 0 null */
    size_t nulls;
    bool ranged; /* min/max hold a value */
    int64_t imin, imax;
    double dmin, dmax;
    struct ie_buf smin, smax;
    struct pq_dict dict;
};

struct pq_writer {
    FILE *f;
    const char *path;
    uint64_t off; /* bytes written so far */
    struct pq_col *cols;
    size_t ncols, rows, rows_total, group_rows, buffered, groups;
    struct ie_buf row_groups; /* encoded RowGroup structs */
    struct ie_buf body, z, hdr;
    ZSTD_CCtx *zc;
};

static int pq_type(enum ie_export_type t)
{
    switch (t) {
    case IE_EXPORT_INT:
        return PQ_INT64;
    case IE_EXPORT_REAL:
        return PQ_DOUBLE;
    case IE_EXPORT_BOOL:
        return PQ_BOOLEAN;
    case IE_EXPORT_TEXT:
        break;
    }
    return PQ_BYTE_ARRAY;
}

static void put_le32(struct ie_buf *b, uint32_t x)
{
    unsigned char p[4] = {(unsigned char)x, (unsigned char)(x >> 8), (unsigned char)(x >> 16),
                          (unsigned char)(x >> 24)};
    ie_buf_add(b, p, 4);
}

static void put_le64(struct ie_buf *b, uint64_t x)
{
    put_le32(b, (uint32_t)x);
    put_le32(b, (uint32_t)(x >> 32));
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

/* ---- the dictionary of a text column ---- */

/* The hash the project's maps use (core/strmap.c): XXH3, a few bytes a cycle. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    return XXH3_64bits(s, n);
}

/* Entry e's length and bytes. */
static uint32_t dict_entry(const struct pq_dict *d, uint32_t e, const char **bytes)
{
    const unsigned char *p = (const unsigned char *)d->bytes.data + d->start[e];
    *bytes = (const char *)p + 4;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool dict_entry_is(const struct pq_dict *d, uint32_t e, const char *s, size_t n)
{
    const char *p;
    return dict_entry(d, e, &p) == n && memcmp(p, s, n) == 0;
}

static void dict_rehash(struct pq_dict *d)
{
    size_t ns = d->nslots ? d->nslots * 2 : 256;
    uint32_t *slots = ie_xcalloc(ns, sizeof(*slots));
    for (uint32_t e = 0; e < d->count; e++) {
        const char *p;
        uint32_t n = dict_entry(d, e, &p);
        size_t i = hash_bytes(p, n) & (ns - 1);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = e + 1;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = ns;
}

/* Records the cell s[0..n) as a dictionary index, adding an entry when it is new; gives the
 * dictionary up when it would outgrow its limits. */
static void dict_add(struct pq_dict *d, const char *s, size_t n)
{
    if (d->off)
        return;
    if (d->count * 2 >= d->nslots)
        dict_rehash(d);
    size_t i = hash_bytes(s, n) & (d->nslots - 1);
    while (d->slots[i] && !dict_entry_is(d, d->slots[i] - 1, s, n))
        i = (i + 1) & (d->nslots - 1);
    uint32_t e;
    if (d->slots[i]) {
        e = d->slots[i] - 1;
    } else {
        if (d->count >= DICT_MAX_ENTRIES || d->bytes.len + n + 4 > DICT_MAX_BYTES) {
            d->off = true;
            return;
        }
        e = (uint32_t)d->count;
        ie_grow((void **)&d->start, &d->start_cap, d->count + 1, sizeof(*d->start));
        d->start[d->count++] = (uint32_t)d->bytes.len;
        put_le32(&d->bytes, (uint32_t)n);
        ie_buf_add(&d->bytes, s, n);
        d->slots[i] = e + 1;
    }
    ie_grow((void **)&d->idx, &d->idx_cap, d->nidx + 1, sizeof(*d->idx));
    d->idx[d->nidx++] = e;
}

static void dict_reset(struct pq_dict *d)
{
    d->off = false;
    ie_buf_reset(&d->bytes);
    d->count = d->nidx = 0;
    if (d->slots)
        memset(d->slots, 0, d->nslots * sizeof(*d->slots));
}

static void dict_release(struct pq_dict *d)
{
    ie_buf_release(&d->bytes);
    free(d->start);
    free(d->slots);
    free(d->idx);
}

/* ---- cells ---- */

/* Unsigned byte order, a shorter prefix first: Parquet's order for BYTE_ARRAY statistics. */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = (an && bn) ? memcmp(a, b, an < bn ? an : bn) : 0;
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static void text_range(struct pq_col *c, const char *s, size_t n)
{
    if (!c->ranged || bytes_cmp(s, n, c->smin.data, c->smin.len) < 0) {
        ie_buf_reset(&c->smin);
        ie_buf_add(&c->smin, s, n);
    }
    if (!c->ranged || bytes_cmp(s, n, c->smax.data, c->smax.len) > 0) {
        ie_buf_reset(&c->smax);
        ie_buf_add(&c->smax, s, n);
    }
    c->ranged = true;
}

static void int_range(struct pq_col *c, int64_t i)
{
    if (!c->ranged || i < c->imin)
        c->imin = i;
    if (!c->ranged || i > c->imax)
        c->imax = i;
    c->ranged = true;
}

/* NaN takes no part in a double column's min/max (parquet.thrift, ColumnOrder). */
static void real_range(struct pq_col *c, double d)
{
    if (isnan(d))
        return;
    if (!c->ranged || d < c->dmin)
        c->dmin = d;
    if (!c->ranged || d > c->dmax)
        c->dmax = d;
    c->ranged = true;
}

static void add_cell(struct pq_writer *w, struct pq_col *c, const struct ie_export_value *v)
{
    size_t before = c->plain.len;
    ie_buf_addc(&c->defs, (char)!v->null);
    if (v->null) {
        c->nulls++;
        w->buffered++;
        return;
    }
    switch (c->type) {
    case IE_EXPORT_INT:
        put_le64(&c->plain, (uint64_t)v->i);
        int_range(c, v->i);
        break;
    case IE_EXPORT_BOOL:
        ie_buf_addc(&c->plain, (char)(v->i != 0));
        int_range(c, v->i != 0);
        break;
    case IE_EXPORT_REAL:
        put_le64(&c->plain, dbits(v->d));
        real_range(c, v->d);
        break;
    case IE_EXPORT_TEXT: {
        size_t n = strlen(v->s);
        put_le32(&c->plain, (uint32_t)n);
        ie_buf_add(&c->plain, v->s, n);
        text_range(c, v->s, n);
        dict_add(&c->dict, v->s, n);
        break;
    }
    }
    w->buffered += 1 + c->plain.len - before;
}

/* ---- writing ---- */

static int put_bytes(struct pq_writer *w, const void *p, size_t n, struct ie_err *err)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        return ie_err_set(err, IE_EIO, "cannot write %s: %s", w->path, strerror(errno));
    w->off += n;
    return 0;
}

/* Sizes of a column chunk's pages as they add up for ColumnMetaData. */
struct chunk_sizes {
    uint64_t raw, packed;
};

/* Compresses w->body and writes it as one page: its PageHeader, then the compressed bytes. n is
 * the page's value count (rows for a data page, entries for a dictionary page). */
static int write_page(struct pq_writer *w, int page_type, int32_t n, int encoding,
                      struct chunk_sizes *cs, struct ie_err *err)
{
    size_t bound = ZSTD_compressBound(w->body.len);
    ie_buf_reset(&w->z);
    ie_grow((void **)&w->z.data, &w->z.cap, bound + 1, 1);
    size_t zn = ZSTD_compressCCtx(w->zc, w->z.data, bound, w->body.data, w->body.len, ZSTD_LEVEL);
    if (ZSTD_isError(zn))
        return ie_err_set(err, IE_EIO, "zstd: %s", ZSTD_getErrorName(zn));
    if (w->body.len > INT32_MAX || zn > INT32_MAX)
        return ie_err_set(err, IE_ELIMIT, "a Parquet page would exceed 2 GiB");
    struct ie_tc tc;
    ie_buf_reset(&w->hdr);
    ie_tc_init(&tc, &w->hdr);
    ie_tc_i32(&tc, 1, page_type);
    ie_tc_i32(&tc, 2, (int32_t)w->body.len);
    ie_tc_i32(&tc, 3, (int32_t)zn);
    ie_tc_struct(&tc, page_type == PQ_PAGE_DATA ? 5 : 7);
    ie_tc_i32(&tc, 1, n);
    ie_tc_i32(&tc, 2, encoding);
    if (page_type == PQ_PAGE_DATA) {
        ie_tc_i32(&tc, 3, PQ_ENC_RLE); /* definition levels */
        ie_tc_i32(&tc, 4, PQ_ENC_RLE); /* repetition levels (none: a flat schema) */
    }
    ie_tc_end(&tc);
    ie_tc_end(&tc);
    cs->raw += w->hdr.len + w->body.len;
    cs->packed += w->hdr.len + zn;
    int rc = put_bytes(w, w->hdr.data, w->hdr.len, err);
    return rc < 0 ? rc : put_bytes(w, w->z.data, zn, err);
}

static int dict_bits(size_t count)
{
    int bw = 1;
    while (bw < 32 && ((size_t)1 << bw) < count)
        bw++;
    return bw;
}

/* The data page's body: definition levels (4-byte length, RLE hybrid of width 1), then the
 * values, as dictionary indices (a bit-width byte, RLE hybrid) or PLAIN. */
static void data_body(struct pq_writer *w, const struct pq_col *c, bool dict)
{
    ie_buf_reset(&w->body);
    put_le32(&w->body, 0);
    ie_pq_rle_hybrid(&w->body, c->defs.data, 1, c->defs.len, 1);
    uint32_t dl = (uint32_t)(w->body.len - 4);
    memcpy(w->body.data,
           (unsigned char[4]){(unsigned char)dl, (unsigned char)(dl >> 8),
                              (unsigned char)(dl >> 16), (unsigned char)(dl >> 24)},
           4);
    if (dict) {
        int bw = dict_bits(c->dict.count);
        ie_buf_addc(&w->body, (char)bw);
        ie_pq_rle_hybrid(&w->body, c->dict.idx, 4, c->dict.nidx, bw);
    } else if (c->type == IE_EXPORT_BOOL) {
        ie_pq_bitpack(&w->body, c->plain.data, 1, c->plain.len, 1);
    } else if (c->plain.len) {
        /* (An all-null chunk has no values, and plain.data may be NULL then.) */
        ie_buf_add(&w->body, c->plain.data, c->plain.len);
    }
}

/* A statistics value, PLAIN-encoded without a length (parquet.thrift, Statistics). */
static void stat_value(const struct pq_col *c, bool max, struct ie_buf *out)
{
    switch (c->type) {
    case IE_EXPORT_INT:
        put_le64(out, (uint64_t)(max ? c->imax : c->imin));
        break;
    case IE_EXPORT_BOOL:
        ie_buf_addc(out, (char)(max ? c->imax : c->imin));
        break;
    case IE_EXPORT_REAL: {
        /* A zero bound is written as -0.0 for min and +0.0 for max, as the format asks. */
        double d = max ? c->dmax : c->dmin;
        if (d == 0)
            d = max ? 0.0 : -0.0;
        put_le64(out, dbits(d));
        break;
    }
    case IE_EXPORT_TEXT:
        ie_buf_add(out, max ? c->smax.data : c->smin.data, max ? c->smax.len : c->smin.len);
        break;
    }
}

/* The ColumnChunk element of the row group's column list. */
static void chunk_meta(struct pq_writer *w, struct ie_tc *tc, const struct pq_col *c,
                       uint64_t start, uint64_t data_off, bool dict, const struct chunk_sizes *cs)
{
    size_t rows = c->defs.len;
    ie_tc_struct(tc, 0);
    ie_tc_i64(tc, 2, (int64_t)start);
    ie_tc_struct(tc, 3);
    ie_tc_i32(tc, 1, pq_type(c->type));
    ie_tc_list(tc, 2, IE_TC_I32, dict ? 3 : 2);
    ie_tc_elem_i32(tc, PQ_ENC_PLAIN);
    ie_tc_elem_i32(tc, PQ_ENC_RLE);
    if (dict)
        ie_tc_elem_i32(tc, PQ_ENC_RLE_DICTIONARY);
    ie_tc_list(tc, 3, IE_TC_BINARY, 1);
    ie_tc_elem_str(tc, c->name);
    ie_tc_i32(tc, 4, PQ_CODEC_ZSTD);
    ie_tc_i64(tc, 5, (int64_t)rows);
    ie_tc_i64(tc, 6, (int64_t)cs->raw);
    ie_tc_i64(tc, 7, (int64_t)cs->packed);
    ie_tc_i64(tc, 9, (int64_t)data_off);
    if (dict)
        ie_tc_i64(tc, 11, (int64_t)start);
    ie_tc_struct(tc, 12);
    ie_tc_i64(tc, 3, (int64_t)c->nulls);
    if (c->ranged) {
        ie_buf_reset(&w->hdr);
        stat_value(c, true, &w->hdr);
        ie_tc_bin(tc, 5, w->hdr.data, w->hdr.len);
        ie_buf_reset(&w->hdr);
        stat_value(c, false, &w->hdr);
        ie_tc_bin(tc, 6, w->hdr.data, w->hdr.len);
    }
    ie_tc_end(tc); /* Statistics */
    ie_tc_end(tc); /* ColumnMetaData */
    ie_tc_end(tc); /* ColumnChunk */
}

/* Writes one column's chunk of the current row group and lists it in tc. */
static int write_chunk(struct pq_writer *w, struct ie_tc *tc, struct pq_col *c,
                       struct chunk_sizes *group, struct ie_err *err)
{
    struct chunk_sizes cs = {0, 0};
    uint64_t start = w->off;
    /* A dictionary pays when values repeat: at most one entry per two cells. */
    bool dict = c->type == IE_EXPORT_TEXT && !c->dict.off && c->dict.count > 0 &&
                c->dict.count * 2 <= c->dict.nidx;
    int rc = 0;
    if (dict) {
        ie_buf_reset(&w->body);
        ie_buf_add(&w->body, c->dict.bytes.data, c->dict.bytes.len);
        rc = write_page(w, PQ_PAGE_DICTIONARY, (int32_t)c->dict.count, PQ_ENC_PLAIN, &cs, err);
        if (rc < 0)
            return rc;
    }
    uint64_t data_off = w->off;
    data_body(w, c, dict);
    rc = write_page(w, PQ_PAGE_DATA, (int32_t)c->defs.len,
                    dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN, &cs, err);
    if (rc < 0)
        return rc;
    chunk_meta(w, tc, c, start, data_off, dict, &cs);
    group->raw += cs.raw;
    group->packed += cs.packed;
    return 0;
}

static void col_reset(struct pq_col *c)
{
    ie_buf_reset(&c->plain);
    ie_buf_reset(&c->defs);
    c->nulls = 0;
    c->ranged = false;
    dict_reset(&c->dict);
}

/* Writes the buffered rows as one row group and encodes its RowGroup struct. */
static int flush_group(struct pq_writer *w, struct ie_err *err)
{
    struct chunk_sizes group = {0, 0};
    uint64_t start = w->off;
    struct ie_tc tc;
    if (w->rows == 0)
        return 0;
    ie_tc_init(&tc, &w->row_groups);
    ie_tc_list(&tc, 1, IE_TC_STRUCT, w->ncols);
    for (size_t i = 0; i < w->ncols; i++) {
        int rc = write_chunk(w, &tc, &w->cols[i], &group, err);
        if (rc < 0)
            return rc;
        col_reset(&w->cols[i]);
    }
    ie_tc_i64(&tc, 2, (int64_t)group.raw);
    ie_tc_i64(&tc, 3, (int64_t)w->rows);
    ie_tc_i64(&tc, 5, (int64_t)start);
    ie_tc_i64(&tc, 6, (int64_t)group.packed);
    ie_tc_end(&tc);
    w->groups++;
    w->rows = 0;
    w->buffered = 0;
    return 0;
}

static void schema(const struct pq_writer *w, struct ie_tc *tc)
{
    ie_tc_list(tc, 2, IE_TC_STRUCT, w->ncols + 1);
    ie_tc_struct(tc, 0);
    ie_tc_str(tc, 4, "schema");
    ie_tc_i32(tc, 5, (int32_t)w->ncols);
    ie_tc_end(tc);
    for (size_t i = 0; i < w->ncols; i++) {
        const struct pq_col *c = &w->cols[i];
        ie_tc_struct(tc, 0);
        ie_tc_i32(tc, 1, pq_type(c->type));
        ie_tc_i32(tc, 3, PQ_OPTIONAL);
        ie_tc_str(tc, 4, c->name);
        if (c->type == IE_EXPORT_TEXT) {
            ie_tc_i32(tc, 6, PQ_CONVERTED_UTF8);
            ie_tc_struct(tc, 10); /* LogicalType, the union's STRING member */
            ie_tc_struct(tc, 1);
            ie_tc_end(tc);
            ie_tc_end(tc);
        }
        ie_tc_end(tc);
    }
}

/* The FileMetaData struct, its length and the closing magic. */
static int write_footer(struct pq_writer *w, const char *header_line, size_t header_len,
                        struct ie_err *err)
{
    struct ie_buf b;
    struct ie_tc tc;
    ie_buf_init(&b);
    ie_tc_init(&tc, &b);
    ie_tc_i32(&tc, 1, 1);
    schema(w, &tc);
    ie_tc_i64(&tc, 3, (int64_t)w->rows_total);
    ie_tc_list(&tc, 4, IE_TC_STRUCT, w->groups);
    ie_buf_add(&b, w->row_groups.data, w->row_groups.len);
    if (header_line) {
        ie_tc_list(&tc, 5, IE_TC_STRUCT, 1);
        ie_tc_struct(&tc, 0);
        ie_tc_str(&tc, 1, "imgeda.manifest_header");
        ie_tc_bin(&tc, 2, header_line, header_len);
        ie_tc_end(&tc);
    }
    ie_tc_str(&tc, 6, "imgeda version " IMGEDA_VERSION);
    /* Column orders tell readers that min/max follow each type's own order (TYPE_ORDER). */
    ie_tc_list(&tc, 7, IE_TC_STRUCT, w->ncols);
    for (size_t i = 0; i < w->ncols; i++) {
        ie_tc_struct(&tc, 0);
        ie_tc_struct(&tc, 1);
        ie_tc_end(&tc);
        ie_tc_end(&tc);
    }
    ie_tc_end(&tc);
    put_le32(&b, (uint32_t)b.len);
    ie_buf_add(&b, "PAR1", 4);
    int rc = put_bytes(w, b.data, b.len, err);
    ie_buf_release(&b);
    return rc;
}

static size_t group_rows_wanted(void)
{
    const char *s = getenv("IE_PARQUET_ROW_GROUP_ROWS");
    char *end = NULL;
    if (!s || !*s)
        return GROUP_ROWS;
    unsigned long v = strtoul(s, &end, 10);
    return (*end || v < 1 || v > GROUP_ROWS_MAX) ? GROUP_ROWS : (size_t)v;
}

static void writer_init(struct pq_writer *w, FILE *f, const char *path)
{
    size_t n;
    const struct ie_export_column *cols = ie_export_columns(&n);
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->path = path;
    w->ncols = n;
    w->cols = ie_xcalloc(n, sizeof(*w->cols));
    for (size_t i = 0; i < n; i++) {
        w->cols[i].name = cols[i].name;
        w->cols[i].type = cols[i].type;
    }
    w->group_rows = group_rows_wanted();
    ie_buf_init(&w->row_groups);
    ie_buf_init(&w->body);
    ie_buf_init(&w->z);
    ie_buf_init(&w->hdr);
    w->zc = ZSTD_createCCtx();
}

static void writer_release(struct pq_writer *w)
{
    for (size_t i = 0; i < w->ncols; i++) {
        struct pq_col *c = &w->cols[i];
        ie_buf_release(&c->plain);
        ie_buf_release(&c->defs);
        ie_buf_release(&c->smin);
        ie_buf_release(&c->smax);
        dict_release(&c->dict);
    }
    free(w->cols);
    ie_buf_release(&w->row_groups);
    ie_buf_release(&w->body);
    ie_buf_release(&w->z);
    ie_buf_release(&w->hdr);
    ZSTD_freeCCtx(w->zc);
}

/* Streams the source's records into row groups, then writes the footer. */
static int write_all(struct pq_writer *w, struct ie_export_source *src, struct ie_err *err)
{
    struct ie_record rec;
    struct ie_export_value v;
    int rc = put_bytes(w, "PAR1", 4, err);
    ie_record_init(&rec);
    while (rc == 0 && (rc = ie_export_source_next(src, &rec, NULL, NULL, err)) == 1) {
        for (size_t i = 0; i < w->ncols; i++) {
            ie_export_value(&rec, i, &v);
            add_cell(w, &w->cols[i], &v);
        }
        w->rows++;
        w->rows_total++;
        rc = (w->rows >= w->group_rows || w->buffered >= GROUP_BYTES) ? flush_group(w, err) : 0;
    }
    ie_record_release(&rec);
    if (rc < 0)
        return rc;
    size_t hlen = 0;
    const char *hline = ie_export_source_header_line(src, &hlen);
    rc = flush_group(w, err);
    return rc < 0 ? rc : write_footer(w, hline, hlen, err);
}

int ie_parquet_write_path(const char *manifest_path, const char *out_path,
                          struct ie_export_stats *st, struct ie_err *err)
{
    struct ie_export_source *src = NULL;
    struct pq_writer w;
    char *tmp = NULL;
    FILE *f = NULL;
    int rc = ie_export_check_output(manifest_path, out_path, &tmp, err);
    if (rc < 0)
        goto out;
    if ((rc = ie_export_source_open(manifest_path, &src, err)) < 0)
        goto out;
    if (!(f = fopen(tmp, "wbe"))) {
        rc = ie_err_set(err, IE_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    setvbuf(f, NULL, _IOFBF, 1u << 20);
    writer_init(&w, f, tmp);
    rc = write_all(&w, src, err);
    writer_release(&w);
    if (fclose(f) != 0 && rc == 0)
        rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp, strerror(errno));
    f = NULL;
    if (rc < 0) {
        unlink(tmp);
        goto out;
    }
    if ((rc = ie_export_commit_tmp(tmp, out_path, err)) < 0)
        goto out;
    if (st) {
        st->records = w.rows_total;
        st->skipped_lines = ie_export_source_skipped(src);
        st->replaced = ie_export_source_replaced(src);
    }
out:
    ie_export_source_free(src);
    free(tmp);
    return rc;
}
