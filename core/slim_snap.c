/* Slim manifest snapshots: the parsed slim view saved as one binary file, read back in one pass.
 *
 * Reading a 10^6-record manifest as JSONL takes seconds (a strict JSON scan of ~1.2 GB and a
 * path index built record by record); the daemon's gate and compare did that on every request.
 * The snapshot holds the records with their strings as offsets, the interned strings, the path
 * index's slots as they are, and all paths in one blob that becomes one arena chunk: loading is
 * a few large reads and one pass that turns offsets into pointers, no parsing and no hashing.
 *
 * Validity: the header names the manifest's size, mtime (ns) and inode; any difference, or a
 * snapshot of another build's layout (magic, version, record size, byte order), and the JSONL
 * is read instead and the snapshot rewritten. A damaged snapshot is checked field by field
 * (offsets inside the blob, indexes inside their tables) and treated as missing, never trusted.
 * Manifests holding irregular values (fields of unexpected types, kept as exact JSON) are not
 * snapshotted: they are rare, and their values are pointer graphs not worth a format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgeda/slim.h"
#include "imgeda/util.h"
#include "slim_internal.h"

#define SNAP_MAGIC       "IESLIMS1"
#define SNAP_VERSION     1u
#define SNAP_ENDIAN      0x0102030405060708ull
#define SNAP_MAX_STRINGS 255

struct snap_head {
    char magic[8];
    uint32_t version, rec_size;
    uint64_t endian;
    uint64_t src_size, src_ino;
    int64_t src_mtime_ns;
    uint64_t n, slots_cap, slots_n, n_strings, strings_bytes, paths_bytes;
    uint64_t skipped_lines, long_lines, first_long_line, replaced;
    uint64_t input_dir_off; /* 1 + offset in the paths blob; 0: none */
    uint64_t has_header;
};

struct snap_rec {
    int64_t file_size_bytes;
    double aspect_ratio;
    struct ie_hash256 phash;
    uint64_t chash[2];
    uint64_t path_off;
    int32_t width, height;
    uint16_t flags;
    uint8_t format, color_mode; /* indexes into the string table */
    uint32_t pad;
};

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* ---- writing ---- */

struct strtab {
    const char *s[SNAP_MAX_STRINGS + 1];
    size_t n;
};

static int strtab_index(struct strtab *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->s[i] == s || strcmp(t->s[i], s) == 0)
            return (int)i;
    if (t->n == SNAP_MAX_STRINGS)
        return -1;
    t->s[t->n] = s;
    return (int)t->n++;
}

static bool put(FILE *f, const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, f) == n;
}

/* Writes m's snapshot to f; false when m cannot be snapshotted or a write failed. */
static bool write_snap(FILE *f, const struct ie_slim_manifest *m, const struct stat *src)
{
    struct snap_head hd = {0};
    struct strtab tab = {.n = 0};
    strtab_index(&tab, "");
    memcpy(hd.magic, SNAP_MAGIC, 8);
    hd.version = SNAP_VERSION;
    hd.rec_size = sizeof(struct snap_rec);
    hd.endian = SNAP_ENDIAN;
    hd.src_size = (uint64_t)src->st_size;
    hd.src_ino = (uint64_t)src->st_ino;
    hd.src_mtime_ns = mtime_ns(src);
    hd.n = m->n;
    hd.slots_cap = m->paths ? m->paths->cap : 0;
    hd.slots_n = m->paths ? m->paths->n : 0;
    hd.skipped_lines = m->skipped_lines;
    hd.long_lines = m->long_lines;
    hd.first_long_line = m->first_long_line;
    hd.replaced = m->replaced;
    hd.has_header = m->has_header;
    /* Pass 1: the string table and the blob's size. */
    for (size_t i = 0; i < m->n; i++) {
        if (strtab_index(&tab, m->recs[i].format) < 0 ||
            strtab_index(&tab, m->recs[i].color_mode) < 0)
            return false;
        hd.paths_bytes += strlen(m->recs[i].path) + 1;
    }
    if (m->input_dir) {
        hd.input_dir_off = 1 + hd.paths_bytes;
        hd.paths_bytes += strlen(m->input_dir) + 1;
    }
    hd.n_strings = tab.n;
    for (size_t i = 0; i < tab.n; i++)
        hd.strings_bytes += strlen(tab.s[i]) + 1;
    if (!put(f, &hd, sizeof(hd)))
        return false;
    uint64_t off = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct ie_slim_record *r = &m->recs[i];
        struct snap_rec s = {
            .file_size_bytes = r->file_size_bytes,
            .aspect_ratio = r->aspect_ratio,
            .phash = r->phash,
            .chash = {r->chash[0], r->chash[1]},
            .path_off = off,
            .width = r->width,
            .height = r->height,
            .flags = r->flags,
            .format = (uint8_t)strtab_index(&tab, r->format),
            .color_mode = (uint8_t)strtab_index(&tab, r->color_mode),
        };
        off += strlen(r->path) + 1;
        if (!put(f, &s, sizeof(s)))
            return false;
    }
    if (hd.slots_cap && !put(f, m->paths->slots, hd.slots_cap * sizeof(struct path_slot)))
        return false;
    for (size_t i = 0; i < tab.n; i++)
        if (!put(f, tab.s[i], strlen(tab.s[i]) + 1))
            return false;
    for (size_t i = 0; i < m->n; i++)
        if (!put(f, m->recs[i].path, strlen(m->recs[i].path) + 1))
            return false;
    return !m->input_dir || put(f, m->input_dir, strlen(m->input_dir) + 1);
}

/* Saves m as the snapshot of the manifest described by src, through a unique temporary file and
 * a rename, so a reader never sees half a snapshot. Failure only costs the next load its speed. */
static void save_snap(const struct ie_slim_manifest *m, const char *snap_path,
                      const struct stat *src)
{
    if (m->n_irr)
        return;
    size_t n = strlen(snap_path);
    char *tmp = ie_xmalloc(n + 8);
    memcpy(tmp, snap_path, n);
    memcpy(tmp + n, ".XXXXXX", 8);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return;
    }
    bool ok = write_snap(f, m, src);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, snap_path) != 0)
        unlink(tmp);
    free(tmp);
}

/* ---- reading ---- */

static bool get(FILE *f, void *p, size_t n)
{
    return n == 0 || fread(p, 1, n, f) == n;
}

static bool head_matches(const struct snap_head *hd, const struct stat *src)
{
    return memcmp(hd->magic, SNAP_MAGIC, 8) == 0 && hd->version == SNAP_VERSION &&
           hd->rec_size == sizeof(struct snap_rec) && hd->endian == SNAP_ENDIAN &&
           hd->src_size == (uint64_t)src->st_size && hd->src_ino == (uint64_t)src->st_ino &&
           hd->src_mtime_ns == mtime_ns(src) && hd->n < UINT32_MAX && hd->n_strings >= 1 &&
           hd->n_strings <= SNAP_MAX_STRINGS && hd->strings_bytes <= SNAP_MAX_STRINGS * 4096u &&
           hd->slots_n == hd->n &&
           (hd->n == 0 ||
            (hd->slots_cap >= 2 * hd->n && (hd->slots_cap & (hd->slots_cap - 1)) == 0)) &&
           hd->slots_cap <= ((uint64_t)1 << 40) && hd->paths_bytes <= ((uint64_t)1 << 44) &&
           hd->input_dir_off <= hd->paths_bytes;
}

/* The records, read a block at a time and turned into slim records on the way. */
static bool read_recs(FILE *f, const struct snap_head *hd, struct ie_slim_manifest *m,
                      const char *blob, const char *const *tab)
{
    enum { BLOCK = 4096 };
    struct snap_rec *sr = ie_xmalloc(BLOCK * sizeof(*sr));
    size_t n = (size_t)hd->n;
    bool ok = true;
    m->recs = ie_xmalloc((n ? n : 1) * sizeof(*m->recs));
    m->cap = n ? n : 1;
    for (size_t at = 0; ok && at < n; at += BLOCK) {
        size_t k = n - at < BLOCK ? n - at : BLOCK;
        ok = get(f, sr, k * sizeof(*sr));
        for (size_t i = 0; ok && i < k; i++) {
            const struct snap_rec *s = &sr[i];
            if (s->path_off >= hd->paths_bytes || s->format >= hd->n_strings ||
                s->color_mode >= hd->n_strings) {
                ok = false;
                break;
            }
            m->recs[at + i] = (struct ie_slim_record){
                .path = blob + s->path_off,
                .format = tab[s->format],
                .color_mode = tab[s->color_mode],
                .file_size_bytes = s->file_size_bytes,
                .aspect_ratio = s->aspect_ratio,
                .phash = s->phash,
                .chash = {s->chash[0], s->chash[1]},
                .width = s->width,
                .height = s->height,
                .flags = s->flags,
            };
        }
    }
    free(sr);
    return ok;
}

/* Reads the strings, the paths blob, the records and the index, checking the pieces against
 * each other (the file's order: records, slots, strings, paths; the strings and the blob are
 * read first by seeking, so that records can point into them). False leaves m for the caller
 * to release. */
static bool read_body(FILE *f, const struct snap_head *hd, struct ie_slim_manifest *m)
{
    char *strings = ie_xmalloc(hd->strings_bytes + 1);
    const char *tab[SNAP_MAX_STRINGS];
    bool ok = false;
    size_t n = (size_t)hd->n;
    long recs_at = ftell(f);
    uint64_t slots_bytes = hd->slots_cap * sizeof(struct path_slot);

    m->paths = ie_xcalloc(1, sizeof(*m->paths));
    m->paths->cap = (size_t)hd->slots_cap;
    m->paths->n = (size_t)hd->slots_n;
    m->paths->slots = hd->slots_cap ? ie_xmalloc(slots_bytes) : NULL;
    m->arena = ie_xcalloc(1, sizeof(*m->arena));
    struct arena_chunk *c = ie_xmalloc(sizeof(*c) + hd->paths_bytes + 1);
    c->next = NULL;
    c->used = c->cap = (size_t)hd->paths_bytes + 1;
    m->arena->head = c;
    if (recs_at < 0 || fseeko(f, recs_at + (off_t)(n * sizeof(struct snap_rec)), SEEK_SET) != 0 ||
        !get(f, m->paths->slots, (size_t)slots_bytes) ||
        !get(f, strings, (size_t)hd->strings_bytes) || !get(f, c->data, (size_t)hd->paths_bytes) ||
        fgetc(f) != EOF)
        goto out;
    strings[hd->strings_bytes] = '\0';
    c->data[hd->paths_bytes] = '\0';
    if (hd->paths_bytes && c->data[hd->paths_bytes - 1] != '\0')
        goto out;
    const char *s = strings, *end = strings + hd->strings_bytes;
    for (size_t i = 0; i < hd->n_strings; i++) {
        if (s >= end)
            goto out;
        size_t len = strlen(s);
        tab[i] = ie__slim_intern(m, s, len);
        s += len + 1;
    }
    /* Every record in one slot and half the slots empty, or a lookup could run forever. */
    size_t used = 0;
    for (size_t i = 0; i < hd->slots_cap; i++) {
        if (m->paths->slots[i].rec > n)
            goto out;
        used += m->paths->slots[i].rec != 0;
    }
    if (used != n || fseeko(f, recs_at, SEEK_SET) != 0 || !read_recs(f, hd, m, c->data, tab))
        goto out;
    m->n = n;
    m->has_header = hd->has_header != 0;
    m->input_dir = hd->input_dir_off ? c->data + hd->input_dir_off - 1 : NULL;
    m->skipped_lines = (size_t)hd->skipped_lines;
    m->long_lines = (size_t)hd->long_lines;
    m->first_long_line = (size_t)hd->first_long_line;
    m->replaced = (size_t)hd->replaced;
    ok = true;
out:
    free(strings);
    return ok;
}

/* True when snap_path holds a valid snapshot of the manifest src and m now holds it. */
static bool load_snap(const char *snap_path, const struct stat *src, struct ie_slim_manifest *m)
{
    struct snap_head hd;
    FILE *f = fopen(snap_path, "rb");
    if (!f)
        return false;
    bool ok = get(f, &hd, sizeof(hd)) && head_matches(&hd, src) && read_body(f, &hd, m);
    fclose(f);
    if (!ok) {
        ie_slim_manifest_release(m);
        ie_slim_manifest_init(m);
    }
    return ok;
}

int ie_slim_manifest_load_cached(const char *path, const char *snap_path,
                                 struct ie_slim_manifest *m, struct ie_err *err)
{
    struct stat st;
    if (!snap_path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return ie_slim_manifest_load(path, m, err);
    if (load_snap(snap_path, &st, m))
        return 0;
    int rc = ie_slim_manifest_load(path, m, err);
    struct stat after;
    /* A manifest that changed while it was read is not snapshotted under its old identity. */
    if (rc == 0 && stat(path, &after) == 0 && after.st_size == st.st_size &&
        mtime_ns(&after) == mtime_ns(&st))
        save_snap(m, snap_path, &st);
    return rc;
}
