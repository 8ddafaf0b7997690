/* Confinement of file access to allowed directories by real path: a symlink inside an allowed
 * root that points outside it must not make the daemon read the outside file (its bytes, size,
 * mtime, hashes, EXIF or a thumbnail). The CLI reads what its user names and is not confined.
 * Roots may also be buckets, s3://BUCKET[/PREFIX]: objects are confined by bucket and key prefix
 * on key boundaries ("s3://b/cats" allows s3://b/cats and s3://b/cats/..., not s3://b/catsup;
 * a trailing '/' changes nothing, a prefix names a folder as scan roots do). A URL with a '.'
 * or '..' segment or a control character is never allowed: it is not a key the store would be
 * asked for as written. A file path never matches a bucket root nor a URL a directory root.
 * This is the one confinement check of the project: the daemon's scan roots, imported paths,
 * thumbnails and objects all go through it.
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

/* True if real (an absolute path with no symlinks, or an s3:// URL) is one of the roots or lies
 * below one. */
bool ie_confine_contains(const struct ie_confine *c, const char *real);
/* True if path resolves (realpath: symlinks followed) inside the roots. False when it does not
 * resolve (dangling link, missing file). c == NULL allows everything. */
bool ie_confine_allows_path(const struct ie_confine *c, const char *path);
/* True if the file open as fd lies inside the roots (its path as the kernel knows it). */
bool ie_confine_allows_fd(const struct ie_confine *c, int fd);
/* True if url (s3://BUCKET/KEY) lies inside the bucket roots. False for anything else. */
bool ie_confine_allows_url(const struct ie_confine *c, const char *url);
/* A one-off check against roots as configured, resolved now (a root created after start-up
 * counts): target is an s3:// URL (ie_confine_allows_url) or a file path
 * (ie_confine_allows_path). */
bool ie_confine_check(const char *const *roots, size_t n, const char *target);

#endif
