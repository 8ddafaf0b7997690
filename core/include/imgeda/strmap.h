/* An open-addressing hash map from strings to size_t values. Keys are not copied: they must
 * outlive the map. THREADS: one thread at a time. */
#ifndef IMGEDA_STRMAP_H
#define IMGEDA_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct ie_strmap {
    const char **keys;
    size_t *vals;
    size_t cap, n;
};
void ie_strmap_init(struct ie_strmap *m);
void ie_strmap_release(struct ie_strmap *m);
/* Inserts or replaces. */
void ie_strmap_put(struct ie_strmap *m, const char *key, size_t val);
/* Returns true and *val if present. */
bool ie_strmap_get(const struct ie_strmap *m, const char *key, size_t *val);

#endif
