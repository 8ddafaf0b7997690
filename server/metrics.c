/* The daemon's work counters (see metrics.h): a struct under a mutex, so /metrics reads the
 * counters of one moment. */
#include <pthread.h>
#include <stdlib.h>

#include "imgeda/err.h"
#include "imgeda/util.h"
#include "metrics.h"

struct srv_metrics {
    pthread_mutex_t lock;
    struct srv_metrics_counts c;
};

struct srv_metrics *srv_metrics_new(void)
{
    struct srv_metrics *m = ie_xcalloc(1, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void srv_metrics_free(struct srv_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void srv_metrics_scan_ended(struct srv_metrics *m, const struct ie_scan_progress *p, int status)
{
    pthread_mutex_lock(&m->lock);
    m->c.images_scanned += p->analysed;
    m->c.bytes_scanned += (uint64_t)p->bytes;
    if (status != 0 && status != IE_ECANCELED)
        m->c.scan_errors++;
    pthread_mutex_unlock(&m->lock);
}

void srv_metrics_warmed(struct srv_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->c.results_warmed++;
    pthread_mutex_unlock(&m->lock);
}

void srv_metrics_get(struct srv_metrics *m, struct srv_metrics_counts *out)
{
    pthread_mutex_lock(&m->lock);
    *out = m->c;
    pthread_mutex_unlock(&m->lock);
}
