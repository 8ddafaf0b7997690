/* The error convention's helpers (see imgeda/err.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "imgeda/err.h"

int ie_err_set(struct ie_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        /* One line: messages can carry text from files or libraries. */
        for (char *p = err->msg; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        err->code = code;
    }
    return code;
}

void ie_err_clear(struct ie_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *ie_strerror(int code)
{
    switch (code) {
    case IE_OK:
        return "ok";
    case IE_EIO:
        return "i/o error";
    case IE_EINVAL:
        return "invalid input";
    case IE_ENOENT:
        return "not found";
    case IE_ECANCELED:
        return "cancelled";
    case IE_EFORMAT:
        return "unsupported format";
    case IE_ELIMIT:
        return "limit exceeded";
    case IE_EPERM:
        return "permission denied";
    case IE_ESTATE:
        return "wrong state";
    default:
        return "unknown error";
    }
}
