/* Thumbnails of image files for previews (the daemon's thumbnail endpoint). Decoding stays in
 * the core, under the same pixel limit as a scan: no pixel is decoded before width x height is
 * checked against max_pixels.
 * THREADS: safe from any thread; each call releases libvips' per-thread state at its end. */
#ifndef IMGEDA_THUMBNAIL_H
#define IMGEDA_THUMBNAIL_H

#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"

/* Makes a JPEG (quality 82, metadata stripped) of the image file at path whose longer side is
 * at most size pixels (1..16384). The file's header is read first: an image of more than
 * max_pixels pixels is refused with IE_ELIMIT before any pixel is decoded. Returns 0 with
 * *jpeg (malloc'd, the caller frees it) and *len, or IE_EINVAL (bad size), IE_ELIMIT, or
 * IE_EFORMAT (missing, unreadable or undecodable file) with a message in err. */
int ie_thumbnail_jpeg(const char *path, int size, int64_t max_pixels, void **jpeg, size_t *len,
                      struct ie_err *err);
/* The same for an image already in memory (data[0..n), e.g. an object fetched from a bucket),
 * with the same pixel-limit check on its header before any pixel is decoded. data must stay
 * valid during the call. */
int ie_thumbnail_jpeg_buffer(const void *data, size_t n, int size, int64_t max_pixels, void **jpeg,
                             size_t *len, struct ie_err *err);

#endif
