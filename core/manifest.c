/* JSONL manifest reading and writing (see imgeda/manifest.h).
 * DESIGN: the reader never fails on content: a line that does not parse (a torn write after a
 * crash, garbage) is counted and skipped. The writer only ever appends whole lines and cuts a torn
 * tail before appending, so a crash at any point leaves a file whose every complete line is a
 * valid record. Whole-file rewrites go through a temp file and rename. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgeda/manifest.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

void ie_manifest_meta_release(struct ie_manifest_meta *m)
{
    free(m->input_dir);
    free(m->settings_json);
    free(m->created_at);
    memset(m, 0, sizeof(*m));
}

char *ie_manifest_header_json(const char *input_dir, const char *settings_json, int64_t total_files,
                              const char *created_at)
{
    cJSON *o = cJSON_CreateObject();
    char num[32];
    cJSON_AddTrueToObject(o, "__manifest_meta__");
    cJSON_AddStringToObject(o, "input_dir", input_dir ? input_dir : "");
    cJSON_AddItemToObject(o, "schema_version", cJSON_CreateRaw("1"));
    /* Embedded as written (raw), so floats keep their decimal point: cJSON would print 40.0
     * as 40 on a re-print. Text that is not a JSON object is replaced by {}. */
    cJSON *settings = settings_json ? cJSON_Parse(settings_json) : NULL;
    bool ok = settings && cJSON_IsObject(settings);
    cJSON_Delete(settings);
    cJSON_AddItemToObject(o, "settings", cJSON_CreateRaw(ok ? settings_json : "{}"));
    snprintf(num, sizeof(num), "%lld", (long long)total_files);
    cJSON_AddItemToObject(o, "total_files", cJSON_CreateRaw(num));
    cJSON_AddStringToObject(o, "created_at", created_at ? created_at : "");
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort();
    return s;
}

/* ---- lines ---- */

/* The first buffer; it doubles up to LINES_MAX_CAP while one line does not fit. */
#define LINES_FIRST_CAP ((size_t)256 << 10)
/* A line of IE_MANIFEST_MAX_LINE bytes, one byte more to see that a line is longer, its NUL. */
#define LINES_MAX_CAP ((size_t)IE_MANIFEST_MAX_LINE + 2)

int ie_manifest_lines_open(struct ie_manifest_lines *r, const char *path, struct ie_err *err)
{
    memset(r, 0, sizeof(*r));
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open manifest %s: %s",
                          path, strerror(errno));
    r->path = ie_xstrdup(path);
    r->cap = LINES_FIRST_CAP;
    r->buf = ie_xmalloc(r->cap);
    r->long_start = -1;
    return 0;
}

int ie_manifest_lines_seek(struct ie_manifest_lines *r, int64_t offset, size_t number,
                           struct ie_err *err)
{
    if (lseek(r->fd, (off_t)offset, SEEK_SET) < 0)
        return ie_err_set(err, IE_EIO, "cannot read manifest %s: %s", r->path, strerror(errno));
    r->base = offset;
    r->start = r->end = r->scanned = 0;
    r->long_start = -1;
    r->number = number;
    r->eof = false;
    return 0;
}

void ie_manifest_lines_close(struct ie_manifest_lines *r)
{
    if (!r->buf)
        return; /* never opened, or closed already */
    close(r->fd);
    free(r->buf);
    free(r->path);
    memset(r, 0, sizeof(*r));
}

/* Reads more after what is buffered, first moving the unreturned bytes to the front and
 * growing a full buffer (one byte stays free for a last line's NUL). */
static int lines_fill(struct ie_manifest_lines *r, struct ie_err *err)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->base += (int64_t)r->start;
        r->end -= r->start;
        r->scanned -= r->start;
        r->start = 0;
    }
    /* Never beyond LINES_MAX_CAP: ie_manifest_lines_next drops a line before it fills that. */
    if (r->end + 1 >= r->cap && r->cap < LINES_MAX_CAP) {
        r->cap = IE_MIN(r->cap * 2, LINES_MAX_CAP);
        r->buf = ie_xrealloc(r->buf, r->cap);
    }
    for (;;) {
        ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ie_err_set(err, IE_EIO, "cannot read manifest %s: %s", r->path,
                              errno == EISDIR ? "it is a directory" : strerror(errno));
        r->eof = got == 0;
        r->end += (size_t)got;
        return 0;
    }
}

/* Returns the line that ends at buf[stop] (its newline, or the end of the file). */
static int lines_take(struct ie_manifest_lines *r, size_t stop, bool newline,
                      struct ie_manifest_line *line)
{
    int rc = 1;
    line->number = ++r->number;
    line->newline = newline;
    line->text = NULL;
    if (r->long_start >= 0) {
        line->offset = r->long_start;
        line->len = (size_t)(r->base + (int64_t)stop - r->long_start);
        r->long_start = -1;
        rc = IE_MANIFEST_LINE_TOO_LONG;
    } else {
        line->offset = r->base + (int64_t)r->start;
        line->len = stop - r->start;
        if (line->len > IE_MANIFEST_MAX_LINE) {
            rc = IE_MANIFEST_LINE_TOO_LONG;
        } else {
            r->buf[stop] = '\0';
            line->text = r->buf + r->start;
        }
    }
    r->start = r->scanned = stop + (newline ? 1 : 0);
    return rc;
}

int ie_manifest_lines_next(struct ie_manifest_lines *r, struct ie_manifest_line *line,
                           struct ie_err *err)
{
    for (;;) {
        char *nl = memchr(r->buf + r->scanned, '\n', r->end - r->scanned);
        if (nl)
            return lines_take(r, (size_t)(nl - r->buf), true, line);
        r->scanned = r->end;
        if (r->long_start < 0 && r->end - r->start > IE_MANIFEST_MAX_LINE)
            r->long_start = r->base + (int64_t)r->start;
        if (r->long_start >= 0) {
            /* The line is too long to keep: drop what is read of it and look for its end. */
            r->base += (int64_t)r->end;
            r->start = r->end = r->scanned = 0;
        }
        if (r->eof)
            return r->long_start >= 0 || r->end > r->start ? lines_take(r, r->end, false, line) : 0;
        int rc = lines_fill(r, err);
        if (rc < 0)
            return rc;
    }
}

/* ---- reader ---- */

struct ie_manifest_reader {
    struct ie_manifest_lines lines;
    struct ie_manifest_meta meta;
    size_t skipped;
    size_t long_lines, first_long_line;
    bool torn_tail;
    bool header_checked;
};

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static void take_meta(struct ie_manifest_meta *meta, const cJSON *o)
{
    const cJSON *v;
    meta->present = true;
    v = cJSON_GetObjectItemCaseSensitive(o, "input_dir");
    meta->input_dir = ie_xstrdup(cJSON_IsString(v) ? v->valuestring : "");
    v = cJSON_GetObjectItemCaseSensitive(o, "schema_version");
    meta->schema_version = cJSON_IsNumber(v) ? v->valueint : 1;
    v = cJSON_GetObjectItemCaseSensitive(o, "settings");
    meta->settings_json = cJSON_IsObject(v) ? cJSON_PrintUnformatted(v) : NULL;
    v = cJSON_GetObjectItemCaseSensitive(o, "total_files");
    /* A count beyond int64_t reads as missing (0). */
    meta->total_files =
        cJSON_IsNumber(v) && ie_double_fits_i64(v->valuedouble) ? (int64_t)v->valuedouble : 0;
    v = cJSON_GetObjectItemCaseSensitive(o, "created_at");
    meta->created_at = ie_xstrdup(cJSON_IsString(v) ? v->valuestring : "");
}

int ie_manifest_reader_open(const char *path, struct ie_manifest_reader **out, struct ie_err *err)
{
    struct ie_manifest_reader *m = ie_xcalloc(1, sizeof(*m));
    int rc = ie_manifest_lines_open(&m->lines, path, err);
    if (rc < 0) {
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int ie_manifest_reader_next(struct ie_manifest_reader *m, struct ie_record *rec, int64_t *offset,
                            size_t *len, struct ie_err *err)
{
    for (;;) {
        struct ie_manifest_line ln;
        int rc = ie_manifest_lines_next(&m->lines, &ln, err);
        if (rc <= 0)
            return rc;
        if (rc == IE_MANIFEST_LINE_TOO_LONG) {
            m->skipped++;
            if (m->long_lines++ == 0)
                m->first_long_line = ln.number;
            continue;
        }
        size_t n = ln.len;
        if (n > 0 && ln.text[n - 1] == '\r')
            ln.text[--n] = '\0';
        if (is_blank(ln.text, n))
            continue;
        /* The header is recognised cheaply before a full record parse. */
        if (!m->header_checked || memmem(ln.text, n, "__manifest_meta__", 17)) {
            cJSON *o = cJSON_ParseWithLength(ln.text, n);
            bool is_meta =
                o && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "__manifest_meta__"));
            if (o)
                m->header_checked = true;
            if (is_meta) {
                if (!m->meta.present)
                    take_meta(&m->meta, o);
                cJSON_Delete(o);
                continue;
            }
            cJSON_Delete(o);
        }
        ie_record_release(rec);
        if (ie_record_from_json(ln.text, n, rec, NULL) < 0) {
            m->skipped++;
            if (!ln.newline)
                m->torn_tail = true;
            continue;
        }
        if (offset)
            *offset = ln.offset;
        if (len)
            *len = n;
        return 1;
    }
}

const struct ie_manifest_meta *ie_manifest_reader_meta(const struct ie_manifest_reader *m)
{
    return &m->meta;
}

size_t ie_manifest_reader_skipped(const struct ie_manifest_reader *m)
{
    return m->skipped;
}

size_t ie_manifest_reader_long_lines(const struct ie_manifest_reader *m, size_t *first)
{
    if (first)
        *first = m->first_long_line;
    return m->long_lines;
}

bool ie_manifest_reader_torn_tail(const struct ie_manifest_reader *m)
{
    return m->torn_tail;
}

void ie_manifest_long_lines_text(char *out, size_t n, size_t n_long, size_t first)
{
    /* Decimal MB, as every size we print (the limit itself is 16 MiB). */
    int o =
        snprintf(out, n, "line %zu is longer than the %.1f MB (%u bytes) a manifest line may have",
                 first, IE_MANIFEST_MAX_LINE / 1e6, (unsigned)IE_MANIFEST_MAX_LINE);
    if (n_long > 1 && o > 0 && (size_t)o < n)
        snprintf(out + o, n - (size_t)o, " (and %zu more line%s)", n_long - 1,
                 n_long == 2 ? "" : "s");
}

void ie_manifest_reader_free(struct ie_manifest_reader *m)
{
    if (!m)
        return;
    ie_manifest_lines_close(&m->lines);
    ie_manifest_meta_release(&m->meta);
    free(m);
}

/* ---- whole-manifest load ---- */

void ie_manifest_init(struct ie_manifest *m)
{
    memset(m, 0, sizeof(*m));
}

void ie_manifest_release(struct ie_manifest *m)
{
    for (size_t i = 0; i < m->n; i++)
        ie_record_release(&m->recs[i]);
    free(m->recs);
    ie_manifest_meta_release(&m->meta);
    ie_manifest_init(m);
}

int ie_manifest_load(const char *path, struct ie_manifest *m, struct ie_err *err)
{
    struct ie_manifest_reader *rd = NULL;
    struct ie_strmap index;
    struct ie_record rec;
    int rc;

    ie_strmap_init(&index);
    ie_record_init(&rec);
    rc = ie_manifest_reader_open(path, &rd, err);
    if (rc < 0)
        goto out;
    while ((rc = ie_manifest_reader_next(rd, &rec, NULL, NULL, err)) == 1) {
        size_t at;
        if (ie_strmap_get(&index, rec.path, &at)) {
            /* Re-key to the new path string while the old one is still alive. */
            ie_strmap_put(&index, rec.path, at);
            ie_record_release(&m->recs[at]);
            m->recs[at] = rec;
            m->replaced++;
        } else {
            ie_grow((void **)&m->recs, &m->cap, m->n + 1, sizeof(*m->recs));
            at = m->n++;
            m->recs[at] = rec;
            ie_strmap_put(&index, m->recs[at].path, at);
        }
        ie_record_init(&rec);
    }
    if (rc < 0)
        goto out;
    m->skipped_lines = ie_manifest_reader_skipped(rd);
    m->long_lines = ie_manifest_reader_long_lines(rd, &m->first_long_line);
    m->meta = rd->meta;
    memset(&rd->meta, 0, sizeof(rd->meta));
    rc = 0;
out:
    ie_record_release(&rec);
    ie_strmap_release(&index);
    ie_manifest_reader_free(rd);
    return rc;
}

/* ---- writer ---- */

struct ie_manifest_writer {
    int fd;
    char *path;
    struct ie_buf pending;
    int64_t end; /* file size including pending bytes */
};

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_parent_dir(const char *path)
{
    char *copy = ie_xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int ie_manifest_writer_create(const char *path, const char *header_json,
                              struct ie_manifest_writer **out, struct ie_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ie_err_set(err, IE_EIO, "cannot create manifest %s: %s", path, strerror(errno));
    struct ie_manifest_writer *w = ie_xcalloc(1, sizeof(*w));
    w->fd = fd;
    w->path = ie_xstrdup(path);
    ie_buf_init(&w->pending);
    ie_buf_adds(&w->pending, header_json);
    ie_buf_addc(&w->pending, '\n');
    w->end = (int64_t)w->pending.len;
    int rc = ie_manifest_writer_flush(w, true, err);
    if (rc == 0)
        fsync_parent_dir(path);
    if (rc < 0) {
        ie_manifest_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int ie_manifest_writer_open_append(const char *path, struct ie_manifest_writer **out,
                                   struct ie_err *err)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return ie_err_set(err, IE_EIO, "cannot open manifest %s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        close(fd);
        return ie_err_set(err, IE_EIO, "cannot stat manifest %s: %s", path, strerror(errno));
    }
    /* Find the end of the last complete line; anything after it is a torn write. */
    off_t keep = st.st_size;
    char buf[4096];
    while (keep > 0) {
        off_t from = keep > (off_t)sizeof(buf) ? keep - (off_t)sizeof(buf) : 0;
        ssize_t n = pread(fd, buf, (size_t)(keep - from), from);
        if (n <= 0)
            break;
        ssize_t i = n - 1;
        while (i >= 0 && buf[i] != '\n')
            i--;
        if (i >= 0) {
            keep = from + i + 1;
            break;
        }
        keep = from;
    }
    if (keep != st.st_size && (ftruncate(fd, keep) < 0 || fdatasync(fd) < 0)) {
        close(fd);
        return ie_err_set(err, IE_EIO, "cannot cut torn tail of %s: %s", path, strerror(errno));
    }
    if (lseek(fd, keep, SEEK_SET) < 0) {
        close(fd);
        return ie_err_set(err, IE_EIO, "cannot seek in %s: %s", path, strerror(errno));
    }
    struct ie_manifest_writer *w = ie_xcalloc(1, sizeof(*w));
    w->fd = fd;
    w->path = ie_xstrdup(path);
    ie_buf_init(&w->pending);
    w->end = (int64_t)keep;
    *out = w;
    return 0;
}

void ie_manifest_writer_append(struct ie_manifest_writer *w, const char *json, size_t len,
                               int64_t *offset)
{
    if (offset)
        *offset = w->end;
    ie_buf_add(&w->pending, json, len);
    ie_buf_addc(&w->pending, '\n');
    w->end += (int64_t)len + 1;
}

int ie_manifest_writer_flush(struct ie_manifest_writer *w, bool sync, struct ie_err *err)
{
    if (w->pending.len) {
        off_t start = (off_t)(w->end - (int64_t)w->pending.len);
        if (write_all(w->fd, w->pending.data, w->pending.len) < 0) {
            /* A full disk takes part of the lines: cut the file back to its last whole line,
             * so it never holds a torn one, and keep them pending for the next flush. */
            int e = errno;
            if (ftruncate(w->fd, start) < 0 || lseek(w->fd, start, SEEK_SET) < 0)
                return ie_err_set(err, IE_EIO,
                                  "cannot write manifest %s: %s (and cannot cut "
                                  "the partial write: %s)",
                                  w->path, strerror(e), strerror(errno));
            return ie_err_set(err, IE_EIO, "cannot write manifest %s: %s", w->path, strerror(e));
        }
        ie_buf_reset(&w->pending);
    }
    if (sync && fdatasync(w->fd) < 0)
        return ie_err_set(err, IE_EIO, "cannot sync manifest %s: %s", w->path, strerror(errno));
    return 0;
}

void ie_manifest_writer_free(struct ie_manifest_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    ie_buf_release(&w->pending);
    free(w->path);
    free(w);
}

int ie_manifest_rewrite(const char *path, const char *header_json, const struct ie_line_ref *lines,
                        size_t n, struct ie_err *err)
{
    return ie_manifest_write_lines(path, path, header_json, lines, n, err);
}

int ie_manifest_write_lines(const char *src, const char *path, const char *header_json,
                            const struct ie_line_ref *lines, size_t n, struct ie_err *err)
{
    struct ie_buf tmp, out;
    int in = -1, fd = -1, rc = 0;

    ie_buf_init(&tmp);
    ie_buf_init(&out);
    ie_buf_addf(&tmp, "%s.tmp", path);
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot open %s: %s", src, strerror(errno));
        goto out;
    }
    fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot create %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    ie_buf_adds(&out, header_json);
    ie_buf_addc(&out, '\n');
    for (size_t i = 0; i < n; i++) {
        size_t at = out.len;
        ie_grow((void **)&out.data, &out.cap, out.len + lines[i].len + 2, 1);
        ssize_t r = pread(in, out.data + at, lines[i].len, lines[i].offset);
        if (r != (ssize_t)lines[i].len) {
            rc = ie_err_set(err, IE_EIO, "cannot read back a record of %s", src);
            goto out;
        }
        out.len += lines[i].len;
        out.data[out.len++] = '\n';
        if (out.len >= (1u << 20)) {
            if (write_all(fd, out.data, out.len) < 0) {
                rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp.data, strerror(errno));
                goto out;
            }
            out.len = 0;
        }
    }
    if (write_all(fd, out.data, out.len) < 0 || fsync(fd) < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp.data, path) < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot replace %s: %s", path, strerror(errno));
        goto out;
    }
    fsync_parent_dir(path);
out:
    if (in >= 0)
        close(in);
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp.data);
    ie_buf_release(&tmp);
    ie_buf_release(&out);
    return rc;
}
