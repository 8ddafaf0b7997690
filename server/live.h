/* The live state of the scans the job runner knows in this process (queued or running since it
 * started): status and progress between checkpoints, for scan replies, Server-Sent Events and
 * the CI gate, with a version that every change bumps so readers can wait for the next one.
 * The job runner sets a status here before it records it in SQLite, so for a scan known here
 * this state is never older than its row, and it is newer while SQLite refuses the write (a
 * full disk; the runner retries it): readers take the status from here (srv_live_get).
 * THREADS: written by the loop thread (the job runner); read and waited on from any thread. */
#ifndef IMGEDA_SERVER_LIVE_H
#define IMGEDA_SERVER_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "imgeda/err.h"
#include "imgeda/scan.h"

struct srv_live;

/* Live state of a scan for progress and SSE. */
struct srv_job_state {
    char status[16];
    char error[IE_ERR_MSG_MAX]; /* why it failed ("" when it did not) */
    char finished_at[40];       /* when it reached its final status ("" before) */
    struct ie_scan_progress p;
    uint64_t version;
};

/* An empty state (version 0); free with srv_live_free once nobody waits on it. */
struct srv_live *srv_live_new(void);
void srv_live_free(struct srv_live *l);

/* Sets scan id's status (unless NULL; clearing its error) and progress (unless NULL), adding
 * the scan if it is new; wakes the waiters. */
void srv_live_set(struct srv_live *l, const char *id, const char *status,
                  const struct ie_scan_progress *p);
/* Sets scan id's status and error (NULL: none), and its finish time when the status is final
 * (succeeded, failed, cancelled); wakes the waiters. */
void srv_live_set_status(struct srv_live *l, const char *id, const char *status, const char *error);
/* Forgets scan id (deleted); wakes the waiters. */
void srv_live_forget(struct srv_live *l, const char *id);
/* Shutdown: wakes the waiters, and srv_live_wait no longer waits. */
void srv_live_close(struct srv_live *l);
/* True once srv_live_close ran: a waiter must answer now (a 503, the end of a stream) rather
 * than wait again, since the daemon waits for its thread before it exits. */
bool srv_live_closed(struct srv_live *l);

/* Returns true if the scan is known to the job runner (queued or running this process). */
bool srv_live_get(struct srv_live *l, const char *id, struct srv_job_state *st);
/* The status of scan id: the job runner's latest (filling *st) if it knows the scan, else
 * row_status (SQLite's, which a full disk may hold back). The string lives in *st or row_status. */
const char *srv_live_status(struct srv_live *l, const char *id, const char *row_status,
                            struct srv_job_state *st);
/* Waits until any job state changes past `since` or timeout_ms passes; returns the version. */
uint64_t srv_live_wait(struct srv_live *l, uint64_t since, int timeout_ms);

/* The absolute time timeout_ms from now, for pthread_cond_timedwait (also warm.c's, db.c's
 * and http_guard.c's). */
struct timespec srv_deadline_after(int timeout_ms);

#endif
