/* imgeda scan: analyse a folder into a manifest, with a live progress bar, Ctrl+C that keeps
 * what is done, resume on re-run, and a closing summary. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "imgeda/scan.h"
#include "engine/runner.h"

static const char scan_usage[] =
    "usage: imgeda scan DIR [-o OUT] [options]\n"
    "\n"
    "  -o, --output FILE            manifest path (default ./imgeda_manifest.jsonl)\n"
    "      --workers N              analysis threads (default: number of cores)\n"
    "      --checkpoint-every N     records between durable checkpoints (default 500)\n"
    "      --resume / --no-resume   reuse records of unchanged files (default --resume)\n"
    "      --force                  re-analyse everything, overwriting OUT\n"
    "      --skip-pixel-stats       metadata only: no pixel, corner or blur statistics\n"
    "      --skip-exif              do not read EXIF\n"
    "      --skip-blur              do not compute the blur score\n"
    "      --no-hashes              do not compute perceptual hashes\n"
    "      --extensions LIST        comma-separated, e.g. jpg,png (default: jpg jpeg png bmp\n"
    "                               tiff tif webp gif heic heif avif jxl)\n"
    "      --dark-threshold F       mean brightness below F is dark (default 40)\n"
    "      --overexposed-threshold F  mean brightness above F is overexposed (default 220)\n"
    "      --artifact-threshold F   corner/centre delta above F is a border artifact (50)\n"
    "      --blur-threshold F       blur score below F is blurry (default 100)\n"
    "      --max-image-dim N        working-image size limit (default 2048)\n"
    "      --max-pixels N           larger images are corrupt, not decoded (178956970)\n"
    "      --shrink-on-load         faster decode of JPEGs >= 2x max-image-dim; changes\n"
    "                               blur_score by ~10%% there (off by default, for compat)\n"
    "  -q, --quiet                  no progress output\n";

enum {
    OPT_WORKERS = 256,
    OPT_CHECKPOINT,
    OPT_RESUME,
    OPT_NO_RESUME,
    OPT_FORCE,
    OPT_SKIP_PIXEL,
    OPT_SKIP_EXIF,
    OPT_SKIP_BLUR,
    OPT_NO_HASHES,
    OPT_EXTENSIONS,
    OPT_DARK,
    OPT_OVER,
    OPT_ARTIFACT,
    OPT_BLUR,
    OPT_MAXDIM,
    OPT_MAXPIX,
    OPT_SHRINK,
};

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || v != v)
        return false;
    *out = v;
    return true;
}

struct ui {
    bool tty, quiet;
    bool drew;
};

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
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"checkpoint-every", required_argument, NULL, OPT_CHECKPOINT},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"no-resume", no_argument, NULL, OPT_NO_RESUME},
        {"force", no_argument, NULL, OPT_FORCE},
        {"skip-pixel-stats", no_argument, NULL, OPT_SKIP_PIXEL},
        {"skip-exif", no_argument, NULL, OPT_SKIP_EXIF},
        {"skip-blur", no_argument, NULL, OPT_SKIP_BLUR},
        {"no-hashes", no_argument, NULL, OPT_NO_HASHES},
        {"extensions", required_argument, NULL, OPT_EXTENSIONS},
        {"dark-threshold", required_argument, NULL, OPT_DARK},
        {"overexposed-threshold", required_argument, NULL, OPT_OVER},
        {"artifact-threshold", required_argument, NULL, OPT_ARTIFACT},
        {"blur-threshold", required_argument, NULL, OPT_BLUR},
        {"max-image-dim", required_argument, NULL, OPT_MAXDIM},
        {"max-pixels", required_argument, NULL, OPT_MAXPIX},
        {"shrink-on-load", no_argument, NULL, OPT_SHRINK},
        {NULL, 0, NULL, 0},
    };
    struct ie_scan_options o;
    struct ie_err err = {0};
    struct ie_scan *scan = NULL;
    const char *out = "./imgeda_manifest.jsonl";
    struct ui ui = {0};
    long lv;
    double dv;
    int c, rc = 1;

    ie_scan_options_init(&o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'q':
            ui.quiet = true;
            break;
        case 'h':
            fputs(scan_usage, stdout);
            return 0;
        case OPT_WORKERS:
            if (!parse_long(optarg, 1, 1024, &lv)) {
                cli_error("--workers needs a whole number from 1 to 1024, not '%s'", optarg);
                return 1;
            }
            o.workers = (int)lv;
            break;
        case OPT_CHECKPOINT:
            if (!parse_long(optarg, 1, 10000000, &lv)) {
                cli_error("--checkpoint-every needs a positive whole number, not '%s'", optarg);
                return 1;
            }
            o.checkpoint_every = (int)lv;
            break;
        case OPT_RESUME:
            o.resume = true;
            break;
        case OPT_NO_RESUME:
            o.resume = false;
            break;
        case OPT_FORCE:
            o.force = true;
            break;
        case OPT_SKIP_PIXEL:
            o.skip_pixel_stats = true;
            break;
        case OPT_SKIP_EXIF:
            o.skip_exif = true;
            break;
        case OPT_SKIP_BLUR:
            o.skip_blur = true;
            break;
        case OPT_NO_HASHES:
            o.no_hashes = true;
            break;
        case OPT_SHRINK:
            o.shrink_on_load = true;
            break;
        case OPT_EXTENSIONS:
            if (ie_scan_options_set_extensions(&o, optarg, &err) < 0) {
                cli_error("--extensions: %s", err.msg);
                return 1;
            }
            break;
        case OPT_DARK:
        case OPT_OVER:
        case OPT_ARTIFACT:
        case OPT_BLUR:
            if (!parse_double(optarg, &dv)) {
                cli_error("%s needs a number, not '%s'", argv[optind - 2], optarg);
                return 1;
            }
            *(c == OPT_DARK       ? &o.dark_threshold
              : c == OPT_OVER     ? &o.overexposed_threshold
              : c == OPT_ARTIFACT ? &o.artifact_threshold
                                  : &o.blur_threshold) = dv;
            break;
        case OPT_MAXDIM:
            if (!parse_long(optarg, 16, 65535, &lv)) {
                cli_error("--max-image-dim needs a whole number from 16 to 65535, not '%s'",
                          optarg);
                return 1;
            }
            o.max_image_dim = (int)lv;
            break;
        case OPT_MAXPIX:
            if (!parse_long(optarg, 1, 1L << 40, &lv)) {
                cli_error("--max-pixels needs a positive whole number, not '%s'", optarg);
                return 1;
            }
            o.max_pixels = lv;
            break;
        default:
            fputs(scan_usage, stderr);
            return 1;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "scan needs a directory" : "scan takes one directory");
        fputs(scan_usage, stderr);
        return 1;
    }
    const char *dir = argv[optind];
    ui.tty = isatty(STDERR_FILENO);

    if (ie_scan_open(dir, out, &o, &scan, &err) < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    const char *const *notes;
    size_t n_notes = ie_scan_notes(scan, &notes);
    for (size_t i = 0; i < n_notes; i++)
        fprintf(stderr, "%s\n", notes[i]);
    struct ie_scan_progress p;
    ie_scan_get_progress(scan, &p);
    if (!ui.quiet)
        fprintf(stderr, "Found %zu image%s in %s; %zu to analyse with %d worker%s.\n", p.total,
                p.total == 1 ? "" : "s", dir, ie_scan_remaining(scan), o.workers,
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
    int status = eng_runner_run_blocking(scan, o.workers, &cb, &err);
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
    return rc;
}
