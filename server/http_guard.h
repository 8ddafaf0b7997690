/* Time limits on HTTP connections that libmicrohttpd does not have: a whole request head within
 * limits.header_timeout_s, a body that never pauses longer than limits.body_timeout_s.
 * DESIGN: MHD's own connection timeout is an idle timeout, which a client sending one byte now
 * and then never meets; and in thread-per-connection mode nothing of ours runs before a head is
 * complete. So MHD tells the guard of each connection's start and end, the request callbacks
 * tell it the phase a connection is in, and a watchdog thread shuts down (shutdown(2), never
 * close) the socket of one over its limit, which ends MHD's read and the connection with it.
 * THREADS: the notification runs on MHD's threads, srv_http_guard_mark on a connection's thread;
 * the list is under one mutex, which the watchdog also holds while it shuts a socket down, so
 * a socket MHD has closed (and whose number may be reused) is never touched. */
#ifndef IMGEDA_SERVER_HTTP_GUARD_H
#define IMGEDA_SERVER_HTTP_GUARD_H

#include <microhttpd.h>

#include "imgeda/err.h"

enum srv_http_phase {
    SRV_HTTP_HEAD,  /* waiting for a whole request head (a new or a kept-alive connection) */
    SRV_HTTP_BODY,  /* reading a request body */
    SRV_HTTP_REPLY, /* in the handler or sending its reply: no limit of the guard's */
};

struct srv_http_guard;

/* Starts the watchdog; fails with IE_EIO when its thread cannot start. */
int srv_http_guard_new(int header_timeout_s, int body_timeout_s, struct srv_http_guard **out,
                       struct ie_err *err);
/* Stops the watchdog and frees the guard; call after MHD_stop_daemon (which still notifies).
 * NULL is a no-op. */
void srv_http_guard_free(struct srv_http_guard *g);
/* MHD_OPTION_NOTIFY_CONNECTION's callback; cls is the guard. */
void srv_http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                           enum MHD_ConnectionNotificationCode code);
/* Records that conn entered phase now (SRV_HTTP_BODY again: the body made progress). */
void srv_http_guard_mark(struct MHD_Connection *conn, enum srv_http_phase phase);

#endif
