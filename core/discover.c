/* Recursive, sorted, extension-filtered discovery of image files (see imgeda/discover.h).
 * DESIGN: paths are root + "/" + relative path exactly as imgeda's os.walk joins them, and the
 * final list is sorted by bytes, which equals Python's code-point order for UTF-8 names. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgeda/confine.h"
#include "imgeda/discover.h"
#include "imgeda/util.h"

void ie_file_list_init(struct ie_file_list *l)
{
    memset(l, 0, sizeof(*l));
}

void ie_file_list_release(struct ie_file_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].fs_path);
        free(l->v[i].record_path);
    }
    for (size_t i = 0; i < l->n_warnings; i++)
        free(l->warnings[i]);
    free(l->v);
    free(l->warnings);
    ie_file_list_init(l);
}

char *ie_path_normalize(const char *p)
{
    struct ie_buf b;
    bool abs = p[0] == '/';
    ie_buf_init(&b);
    if (abs)
        ie_buf_addc(&b, '/');
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0)
            break;
        if (!(n == 1 && s[0] == '.')) {
            if (b.len > (abs ? 1u : 0u))
                ie_buf_addc(&b, '/');
            ie_buf_add(&b, s, n);
        }
        s += n;
    }
    if (b.len == 0)
        ie_buf_addc(&b, '.');
    return ie_buf_detach(&b);
}

char *ie_path_absolute(const char *p)
{
    struct ie_buf b;
    ie_buf_init(&b);
    if (p[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        ie_buf_adds(&b, cwd ? cwd : "/");
        ie_buf_addc(&b, '/');
        free(cwd);
    }
    ie_buf_adds(&b, p);
    /* Resolve "." and ".." lexically, as os.path.abspath does. */
    char *norm = ie_path_normalize(b.data);
    ie_buf_release(&b);
    char **parts = NULL;
    size_t np = 0, cap = 0;
    char *save = NULL;
    for (char *t = strtok_r(norm, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (strcmp(t, "..") == 0) {
            if (np)
                np--;
            continue;
        }
        ie_grow((void **)&parts, &cap, np + 1, sizeof(*parts));
        parts[np++] = t;
    }
    ie_buf_init(&b);
    for (size_t i = 0; i < np; i++) {
        ie_buf_addc(&b, '/');
        ie_buf_adds(&b, parts[i]);
    }
    if (b.len == 0)
        ie_buf_addc(&b, '/');
    free(parts);
    free(norm);
    return ie_buf_detach(&b);
}

struct dir_id {
    dev_t dev;
    ino_t ino;
};

struct walk {
    const struct ie_scan_options *o;
    struct ie_file_list *out;
    struct dir_id *seen;
    size_t n_seen, cap_seen;
    size_t n_outside;    /* links skipped because they resolve outside o->confine */
    char *first_outside; /* the first of them, for the warning */
    size_t rel_at;       /* where a path's part relative to the root starts (for the shard) */
};

/* Adds the warning "<what> <path>: <strerror(e)>". */
static void warn(struct ie_file_list *l, const char *what, const char *path, int e)
{
    struct ie_buf b;
    ie_buf_init(&b);
    char *safe = ie_utf8_sanitize(path, strlen(path));
    ie_buf_addf(&b, "%s %s: %s", what, safe, strerror(e));
    free(safe);
    ie_grow((void **)&l->warnings, &l->cap_warnings, l->n_warnings + 1, sizeof(char *));
    l->warnings[l->n_warnings++] = ie_buf_detach(&b);
}

/* Records a directory's identity; true if it was recorded before (a loop or a second link).
 * An open-addressing set, so huge trees stay linear. */
static bool seen_before(struct walk *w, const struct stat *st)
{
    if ((w->n_seen + 1) * 2 > w->cap_seen) {
        struct dir_id *old = w->seen;
        size_t ocap = w->cap_seen;
        w->cap_seen = ocap ? ocap * 2 : 256;
        w->seen = ie_xcalloc(w->cap_seen, sizeof(*w->seen));
        w->n_seen = 0;
        for (size_t i = 0; i < ocap; i++) {
            if (old[i].ino || old[i].dev) {
                struct stat tmp;
                tmp.st_dev = old[i].dev;
                tmp.st_ino = old[i].ino;
                seen_before(w, &tmp);
            }
        }
        free(old);
    }
    size_t mask = w->cap_seen - 1;
    size_t i = (size_t)((st->st_ino * 0x9E3779B97F4A7C15ull) ^ st->st_dev) & mask;
    while (w->seen[i].ino || w->seen[i].dev) {
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return true;
        i = (i + 1) & mask;
    }
    w->seen[i].dev = st->st_dev;
    w->seen[i].ino = st->st_ino;
    w->n_seen++;
    return false;
}

static char *join(const char *dir, const char *name)
{
    struct ie_buf b;
    ie_buf_init(&b);
    ie_buf_adds(&b, dir);
    if (b.len && b.data[b.len - 1] != '/')
        ie_buf_addc(&b, '/');
    ie_buf_adds(&b, name);
    return ie_buf_detach(&b);
}

static void add_file(struct ie_file_list *l, char *path)
{
    ie_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n] = (struct ie_found_file){
        .fs_path = path, .record_path = ie_utf8_sanitize(path, strlen(path)), .listed = false};
    l->n++;
}

static void walk_dir(struct walk *w, const char *dir, int depth)
{
    DIR *d;
    struct dirent *de;

    if (depth > 256) {
        warn(w->out, "too deep, not entering", dir, ELOOP);
        return;
    }
    d = opendir(dir);
    if (!d) {
        warn(w->out, "cannot read directory", dir, errno);
        return;
    }
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char *path = join(dir, name);
        struct stat st;
        bool is_dir = de->d_type == DT_DIR;
        bool is_link = de->d_type == DT_LNK;
        bool unknown = de->d_type == DT_UNKNOWN;
        if (is_link || unknown) {
            if (stat(path, &st) == 0) {
                is_dir = S_ISDIR(st.st_mode);
            } else {
                is_dir = false; /* dangling link or loop: a file that will fail to open */
            }
        }
        /* Only regular files (or links to them, or dangling links, which become corrupt
         * records): opening a FIFO or a device named *.jpg would block or read forever. */
        bool special = de->d_type == DT_FIFO || de->d_type == DT_SOCK || de->d_type == DT_CHR ||
                       de->d_type == DT_BLK;
        if ((is_link || unknown) && !is_dir && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
            special = true;
        /* Only a link can leave a directory that lies inside the allowed roots. */
        if ((is_link || unknown) && w->o->confine && !ie_confine_allows_path(w->o->confine, path)) {
            if (is_dir || ie_scan_options_match_ext(w->o, name)) {
                if (!w->n_outside++)
                    w->first_outside = ie_xstrdup(path);
            }
            free(path);
            continue;
        }
        if (is_dir) {
            if (stat(path, &st) == 0 && !seen_before(w, &st))
                walk_dir(w, path, depth + 1);
            free(path);
        } else if (special) {
            if (ie_scan_options_match_ext(w->o, name))
                warn(w->out, "skipping non-regular file", path, EINVAL);
            free(path);
        } else if (ie_scan_options_match_ext(w->o, name) &&
                   ie_scan_options_in_shard(w->o, path + w->rel_at, strlen(path + w->rel_at))) {
            add_file(w->out, path);
        } else {
            free(path);
        }
    }
    closedir(d);
}

/* One warning for every link skipped by the confinement: how many, why, and an example. */
static void warn_outside(struct walk *w)
{
    struct ie_buf b;
    char *safe = ie_utf8_sanitize(w->first_outside, strlen(w->first_outside));
    ie_buf_init(&b);
    ie_buf_addf(&b,
                "skipped %zu symlink%s resolving outside the allowed roots (scan.allowed_roots), "
                "e.g. %s",
                w->n_outside, w->n_outside == 1 ? "" : "s", safe);
    free(safe);
    ie_grow((void **)&w->out->warnings, &w->out->cap_warnings, w->out->n_warnings + 1,
            sizeof(char *));
    w->out->warnings[w->out->n_warnings++] = ie_buf_detach(&b);
}

/* Sorted by the path as recorded (UTF-8, \xNN escapes), so that readers who sort a manifest's
 * paths get the same order as the scan. */
static int cmp_found(const void *a, const void *b)
{
    return strcmp(((const struct ie_found_file *)a)->record_path,
                  ((const struct ie_found_file *)b)->record_path);
}

void ie_file_list_sort(struct ie_file_list *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), cmp_found);
}

int ie_discover(const char *root, const struct ie_scan_options *o, struct ie_file_list *out,
                struct ie_err *err)
{
    struct walk w = {o, out, NULL, 0, 0, 0, NULL, 0};
    struct stat st;
    int rc = 0;
    char *norm = ie_path_normalize(root);

    if (stat(norm, &st) < 0) {
        rc = ie_err_set(err, errno == ENOENT ? IE_ENOENT : IE_EIO, "cannot open %s: %s", root,
                        strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = ie_err_set(err, IE_EINVAL, "%s is not a directory", root);
        goto out;
    }
    if (access(norm, R_OK | X_OK) < 0) {
        rc = ie_err_set(err, IE_EPERM, "cannot read directory %s: %s", root, strerror(errno));
        goto out;
    }
    if (o->confine && !ie_confine_allows_path(o->confine, norm)) {
        char *real = realpath(norm, NULL);
        rc = ie_err_set(err, IE_EPERM, "%s resolves to %s, outside the allowed roots", root,
                        real ? real : "?");
        free(real);
        goto out;
    }
    seen_before(&w, &st);
    /* join() puts one '/' after the root unless it ends in one ("/"): the shard hashes what
     * follows, which is the same wherever the root is mounted or however it is spelled. */
    w.rel_at = strlen(norm) + (norm[strlen(norm) - 1] == '/' ? 0 : 1);
    walk_dir(&w, norm, 0);
    if (w.n_outside)
        warn_outside(&w);
    ie_file_list_sort(out);
out:
    free(w.first_outside);
    free(w.seen);
    free(norm);
    return rc;
}
