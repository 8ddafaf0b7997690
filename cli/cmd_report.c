/* imgeda report: a PDF or single-file HTML report of a manifest, with the gate verdict of a
 * policy when one is given. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imgeda/gate.h"
#include "imgeda/manifest.h"
#include "imgeda/report.h"
#include "imgeda/slim.h"

static const char report_usage[] =
    "usage: imgeda report -m MANIFEST [-o FILE] [--policy POLICY] [options]\n"
    "\n"
    "  -m, --manifest FILE   manifest to report on (required)\n"
    "  -o, --output FILE     FILE.html: one self-contained page (CSS and images inline);\n"
    "                        FILE.pdf: a paginated PDF (default ./imgeda_report.html)\n"
    "  -p, --policy FILE     include the gate verdict of this policy (YAML or JSON);\n"
    "                        the exit code is then 2 when the gate fails\n"
    "      --top N           flagged images shown per issue, 0..100 (default 8)\n"
    "      --no-thumbnails   do not open the image files (placeholders instead)\n";

enum { OPT_TOP = 256, OPT_NO_THUMBS };

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"policy", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"top", required_argument, NULL, OPT_TOP},
        {"no-thumbnails", no_argument, NULL, OPT_NO_THUMBS},
        {NULL, 0, NULL, 0},
    };
    struct ie_report_opts ro;
    struct ie_manifest m;
    struct ie_policy pol;
    struct ie_slim_manifest slim;
    struct ie_gate_result gate;
    struct ie_err err = {0};
    cJSON *gate_json = NULL;
    const char *manifest = NULL, *out = "./imgeda_report.html", *policy = NULL;
    int c, f, rc = 1;
    char *end;

    ie_report_opts_init(&ro);
    ie_manifest_init(&m);
    ie_policy_init(&pol);
    ie_slim_manifest_init(&slim);
    ie_gate_result_init(&gate);
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            manifest = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            policy = optarg;
            break;
        case 'h':
            fputs(report_usage, stdout);
            return 0;
        case OPT_TOP: {
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || errno || v < 0 || v > IE_REPORT_MAX_TOP) {
                cli_error("--top needs a whole number from 0 to %d, not '%s'", IE_REPORT_MAX_TOP,
                          optarg);
                return 1;
            }
            ro.top_n = (size_t)v;
            break;
        }
        case OPT_NO_THUMBS:
            ro.thumbnails = false;
            break;
        default:
            fputs(report_usage, stderr);
            return 1;
        }
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        return 1;
    }
    if (!manifest) {
        cli_error("report needs -m MANIFEST");
        return 1;
    }
    if ((f = ie_report_format_from_path(out)) < 0) {
        cli_error("the report file must end in .html or .pdf, not '%s'", out);
        return 1;
    }
    ro.format = (enum ie_report_format)f;
    ro.manifest_path = manifest;

    /* The policy first: a typo in it should fail fast, before any work. */
    if (policy && ie_policy_load(&pol, policy, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (cli_load_records(manifest, &m) < 0)
        goto out;
    if (policy) {
        for (size_t i = 0; i < m.n; i++)
            ie_slim_manifest_add_record(&slim, &m.recs[i]);
        ie_gate_evaluate(&slim, &pol, &gate);
        gate_json = ie_gate_result_to_cjson(&gate);
        ro.gate = gate_json;
        ro.policy_name = policy;
    }
    if (ie_report_write(&m, &ro, out, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    printf("Report saved to %s (%zu image%s)", out, m.n, m.n == 1 ? "" : "s");
    if (policy) {
        size_t failed = 0;
        for (size_t i = 0; i < gate.n_checks; i++)
            failed += !gate.checks[i].passed;
        if (gate.passed)
            printf("; gate passed");
        else
            printf("; gate FAILED (%zu of %zu checks)", failed, gate.n_checks);
    }
    printf("\n");
    rc = policy && !gate.passed ? 2 : 0;
out:
    cJSON_Delete(gate_json);
    ie_gate_result_release(&gate);
    ie_slim_manifest_release(&slim);
    ie_policy_release(&pol);
    ie_manifest_release(&m);
    return rc;
}
