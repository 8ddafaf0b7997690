/* Error convention: functions return 0 or a negative IE_E* code and fill a caller-owned
 * struct ie_err with one complete line; on success the struct is left untouched. */
#ifndef IMGEDA_ERR_H
#define IMGEDA_ERR_H

#include <stddef.h>

enum {
    IE_OK = 0,
    IE_EIO = -1,       /* file or disk failure */
    IE_EINVAL = -2,    /* bad argument or malformed input */
    IE_ENOENT = -3,    /* no such file or entry */
    IE_ECANCELED = -4, /* cancelled by the caller */
    IE_EFORMAT = -5,   /* unsupported or undecodable data */
    IE_ELIMIT = -6,    /* a size limit was exceeded */
    IE_EPERM = -7,     /* permission denied or outside allowed roots */
    IE_ESTATE = -8,    /* not possible in the object's current state */
};

#define IE_ERR_MSG_MAX 512

struct ie_err {
    int code;
    char msg[IE_ERR_MSG_MAX];
};

/* Sets err (if non-NULL) and returns code, so callers can write `return ie_err_set(...)`. */
int ie_err_set(struct ie_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to "no error". */
void ie_err_clear(struct ie_err *err);

/* A short name for an IE_E* code ("io error", ...). Static storage. */
const char *ie_strerror(int code);

#endif
