/* The daemon's one logging function (see log.h).
 * DESIGN: stderr is locked for the line, so lines of concurrent threads never mix; the level is
 * one of the globals the daemon allows (set at start-up, then only read). */
#include <stdarg.h>
#include <stdio.h>

#include "imgeda/util.h"
#include "log.h"

static enum srv_log_level min_level = SRV_LOG_INFO;

void srv_log_set_level(enum srv_log_level level)
{
    min_level = level;
}

void srv_log(enum srv_log_level level, const char *fmt, ...)
{
    char now[40];
    va_list ap;
    if (level < min_level)
        return;
    ie_now_iso(now, sizeof(now));
    flockfile(stderr);
    fprintf(stderr, "%.23s %s ", now, srv_log_level_name(level));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}
