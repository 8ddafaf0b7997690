/* A bounded in-memory cache of computed results (summary, checks, duplicates, plots...) of
 * finished scans, whose records never change: the key includes the scan's finished_at, so a
 * resumed or re-imported scan misses naturally. Least recently used entries go first.
 * THREADS: every function is thread-safe. */
#ifndef IMGEDA_SERVER_CACHE_H
#define IMGEDA_SERVER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sets the byte budget (default 256 MiB). */
void srv_cache_set_budget(size_t bytes);
/* Returns a malloc'd copy of the cached value and its length, or NULL. */
void *srv_cache_get(const char *key, size_t *len, char **content_type);
/* True if key is cached (neither a hit nor a miss in the counters, and no copy). */
bool srv_cache_has(const char *key);
/* Stores a copy of data under key (replacing any). Values over a quarter of the budget are not
 * cached. */
void srv_cache_put(const char *key, const void *data, size_t len, const char *content_type);
/* Counters since start, for /metrics: lookups that found (hits) or missed their key, and the
 * bytes held now. */
struct srv_cache_stats {
    uint64_t hits, misses;
    size_t bytes;
};
void srv_cache_stats(struct srv_cache_stats *st);
/* Drops every entry whose key starts with prefix (e.g. "<scan id>|"). */
void srv_cache_drop_prefix(const char *prefix);
/* Frees everything (at exit). */
void srv_cache_clear(void);

#endif
