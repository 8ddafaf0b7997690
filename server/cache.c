/* LRU result cache (see cache.h).
 * DESIGN: a doubly linked list in use order plus a linear-probing-free hash table of chains;
 * entries are few (hundreds) and large, so simplicity beats cleverness here. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cache.h"
#include "imgeda/util.h"

#define NBUCKETS 1024

struct entry {
    char *key;
    void *data;
    size_t len;
    char *content_type;
    struct entry *prev, *next; /* use order: head = most recent */
    struct entry *chain;       /* hash bucket */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static struct entry *head, *tail;
static size_t used, budget = 256u << 20;
static uint64_t hits, misses;

static size_t bucket_of(const char *key)
{
    return (size_t)(XXH3_64bits(key, strlen(key)) % NBUCKETS);
}

static void unlink_use(struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(struct entry *e)
{
    e->next = head;
    e->prev = NULL;
    if (head)
        head->prev = e;
    head = e;
    if (!tail)
        tail = e;
}

static struct entry *find(const char *key, struct entry ***link)
{
    struct entry **l = &buckets[bucket_of(key)];
    while (*l && strcmp((*l)->key, key) != 0)
        l = &(*l)->chain;
    if (link)
        *link = l;
    return *l;
}

static void drop(struct entry *e)
{
    struct entry **l;
    find(e->key, &l);
    *l = e->chain;
    unlink_use(e);
    used -= e->len + strlen(e->key);
    free(e->key);
    free(e->data);
    free(e->content_type);
    free(e);
}

void srv_cache_set_budget(size_t bytes)
{
    pthread_mutex_lock(&lock);
    budget = bytes;
    while (used > budget && tail)
        drop(tail);
    pthread_mutex_unlock(&lock);
}

void *srv_cache_get(const char *key, size_t *len, char **content_type)
{
    void *copy = NULL;
    pthread_mutex_lock(&lock);
    struct entry *e = find(key, NULL);
    if (!e)
        misses++;
    if (e) {
        hits++;
        unlink_use(e);
        push_front(e);
        copy = ie_xmalloc(e->len + 1);
        memcpy(copy, e->data, e->len);
        ((char *)copy)[e->len] = '\0';
        *len = e->len;
        if (content_type)
            *content_type = ie_xstrdup(e->content_type);
    }
    pthread_mutex_unlock(&lock);
    return copy;
}

bool srv_cache_has(const char *key)
{
    pthread_mutex_lock(&lock);
    bool found = find(key, NULL) != NULL;
    pthread_mutex_unlock(&lock);
    return found;
}

void srv_cache_put(const char *key, const void *data, size_t len, const char *content_type)
{
    pthread_mutex_lock(&lock);
    if (len <= budget / 4) {
        struct entry *old = find(key, NULL);
        if (old)
            drop(old);
        struct entry *e = ie_xcalloc(1, sizeof(*e));
        e->key = ie_xstrdup(key);
        e->data = ie_xmalloc(len ? len : 1);
        memcpy(e->data, data, len);
        e->len = len;
        e->content_type = ie_xstrdup(content_type);
        struct entry **l;
        find(key, &l);
        *l = e;
        push_front(e);
        used += len + strlen(key);
        while (used > budget && tail && tail != e)
            drop(tail);
    }
    pthread_mutex_unlock(&lock);
}

void srv_cache_stats(struct srv_cache_stats *st)
{
    pthread_mutex_lock(&lock);
    st->hits = hits;
    st->misses = misses;
    st->bytes = used;
    pthread_mutex_unlock(&lock);
}

void srv_cache_drop_prefix(const char *prefix)
{
    size_t n = strlen(prefix);
    pthread_mutex_lock(&lock);
    for (struct entry *e = head; e;) {
        struct entry *next = e->next;
        if (strncmp(e->key, prefix, n) == 0)
            drop(e);
        e = next;
    }
    pthread_mutex_unlock(&lock);
}

void srv_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    while (tail)
        drop(tail);
    pthread_mutex_unlock(&lock);
}
