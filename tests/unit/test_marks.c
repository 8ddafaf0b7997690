/* Unit tests for core/marks.c: matching marks to records (by hash and relative path, then by
 * hash for a moved file), remove, keep in a duplicate group, ok, not_duplicate splitting exact
 * groups as the gate and the summary then count them, and the marks file round trip. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "imgeda/gate.h"
#include "imgeda/marks.h"
#include "imgeda/slim.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"

#define ROOT "/data/set"

/* A non-corrupt 100x100 record at ROOT/name with a phash made of `ph` and content hash `ch`. */
static void mkrec(struct ie_record *r, const char *name, uint64_t ph, const char *ch)
{
    char path[256];
    ie_record_init(r);
    snprintf(path, sizeof(path), ROOT "/%s", name);
    ie_record_set_str(&r->path, path);
    ie_record_set_str(&r->filename, name);
    ie_record_set_str(&r->format, "JPEG");
    ie_record_set_str(&r->content_hash, ch);
    r->width = r->height = 100;
    r->file_size_bytes = 1000;
    r->has_phash = true;
    r->phash.w[0] = ph;
    r->phash.w[1] = ph * 7;
    r->phash.w[2] = ~ph;
    r->phash.w[3] = ph ^ 0x5555;
}

/* Six records: a, b, c share one phash (an exact group) with different bytes; d is dark; e and
 * f are byte-identical copies (same phash too). */
static struct ie_record recs[6];

static void setup(void)
{
    mkrec(&recs[0], "a.jpg", 1, "xxh3_128:aa");
    mkrec(&recs[1], "b.jpg", 1, "xxh3_128:bb");
    mkrec(&recs[2], "c.jpg", 1, "xxh3_128:cc");
    mkrec(&recs[3], "d.jpg", 0x1234567, "xxh3_128:dd");
    recs[3].is_dark = true;
    mkrec(&recs[4], "e.jpg", 0x777777777, "xxh3_128:ee");
    mkrec(&recs[5], "sub/f.jpg", 0x777777777, "xxh3_128:ee");
}

static void teardown(void)
{
    for (size_t i = 0; i < 6; i++)
        ie_record_release(&recs[i]);
}

TestSuite(marks, .init = setup, .fini = teardown);

static void apply(const struct ie_marks *mk, struct ie_marks_applied *a)
{
    struct ie_err err = {0};
    ie_marks_applied_init(a);
    cr_assert_eq(ie_marks_apply(recs, 6, ROOT, mk, 8, a, &err), 0, "%s", err.msg);
}

static size_t exact_extra(const struct ie_marks_applied *a)
{
    struct ie_summary s;
    ie_summary_compute(a->recs, a->n, &s);
    size_t v = s.exact_duplicate_images;
    ie_summary_release(&s);
    return v;
}

Test(marks, no_marks_change_nothing)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    apply(&mk, &a);
    cr_assert_eq(a.n, 6);
    cr_assert_eq(a.marks_applied, 0);
    cr_assert_eq(exact_extra(&a), 3); /* b, c beyond a; f beyond e */
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, remove_and_ok)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    ie_marks_set(&mk, "xxh3_128:bb", "b.jpg", IE_MARK_REMOVE);
    ie_marks_set(&mk, "xxh3_128:dd", "d.jpg", IE_MARK_OK);
    ie_marks_set(&mk, "xxh3_128:zz", "gone.jpg", IE_MARK_REMOVE);
    apply(&mk, &a);
    cr_assert_eq(a.n, 5);
    cr_assert(a.removed[1]);
    cr_assert_eq(a.removed_marked, 1);
    cr_assert_eq(a.marks_applied, 2);
    cr_assert_eq(a.marks_unmatched, 1);
    cr_assert_eq(a.ok_images, 1);
    cr_assert_not(a.recs[2].is_dark, "d is ok: its flag is cleared");
    cr_assert(recs[3].is_dark, "the input records are untouched");
    cr_assert_eq(exact_extra(&a), 2);
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, keep_drops_the_rest_of_the_group_but_not_ok_ones)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    ie_marks_set(&mk, "xxh3_128:aa", "a.jpg", IE_MARK_KEEP);
    ie_marks_set(&mk, "xxh3_128:cc", "c.jpg", IE_MARK_OK);
    apply(&mk, &a);
    cr_assert(a.removed[1]);
    cr_assert_not(a.removed[0]);
    cr_assert_not(a.removed[2]);
    cr_assert_eq(a.removed_by_keep, 1);
    cr_assert_eq(a.n, 5);
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, byte_identical_copies_are_told_apart_by_path)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    ie_marks_set(&mk, "xxh3_128:ee", "e.jpg", IE_MARK_KEEP);
    apply(&mk, &a);
    cr_assert_eq(a.kind[4], IE_MARK_KEEP);
    cr_assert_eq(a.kind[5], IE_MARK_NONE, "the copy at another path is not the kept one");
    cr_assert(a.removed[5]);
    cr_assert_eq(exact_extra(&a), 2);
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, a_moved_file_keeps_its_mark_by_hash)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    ie_marks_set(&mk, "xxh3_128:dd", "old/place/d.jpg", IE_MARK_REMOVE);
    /* Two copies of ee were marked at two paths; neither matches f's new path, so f (which
     * could be either) gets no mark. */
    ie_marks_set(&mk, "xxh3_128:ee", "x.jpg", IE_MARK_REMOVE);
    ie_marks_set(&mk, "xxh3_128:ee", "y.jpg", IE_MARK_KEEP);
    apply(&mk, &a);
    cr_assert(a.removed[3]);
    cr_assert_eq(a.kind[4], IE_MARK_NONE);
    cr_assert_eq(a.kind[5], IE_MARK_NONE);
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, not_duplicate_splits_an_exact_group)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    ie_marks_add(&mk, "xxh3_128:aa", "a.jpg", IE_MARK_NOT_DUPLICATE, "nd-1");
    ie_marks_add(&mk, "xxh3_128:bb", "b.jpg", IE_MARK_NOT_DUPLICATE, "nd-1");
    apply(&mk, &a);
    /* c is in no set: it joins a and b, so the group stays whole. */
    cr_assert_eq(a.split_images, 0);
    cr_assert_eq(exact_extra(&a), 3);
    ie_marks_applied_release(&a);
    ie_marks_add(&mk, "xxh3_128:cc", "c.jpg", IE_MARK_NOT_DUPLICATE, "nd-1");
    apply(&mk, &a);
    cr_assert_eq(a.split_images, 2);
    cr_assert_eq(exact_extra(&a), 1, "only the byte-identical pair remains");
    {
        /* The gate counts what the summary counts. */
        struct ie_slim_manifest m;
        struct ie_policy p;
        struct ie_gate_result g;
        ie_slim_manifest_init(&m);
        ie_policy_init(&p);
        ie_gate_result_init(&g);
        for (size_t i = 0; i < a.n; i++)
            ie_slim_manifest_add_record(&m, &a.recs[i]);
        ie_gate_evaluate(&m, &p, &g);
        cr_assert_str_eq(g.checks[4].name, "max_duplicate_pct");
        cr_assert_float_eq(g.checks[4].observed, 16.67, 1e-9);
        ie_gate_result_release(&g);
        ie_policy_release(&p);
        ie_slim_manifest_release(&m);
    }
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, not_duplicate_pairs_leave_components)
{
    struct ie_marks mk;
    struct ie_marks_applied a;
    ie_marks_init(&mk);
    /* a-b and a-c declared distinct; b and c may still be duplicates of each other: {a}, {b, c}. */
    ie_marks_add(&mk, "xxh3_128:aa", "a.jpg", IE_MARK_NOT_DUPLICATE, "nd-1");
    ie_marks_add(&mk, "xxh3_128:bb", "b.jpg", IE_MARK_NOT_DUPLICATE, "nd-1");
    ie_marks_add(&mk, "xxh3_128:aa", "a.jpg", IE_MARK_NOT_DUPLICATE, "nd-2");
    ie_marks_add(&mk, "xxh3_128:cc", "c.jpg", IE_MARK_NOT_DUPLICATE, "nd-2");
    apply(&mk, &a);
    cr_assert_eq(a.split_images, 2);
    cr_assert_eq(exact_extra(&a), 2, "b-c and e-f");
    ie_marks_applied_release(&a);
    ie_marks_release(&mk);
}

Test(marks, set_replaces_and_clears)
{
    struct ie_marks mk;
    ie_marks_init(&mk);
    ie_marks_set(&mk, "h", "p", IE_MARK_REMOVE);
    ie_marks_add(&mk, "h", "p", IE_MARK_NOT_DUPLICATE, "nd-4");
    ie_marks_set(&mk, "h", "p", IE_MARK_KEEP);
    cr_assert_eq(mk.n, 2);
    char *g = ie_marks_new_group(&mk);
    cr_assert_str_eq(g, "nd-5");
    free(g);
    ie_marks_set(&mk, "h", "p", IE_MARK_NONE);
    cr_assert_eq(mk.n, 0);
    ie_marks_release(&mk);
}

Test(marks, file_round_trip_and_errors)
{
    char *dir = th_tempdir(), *f = th_path(dir, "marks.jsonl");
    struct ie_marks mk, back;
    struct ie_err err = {0};
    ie_marks_init(&mk);
    ie_marks_init(&back);
    ie_marks_set(&mk, "xxh3_128:aa", "dir/a, \"b\".jpg", IE_MARK_REMOVE);
    ie_marks_set(&mk, NULL, "old.jpg", IE_MARK_OK);
    ie_marks_add(&mk, "xxh3_128:bb", "b.jpg", IE_MARK_NOT_DUPLICATE, "nd-1");
    cr_assert_eq(ie_marks_save(f, &mk, &err), 0, "%s", err.msg);
    cr_assert_eq(ie_marks_load(f, &back, &err), 0, "%s", err.msg);
    cr_assert_eq(back.n, 3);
    cr_assert_str_eq(back.v[0].path, "dir/a, \"b\".jpg");
    cr_assert_null(back.v[1].content_hash);
    cr_assert_str_eq(back.v[2].group, "nd-1");
    char *csv = ie_mark_to_csv(&back.v[0]);
    cr_assert_str_eq(csv, "xxh3_128:aa,\"dir/a, \"\"b\"\".jpg\",remove,");
    free(csv);
    th_write(f, "\n{\"path\": \"a\", \"mark\": \"keep\"}\n{\"path\": \"a\", \"mark\": \"gone\"}\n",
             52);
    ie_marks_release(&back);
    cr_assert_eq(ie_marks_load(f, &back, &err), IE_EINVAL);
    cr_assert(strstr(err.msg, "line 3"), "%s", err.msg);
    cr_assert_str_eq(ie_marks_rel_path("/data/set/", "/data/set/x/y.jpg"), "x/y.jpg");
    cr_assert_str_eq(ie_marks_rel_path("/data/set", "/data/setx/y.jpg"), "/data/setx/y.jpg");
    cr_assert_str_eq(ie_marks_rel_path("/home/u/set", "set/a/y.jpg"), "a/y.jpg");
    cr_assert_str_eq(ie_marks_rel_path("/home/u/set", "./set/y.jpg"), "y.jpg");
    cr_assert_str_eq(ie_marks_rel_path("/home/u/set", "../u/set/y.jpg"), "y.jpg");
    cr_assert_str_eq(ie_marks_rel_path("/home/u/set", "other/y.jpg"), "other/y.jpg");
    cr_assert_str_eq(ie_marks_rel_path("/", "/y.jpg"), "y.jpg");
    ie_marks_release(&back);
    ie_marks_release(&mk);
    th_rmrf(dir);
    free(f);
    free(dir);
}
