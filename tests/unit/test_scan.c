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
