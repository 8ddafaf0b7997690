/* Declarations shared between core modules but not part of the public API. */
#ifndef IMGEDA_INTERNAL_H
#define IMGEDA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "imgeda/record.h"

/* Hot pixel loops get an AVX2 clone chosen at load time (ifunc), so one portable binary runs
 * everywhere and vectorises where it can; results are identical (integer sums). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IE_HOT __attribute__((target_clones("avx2", "default")))
#else
#define IE_HOT
/* Chooses the resampler's passes: true asks for the AVX2 passes (granted only when the CPU has
 * AVX2), false forces the scalar reference. Returns whether the AVX2 passes are now in use. For
 * tests and benchmarks; call before any thread resamples. */
bool ie__resample_set_simd(bool on);

#endif

/* Fills the EXIF fields of r from an EXIF blob (with or without the "Exif\0\0" header).
 * A broken blob leaves the fields at their defaults. Thread-safe. */
void ie__exif_extract(const unsigned char *blob, size_t len, struct ie_record *r);

/* Chooses the resampler's passes: true asks for the AVX2 passes (granted only when the CPU has
 * AVX2), false forces the scalar reference. Returns whether the AVX2 passes are now in use. For
 * tests and benchmarks; call before any thread resamples. */
bool ie__resample_set_simd(bool on);

#endif
