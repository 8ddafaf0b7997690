/* Unit tests for the diff's matching beyond imgeda (core/diff.c): by path under each root when
 * the roots differ, then by content hash (moved, copied), the phash distance of changes, and
 * the JSON shapes (imgeda's bytes unless something moved; the extended one). Manifests are
 * built line by line, as the loader reads them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/diff.h"

#define H(c) "xxh3_128:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define P0   "0000000000000000000000000000000000000000000000000000000000000000"
#define P3   "0000000000000000000000000000000000000000000000000000000000000007"

static void add(struct ie_slim_manifest *m, const char *line)
{
    cr_assert_geq(ie_slim_manifest_add_line(m, line, strlen(line)), 0, "%s", line);
}

static void header(struct ie_slim_manifest *m, const char *root)
{
    char line[256];
    snprintf(line, sizeof(line), "{\"__manifest_meta__\": true, \"input_dir\": \"%s\"}", root);
    add(m, line);
}

static void rec(struct ie_slim_manifest *m, const char *path, const char *chash, const char *ph,
                int width)
{
    char line[512];
    snprintf(line, sizeof(line),
             "{\"path\": \"%s\", \"width\": %d, \"content_hash\": \"%s\", \"phash\": \"%s\"}", path,
             width, chash, ph);
    add(m, line);
}

struct pair {
    struct ie_slim_manifest a, b;
    struct ie_diff_result d;
};

static void setup_pair(struct pair *p)
{
    ie_slim_manifest_init(&p->a);
    ie_slim_manifest_init(&p->b);
    ie_diff_result_init(&p->d);
}

static void release_pair(struct pair *p)
{
    ie_diff_result_release(&p->d);
    ie_slim_manifest_release(&p->a);
    ie_slim_manifest_release(&p->b);
}

static const char *new_path(const struct pair *p, size_t new_idx)
{
    return p->b.recs[new_idx].path;
}

static const char *old_path(const struct pair *p, size_t old_idx)
{
    return p->a.recs[old_idx].path;
}

Test(diff_match, loader_keeps_the_root_and_content_hash)
{
    struct pair p;
    setup_pair(&p);
    header(&p.a, "/data/a");
    rec(&p.a, "/data/a/x.jpg", H("a"), P0, 10);
    add(&p.a, "{\"path\": \"/data/a/y.jpg\", \"content_hash\": \"md5:abc\"}");
    cr_assert_str_eq(p.a.input_dir, "/data/a");
    cr_assert(p.a.recs[0].flags & IE_SLIM_F_CHASH);
    cr_assert_eq(p.a.recs[0].chash[0], 0xaaaaaaaaaaaaaaaaull);
    cr_assert_eq(p.a.recs[0].chash[1], 0xaaaaaaaaaaaaaaaaull);
    cr_assert_not(p.a.recs[1].flags & IE_SLIM_F_CHASH, "not an xxh3_128 hash");
    release_pair(&p);
}

/* root1 = /d/A with sub/ ; root2 = /e/B, a copy where sub/ was renamed to renamed/ and one
 * image was edited and one copied. */
Test(diff_match, a_copied_folder_with_a_renamed_subfolder_matches_by_relative_path_then_hash)
{
    struct pair p;
    setup_pair(&p);
    header(&p.a, "/d/A/");
    rec(&p.a, "/d/A/keep.jpg", H("1"), P0, 10);
    rec(&p.a, "/d/A/edit.jpg", H("2"), P0, 10);
    rec(&p.a, "/d/A/sub/s1.jpg", H("3"), P0, 10);
    rec(&p.a, "/d/A/sub/s2.jpg", H("4"), P0, 10);
    rec(&p.a, "/d/A/gone.jpg", H("5"), P0, 10);
    header(&p.b, "/e/B");
    rec(&p.b, "/e/B/keep.jpg", H("1"), P0, 10);
    rec(&p.b, "/e/B/edit.jpg", H("6"), P3, 12);
    rec(&p.b, "/e/B/renamed/s1.jpg", H("3"), P0, 10);
    rec(&p.b, "/e/B/renamed/s2.jpg", H("4"), P0, 10);
    rec(&p.b, "/e/B/keep_copy.jpg", H("1"), P0, 10);
    rec(&p.b, "/e/B/new.jpg", H("7"), P0, 10);
    ie_diff_compute(&p.a, &p.b, &p.d);
    cr_assert(p.d.by_relative_path);
    cr_assert_eq(p.d.unchanged_count, 1, "keep.jpg under either root");
    cr_assert_eq(p.d.n_changed, 1);
    cr_assert_str_eq(old_path(&p, p.d.changed[0].old_idx), "/d/A/edit.jpg");
    cr_assert_str_eq(new_path(&p, p.d.changed[0].new_idx), "/e/B/edit.jpg");
    cr_assert_eq(p.d.changed[0].phash_distance, 3);
    cr_assert_eq(p.d.n_moved, 2);
    cr_assert_str_eq(old_path(&p, p.d.moved[0].old_idx), "/d/A/sub/s1.jpg");
    cr_assert_str_eq(new_path(&p, p.d.moved[0].new_idx), "/e/B/renamed/s1.jpg");
    cr_assert_str_eq(old_path(&p, p.d.moved[1].old_idx), "/d/A/sub/s2.jpg");
    cr_assert_str_eq(new_path(&p, p.d.moved[1].new_idx), "/e/B/renamed/s2.jpg");
    cr_assert_eq(p.d.n_added, 2, "the copy and the new file stay added");
    cr_assert_str_eq(new_path(&p, p.d.added[0]), "/e/B/keep_copy.jpg");
    cr_assert_str_eq(new_path(&p, p.d.added[1]), "/e/B/new.jpg");
    cr_assert_eq(p.d.n_copied, 1);
    cr_assert_str_eq(new_path(&p, p.d.copied[0].new_idx), "/e/B/keep_copy.jpg");
    cr_assert_str_eq(old_path(&p, p.d.copied[0].old_idx), "/d/A/keep.jpg");
    cr_assert_eq(p.d.n_removed, 1);
    cr_assert_str_eq(old_path(&p, p.d.removed[0]), "/d/A/gone.jpg");
    cr_assert_eq(p.d.summary.moved_count, 2);
    cr_assert_eq(p.d.summary.copied_count, 1);
    cr_assert_eq(p.d.summary.added_count, 2);
    release_pair(&p);
}

Test(diff_match, one_root_matches_whole_paths_and_a_rename_is_a_move)
{
    struct pair p;
    setup_pair(&p);
    header(&p.a, "/d/A");
    rec(&p.a, "/d/A/a.jpg", H("1"), P0, 10);
    rec(&p.a, "/d/A/b.jpg", H("1"), P0, 10); /* two old files with the same bytes */
    header(&p.b, "/d/A");
    rec(&p.b, "/d/A/c.jpg", H("1"), P0, 10);
    rec(&p.b, "/d/A/d.jpg", H("1"), P0, 10);
    rec(&p.b, "/d/A/e.jpg", H("1"), P0, 10);
    ie_diff_compute(&p.a, &p.b, &p.d);
    cr_assert_not(p.d.by_relative_path);
    /* Each old file is the source of one move, in path order; the third copy is added. */
    cr_assert_eq(p.d.n_moved, 2);
    cr_assert_str_eq(old_path(&p, p.d.moved[0].old_idx), "/d/A/a.jpg");
    cr_assert_str_eq(new_path(&p, p.d.moved[0].new_idx), "/d/A/c.jpg");
    cr_assert_str_eq(old_path(&p, p.d.moved[1].old_idx), "/d/A/b.jpg");
    cr_assert_str_eq(new_path(&p, p.d.moved[1].new_idx), "/d/A/d.jpg");
    cr_assert_eq(p.d.n_added, 1);
    cr_assert_str_eq(new_path(&p, p.d.added[0]), "/d/A/e.jpg");
    cr_assert_eq(p.d.n_copied, 1);
    cr_assert_eq(p.d.n_removed, 0);
    release_pair(&p);
}

Test(diff_match, without_a_root_in_both_headers_whole_paths_are_the_key)
{
    struct pair p;
    setup_pair(&p);
    rec(&p.a, "/d/A/x.jpg", "", P0, 10);
    header(&p.b, "/e/B");
    rec(&p.b, "/e/B/x.jpg", "", P0, 10);
    ie_diff_compute(&p.a, &p.b, &p.d);
    cr_assert_not(p.d.by_relative_path);
    cr_assert_eq(p.d.n_added, 1);
    cr_assert_eq(p.d.n_removed, 1);
    cr_assert_eq(p.d.n_moved, 0, "no content hash, no move");
    release_pair(&p);
}

Test(diff_match, json_is_imgedas_unless_files_moved_and_extended_says_everything)
{
    struct pair p;
    setup_pair(&p);
    header(&p.a, "/d/A");
    rec(&p.a, "/d/A/a.jpg", H("1"), P0, 10);
    rec(&p.a, "/d/A/w.jpg", H("2"), P0, 10);
    header(&p.b, "/d/A");
    rec(&p.b, "/d/A/a.jpg", H("1"), P0, 10);
    rec(&p.b, "/d/A/w.jpg", H("3"), P3, 10);
    ie_diff_compute(&p.a, &p.b, &p.d);
    char *s = ie_diff_to_json(&p.d, false);
    cr_assert_str_eq(s, "{\"added\":[],\"removed\":[],\"changed\":[{\"path\":\"/d/A/w.jpg\","
                        "\"fields\":{\"phash\":{\"old\":\"" P0 "\",\"new\":\"" P3 "\"}}}],"
                        "\"unchanged_count\":1,\"summary\":{\"total_old\":2,\"total_new\":2,"
                        "\"added_count\":0,\"removed_count\":0,\"changed_count\":1,"
                        "\"corrupt_old\":0,\"corrupt_new\":0,\"duplicate_groups_old\":1,"
                        "\"duplicate_groups_new\":0}}");
    free(s);
    s = ie_diff_to_json_ext(&p.d, false, true);
    cr_assert(strstr(s, "{\"match\":\"path\",\"added\":[]"), "%s", s);
    cr_assert(strstr(s, "\"new_path\":\"/d/A/w.jpg\",\"phash_distance\":3,\"fields\""), "%s", s);
    cr_assert(strstr(s, "\"moved\":[],\"copied\":[],\"unchanged_count\":1"), "%s", s);
    cr_assert(strstr(s, "\"changed_count\":1,\"moved_count\":0,\"copied_count\":0,"), "%s", s);
    free(s);
    release_pair(&p);

    setup_pair(&p);
    header(&p.a, "/d/A");
    rec(&p.a, "/d/A/a.jpg", H("1"), P0, 10);
    header(&p.b, "/d/A");
    rec(&p.b, "/d/A/b.jpg", H("1"), P0, 10);
    ie_diff_compute(&p.a, &p.b, &p.d);
    s = ie_diff_to_json(&p.d, false);
    cr_assert(strstr(s, "\"changed\":[],\"moved\":[{\"old_path\":\"/d/A/a.jpg\",\"new_path\":"
                        "\"/d/A/b.jpg\"}],\"unchanged_count\":0"),
              "%s", s);
    cr_assert(strstr(s, "\"changed_count\":0,\"moved_count\":1,\"corrupt_old\""), "%s", s);
    cr_assert_null(strstr(s, "copied"), "%s", s);
    free(s);
    release_pair(&p);
}
