/* Streamed request bodies (see upload.h): a temporary file per upload, written as MHD hands over
 * the pieces, removed unless the handler moved it. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgeda/util.h"
#include "upload.h"

struct srv_upload {
    char *path;
    int fd;
    int64_t max, len;
    bool too_large;
    int write_errno; /* the first failed write's errno, or 0 */
    dev_t dev;       /* the file's identity, so srv_upload_free never removes another file */
    ino_t ino;       /* that took the name after the handler moved this one away */
};

bool srv_upload_route(const char *method, const char *url)
{
    return strcmp(method, "POST") == 0 && strcmp(url, "/api/v1/manifests") == 0;
}

void srv_upload_too_large_text(char *out, size_t n, int64_t max)
{
    snprintf(out, n,
             "manifest upload exceeds %lld bytes (import.max_bytes in the daemon's config; raise "
             "it to import larger manifests); nothing was imported",
             (long long)max);
}

int srv_upload_open(const char *data_dir, int64_t max, struct srv_upload **out, struct ie_err *err)
{
    struct ie_buf path;
    struct stat st;
    ie_buf_init(&path);
    ie_buf_addf(&path, "%s/tmp", data_dir);
    mkdir(path.data, 0755);
    ie_buf_adds(&path, "/upload_XXXXXX");
    int fd = mkstemp(path.data);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int rc = ie_err_set(err, IE_EIO, "cannot store the upload in %s/tmp: %s", data_dir,
                            strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(path.data);
        }
        ie_buf_release(&path);
        return rc;
    }
    struct srv_upload *u = ie_xcalloc(1, sizeof(*u));
    u->path = ie_buf_detach(&path);
    u->fd = fd;
    u->max = max;
    u->dev = st.st_dev;
    u->ino = st.st_ino;
    *out = u;
    return 0;
}

/* Stops writing: what is written is dropped at once (the name stays until srv_upload_free). */
static void discard(struct srv_upload *u)
{
    if (ftruncate(u->fd, 0) < 0 && !u->write_errno)
        u->write_errno = errno;
}

void srv_upload_add(struct srv_upload *u, const char *data, size_t n)
{
    if (u->too_large || u->write_errno)
        return;
    if ((int64_t)n > u->max - u->len) {
        u->too_large = true;
        discard(u);
        return;
    }
    u->len += (int64_t)n;
    while (n > 0) {
        ssize_t w = write(u->fd, data, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            u->write_errno = errno;
            discard(u);
            return;
        }
        data += w;
        n -= (size_t)w;
    }
}

int srv_upload_finish(struct srv_upload *u, struct ie_err *err)
{
    if (u->too_large) {
        char msg[256];
        srv_upload_too_large_text(msg, sizeof(msg), u->max);
        return ie_err_set(err, IE_ELIMIT, "%s", msg);
    }
    if (u->write_errno)
        return ie_err_set(err, IE_EIO, "cannot store the upload: %s; nothing was imported",
                          strerror(u->write_errno));
    return 0;
}

const char *srv_upload_path(const struct srv_upload *u)
{
    return u->path;
}

void srv_upload_free(struct srv_upload *u)
{
    struct stat st;
    if (!u)
        return;
    if (stat(u->path, &st) == 0 && st.st_dev == u->dev && st.st_ino == u->ino)
        unlink(u->path);
    close(u->fd);
    free(u->path);
    free(u);
}

void srv_upload_sweep(const char *data_dir)
{
    struct ie_buf path;
    ie_buf_init(&path);
    ie_buf_addf(&path, "%s/tmp", data_dir);
    size_t dir_len = path.len;
    DIR *d = opendir(path.data);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "upload_", 7) != 0)
            continue;
        path.len = dir_len;
        ie_buf_addf(&path, "/%s", e->d_name);
        unlink(path.data);
    }
    if (d)
        closedir(d);
    ie_buf_release(&path);
}
