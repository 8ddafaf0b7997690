/* Request-head and body time limits on HTTP connections, kept by a watchdog (see http_guard.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_guard.h"
#include "imgeda/util.h"
#include "live.h"
#include "log.h"

/* How often the watchdog looks: limits are whole seconds, so a quarter second late at most. */
#define TICK_MS 250

/* One open connection. */
struct guarded {
    struct guarded *prev, *next;
    int fd;
    atomic_int phase;      /* enum srv_http_phase */
    atomic_llong since_ms; /* when it entered the phase (or last read body bytes) */
    bool shut;             /* the watchdog shut its socket down */
};

struct srv_http_guard {
    long long head_ms, body_ms;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stop;
    struct guarded *head; /* the open connections */
    pthread_t thread;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Shuts down the sockets of connections over their phase's limit; called with g->mu held. */
static void sweep_locked(struct srv_http_guard *g)
{
    long long now = now_ms();
    for (struct guarded *c = g->head; c; c = c->next) {
        int phase = atomic_load(&c->phase);
        long long limit = phase == SRV_HTTP_HEAD   ? g->head_ms
                          : phase == SRV_HTTP_BODY ? g->body_ms
                                                   : 0;
        if (c->shut || !limit || now - atomic_load(&c->since_ms) <= limit)
            continue;
        /* The connection's thread, waiting in poll(), sees the end of input and closes it. */
        shutdown(c->fd, SHUT_RDWR);
        c->shut = true;
        srv_log(SRV_LOG_DEBUG, "http: closed a connection that sent no whole request %s in %lld s",
                phase == SRV_HTTP_HEAD ? "head" : "body data", limit / 1000);
    }
}

static void *watchdog(void *arg)
{
    struct srv_http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec t = srv_deadline_after(TICK_MS);
        pthread_cond_timedwait(&g->wake, &g->mu, &t);
        if (!g->stop)
            sweep_locked(g);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int srv_http_guard_new(int header_timeout_s, int body_timeout_s, struct srv_http_guard **out,
                       struct ie_err *err)
{
    struct srv_http_guard *g = ie_xcalloc(1, sizeof(*g));
    g->head_ms = (long long)header_timeout_s * 1000;
    g->body_ms = (long long)body_timeout_s * 1000;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->wake, NULL);
    int rc = pthread_create(&g->thread, NULL, watchdog, g);
    if (rc != 0) {
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return ie_err_set(err, IE_EIO, "http: cannot start the connection watchdog: %s",
                          strerror(rc));
    }
    *out = g;
    return 0;
}

void srv_http_guard_free(struct srv_http_guard *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    /* MHD has stopped and notified every close, so the list should be empty; whatever a path
     * without a notification left is freed all the same. */
    while (g->head) {
        struct guarded *next = g->head->next;
        free(g->head);
        g->head = next;
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

void srv_http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                           enum MHD_ConnectionNotificationCode code)
{
    struct srv_http_guard *g = cls;
    struct guarded *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!fd)
            return;
        c = ie_xcalloc(1, sizeof(*c));
        c->fd = fd->connect_fd;
        atomic_init(&c->phase, SRV_HTTP_HEAD);
        atomic_init(&c->since_ms, now_ms());
        pthread_mutex_lock(&g->mu);
        c->next = g->head;
        if (g->head)
            g->head->prev = c;
        g->head = c;
        pthread_mutex_unlock(&g->mu);
        *socket_context = c;
        return;
    }
    if (!c)
        return;
    /* Closed: MHD closes the socket only after this returns. */
    pthread_mutex_lock(&g->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->mu);
    *socket_context = NULL;
    free(c);
}

void srv_http_guard_mark(struct MHD_Connection *conn, enum srv_http_phase phase)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct guarded *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    /* The time first, so that the watchdog never pairs the new phase with an old time. */
    atomic_store(&c->since_ms, now_ms());
    atomic_store(&c->phase, (int)phase);
}
