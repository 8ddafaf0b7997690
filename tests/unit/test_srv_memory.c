/* The decode gate that bounds the daemon's memory under thumbnails: at most its number of places
 * taken at once, a caller waits its time for a place and is refused after it, a place given back
 * goes to a waiter, and freeing stops its trimmer thread. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "memory.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

Test(memory, gate_takes_its_places_then_refuses_after_the_wait)
{
    struct srv_memory_gate *g = srv_memory_gate_new(2, 100);
    int inside;
    unsigned long long refused;
    cr_assert(srv_memory_gate_enter(g));
    cr_assert(srv_memory_gate_enter(g));
    double t = now_ms();
    cr_expect_not(srv_memory_gate_enter(g), "both places are taken");
    cr_expect_geq(now_ms() - t, 90.0, "the refusal came after the wait");
    srv_memory_gate_stats(g, &inside, &refused);
    cr_expect_eq(inside, 2);
    cr_expect_eq(refused, 1);
    srv_memory_gate_leave(g);
    cr_expect(srv_memory_gate_enter(g), "a place given back can be taken");
    srv_memory_gate_leave(g);
    srv_memory_gate_leave(g);
    srv_memory_gate_stats(g, &inside, &refused);
    cr_expect_eq(inside, 0);
    srv_memory_gate_free(g);
}

Test(memory, no_wait_refuses_at_once)
{
    struct srv_memory_gate *g = srv_memory_gate_new(1, 0);
    cr_assert(srv_memory_gate_enter(g));
    double t = now_ms();
    cr_expect_not(srv_memory_gate_enter(g));
    cr_expect_lt(now_ms() - t, 50.0, "no wait");
    srv_memory_gate_leave(g);
    srv_memory_gate_free(g);
}

struct waiter {
    struct srv_memory_gate *g;
    bool got;
};

static void *wait_for_place(void *arg)
{
    struct waiter *w = arg;
    w->got = srv_memory_gate_enter(w->g);
    if (w->got)
        srv_memory_gate_leave(w->g);
    return NULL;
}

Test(memory, a_waiter_gets_the_place_given_back)
{
    struct srv_memory_gate *g = srv_memory_gate_new(1, 10000);
    struct waiter w = {.g = g};
    pthread_t t;
    int inside;
    unsigned long long refused;
    cr_assert(srv_memory_gate_enter(g));
    cr_assert_eq(pthread_create(&t, NULL, wait_for_place, &w), 0);
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    double t0 = now_ms();
    srv_memory_gate_leave(g);
    pthread_join(t, NULL);
    cr_expect(w.got, "the waiter took the place");
    cr_expect_lt(now_ms() - t0, 5000.0, "at once, not at the end of its wait");
    srv_memory_gate_stats(g, &inside, &refused);
    cr_expect_eq(inside, 0);
    cr_expect_eq(refused, 0);
    srv_memory_gate_free(g);
}

Test(memory, a_gate_freed_after_decodes_stops_its_trimmer)
{
    struct srv_memory_gate *g = srv_memory_gate_new(4, 0);
    cr_assert(srv_memory_gate_enter(g));
    srv_memory_gate_leave(g); /* the trimmer now waits for a quiet second */
    double t = now_ms();
    srv_memory_gate_free(g);
    cr_expect_lt(now_ms() - t, 500.0, "freeing does not wait for the quiet second");
}

Test(memory, a_null_gate_lets_everyone_in)
{
    int inside = -1;
    unsigned long long refused = 1;
    cr_expect(srv_memory_gate_enter(NULL));
    srv_memory_gate_leave(NULL);
    srv_memory_gate_stats(NULL, &inside, &refused);
    cr_expect_eq(inside, 0);
    cr_expect_eq(refused, 0);
    srv_memory_gate_free(NULL);
}
