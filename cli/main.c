/* imgeda: the command-line front end over the core library (SPEC §8). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/s3.h"
#include "engine/worker.h"
#include "imgeda/analyze.h"

static const char usage[] =
    "usage: imgeda <command> [options]\n"
    "\n"
    "commands:\n"
    "  scan DIR -o OUT         analyse every image under DIR into a JSONL manifest\n"
    "                          (--shard K/N: only shard K of N, for many machines)\n"
    "  merge PART... -o OUT    the shards of a scan (or manifests) into one manifest\n"
    "  marks SUB MARKS ...     mark images (remove, keep, ok, not_duplicate), list, apply\n"
    "  info -m M               summary of a manifest\n"
    "  check KIND -m M         list flagged images (corrupt, exposure, artifacts, blur,\n"
    "                          duplicates, all) or leakage across splits (-m A -m B)\n"
    "  diff --old A --new B    what changed between two manifests\n"
    "  gate -m M -p POLICY     pass/fail a manifest against a YAML policy (exit 2 on fail)\n"
    "  export FMT -m M -o OUT  csv, jsonl or sqlite\n"
    "  annotations DIR         dataset layout and annotation statistics\n"
    "  plot TYPE -m M          render plots (png, svg, pdf)\n"
    "  report -m M -o FILE     PDF or HTML report\n"
    "\n"
    "Run 'imgeda <command> --help' for a command's options; 'imgeda -V' (--version) prints the\n"
    "version.\n";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("imgeda: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int main(int argc, char **argv)
{
    struct ie_err err = {0};
    int rc;

    /* A worker process of isolated analysis (imgeda scan --isolate): nothing else to do. */
    if (argc >= 2 && strcmp(argv[1], ENG_WORKER_FLAG) == 0)
        return eng_worker_main(argc, argv);

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        /* Exactly Python imgeda's line, for scripts that read it; the analyzer version is in
         * every manifest's header. */
        printf("imgeda %s\n", IMGEDA_VERSION);
        return 0;
    }
    /* libvips, and libcurl for scans of buckets, start before any thread. */
    if (ie_init(argv[0], &err) < 0 || eng_s3_global_init(&err) < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } commands[] = {
        {"scan", cmd_scan},
        {"info", cmd_info},
        {"check", cmd_check},
        {"diff", cmd_diff},
        {"gate", cmd_gate},
        {"export", cmd_export},
        {"annotations", cmd_annotations},
        {"plot", cmd_plot},
        {"report", cmd_report},
        {"merge", cmd_merge},
        {"marks", cmd_marks},
    };
    rc = -1;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            rc = commands[i].fn(argc - 1, argv + 1);
            break;
        }
    }
    if (rc == -1) {
        cli_error("unknown command '%s'", argv[1]);
        fputs(usage, stderr);
        rc = 1;
    }
    ie_shutdown();
    return rc;
}
