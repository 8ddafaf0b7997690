/* Isolated analysis in worker processes (see worker.h).
 * DESIGN: the parent side runs on a pool thread that owns one worker; a worker analyses one
 * file at a time, so a timeout or a crash is charged to exactly that file. Frames are a 32-bit
 * length and bytes over a SOCK_STREAM socketpair (send with MSG_NOSIGNAL: a dead worker must
 * not SIGPIPE the daemon). The options go over as the struct's bytes (same executable, same
 * layout) plus the confinement's roots as strings. Workers die with their parent
 * (PR_SET_PDEATHSIG) and are recycled every RECYCLE_AFTER files to bound their memory. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/worker.h"
#include "imgeda/analyze.h"
#include "imgeda/confine.h"
#include "imgeda/scan.h"
#include "imgeda/util.h"

extern char **environ;

#define RECYCLE_AFTER  2000
#define MAX_PATH_FRAME (64u << 10)
#define MAX_LINE_FRAME (16u << 20)
#define CHILD_FD       3

/* ---- framing ---- */

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int send_frame(int fd, const void *p, size_t n)
{
    uint32_t len = (uint32_t)n;
    return send_all(fd, &len, sizeof(len)) < 0 || send_all(fd, p, n) < 0 ? -1 : 0;
}

/* Reads n bytes, blocking (the worker side). 0, or -1 on EOF or error. */
static int recv_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t k = recv(fd, c, n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* A frame of at most max bytes, NUL-terminated (malloc'd), or NULL on EOF/error/oversize; its
 * length in *n when n is not NULL. */
static char *recv_frame_n(int fd, size_t max, size_t *n)
{
    uint32_t len;
    if (recv_all(fd, &len, sizeof(len)) < 0 || len > max)
        return NULL;
    char *s = ie_xmalloc((size_t)len + 1);
    if (recv_all(fd, s, len) < 0) {
        free(s);
        return NULL;
    }
    s[len] = '\0';
    if (n)
        *n = len;
    return s;
}

static char *recv_frame(int fd, size_t max)
{
    return recv_frame_n(fd, max, NULL);
}

/* ---- the worker process ---- */

#ifdef IE_FAULT_INJECTION
/* Test builds only: IMGEDA_FAULT_INJECT="crash=NAME,spin=NAME" makes the worker crash inside
 * analysis, or spin forever, on a file of that base name (tests/integration/test_isolation.sh). */
static void inject_fault(const char *record_path)
{
    const char *spec = getenv("IMGEDA_FAULT_INJECT");
    const char *base = strrchr(record_path, '/');
    char want[300];
    base = base ? base + 1 : record_path;
    if (!spec)
        return;
    snprintf(want, sizeof(want), "crash=%s", base);
    if (strstr(spec, want))
        raise(SIGSEGV);
    snprintf(want, sizeof(want), "spin=%s", base);
    if (strstr(spec, want))
        for (volatile unsigned long i = 0;; i++)
            ;
}
#else
static void inject_fault(const char *record_path)
{
    (void)record_path;
}
#endif

/* Reads the options frame and the confinement's roots; o->confine points at c. */
static int worker_read_options(int fd, struct ie_scan_options *o, struct ie_confine *c)
{
    char *blob = recv_frame(fd, sizeof(*o));
    uint32_t n;
    int rc = -1;
    if (!blob)
        return -1;
    memcpy(o, blob, sizeof(*o));
    free(blob);
    o->confine = NULL;
    if (recv_all(fd, &n, sizeof(n)) < 0 || n > 4096)
        return -1;
    char **roots = ie_xcalloc(n ? n : 1, sizeof(*roots));
    for (uint32_t i = 0; i < n; i++)
        if (!(roots[i] = recv_frame(fd, MAX_PATH_FRAME)))
            goto out;
    if (n) {
        ie_confine_init(c, (const char *const *)roots, n);
        o->confine = c;
    }
    rc = 0;
out:
    for (uint32_t i = 0; i < n; i++)
        free(roots[i]);
    free(roots);
    return rc;
}

/* What a request asks after its two paths: a file on disk (an empty frame), or fetched bytes (a
 * frame holding the listed size and mtime, then one of the bytes). */
struct fetched_meta {
    int64_t size;
    double mtime;
};

/* Reads the rest of a request and analyses it into *line. Returns 0, or -1 when the parent
 * has gone (EOF or a malformed frame). */
static int worker_analyze_request(int fd, const struct ie_scan_options *o, char *fs, char *rec,
                                  char **line, uint8_t *flags, int64_t *bytes)
{
    size_t n = 0, len = 0;
    struct fetched_meta m;
    char *meta = recv_frame_n(fd, sizeof(m), &n);
    if (!meta)
        return -1;
    memcpy(&m, meta, n == sizeof(m) ? sizeof(m) : 0);
    free(meta);
    if (n == 0) {
        ie_scan_analyze_one(o, fs, rec, line, flags, bytes);
        return 0;
    }
    if (n != sizeof(m))
        return -1;
    char *buf = recv_frame_n(fd, UINT32_MAX, &len);
    if (!buf)
        return -1;
    struct ie_found_file f = {
        .fs_path = fs, .record_path = rec, .listed = true, .size = m.size, .mtime = m.mtime};
    ie_scan_analyze_bytes(o, &f, buf, len, line, flags, bytes);
    free(buf);
    return 0;
}

int eng_worker_main(int argc, char **argv)
{
    struct ie_scan_options o;
    struct ie_confine c = {0};
    struct ie_err err = {0};
    char *fs = NULL, *rec = NULL;
    if (argc < 3)
        return 2;
    int fd = atoi(argv[2]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 0;
    signal(SIGPIPE, SIG_IGN);
    if (ie_init(argv[0], &err) < 0) {
        fprintf(stderr, "analysis worker: %s\n", err.msg);
        return 1;
    }
    if (worker_read_options(fd, &o, &c) < 0)
        return 1;
    /* Ready: start-up (libvips) is not charged to the first image's time limit. */
    char ready = 'R';
    if (send_all(fd, &ready, 1) < 0)
        return 1;
    while ((fs = recv_frame(fd, MAX_PATH_FRAME)) && (rec = recv_frame(fd, MAX_PATH_FRAME))) {
        char *line = NULL;
        uint8_t flags = 0;
        int64_t bytes = 0;
        inject_fault(rec);
        if (worker_analyze_request(fd, &o, fs, rec, &line, &flags, &bytes) < 0)
            break;
        int sent = send_frame(fd, line, strlen(line)) == 0 &&
                   send_all(fd, &flags, sizeof(flags)) == 0 &&
                   send_all(fd, &bytes, sizeof(bytes)) == 0;
        free(line);
        free(fs);
        free(rec);
        fs = rec = NULL;
        if (!sent)
            break;
    }
    free(fs);
    ie_confine_release(&c);
    ie_shutdown();
    return 0;
}

/* ---- the parent side ---- */

static char self_exe[PATH_MAX];
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void find_self(void)
{
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    self_exe[n > 0 ? n : 0] = '\0';
}

static int send_options(int fd, const struct ie_scan_options *o)
{
    struct ie_scan_options copy = *o;
    uint32_t n = o->confine ? (uint32_t)o->confine->n : 0;
    copy.confine = NULL;
    if (send_frame(fd, &copy, sizeof(copy)) < 0 || send_all(fd, &n, sizeof(n)) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++)
        if (send_frame(fd, o->confine->roots[i], strlen(o->confine->roots[i])) < 0)
            return -1;
    return 0;
}

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_CANCEL };
static enum wait_result wait_readable(int fd, double deadline, const atomic_int *cancel);

static int spawn(struct eng_worker *w, const struct ie_scan_options *o, struct ie_err *err)
{
    int sv[2] = {-1, -1}, child = -1, rc;
    char fdarg[16];
    posix_spawn_file_actions_t fa;
    pthread_once(&self_once, find_self);
    if (!self_exe[0])
        return ie_err_set(err, IE_EIO, "analysis worker: cannot find this executable");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return ie_err_set(err, IE_EIO, "analysis worker: socketpair: %s", strerror(errno));
    /* dup2 onto CHILD_FD clears close-on-exec there, unless the end already is CHILD_FD. */
    child = sv[1] == CHILD_FD ? fcntl(sv[1], F_DUPFD_CLOEXEC, CHILD_FD + 1) : sv[1];
    snprintf(fdarg, sizeof(fdarg), "%d", CHILD_FD);
    char *argv[] = {self_exe, (char *)ENG_WORKER_FLAG, fdarg, NULL};
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, child, CHILD_FD);
    rc = posix_spawn(&w->pid, self_exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (child != sv[1])
        close(child);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        w->pid = 0;
        return ie_err_set(err, IE_EIO, "analysis worker: cannot start %s: %s", self_exe,
                          strerror(rc));
    }
    w->fd = sv[0];
    w->analysed = 0;
    char ready = 0;
    if (send_options(w->fd, o) < 0 || wait_readable(w->fd, ie_mono_seconds() + 60, NULL) != 0 ||
        recv_all(w->fd, &ready, 1) < 0 || ready != 'R') {
        eng_worker_stop(w);
        return ie_err_set(err, IE_EIO, "analysis worker: it did not start (see its stderr)");
    }
    return 0;
}

static void reap(struct eng_worker *w, bool kill_it, int *status)
{
    if (!w->pid)
        return;
    if (kill_it)
        kill(w->pid, SIGKILL);
    close(w->fd);
    while (waitpid(w->pid, status, 0) < 0 && errno == EINTR)
        ;
    w->pid = 0;
    w->fd = -1;
}

void eng_worker_stop(struct eng_worker *w)
{
    int status;
    if (!w->pid)
        return;
    close(w->fd);
    w->fd = -1;
    /* It exits on EOF; a worker stuck in a decoder gets 2 s before it is killed. */
    for (int i = 0; i < 200; i++) {
        if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
            w->pid = 0;
            return;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(w->pid, SIGKILL);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    w->pid = 0;
}

/* Waits until fd is readable, the deadline (0: none) passes, or *cancel is set. */
static enum wait_result wait_readable(int fd, double deadline, const atomic_int *cancel)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int slice = 100;
        if (cancel && atomic_load(cancel))
            return WAIT_CANCEL;
        if (deadline > 0) {
            double left = deadline - ie_mono_seconds();
            if (left <= 0)
                return WAIT_TIMEOUT;
            if (left * 1000 < slice)
                slice = (int)(left * 1000) + 1;
        }
        int k = poll(&p, 1, slice);
        if (k > 0 || (k < 0 && errno != EINTR))
            return WAIT_READY;
    }
}

static enum eng_worker_result failed_record(const struct ie_scan_options *o,
                                            const struct ie_found_file *f, const char *why,
                                            enum eng_worker_result r, char **line, uint8_t *flags)
{
    ie_scan_failed_one(o, f, why, line, flags);
    return r;
}

enum eng_worker_result eng_worker_analyze(struct eng_worker *w, const struct ie_scan_options *o,
                                          const struct ie_found_file *f, const void *data,
                                          size_t len, const atomic_int *cancel, char **line,
                                          uint8_t *flags, int64_t *bytes, struct ie_err *err)
{
    char why[160];
    int status = 0;
    *line = NULL;
    *bytes = 0;
    if (w->pid && w->analysed >= RECYCLE_AFTER)
        eng_worker_stop(w);
    if (!w->pid && spawn(w, o, err) < 0)
        return ENG_WORKER_FAILED;
    struct fetched_meta m = {f->size, f->mtime};
    if (send_frame(w->fd, f->fs_path, strlen(f->fs_path)) < 0 ||
        send_frame(w->fd, f->record_path, strlen(f->record_path)) < 0 ||
        send_frame(w->fd, &m, f->listed ? sizeof(m) : 0) < 0 ||
        (f->listed && send_frame(w->fd, data, len) < 0)) {
        reap(w, true, &status);
        return failed_record(o, f, "analysis failed: the analysis worker died", ENG_WORKER_CRASHED,
                             line, flags);
    }
    w->analysed++;
    double deadline = o->image_timeout_s > 0 ? ie_mono_seconds() + o->image_timeout_s : 0;
    enum wait_result wr = wait_readable(w->fd, deadline, cancel);
    if (wr == WAIT_CANCEL) {
        reap(w, true, &status);
        return ENG_WORKER_CANCELLED;
    }
    if (wr == WAIT_TIMEOUT) {
        reap(w, true, &status);
        snprintf(why, sizeof(why), "timed out: analysis took longer than %g s", o->image_timeout_s);
        return failed_record(o, f, why, ENG_WORKER_TIMED_OUT, line, flags);
    }
    /* The answer has started: the rest follows at once (or the worker died mid-way). */
    char *got = recv_frame(w->fd, MAX_LINE_FRAME);
    if (got && recv_all(w->fd, flags, sizeof(*flags)) == 0 &&
        recv_all(w->fd, bytes, sizeof(*bytes)) == 0) {
        *line = got;
        return ENG_WORKER_OK;
    }
    free(got);
    *bytes = 0;
    reap(w, false, &status);
    if (WIFSIGNALED(status))
        snprintf(why, sizeof(why), "analysis failed: the decoder crashed (signal %d, %s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(why, sizeof(why), "analysis failed: the analysis worker exited (status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return failed_record(o, f, why, ENG_WORKER_CRASHED, line, flags);
}
