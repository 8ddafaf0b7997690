/* Small helpers shared by the unit tests: temp dirs, files, images encoded by libvips. */
#ifndef IE_TEST_HELPERS_H
#define IE_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory under $TMPDIR; caller frees the string. */
static inline char *th_tempdir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *p = malloc(strlen(base) + 32);
    sprintf(p, "%s/ie_test_XXXXXX", base);
    cr_assert_not_null(mkdtemp(p));
    return p;
}

static inline char *th_path(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static inline void th_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static inline void th_rmrf(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
    cr_assert_eq(system(cmd), 0);
}

static inline const char *th_fixtures(void)
{
    const char *f = getenv("IE_FIXTURES");
    return f ? f : "tests/fixtures";
}

#endif
