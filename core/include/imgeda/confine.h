/* Confinement of file access to allowed directories by real path: a symlink inside an allowed
 * root that points outside it must not make the daemon read the outside file (its bytes, size,
 * mtime, hashes, EXIF or a thumbnail). The CLI reads what its user names and is not confined.
 * THREADS: a confinement is immutable after ie_confine_init; share it freely. */
#ifndef IMGEDA_CONFINE_H
#define IMGEDA_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

struct ie_confine {
    char **roots; /* real, absolute paths of the allowed directories */
    size_t n;
};

/* Resolves each of roots (realpath); roots that do not resolve are dropped, so a confinement
 * may end up allowing nothing. Release with ie_confine_release. */
void ie_confine_init(struct ie_confine *c, const char *const *roots, size_t n);
void ie_confine_release(struct ie_confine *c);

/* True if real (an absolute path with no symlinks) is one of the roots or lies below one. */
bool ie_confine_contains(const struct ie_confine *c, const char *real);
/* True if path resolves (realpath: symlinks followed) inside the roots. False when it does not
 * resolve (dangling link, missing file). c == NULL allows everything. */
bool ie_confine_allows_path(const struct ie_confine *c, const char *path);
/* True if the file open as fd lies inside the roots (its path as the kernel knows it). */
bool ie_confine_allows_fd(const struct ie_confine *c, int fd);

#endif
