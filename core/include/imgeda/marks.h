/* Marks (issue 12): a reviewer's decisions about images, and their application to records, so
 * the gate, the summary, remove lists and cleaned manifests of the CLI and the daemon agree.
 *
 * A mark is keyed by the image's content hash (the record's `content_hash`, xxh3_128 of the
 * file's bytes) together with its path relative to the scan root: the hash makes a mark follow
 * the bytes into later scans of the folder, and the path tells byte-identical copies apart (one
 * copy kept, the other removed). A record matches the mark with its hash and relative path;
 * failing that (the file was moved or renamed), the marks of its hash when they all name one
 * path. A record without a content hash (manifests of Python imgeda) matches by path alone.
 *
 * Per image at most one of remove, keep, ok; besides, an image may belong to any number of
 * not_duplicate sets (a pair or a group declared not to be duplicates of each other).
 *
 * The marks file (`imgeda marks`, GET /api/v1/scans/{id}/marks.jsonl) is JSONL, one mark a line:
 *   {"content_hash": "xxh3_128:…" | null, "path": "rel/path.jpg", "mark": "remove"}
 *   {"content_hash": "…", "path": "a.jpg", "mark": "not_duplicate", "group": "nd-1"}
 * Unknown keys are ignored; blank lines are skipped; a line that does not parse is an error
 * naming its number.
 *
 * THREADS: plain data; functions touch only their arguments. */
#ifndef IMGEDA_MARKS_H
#define IMGEDA_MARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/record.h"

struct cJSON;

enum ie_mark_kind {
    IE_MARK_NONE = 0,
    IE_MARK_REMOVE,
    IE_MARK_KEEP,
    IE_MARK_OK,
    IE_MARK_NOT_DUPLICATE,
};

/* "remove", "keep", "ok", "not_duplicate" ("" for IE_MARK_NONE). */
const char *ie_mark_name(enum ie_mark_kind k);
/* The kind named s, or IE_EINVAL (err names the accepted names). */
int ie_mark_parse(const char *s, enum ie_mark_kind *out, struct ie_err *err);

struct ie_mark {
    char *content_hash; /* NULL when the record had none */
    char *path;         /* relative to the root */
    enum ie_mark_kind kind;
    char *group; /* not_duplicate: the set's name; NULL otherwise */
};

struct ie_marks {
    struct ie_mark *v;
    size_t n, cap;
};

void ie_marks_init(struct ie_marks *mk);
void ie_marks_release(struct ie_marks *mk);
/* Appends a copy of the strings (hash and group may be NULL). */
void ie_marks_add(struct ie_marks *mk, const char *content_hash, const char *path,
                  enum ie_mark_kind kind, const char *group);
/* Sets one image's remove/keep/ok mark, replacing the one it had; IE_MARK_NONE clears it and
 * every not_duplicate membership of the image. */
void ie_marks_set(struct ie_marks *mk, const char *content_hash, const char *path,
                  enum ie_mark_kind kind);
/* A not_duplicate set's name not used yet in mk ("nd-N"), caller frees. */
char *ie_marks_new_group(const struct ie_marks *mk);

/* Reads a marks file (format above) into mk (initialised). IE_ENOENT/IE_EIO when it cannot be
 * read, IE_EINVAL naming the line when one is not a mark. A missing file is IE_ENOENT. */
int ie_marks_load(const char *file, struct ie_marks *mk, struct ie_err *err);
/* Writes mk as a marks file, atomically (temp file and rename). */
int ie_marks_save(const char *file, const struct ie_marks *mk, struct ie_err *err);
/* One mark as a marks-file line without its newline (caller frees). */
char *ie_mark_to_json(const struct ie_mark *m);
/* One mark as a CSV line without its newline: content_hash,path,mark,group (quoted as RFC
 * 4180 where needed; caller frees). The header is IE_MARKS_CSV_HEADER. */
char *ie_mark_to_csv(const struct ie_mark *m);
#define IE_MARKS_CSV_HEADER "content_hash,path,mark,group"

/* path relative to root: the part after "root/" when path lies under root; for a path written
 * relative to where a scan ran (the CLI's "data/x.jpg" with root "/home/u/data"), the part after
 * the longest tail of root that starts it (after any "./" and "../"); else path itself. A
 * pointer into path. root may be NULL or "". */
const char *ie_marks_rel_path(const char *root, const char *path);

/* What marks do to records (ie_marks_apply). */
struct ie_marks_applied {
    /* The records that stay, in input order: shallow copies whose strings belong to the input
     * records (never ie_record_release them); `ok` images have their quality flags cleared
     * (dark, overexposed, blurry, border artifact; corrupt stays: a file that does not decode
     * is no matter of opinion), and not_duplicate sets split exact-phash groups. */
    struct ie_record *recs;
    size_t n;
    size_t *orig; /* input index of each kept record */
    /* Per input record: its remove/keep/ok mark (enum ie_mark_kind) and whether it leaves. */
    uint8_t *kind;
    bool *removed;
    size_t in_n;
    size_t marks_applied;   /* marks in the list that matched at least one record */
    size_t marks_unmatched; /* marks that matched none (their images are not in this scan) */
    size_t removed_marked;  /* images leaving because they are marked remove */
    size_t removed_by_keep; /* images leaving as non-kept members of a group with a keeper */
    size_t ok_images;       /* images whose flags were cleared */
    size_t split_images;    /* images taken out of an exact-phash group by not_duplicate */
    size_t *nd_of;          /* not_duplicate set numbers of every input record: the sets of */
    size_t *nd_start;       /* record i are nd_of[nd_start[i] .. nd_start[i + 1]) */
};

void ie_marks_applied_init(struct ie_marks_applied *a);
void ie_marks_applied_release(struct ie_marks_applied *a);

/* Applies marks to recs[0..n) of a scan of root (the manifest's input_dir; paths of the records
 * are made relative to it to match marks):
 * - images marked remove leave;
 * - in each duplicate group (exact phash, byte-identical, near at `threshold` as
 *   ie_duplicates_find) holding an image marked keep, every other member leaves unless it is
 *   marked keep or ok, or shares a not_duplicate set with a keeper of that group;
 * - ok clears the quality flags of the images that stay;
 * - among the images that stay, an exact-phash group whose members all belong to not_duplicate
 *   sets splits into the components of "not in a common set" (a set covering the whole group
 *   leaves single images); the members outside the first component get their phash changed
 *   (cleared when alone) so grouping by phash sees them apart. Byte-identical files stay
 *   duplicates: identical bytes are the same image whatever a mark says.
 * out must be initialised; it is released first. IE_EINVAL for a bad threshold. recs must
 * outlive out. */
int ie_marks_apply(const struct ie_record *recs, size_t n, const char *root,
                   const struct ie_marks *mk, int threshold, struct ie_marks_applied *out,
                   struct ie_err *err);

struct ie_manifest;
/* What the marks leave of m (a applied to m's records) as buffer contents: with clean, the
 * cleaned manifest (a header whose total_files counts what stays, input_dir m's or else root,
 * then the records that stay, as analysed); else the remove list (the paths that leave, one a
 * line, in manifest order). Appends to b. */
struct ie_buf;
void ie_marks_write(const struct ie_manifest *m, const struct ie_marks_applied *a, bool clean,
                    const char *root, struct ie_buf *b);

/* {"applied", "unmatched", "removed", "removed_marked", "removed_by_keep", "ok", "split"}: what a
 * verdict or summary reports of the marks it applied. */
struct cJSON *ie_marks_applied_to_cjson(const struct ie_marks_applied *a);

#endif
