/* What the slim manifest view (core/slim.c), its line scanner (core/jscan.c) and the diff
 * (core/diff.c) share: the scanner's captures and the path index. Private to the core.
 * The path index lookup and the flag of a field are static inline: diff calls them once per
 * record and field, and they were calls inside one file before the view had its own. */
#ifndef IMGEDA_SLIM_INTERNAL_H
#define IMGEDA_SLIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>

#include "imgeda/slim.h"

/* ---- what the scanner (jscan.c) hands the loader (slim.c) ---- */

/* What the scanner keeps of a value: its type and where its text is. For strings, [p, p+len)
 * is the content between the quotes (escaped when esc); for numbers and containers, the
 * whole token. */
struct jcap {
    uint8_t type; /* enum ie_jtype, IE_JBOOL with b; 0xFF = absent */
    bool b, esc, is_int;
    const char *p;
    size_t len;
};

#define JCAP_ABSENT 0xFF

/* Captures of a line: one per slim field (enum ie_slim_field), then the path, the header
 * marker, the content hash and the header's input_dir. */
enum { CAP_PATH = IE_SLIM_NFIELDS, CAP_META, CAP_CHASH, CAP_INPUT_DIR, CAP_N };

/* The scanner's entry point and its unescaper (see jscan.c). */
int ie__slim_scan_line(const char *line, size_t n, struct jcap caps[CAP_N]);

size_t ie__slim_junescape(const char *p, size_t len, char *out);

/* Finds the top-level member key (unescaped keys only; the last one wins) of the JSON object in
 * text[0..n): span[0] is where its quoted key starts, span[1] where its value starts, span[2]
 * where the value ends. The merge keeps a header's "settings" as written (cJSON would print
 * 40.0 as 40) and cuts "shard" out of it. Returns 1 found, 0 absent, -1 not an object. */
int ie__json_member_span(const char *text, size_t n, const char *key, size_t span[3]);

/* ---- the string arena: paths and the rare irregular values live until release; a snapshot
 * (slim_snap.c) reads its whole paths blob into one chunk ---- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

struct ie__slim_arena {
    struct arena_chunk *head;
};

/* A copy of s[0..n) and a NUL in m's arena, freed with m (the lean manifest keeps its strings
 * there too). */
char *ie__slim_strndup(struct ie_slim_manifest *m, const char *s, size_t n);

/* The manifest's one copy of a format or colour mode string ("" for an empty one). */
const char *ie__slim_intern(struct ie_slim_manifest *m, const char *s, size_t n);

/* ---- path index: open addressing keyed by the XXH3 of the path, the hash kept per slot so
 * that rehashing and most mismatches need no string access ---- */

struct path_slot {
    uint64_t hash;
    uint64_t rec; /* 1 + record index; 0 = empty */
};

struct ie__slim_paths {
    struct path_slot *slots; /* hash and record side by side: one cache miss per probe */
    size_t cap, n;
};

static inline uint64_t ie__slim_path_hash(const char *path, size_t len)
{
    return XXH3_64bits(path, len);
}

/* The slot of path: the one holding it, or the empty slot where it belongs. */
static inline size_t ie__slim_paths_slot(const struct ie_slim_manifest *m, const char *path,
                                         uint64_t h)
{
    const struct ie__slim_paths *ix = m->paths;
    size_t mask = ix->cap - 1, i = (size_t)h & mask;
    while (ix->slots[i].rec &&
           (ix->slots[i].hash != h || strcmp(m->recs[ix->slots[i].rec - 1].path, path) != 0))
        i = (i + 1) & mask;
    return i;
}

/* Index of the record for path, or SIZE_MAX. */
static inline size_t ie__slim_paths_find(const struct ie_slim_manifest *m, const char *path)
{
    if (!m->paths || !m->paths->n)
        return SIZE_MAX;
    size_t i = ie__slim_paths_slot(m, path, ie__slim_path_hash(path, strlen(path)));
    return m->paths->slots[i].rec ? (size_t)m->paths->slots[i].rec - 1 : SIZE_MAX;
}

/* ---- record flags ---- */

/* The IE_SLIM_F_* bit that holds boolean field f, or 0 for a field that is not a flag. */
static inline uint16_t ie__slim_flag_of(int f)
{
    switch (f) {
    case IE_SLIM_IS_CORRUPT:
        return IE_SLIM_F_CORRUPT;
    case IE_SLIM_IS_DARK:
        return IE_SLIM_F_DARK;
    case IE_SLIM_IS_OVEREXPOSED:
        return IE_SLIM_F_OVEREXPOSED;
    case IE_SLIM_HAS_BORDER_ARTIFACT:
        return IE_SLIM_F_ARTIFACT;
    case IE_SLIM_IS_BLURRY:
        return IE_SLIM_F_BLURRY;
    default:
        return 0;
    }
}

#endif
