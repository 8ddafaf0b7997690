/* imgeda merge: the parts of a sharded scan (or manifests of the same settings) into one. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "imgeda/merge.h"

static const char merge_usage[] =
    "usage: imgeda merge PART... -o OUT\n"
    "\n"
    "  PART            manifests to merge: the shards of one scan (imgeda scan DIR --shard K/N,\n"
    "                  every K of N once) or whole manifests made with the same settings\n"
    "  -o, --out FILE  the merged manifest: the header of one scan of the whole root, one\n"
    "                  record per path, in path order; replaced atomically if it exists\n"
    "  -h, --help      this text\n"
    "\n"
    "Refused, writing nothing: parts made with different analysis settings, unfinished or\n"
    "damaged parts, missing or repeated shards, and a path whose records differ between parts\n"
    "(byte-identical records of a path are written once).\n";

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ie_err err = {0};
    struct ie_merge_stats st = {0};
    const char *out = NULL;
    struct stat sb;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(merge_usage, stdout);
            return 0;
        default:
            fputs(merge_usage, stderr);
            return 1;
        }
    }
    if (optind >= argc || !out) {
        cli_error("merge needs parts and an output: imgeda merge PART... -o OUT");
        fputs(merge_usage, stderr);
        return 1;
    }
    if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error("%s is a directory, not a manifest file", out);
        return 1;
    }
    if (ie_manifest_merge((const char *const *)argv + optind, (size_t)(argc - optind), out, &st,
                          &err) < 0) {
        cli_error("merge failed: %s", err.msg);
        return 1;
    }
    printf("Merged %zu part%s into %s: %zu record%s", st.parts, st.parts == 1 ? "" : "s", out,
           st.records, st.records == 1 ? "" : "s");
    if (st.duplicates)
        printf(", %zu identical duplicate%s written once", st.duplicates,
               st.duplicates == 1 ? "" : "s");
    if (st.sorted_parts)
        printf(", %zu part%s sorted first", st.sorted_parts, st.sorted_parts == 1 ? "" : "s");
    printf(".\n");
    return 0;
}
