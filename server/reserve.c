/* A reserve of disk space in the data dir (see reserve.h).
 * DESIGN: posix_fallocate gives the file real blocks (a sparse file would free nothing);
 * taking it again when it already has them changes nothing, so a restart keeps the same file.
 * Releasing and taking are logged: both say something about the disk an operator should know. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "imgeda/util.h"
#include "log.h"
#include "reserve.h"

struct srv_reserve {
    char *path;
    size_t bytes;
    bool held;
    bool told_no_room; /* the last failed take was logged; the next success is too */
};

struct srv_reserve *srv_reserve_new(const char *dir, size_t bytes)
{
    struct srv_reserve *r = ie_xcalloc(1, sizeof(*r));
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_addf(&b, "%s/reserve", dir);
    r->path = ie_buf_detach(&b);
    r->bytes = bytes;
    return r;
}

void srv_reserve_free(struct srv_reserve *r)
{
    if (!r)
        return;
    free(r->path);
    free(r);
}

bool srv_reserve_take(struct srv_reserve *r)
{
    struct statvfs vfs;
    if (r->held)
        return true;
    /* Not while the disk is nearly full: the blocks taken for a moment would make a manifest
     * write fail. A file left from the last run counts as free room. */
    char *dir = ie_xstrdup(r->path);
    dir[strlen(dir) - strlen("/reserve")] = '\0';
    int rc = statvfs(dir, &vfs) < 0 ? errno : 0;
    free(dir);
    if (rc == 0 && (unsigned long long)vfs.f_bavail * vfs.f_frsize < 2ull * r->bytes &&
        access(r->path, F_OK) != 0)
        rc = ENOSPC;
    int fd = rc ? -1 : open(r->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (rc == 0)
        rc = fd < 0 ? errno : posix_fallocate(fd, 0, (off_t)r->bytes);
    if (fd >= 0)
        close(fd);
    if (rc != 0) {
        unlink(r->path);
        if (!r->told_no_room)
            srv_log(SRV_LOG_WARN, "reserve: cannot keep %zu bytes in %s: %s; retried later",
                    r->bytes, r->path, strerror(rc));
        r->told_no_room = true;
        return false;
    }
    if (r->told_no_room)
        srv_log(SRV_LOG_INFO, "reserve: %zu bytes kept in %s again", r->bytes, r->path);
    r->told_no_room = false;
    r->held = true;
    return true;
}

bool srv_reserve_release(struct srv_reserve *r)
{
    if (!r->held)
        return false;
    r->held = false;
    if (unlink(r->path) < 0) {
        srv_log(SRV_LOG_ERROR, "reserve: cannot remove %s: %s", r->path, strerror(errno));
        return false;
    }
    srv_log(SRV_LOG_WARN,
            "reserve: the disk is full; released %zu bytes (%s) so that scan states can be "
            "recorded",
            r->bytes, r->path);
    r->told_no_room = true;
    return true;
}
