/* The daemon's log: one line per message on stderr, "<time> <level> <text>", below a level
 * set once from the configuration.
 * THREADS: srv_log_set_level before any thread starts (main); srv_log from any thread (each
 * line is written whole). */
#ifndef IMGEDA_SERVER_LOG_H
#define IMGEDA_SERVER_LOG_H

#include "config.h"

/* Messages below level are dropped (SRV_LOG_INFO until this is called). */
void srv_log_set_level(enum srv_log_level level);
/* Logs one line; the text names its part of the daemon first (e.g. "jobs: scan ... started"). */
void srv_log(enum srv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
