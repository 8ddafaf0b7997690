/* Counters of the daemon's work since start, for GET /metrics (the HTTP server counts its
 * requests itself, the result cache its hits).
 * THREADS: every function but _new/_free is thread-safe. */
#ifndef IMGEDA_SERVER_METRICS_H
#define IMGEDA_SERVER_METRICS_H

#include <stdint.h>

#include "imgeda/scan.h"

struct srv_metrics;

struct srv_metrics_counts {
    uint64_t images_scanned, bytes_scanned, scan_errors;
    uint64_t results_warmed; /* scans whose warm-up completed */
};

/* Counters at zero; free with srv_metrics_free. */
struct srv_metrics *srv_metrics_new(void);
void srv_metrics_free(struct srv_metrics *m);
/* A scan run ended with status (0, IE_ECANCELED or another IE_E* code) at progress p: counts
 * its analysed images and bytes, and a failure. */
void srv_metrics_scan_ended(struct srv_metrics *m, const struct ie_scan_progress *p, int status);
/* A warm-up of a scan's results completed. */
void srv_metrics_warmed(struct srv_metrics *m);
/* A consistent copy of the counters. */
void srv_metrics_get(struct srv_metrics *m, struct srv_metrics_counts *out);

#endif
