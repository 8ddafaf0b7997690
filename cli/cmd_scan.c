/* imgeda scan: analyse a folder (or a bucket, s3://BUCKET/PREFIX) into a manifest, with a live
 * progress bar, Ctrl+C that keeps what is done, resume on re-run, and a closing summary. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "imgeda/options.h"
#include "imgeda/scan.h"
#include "imgeda/util.h"
#include "engine/runner.h"
#include "engine/s3_scan.h"

struct ui {
    bool tty, quiet;
    bool drew;
};

static void print_usage(FILE *to)
{
    char *rows = ie_scan_options_usage();
    fprintf(to,
            "usage: imgeda scan DIR|s3://BUCKET/PREFIX [-o OUT] [options]\n"
            "\n"
            "  A bucket is read with the AWS_* settings of the environment (see README).\n"
            "  -o, --output FILE            manifest path (default ./imgeda_manifest.jsonl)\n"
            "%s"
            "  -q, --quiet                  no progress output\n",
            rows);
    free(rows);
}

/* getopt_long's value for the table's row i: OPT_ROW + i, its "off" flag OPT_ROW_NEGATED + i. */
enum { OPT_ROW = 256, OPT_ROW_NEGATED = 512 };

/* Fills opts (cap entries) from the option table; returns the table. */
static const struct ie_scan_option *long_options(struct option *opts, size_t cap, size_t *n_rows)
{
    const struct ie_scan_option *rows;
    size_t n = ie_scan_option_table(&rows), k = 0;
    if (2 * n + 4 > cap)
        abort(); /* the array below grows with the table */
    static const struct option fixed[] = {
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
    };
    for (size_t i = 0; i < IE_ARRAY_LEN(fixed); i++)
        opts[k++] = fixed[i];
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].cli_flag)
            continue;
        int arg = rows[i].type == IE_OPT_BOOL ? no_argument : required_argument;
        opts[k++] = (struct option){rows[i].cli_flag + 2, arg, NULL, OPT_ROW + (int)i};
        if (rows[i].cli_negate)
            opts[k++] = (struct option){rows[i].cli_negate + 2, no_argument, NULL,
                                        OPT_ROW_NEGATED + (int)i};
    }
    opts[k] = (struct option){NULL, 0, NULL, 0};
    *n_rows = n;
    return rows;
}

/* Parses the command line into o, *out and ui. Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct ie_scan_options *o, const char **out,
                      struct ui *ui)
{
    struct option opts[64];
    struct ie_err err = {0};
    size_t n_rows;
    const struct ie_scan_option *rows = long_options(opts, IE_ARRAY_LEN(opts), &n_rows);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        if (c >= OPT_ROW && (size_t)(c - OPT_ROW) < n_rows) {
            if (ie_scan_option_set_text(&rows[c - OPT_ROW], optarg, false, o, &err) < 0) {
                cli_error("%s", err.msg);
                return 1;
            }
        } else if (c >= OPT_ROW_NEGATED && (size_t)(c - OPT_ROW_NEGATED) < n_rows) {
            ie_scan_option_set_text(&rows[c - OPT_ROW_NEGATED], NULL, true, o, &err);
        } else if (c == 'o') {
            *out = optarg;
        } else if (c == 'q') {
            ui->quiet = true;
        } else if (c == 'h') {
            print_usage(stdout);
            return 0;
        } else {
            print_usage(stderr);
            return 1;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "scan needs a directory" : "scan takes one directory");
        print_usage(stderr);
        return 1;
    }
    return -1;
}

static void fmt_duration(char *out, size_t n, double s)
{
    if (s < 0) {
        snprintf(out, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

static void on_progress(const struct ie_scan_progress *p, bool checkpointed, void *ud)
{
    struct ui *ui = ud;
    char eta[32];
    (void)checkpointed;
    if (ui->quiet)
        return;
    double frac = p->total ? (double)p->processed / (double)p->total : 1.0;
    double mbps = p->elapsed_s > 0 ? (double)p->bytes / 1e6 / p->elapsed_s : 0;
    fmt_duration(eta, sizeof(eta), p->eta_s);
    if (ui->tty) {
        char bar[31];
        int fill = (int)(frac * 30 + 0.5);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[30] = '\0';
        fprintf(stderr, "\r\033[K[%s] %zu/%zu %5.1f%%  %.1f img/s  %.1f MB/s  ETA %s", bar,
                p->processed, p->total, frac * 100, p->rate_per_s, mbps, eta);
        ui->drew = true;
    } else {
        fprintf(stderr, "progress: %zu/%zu (%.1f%%), %.1f img/s, %.1f MB/s, ETA %s\n", p->processed,
                p->total, frac * 100, p->rate_per_s, mbps, eta);
    }
    fflush(stderr);
}

static void print_summary(const struct ie_scan_progress *p, const char *out, int status)
{
    char took[32];
    fmt_duration(took, sizeof(took), p->elapsed_s);
    if (status == 0)
        printf("Scanned %zu image%s", p->total, p->total == 1 ? "" : "s");
    else
        printf("Interrupted after %zu of %zu images", p->processed, p->total);
    printf(" (%zu analysed, %zu kept from the previous run) in %s, %.1f images/s, %.1f MB/s. ",
           p->analysed, p->resumed, took, p->rate_per_s,
           p->elapsed_s > 0 ? (double)p->bytes / 1e6 / p->elapsed_s : 0.0);
    printf("Corrupt: %zu, dark: %zu, overexposed: %zu, blurry: %zu, border artifacts: %zu. ",
           p->corrupt, p->dark, p->overexposed, p->blurry, p->artifact);
    printf("Manifest: %s", out);
    if (status != 0)
        printf(" (progress saved; run the same command again to resume)");
    printf("\n");
}

int cmd_scan(int argc, char **argv)
{
    struct ie_scan_options o;
    struct ie_err err = {0};
    struct ie_scan *scan = NULL;
    struct eng_s3_source *src = NULL;
    const char *out = "./imgeda_manifest.jsonl";
    struct ui ui = {0};
    int rc;

    ie_scan_options_init(&o);
    if ((rc = parse_args(argc, argv, &o, &out, &ui)) >= 0)
        return rc;
    const char *dir = argv[optind];
    ui.tty = isatty(STDERR_FILENO);

    if (eng_runner_open(dir, out, &o, &scan, &src, &err) < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    const char *const *notes;
    size_t n_notes = ie_scan_notes(scan, &notes);
    for (size_t i = 0; i < n_notes; i++)
        fprintf(stderr, "%s\n", notes[i]);
    struct ie_scan_progress p;
    ie_scan_get_progress(scan, &p);
    char shard[48] = "";
    if (o.shard.count > 1)
        snprintf(shard, sizeof(shard), " of shard %u/%u", (unsigned)o.shard.index,
                 (unsigned)o.shard.count);
    if (!ui.quiet)
        fprintf(stderr, "Found %zu image%s%s in %s; %zu to analyse with %d worker%s.\n", p.total,
                p.total == 1 ? "" : "s", shard, dir, ie_scan_remaining(scan), o.workers,
                o.workers == 1 ? "" : "s");

    struct eng_runner_callbacks cb = {
        .on_progress = on_progress,
        .on_done = NULL,
        .ud = &ui,
        .progress_interval = ui.tty ? 0.1 : 5.0,
    };
    eng_runner_set_pool_size(o.workers);
    /* One malloc arena per worker: glibc's default (8 per core) lets each libvips thread keep
     * freed image buffers in its own arena, which grew peak RSS with the number of images
     * (bench/scan: 390 MB -> 230 MB, no speed cost). */
    mallopt(M_ARENA_MAX, o.workers < 2 ? 2 : o.workers);
    int status = eng_runner_run_blocking(scan, src, o.workers, &cb, &err);
    if (ui.drew)
        fputc('\n', stderr);
    ie_scan_get_progress(scan, &p);
    if (status == 0) {
        print_summary(&p, out, 0);
        rc = 0;
    } else if (status == IE_ECANCELED) {
        print_summary(&p, out, status);
        rc = 130;
    } else {
        cli_error("scan failed: %s", err.msg);
        rc = 1;
    }
    ie_scan_free(scan);
    eng_s3_source_free(src);
    return rc;
}
