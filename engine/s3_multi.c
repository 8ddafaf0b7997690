/* Many GETs at once on one thread (eng_s3_get_many, see s3.h) with curl multi.
 * DESIGN: a fixed set of max_in_flight slots; a free slot takes the next key, a finished one
 * either hands its object to the callback, or (retryable failure) waits out its backoff in
 * the slot and is added again. The callback runs between curl calls, so while it works the
 * other transfers' bytes wait in the socket buffers and are read as soon as it returns. */
#include <stdlib.h>
#include <string.h>

#include "imgeda/util.h"
#include "engine/s3_internal.h"

struct slot {
    struct s3_req q;
    size_t index;
    int attempt;
    double ready_at; /* monotonic seconds: a waiting retry is added again from then on */
    bool busy;       /* holds a key (in transfer or waiting to retry) */
    bool added;      /* attached to the multi handle */
};

struct many {
    struct eng_s3 *s;
    CURLM *m;
    const char *bucket;
    const char *const *keys;
    size_t n, next;
    size_t max_bytes;
    struct slot *slots;
    int nslots;
    eng_s3_get_cb cb;
    void *ud;
    unsigned seed;
    bool stopped;
};

static int slot_start(struct many *g, struct slot *sl, size_t index, struct ie_err *err)
{
    int rc = s3__req_init(g->s, &sl->q, s3__url(g->s, g->bucket, g->keys[index], NULL),
                          "UNSIGNED-PAYLOAD", g->max_bytes, err);
    if (rc < 0)
        return rc;
    curl_easy_setopt(sl->q.h, CURLOPT_PRIVATE, sl);
    sl->index = index;
    sl->attempt = 1;
    sl->busy = true;
    sl->ready_at = 0;
    if (curl_multi_add_handle(g->m, sl->q.h) != CURLM_OK)
        return ie_err_set(err, IE_EIO, "curl_multi_add_handle failed");
    sl->added = true;
    return 0;
}

static void slot_clear(struct many *g, struct slot *sl)
{
    if (sl->added)
        curl_multi_remove_handle(g->m, sl->q.h);
    s3__req_release(&sl->q);
    sl->busy = sl->added = false;
}

/* A transfer of sl has ended with cc: retry later, or give the result to the callback. */
static void slot_finished(struct many *g, struct slot *sl, CURLcode cc)
{
    curl_multi_remove_handle(g->m, sl->q.h);
    sl->added = false;
    s3__req_done(&sl->q, cc);
    struct s3_resp *r = &sl->q.resp;
    bool ok = r->cc == CURLE_OK && r->http >= 200 && r->http < 300;
    if (!ok && sl->attempt < g->s->cfg.max_attempts && s3__retryable(r)) {
        long ms = s3__backoff_ms(&g->s->cfg, sl->attempt, &g->seed);
        sl->attempt++;
        sl->ready_at = ie_mono_seconds() + (double)ms / 1000.0;
        return;
    }
    struct ie_err e = {0};
    int status = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    if (ok) {
        data = r->body ? r->body : ie_xcalloc(1, 1);
        len = r->len;
        r->body = NULL;
    } else {
        status = s3__fail(g->s, r, g->bucket, g->keys[sl->index], sl->attempt, &e);
    }
    size_t index = sl->index;
    slot_clear(g, sl);
    if (g->cb(index, status, data, len, status ? &e : NULL, g->ud))
        g->stopped = true;
}

/* Fills free slots with new keys and re-adds retries whose wait is over. Returns the time
 * until the next waiting retry is due (ms, -1 when none) via *wait_ms. */
static int slots_fill(struct many *g, long *wait_ms, struct ie_err *err)
{
    double now = ie_mono_seconds();
    *wait_ms = -1;
    for (int i = 0; i < g->nslots; i++) {
        struct slot *sl = &g->slots[i];
        if (!sl->busy && g->next < g->n) {
            int rc = slot_start(g, sl, g->next++, err);
            if (rc < 0)
                return rc;
        } else if (sl->busy && !sl->added) {
            if (sl->ready_at <= now) {
                s3__req_reset(&sl->q);
                if (curl_multi_add_handle(g->m, sl->q.h) != CURLM_OK)
                    return ie_err_set(err, IE_EIO, "curl_multi_add_handle failed");
                sl->added = true;
            } else {
                long ms = (long)((sl->ready_at - now) * 1000.0) + 1;
                if (*wait_ms < 0 || ms < *wait_ms)
                    *wait_ms = ms;
            }
        }
    }
    return 0;
}

static bool any_busy(const struct many *g)
{
    for (int i = 0; i < g->nslots; i++)
        if (g->slots[i].busy)
            return true;
    return false;
}

static int run(struct many *g, const atomic_int *cancel, struct ie_err *err)
{
    for (;;) {
        long wait_ms;
        int running = 0;
        if (g->stopped || (cancel && atomic_load(cancel)))
            return IE_ECANCELED;
        int rc = slots_fill(g, &wait_ms, err);
        if (rc < 0)
            return rc;
        if (g->next >= g->n && !any_busy(g))
            return 0;
        if (curl_multi_perform(g->m, &running) != CURLM_OK)
            return ie_err_set(err, IE_EIO, "curl_multi_perform failed");
        CURLMsg *msg;
        int left;
        bool finished = false;
        while ((msg = curl_multi_info_read(g->m, &left)) && !g->stopped) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct slot *sl = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
            slot_finished(g, sl, msg->data.result);
            finished = true;
        }
        if (finished)
            continue;
        /* Waits for socket activity, at most until the next retry is due and never longer
         * than 100 ms, so that a cancel is seen promptly. */
        int timeout = wait_ms >= 0 && wait_ms < 100 ? (int)wait_ms : 100;
        if (curl_multi_poll(g->m, NULL, 0, timeout, NULL) != CURLM_OK)
            return ie_err_set(err, IE_EIO, "curl_multi_poll failed");
    }
}

int eng_s3_get_many(struct eng_s3 *s, const char *bucket, const char *const *keys, size_t n,
                    int max_in_flight, size_t max_bytes, eng_s3_get_cb cb, void *ud,
                    const atomic_int *cancel, struct ie_err *err)
{
    struct many g = {.s = s,
                     .bucket = bucket,
                     .keys = keys,
                     .n = n,
                     .max_bytes = max_bytes,
                     .cb = cb,
                     .ud = ud,
                     .seed = s3__seed()};
    if (n == 0)
        return 0;
    g.nslots = max_in_flight < 1 ? 1 : max_in_flight;
    if ((size_t)g.nslots > n)
        g.nslots = (int)n;
    g.slots = ie_xcalloc((size_t)g.nslots, sizeof(*g.slots));
    g.m = curl_multi_init();
    int rc = g.m ? run(&g, cancel, err) : ie_err_set(err, IE_EIO, "curl_multi_init failed");
    for (int i = 0; i < g.nslots; i++)
        slot_clear(&g, &g.slots[i]);
    if (g.m)
        curl_multi_cleanup(g.m);
    free(g.slots);
    return rc;
}
