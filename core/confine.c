/* Real-path confinement of file access to allowed directories (see imgeda/confine.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgeda/confine.h"
#include "imgeda/util.h"

void ie_confine_init(struct ie_confine *c, const char *const *roots, size_t n)
{
    c->roots = ie_xcalloc(n ? n : 1, sizeof(*c->roots));
    c->n = 0;
    for (size_t i = 0; i < n; i++) {
        char *real = realpath(roots[i], NULL);
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
        if (strcmp(root, "/") == 0 ||
            (strncmp(real, root, len) == 0 && (real[len] == '\0' || real[len] == '/')))
            return true;
    }
    return false;
}

bool ie_confine_allows_path(const struct ie_confine *c, const char *path)
{
    if (!c)
        return true;
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
