/* The slim manifest: a compact, fast-loading view of a manifest holding only the fields that
 * diff and gate read (loader in core/slim.c, line scanner in core/jscan.c).
 *
 * THREADS: plain data; a slim manifest belongs to one thread at a time, but once built it may
 * be read from several threads at once. */
#ifndef IMGEDA_SLIM_H
#define IMGEDA_SLIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/record.h"
#include "imgeda/strmap.h"

/* Fields of a record that diff and gate look at. The first IE_DIFF_NFIELDS are the fields diff
 * compares, in imgeda's order (_COMPARE_FIELDS). */
enum ie_slim_field {
    IE_SLIM_FILE_SIZE_BYTES,
    IE_SLIM_WIDTH,
    IE_SLIM_HEIGHT,
    IE_SLIM_FORMAT,
    IE_SLIM_COLOR_MODE,
    IE_SLIM_IS_CORRUPT,
    IE_SLIM_IS_DARK,
    IE_SLIM_IS_OVEREXPOSED,
    IE_SLIM_HAS_BORDER_ARTIFACT,
    IE_SLIM_PHASH,
    IE_SLIM_IS_BLURRY,
    IE_SLIM_ASPECT_RATIO,
    IE_SLIM_NFIELDS
};
#define IE_DIFF_NFIELDS 10

/* JSON names of the fields, indexed by enum ie_slim_field. */
extern const char *const ie_slim_field_names[IE_SLIM_NFIELDS];

/* Record flags (struct ie_slim_record.flags). */
enum {
    IE_SLIM_F_CORRUPT = 1u << 0,
    IE_SLIM_F_DARK = 1u << 1,
    IE_SLIM_F_OVEREXPOSED = 1u << 2,
    IE_SLIM_F_ARTIFACT = 1u << 3,
    IE_SLIM_F_BLURRY = 1u << 4,
    IE_SLIM_F_PHASH = 1u << 5, /* phash holds a value (the text was 64 lowercase hex digits) */
    IE_SLIM_F_CHASH = 1u << 6, /* content_hash holds a value ("xxh3_128:" + 32 hex digits) */
};

/* A field's JSON value as Python holds it. IE_JHASH is a phash kept as 256 bits (its text is
 * 64 lowercase hex digits); every other phash text is an IE_JSTR. */
enum ie_jtype { IE_JNULL, IE_JBOOL, IE_JINT, IE_JFLOAT, IE_JSTR, IE_JRAW, IE_JHASH };
struct ie_jvalue {
    uint8_t type; /* enum ie_jtype */
    union {
        bool b;
        int64_t i;
        double d;
        const char *s; /* IE_JSTR: the decoded string; IE_JRAW: the JSON text of an array or
                          object. Owned by the slim manifest. */
        struct ie_hash256 h;
    };
};

/* Python's `==` on two such values: numbers (bool, int, float) by value, strings bytewise,
 * null only to null, arrays and objects by their JSON text. */
bool ie_jvalue_equal(const struct ie_jvalue *a, const struct ie_jvalue *b);

/* Values of the typed fields are "effective" values: what imgeda would compute with for
 * well-formed records, and for a field of an unexpected type (e.g. "width": 640.5, "format":
 * null, "is_dark": 1) a best effort: numbers are truncated, non-numbers read as 0, strings of
 * another type as "", flags by Python truthiness, and a phash that is not 64 lowercase hex digits
 * as no hash. Such a field also sets its bit in `irregular`, and its exact JSON value is kept
 * (ie_slim_manifest_value) so that diff compares and prints it exactly as imgeda would. */
struct ie_slim_record {
    const char *path;                /* never NULL; owned by the manifest */
    const char *format, *color_mode; /* interned, never NULL ("" when missing) */
    int64_t file_size_bytes;
    double aspect_ratio;
    struct ie_hash256 phash; /* valid when flags & IE_SLIM_F_PHASH */
    uint64_t chash[2];       /* the content hash's 128 bits; valid when flags & IE_SLIM_F_CHASH */
    int32_t width, height;
    uint32_t irregular_block; /* 0, or 1 + index of the block holding exact irregular values */
    uint16_t irregular;       /* bit (1 << enum ie_slim_field) per irregular field */
    uint16_t flags;           /* IE_SLIM_F_* */
};

struct ie_slim_irregular {
    struct ie_jvalue v[IE_SLIM_NFIELDS]; /* meaningful where the record's irregular bit is set */
};

struct ie__slim_arena;
struct ie__slim_paths;

/* One record per path, in manifest order; a later record for a path replaces the earlier one in
 * the earlier one's position (SPEC §2; Python's dict semantics). */
struct ie_slim_manifest {
    struct ie_slim_record *recs;
    size_t n, cap;
    bool has_header;        /* a __manifest_meta__ line was seen */
    const char *input_dir;  /* the header's input_dir (the scanned root), or NULL */
    size_t skipped_lines;   /* lines that are not JSON objects with a string "path" */
    size_t long_lines;      /* of those, lines over IE_MANIFEST_MAX_LINE (never held whole) */
    size_t first_long_line; /* the 1-based number of the first, 0 when none */
    size_t replaced;        /* records superseded by a later one for the same path */
    /* private */
    struct ie__slim_paths *paths;
    struct ie_strmap interned;
    struct ie_slim_irregular *irr;
    size_t n_irr, cap_irr;
    struct ie__slim_arena *arena;
};

/* Lifetimes: init makes an empty manifest; release frees everything and re-inits. */
void ie_slim_manifest_init(struct ie_slim_manifest *m);
void ie_slim_manifest_release(struct ie_slim_manifest *m);

/* Reads the JSONL manifest at path into m (initialised and empty), streaming: memory is about
 * 136 bytes plus the path per record, never the whole file. Lines are parsed with a strict JSON
 * (RFC 8259) scanner that keeps only the slim fields: blank lines are skipped, lines that are
 * not a JSON object with a string "path" are skipped and counted, lines over
 * IE_MANIFEST_MAX_LINE bytes too, header lines ("__manifest_meta__": true) are recognised and
 * skipped. Returns 0, IE_ENOENT/IE_EIO when the file cannot be read (err set). */
int ie_slim_manifest_load(const char *path, struct ie_slim_manifest *m, struct ie_err *err);

/* ie_slim_manifest_load through a snapshot file (core/slim_snap.c): when snap_path holds the
 * snapshot of this very manifest (same size, mtime and inode), it is read instead of the JSONL
 * (about 10x faster at 10^6 records, no JSON scan, no path hashing); otherwise the JSONL is read
 * and the snapshot (re)written beside, atomically. A missing, stale or damaged snapshot only
 * costs speed. snap_path NULL: plain ie_slim_manifest_load. For a program that reads the same
 * large manifests again and again (the daemon's gate and compare); the CLI reads once. */
int ie_slim_manifest_load_cached(const char *path, const char *snap_path,
                                 struct ie_slim_manifest *m, struct ie_err *err);

/* Parses one manifest line (without its newline) into m, as the loader does. Returns 1 when a
 * record was added or replaced one, 0 for a blank or header line, -1 for a line that does not
 * parse (counted in skipped_lines). For feeding lines that come from elsewhere (an HTTP body). */
int ie_slim_manifest_add_line(struct ie_slim_manifest *m, const char *line, size_t len);

/* Adds a parsed record (e.g. from ie_manifest_load), copying what the slim view needs. */
void ie_slim_manifest_add_record(struct ie_slim_manifest *m, const struct ie_record *r);

/* The exact JSON value of field f of record i, as imgeda holds it: Python's default when the
 * key was missing, the typed value for well-formed fields, the kept value for irregular ones.
 * The result borrows strings from m. */
struct ie_jvalue ie_slim_manifest_value(const struct ie_slim_manifest *m, size_t i,
                                        enum ie_slim_field f);

/* imgeda's exact duplicates (find_exact_duplicates): records that are not corrupt and have a
 * non-empty phash, grouped by identical phash text. Groups are numbered in order of their first
 * member in the manifest. Returns the number of groups with at least 2 members. When group_of
 * is not NULL it receives a malloc'd array of m->n group numbers (UINT32_MAX for records in no
 * group) and *sizes a malloc'd array of *n_groups member counts (all groups, also of size 1);
 * the caller frees both. */
size_t ie_slim_manifest_exact_groups(const struct ie_slim_manifest *m, uint32_t **group_of,
                                     uint32_t **sizes, size_t *n_groups);

#endif
