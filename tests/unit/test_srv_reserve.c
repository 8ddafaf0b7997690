/* The data dir's disk reserve: taken with real blocks, given up (the file removed) to make room
 * on a full disk, taken again, and kept on disk for the next start. */
#include <criterion/criterion.h>
#include <sys/stat.h>

#include "helpers.h"
#include "reserve.h"

Test(reserve, is_taken_with_real_blocks_given_up_and_taken_again)
{
    char *dir = th_tempdir(), *path = th_path(dir, "reserve");
    struct stat st;
    struct srv_reserve *r = srv_reserve_new(dir, 64u << 10);
    cr_expect_neq(stat(path, &st), 0, "not taken before it is asked for");
    cr_expect(srv_reserve_take(r));
    cr_assert_eq(stat(path, &st), 0, "taken when there is room");
    cr_expect_eq(st.st_size, 64 << 10);
    cr_expect_geq((long long)st.st_blocks * 512, 64 << 10, "real blocks, not a sparse file");
    cr_expect(srv_reserve_take(r), "taking it again while held changes nothing");
    cr_expect(srv_reserve_release(r), "releasing a held reserve makes room");
    cr_expect_neq(stat(path, &st), 0, "the file is gone");
    cr_expect_not(srv_reserve_release(r), "nothing more to give up");
    cr_expect(srv_reserve_take(r));
    cr_expect_eq(stat(path, &st), 0);
    srv_reserve_free(r);
    cr_expect_eq(stat(path, &st), 0, "the file stays for the next start");
    r = srv_reserve_new(dir, 64u << 10);
    cr_expect(srv_reserve_take(r));
    cr_expect(srv_reserve_release(r), "the next start holds the file left behind");
    srv_reserve_free(r);
    th_rmrf(dir);
    free(dir);
    free(path);
}
