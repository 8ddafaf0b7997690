/* JSONL manifests (SPEC §2): a crash-tolerant streaming reader, an in-memory load with
 * "later record for a path wins", and an append-only writer with durable checkpoints.
 * THREADS: a reader or writer belongs to one thread at a time. */
#ifndef IMGEDA_MANIFEST_H
#define IMGEDA_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/record.h"

/* Lines longer than this are counted as unparseable and skipped, without ever being held whole
 * in memory (ie_manifest_lines_next). */
#define IE_MANIFEST_MAX_LINE (16u << 20)

/* The lines of a manifest file, read in bounded memory: every reader of manifests goes through
 * it (ie_manifest_reader, ie_slim_manifest_load, exports), so a hostile file cannot make one
 * of them hold more than about IE_MANIFEST_MAX_LINE bytes. The fields are private. */
struct ie_manifest_lines {
    int fd;
    char *path;
    char *buf;
    size_t cap, start, end; /* buf[start, end) is read and not yet returned */
    size_t scanned;         /* buf[start, scanned) holds no newline */
    int64_t base;           /* the file offset of buf[0] */
    int64_t long_start;     /* the offset of the too-long line being skipped, or -1 */
    size_t number;          /* lines returned so far */
    bool eof;
};

/* One line as ie_manifest_lines_next returns it. */
struct ie_manifest_line {
    char *text;     /* without its newline, NUL-terminated, valid until the next call; NULL
                     * for a line over IE_MANIFEST_MAX_LINE */
    size_t len;     /* its length without the newline (a too-long line's whole length) */
    int64_t offset; /* where it starts in the file */
    size_t number;  /* 1-based line number */
    bool newline;   /* ended by a newline (false for a last line without one) */
};

/* ie_manifest_lines_next's result for a line longer than IE_MANIFEST_MAX_LINE. */
#define IE_MANIFEST_LINE_TOO_LONG 2

/* Opens path (IE_ENOENT, IE_EIO). */
int ie_manifest_lines_open(struct ie_manifest_lines *r, const char *path, struct ie_err *err);
/* The next line: 1 with *line filled, IE_MANIFEST_LINE_TOO_LONG for a longer line (read to its
 * end and dropped; line->text NULL), 0 at the end of the file, IE_EIO on a read error. */
int ie_manifest_lines_next(struct ie_manifest_lines *r, struct ie_manifest_line *line,
                           struct ie_err *err);
/* Reads on from offset (the start of a line), counting lines from number + 1. */
int ie_manifest_lines_seek(struct ie_manifest_lines *r, int64_t offset, size_t number,
                           struct ie_err *err);
/* Closes the file and frees the buffer; a no-op on a reader that never opened or was closed. */
void ie_manifest_lines_close(struct ie_manifest_lines *r);

struct ie_manifest_meta {
    bool present;
    char *input_dir;
    int schema_version;
    char *settings_json; /* the "settings" object as JSON text, or NULL */
    int64_t total_files;
    char *created_at;
};
void ie_manifest_meta_release(struct ie_manifest_meta *m);

/* The header line (no newline), malloc'd. settings_json may be NULL ({}). */
char *ie_manifest_header_json(const char *input_dir, const char *settings_json, int64_t total_files,
                              const char *created_at);

struct ie_manifest_reader;

/* Opens path and reads its header if the first parseable line is one. */
int ie_manifest_reader_open(const char *path, struct ie_manifest_reader **out, struct ie_err *err);
/* Next record: returns 1 (rec released and refilled; *offset and *len locate the line without its
 * newline, either may be NULL), 0 at end, or a negative code on a read error. Blank lines are
 * skipped; unparseable lines are skipped and counted. */
int ie_manifest_reader_next(struct ie_manifest_reader *m, struct ie_record *rec, int64_t *offset,
                            size_t *len, struct ie_err *err);
const struct ie_manifest_meta *ie_manifest_reader_meta(const struct ie_manifest_reader *m);
size_t ie_manifest_reader_skipped(const struct ie_manifest_reader *m);
/* How many of the skipped lines were longer than IE_MANIFEST_MAX_LINE, and the 1-based number
 * of the first (0 when none). */
size_t ie_manifest_reader_long_lines(const struct ie_manifest_reader *m, size_t *first);
/* "line N is longer than the 16.8 MB (16777216 bytes) a manifest line may have" (with " (and K more
 * lines)") into out, for messages about the n_long > 0 lines a reader dropped, the first being line
 * first. */
void ie_manifest_long_lines_text(char *out, size_t n, size_t n_long, size_t first);
/* True when the file ends in a line without newline that did not parse (a torn write). */
bool ie_manifest_reader_torn_tail(const struct ie_manifest_reader *m);
void ie_manifest_reader_free(struct ie_manifest_reader *m);

/* A whole manifest in memory: one record per path (a later record replaces an earlier one in
 * the earlier one's position). */
struct ie_manifest {
    struct ie_manifest_meta meta;
    struct ie_record *recs;
    size_t n, cap;
    size_t skipped_lines;   /* unparseable lines */
    size_t long_lines;      /* of those, lines over IE_MANIFEST_MAX_LINE */
    size_t first_long_line; /* the 1-based number of the first, 0 when none */
    size_t replaced;        /* records superseded by a later one for the same path */
};
void ie_manifest_init(struct ie_manifest *m);
void ie_manifest_release(struct ie_manifest *m);
int ie_manifest_load(const char *path, struct ie_manifest *m, struct ie_err *err);

/* Append-only writer. Lines are buffered; ie_manifest_writer_flush(sync=true) makes them
 * durable (write + fdatasync) and is the only point where progress may be reported. */
struct ie_manifest_writer;
/* Creates (truncates) path and writes the header durably. */
int ie_manifest_writer_create(const char *path, const char *header_json,
                              struct ie_manifest_writer **out, struct ie_err *err);
/* Opens an existing manifest for appending; a torn last line is cut off first. */
int ie_manifest_writer_open_append(const char *path, struct ie_manifest_writer **out,
                                   struct ie_err *err);
/* Queues one line (json without newline); *offset receives where it will start. */
void ie_manifest_writer_append(struct ie_manifest_writer *w, const char *json, size_t len,
                               int64_t *offset);
int ie_manifest_writer_flush(struct ie_manifest_writer *w, bool sync, struct ie_err *err);
/* Frees without flushing what is still queued. */
void ie_manifest_writer_free(struct ie_manifest_writer *w);

/* A line of an existing file. */
struct ie_line_ref {
    int64_t offset;
    uint32_t len;
};
/* Rewrites path as header + the given lines of the current file, in order, through
 * path.tmp + fsync + rename. */
int ie_manifest_rewrite(const char *path, const char *header_json, const struct ie_line_ref *lines,
                        size_t n, struct ie_err *err);
/* The same with the lines taken from src: writes path (through path.tmp + fsync + rename) as
 * header + the given lines of src, in order. */
int ie_manifest_write_lines(const char *src, const char *path, const char *header_json,
                            const struct ie_line_ref *lines, size_t n, struct ie_err *err);

#endif
