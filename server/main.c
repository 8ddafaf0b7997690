/* imgedad: the REST daemon (SPEC §6). main() owns start-up order: config, the image library
 * (ie_init), data dir, database + migrations, job runner (restart recovery), HTTP, then the libuv
 * loop until SIGTERM/SIGINT; shutdown stops HTTP first, checkpoints the running scan, closes the
 * loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <uv.h>

#include "api.h"
#include "bucket.h"
#include "cache.h"
#include "config.h"
#include "engine/worker.h"
#include "http.h"
#include "imgeda/analyze.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "live.h"
#include "log.h"
#include "memory.h"
#include "metrics.h"
#include "upload.h"
#include "warm.h"
#include "engine/runner.h"

static const char usage[] =
    "usage: imgedad [--config FILE] [--listen ADDR:PORT] [--data-dir DIR] [--web-dir DIR]\n"
    "               [--set KEY=VALUE]...\n"
    "  --config FILE      YAML configuration (see config/imgedad.yaml for every key)\n"
    "  --listen ADDR:PORT overrides listen.address and listen.port (port 0 = any free port)\n"
    "  --data-dir DIR     overrides data_dir (holds imgedad.db and scans/)\n"
    "  --web-dir DIR      the dashboard's static files (default: web/ next to the binary's\n"
    "                     source tree, or ./web)\n"
    "  --set KEY=VALUE    overrides any config key, e.g. --set scan.workers=2\n"
    "  -V, --version      prints the name and version (imgedad X.Y.Z) and exits\n";

/* The daemon: its loop, signal handles and server context. */
struct app {
    uv_loop_t loop;
    uv_signal_t sigterm, sigint;
    struct srv_ctx ctx;
    bool stopping;
};

/* The command line. */
struct args {
    const char *config_path, *listen, *data_dir, *web_dir;
    char *sets[64];
    int n_sets;
};

static void on_signal(uv_signal_t *h, int signum)
{
    struct app *a = h->data;
    if (a->stopping)
        return;
    a->stopping = true;
    srv_log(SRV_LOG_INFO, "imgedad: %s received, stopping",
            signum == SIGTERM ? "SIGTERM" : "SIGINT");
    /* No new work first, which also answers every request waiting on the job runner or a scan's
     * state (503, or the end of an event stream): stopping HTTP joins their threads. Then no new
     * requests; the running batch checkpoints and the loop drains. */
    srv_jobs_stop(a->ctx.jobs);
    srv_http_stop(a->ctx.http);
    a->ctx.http = NULL;
    uv_close((uv_handle_t *)&a->sigterm, NULL);
    uv_close((uv_handle_t *)&a->sigint, NULL);
    /* Closing the handles gives the signals back their default action, so a second SIGTERM
     * (a service manager's, a test's) would kill the daemon mid-checkpoint with status 143:
     * while it stops, further signals are ignored (kill -9 still ends it). */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
}

static const char *default_web_dir(void)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s", IMGEDA_SOURCE_WEB_DIR);
    if (access(path, R_OK) == 0)
        return path;
    return "./web";
}

/* Parses the command line into *a. Returns -1 to go on, or the exit code when there is nothing
 * more to do (--help, a usage error). */
static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},   {"listen", required_argument, NULL, 'l'},
        {"data-dir", required_argument, NULL, 'd'}, {"web-dir", required_argument, NULL, 'w'},
        {"set", required_argument, NULL, 's'},      {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof(*a));
    a->web_dir = default_web_dir();
    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->config_path = optarg;
            break;
        case 'l':
            a->listen = optarg;
            break;
        case 'd':
            a->data_dir = optarg;
            break;
        case 'w':
            a->web_dir = optarg;
            break;
        case 's':
            if (a->n_sets < 64)
                a->sets[a->n_sets++] = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'V':
            printf("imgedad %s\n", IMGEDA_VERSION);
            return 0;
        default:
            fputs(usage, stderr);
            return 1;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 1;
    }
    return -1;
}

/* Sets listen.address and listen.port from --listen ADDR:PORT ([::1]:8080 for IPv6). */
static int set_listen(struct srv_config *cfg, const char *listen, struct ie_err *err)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return ie_err_set(err, IE_EINVAL, "--listen %s: expected ADDR:PORT", listen);
    char *addr = ie_xstrndup(listen, (size_t)(colon - listen));
    if (addr[0] == '[') { /* [::1]:8080 */
        memmove(addr, addr + 1, strlen(addr));
        addr[strcspn(addr, "]")] = '\0';
    }
    int rc = srv_config_set(cfg, "listen.address", addr, err);
    free(addr);
    if (rc < 0)
        return rc;
    return srv_config_set(cfg, "listen.port", colon + 1, err);
}

/* Builds the configuration over the defaults in cfg: the file, each --set, --listen,
 * --data-dir, then the cross-key checks. */
static int load_config(const struct args *a, struct srv_config *cfg, struct ie_err *err)
{
    int rc;
    if (a->config_path && (rc = srv_config_load(cfg, a->config_path, err)) < 0)
        return rc;
    for (int i = 0; i < a->n_sets; i++) {
        char *eq = strchr(a->sets[i], '=');
        if (!eq)
            return ie_err_set(err, IE_EINVAL, "--set %s: expected KEY=VALUE", a->sets[i]);
        *eq = '\0';
        if ((rc = srv_config_set(cfg, a->sets[i], eq + 1, err)) < 0)
            return rc;
    }
    if (a->listen && (rc = set_listen(cfg, a->listen, err)) < 0)
        return rc;
    if (a->data_dir && (rc = srv_config_set(cfg, "data_dir", a->data_dir, err)) < 0)
        return rc;
    return srv_config_validate(cfg, err);
}

/* Takes <data_dir>/lock for the life of the process (the kernel drops it at exit, even after
 * kill -9): two daemons on one data dir would resume the same scans into the same manifests.
 * The file holds the owner's pid, for the message a second daemon prints. The descriptor is
 * close-on-exec, so analysis workers and rm do not hold the lock. Returns it, or -1 with err. */
static int lock_data_dir(const char *dir, struct ie_err *err)
{
    struct ie_buf path;
    char pid[32] = "";
    ie_buf_init(&path);
    ie_buf_addf(&path, "%s/lock", dir);
    int fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        ie_err_set(err, IE_EIO, "data_dir: cannot open %s: %s", path.data, strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            ie_err_set(err, IE_ESTATE,
                       "data_dir %s is in use by another imgedad (pid %s); stop it first or "
                       "choose another data_dir",
                       dir, *pid ? pid : "unknown");
        else
            ie_err_set(err, IE_EIO, "data_dir: cannot lock %s: %s", path.data, strerror(e));
        close(fd);
        fd = -1;
    } else {
        int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
            srv_log(SRV_LOG_WARN, "imgedad: cannot write the pid into %s: %s", path.data,
                    strerror(errno));
    }
    ie_buf_release(&path);
    return fd;
}

/* Frees the context's instances, once the loop has run its last callbacks. */
static void free_ctx(struct srv_ctx *ctx)
{
    srv_warm_free(ctx->warm);
    srv_live_free(ctx->live);
    srv_metrics_free(ctx->metrics);
    srv_cache_free(ctx->cache);
    srv_memory_gate_free(ctx->thumbs);
    eng_s3_free(ctx->s3);
}

/* Makes the context's instances on a->loop (initialised), starts the job runner (restart
 * recovery) and HTTP, runs the loop until a signal has stopped both, and frees everything,
 * the loop included. Returns the exit code, or -1 with err filled when start-up failed. */
static int serve(struct app *a, const struct srv_config *cfg, const char *db_path,
                 const char *web_dir, struct ie_err *err)
{
    struct srv_ctx *ctx = &a->ctx;
    *ctx = (struct srv_ctx){.cfg = cfg,
                            .db_path = db_path,
                            .web_dir = web_dir,
                            .cache = srv_cache_new(SRV_CACHE_DEFAULT_BYTES),
                            .live = srv_live_new(),
                            .metrics = srv_metrics_new()};
    ctx->warm = srv_warm_new(&a->loop, db_path, ctx->cache, ctx->metrics);
    ctx->thumbs = srv_memory_gate_new((int)cfg->thumbnail_decodes, (int)cfg->thumbnail_wait_ms);
    if (srv_bucket_client_new(cfg, &ctx->s3, err) < 0 ||
        srv_jobs_new(&a->loop, ctx, &ctx->jobs, err) < 0) {
        free_ctx(ctx);
        uv_loop_close(&a->loop);
        return -1;
    }
    if (srv_http_start(ctx, srv_api_dispatch, &ctx->http, err) < 0) {
        srv_jobs_stop(ctx->jobs);
        uv_run(&a->loop, UV_RUN_DEFAULT);
        srv_jobs_free(ctx->jobs);
        free_ctx(ctx);
        uv_loop_close(&a->loop);
        return -1;
    }
    uv_signal_init(&a->loop, &a->sigterm);
    uv_signal_init(&a->loop, &a->sigint);
    a->sigterm.data = a->sigint.data = a;
    uv_signal_start(&a->sigterm, on_signal, SIGTERM);
    uv_signal_start(&a->sigint, on_signal, SIGINT);
    printf("imgedad listening on http://%s:%d/ (data dir %s)\n",
           strchr(cfg->listen_address, ':') ? "[::1]" : cfg->listen_address,
           srv_http_port(ctx->http), cfg->data_dir);
    fflush(stdout);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    srv_jobs_free(ctx->jobs);
    free_ctx(ctx);
    int rc = uv_loop_close(&a->loop) == 0 ? 0 : 1;
    if (rc)
        srv_log(SRV_LOG_ERROR, "imgedad: event loop did not close cleanly");
    return rc;
}

int main(int argc, char **argv)
{
    struct args args;
    struct srv_config cfg;
    struct ie_err err = {0};
    struct app a;
    struct ie_buf db_path;
    int rc, lock_fd = -1;
    /* A worker process of isolated analysis (scan.isolate): nothing else to do. */
    if (argc >= 2 && strcmp(argv[1], ENG_WORKER_FLAG) == 0)
        return eng_worker_main(argc, argv);
    rc = parse_args(argc, argv, &args);
    if (rc >= 0)
        return rc;
    memset(&a, 0, sizeof(a));
    ie_buf_init(&db_path);
    srv_config_init(&cfg);
    if (load_config(&args, &cfg, &err) < 0)
        goto fail;
    srv_log_set_level((enum srv_log_level)cfg.log_level);
    srv_memory_init();
    /* The core, and libcurl for s3:// roots, start before any thread. */
    if (ie_init(argv[0], &err) < 0 || eng_s3_global_init(&err) < 0)
        goto fail;
    if (ie_mkdir_p(cfg.data_dir) < 0) {
        ie_err_set(&err, IE_EIO, "data_dir: cannot create %s: %s", cfg.data_dir, strerror(errno));
        goto fail;
    }
    if ((lock_fd = lock_data_dir(cfg.data_dir, &err)) < 0)
        goto fail;
    srv_upload_sweep(cfg.data_dir);
    ie_buf_addf(&db_path, "%s/imgedad.db", cfg.data_dir);
    /* A connection is used by one thread at a time (no SQLite mutexes needed), and allocation
     * statistics would take a global mutex on every malloc: both off before SQLite starts. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    signal(SIGPIPE, SIG_IGN);
    eng_runner_set_pool_size((int)cfg.workers + 1);
    uv_loop_init(&a.loop);
    if ((rc = serve(&a, &cfg, db_path.data, args.web_dir, &err)) < 0)
        goto fail;
    ie_shutdown();
    srv_config_release(&cfg);
    ie_buf_release(&db_path);
    close(lock_fd);
    return rc;
fail:
    srv_log(SRV_LOG_ERROR, "imgedad: %s", err.msg);
    srv_config_release(&cfg);
    ie_buf_release(&db_path);
    if (lock_fd >= 0)
        close(lock_fd);
    return 1;
}
