/* Declarations shared between core modules but not part of the public API. */
#ifndef IMGEDA_INTERNAL_H
#define IMGEDA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/record.h"

/* Hot pixel loops get an AVX2 clone chosen at load time (ifunc), so one portable binary runs
 * everywhere and vectorises where it can; results are identical (integer sums). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IE_HOT __attribute__((target_clones("avx2", "default")))
#else
#define IE_HOT
#endif

/* Fills the EXIF fields of r from an EXIF blob (with or without the "Exif\0\0" header).
 * A broken blob leaves the fields at their defaults. Thread-safe. */
void ie__exif_extract(const unsigned char *blob, size_t len, struct ie_record *r);

/* EXIF bytes found inside a container (core/exif_container.c): a view into the file's bytes,
 * or a copy in owned when they had to be decoded or gathered. */
struct ie_exif_bytes {
    const unsigned char *data;
    size_t len;
    unsigned char *owned;
};

/* Looks for EXIF where libvips gives none: PNG eXIf or "Raw profile type exif" text chunks, a
 * TIFF's own IFD0 (with its EXIF and GPS sub-IFDs), WebP's EXIF chunk, a HEIF/AVIF "Exif" item.
 * format is the sniffed format name ("PNG", "TIFF", "WEBP", "HEIF", "AVIF"; others find
 * nothing). Reads only inside buf[0, len). Returns true and fills x (release it with
 * ie__exif_bytes_release) when EXIF was found; x is zeroed otherwise. Thread-safe. */
bool ie__exif_find(const unsigned char *buf, size_t len, const char *format,
                   struct ie_exif_bytes *x);
void ie__exif_bytes_release(struct ie_exif_bytes *x);

/* Chooses the resampler's passes: true asks for the AVX2 passes (granted only when the CPU has
 * AVX2), false forces the scalar reference. Returns whether the AVX2 passes are now in use. For
 * tests and benchmarks; call before any thread resamples. */
bool ie__resample_set_simd(bool on);

/* Per-thread scratch buffers, reused across the images a thread analyses so that a scan does
 * not fault in (and libvips does not zero) fresh full-size buffers for every image: the pages of
 * a reused buffer are already mapped. They are thread-local storage rather than a context the
 * engine passes, because the public per-image calls (ie_analyze_*) keep their signatures and
 * core starts no thread; ie_thread_done() (which every thread that analyses must already call
 * for libvips) and ie_shutdown() free them. A buffer keeps the size of the largest image its
 * thread has seen, which is the peak a fresh buffer would reach anyway. */
enum ie__scratch_slot {
    IE_SCRATCH_DECODE,   /* the decoder's output at its own format */
    IE_SCRATCH_RGB,      /* that output converted to 8-bit RGB */
    IE_SCRATCH_WORK,     /* the working image after the Lanczos reduction */
    IE_SCRATCH_RESAMPLE, /* the Lanczos horizontal pass's intermediate rows */
    IE_SCRATCH_COUNT
};
/* A buffer of at least n bytes (contents undefined), valid until the next call for the same
 * slot on this thread or ie__scratch_release(). Aborts when memory runs out, as ie_xmalloc. */
void *ie__scratch(enum ie__scratch_slot which, size_t n);
void ie__scratch_release(void);
/* Frees the slots larger than keep bytes. Called after each image, so that one huge image does
 * not leave its buffers held by an idle thread while the others decode theirs (peak RSS grows
 * with threads x largest image otherwise); the common sizes stay and are reused. */
void ie__scratch_trim(size_t keep);
/* What ie__scratch_trim keeps after each image: a 1.3-Mpx RGB decode or a 2048x1365 working
 * image, the bulk of the datasets we see. */
#define IE__SCRATCH_KEEP ((size_t)8 << 20)
/* ie_resample_lanczos into a caller's buffer of ow*oh*bands bytes, its intermediate rows in the
 * IE_SCRATCH_RESAMPLE buffer. */
void ie__resample_into(const uint8_t *in, int w, int h, int bands, int ow, int oh, uint8_t *out);

/* The distinct paths of a manifest as 128-bit hashes, in first-seen order (core/path_index.c):
 * 20 bytes or so a path, whatever its length. Entries are numbered from 0; at most 2^32 - 1. */
struct ie__path_key {
    uint64_t lo, hi;
};
struct ie__path_index {
    struct ie__path_key *keys; /* by entry */
    uint32_t *slots;           /* entry + 1, or 0 when free */
    size_t n, cap, nslots;
};
void ie__path_index_init(struct ie__path_index *ix);
void ie__path_index_release(struct ie__path_index *ix);
/* Sets *entry to path's entry; returns true when it was there already, false when it was added
 * as the new last entry. */
bool ie__path_index_add(struct ie__path_index *ix, const char *path, size_t *entry);
/* Whether entry stands for path. */
bool ie__path_index_is(const struct ie__path_index *ix, size_t entry, const char *path);

#endif
