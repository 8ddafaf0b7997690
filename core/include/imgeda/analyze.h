/* Analysing one image (SPEC §3): options, library start-up, and the per-image pipeline
 * read -> hash bytes -> header -> pixel limit -> decode -> working image -> stats/hashes/EXIF.
 * THREADS: ie_analyze_* are thread-safe after ie_init(); each call uses only its arguments. */
#ifndef IMGEDA_ANALYZE_H
#define IMGEDA_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/options.h"
#include "imgeda/record.h"

/* Starts libvips for service use (one thread per image, no operation cache). Call once from
 * main before any thread. Returns 0 or IE_EINVAL with a message. */
int ie_init(const char *argv0, struct ie_err *err);
/* Releases per-thread libvips state; call at the end of work on a foreign (pool) thread. */
void ie_thread_done(void);
/* Shuts libvips down at exit. */
void ie_shutdown(void);

/* Analyses the file at fs_path into r (initialised by the caller). record_path is the UTF-8
 * path stored in the record (e.g. fs_path with non-UTF-8 bytes escaped). Never fails: problems
 * become is_corrupt + error. */
void ie_analyze_file(const char *fs_path, const char *record_path, const struct ie_scan_options *o,
                     struct ie_record *r);
/* The record of a file whose analysis failed outside the analyser (it timed out, or the
 * decoder crashed in an isolated worker): path, size, mtime, is_corrupt and why. */
void ie_analyze_failed(const char *fs_path, const char *record_path,
                       const struct ie_scan_options *o, const char *why, struct ie_record *r);
/* Same from bytes already in memory (st_size/mtime left as set by the caller). */
void ie_analyze_buffer(const void *buf, size_t len, const struct ie_scan_options *o,
                       struct ie_record *r);
/* The record of a file whose bytes the caller fetched (an object of a bucket): record_path,
 * size and mtime as listed, analysed from buf[0..len); more than o->max_file_bytes is "file too
 * large", as for a file on disk. Never fails. */
void ie_analyze_fetched(const void *buf, size_t len, const char *record_path, int64_t size,
                        double mtime, const struct ie_scan_options *o, struct ie_record *r);
/* The record of such a file that could not be fetched (deleted since it was listed, access
 * denied): record_path, size and mtime as listed, is_corrupt and why. */
void ie_analyze_fetch_failed(const char *record_path, int64_t size, double mtime, const char *why,
                             struct ie_record *r);

/* ---- building blocks, public for tests and tools ---- */

/* An 8-bit RGB raster, rows packed (stride = 3*w). */
struct ie_rgb {
    int w, h;
    uint8_t *px;
};

/* Pillow-compatible Lanczos resample of an 8-bit image with `bands` interleaved channels
 * (fixed-point, horizontal then vertical pass). Returns a malloc'd buffer of ow*oh*bands. */
uint8_t *ie_resample_lanczos(const uint8_t *in, int w, int h, int bands, int ow, int oh);
/* Pillow "L" conversion of an RGB raster: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. */
uint8_t *ie_rgb_to_luma(const struct ie_rgb *img);

void ie_compute_pixel_stats(const struct ie_rgb *img, struct ie_pixel_stats *ps);
void ie_compute_corner_stats(const struct ie_rgb *img, double patch_fraction,
                             struct ie_corner_stats *cs);
/* Variance of the wrap-around 4-neighbour Laplacian of (R+G+B)/3. */
double ie_compute_blur_score(const struct ie_rgb *img);
/* The blur score img would have at 1/k of its size (1 <= k <= 2), for a working image that the
 * fast profile left k times larger than the compatible one. The Laplacian's variance follows a
 * power law of the scale over an octave (v(s) ~ s^-g, g set by the image's own spectrum: 0 for
 * a 1/f spectrum, 4 for a smooth one), so it is measured at two scales, on img (v1) and on its
 * 2x2-mean half (v2), and interpolated in log-log: v(1/k) = v1^(1-t) * v2^t, t = log2(k). The
 * exponent is the image's, not a constant fitted to a corpus. k <= 1: the plain score. */
double ie_compute_blur_score_rescaled(const struct ie_rgb *img, double k);
/* imagehash-compatible phash (64x64 DCT, 16x16 low frequencies) and dhash (17x16). */
void ie_compute_phash(const uint8_t *luma, int w, int h, struct ie_hash256 *out);
void ie_compute_dhash(const uint8_t *luma, int w, int h, struct ie_hash256 *out);

#endif
