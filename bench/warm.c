/* bench_warm: the daemon's result warm-up (server/results.c srv_results_warm: summary, checks,
 * duplicates, group indexes, histograms, plots) over a manifest, from the lean manifest the
 * daemon loads (default) or from ie_manifest_load's records (--full, the way before): load and
 * compute seconds and the process's peak RSS. Run each way in its own process (bench/README.md).
 *   bench_warm [--full] MANIFEST */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "imgeda/lean.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"
#include "results.h"

static size_t total_bytes;

static void count(void *ud, const char *key, const void *data, size_t len, const char *mime)
{
    (void)ud;
    (void)key;
    (void)data;
    (void)mime;
    total_bytes += len;
}

static long peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

int main(int argc, char **argv)
{
    bool full = argc == 3 && strcmp(argv[1], "--full") == 0;
    const char *path = argv[argc - 1];
    struct ie_manifest fm;
    struct ie_lean_manifest lm;
    struct srv_records recs;
    struct srv_scan_row row = {.id = (char *)"bench", .finished_at = (char *)"now"};
    struct ie_err err = {0};
    atomic_bool stop = false;
    if (argc < 2 || (argc == 3 && !full)) {
        fprintf(stderr, "usage: bench_warm [--full] MANIFEST\n");
        return 2;
    }
    ie_manifest_init(&fm);
    ie_lean_manifest_init(&lm);
    double t0 = ie_mono_seconds();
    int rc = full ? ie_manifest_load(path, &fm, &err) : ie_lean_manifest_load(path, &lm, &err);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t1 = ie_mono_seconds();
    long rss_load = peak_rss_mb();
    recs = full ? srv_records_of_manifest(&fm) : srv_records_of_lean(&lm);
    rc = srv_results_warm(&row, &recs, &stop, count, NULL, &err);
    double t2 = ie_mono_seconds();
    if (rc < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("%-26s %zu records: load %.2f s (peak RSS %ld MB), results %.2f s (%zu bytes), "
           "peak RSS %ld MB\n",
           full ? "ie_manifest_load records" : "lean manifest", recs.src.n, t1 - t0, rss_load,
           t2 - t1, total_bytes, peak_rss_mb());
    ie_lean_manifest_release(&lm);
    ie_manifest_release(&fm);
    return 0;
}
