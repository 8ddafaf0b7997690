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
/* Drops every entry whose key starts with prefix (e.g. "<scan id>|": DELETE), and remembers the
 * drop for srv_cache_put_since. */
void srv_cache_drop_prefix(struct srv_cache *c, const char *prefix);
/* The number of drops so far. A request takes it before it reads what it computes from (the
 * scan's row), and hands it to srv_cache_put_since. */
uint64_t srv_cache_epoch(struct srv_cache *c);
/* srv_cache_put, unless a drop after epoch `since` covered key: then the result was computed
 * from a scan deleted meanwhile and would otherwise outlive it in the cache. Also refuses when
 * too many drops have happened since to tell. Returns true if stored (or too large to be). */
bool srv_cache_put_since(struct srv_cache *c, uint64_t since, const char *key, const void *data,
                         size_t len, const char *content_type);

#endif
