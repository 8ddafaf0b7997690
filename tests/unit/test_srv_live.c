/* The live state of scans as an instance: what a reader sees after the loop thread sets or
 * forgets a scan, how waiters learn of a change (or time out), and that closing it releases
 * them for good. Every test frees what it made. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "api_internal.h"
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

Test(live, a_status_carries_its_error_and_finish_time)
{
    struct srv_live *l = srv_live_new();
    struct srv_job_state st;
    srv_live_set_status(l, "s1", "failed", "No space left on device");
    cr_assert(srv_live_get(l, "s1", &st));
    cr_expect_str_eq(st.status, "failed");
    cr_expect_str_eq(st.error, "No space left on device");
    cr_expect_neq(st.finished_at[0], '\0', "a final status has its finish time");
    srv_live_set(l, "s1", "queued", NULL);
    cr_assert(srv_live_get(l, "s1", &st));
    cr_expect_str_eq(st.error, "", "a new status clears the error");
    cr_expect_str_eq(st.finished_at, "");
    srv_live_free(l);
}

/* A row SQLite could not update (a full disk) still says running; the API shows the status the
 * job runner set, with its error, finish time and durable progress. */
Test(live, the_api_shows_a_status_newer_than_the_row)
{
    struct srv_live *l = srv_live_new();
    struct ie_scan_progress p = {.total = 1245, .processed = 700, .durable = 672};
    char id[] = "s1", name[] = "n", root[] = "/r", running[] = "running", t0[] = "t0";
    struct srv_scan_row row = {.id = id,
                               .name = name,
                               .root = root,
                               .status = running,
                               .created_at = t0,
                               .total = 1245,
                               .processed = 640};
    cJSON *o = srv_scan_row_to_json(&row);
    srv_api_scan_json_live(l, o);
    cr_expect_str_eq(cJSON_GetObjectItem(o, "status")->valuestring, "running",
                     "a scan the runner does not know keeps its row");
    srv_live_set(l, "s1", NULL, &p);
    srv_live_set_status(l, "s1", "failed", "No space left on device");
    srv_api_scan_json_live(l, o);
    cr_expect_str_eq(cJSON_GetObjectItem(o, "status")->valuestring, "failed");
    cr_expect_str_eq(cJSON_GetObjectItem(o, "error")->valuestring, "No space left on device");
    cr_expect(cJSON_IsString(cJSON_GetObjectItem(o, "finished_at")));
    cJSON *jp = cJSON_GetObjectItem(o, "progress");
    cr_expect_eq(cJSON_GetObjectItem(jp, "processed")->valuedouble, 672,
                 "an ended scan shows what its manifest durably holds");
    cJSON_Delete(o);
    srv_live_free(l);
}
