/* The live state of scans (see live.h).
 * DESIGN: a small array under one mutex; entries are the scans queued or run since start, so a
 * linear search is enough. One condition variable announces every change to all waiters (SSE
 * streams, CI gates), which compare versions to know whether anything changed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"
#include "live.h"

struct state_entry {
    char id[40];
    struct srv_job_state st;
};

struct srv_live {
    pthread_mutex_t slock;
    pthread_cond_t scond;
    struct state_entry *states;
    size_t n_states, cap_states;
    uint64_t version;
    bool closed;
};

struct srv_live *srv_live_new(void)
{
    struct srv_live *l = ie_xcalloc(1, sizeof(*l));
    pthread_mutex_init(&l->slock, NULL);
    pthread_cond_init(&l->scond, NULL);
    return l;
}

void srv_live_free(struct srv_live *l)
{
    if (!l)
        return;
    free(l->states);
    pthread_mutex_destroy(&l->slock);
    pthread_cond_destroy(&l->scond);
    free(l);
}

static struct state_entry *state_find(struct srv_live *l, const char *id)
{
    for (size_t i = 0; i < l->n_states; i++)
        if (strcmp(l->states[i].id, id) == 0)
            return &l->states[i];
    return NULL;
}

/* The entry of scan id, added if it is new. Under slock. */
static struct state_entry *state_get(struct srv_live *l, const char *id)
{
    struct state_entry *e = state_find(l, id);
    if (!e) {
        ie_grow((void **)&l->states, &l->cap_states, l->n_states + 1, sizeof(*l->states));
        e = &l->states[l->n_states++];
        memset(e, 0, sizeof(*e));
        snprintf(e->id, sizeof(e->id), "%s", id);
    }
    return e;
}

/* Sets the status, error and finish time; under slock. */
static void state_set_status(struct state_entry *e, const char *status, const char *error)
{
    bool final = strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
                 strcmp(status, "cancelled") == 0;
    snprintf(e->st.status, sizeof(e->st.status), "%s", status);
    snprintf(e->st.error, sizeof(e->st.error), "%s", error ? error : "");
    e->st.finished_at[0] = '\0';
    if (final)
        ie_now_iso(e->st.finished_at, sizeof(e->st.finished_at));
}

void srv_live_set(struct srv_live *l, const char *id, const char *status,
                  const struct ie_scan_progress *p)
{
    pthread_mutex_lock(&l->slock);
    struct state_entry *e = state_get(l, id);
    if (status)
        state_set_status(e, status, NULL);
    if (p)
        e->st.p = *p;
    e->st.version = ++l->version;
    pthread_cond_broadcast(&l->scond);
    pthread_mutex_unlock(&l->slock);
}

void srv_live_set_status(struct srv_live *l, const char *id, const char *status, const char *error)
{
    pthread_mutex_lock(&l->slock);
    struct state_entry *e = state_get(l, id);
    state_set_status(e, status, error);
    e->st.version = ++l->version;
    pthread_cond_broadcast(&l->scond);
    pthread_mutex_unlock(&l->slock);
}

void srv_live_forget(struct srv_live *l, const char *id)
{
    pthread_mutex_lock(&l->slock);
    struct state_entry *e = state_find(l, id);
    if (e) {
        *e = l->states[--l->n_states];
        l->version++;
        pthread_cond_broadcast(&l->scond);
    }
    pthread_mutex_unlock(&l->slock);
}

void srv_live_close(struct srv_live *l)
{
    pthread_mutex_lock(&l->slock);
    l->closed = true;
    pthread_cond_broadcast(&l->scond);
    pthread_mutex_unlock(&l->slock);
}

bool srv_live_closed(struct srv_live *l)
{
    pthread_mutex_lock(&l->slock);
    bool closed = l->closed;
    pthread_mutex_unlock(&l->slock);
    return closed;
}

bool srv_live_get(struct srv_live *l, const char *id, struct srv_job_state *st)
{
    pthread_mutex_lock(&l->slock);
    struct state_entry *e = state_find(l, id);
    if (e)
        *st = e->st;
    pthread_mutex_unlock(&l->slock);
    return e != NULL;
}

struct timespec srv_deadline_after(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

uint64_t srv_live_wait(struct srv_live *l, uint64_t since, int timeout_ms)
{
    struct timespec ts = srv_deadline_after(timeout_ms);
    pthread_mutex_lock(&l->slock);
    while (l->version <= since && !l->closed)
        if (pthread_cond_timedwait(&l->scond, &l->slock, &ts) == ETIMEDOUT)
            break;
    uint64_t v = l->version;
    pthread_mutex_unlock(&l->slock);
    return v;
}

const char *srv_live_status(struct srv_live *l, const char *id, const char *row_status,
                            struct srv_job_state *st)
{
    return srv_live_get(l, id, st) ? st->status : row_status;
}
