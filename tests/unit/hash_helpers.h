/* Seeded random 256-bit hashes for the duplicate and leakage tests. */
#ifndef IE_TEST_HASH_HELPERS_H
#define IE_TEST_HASH_HELPERS_H

#include <stdint.h>

#include "imgeda/record.h"

/* splitmix64: small, seedable, deterministic. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline struct ie_hash256 random_hash(uint64_t *s)
{
    struct ie_hash256 h;
    for (int k = 0; k < 4; k++)
        h.w[k] = rng_next(s);
    return h;
}

/* base with exactly k distinct bits flipped. */
static inline struct ie_hash256 flip_bits(struct ie_hash256 base, int k, uint64_t *s)
{
    struct ie_hash256 mask = {{0, 0, 0, 0}};
    int set = 0;
    while (set < k) {
        unsigned p = (unsigned)(rng_next(s) % 256);
        uint64_t bit = 1ull << (p % 64);
        if (!(mask.w[p / 64] & bit)) {
            mask.w[p / 64] |= bit;
            set++;
        }
    }
    for (int j = 0; j < 4; j++)
        base.w[j] ^= mask.w[j];
    return base;
}

#endif
