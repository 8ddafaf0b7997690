/* The daemon's heap under image work (see memory.h).
 * DESIGN: decoding an image allocates megabytes on whatever thread asks, and with one thread
 * per connection glibc spreads those allocations over up to 8 arenas per core; freed memory in
 * the middle of an arena is not given back by free(), so a burst of thumbnails left the daemon
 * at many times its size for good. Three things bound it: few arenas (SRV_MEMORY_ARENAS), a
 * gate on concurrent decodes (the working set is at most that many images), and malloc_trim
 * once decodes have paused for a second (the free pages go back to the kernel).
 * THREADS: each gate has one thread of its own, the trimmer. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "imgeda/util.h"
#include "live.h"
#include "memory.h"

void srv_memory_init(void)
{
#ifdef __GLIBC__
    /* The operator's setting wins: it is the documented way to tune glibc. */
    const char *env = getenv("MALLOC_ARENA_MAX");
    if (!env || !*env)
        mallopt(M_ARENA_MAX, SRV_MEMORY_ARENAS);
#endif
}

void srv_memory_trim(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

struct srv_memory_gate {
    pthread_mutex_t lock;
    pthread_cond_t freed; /* a place was given back */
    pthread_cond_t wake;  /* for the trimmer: a decode began or ended, or the gate closes */
    pthread_t trimmer;
    int slots, wait_ms;
    int inside, waiting;
    unsigned long long entries, refused;
    bool dirty;   /* decodes ended since the last trim */
    bool closing; /* srv_memory_gate_free: the trimmer ends */
};

/* The trimmer thread: once decodes have ended and none began for SRV_MEMORY_TRIM_IDLE_MS, it
 * trims the heap. Waiting for a quiet spell keeps the trim (milliseconds: it walks the heap and
 * the pages fault back in later) off the path of a steady stream of thumbnails, where the
 * gate already bounds memory, while a burst still gives its memory back a second after it. */
static void *trimmer_main(void *arg)
{
    struct srv_memory_gate *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->closing) {
        if (!g->dirty || g->inside > 0 || g->waiting > 0) {
            pthread_cond_wait(&g->wake, &g->lock);
            continue;
        }
        unsigned long long seen = g->entries;
        struct timespec quiet = srv_deadline_after(SRV_MEMORY_TRIM_IDLE_MS);
        while (!g->closing && g->entries == seen)
            if (pthread_cond_timedwait(&g->wake, &g->lock, &quiet) == ETIMEDOUT)
                break;
        if (g->closing || g->entries != seen)
            continue;
        g->dirty = false;
        /* Outside the lock: decodes must not wait for the trim. */
        pthread_mutex_unlock(&g->lock);
        srv_memory_trim();
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

struct srv_memory_gate *srv_memory_gate_new(int slots, int wait_ms)
{
    struct srv_memory_gate *g = ie_xcalloc(1, sizeof(*g));
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->freed, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->slots = slots > 0 ? slots : 1;
    g->wait_ms = wait_ms > 0 ? wait_ms : 0;
    if (pthread_create(&g->trimmer, NULL, trimmer_main, g) != 0)
        abort(); /* at start-up, fails only when out of memory or threads */
    return g;
}

void srv_memory_gate_free(struct srv_memory_gate *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->closing = true;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->trimmer, NULL);
    pthread_cond_destroy(&g->wake);
    pthread_cond_destroy(&g->freed);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

bool srv_memory_gate_enter(struct srv_memory_gate *g)
{
    if (!g)
        return true;
    struct timespec deadline = srv_deadline_after(g->wait_ms);
    bool in = false;
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    while (g->inside >= g->slots)
        if (g->wait_ms == 0 || pthread_cond_timedwait(&g->freed, &g->lock, &deadline) == ETIMEDOUT)
            break;
    g->waiting--;
    /* A waiter whose time ran out still takes a place that was given back meanwhile. */
    if (g->inside < g->slots) {
        g->inside++;
        g->entries++;
        in = true;
        pthread_cond_signal(&g->wake);
    } else {
        g->refused++;
    }
    pthread_mutex_unlock(&g->lock);
    return in;
}

void srv_memory_gate_leave(struct srv_memory_gate *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    g->inside--;
    g->dirty = true;
    pthread_cond_signal(&g->freed);
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
}

void srv_memory_gate_stats(struct srv_memory_gate *g, int *inside, unsigned long long *refused)
{
    *inside = 0;
    *refused = 0;
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    *inside = g->inside;
    *refused = g->refused;
    pthread_mutex_unlock(&g->lock);
}
