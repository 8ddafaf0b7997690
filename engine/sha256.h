/* SHA-256 (FIPS 180-4) of a buffer, for the payload hash of signed S3 PUTs: curl signs the
 * request but, for S3, leaves the x-amz-content-sha256 header to the caller.
 * THREADS: pure functions. */
#ifndef IMGEDA_ENGINE_SHA256_H
#define IMGEDA_ENGINE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of data[0..len) into out. */
void eng_sha256(const void *data, size_t len, uint8_t out[32]);
/* The same as 64 lowercase hex digits and a NUL. */
void eng_sha256_hex(const void *data, size_t len, char out[65]);

#endif
