/* LRU result cache (see cache.h).
 * DESIGN: a doubly linked list in use order plus a linear-probing-free hash table of chains;
 * entries are few (hundreds) and large, so simplicity beats cleverness here. The last DROP_LOG
 * prefix drops are remembered by epoch, so a put can tell it was overtaken by one. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cache.h"
#include "imgeda/util.h"

#define NBUCKETS 1024
/* Drops remembered for srv_cache_put_since: a computation lasting longer than this many drops
 * (deletes of other scans) is not cached, which costs only a recomputation. */
#define DROP_LOG 64

struct entry {
    char *key;
    void *data;
    size_t len;
    char *content_type;
    struct entry *prev, *next; /* use order: head = most recent */
    struct entry *chain;       /* hash bucket */
};

/* One cache; lock guards everything in it. */
struct srv_cache {
    pthread_mutex_t lock;
    struct entry *buckets[NBUCKETS];
    struct entry *head, *tail;
    size_t used, budget;
    uint64_t hits, misses;
    /* Every srv_cache_drop_prefix bumps epoch and is remembered in drops[epoch % DROP_LOG]. */
    uint64_t epoch;
    char *drops[DROP_LOG];
};

static size_t bucket_of(const char *key)
{
    return (size_t)(XXH3_64bits(key, strlen(key)) % NBUCKETS);
}

static void unlink_use(struct srv_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(struct srv_cache *c, struct entry *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static struct entry *find(struct srv_cache *c, const char *key, struct entry ***link)
{
    struct entry **l = &c->buckets[bucket_of(key)];
    while (*l && strcmp((*l)->key, key) != 0)
        l = &(*l)->chain;
    if (link)
        *link = l;
    return *l;
}

static void drop(struct srv_cache *c, struct entry *e)
{
    struct entry **l;
    find(c, e->key, &l);
    *l = e->chain;
    unlink_use(c, e);
    c->used -= e->len + strlen(e->key);
    free(e->key);
    free(e->data);
    free(e->content_type);
    free(e);
}

struct srv_cache *srv_cache_new(size_t budget)
{
    struct srv_cache *c = ie_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    c->budget = budget;
    return c;
}

void srv_cache_free(struct srv_cache *c)
{
    if (!c)
        return;
    while (c->tail)
        drop(c, c->tail);
    for (size_t i = 0; i < DROP_LOG; i++)
        free(c->drops[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void *srv_cache_get(struct srv_cache *c, const char *key, size_t *len, char **content_type)
{
    void *copy = NULL;
    pthread_mutex_lock(&c->lock);
    struct entry *e = find(c, key, NULL);
    if (!e)
        c->misses++;
    if (e) {
        c->hits++;
        unlink_use(c, e);
        push_front(c, e);
        copy = ie_xmalloc(e->len + 1);
        memcpy(copy, e->data, e->len);
        ((char *)copy)[e->len] = '\0';
        *len = e->len;
        if (content_type)
            *content_type = ie_xstrdup(e->content_type);
    }
    pthread_mutex_unlock(&c->lock);
    return copy;
}

bool srv_cache_has(struct srv_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    bool found = find(c, key, NULL) != NULL;
    pthread_mutex_unlock(&c->lock);
    return found;
}

uint64_t srv_cache_epoch(struct srv_cache *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t e = c->epoch;
    pthread_mutex_unlock(&c->lock);
    return e;
}

/* True if a drop after epoch `since` covers key, or if such drops are no longer remembered. */
static bool dropped_since(const struct srv_cache *c, const char *key, uint64_t since)
{
    if (since > c->epoch || c->epoch - since > DROP_LOG)
        return true;
    for (uint64_t e = since + 1; e <= c->epoch; e++) {
        const char *prefix = c->drops[e % DROP_LOG];
        if (strncmp(key, prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

/* Stores a copy of data under key; c->lock held. */
static void put_locked(struct srv_cache *c, const char *key, const void *data, size_t len,
                       const char *content_type)
{
    if (len <= c->budget / 4) {
        struct entry *old = find(c, key, NULL);
        if (old)
            drop(c, old);
        struct entry *e = ie_xcalloc(1, sizeof(*e));
        e->key = ie_xstrdup(key);
        e->data = ie_xmalloc(len ? len : 1);
        memcpy(e->data, data, len);
        e->len = len;
        e->content_type = ie_xstrdup(content_type);
        struct entry **l;
        find(c, key, &l);
        *l = e;
        push_front(c, e);
        c->used += len + strlen(key);
        while (c->used > c->budget && c->tail && c->tail != e)
            drop(c, c->tail);
    }
}

void srv_cache_put(struct srv_cache *c, const char *key, const void *data, size_t len,
                   const char *content_type)
{
    pthread_mutex_lock(&c->lock);
    put_locked(c, key, data, len, content_type);
    pthread_mutex_unlock(&c->lock);
}

bool srv_cache_put_since(struct srv_cache *c, uint64_t since, const char *key, const void *data,
                         size_t len, const char *content_type)
{
    pthread_mutex_lock(&c->lock);
    bool stale = dropped_since(c, key, since);
    if (!stale)
        put_locked(c, key, data, len, content_type);
    pthread_mutex_unlock(&c->lock);
    return !stale;
}

void srv_cache_stats(struct srv_cache *c, struct srv_cache_stats *st)
{
    pthread_mutex_lock(&c->lock);
    st->hits = c->hits;
    st->misses = c->misses;
    st->bytes = c->used;
    pthread_mutex_unlock(&c->lock);
}

void srv_cache_drop_prefix(struct srv_cache *c, const char *prefix)
{
    size_t n = strlen(prefix);
    pthread_mutex_lock(&c->lock);
    c->epoch++;
    free(c->drops[c->epoch % DROP_LOG]);
    c->drops[c->epoch % DROP_LOG] = ie_xstrdup(prefix);
    for (struct entry *e = c->head; e;) {
        struct entry *next = e->next;
        if (strncmp(e->key, prefix, n) == 0)
            drop(c, e);
        e = next;
    }
    pthread_mutex_unlock(&c->lock);
}
