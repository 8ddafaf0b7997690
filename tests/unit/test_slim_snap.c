/* Unit tests for core/slim_snap.c: a slim manifest read through its snapshot is the manifest read
 * from JSONL (every record, field and path lookup), a changed manifest is read again, a damaged
 * snapshot is never trusted, and manifests with irregular values are not snapshotted. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "imgeda/diff.h"
#include "imgeda/util.h"

static char *dir, *man, *snap;

static void setup(void)
{
    dir = th_tempdir();
    man = th_path(dir, "manifest.jsonl");
    snap = th_path(dir, "slim.bin");
}

static void teardown(void)
{
    th_rmrf(dir);
    free(dir);
    free(man);
    free(snap);
}

TestSuite(slim_snap, .init = setup, .fini = teardown);

/* A manifest of n records with a header, a replaced record, a corrupt one and two formats. */
static void write_manifest(const char *path, int n, const char *extra)
{
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f,
            "{\"__manifest_meta__\":true,\"input_dir\":\"/data/set\",\"schema_version\":1,"
            "\"settings\":{},\"total_files\":%d}\n",
            n);
    for (int i = 0; i < n; i++)
        fprintf(f,
                "{\"path\":\"/data/set/d%d/img_%05d.%s\",\"file_size_bytes\":%d,\"width\":%d,"
                "\"height\":%d,\"format\":\"%s\",\"color_mode\":\"%s\",\"aspect_ratio\":1.5,"
                "\"phash\":\"%064x\",\"is_corrupt\":%s,\"is_dark\":%s,\"is_blurry\":false,"
                "\"content_hash\":\"xxh3_128:%032x\"}\n",
                i % 7, i, i % 3 ? "jpg" : "png", 1000 + i, 640 + i % 5, 480, i % 3 ? "JPEG" : "PNG",
                i % 11 ? "RGB" : "L", i / 3, i == 5 ? "true" : "false", i % 4 ? "false" : "true",
                i);
    /* The same path again: the later record replaces the earlier one in place. */
    fprintf(f, "{\"path\":\"/data/set/d2/img_00002.jpg\",\"file_size_bytes\":7,\"width\":1,"
               "\"height\":1,\"format\":\"JPEG\",\"color_mode\":\"RGB\"}\n");
    fputs("not json\n", f);
    if (extra)
        fputs(extra, f);
    fclose(f);
}

static void load(const char *snap_path, struct ie_slim_manifest *m)
{
    struct ie_err err = {0};
    ie_slim_manifest_init(m);
    cr_assert_eq(ie_slim_manifest_load_cached(man, snap_path, m, &err), 0, "%s", err.msg);
}

static void expect_same(const struct ie_slim_manifest *a, const struct ie_slim_manifest *b)
{
    cr_assert_eq(a->n, b->n);
    cr_expect_eq(a->has_header, b->has_header);
    cr_expect_str_eq(a->input_dir, b->input_dir);
    cr_expect_eq(a->skipped_lines, b->skipped_lines);
    cr_expect_eq(a->replaced, b->replaced);
    for (size_t i = 0; i < a->n; i++) {
        const struct ie_slim_record *x = &a->recs[i], *y = &b->recs[i];
        cr_assert_str_eq(x->path, y->path, "record %zu", i);
        cr_assert_str_eq(x->format, y->format);
        cr_assert_str_eq(x->color_mode, y->color_mode);
        cr_assert(x->file_size_bytes == y->file_size_bytes && x->width == y->width &&
                      x->height == y->height && x->flags == y->flags &&
                      x->aspect_ratio == y->aspect_ratio && x->chash[0] == y->chash[0] &&
                      x->chash[1] == y->chash[1] &&
                      memcmp(&x->phash, &y->phash, sizeof(x->phash)) == 0,
                  "record %zu", i);
    }
    /* The path index answers the same: a diff of the two finds every path unchanged. */
    struct ie_diff_result d;
    ie_diff_result_init(&d);
    ie_diff_compute(a, b, &d);
    cr_expect_eq(d.n_added + d.n_removed + d.n_changed, 0);
    cr_expect_eq(d.unchanged_count, a->n);
    ie_diff_result_release(&d);
    size_t ga = ie_slim_manifest_exact_groups(a, NULL, NULL, NULL),
           gb = ie_slim_manifest_exact_groups(b, NULL, NULL, NULL);
    cr_expect_eq(ga, gb);
}

Test(slim_snap, the_snapshot_reads_back_as_the_manifest)
{
    struct ie_slim_manifest plain, first, second;
    struct stat st;
    write_manifest(man, 3000, NULL);
    load(NULL, &plain);
    cr_assert_eq(plain.n, 3000);
    load(snap, &first);
    cr_assert_eq(stat(snap, &st), 0, "the first load writes the snapshot");
    load(snap, &second);
    expect_same(&plain, &first);
    expect_same(&plain, &second);
    cr_expect_str_eq(second.recs[2].format, "JPEG");
    cr_expect_eq(second.recs[2].file_size_bytes, 7, "the replacing record, in place");
    ie_slim_manifest_release(&plain);
    ie_slim_manifest_release(&first);
    ie_slim_manifest_release(&second);
}

Test(slim_snap, a_changed_manifest_is_read_again)
{
    struct ie_slim_manifest a, b;
    write_manifest(man, 100, NULL);
    load(snap, &a);
    cr_assert_eq(a.n, 100);
    /* Same size is not enough: another record count changes the size, a rewrite the mtime. */
    write_manifest(man, 101, NULL);
    load(snap, &b);
    cr_expect_eq(b.n, 101);
    ie_slim_manifest_release(&a);
    ie_slim_manifest_release(&b);
}

Test(slim_snap, a_damaged_snapshot_is_not_trusted)
{
    struct ie_slim_manifest plain, m;
    struct ie_err err = {0};
    char *data = NULL;
    size_t len;
    write_manifest(man, 500, NULL);
    load(NULL, &plain);
    load(snap, &m);
    ie_slim_manifest_release(&m);
    cr_assert_eq(ie_read_file(snap, 1 << 26, &data, &len, &err), 0, "%s", err.msg);
    /* Truncated, then every 97th byte flipped past the header's identity, then zeroed slots:
     * each is read from the JSONL again, with the same answer. */
    th_write(snap, data, len / 2);
    load(snap, &m);
    expect_same(&plain, &m);
    ie_slim_manifest_release(&m);
    for (size_t k = 200; k < len; k += 97)
        data[k] ^= 0x5a;
    th_write(snap, data, len);
    load(snap, &m);
    expect_same(&plain, &m);
    ie_slim_manifest_release(&m);
    memset(data + len / 3, 0xff, len / 3);
    th_write(snap, data, len);
    load(snap, &m);
    expect_same(&plain, &m);
    ie_slim_manifest_release(&m);
    free(data);
    ie_slim_manifest_release(&plain);
}

Test(slim_snap, irregular_values_are_not_snapshotted)
{
    struct ie_slim_manifest m;
    struct stat st;
    write_manifest(man, 10, "{\"path\":\"/data/set/odd.jpg\",\"width\":640.5,\"format\":null}\n");
    load(snap, &m);
    cr_expect_eq(m.n, 11);
    cr_expect_neq(stat(snap, &st), 0, "no snapshot of a manifest with irregular values");
    ie_slim_manifest_release(&m);
}
