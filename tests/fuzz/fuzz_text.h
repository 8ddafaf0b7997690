/* Fuzz inputs as C strings, the way the daemon receives text that ends at a NUL (command-line
 * arguments, query values, JSON it printed itself). */
#ifndef IMGEDA_FUZZ_TEXT_H
#define IMGEDA_FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input up to its first NUL, as a malloc'd string. Not strndup: with ASan's
 * strict_string_checks it reads the unterminated input past its end. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

#endif
