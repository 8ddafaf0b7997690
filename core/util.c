/* Allocation, buffers, time, UTF-8 and number formatting helpers. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imgeda/confine.h"
#include "imgeda/util.h"

static void oom(size_t n)
{
    fprintf(stderr, "imgeda: out of memory allocating %zu bytes\n", n);
    abort();
}

void *ie_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *ie_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *ie_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *ie_xstrdup(const char *s)
{
    return ie_xstrndup(s, strlen(s));
}

char *ie_xstrndup(const char *s, size_t n)
{
    char *p = ie_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void ie_grow(void **p, size_t *cap, size_t need, size_t elsz)
{
    if (need <= *cap)
        return;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc = nc / 2 * 3 + 16;
    if (nc > SIZE_MAX / elsz)
        oom(SIZE_MAX);
    *p = ie_xrealloc(*p, nc * elsz);
    *cap = nc;
}

void ie_buf_init(struct ie_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void ie_buf_release(struct ie_buf *b)
{
    free(b->data);
    ie_buf_init(b);
}

void ie_buf_reset(struct ie_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void ie_buf_add(struct ie_buf *b, const void *p, size_t n)
{
    ie_grow((void **)&b->data, &b->cap, b->len + n + 1, 1);
    /* Adding nothing may come with no pointer at all (an empty buffer's NULL data), which
     * memcpy must never be given, even for 0 bytes. */
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ie_buf_adds(struct ie_buf *b, const char *s)
{
    ie_buf_add(b, s, strlen(s));
}

void ie_buf_addc(struct ie_buf *b, char c)
{
    ie_buf_add(b, &c, 1);
}

void ie_buf_addf(struct ie_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    ie_grow((void **)&b->data, &b->cap, b->len + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *ie_buf_detach(struct ie_buf *b)
{
    char *d = b->data ? b->data : ie_xstrdup("");
    ie_buf_init(b);
    return d;
}

void ie_now_iso(char *out, size_t outsz)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

double ie_mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Copies s with every byte that is not part of a valid UTF-8 sequence (or is NUL) written as
 * \xNN, with its backslash escaped for JSON text if in_json. */
static char *utf8_escape_invalid(const char *s, size_t n, bool in_json)
{
    struct ie_buf b;
    ie_buf_init(&b);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = utf8_seq_len(p + i, n - i);
        if (l == 0 || (l == 1 && p[i] == 0)) {
            ie_buf_addf(&b, in_json ? "\\\\x%02x" : "\\x%02x", p[i]);
            i++;
        } else {
            ie_buf_add(&b, p + i, l);
            i += l;
        }
    }
    return ie_buf_detach(&b);
}

char *ie_utf8_sanitize(const char *s, size_t n)
{
    return utf8_escape_invalid(s, n, false);
}

char *ie_utf8_sanitize_json(const char *s, size_t n)
{
    return utf8_escape_invalid(s, n, true);
}

bool ie_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* ASCII, the common case (every stored record is checked when a page is served), eight
         * bytes at a time: a byte-by-byte check was a fifth of the image list's CPU time. */
        uint64_t w;
        while (i + 8 <= n && (memcpy(&w, p + i, 8), (w & 0x8080808080808080ull) == 0))
            i += 8;
        if (i == n)
            break;
        size_t l = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, n - i);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *ie_utf8_unsanitize(const char *s)
{
    struct ie_buf b;
    bool decoded = false;
    ie_buf_init(&b);
    for (const char *p = s; *p;) {
        int hi = p[0] == '\\' && p[1] == 'x' ? hex_digit(p[2]) : -1;
        int lo = hi >= 8 ? hex_digit(p[3]) : -1;
        /* Only bytes from 0x80 up: ie_utf8_sanitize escapes no other byte a path can hold. */
        if (lo >= 0) {
            ie_buf_addc(&b, (char)(hi << 4 | lo));
            p += 4;
            decoded = true;
        } else {
            ie_buf_addc(&b, *p++);
        }
    }
    /* "\\xc3\\xa9" decodes to a valid "é", which ie_utf8_sanitize would have left alone: such
     * text was never an escape. */
    char *back = decoded ? ie_utf8_sanitize(b.data, b.len) : NULL;
    if (!back || strcmp(back, s) != 0) {
        free(back);
        ie_buf_release(&b);
        return NULL;
    }
    free(back);
    return ie_buf_detach(&b);
}

void ie_fmt_double(char *out, size_t outsz, double v)
{
    char e[40];
    int prec = 15;
    if (!isfinite(v)) {
        snprintf(out, outsz, "null");
        return;
    }
    /* The fewest significant digits that read back as v, as Python's repr writes: for normal
     * numbers 15 always suffice when a shorter form exists (DBL_DIG), so trying 15, 16, 17
     * finds the shortest; subnormals have fewer digits of precision and start from 1. */
    if (v != 0 && fabs(v) < DBL_MIN)
        prec = 1;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", prec - 1, v);
    char *x = strchr(e, 'e');
    int exp10 = atoi(x + 1);
    /* Trailing zeros of the mantissa are not significant digits. */
    char *end = x;
    while (end > e && end[-1] == '0')
        end--;
    if (end > e && end[-1] == '.')
        end--;
    int digits = 0;
    for (const char *p = e; p < end; p++)
        digits += *p >= '0' && *p <= '9';
    /* Python's repr switches to exponent form below 1e-4 and from 1e16 on; C's %g would
     * switch at the precision instead (1e+15 where Python writes 1000000000000000.0). */
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(out, outsz, "%.*se%c%02d", (int)(end - e), e, exp10 < 0 ? '-' : '+',
                 exp10 < 0 ? -exp10 : exp10);
        return;
    }
    snprintf(out, outsz, "%.*f", digits - 1 - exp10 > 0 ? digits - 1 - exp10 : 0, v);
    if (!strpbrk(out, "."))
        snprintf(out + strlen(out), outsz - strlen(out), ".0");
}

bool ie_double_fits_i64(double v)
{
    return v >= -9223372036854775808.0 && v < 9223372036854775808.0;
}

double ie_round(double v, int nd)
{
    /* Python's round() is correctly rounded (half-even on the exact binary value); printing
     * with %.*f gives the same correctly rounded decimal, then parse back. */
    char tmp[64];
    /* From 2^52 on a double has no fraction to round, and %.*f would not fit into tmp. */
    if (!isfinite(v) || fabs(v) >= 4503599627370496.0)
        return v;
    snprintf(tmp, sizeof(tmp), "%.*f", nd, v);
    return strtod(tmp, NULL);
}

int ie_read_file(const char *path, size_t max_bytes, char **out, size_t *len, struct ie_err *err)
{
    return ie_read_file_confined(path, max_bytes, NULL, out, len, err);
}

int ie_open_confined(const char *path, const struct ie_confine *confine, struct stat *st,
                     struct ie_err *err)
{
    memset(st, 0, sizeof(*st));
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below as not regular. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open %s: %s", path,
                          strerror(errno));
    int rc = 0;
    if (!ie_confine_allows_fd(confine, fd)) {
        rc = ie_err_set(err, IE_EPERM, "%s resolves outside the allowed roots", path);
    } else if (fstat(fd, st) < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot stat %s: %s", path, strerror(errno));
        memset(st, 0, sizeof(*st));
    } else if (!S_ISREG(st->st_mode)) {
        rc = ie_err_set(err, IE_EIO, "%s is not a regular file", path);
    }
    if (rc < 0) {
        close(fd);
        return rc;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int ie_read_fd(int fd, const char *path, const struct stat *st, size_t max_bytes, char **out,
               size_t *len, struct ie_err *err)
{
    int rc = 0;
    size_t have = 0, cap;
    char *data = NULL;

    if (st->st_size > 0 && (uint64_t)st->st_size > max_bytes)
        return ie_err_set(err, IE_ELIMIT, "%s is larger than %zu bytes", path, max_bytes);
    cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 4096;
    data = ie_xmalloc(cap);
    for (;;) {
        if (have + 1 >= cap) {
            if (cap > max_bytes) {
                rc = ie_err_set(err, IE_ELIMIT, "%s is larger than %zu bytes", path, max_bytes);
                goto out;
            }
            cap *= 2;
            data = ie_xrealloc(data, cap);
        }
        ssize_t r = read(fd, data + have, cap - have - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = ie_err_set(err, IE_EIO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        have += (size_t)r;
    }
    data[have] = '\0';
    *out = data;
    *len = have;
    data = NULL;
out:
    free(data);
    return rc;
}

int ie_read_file_confined(const char *path, size_t max_bytes, const struct ie_confine *confine,
                          char **out, size_t *len, struct ie_err *err)
{
    struct stat st;
    int fd = ie_open_confined(path, confine, &st, err);
    if (fd < 0)
        return fd;
    int rc = ie_read_fd(fd, path, &st, max_bytes, out, len, err);
    close(fd);
    return rc;
}

int ie_mkdir_p(const char *path)
{
    char *tmp = ie_xstrdup(path);
    int rc = 0;
    for (char *p = tmp + 1; *p && rc == 0; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                rc = -1;
            *p = '/';
        }
    }
    if (rc == 0 && mkdir(tmp, 0755) < 0 && errno != EEXIST)
        rc = -1;
    free(tmp);
    return rc;
}

int ie_write_file_atomic(const char *path, const void *data, size_t len, struct ie_err *err)
{
    struct ie_buf tmp;
    int fd = -1, rc = 0;
    const char *p = data;

    ie_buf_init(&tmp);
    ie_buf_addf(&tmp, "%s.tmp", path);
    fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot create %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = ie_err_set(err, IE_EIO, "cannot write %s: %s", tmp.data, strerror(errno));
            goto out;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fsync(fd) < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot sync %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp.data, path) < 0) {
        rc = ie_err_set(err, IE_EIO, "cannot rename %s to %s: %s", tmp.data, path, strerror(errno));
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp.data);
    ie_buf_release(&tmp);
    return rc;
}

void ie_utf8_fit(const char *s, char *out, size_t n, bool (*fits)(const char *text, void *ud),
                 void *ud)
{
    size_t len = strlen(s);
    if (n == 0)
        return;
    snprintf(out, n, "%s", s);
    if (len < n && fits(out, ud))
        return;
    /* Drop whole UTF-8 characters from the end until "prefix…" fits. */
    size_t cut = len < n - 4 ? len : n - 4;
    while (cut > 0) {
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        memcpy(out, s, cut);
        memcpy(out + cut, "\xe2\x80\xa6", 4); /* U+2026 and the NUL */
        if (fits(out, ud))
            return;
        cut--;
    }
    snprintf(out, n, "\xe2\x80\xa6");
}
