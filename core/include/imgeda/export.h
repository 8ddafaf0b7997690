/* Manifest export (SPEC §4.7): CSV (nested objects flattened, RFC 4180 quoting), JSONL (the
 * header line and each path's latest record line, verbatim) and the column model that the
 * SQLite exporter (engine/export_sqlite.h; core never links SQLite) shares with CSV.
 *
 * Every export streams the manifest twice with bounded memory: a first pass remembers, per
 * path, where its latest record line is (a later record for a path replaces an earlier one in
 * the earlier one's position, as ie_manifest_load does); the second pass reads those lines
 * back one at a time. Memory is one path string and 16 bytes per distinct path.
 *
 * Typical use:
 *   ie_export_write_path("m.jsonl", IE_EXPORT_CSV, "m.csv", &stats, &err);    (the CLI)
 *   ie_export_reader_open(path, IE_EXPORT_CSV, &rd, &err); ie_export_reader_read(...) ...
 *                                                  (a daemon streaming a download)
 * THREADS: no shared state; a source or reader belongs to one thread at a time. */
#ifndef IMGEDA_EXPORT_H
#define IMGEDA_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "imgeda/err.h"
#include "imgeda/manifest.h"
#include "imgeda/record.h"
#include "imgeda/util.h"

enum ie_export_format {
    IE_EXPORT_CSV = 0,
    IE_EXPORT_JSONL,
    IE_EXPORT_SQLITE,  /* written by engine/export_sqlite.c only */
    IE_EXPORT_PARQUET, /* written by ie_parquet_write_path (imgeda/parquet.h) */
};
/* "csv", "jsonl", "sqlite", "parquet". Static storage. */
const char *ie_export_format_name(enum ie_export_format f);
/* Parses a name above (case-insensitive). Returns 0 or IE_EINVAL with a message. */
int ie_export_format_parse(const char *s, enum ie_export_format *out, struct ie_err *err);

/* ---- the flat column model (CSV header, SQLite table) ---- */

enum ie_export_type {
    IE_EXPORT_TEXT, /* CSV: the text; SQLite TEXT */
    IE_EXPORT_INT,  /* CSV: decimal; SQLite INTEGER */
    IE_EXPORT_REAL, /* CSV: shortest round-trip form with a decimal point; SQLite REAL */
    IE_EXPORT_BOOL, /* CSV: True/False as Python's csv writes them; SQLite INTEGER 0/1 */
};

struct ie_export_column {
    const char *name; /* nested keys joined with '_': pixel_stats_mean_r */
    enum ie_export_type type;
};

/* The record's columns and their types, in the SQLite export's order and with its names (the
 * CSV renames and reorders them, see ie_export_csv_column): imgeda's columns in its order, with the
 * SPEC §2 keys it lacks inserted where the record has them (orientation_tag, analyzer_version,
 * pixel_stats_min_val/max_val) and our additions (content_hash, error, bit_depth, num_frames)
 * last. Static storage; *n receives the count. */
const struct ie_export_column *ie_export_columns(size_t *n);

/* One cell. Text points into the record or into buf; valid while both live. */
struct ie_export_value {
    bool null;
    int64_t i;     /* IE_EXPORT_INT, IE_EXPORT_BOOL (0/1) */
    double d;      /* IE_EXPORT_REAL */
    const char *s; /* IE_EXPORT_TEXT */
    char buf[72];
};
/* Cell col (index into ie_export_columns) of r. */
void ie_export_value(const struct ie_record *r, size_t col, struct ie_export_value *v);

/* Appends s[0..n) as one RFC 4180 field: quoted (with "" for ") when it holds a comma, quote,
 * CR or LF, as Python's csv.QUOTE_MINIMAL does; bytes are copied unchanged (UTF-8). */
void ie_export_csv_field(struct ie_buf *b, const char *s, size_t n);
/* The CSV's i-th column name, NULL past the last. The CSV has every column of
 * ie_export_columns once, but in imgeda's csv_io.py order and with its names first (mean_r, ...,
 * corner_delta: 41 columns), then ours (orientation_tag, analyzer_version, min_val, max_val,
 * content_hash, error, bit_depth, num_frames). */
const char *ie_export_csv_column(size_t i);
/* Appends the header row / one record's row, each ending in CRLF (Python's csv default). */
void ie_export_csv_header(struct ie_buf *b);
void ie_export_csv_row(const struct ie_record *r, struct ie_buf *b);

/* ---- the records an export contains ---- */

struct ie_export_source;

/* Opens a manifest and makes the first pass. Returns 0; IE_ENOENT/IE_EIO when it cannot be
 * read; IE_EFORMAT when it has neither a header line nor a record. */
int ie_export_source_open(const char *manifest_path, struct ie_export_source **out,
                          struct ie_err *err);
/* The header (meta->present is false when the manifest has none) and its line as written
 * (NULL when none; *len may be NULL). Owned by the source. */
const struct ie_manifest_meta *ie_export_source_meta(const struct ie_export_source *s);
const char *ie_export_source_header_line(const struct ie_export_source *s, size_t *len);
/* Records the export will hold, unparseable lines skipped, records replaced by later ones. */
size_t ie_export_source_records(const struct ie_export_source *s);
size_t ie_export_source_skipped(const struct ie_export_source *s);
size_t ie_export_source_replaced(const struct ie_export_source *s);
/* Next record in export order: returns 1 (rec, if non-NULL, released and refilled; *line and
 * *len, if non-NULL, give the line as written, valid until the next call), 0 at the end, or
 * IE_EIO when the file changed under us or cannot be read. */
int ie_export_source_next(struct ie_export_source *s, struct ie_record *rec, const char **line,
                          size_t *len, struct ie_err *err);
void ie_export_source_free(struct ie_export_source *s);

/* ---- writing CSV or JSONL ---- */

struct ie_export_stats {
    size_t records;       /* rows/lines written (without the header) */
    size_t skipped_lines; /* unparseable manifest lines left out */
    size_t replaced;      /* records superseded by a later one for the same path */
};

/* A pull-style stream of the export's bytes, for a server that sends a download in chunks.
 * f is IE_EXPORT_CSV or IE_EXPORT_JSONL (else IE_EINVAL). */
struct ie_export_reader;
int ie_export_reader_open(const char *manifest_path, enum ie_export_format f,
                          struct ie_export_reader **out, struct ie_err *err);
/* Copies up to max bytes into buf. Returns the number copied, 0 at the end, or a negative
 * IE_E* code. */
ssize_t ie_export_reader_read(struct ie_export_reader *r, void *buf, size_t max,
                              struct ie_err *err);
/* Counts so far (final once read returned 0). */
void ie_export_reader_stats(const struct ie_export_reader *r, struct ie_export_stats *st);
void ie_export_reader_free(struct ie_export_reader *r);

/* Writes the whole export to an open descriptor / stream (not closed; the stream is flushed).
 * st may be NULL. Returns 0 or a negative IE_E* code (IE_EIO when a write fails, e.g. a client
 * went away; a caller writing to sockets or pipes should ignore SIGPIPE). */
int ie_export_write_fd(const char *manifest_path, enum ie_export_format f, int fd,
                       struct ie_export_stats *st, struct ie_err *err);
int ie_export_write_stream(const char *manifest_path, enum ie_export_format f, FILE *out,
                           struct ie_export_stats *st, struct ie_err *err);

/* Writes the export to out_path through out_path.tmp + fsync + rename, so readers never see a
 * half-written file. Refuses (IE_EINVAL) when out_path is the manifest itself. Parquet is
 * handed to ie_parquet_write_path; SQLite is refused (engine/export_sqlite.h writes it). */
int ie_export_write_path(const char *manifest_path, enum ie_export_format f, const char *out_path,
                         struct ie_export_stats *st, struct ie_err *err);

/* For exporters outside core (SQLite): fails with IE_EINVAL when out_path names the same file
 * as manifest_path; creates out_path.tmp's name in *tmp (caller frees); and, after the caller
 * wrote and closed the temp file, makes it durable and renames it (ie_export_commit_tmp). */
int ie_export_check_output(const char *manifest_path, const char *out_path, char **tmp,
                           struct ie_err *err);
int ie_export_commit_tmp(const char *tmp, const char *out_path, struct ie_err *err);

#endif
