/* The scan engine driven in-process on one thread: plan, batches, commit, resume, final
 * rewrite, refusal to overwrite a foreign file. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"
#include "imgeda/manifest.h"
#include "imgeda/scan.h"
#include "imgeda/util.h"

static void setup(void)
{
    cr_assert_eq(ie_init("test_scan", NULL), 0);
}

TestSuite(scan, .init = setup);

static void write_png(const char *dir, const char *name, int v)
{
    VipsImage *black, *img;
    void *buf;
    size_t len;
    cr_assert_eq(vips_black(&black, 24, 16, "bands", 3, NULL), 0);
    cr_assert_eq(vips_linear1(black, &img, 1.0, (double)v, "uchar", TRUE, NULL), 0);
    cr_assert_eq(vips_image_write_to_buffer(img, ".png", &buf, &len, NULL), 0);
    char *p = th_path(dir, name);
    th_write(p, buf, len);
    free(p);
    g_free(buf);
    g_object_unref(img);
    g_object_unref(black);
}

/* Runs a whole scan on this thread; returns progress at the end. */
static struct ie_scan_progress run(const char *root, const char *out, struct ie_scan_options *o)
{
    struct ie_scan *s;
    struct ie_err err = {0};
    struct ie_scan_batch *b;
    struct ie_scan_progress p;
    cr_assert_eq(ie_scan_open(root, out, o, &s, &err), 0, "%s", err.msg);
    while ((b = ie_scan_next_batch(s, 2))) {
        ie_scan_batch_run(s, b, NULL);
        cr_assert_eq(ie_scan_batch_commit(s, b, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(ie_scan_finish(s, true, &err), 0, "%s", err.msg);
    ie_scan_get_progress(s, &p);
    ie_scan_free(s);
    return p;
}

static void load(const char *path, struct ie_manifest *m)
{
    ie_manifest_init(m);
    cr_assert_eq(ie_manifest_load(path, m, NULL), 0);
}

Test(scan, full_scan_then_resume_keeps_unchanged_records)
{
    char *d = th_tempdir(), *out = th_path(d, "m.jsonl"), *img = th_path(d, "img");
    struct ie_scan_options o;
    struct ie_manifest m;
    mkdir(img, 0755);
    write_png(img, "c.png", 10);
    write_png(img, "a.png", 100);
    write_png(img, "b.png", 250);
    ie_scan_options_init(&o);
    o.checkpoint_every = 1;

    struct ie_scan_progress p = run(img, out, &o);
    cr_expect_eq(p.total, 3);
    cr_expect_eq(p.analysed, 3);
    cr_expect_eq(p.dark, 1);
    cr_expect_eq(p.overexposed, 1);
    load(out, &m);
    cr_assert_eq(m.n, 3);
    cr_expect(strstr(m.recs[0].path, "a.png") && strstr(m.recs[2].path, "c.png"),
              "records are in path order after the final rewrite");
    cr_expect_eq(m.meta.total_files, 3);
    char *first_at = strdup(m.recs[0].analyzed_at);
    ie_manifest_release(&m);

    /* Re-run: nothing changed, nothing analysed. */
    p = run(img, out, &o);
    cr_expect_eq(p.analysed, 0);
    cr_expect_eq(p.resumed, 3);
    cr_expect_eq(p.dark, 1, "flags of kept records still count");

    /* Change one file, delete one, add one. */
    sleep(0); /* mtime resolution is ns; the size also changes */
    char *b = th_path(img, "b.png");
    unlink(b);
    write_png(img, "a.png", 120);
    write_png(img, "d.png", 60);
    p = run(img, out, &o);
    cr_expect_eq(p.total, 3);
    cr_expect_eq(p.analysed, 2, "a.png changed and d.png is new");
    load(out, &m);
    cr_assert_eq(m.n, 3, "b.png vanished and its record is dropped");
    cr_expect(strstr(m.recs[2].path, "d.png") != NULL);
    cr_expect_float_eq(m.recs[0].pixel_stats.mean_brightness, 120.0, 1e-9);
    cr_expect_str_neq(m.recs[0].analyzed_at, first_at);
    ie_manifest_release(&m);

    /* --force re-analyses everything. */
    o.force = true;
    p = run(img, out, &o);
    cr_expect_eq(p.analysed, 3);
    free(first_at);
    free(b);
    th_rmrf(d);
    free(d);
    free(out);
    free(img);
}

Test(scan, changed_settings_reanalyse_everything)
{
    char *d = th_tempdir(), *out = th_path(d, "m.jsonl");
    struct ie_scan_options o;
    write_png(d, "a.png", 30);
    ie_scan_options_init(&o);
    o.extensions[0][0] = '.';
    struct ie_scan_progress p = run(d, out, &o);
    cr_expect_eq(p.analysed, 1);
    cr_expect_eq(p.dark, 1);
    o.dark_threshold = 20;
    p = run(d, out, &o);
    cr_expect_eq(p.analysed, 1, "new threshold, new analysis");
    cr_expect_eq(p.dark, 0);
    th_rmrf(d);
    free(d);
    free(out);
}

Test(scan, refuses_to_overwrite_a_file_that_is_not_a_manifest)
{
    char *d = th_tempdir(), *out = th_path(d, "precious.txt");
    struct ie_scan_options o;
    struct ie_scan *s = NULL;
    struct ie_err err = {0};
    th_write(out, "my thesis\n", 10);
    ie_scan_options_init(&o);
    cr_expect_eq(ie_scan_open(d, out, &o, &s, &err), IE_EINVAL);
    cr_expect(strstr(err.msg, "not a manifest") != NULL, "%s", err.msg);
    cr_expect_null(s);
    char *text;
    size_t len;
    cr_assert_eq(ie_read_file(out, 100, &text, &len, NULL), 0);
    cr_expect_str_eq(text, "my thesis\n", "nothing already written is lost");
    free(text);
    o.resume = false;
    cr_expect_eq(ie_scan_open(d, out, &o, &s, &err), IE_EINVAL, "--no-resume is not --force");
    th_rmrf(d);
    free(d);
    free(out);
}

Test(scan, cancelled_batch_leaves_files_to_do_and_manifest_valid)
{
    char *d = th_tempdir(), *out = th_path(d, "m.jsonl");
    struct ie_scan_options o;
    struct ie_scan *s;
    struct ie_err err = {0};
    atomic_int cancel;
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%d.png", i);
        write_png(d, name, 40 * i);
    }
    ie_scan_options_init(&o);
    cr_assert_eq(ie_scan_open(d, out, &o, &s, &err), 0);
    struct ie_scan_batch *b = ie_scan_next_batch(s, 2);
    ie_scan_batch_run(s, b, NULL);
    cr_assert_eq(ie_scan_batch_commit(s, b, NULL, &err), 0);
    atomic_init(&cancel, 1);
    b = ie_scan_next_batch(s, 2);
    ie_scan_batch_run(s, b, &cancel);
    cr_assert_eq(ie_scan_batch_commit(s, b, NULL, &err), 0);
    cr_expect_eq(ie_scan_remaining(s), 3);
    cr_assert_eq(ie_scan_finish(s, false, &err), 0);
    ie_scan_free(s);
    struct ie_manifest m;
    load(out, &m);
    cr_expect_eq(m.n, 2);
    ie_manifest_release(&m);
    /* The next run picks up exactly the rest. */
    struct ie_scan_progress p = run(d, out, &o);
    cr_expect_eq(p.resumed, 2);
    cr_expect_eq(p.analysed, 3);
    th_rmrf(d);
    free(d);
    free(out);
}

Test(scan, empty_folder_gets_a_header_only_manifest)
{
    char *d = th_tempdir(), *out = th_path(d, "m.jsonl");
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    struct ie_scan_progress p = run(d, out, &o);
    cr_expect_eq(p.total, 0);
    struct ie_manifest m;
    load(out, &m);
    cr_expect(m.meta.present);
    cr_expect_eq(m.n, 0);
    ie_manifest_release(&m);
    th_rmrf(d);
    free(d);
    free(out);
}

/* A listed file (as engine/s3_scan.c plans an object) with the given size and mtime. */
static void add_listed(struct ie_file_list *l, const char *key, int64_t size, double mtime)
{
    char rec[128];
    snprintf(rec, sizeof(rec), "s3://b/%s", key);
    ie_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
    l->v[l->n++] = (struct ie_found_file){.fs_path = ie_xstrdup(key),
                                          .record_path = ie_xstrdup(rec),
                                          .listed = true,
                                          .size = size,
                                          .mtime = mtime};
}

/* Runs a listed scan whose driver "fetches" every object as the bytes of src_png (the key
 * "gone.png": a failed fetch); returns how many files were analysed. */
static size_t run_listed(const char *out, const char *src_png, struct ie_file_list *l,
                         struct ie_scan_options *o)
{
    struct ie_scan *s;
    struct ie_err err = {0};
    struct ie_scan_batch *b;
    struct ie_scan_progress p;
    char *buf = NULL;
    size_t len = 0;
    cr_assert_eq(ie_read_file(src_png, 1 << 20, &buf, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_scan_open_listed("s3://b", l, out, o, &s, &err), 0, "%s", err.msg);
    cr_assert_eq(l->n, 0, "the list is taken over");
    while ((b = ie_scan_next_batch(s, 2))) {
        for (size_t k = 0; k < b->n; k++) {
            const struct ie_found_file *f = ie_scan_file(s, b->files[k]);
            int64_t bytes = 0;
            if (strcmp(f->fs_path, "gone.png") == 0)
                ie_scan_failed_one(o, f, "cannot fetch: NoSuchKey", &b->lines[k], &b->flags[k]);
            else
                ie_scan_analyze_bytes(o, f, buf, len, &b->lines[k], &b->flags[k], &bytes);
        }
        cr_assert_eq(ie_scan_batch_commit(s, b, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(ie_scan_finish(s, true, &err), 0, "%s", err.msg);
    ie_scan_get_progress(s, &p);
    ie_scan_free(s);
    free(buf);
    return p.analysed;
}

Test(scan, listed_files_resume_on_listed_size_and_mtime_without_opening_keys)
{
    char *d = th_tempdir(), *out = th_path(d, "m.jsonl"), *png = th_path(d, "x.png");
    struct ie_scan_options o;
    struct ie_file_list l;
    struct ie_manifest m;
    struct stat st;
    write_png(d, "x.png", 120);
    cr_assert_eq(stat(png, &st), 0);
    ie_scan_options_init(&o);
    ie_file_list_init(&l);
    add_listed(&l, "z.png", st.st_size, 1000.0);
    add_listed(&l, "a.png", st.st_size, 2000.0);
    add_listed(&l, "gone.png", 77, 3000.0);
    cr_expect_eq(run_listed(out, png, &l, &o), 3);
    load(out, &m);
    cr_assert_eq(m.n, 3);
    cr_expect_str_eq(m.meta.input_dir, "s3://b");
    cr_expect_str_eq(m.recs[0].path, "s3://b/a.png", "sorted by path");
    cr_expect_eq(m.recs[0].file_size_bytes, st.st_size);
    cr_expect_float_eq(m.recs[0].mtime, 2000.0, 1e-9);
    cr_expect_not(m.recs[0].is_corrupt);
    cr_expect_str_eq(m.recs[0].filename, "a.png");
    cr_expect_str_eq(m.recs[1].path, "s3://b/gone.png");
    cr_expect(m.recs[1].is_corrupt);
    cr_expect_str_eq(m.recs[1].error, "cannot fetch: NoSuchKey");
    cr_expect_eq(m.recs[1].file_size_bytes, 77);
    ie_manifest_release(&m);

    /* Same listing but z.png has a new LastModified: only it is analysed again. */
    add_listed(&l, "z.png", st.st_size, 1001.0);
    add_listed(&l, "a.png", st.st_size, 2000.0);
    add_listed(&l, "gone.png", 77, 3000.0);
    cr_expect_eq(run_listed(out, png, &l, &o), 1);

    /* A listed file reaching ie_scan_batch_run is never opened as a path. */
    struct ie_scan *s;
    struct ie_err err = {0};
    struct ie_scan_batch *b;
    add_listed(&l, "x.png", st.st_size, 5.0);
    o.force = true;
    cr_assert_eq(chdir(d), 0); /* "x.png" would open as a relative path here */
    cr_assert_eq(ie_scan_open_listed("s3://b", &l, out, &o, &s, &err), 0, "%s", err.msg);
    b = ie_scan_next_batch(s, 4);
    ie_scan_batch_run(s, b, NULL);
    cr_expect(strstr(b->lines[0], "\"is_corrupt\":true"), "%s", b->lines[0]);
    ie_scan_batch_free(b);
    ie_scan_free(s);
    ie_file_list_release(&l);
    th_rmrf(d);
    free(d);
    free(out);
    free(png);
}
