/* The scan engine (see imgeda/scan.h).
 * DESIGN: the plan maps every discovered file to its newest record line in the manifest (a
 * later line for a path always wins). Resume keeps a line when (path, size, mtime), the
 * analyzer version and the analysis settings still match; everything else is re-analysed and
 * appended. Appends are buffered and made durable (fdatasync) every checkpoint_every records;
 * a crash at any point loses at most the records after the last checkpoint. When every file has
 * a record the manifest is rewritten (temp + rename) with exactly one line per existing file, in
 * path order, which drops superseded lines and the records of vanished files. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imgeda/discover.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"
#include "imgeda/strmap.h"
#include "imgeda/util.h"

enum { F_CORRUPT = 1, F_DARK = 2, F_OVER = 4, F_BLURRY = 8, F_ARTIFACT = 16 };
enum { ST_TODO = 0, ST_RUNNING = 1, ST_DONE = 2 };

struct entry {
    int64_t offset;
    uint32_t len;
    uint8_t flags;
    uint8_t state;
};

struct ie_scan {
    struct ie_scan_options o;
    char *root;
    char *manifest_path;
    char *input_dir;
    char *created_at;
    char *settings_json;
    struct ie_file_list files;
    struct entry *entries;
    size_t next_todo; /* scan position for ie_scan_next_batch */
    size_t todo_left; /* files not yet done */
    struct ie_manifest_writer *w;
    size_t since_checkpoint;
    char **notes;
    size_t n_notes, cap_notes;
    struct ie_scan_progress p;
    double t0;
};

static void note(struct ie_scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct ie_scan *s, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    ie_grow((void **)&s->notes, &s->cap_notes, s->n_notes + 1, sizeof(char *));
    s->notes[s->n_notes++] = ie_xstrdup(tmp);
}

static uint8_t record_flags(const struct ie_record *r)
{
    return (uint8_t)((r->is_corrupt ? F_CORRUPT : 0) | (r->is_dark ? F_DARK : 0) |
                     (r->is_overexposed ? F_OVER : 0) | (r->is_blurry ? F_BLURRY : 0) |
                     (r->has_border_artifact ? F_ARTIFACT : 0));
}

static void count_flags(struct ie_scan_progress *p, uint8_t f, int sign)
{
    p->corrupt += (size_t)(sign * !!(f & F_CORRUPT));
    p->dark += (size_t)(sign * !!(f & F_DARK));
    p->overexposed += (size_t)(sign * !!(f & F_OVER));
    p->blurry += (size_t)(sign * !!(f & F_BLURRY));
    p->artifact += (size_t)(sign * !!(f & F_ARTIFACT));
}

/* True if the file at path is empty or its first non-blank line is a manifest header or record:
 * we never truncate a file that is not ours without --force. */
static bool looks_like_manifest(const char *path)
{
    struct ie_manifest_reader *rd = NULL;
    struct ie_record rec;
    struct stat st;
    bool ok;
    if (stat(path, &st) == 0 && st.st_size == 0)
        return true;
    if (ie_manifest_reader_open(path, &rd, NULL) < 0)
        return false;
    ie_record_init(&rec);
    ok = ie_manifest_reader_next(rd, &rec, NULL, NULL, NULL) == 1 ||
         ie_manifest_reader_meta(rd)->present;
    ie_record_release(&rec);
    ie_manifest_reader_free(rd);
    return ok;
}

static bool same_stat(const struct ie_record *r, const struct stat *st)
{
    double mtime = (double)st->st_mtim.tv_sec + (double)st->st_mtim.tv_nsec * 1e-9;
    return r->file_size_bytes == (int64_t)st->st_size && fabs(r->mtime - mtime) < 1e-6;
}

/* True when rec was made from the file as it is now: same size and mtime, from the listing for a
 * listed file (an object: the resume key is path, size and LastModified), else from stat. */
static bool same_file(const struct ie_record *rec, const struct ie_found_file *f)
{
    struct stat st;
    if (f->listed)
        return rec->file_size_bytes == f->size && fabs(rec->mtime - f->mtime) < 1e-6;
    return stat(f->fs_path, &st) == 0 && same_stat(rec, &st);
}

/* Reads the existing manifest into the plan. Returns 1 if it can be resumed, 0 if it must be
 * replaced (settings changed), negative on error. */
static int plan_resume(struct ie_scan *s, struct ie_err *err)
{
    struct ie_manifest_reader *rd = NULL;
    struct ie_strmap index;
    struct ie_record rec;
    int rc;
    size_t kept = 0, stale = 0;

    ie_strmap_init(&index);
    ie_record_init(&rec);
    for (size_t i = 0; i < s->files.n; i++)
        ie_strmap_put(&index, s->files.v[i].record_path, i);
    rc = ie_manifest_reader_open(s->manifest_path, &rd, err);
    if (rc < 0)
        goto out;
    /* Pass 1: the newest line per discovered path. */
    int64_t off;
    size_t len;
    bool *matched = ie_xcalloc(s->files.n ? s->files.n : 1, sizeof(bool));
    uint8_t *flags = ie_xcalloc(s->files.n ? s->files.n : 1, 1);
    while ((rc = ie_manifest_reader_next(rd, &rec, &off, &len, err)) == 1) {
        size_t i;
        if (!ie_strmap_get(&index, rec.path, &i))
            continue;
        struct entry *e = &s->entries[i];
        e->offset = off;
        e->len = (uint32_t)len;
        e->state = ST_DONE;
        flags[i] = record_flags(&rec);
        /* Remember what must match; checked against stat below. */
        matched[i] = rec.analyzer_version && strcmp(rec.analyzer_version, IE_ANALYZER_VERSION) == 0;
        if (matched[i])
            matched[i] = same_file(&rec, &s->files.v[i]);
    }
    if (rc < 0) {
        free(matched);
        free(flags);
        goto out;
    }
    const struct ie_manifest_meta *meta = ie_manifest_reader_meta(rd);
    const char *diff = meta->present && meta->settings_json
                           ? ie_settings_analysis_difference(meta->settings_json, s->settings_json)
                           : "settings";
    if (diff) {
        /* Name the setting: a resume that starts over should say why (e.g. another profile). */
        char *was = meta->settings_json ? ie_settings_value_text(meta->settings_json, diff)
                                        : ie_xstrdup("missing");
        char *now = ie_settings_value_text(s->settings_json, diff);
        note(s,
             "the manifest was made with other analysis settings or analyzer (%s: %s there, "
             "%s now): re-analysing every file",
             diff, was, now);
        free(was);
        free(now);
        for (size_t i = 0; i < s->files.n; i++)
            s->entries[i].state = ST_TODO;
        free(matched);
        free(flags);
        rc = 0;
        goto out;
    }
    if (meta->created_at && *meta->created_at)
        ie_record_set_str(&s->created_at, meta->created_at);
    for (size_t i = 0; i < s->files.n; i++) {
        struct entry *e = &s->entries[i];
        if (e->state == ST_DONE && matched[i]) {
            e->flags = flags[i];
            kept++;
        } else {
            if (e->state == ST_DONE)
                stale++;
            e->state = ST_TODO;
        }
    }
    free(matched);
    free(flags);
    if (ie_manifest_reader_skipped(rd))
        note(s, "skipped %zu unreadable manifest line(s) (a torn write is expected after a crash)",
             ie_manifest_reader_skipped(rd));
    if (kept || stale)
        note(s, "resuming: %zu record(s) kept, %zu changed file(s) to re-analyse", kept, stale);
    rc = 1;
out:
    ie_record_release(&rec);
    ie_strmap_release(&index);
    ie_manifest_reader_free(rd);
    return rc;
}

static struct ie_scan *scan_new(const char *manifest_path, const struct ie_scan_options *o)
{
    struct ie_scan *s = ie_xcalloc(1, sizeof(*s));
    char now[40];
    s->o = *o;
    s->t0 = ie_mono_seconds();
    s->manifest_path = ie_xstrdup(manifest_path);
    s->settings_json = ie_scan_options_settings_json(o);
    ie_now_iso(now, sizeof(now));
    s->created_at = ie_xstrdup(now);
    ie_file_list_init(&s->files);
    return s;
}

/* Plans s->files against the manifest (resume or a new one) and opens its writer. */
static int scan_plan(struct ie_scan *s, struct ie_err *err)
{
    const struct ie_scan_options *o = &s->o;
    const char *manifest_path = s->manifest_path;
    struct stat st;
    int rc;
    bool resume = false;

    for (size_t i = 0; i < s->files.n_warnings; i++)
        note(s, "warning: %s", s->files.warnings[i]);
    s->entries = ie_xcalloc(s->files.n ? s->files.n : 1, sizeof(*s->entries));

    bool exists = stat(manifest_path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return ie_err_set(err, IE_EINVAL, "%s is a directory, not a manifest file", manifest_path);
    if (exists && !o->force && !looks_like_manifest(manifest_path))
        return ie_err_set(err, IE_EINVAL,
                          "%s exists and is not a manifest; refusing to overwrite it (use --force)",
                          manifest_path);
    if (exists && o->resume && !o->force) {
        rc = plan_resume(s, err);
        if (rc < 0)
            return rc;
        resume = rc == 1;
    }
    if (resume) {
        rc = ie_manifest_writer_open_append(manifest_path, &s->w, err);
    } else {
        char *header = ie_manifest_header_json(s->input_dir, s->settings_json, (int64_t)s->files.n,
                                               s->created_at);
        rc = ie_manifest_writer_create(manifest_path, header, &s->w, err);
        free(header);
    }
    if (rc < 0)
        return rc;

    s->p.total = s->files.n;
    for (size_t i = 0; i < s->files.n; i++) {
        if (s->entries[i].state == ST_DONE) {
            s->p.resumed++;
            count_flags(&s->p, s->entries[i].flags, 1);
        } else {
            s->todo_left++;
        }
    }
    s->p.processed = s->p.durable = s->p.resumed;
    return 0;
}

int ie_scan_open(const char *root, const char *manifest_path, const struct ie_scan_options *o,
                 struct ie_scan **out, struct ie_err *err)
{
    struct ie_scan *s = scan_new(manifest_path, o);
    s->root = ie_path_normalize(root);
    s->input_dir = ie_path_absolute(root);
    int rc = ie_discover(s->root, o, &s->files, err);
    if (rc == 0)
        rc = scan_plan(s, err);
    if (rc < 0) {
        ie_scan_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ie_scan_open_listed(const char *input_dir, struct ie_file_list *files,
                        const char *manifest_path, const struct ie_scan_options *o,
                        struct ie_scan **out, struct ie_err *err)
{
    struct ie_scan *s = scan_new(manifest_path, o);
    s->root = ie_xstrdup(input_dir);
    s->input_dir = ie_xstrdup(input_dir);
    s->files = *files;
    ie_file_list_init(files);
    ie_file_list_sort(&s->files);
    int rc = scan_plan(s, err);
    if (rc < 0) {
        ie_scan_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

size_t ie_scan_notes(const struct ie_scan *s, const char *const **notes)
{
    *notes = (const char *const *)s->notes;
    return s->n_notes;
}

struct ie_scan_batch *ie_scan_next_batch(struct ie_scan *s, size_t max)
{
    struct ie_scan_batch *b = NULL;
    while (s->next_todo < s->files.n && (!b || b->n < max)) {
        size_t i = s->next_todo++;
        if (s->entries[i].state != ST_TODO)
            continue;
        if (!b) {
            b = ie_xcalloc(1, sizeof(*b));
            b->files = ie_xcalloc(max, sizeof(size_t));
            b->lines = ie_xcalloc(max, sizeof(char *));
            b->flags = ie_xcalloc(max, 1);
        }
        s->entries[i].state = ST_RUNNING;
        b->files[b->n++] = i;
    }
    return b;
}

void ie_scan_analyze_one(const struct ie_scan_options *o, const char *fs_path,
                         const char *record_path, char **line, uint8_t *flags, int64_t *bytes)
{
    struct ie_record rec;
    ie_record_init(&rec);
    ie_analyze_file(fs_path, record_path, o, &rec);
    *line = ie_record_to_json(&rec);
    *flags = record_flags(&rec);
    *bytes = rec.file_size_bytes;
    ie_record_release(&rec);
}

void ie_scan_failed_one(const struct ie_scan_options *o, const struct ie_found_file *f,
                        const char *why, char **line, uint8_t *flags)
{
    struct ie_record rec;
    ie_record_init(&rec);
    if (f->listed)
        ie_analyze_fetch_failed(f->record_path, f->size, f->mtime, why, &rec);
    else
        ie_analyze_failed(f->fs_path, f->record_path, o, why, &rec);
    *line = ie_record_to_json(&rec);
    *flags = record_flags(&rec);
    ie_record_release(&rec);
}

void ie_scan_analyze_bytes(const struct ie_scan_options *o, const struct ie_found_file *f,
                           const void *buf, size_t len, char **line, uint8_t *flags, int64_t *bytes)
{
    struct ie_record rec;
    ie_record_init(&rec);
    ie_analyze_fetched(buf, len, f->record_path, f->size, f->mtime, o, &rec);
    *line = ie_record_to_json(&rec);
    *flags = record_flags(&rec);
    *bytes = (int64_t)len;
    ie_record_release(&rec);
}

const struct ie_found_file *ie_scan_file(const struct ie_scan *s, size_t i)
{
    return &s->files.v[i];
}

void ie_scan_batch_run(const struct ie_scan *s, struct ie_scan_batch *b, const atomic_int *cancel)
{
    for (size_t k = 0; k < b->n; k++) {
        if (cancel && atomic_load(cancel))
            break;
        const struct ie_found_file *f = &s->files.v[b->files[k]];
        int64_t bytes = 0;
        if (f->listed) {
            /* A listed file's bytes come from its driver; a key is never opened as a path. */
            ie_scan_failed_one(&s->o, f, "not analysed: no driver fetched this object",
                               &b->lines[k], &b->flags[k]);
            continue;
        }
        ie_scan_analyze_one(&s->o, f->fs_path, f->record_path, &b->lines[k], &b->flags[k], &bytes);
        b->bytes += bytes;
    }
}

void ie_scan_batch_free(struct ie_scan_batch *b)
{
    if (!b)
        return;
    for (size_t k = 0; k < b->n; k++)
        free(b->lines[k]);
    free(b->files);
    free(b->lines);
    free(b->flags);
    free(b);
}

int ie_scan_checkpoint(struct ie_scan *s, struct ie_err *err)
{
    int rc = ie_manifest_writer_flush(s->w, true, err);
    if (rc == 0) {
        s->p.durable = s->p.processed;
        s->since_checkpoint = 0;
    }
    return rc;
}

int ie_scan_batch_commit(struct ie_scan *s, struct ie_scan_batch *b, bool *checkpointed,
                         struct ie_err *err)
{
    int rc = 0;
    if (checkpointed)
        *checkpointed = false;
    for (size_t k = 0; k < b->n; k++) {
        struct entry *e = &s->entries[b->files[k]];
        if (!b->lines[k]) {
            /* Cancelled before analysis: back to the to-do list for a later resume. */
            e->state = ST_TODO;
            if (b->files[k] < s->next_todo)
                s->next_todo = b->files[k];
            continue;
        }
        size_t len = strlen(b->lines[k]);
        ie_manifest_writer_append(s->w, b->lines[k], len, &e->offset);
        e->len = (uint32_t)len;
        e->flags = b->flags[k];
        e->state = ST_DONE;
        count_flags(&s->p, e->flags, 1);
        s->p.processed++;
        s->p.analysed++;
        s->todo_left--;
        s->since_checkpoint++;
    }
    s->p.bytes += b->bytes;
    ie_scan_batch_free(b);
    if (s->since_checkpoint >= (size_t)(s->o.checkpoint_every > 0 ? s->o.checkpoint_every : 1)) {
        rc = ie_scan_checkpoint(s, err);
        if (rc == 0 && checkpointed)
            *checkpointed = true;
    }
    return rc;
}

int ie_scan_finish(struct ie_scan *s, bool completed, struct ie_err *err)
{
    int rc = ie_scan_checkpoint(s, err);
    if (rc < 0 || !completed)
        return rc;
    if (s->todo_left != 0)
        return ie_err_set(err, IE_EINVAL, "scan finished with %zu file(s) not analysed",
                          s->todo_left);
    struct ie_line_ref *refs = ie_xcalloc(s->files.n ? s->files.n : 1, sizeof(*refs));
    for (size_t i = 0; i < s->files.n; i++) {
        refs[i].offset = s->entries[i].offset;
        refs[i].len = s->entries[i].len;
    }
    char *header =
        ie_manifest_header_json(s->input_dir, s->settings_json, (int64_t)s->files.n, s->created_at);
    rc = ie_manifest_rewrite(s->manifest_path, header, refs, s->files.n, err);
    free(header);
    free(refs);
    return rc;
}

void ie_scan_get_progress(const struct ie_scan *s, struct ie_scan_progress *p)
{
    *p = s->p;
    p->elapsed_s = ie_mono_seconds() - s->t0;
    p->rate_per_s = p->elapsed_s > 0 ? (double)p->analysed / p->elapsed_s : 0.0;
    p->eta_s = p->rate_per_s > 0 ? (double)s->todo_left / p->rate_per_s : -1.0;
    if (s->todo_left == 0)
        p->eta_s = 0.0;
}

const struct ie_scan_options *ie_scan_options(const struct ie_scan *s)
{
    return &s->o;
}

const char *ie_scan_manifest_path(const struct ie_scan *s)
{
    return s->manifest_path;
}

size_t ie_scan_remaining(const struct ie_scan *s)
{
    return s->todo_left;
}

void ie_scan_free(struct ie_scan *s)
{
    if (!s)
        return;
    ie_manifest_writer_free(s->w);
    ie_file_list_release(&s->files);
    for (size_t i = 0; i < s->n_notes; i++)
        free(s->notes[i]);
    free(s->notes);
    free(s->entries);
    free(s->root);
    free(s->manifest_path);
    free(s->input_dir);
    free(s->created_at);
    free(s->settings_json);
    free(s);
}
