/* Real-path confinement of file access to allowed directories (see imgeda/confine.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgeda/confine.h"
#include "imgeda/util.h"

#define S3_SCHEME "s3://"

static bool is_url(const char *s)
{
    return strncmp(s, S3_SCHEME, strlen(S3_SCHEME)) == 0;
}

/* The canonical form of an s3:// URL: "s3://BUCKET" or "s3://BUCKET/PREFIX", the slashes after
 * the bucket and at the end dropped. NULL for no bucket, a control character or a '.' or '..'
 * segment (which a client may resolve before the request: "cats/../dogs" would reach dogs). */
static char *url_canonical(const char *url)
{
    const char *b = url + strlen(S3_SCHEME);
    size_t bn = strcspn(b, "/");
    const char *p = b + bn;
    while (*p == '/')
        p++;
    size_t pn = strlen(p);
    while (pn && p[pn - 1] == '/')
        pn--;
    if (bn == 0)
        return NULL;
    for (const char *q = b; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return NULL;
    for (const char *seg = p; seg < p + pn;) {
        size_t sn = strcspn(seg, "/");
        if ((sn == 1 && seg[0] == '.') || (sn == 2 && seg[0] == '.' && seg[1] == '.'))
            return NULL;
        seg += sn + 1;
    }
    struct ie_buf out;
    ie_buf_init(&out);
    ie_buf_adds(&out, S3_SCHEME);
    ie_buf_add(&out, b, bn);
    if (pn) {
        ie_buf_addc(&out, '/');
        ie_buf_add(&out, p, pn);
    }
    return ie_buf_detach(&out);
}

void ie_confine_init(struct ie_confine *c, const char *const *roots, size_t n)
{
    c->roots = ie_xcalloc(n ? n : 1, sizeof(*c->roots));
    c->n = 0;
    for (size_t i = 0; i < n; i++) {
        char *real = is_url(roots[i]) ? url_canonical(roots[i]) : realpath(roots[i], NULL);
        if (real)
            c->roots[c->n++] = real;
    }
}

void ie_confine_release(struct ie_confine *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->roots[i]);
    free(c->roots);
    c->roots = NULL;
    c->n = 0;
}

bool ie_confine_contains(const struct ie_confine *c, const char *real)
{
    for (size_t i = 0; i < c->n; i++) {
        const char *root = c->roots[i];
        size_t len = strlen(root);
        /* "/" holds every file, but no object. */
        if ((strcmp(root, "/") == 0 && real[0] == '/') ||
            (strncmp(real, root, len) == 0 && (real[len] == '\0' || real[len] == '/')))
            return true;
    }
    return false;
}

bool ie_confine_allows_path(const struct ie_confine *c, const char *path)
{
    if (!c)
        return true;
    if (is_url(path))
        return false;
    char *real = realpath(path, NULL);
    bool ok = real && ie_confine_contains(c, real);
    free(real);
    return ok;
}

bool ie_confine_allows_fd(const struct ie_confine *c, int fd)
{
    char link[64], real[PATH_MAX];
    if (!c)
        return true;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof(real) - 1);
    if (n <= 0 || (size_t)n >= sizeof(real) - 1)
        return false;
    real[n] = '\0';
    return ie_confine_contains(c, real);
}

bool ie_confine_allows_url(const struct ie_confine *c, const char *url)
{
    if (!is_url(url))
        return false;
    if (!c)
        return true;
    char *canon = url_canonical(url);
    bool ok = canon && ie_confine_contains(c, canon);
    free(canon);
    return ok;
}

bool ie_confine_check(const char *const *roots, size_t n, const char *target)
{
    struct ie_confine c;
    ie_confine_init(&c, roots, n);
    bool ok =
        is_url(target) ? ie_confine_allows_url(&c, target) : ie_confine_allows_path(&c, target);
    ie_confine_release(&c);
    return ok;
}
