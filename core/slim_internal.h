/* What the slim manifest view (core/slim.c), its line scanner (core/jscan.c) and the diff
 * (core/diff.c) share. Private to the core. */
#ifndef IMGEDA_SLIM_INTERNAL_H
#define IMGEDA_SLIM_INTERNAL_H

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "imgeda/diff.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

/* Nesting deeper than this in a record line makes the line unparseable (bounds the recursion
 * of the scanner; real records nest 2 levels). */
#define SLIM_MAX_DEPTH 64
struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

struct ie__slim_arena {
    struct arena_chunk *head;
};

#define ARENA_CHUNK (1u << 20)
struct path_slot {
    uint64_t hash;
    uint64_t rec; /* 1 + record index; 0 = empty */
};

struct ie__slim_paths {
    struct path_slot *slots; /* hash and record side by side: one cache miss per probe */
    size_t cap, n;
};

struct jscan {
    const unsigned char *p, *end;
};

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
#define SWAR_ONES   0x0101010101010101ull
#define SWAR_HIGHS  0x8080808080808080ull
/* Keys of interest, matched by length first. */
enum { CAP_PATH = IE_SLIM_NFIELDS, CAP_META, CAP_N };
static const struct {
    const char *name;
    uint8_t len, cap;
} cap_keys[] = {
    {"path", 4, CAP_PATH},
    {"__manifest_meta__", 17, CAP_META},
    {"file_size_bytes", 15, IE_SLIM_FILE_SIZE_BYTES},
    {"width", 5, IE_SLIM_WIDTH},
    {"height", 6, IE_SLIM_HEIGHT},
    {"format", 6, IE_SLIM_FORMAT},
    {"color_mode", 10, IE_SLIM_COLOR_MODE},
    {"is_corrupt", 10, IE_SLIM_IS_CORRUPT},
    {"is_dark", 7, IE_SLIM_IS_DARK},
    {"is_overexposed", 14, IE_SLIM_IS_OVEREXPOSED},
    {"has_border_artifact", 19, IE_SLIM_HAS_BORDER_ARTIFACT},
    {"phash", 5, IE_SLIM_PHASH},
    {"is_blurry", 9, IE_SLIM_IS_BLURRY},
    {"aspect_ratio", 12, IE_SLIM_ASPECT_RATIO},
};

struct path_key {
    const char *path;
    size_t pos;
};

#define JW_MAX_DEPTH 8
struct jw {
    FILE *f;
    bool pretty, after_key;
    int depth;
    size_t count[JW_MAX_DEPTH];
};

/* shared functions */
uint16_t ie__slim_flag_of(int f);
size_t ie__slim_junescape(const char *p, size_t len, char *out);
size_t ie__slim_paths_find(const struct ie_slim_manifest *m, const char *path);
int ie__slim_scan_line(const char *line, size_t n, struct jcap caps[CAP_N]);

#endif
