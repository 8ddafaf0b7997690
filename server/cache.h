/* A bounded in-memory cache of computed results (summary, checks, duplicates, plots...) of
 * finished scans, whose records never change: the key includes the scan's finished_at, so a
 * resumed or re-imported scan misses naturally. Least recently used entries go first.
 * An instance belongs to whoever made it (the daemon hangs one off its context, a test makes its
 * own), so two caches never share anything.
 * THREADS: every function but srv_cache_free is thread-safe. */
#ifndef IMGEDA_SERVER_CACHE_H
#define IMGEDA_SERVER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct srv_cache;

/* The daemon's byte budget. */
#define SRV_CACHE_DEFAULT_BYTES ((size_t)256 << 20)

/* A new empty cache holding at most budget bytes (values plus keys); free with srv_cache_free. */
struct srv_cache *srv_cache_new(size_t budget);
/* Frees every entry and the cache, once no other thread uses it. NULL is a no-op. */
void srv_cache_free(struct srv_cache *c);
/* Returns a malloc'd copy of the cached value and its length, or NULL. */
void *srv_cache_get(struct srv_cache *c, const char *key, size_t *len, char **content_type);
/* True if key is cached (neither a hit nor a miss in the counters, and no copy). */
bool srv_cache_has(struct srv_cache *c, const char *key);
/* Stores a copy of data under key (replacing any). Values over a quarter of the budget are not
 * cached. */
void srv_cache_put(struct srv_cache *c, const char *key, const void *data, size_t len,
                   const char *content_type);
/* Counters since start, for /metrics: lookups that found (hits) or missed their key, and the
 * bytes held now. */
struct srv_cache_stats {
    uint64_t hits, misses;
    size_t bytes;
};
void srv_cache_stats(struct srv_cache *c, struct srv_cache_stats *st);
/* Drops every entry whose key starts with prefix (e.g. "<scan id>|"). */
void srv_cache_drop_prefix(struct srv_cache *c, const char *prefix);

#endif
