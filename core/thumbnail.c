/* JPEG thumbnails of image files (or of images in memory), with the scan's pixel limit checked on
 * the header first. */
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "imgeda/thumbnail.h"
#include "imgeda/util.h"

/* Copies libvips' error text into err with code and clears libvips' (per-process) buffer. */
static int vips_fail(struct ie_err *err, int code, const char *what)
{
    char *e = vips_error_buffer_copy();
    size_t n = e ? strlen(e) : 0;
    while (n && (e[n - 1] == '\n' || e[n - 1] == ' '))
        e[--n] = '\0';
    ie_err_set(err, code, "%s: %.200s", what, e && *e ? e : "unknown error");
    g_free(e);
    return code;
}

/* The thumbnail of an image opened from a file (path) or from memory (data, n). */
static int thumbnail(const char *path, const void *data, size_t n_data, int size,
                     int64_t max_pixels, void **jpeg, size_t *len, struct ie_err *err)
{
    VipsImage *header = NULL, *thumb = NULL;
    void *buf = NULL;
    size_t n = 0;
    int rc = 0;

    *jpeg = NULL;
    *len = 0;
    if (size < 1 || size > 16384)
        return ie_err_set(err, IE_EINVAL, "thumbnail size %d is not in 1..16384", size);
    /* Opening reads the header only; pixels are decoded by vips_thumbnail below. */
    if (path)
        header = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                          VIPS_FAIL_ON_ERROR, NULL);
    else
        header = vips_image_new_from_buffer(data, n_data, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                            "fail_on", VIPS_FAIL_ON_ERROR, NULL);
    if (!header) {
        rc = vips_fail(err, IE_EFORMAT, "cannot make a thumbnail of this image");
        goto out;
    }
    int64_t pixels = (int64_t)header->Xsize * header->Ysize;
    if (pixels > max_pixels) {
        rc = ie_err_set(err, IE_ELIMIT,
                        "cannot make a thumbnail of this image: it exceeds the pixel limit "
                        "(%dx%d > %lld pixels)",
                        header->Xsize, header->Ysize, (long long)max_pixels);
        goto out;
    }
    int made = path ? vips_thumbnail(path, &thumb, size, "fail_on", VIPS_FAIL_ON_ERROR, NULL)
                    /* libvips 8.14's buffer opener ignores the fail_on property but reads
                     * the loader's option string: without it a truncated JPEG would give a
                     * grey thumbnail here and an error from a file. */
                    : vips_thumbnail_buffer((void *)data, n_data, &thumb, size, "option_string",
                                            "fail_on=error", NULL);
    if (made != 0 || vips_jpegsave_buffer(thumb, &buf, &n, "Q", 82, "strip", TRUE, NULL) != 0) {
        rc = vips_fail(err, IE_EFORMAT, "cannot make a thumbnail of this image");
        goto out;
    }
    *jpeg = ie_xmalloc(n);
    memcpy(*jpeg, buf, n);
    *len = n;
out:
    g_free(buf);
    if (thumb)
        g_object_unref(thumb);
    if (header)
        g_object_unref(header);
    vips_thread_shutdown();
    return rc;
}

int ie_thumbnail_jpeg(const char *path, int size, int64_t max_pixels, void **jpeg, size_t *len,
                      struct ie_err *err)
{
    return thumbnail(path, NULL, 0, size, max_pixels, jpeg, len, err);
}

int ie_thumbnail_jpeg_buffer(const void *data, size_t n, int size, int64_t max_pixels, void **jpeg,
                             size_t *len, struct ie_err *err)
{
    return thumbnail(NULL, data, n, size, max_pixels, jpeg, len, err);
}
