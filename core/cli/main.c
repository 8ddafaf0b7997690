/* imgeda: the command-line front end over the core library (SPEC §8). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imgeda/analyze.h"

static const char usage[] =
    "usage: imgeda <command> [options]\n"
    "\n"
    "commands:\n"
    "  scan DIR -o OUT     analyse every image under DIR into a JSONL manifest\n"
    "\n"
    "Run 'imgeda <command> --help' for a command's options.\n";

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

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("imgeda %s (analyzer %s)\n", IMGEDA_VERSION, IE_ANALYZER_VERSION);
        return 0;
    }
    if (ie_init(argv[0], &err) < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    if (strcmp(argv[1], "scan") == 0) {
        rc = cmd_scan(argc - 1, argv + 1);
    } else {
        cli_error("unknown command '%s'", argv[1]);
        fputs(usage, stderr);
        rc = 1;
    }
    ie_shutdown();
    return rc;
}
