/* The live state of scans as an instance: what a reader sees after the loop thread sets or
 * forgets a scan, how waiters learn of a change (or time out), and that closing it releases
 * them for good. Every test frees what it made. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "live.h"

Test(live, set_merges_status_and_progress_and_bumps_the_version)
{
    struct srv_live *l = srv_live_new();
    struct srv_job_state st;
    struct ie_scan_progress p = {0};
    cr_expect_not(srv_live_get(l, "s1", &st), "an unknown scan is not live");
    srv_live_set(l, "s1", "queued", NULL);
    cr_assert(srv_live_get(l, "s1", &st));
    cr_expect_str_eq(st.status, "queued");
    cr_expect_eq(st.version, 1);
    p.total = 10;
    p.processed = 4;
    srv_live_set(l, "s1", NULL, &p);
    cr_assert(srv_live_get(l, "s1", &st));
    cr_expect_str_eq(st.status, "queued", "a progress update keeps the status");
    cr_expect_eq(st.p.processed, 4);
    cr_expect_eq(st.version, 2);
    srv_live_forget(l, "s1");
    cr_expect_not(srv_live_get(l, "s1", &st));
    cr_expect_eq(srv_live_wait(l, UINT64_MAX, 0), 3, "forgetting is a change too");
    srv_live_free(l);
}

Test(live, wait_returns_at_once_past_a_change_and_times_out_without_one)
{
    struct srv_live *l = srv_live_new();
    srv_live_set(l, "s1", "running", NULL);
    cr_expect_eq(srv_live_wait(l, 0, 10000), 1, "a change newer than `since` returns at once");
    cr_expect_eq(srv_live_wait(l, 1, 20), 1, "no change: the timeout ends the wait");
    srv_live_free(l);
}

struct waiter {
    struct srv_live *l;
    uint64_t got;
};

static void *wait_long(void *arg)
{
    struct waiter *w = arg;
    w->got = srv_live_wait(w->l, 0, 60000);
    return NULL;
}

Test(live, a_change_or_close_wakes_a_waiting_thread)
{
    struct srv_live *l = srv_live_new();
    struct waiter w = {.l = l};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, wait_long, &w), 0);
    srv_live_set(l, "s1", "running", NULL);
    pthread_join(t, NULL);
    cr_expect_eq(w.got, 1);
    cr_expect_not(srv_live_closed(l));
    srv_live_close(l);
    cr_expect(srv_live_closed(l), "waiters can tell a close from a change");
    cr_expect_eq(srv_live_wait(l, 1, 60000), 1, "after close nobody waits");
    srv_live_free(l);
}
