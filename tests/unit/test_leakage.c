/* Leakage across splits: imgeda's cases, a brute-force oracle at every threshold 0..16, input
 * validation, merging by path, flat exclusion and the JSON shape. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash_helpers.h"
#include "imgeda/duplicates.h"
#include "imgeda/util.h"

static struct ie_hash256 hex(const char *s)
{
    struct ie_hash256 h;
    cr_assert_eq(ie_hash256_from_hex(s, &h), 0, "bad hex %s", s);
    return h;
}

/* Splits owning their records. */
#define MAX_SPLITS 4
struct world {
    struct ie_leak_split sp[MAX_SPLITS];
    struct ie_record *r[MAX_SPLITS];
    size_t cap[MAX_SPLITS];
    size_t ns;
};

static void world_split(struct world *w, const char *name)
{
    w->sp[w->ns].name = name;
    w->ns++;
}

static struct ie_record *world_add(struct world *w, size_t s, const char *path,
                                   const struct ie_hash256 *ph)
{
    ie_grow((void **)&w->r[s], &w->cap[s], w->sp[s].n + 1, sizeof(struct ie_record));
    struct ie_record *r = &w->r[s][w->sp[s].n++];
    w->sp[s].recs = w->r[s];
    ie_record_init(r);
    r->path = ie_xstrdup(path);
    r->has_pixel_stats = true;
    r->pixel_stats.std_r = r->pixel_stats.std_g = r->pixel_stats.std_b = 30.0;
    if (ph) {
        r->has_phash = true;
        r->phash = *ph;
    }
    return r;
}

static void world_free(struct world *w)
{
    for (size_t s = 0; s < w->ns; s++) {
        for (size_t i = 0; i < w->sp[s].n; i++)
            ie_record_release(&w->r[s][i]);
        free(w->r[s]);
    }
    memset(w, 0, sizeof(*w));
}

static int run(struct world *w, int threshold, struct ie_leakage *out)
{
    struct ie_leak_opts o;
    struct ie_err err = {0};
    ie_leak_opts_init(&o);
    o.threshold = threshold;
    int rc = ie_leakage_find(w->sp, w->ns, &o, out, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    return rc;
}

/* "a,b" for an item's found_in. */
static void found_names(const struct ie_leakage *l, size_t i, const struct world *w, char *buf,
                        size_t bufsz)
{
    buf[0] = 0;
    for (size_t k = 0; k < l->items[i].n_found_in; k++) {
        if (k)
            strncat(buf, ",", bufsz - strlen(buf) - 1);
        strncat(buf, w->sp[l->items[i].found_in[k]].name, bufsz - strlen(buf) - 1);
    }
}

/* ---- imgeda's cases ---- */

Test(leakage, no_leakage_between_distinct_images)
{
    struct world w = {0};
    struct ie_hash256 a = hex("aaaa"), b = hex("bbbb"), c = hex("cccc"), d = hex("dddd");
    struct ie_leakage l;
    world_split(&w, "train");
    world_split(&w, "val");
    world_add(&w, 0, "/train/a.jpg", &a);
    world_add(&w, 0, "/train/b.jpg", &b);
    world_add(&w, 1, "/val/c.jpg", &c);
    world_add(&w, 1, "/val/d.jpg", &d);
    ie_leakage_init(&l);
    run(&w, 0, &l);
    cr_assert_eq(l.n, 0);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, exact_copy_flags_both_sides)
{
    struct world w = {0};
    struct ie_hash256 a = hex("aaaa"), b = hex("bbbb");
    struct ie_leakage l;
    char names[64];
    world_split(&w, "val");
    world_split(&w, "train");
    world_add(&w, 1, "/train/a.jpg", &a);
    world_add(&w, 1, "/train/b.jpg", &b);
    world_add(&w, 0, "/val/a_copy.jpg", &a);
    ie_leakage_init(&l);
    run(&w, 0, &l);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].path, "/train/a.jpg");
    cr_assert_str_eq(l.items[1].path, "/val/a_copy.jpg");
    for (size_t i = 0; i < 2; i++) {
        cr_assert(l.items[i].exact);
        cr_assert_null(l.items[i].matched_path);
        found_names(&l, i, &w, names, sizeof(names));
        cr_assert_str_eq(names, "train,val"); /* sorted by name, not by argument order */
    }
    cr_assert_eq(l.items[0].split, 1);
    cr_assert_eq(l.items[1].split, 0);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, near_copy_is_found_on_both_sides_with_its_match)
{
    struct world w = {0};
    struct ie_hash256 a = hex("aaaa0000"), b = hex("aaaa0001");
    struct ie_leakage l;
    char names[64];
    world_split(&w, "train");
    world_split(&w, "val");
    world_add(&w, 0, "/train/a.jpg", &a);
    world_add(&w, 1, "/val/b.jpg", &b);
    ie_leakage_init(&l);
    run(&w, 8, &l);
    cr_assert_eq(l.n, 2); /* imgeda reports only /train/a.jpg */
    cr_assert_str_eq(l.items[0].path, "/train/a.jpg");
    cr_assert_not(l.items[0].exact);
    cr_assert_str_eq(l.items[0].matched_path, "/val/b.jpg");
    cr_assert_eq(l.items[0].distance, 1);
    found_names(&l, 0, &w, names, sizeof(names));
    cr_assert_str_eq(names, "train,val");
    cr_assert_str_eq(l.items[1].matched_path, "/train/a.jpg");
    /* threshold 0: exact matches only */
    run(&w, 0, &l);
    cr_assert_eq(l.n, 0);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, one_split_or_none_cannot_leak)
{
    struct world w = {0};
    struct ie_hash256 a = hex("aaaa");
    struct ie_leakage l;
    world_split(&w, "train");
    world_add(&w, 0, "/train/a.jpg", &a);
    world_add(&w, 0, "/train/b.jpg", &a);
    ie_leakage_init(&l);
    run(&w, 0, &l);
    cr_assert_eq(l.n, 0);
    struct ie_err err = {0};
    cr_assert_eq(ie_leakage_find(NULL, 0, NULL, &l, &err), 0);
    cr_assert_eq(l.n, 0);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, records_without_phash_are_ignored)
{
    struct world w = {0};
    struct ie_leakage l;
    world_split(&w, "train");
    world_split(&w, "val");
    world_add(&w, 0, "/train/a.jpg", NULL);
    world_add(&w, 1, "/val/b.jpg", NULL);
    ie_leakage_init(&l);
    run(&w, 8, &l);
    cr_assert_eq(l.n, 0);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, three_splits_list_every_split)
{
    struct world w = {0};
    struct ie_hash256 h = hex("deadbeef");
    struct ie_leakage l;
    char names[64];
    world_split(&w, "train");
    world_split(&w, "val");
    world_split(&w, "test");
    world_add(&w, 0, "/train/a.jpg", &h);
    world_add(&w, 1, "/val/a.jpg", &h);
    world_add(&w, 2, "/test/a.jpg", &h);
    ie_leakage_init(&l);
    run(&w, 0, &l);
    cr_assert_eq(l.n, 3);
    for (size_t i = 0; i < 3; i++) {
        found_names(&l, i, &w, names, sizeof(names));
        cr_assert_str_eq(names, "test,train,val");
    }
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, result_sorted_by_path)
{
    struct world w = {0};
    struct ie_hash256 a = hex("aaaa"), b = hex("bbbb");
    struct ie_leakage l;
    world_split(&w, "train");
    world_split(&w, "val");
    world_add(&w, 0, "/z.jpg", &a);
    world_add(&w, 0, "/a.jpg", &b);
    world_add(&w, 1, "/y.jpg", &a);
    world_add(&w, 1, "/b.jpg", &b);
    ie_leakage_init(&l);
    run(&w, 0, &l);
    cr_assert_eq(l.n, 4);
    cr_assert_str_eq(l.items[0].path, "/a.jpg");
    cr_assert_str_eq(l.items[1].path, "/b.jpg");
    cr_assert_str_eq(l.items[2].path, "/y.jpg");
    cr_assert_str_eq(l.items[3].path, "/z.jpg");
    ie_leakage_release(&l);
    world_free(&w);
}

/* ---- beyond imgeda ---- */

Test(leakage, exact_item_also_lists_near_splits_and_same_split_matches_do_not_leak)
{
    uint64_t s = 17;
    struct world w = {0};
    struct ie_hash256 a = random_hash(&s), a2 = flip_bits(a, 5, &s);
    struct ie_leakage l;
    char names[64];
    world_split(&w, "train");
    world_split(&w, "val");
    world_split(&w, "test");
    world_add(&w, 0, "/train/a.jpg", &a);
    world_add(&w, 1, "/val/a.jpg", &a);
    world_add(&w, 2, "/test/a_edit.jpg", &a2);
    world_add(&w, 2, "/test/a_edit2.jpg", &a2); /* same split only: still leaks via a */
    ie_leakage_init(&l);
    run(&w, 8, &l);
    cr_assert_eq(l.n, 4);
    cr_assert_str_eq(l.items[0].path, "/test/a_edit.jpg");
    cr_assert_not(l.items[0].exact);
    cr_assert_str_eq(l.items[0].matched_path, "/train/a.jpg"); /* "train" < "val" */
    cr_assert_eq(l.items[0].distance, 5);
    found_names(&l, 0, &w, names, sizeof(names));
    cr_assert_str_eq(names, "test,train,val");
    cr_assert_str_eq(l.items[2].path, "/train/a.jpg");
    cr_assert(l.items[2].exact);
    found_names(&l, 2, &w, names, sizeof(names));
    cr_assert_str_eq(names, "test,train,val");
    /* At threshold 4 the edit no longer matches; the exact pair still does. */
    run(&w, 4, &l);
    cr_assert_eq(l.n, 2);
    found_names(&l, 0, &w, names, sizeof(names));
    cr_assert_str_eq(names, "train,val");
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, same_path_in_two_splits_is_one_item)
{
    struct world w = {0};
    struct ie_hash256 a = hex("1234");
    struct ie_leakage l;
    world_split(&w, "b");
    world_split(&w, "a");
    world_add(&w, 0, "/data/x.jpg", &a);
    world_add(&w, 1, "/data/x.jpg", &a);
    ie_leakage_init(&l);
    run(&w, 8, &l);
    cr_assert_eq(l.n, 1);
    cr_assert(l.items[0].exact);
    cr_assert_eq(l.items[0].n_found_in, 2);
    cr_assert_eq(l.items[0].split, 1); /* the first split by name */
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, flat_images_can_be_excluded)
{
    struct world w = {0};
    struct ie_hash256 dc = hex("8000000000000000000000000000000000000000000000000000000000000000");
    struct ie_leakage l;
    struct ie_leak_opts o;
    struct ie_err err = {0};
    world_split(&w, "train");
    world_split(&w, "val");
    world_add(&w, 0, "/train/white.png", &dc)->has_pixel_stats = false;
    world_add(&w, 1, "/val/grey.png", &dc)->has_pixel_stats = false;
    ie_leakage_init(&l);
    ie_leak_opts_init(&o);
    cr_assert_eq(o.threshold, 8);
    cr_assert_not(o.exclude_flat);
    cr_assert_eq(ie_leakage_find(w.sp, w.ns, &o, &l, &err), 0);
    cr_assert_eq(l.n, 2); /* compat: imgeda calls any two flat images a leak */
    o.exclude_flat = true;
    cr_assert_eq(ie_leakage_find(w.sp, w.ns, &o, &l, &err), 0);
    cr_assert_eq(l.n, 0);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, rejects_bad_threshold_and_split_names)
{
    struct world w = {0};
    struct ie_hash256 a = hex("1234");
    struct ie_leakage l;
    struct ie_leak_opts o;
    struct ie_err err = {0};
    world_split(&w, "train");
    world_split(&w, "train");
    world_add(&w, 0, "/a.jpg", &a);
    world_add(&w, 1, "/b.jpg", &a);
    ie_leakage_init(&l);
    ie_leak_opts_init(&o);
    cr_assert_eq(ie_leakage_find(w.sp, w.ns, &o, &l, &err), IE_EINVAL);
    cr_assert_eq(err.code, IE_EINVAL);
    cr_assert_str_eq(err.msg, "leakage split name \"train\" is given twice");
    cr_assert_eq(l.n, 0);
    w.sp[1].name = NULL;
    cr_assert_eq(ie_leakage_find(w.sp, w.ns, &o, &l, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "leakage split 1 has no name");
    w.sp[1].name = "val";
    o.threshold = 33;
    cr_assert_eq(ie_leakage_find(w.sp, w.ns, &o, &l, &err), IE_EINVAL);
    cr_assert_str_eq(err.msg, "leakage threshold 33 is outside 0..32");
    o.threshold = 8;
    strcpy(err.msg, "untouched");
    cr_assert_eq(ie_leakage_find(w.sp, w.ns, &o, &l, &err), 0);
    cr_assert_str_eq(err.msg, "untouched");
    cr_assert_eq(l.n, 2);
    ie_leakage_release(&l);
    world_free(&w);
}

Test(leakage, json_mirrors_imgeda_item_shape)
{
    struct world w = {0};
    struct ie_hash256 a = hex("aaaa0000"), b = hex("aaaa0003"), c = hex("ffff");
    struct ie_leakage l;
    world_split(&w, "train");
    world_split(&w, "val");
    world_add(&w, 0, "/train/a.jpg", &a);
    world_add(&w, 0, "/train/c.jpg", &c);
    world_add(&w, 1, "/val/b.jpg", &b);
    world_add(&w, 1, "/val/c.jpg", &c);
    ie_leakage_init(&l);
    run(&w, 8, &l);
    cJSON *j = ie_leakage_to_json(&l, w.sp);
    char *text = cJSON_PrintUnformatted(j);
    char z56[57], z60[61], want[2048];
    memset(z56, '0', 56);
    z56[56] = 0;
    memset(z60, '0', 60);
    z60[60] = 0;
    snprintf(want, sizeof(want),
             "[{\"path\":\"/train/a.jpg\",\"phash\":\"%saaaa0000\",\"found_in\":[\"train\","
             "\"val\"],\"match_type\":\"near\",\"matched_path\":\"/val/b.jpg\",\"distance\":2},"
             "{\"path\":\"/train/c.jpg\",\"phash\":\"%sffff\",\"found_in\":[\"train\",\"val\"],"
             "\"match_type\":\"exact\"},"
             "{\"path\":\"/val/b.jpg\",\"phash\":\"%saaaa0003\",\"found_in\":[\"train\",\"val\"],"
             "\"match_type\":\"near\",\"matched_path\":\"/train/a.jpg\",\"distance\":2},"
             "{\"path\":\"/val/c.jpg\",\"phash\":\"%sffff\",\"found_in\":[\"train\",\"val\"],"
             "\"match_type\":\"exact\"}]",
             z56, z60, z56, z60);
    cr_assert_str_eq(text, want);
    cr_assert_eq(cJSON_GetArraySize(j), 4);
    const cJSON *it = cJSON_GetArrayItem(j, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(it, "match_type")->valuestring, "near");
    cr_assert_str_eq(cJSON_GetObjectItem(it, "matched_path")->valuestring, "/val/b.jpg");
    cr_assert_eq(cJSON_GetObjectItem(it, "distance")->valueint, 2);
    cr_assert_eq(strlen(cJSON_GetObjectItem(it, "phash")->valuestring), 64);
    cr_assert_str_eq(cJSON_GetObjectItem(it, "phash")->valuestring + 56, "aaaa0000");
    const char *exact_keys[] = {"path", "phash", "found_in", "match_type"};
    it = cJSON_GetArrayItem(j, 1);
    cr_assert_eq(cJSON_GetArraySize(it), 4);
    size_t k = 0;
    for (const cJSON *f = it->child; f; f = f->next, k++)
        cr_assert_str_eq(f->string, exact_keys[k]);
    cr_assert_str_eq(cJSON_GetObjectItem(it, "match_type")->valuestring, "exact");
    cr_assert_null(cJSON_GetObjectItem(it, "matched_path"));
    const cJSON *found = cJSON_GetObjectItem(it, "found_in");
    cr_assert_eq(cJSON_GetArraySize(found), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(found, 0)->valuestring, "train");
    cr_assert_str_eq(cJSON_GetArrayItem(found, 1)->valuestring, "val");
    free(text);
    cJSON_Delete(j);
    ie_leakage_release(&l);
    world_free(&w);
}

/* ---- oracle ---- */

struct flat_ent {
    size_t split;
    const struct ie_record *r;
};

static int cmp_flat_path(const void *a, const void *b)
{
    return strcmp(((const struct flat_ent *)a)->r->path, ((const struct flat_ent *)b)->r->path);
}

Test(leakage, equals_brute_force_at_every_threshold_0_to_16)
{
    uint64_t s = 4242;
    struct world w = {0};
    char path[64];
    world_split(&w, "val");
    world_split(&w, "train");
    world_split(&w, "test");
    /* 2000 random images spread over the splits, 150 clusters whose members (1..14 bits from
     * the base, some exact copies) land in random splits. Paths are unique. */
    size_t id = 0;
    for (int i = 0; i < 2000; i++) {
        struct ie_hash256 h = random_hash(&s);
        size_t sp = rng_next(&s) % 3;
        snprintf(path, sizeof(path), "/%s/r%05zu.jpg", w.sp[sp].name, id++);
        world_add(&w, sp, path, &h);
    }
    for (int c = 0; c < 150; c++) {
        struct ie_hash256 base = random_hash(&s);
        int members = 2 + (int)(rng_next(&s) % 5);
        for (int m = 0; m < members; m++) {
            int k = (int)(rng_next(&s) % 15);
            struct ie_hash256 h = flip_bits(base, k, &s);
            size_t sp = rng_next(&s) % 3;
            snprintf(path, sizeof(path), "/%s/c%05zu.jpg", w.sp[sp].name, id++);
            world_add(&w, sp, path, &h);
        }
    }
    size_t total = 0;
    for (size_t sp = 0; sp < 3; sp++)
        total += w.sp[sp].n;
    struct flat_ent *all = malloc(total * sizeof(*all));
    size_t n = 0;
    for (size_t sp = 0; sp < 3; sp++)
        for (size_t i = 0; i < w.sp[sp].n; i++)
            all[n++] = (struct flat_ent){sp, &w.sp[sp].recs[i]};
    qsort(all, n, sizeof(*all), cmp_flat_path);

    size_t leaked_at_16 = 0, near_at_16 = 0;
    for (int t = 0; t <= 16; t++) {
        struct ie_leakage l;
        ie_leakage_init(&l);
        run(&w, t, &l);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const struct ie_record *ri = all[i].r;
            bool in[3] = {false, false, false}, exact = false;
            int best_d = 99;
            const struct flat_ent *best = NULL;
            in[all[i].split] = true;
            for (size_t j = 0; j < n; j++) {
                if (all[j].split == all[i].split)
                    continue;
                int d = ie_hash256_distance(&ri->phash, &all[j].r->phash);
                if (d > t)
                    continue;
                in[all[j].split] = true;
                exact |= d == 0;
                /* ties: split name, then path */
                if (d &&
                    (d < best_d ||
                     (d == best_d && (strcmp(w.sp[all[j].split].name, w.sp[best->split].name) < 0 ||
                                      (all[j].split == best->split &&
                                       strcmp(all[j].r->path, best->r->path) < 0))))) {
                    best_d = d;
                    best = &all[j];
                }
            }
            if (!exact && !best)
                continue;
            cr_assert_lt(k, l.n, "t=%d: %s missing", t, ri->path);
            const struct ie_leak_item *it = &l.items[k++];
            cr_assert_str_eq(it->path, ri->path, "t=%d", t);
            cr_assert_eq(it->exact, exact, "t=%d %s", t, ri->path);
            size_t nin = 0;
            const char *order[3] = {"test", "train", "val"}; /* split 2, 1, 0 */
            const size_t split_of[3] = {2, 1, 0};
            for (int q = 0; q < 3; q++) {
                if (!in[split_of[q]])
                    continue;
                cr_assert_lt(nin, it->n_found_in, "t=%d %s", t, ri->path);
                cr_assert_str_eq(w.sp[it->found_in[nin]].name, order[q], "t=%d %s", t, ri->path);
                nin++;
            }
            cr_assert_eq(nin, it->n_found_in, "t=%d %s", t, ri->path);
            if (!exact) {
                cr_assert_str_eq(it->matched_path, best->r->path, "t=%d %s", t, ri->path);
                cr_assert_eq(it->distance, best_d);
            }
            if (t == 16) {
                leaked_at_16++;
                near_at_16 += !exact;
            }
        }
        cr_assert_eq(k, l.n, "t=%d: %zu extra items", t, l.n - k);
        ie_leakage_release(&l);
    }
    cr_assert_gt(leaked_at_16, 200);
    cr_assert_gt(near_at_16, 100);
    free(all);
    world_free(&w);
}
