/* Discovery: extension filter, sorting, symlinks (files followed, directory loops cut),
 * unreadable directories, non-UTF-8 names, path normalisation. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "imgeda/confine.h"
#include "imgeda/discover.h"

static void touch(const char *dir, const char *name)
{
    char *p = th_path(dir, name);
    th_write(p, "x", 1);
    free(p);
}

static void mk(const char *dir, const char *name)
{
    char *p = th_path(dir, name);
    cr_assert_eq(mkdir(p, 0755), 0);
    free(p);
}

Test(discover, filters_sorts_and_follows_links_without_looping)
{
    char *d = th_tempdir();
    struct ie_scan_options o;
    struct ie_file_list l;
    struct ie_err err = {0};
    mk(d, "b");
    mk(d, "a");
    touch(d, "b/z.JPG");
    touch(d, "b/notes.txt");
    touch(d, "a/x.png");
    touch(d, "top.webp");
    touch(d, "bad_\xff.jpg");
    char *target = th_path(d, "a/x.png"), *link = th_path(d, "link.png");
    cr_assert_eq(symlink(target, link), 0);
    char *loop = th_path(d, "a/loop");
    cr_assert_eq(symlink("..", loop), 0);
    ie_scan_options_init(&o);
    ie_file_list_init(&l);
    cr_assert_eq(ie_discover(d, &o, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.n, 5, "x.png, z.JPG, top.webp, link.png, bad name; loop not re-entered");
    const char *want[] = {"a/x.png", "b/z.JPG", "bad_\xff.jpg", "link.png", "top.webp"};
    for (size_t i = 0; i < 5; i++) {
        char *full = th_path(d, want[i]);
        cr_expect_str_eq(l.v[i].fs_path, full);
        free(full);
    }
    cr_expect(strstr(l.v[2].record_path, "bad_\\xff.jpg") != NULL, "%s", l.v[2].record_path);
    ie_file_list_release(&l);
    th_rmrf(d);
    free(d);
    free(target);
    free(link);
    free(loop);
}

Test(discover, unreadable_directory_is_a_warning)
{
    if (geteuid() == 0)
        cr_skip_test("root can read any directory");
    char *d = th_tempdir();
    struct ie_scan_options o;
    struct ie_file_list l;
    mk(d, "locked");
    touch(d, "locked/a.jpg");
    touch(d, "ok.jpg");
    char *locked = th_path(d, "locked");
    chmod(locked, 0);
    ie_scan_options_init(&o);
    ie_file_list_init(&l);
    cr_assert_eq(ie_discover(d, &o, &l, NULL), 0);
    cr_expect_eq(l.n, 1);
    cr_expect_eq(l.n_warnings, 1);
    ie_file_list_release(&l);
    th_rmrf(d);
    free(d);
    free(locked);
}

Test(discover, root_errors_are_clear)
{
    struct ie_scan_options o;
    struct ie_file_list l;
    struct ie_err err = {0};
    ie_scan_options_init(&o);
    ie_file_list_init(&l);
    cr_expect_eq(ie_discover("/nonexistent/dir", &o, &l, &err), IE_ENOENT);
    cr_expect(strstr(err.msg, "/nonexistent/dir") != NULL);
    char *d = th_tempdir(), *f = th_path(d, "file.jpg");
    th_write(f, "x", 1);
    cr_expect_eq(ie_discover(f, &o, &l, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "not a directory") != NULL, "%s", err.msg);
    ie_file_list_release(&l);
    th_rmrf(d);
    free(d);
    free(f);
}

Test(discover, paths_normalise_like_pathlib)
{
    struct {
        const char *in, *out;
    } cases[] = {{"a//b/./c/", "a/b/c"}, {"./x", "x"}, {".", "."}, {"./", "."}, {"/", "/"},
                 {"/a/", "/a"},          {"", "."}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *n = ie_path_normalize(cases[i].in);
        cr_expect_str_eq(n, cases[i].out, "normalize(%s)", cases[i].in);
        free(n);
    }
    char *a = ie_path_absolute("/a/b/../c/.");
    cr_expect_str_eq(a, "/a/c");
    free(a);
}

/* scan.allowed_roots: links that resolve outside the allowed roots are skipped (counted in one
 * warning), links that stay inside are kept, and a root that resolves outside is refused. */
Test(discover, confined_walk_skips_links_resolving_outside_the_allowed_roots)
{
    char *top = th_tempdir();
    char *in = th_path(top, "in"), *out = th_path(top, "out");
    struct ie_scan_options o;
    struct ie_file_list l;
    struct ie_err err = {0};
    struct ie_confine c;
    cr_assert_eq(mkdir(in, 0755), 0);
    cr_assert_eq(mkdir(out, 0755), 0);
    touch(in, "ok.jpg");
    touch(out, "secret.jpg");
    mk(out, "photos");
    touch(out, "photos/p.png");
    char *s1 = th_path(out, "secret.jpg"), *l1 = th_path(in, "passwd.jpg");
    char *s2 = th_path(out, "photos"), *l2 = th_path(in, "more");
    char *s3 = th_path(in, "ok.jpg"), *l3 = th_path(in, "again.jpg");
    cr_assert_eq(symlink("/etc/passwd", l1), 0);
    cr_assert_eq(symlink(s2, l2), 0);
    cr_assert_eq(symlink(s3, l3), 0);
    const char *roots[] = {in};
    ie_confine_init(&c, roots, 1);
    ie_scan_options_init(&o);
    o.confine = &c;
    ie_file_list_init(&l);
    cr_assert_eq(ie_discover(in, &o, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.n, 2, "again.jpg (a link inside) and ok.jpg only, not %zu", l.n);
    cr_expect(strstr(l.v[0].fs_path, "again.jpg") && strstr(l.v[1].fs_path, "ok.jpg"));
    cr_assert_eq(l.n_warnings, 1);
    cr_expect(strstr(l.warnings[0], "skipped 2 symlinks resolving outside the allowed roots"), "%s",
              l.warnings[0]);
    ie_file_list_release(&l);

    /* Unconfined (the CLI), the same tree yields the outside files too. */
    o.confine = NULL;
    ie_file_list_init(&l);
    cr_assert_eq(ie_discover(in, &o, &l, &err), 0, "%s", err.msg);
    cr_expect_eq(l.n, 4);
    ie_file_list_release(&l);

    /* A root that is (now) a link to outside is refused, with where it leads. */
    char *moved = th_path(top, "in_moved");
    cr_assert_eq(rename(in, moved), 0);
    cr_assert_eq(symlink(out, in), 0);
    o.confine = &c;
    ie_file_list_init(&l);
    cr_assert_eq(ie_discover(in, &o, &l, &err), IE_EPERM);
    cr_expect(strstr(err.msg, "outside the allowed roots"), "%s", err.msg);
    ie_file_list_release(&l);

    ie_confine_release(&c);
    th_rmrf(top);
    free(top);
    free(in);
    free(out);
    free(moved);
    free(s1);
    free(l1);
    free(s2);
    free(l2);
    free(s3);
    free(l3);
}

/* One confinement for files and objects (imgeda/confine.h): bucket roots by bucket and key prefix
 * on key boundaries, dot segments refused, and files and objects never matching each other's
 * roots. */
Test(confine, buckets_and_directories_in_one_check)
{
    char *top = th_tempdir();
    char *in = th_path(top, "in");
    cr_assert_eq(mkdir(in, 0755), 0);
    touch(in, "a.jpg");
    char *file = th_path(in, "a.jpg");
    const char *roots[] = {in, "s3://photos/cats/", "s3://open", "s3://"};
    struct ie_confine c;
    ie_confine_init(&c, roots, 4);
    cr_assert_eq(c.n, 3, "a URL without a bucket is dropped");
    cr_expect(ie_confine_allows_url(&c, "s3://photos/cats"));
    cr_expect(ie_confine_allows_url(&c, "s3://photos/cats/"));
    cr_expect(ie_confine_allows_url(&c, "s3://photos//cats/tabby/1.jpg"));
    cr_expect_not(ie_confine_allows_url(&c, "s3://photos/catsup/1.jpg"));
    cr_expect_not(ie_confine_allows_url(&c, "s3://photos"));
    cr_expect_not(ie_confine_allows_url(&c, "s3://photos/cats/../dogs/1.jpg"));
    cr_expect_not(ie_confine_allows_url(&c, "s3://photos/cats/./x.jpg"));
    cr_expect_not(ie_confine_allows_url(&c, "s3://photos/cats/a\nb.jpg"));
    cr_expect_not(ie_confine_allows_url(&c, "s3://photos-2/cats/1.jpg"));
    cr_expect(ie_confine_allows_url(&c, "s3://open/any/key..png"),
              "'..' inside a name is no segment");
    cr_expect_not(ie_confine_allows_url(&c, file), "a file is no object");
    cr_expect(ie_confine_allows_path(&c, file));
    cr_expect_not(ie_confine_allows_path(&c, "s3://open/x.jpg"), "an object is no file");
    cr_expect(ie_confine_check(roots, 4, file));
    cr_expect(ie_confine_check(roots, 4, "s3://open/x.jpg"));
    cr_expect_not(ie_confine_check(roots, 4, "/etc/passwd"));
    ie_confine_release(&c);

    /* "/" holds every file but no object. */
    const char *all[] = {"/"};
    cr_expect(ie_confine_check(all, 1, file));
    cr_expect_not(ie_confine_check(all, 1, "s3://open/x.jpg"));
    free(file);
    free(in);
    th_rmrf(top);
    free(top);
}
