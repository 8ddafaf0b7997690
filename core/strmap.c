/* String -> size_t hash map with linear probing, hashed with XXH3. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "imgeda/strmap.h"
#include "imgeda/util.h"

void ie_strmap_init(struct ie_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void ie_strmap_release(struct ie_strmap *m)
{
    free(m->keys);
    free(m->vals);
    ie_strmap_init(m);
}

static size_t slot_of(const struct ie_strmap *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)XXH3_64bits(key, strlen(key)) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & mask;
    return i;
}

static void rehash(struct ie_strmap *m, size_t ncap)
{
    struct ie_strmap old = *m;
    m->cap = ncap;
    m->keys = ie_xcalloc(ncap, sizeof(*m->keys));
    m->vals = ie_xcalloc(ncap, sizeof(*m->vals));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i]) {
            size_t s = slot_of(m, old.keys[i]);
            m->keys[s] = old.keys[i];
            m->vals[s] = old.vals[i];
        }
    }
    free(old.keys);
    free(old.vals);
}

void ie_strmap_put(struct ie_strmap *m, const char *key, size_t val)
{
    if ((m->n + 1) * 2 > m->cap)
        rehash(m, m->cap ? m->cap * 2 : 64);
    size_t s = slot_of(m, key);
    if (!m->keys[s])
        m->n++;
    m->keys[s] = key; /* the newest key pointer: an older equal key may be freed next */
    m->vals[s] = val;
}

bool ie_strmap_get(const struct ie_strmap *m, const char *key, size_t *val)
{
    if (!m->cap)
        return false;
    size_t s = slot_of(m, key);
    if (!m->keys[s])
        return false;
    *val = m->vals[s];
    return true;
}
