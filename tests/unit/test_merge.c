/* Merging manifests: the k-way merge in path order, the merged header (settings as written
 * without the shard, the earliest created_at, the records' count), duplicates, refusals. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgeda/merge.h"
#include "imgeda/options.h"
#include "imgeda/record.h"
#include "imgeda/util.h"

/* The settings a scan with shard k/n (n = 0: none) and dark threshold dark records. */
static char *settings(unsigned k, unsigned n, double dark)
{
    struct ie_scan_options o;
    ie_scan_options_init(&o);
    o.workers = 2;
    o.dark_threshold = dark;
    if (n)
        o.shard = (struct ie_shard){k, n};
    return ie_scan_options_settings_json(&o);
}

static char dir[] = "/tmp/ie_test_merge_XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Writes dir/name: a header with settings, created_at and total, then the records' paths. */
static char *part(const char *name, const char *settings, const char *created, int total,
                  const char *const *paths)
{
    char *p = malloc(256);
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fprintf(f,
            "{\"__manifest_meta__\":true,\"input_dir\":\"/data\",\"schema_version\":1,"
            "\"settings\":%s,\"total_files\":%d,\"created_at\":\"%s\"}\n",
            settings, total, created);
    for (; *paths; paths++)
        fprintf(f, "{\"path\":\"%s\",\"width\":1}\n", *paths);
    fclose(f);
    return p;
}

static char *slurp(const char *path)
{
    size_t n = 0;
    char *s = NULL;
    cr_assert_eq(ie_read_file(path, 1 << 20, &s, &n, NULL), 0);
    return s;
}

Test(merge, shards_merge_in_path_order_under_a_whole_scans_header, .init = setup, .fini = teardown)
{
    const char *a[] = {"/data/b.jpg", "/data/d.jpg", NULL},
               *b[] = {"/data/a.jpg", "/data/c.jpg", NULL};
    char *s2 = settings(2, 2, 40), *s1 = settings(1, 2, 40), *whole = settings(0, 0, 40);
    cr_assert_not_null(strstr(s2, "\"shard\":\"2/2\""));
    char *pa = part("a", s2, "2025-01-02T00:00:00Z", 2, a);
    char *pb = part("b", s1, "2025-01-01T00:00:00Z", 2, b);
    char out[256];
    snprintf(out, sizeof(out), "%s/out", dir);
    const char *parts[] = {pa, pb};
    struct ie_merge_stats st;
    struct ie_err err = {0};
    cr_assert_eq(ie_manifest_merge(parts, 2, out, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(st.records, 4);
    char *s = slurp(out), want[4096];
    snprintf(want, sizeof(want),
             "{\"__manifest_meta__\":true,\"input_dir\":\"/data\",\"schema_version\":1,"
             "\"settings\":%s,\"total_files\":4,\"created_at\":\"2025-01-01T00:00:00Z\"}\n"
             "{\"path\":\"/data/a.jpg\",\"width\":1}\n"
             "{\"path\":\"/data/b.jpg\",\"width\":1}\n"
             "{\"path\":\"/data/c.jpg\",\"width\":1}\n"
             "{\"path\":\"/data/d.jpg\",\"width\":1}\n",
             whole);
    cr_assert_str_eq(s, want);
    free(s2);
    free(s1);
    free(whole);
    free(s);
    free(pa);
    free(pb);
}

Test(merge, identical_duplicates_are_written_once_and_the_count_follows, .init = setup,
     .fini = teardown)
{
    const char *a[] = {"/data/a.jpg", "/data/b.jpg", NULL};
    char *sa = settings(0, 0, 40);
    char *pa = part("a", sa, "2025-01-01T00:00:00Z", 2, a);
    free(sa);
    char out[256];
    snprintf(out, sizeof(out), "%s/out", dir);
    const char *parts[] = {pa, pa};
    struct ie_merge_stats st;
    struct ie_err err = {0};
    cr_assert_eq(ie_manifest_merge(parts, 2, out, &st, &err), 0, "%s", err.msg);
    cr_assert_eq(st.records, 2);
    cr_assert_eq(st.duplicates, 2);
    char *s = slurp(out), *want = slurp(pa);
    cr_assert_str_eq(s, want, "the merged header counts 2 files, not 4");
    free(s);
    free(want);
    free(pa);
}

Test(merge, refusals_name_the_part_and_write_nothing, .init = setup, .fini = teardown)
{
    const char *a[] = {"/data/a.jpg", NULL}, *none[] = {NULL};
    char *s40 = settings(0, 0, 40), *s10 = settings(0, 0, 10);
    char *pa = part("a", s40, "t", 1, a);
    char *pb = part("b", s10, "t", 1, a);
    char *pc = part("c", s40, "t", 3, none);
    free(s40);
    free(s10);
    char out[256];
    snprintf(out, sizeof(out), "%s/out", dir);
    struct ie_err err = {0};
    const char *mixed[] = {pa, pb};
    cr_assert_eq(ie_manifest_merge(mixed, 2, out, NULL, &err), IE_EINVAL);
    cr_assert_not_null(strstr(err.msg, "dark_threshold is 40 in"), "%s", err.msg);
    const char *unfinished[] = {pc};
    cr_assert_eq(ie_manifest_merge(unfinished, 1, out, NULL, &err), IE_EINVAL);
    cr_assert_not_null(strstr(err.msg, "has 0 record(s) for the 3 file(s)"), "%s", err.msg);
    cr_assert_eq(ie_manifest_merge(NULL, 0, out, NULL, &err), IE_EINVAL);
    cr_assert_neq(access(out, F_OK), 0, "nothing written");
    free(pa);
    free(pb);
    free(pc);
}

/* Shards run on many machines can come from different imgeda builds: a part whose analyzer
 * version differs is refused like any analysis setting, naming both versions. */
Test(merge, shards_of_another_analyzer_version_are_refused, .init = setup, .fini = teardown)
{
    const char *a[] = {"/data/a.jpg", NULL}, *b[] = {"/data/b.jpg", NULL};
    char *s1 = settings(1, 2, 40), *s2 = settings(2, 2, 40);
    char *at = strstr(s2, "\"analyzer_version\":\"" IE_ANALYZER_VERSION "\"");
    cr_assert_not_null(at, "%s", s2);
    char *old = ie_xmalloc(strlen(s2) + 16);
    snprintf(old, strlen(s2) + 16, "%.*s\"analyzer_version\":\"imgeda-0.9\"%s", (int)(at - s2), s2,
             at + strlen("\"analyzer_version\":\"" IE_ANALYZER_VERSION "\""));
    char *pa = part("a", s1, "t", 1, a);
    char *pb = part("b", old, "t", 1, b);
    char out[256];
    snprintf(out, sizeof(out), "%s/out", dir);
    const char *parts[] = {pa, pb};
    struct ie_err err = {0};
    cr_assert_eq(ie_manifest_merge(parts, 2, out, NULL, &err), IE_EINVAL);
    cr_assert_not_null(strstr(err.msg, "parts made with different analysis settings: "
                                       "analyzer_version is \"" IE_ANALYZER_VERSION "\" in "),
                       "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "but \"imgeda-0.9\" in"), "%s", err.msg);
    cr_assert_neq(access(out, F_OK), 0, "nothing written");
    free(s1);
    free(s2);
    free(old);
    free(pa);
    free(pb);
}
