/* decode_floor: the fastest libvips can turn image files into working images, as a baseline
 * for `imgeda scan` measured in the same run (bench/scan).
 * DESIGN: only what no scanner can avoid: read each file into memory once, decode it from that
 * buffer (JPEG with shrink-on-load by the largest power of two that keeps the long side
 * >= max_dim, the same rule as core/analyze.c), vips_resize with lanczos3 to the working size
 * (int(w*r), int(h*r)) with r = max_dim / max(w, h), materialise the pixels, free. No hashing,
 * EXIF, statistics or manifest. T pthreads each take the next file from a shared counter and
 * hold one image at a time; libvips runs one thread per image (vips_concurrency_set(1)) with its
 * operation cache off, like the scanner.
 * Usage: decode_floor [-t THREADS] [-m MAX_DIM] [--full] [-q] [-v] PATH...
 *   -q: no per-file errors; -v: print each working image size on stderr.
 *   --full (-f): the full-resolution decode alone, the floor issue 13 names: every file decoded
 *   at its stored size (no JPEG shrink-on-load) and materialised, with no resize.
 *   PATH: a directory (walked recursively, image extensions only), a file, or @LIST (one path
 *   per line). Prints images/s and MB/s (MB = 10^6 bytes of file data) on stdout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

static const char *const image_exts[] = {".jpg",  ".jpeg", ".png",  ".bmp",  ".tiff", ".tif",
                                         ".webp", ".gif",  ".heic", ".heif", ".avif", ".jxl"};

struct paths {
    char **v;
    size_t n, cap;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "decode_floor: out of memory\n");
        exit(1);
    }
    return q;
}

static void paths_add(struct paths *ps, const char *p)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 256;
        ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
    }
    size_t len = strlen(p);
    ps->v[ps->n] = xrealloc(NULL, len + 1);
    memcpy(ps->v[ps->n], p, len + 1);
    ps->n++;
}

static int has_image_ext(const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < sizeof(image_exts) / sizeof(image_exts[0]); i++) {
        size_t el = strlen(image_exts[i]);
        if (el <= nl && strcasecmp(name + nl - el, image_exts[i]) == 0)
            return 1;
    }
    return 0;
}

static void walk(const char *dir, struct paths *ps, int depth)
{
    if (depth > 64)
        return;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "decode_floor: cannot open %s: %s\n", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = xrealloc(NULL, n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                walk(p, ps, depth + 1);
            else if (S_ISREG(st.st_mode) && has_image_ext(e->d_name))
                paths_add(ps, p);
        }
        free(p);
    }
    closedir(d);
}

static void add_arg(const char *arg, struct paths *ps)
{
    if (arg[0] == '@') {
        FILE *f = fopen(arg + 1, "r");
        if (!f) {
            fprintf(stderr, "decode_floor: cannot open list %s: %s\n", arg + 1, strerror(errno));
            exit(1);
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = '\0';
            if (len > 0)
                paths_add(ps, line);
        }
        free(line);
        fclose(f);
        return;
    }
    struct stat st;
    if (stat(arg, &st) < 0) {
        fprintf(stderr, "decode_floor: %s: %s\n", arg, strerror(errno));
        exit(1);
    }
    size_t len = strlen(arg);
    if (S_ISDIR(st.st_mode)) {
        char *d = xrealloc(NULL, len + 1);
        memcpy(d, arg, len + 1);
        while (len > 1 && d[len - 1] == '/')
            d[--len] = '\0';
        walk(d, ps, 0);
        free(d);
    } else {
        paths_add(ps, arg);
    }
}

static int read_all(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0) {
        close(fd);
        return -1;
    }
    size_t n = (size_t)st.st_size, have = 0;
    char *buf = xrealloc(NULL, n);
    while (have < n) {
        ssize_t r = read(fd, buf + have, n - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    close(fd);
    *out = buf;
    *len = have;
    return 0;
}

static int is_jpeg(const unsigned char *b, size_t n)
{
    return n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

/* Width and height from the first SOFn marker, without any decoder. */
static int jpeg_dims(const unsigned char *b, size_t n, int *w, int *h)
{
    size_t i = 2;
    while (i + 9 < n) {
        if (b[i] != 0xFF) {
            i++;
            continue;
        }
        unsigned m = b[i + 1];
        if (m == 0xFF) {
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            i += 2;
            continue;
        }
        size_t seglen = (size_t)b[i + 2] << 8 | b[i + 3];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            *h = b[i + 5] << 8 | b[i + 6];
            *w = b[i + 7] << 8 | b[i + 8];
            return *w > 0 && *h > 0 ? 0 : -1;
        }
        if (m == 0xD9 || m == 0xDA || seglen < 2)
            return -1;
        i += 2 + seglen;
    }
    return -1;
}

static int max_dim = 2048;
static int full_decode; /* --full: no shrink-on-load, no resize */

/* The largest JPEG shrink (1, 2, 4, 8) that keeps the longer side >= max_dim. */
static int jpeg_shrink_for(int w, int h)
{
    int longer = w > h ? w : h, s = 1;
    while (s < 8 && longer / (s * 2) >= max_dim)
        s *= 2;
    return s;
}

/* Decodes one buffer to its working image and frees it. 0 on success. */
static int decode_one(const char *buf, size_t len, int *out_w, int *out_h)
{
    const unsigned char *b = (const unsigned char *)buf;
    VipsImage *im = NULL, *res = NULL;
    int W = 0, H = 0, rc = -1;

    if (!full_decode && is_jpeg(b, len) && jpeg_dims(b, len, &W, &H) == 0) {
        int s = jpeg_shrink_for(W, H);
        if (vips_jpegload_buffer((void *)buf, len, &im, "shrink", s, "access",
                                 VIPS_ACCESS_SEQUENTIAL, NULL))
            goto out;
    } else {
        im = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
        if (!im)
            goto out;
        W = im->Xsize;
        H = im->Ysize;
    }
    int longer = W > H ? W : H;
    VipsImage *work = im;
    if (!full_decode && longer > max_dim) {
        double r = (double)max_dim / longer;
        int ow = (int)(W * r), oh = (int)(H * r);
        ow = ow < 1 ? 1 : ow;
        oh = oh < 1 ? 1 : oh;
        if (ow != im->Xsize || oh != im->Ysize) {
            if (vips_resize(im, &res, (double)ow / im->Xsize, "vscale", (double)oh / im->Ysize,
                            "kernel", VIPS_KERNEL_LANCZOS3, NULL))
                goto out;
            work = res;
        }
    }
    size_t psize = 0;
    void *px = vips_image_write_to_memory(work, &psize);
    if (!px)
        goto out;
    *out_w = work->Xsize;
    *out_h = work->Ysize;
    g_free(px);
    rc = 0;
out:
    if (res)
        g_object_unref(res);
    if (im)
        g_object_unref(im);
    return rc;
}

static struct paths files;
static atomic_size_t next_file;
static atomic_llong total_bytes;
static atomic_long n_ok, n_failed;
static int quiet, verbose;

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        size_t i = atomic_fetch_add(&next_file, 1);
        if (i >= files.n)
            break;
        char *buf = NULL;
        size_t len = 0;
        int w = 0, h = 0;
        if (read_all(files.v[i], &buf, &len) < 0) {
            if (!quiet)
                fprintf(stderr, "decode_floor: cannot read %s\n", files.v[i]);
            atomic_fetch_add(&n_failed, 1);
            continue;
        }
        atomic_fetch_add(&total_bytes, (long long)len);
        if (decode_one(buf, len, &w, &h) == 0) {
            atomic_fetch_add(&n_ok, 1);
            if (verbose)
                fprintf(stderr, "%s: %dx%d\n", files.v[i], w, h);
        } else {
            if (!quiet) {
                char *e = vips_error_buffer_copy();
                fprintf(stderr, "decode_floor: %s: %.*s\n", files.v[i],
                        (int)strcspn(e ? e : "", "\n"), e ? e : "");
                g_free(e);
            }
            vips_error_clear();
            atomic_fetch_add(&n_failed, 1);
        }
        free(buf);
    }
    vips_thread_shutdown();
    return NULL;
}

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer ud)
{
    (void)domain;
    (void)level;
    (void)msg;
    (void)ud;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
    fprintf(stderr, "usage: decode_floor [-t THREADS] [-m MAX_DIM] [--full] [-q] [-v] PATH...\n"
                    "  PATH: a directory (walked recursively), an image file, or @LIST\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"full", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    int threads = 2, opt;
    while ((opt = getopt_long(argc, argv, "t:m:fqvh", longs, NULL)) != -1) {
        switch (opt) {
        case 'f':
            full_decode = 1;
            break;
        case 't':
            threads = atoi(optarg);
            break;
        case 'm':
            max_dim = atoi(optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        default:
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind >= argc || threads < 1 || threads > 256 || max_dim < 1) {
        usage();
        return 2;
    }
    if (VIPS_INIT(argv[0])) {
        fprintf(stderr, "decode_floor: cannot start libvips: %s\n", vips_error_buffer());
        return 1;
    }
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);

    for (int i = optind; i < argc; i++)
        add_arg(argv[i], &files);
    if (files.n == 0) {
        fprintf(stderr, "decode_floor: no image files found\n");
        return 1;
    }

    pthread_t *tids = xrealloc(NULL, sizeof(pthread_t) * (size_t)threads);
    double t0 = now_s();
    for (int t = 0; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, worker, NULL) != 0) {
            fprintf(stderr, "decode_floor: cannot start thread %d\n", t);
            return 1;
        }
    }
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    double dt = now_s() - t0;
    free(tids);

    long ok = atomic_load(&n_ok), failed = atomic_load(&n_failed);
    double mb = (double)atomic_load(&total_bytes) / 1e6;
    printf("files %zu ok %ld failed %ld threads %d max_dim %d%s\n", files.n, ok, failed, threads,
           max_dim, full_decode ? " full" : "");
    printf("seconds %.3f images_per_s %.2f MB %.1f MB_per_s %.2f\n", dt,
           dt > 0 ? (double)(ok + failed) / dt : 0.0, mb, dt > 0 ? mb / dt : 0.0);

    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    vips_shutdown();
    return failed && !ok ? 1 : 0;
}
