/* Small helpers shared by every module: allocation that aborts on OOM, strings, time, files. */
#ifndef IMGEDA_UTIL_H
#define IMGEDA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imgeda/err.h"

/* Allocation that never returns NULL: out-of-memory aborts with a message. */
void *ie_xmalloc(size_t n);
void *ie_xcalloc(size_t n, size_t size);
void *ie_xrealloc(void *p, size_t n);
char *ie_xstrdup(const char *s);
char *ie_xstrndup(const char *s, size_t n);
/* Grows *p (element size elsz) so that it holds at least need elements; *cap is updated. */
void ie_grow(void **p, size_t *cap, size_t need, size_t elsz);

/* A growable NUL-terminated byte buffer. */
struct ie_buf {
    char *data;
    size_t len;
    size_t cap;
};
void ie_buf_init(struct ie_buf *b);
void ie_buf_release(struct ie_buf *b);
void ie_buf_reset(struct ie_buf *b);
void ie_buf_add(struct ie_buf *b, const void *p, size_t n);
void ie_buf_adds(struct ie_buf *b, const char *s);
void ie_buf_addc(struct ie_buf *b, char c);
void ie_buf_addf(struct ie_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Detaches the data (caller frees); the buffer is left empty. */
char *ie_buf_detach(struct ie_buf *b);

/* Current UTC time as Python's datetime.now(timezone.utc).isoformat():
 * "YYYY-MM-DDTHH:MM:SS.ffffff+00:00". out must hold 40 bytes. */
void ie_now_iso(char *out, size_t outsz);
/* Monotonic seconds. */
double ie_mono_seconds(void);

/* s as valid UTF-8: invalid bytes (and NUL) become the text "\xNN" (lower-case
 * hex). Returns a new string. Scans record file names this way. */
char *ie_utf8_sanitize(const char *s, size_t n);
/* The same for JSON text whose strings may hold invalid bytes (cJSON prints them as they are):
 * each becomes "\\xNN", so the string reads back as ie_utf8_sanitize would have made it. */
char *ie_utf8_sanitize_json(const char *s, size_t n);
/* True if the n bytes at s are valid UTF-8 (NUL counts as valid: callers with C strings pass
 * strlen). */
bool ie_utf8_valid(const char *s, size_t n);
/* The inverse of ie_utf8_sanitize for file names: every "\xNN" with NN from 80 to ff (lower-case,
 * as ie_utf8_sanitize writes them) becomes that byte again. Returns a new string, or NULL if s
 * holds no such escape or is not what ie_utf8_sanitize makes of the result. Ambiguous by nature:
 * a name holding the text "\xe9" reads as the byte, so a caller also tries s as it is. */
char *ie_utf8_unsanitize(const char *s);

/* Formats a double so that it round-trips and always reads back as a float in JSON/Python
 * (a ".0" is appended to integral values). out must hold 32 bytes. Non-finite values -> "null". */
void ie_fmt_double(char *out, size_t outsz, double v);

/* Whether v converts to int64_t, i.e. lies in [-2^63, 2^63) (NaN does not). C leaves the
 * conversion of anything else undefined, so numbers read from files are checked first. */
bool ie_double_fits_i64(double v);

/* Rounds v to nd decimals the way Python's round() does for these magnitudes. */
double ie_round(double v, int nd);

/* Reads a whole file into a malloc'd buffer (NUL-terminated, len excludes it). Files larger than
 * max_bytes fail with IE_ELIMIT. */
int ie_read_file(const char *path, size_t max_bytes, char **out, size_t *len, struct ie_err *err);
/* Same, refusing (IE_EPERM) a file whose opened real path lies outside confine (NULL: any). */
struct ie_confine;
int ie_read_file_confined(const char *path, size_t max_bytes, const struct ie_confine *confine,
                          char **out, size_t *len, struct ie_err *err);
/* The two halves of ie_read_file_confined, for a caller that wants the file's status without a
 * second lookup of its path. ie_open_confined opens path read-only and fills *st (zeroed when
 * the open or fstat failed); it returns the descriptor, or a negative IE_E* with err filled
 * (IE_EPERM: outside confine; IE_EIO: not a regular file, *st filled). ie_read_fd reads the
 * opened file of status st whole, refusing more than max_bytes (IE_ELIMIT); it does not close. */
struct stat;
int ie_open_confined(const char *path, const struct ie_confine *confine, struct stat *st,
                     struct ie_err *err);
int ie_read_fd(int fd, const char *path, const struct stat *st, size_t max_bytes, char **out,
               size_t *len, struct ie_err *err);

/* Creates path and its missing parents (mode 0755). Returns 0, or -1 with errno set. */
int ie_mkdir_p(const char *path);

/* Writes data to path through path.tmp + fsync + rename. */
int ie_write_file_atomic(const char *path, const void *data, size_t len, struct ie_err *err);

#define IE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define IE_MIN(a, b)    ((a) < (b) ? (a) : (b))
#define IE_MAX(a, b)    ((a) > (b) ? (a) : (b))

/* s into out (size n >= 4), cut at a UTF-8 boundary and ended with "…" until fits(out, ud)
 * says it fits; "…" alone when nothing does. For labels measured in a font (plots, PDF). */
void ie_utf8_fit(const char *s, char *out, size_t n, bool (*fits)(const char *text, void *ud),
                 void *ud);

#endif
