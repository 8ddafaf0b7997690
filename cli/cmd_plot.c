/* imgeda plot: render one plot type, or all of them, from a manifest into PNG, SVG or PDF files
 * named as imgeda names them (DIR/<type>.<ext>, e.g. plots/file_size.png). */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "imgeda/manifest.h"
#include "imgeda/plot.h"

static const char plot_usage[] =
    "usage: imgeda plot {TYPE,all} -m MANIFEST [-o DIR] [options]\n"
    "\n"
    "types: dimensions file-size aspect-ratio brightness channels artifacts duplicates blur\n"
    "       exif-camera exif-focal exif-iso, or all\n"
    "\n"
    "  -m, --manifest FILE   manifest to plot (required)\n"
    "  -o, --output DIR      output folder, created if needed (default ./plots)\n"
    "      --format FMT      png, svg or pdf (default png)\n"
    "      --dpi N           resolution of PNG output, 10..1200 (default 150)\n"
    "      --sample N        plot a random sample of N readable images (fixed seed)\n"
    "      --seed N          seed of the sample (default 42)\n"
    "\n"
    "Thresholds drawn on the plots come from the manifest's scan settings when present.\n"
    "An empty manifest, or one without e.g. EXIF data, gives plots that say 'no data'.\n";

enum { OPT_FORMAT = 256, OPT_DPI, OPT_SAMPLE, OPT_SEED };

static bool parse_ulong(const char *s, unsigned long long lo, unsigned long long hi,
                        unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* mkdir -p. Returns 0 or -1 with errno set. */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    int rc = 0;
    if (!p)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = c;
        if (!c)
            break;
    }
    struct stat st;
    if (rc == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        rc = -1;
    }
    free(p);
    return rc;
}

/* Parses the options into po, *manifest and *outdir. Returns -1 to go on, or the exit code. */
static int parse_plot_options(int argc, char **argv, struct ie_plot_opts *po, const char **manifest,
                              const char **outdir)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"dpi", required_argument, NULL, OPT_DPI},
        {"sample", required_argument, NULL, OPT_SAMPLE},
        {"seed", required_argument, NULL, OPT_SEED},
        {NULL, 0, NULL, 0},
    };
    unsigned long long v;
    int c, f;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            *manifest = optarg;
            break;
        case 'o':
            *outdir = optarg;
            break;
        case 'h':
            fputs(plot_usage, stdout);
            return 0;
        case OPT_FORMAT:
            if ((f = ie_plot_format_parse(optarg)) < 0) {
                cli_error("--format must be png, svg or pdf, not '%s'", optarg);
                return 1;
            }
            po->format = (enum ie_plot_format)f;
            break;
        case OPT_DPI:
            if (!parse_ulong(optarg, IE_PLOT_MIN_DPI, IE_PLOT_MAX_DPI, &v)) {
                cli_error("--dpi needs a whole number from %d to %d, not '%s'", IE_PLOT_MIN_DPI,
                          IE_PLOT_MAX_DPI, optarg);
                return 1;
            }
            po->dpi = (double)v;
            break;
        case OPT_SAMPLE:
            if (!parse_ulong(optarg, 1, (unsigned long long)SIZE_MAX, &v)) {
                cli_error("--sample needs a positive whole number, not '%s'", optarg);
                return 1;
            }
            po->sample = (size_t)v;
            break;
        case OPT_SEED:
            if (!parse_ulong(optarg, 0, UINT64_MAX, &v)) {
                cli_error("--seed needs a whole number, not '%s'", optarg);
                return 1;
            }
            po->seed = v;
            break;
        default:
            fputs(plot_usage, stderr);
            return 1;
        }
    }
    return -1;
}

int cmd_plot(int argc, char **argv)
{
    struct ie_plot_opts po;
    struct ie_manifest m;
    struct ie_err err = {0};
    const char *manifest = NULL, *outdir = "./plots", *what = NULL;
    int rc, failed = 0;
    char *path = NULL;

    ie_plot_opts_init(&po);
    ie_manifest_init(&m);
    if ((rc = parse_plot_options(argc, argv, &po, &manifest, &outdir)) >= 0)
        return rc;
    rc = 1;
    if (optind < argc)
        what = argv[optind++];
    if (!what) {
        cli_error("plot needs a type (or 'all'); see 'imgeda plot --help'");
        return 1;
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        return 1;
    }
    int only = -1;
    if (strcmp(what, "all") != 0 && (only = ie_plot_type_parse(what)) < 0) {
        cli_error("unknown plot type '%s'; one of: dimensions file-size aspect-ratio "
                  "brightness channels artifacts duplicates blur exif-camera exif-focal "
                  "exif-iso all",
                  what);
        return 1;
    }
    if (!manifest) {
        cli_error("plot needs -m MANIFEST");
        return 1;
    }
    if (cli_load_records(manifest, &m) < 0)
        goto out;
    if (m.n == 0)
        fprintf(stderr, "imgeda: %s has no records; the plots will say 'no data'\n", manifest);
    if (m.meta.present)
        ie_plot_opts_apply_settings(&po, m.meta.settings_json);
    if (make_dirs(outdir) < 0) {
        cli_error("cannot create the output folder %s: %s", outdir, strerror(errno));
        goto out;
    }
    path = malloc(strlen(outdir) + 64);
    if (!path)
        goto out;
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        if (only >= 0 && t != only)
            continue;
        sprintf(path, "%s/%s.%s", outdir, ie_plot_type_file_stem((enum ie_plot_type)t),
                ie_plot_format_ext(po.format));
        if (ie_plot_render_file(m.recs, m.n, (enum ie_plot_type)t, &po, path, &err) < 0) {
            cli_error("%s: %s", ie_plot_type_name((enum ie_plot_type)t), err.msg);
            failed++;
            continue;
        }
        printf("Saved %s\n", path);
    }
    rc = failed ? 1 : 0;
out:
    free(path);
    ie_manifest_release(&m);
    return rc;
}
