/* imgeda export: a manifest as CSV, JSONL, a SQLite file or a Parquet file (SPEC §4.7). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "engine/export_sqlite.h"
#include "imgeda/export.h"

static const char export_usage[] =
    "usage: imgeda export {csv,jsonl,sqlite,parquet} -m MANIFEST -o OUT\n"
    "\n"
    "  csv      one row per image, RFC 4180: Python imgeda's 41 columns first, in its order\n"
    "           and with its names (mean_r, ..., corner_delta) and values (True/False, None\n"
    "           as an empty field, floats as Python prints them), then ours (orientation_tag,\n"
    "           analyzer_version, min_val, max_val, content_hash, error, bit_depth, num_frames)\n"
    "  jsonl    the manifest's header and each image's latest record, lines as written\n"
    "  sqlite   a SQLite file: table images (typed columns named after the record's keys,\n"
    "           nested ones flattened: pixel_stats_mean_r), table meta\n"
    "  parquet  an Apache Parquet file (pandas, DuckDB, Polars): the CSV's columns, typed,\n"
    "           nulls as nulls, zstd-compressed\n"
    "\n"
    "  -m, --manifest FILE   the JSONL manifest (ours or Python imgeda's)\n"
    "  -o, --out FILE        where to write; replaced atomically if it exists\n"
    "  -h, --help            this text\n"
    "\n"
    "When a path has several records (a resumed scan), the latest one is exported.\n";

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ie_err err = {0};
    struct ie_export_stats st = {0};
    enum ie_export_format fmt;
    const char *manifest = NULL, *out = NULL, *kind = NULL;
    struct stat sb;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            manifest = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs(export_usage, stdout);
            return 0;
        default:
            fputs(export_usage, stderr);
            return 1;
        }
    }
    if (optind < argc)
        kind = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        fputs(export_usage, stderr);
        return 1;
    }
    if (!kind) {
        cli_error("export needs a format: csv, jsonl, sqlite or parquet");
        fputs(export_usage, stderr);
        return 1;
    }
    if (ie_export_format_parse(kind, &fmt, &err) < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    if (!manifest || !out) {
        cli_error("export needs a manifest (-m FILE) and an output (-o FILE)");
        fputs(export_usage, stderr);
        return 1;
    }
    if (stat(manifest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error("%s is a directory, not a manifest", manifest);
        return 1;
    }
    if (fmt == IE_EXPORT_SQLITE)
        rc = eng_export_sqlite_write(manifest, out, &st, &err);
    else
        rc = ie_export_write_path(manifest, fmt, out, &st, &err);
    if (rc < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    printf("Exported %zu %s to %s\n", st.records, plural(st.records, "record", "records"), out);
    if (st.replaced)
        printf("  %zu earlier %s replaced by a later one for the same path\n", st.replaced,
               plural(st.replaced, "record", "records"));
    if (st.skipped_lines)
        printf("  %zu unreadable %s skipped (a torn last line is normal after a crash)\n",
               st.skipped_lines, plural(st.skipped_lines, "line", "lines"));
    if (st.records == 0)
        fprintf(stderr, "imgeda: warning: %s has no image records\n", manifest);
    return 0;
}
