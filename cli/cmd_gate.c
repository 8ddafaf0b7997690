/* imgeda gate: pass or fail a manifest against a policy (SPEC §4.5). Exit 0 when every check
 * passes, 2 when one fails, 1 for bad input (an empty file among it); policy errors are printed as
 * "file:line:col: key: reason" (no "imgeda:" prefix, so editors and CI annotators can jump). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include <cjson/cJSON.h>

#include "imgeda/duplicates.h"
#include "imgeda/gate.h"
#include "imgeda/manifest.h"
#include "imgeda/marks.h"
#include "imgeda/util.h"

static const char gate_usage[] =
    "usage: imgeda gate -m MANIFEST -p POLICY [-o OUT] [--json]\n"
    "\n"
    "Checks a manifest against a quality policy (YAML or JSON; see config/policy.example.yaml).\n"
    "Exit status: 0 all checks passed, 2 a check failed, 1 bad input (an empty file is\n"
    "bad input; a manifest with a header and no records fails min_images_total).\n"
    "\n"
    "  -m, --manifest FILE     the manifest to check\n"
    "  -p, --policy FILE       the policy\n"
    "  -o, --output FILE       also write the result as JSON (imgeda's format) to FILE\n"
    "      --json              print the JSON on stdout instead of the table\n"
    "      --marks FILE        apply a marks file first (imgeda marks): removed images leave\n"
    "                          the counts, ok clears flags, not_duplicate splits groups; the\n"
    "                          result says how many marks it applied in \"marks\"\n";

enum { OPT_JSON = 256, OPT_MARKS };

/* Under the table: how many marks the verdict applied (marks: ie_marks_applied_to_cjson). */
static void print_marks(const char *file, const cJSON *marks)
{
    const cJSON *applied = cJSON_GetObjectItemCaseSensitive(marks, "applied");
    const cJSON *removed = cJSON_GetObjectItemCaseSensitive(marks, "removed");
    if (marks && applied && removed)
        printf("Marks: %.0f applied from %s (%.0f images removed)\n", applied->valuedouble, file,
               removed->valuedouble);
}

/* Loads manifest into m; with a marks file, the records its marks leave, and *marks says what
 * they did. Prints the error and returns -1 on failure. */
static int load_gated(const char *manifest, const char *marks_file, struct ie_slim_manifest *m,
                      cJSON **marks)
{
    struct ie_err err = {0};
    struct ie_manifest full;
    struct ie_marks_applied a;
    int rc = -1;
    if (!marks_file) {
        if (ie_slim_manifest_load(manifest, m, &err) < 0) {
            cli_error("%s", err.msg);
            return -1;
        }
        return 0;
    }
    ie_manifest_init(&full);
    ie_marks_applied_init(&a);
    if (cli_load_manifest(manifest, &full, false) < 0 ||
        cli_apply_marks(marks_file, &full, IE_DUP_DEFAULT_THRESHOLD, &a) < 0)
        goto out;
    m->has_header = full.meta.present;
    for (size_t i = 0; i < a.n; i++)
        ie_slim_manifest_add_record(m, &a.recs[i]);
    *marks = ie_marks_applied_to_cjson(&a);
    rc = 0;
out:
    ie_marks_applied_release(&a);
    ie_manifest_release(&full);
    return rc;
}

static const char *grouped(size_t v, char *buf, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%zu", v), o = 0;
    for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* Observed and threshold columns, worded for each kind of check. */
static void describe_check(const struct ie_gate_check *c, const struct ie_policy *p, char *obs,
                           size_t on, char *thr, size_t tn)
{
    char v[40], t[40];
    ie_fmt_double(v, sizeof(v), c->observed);
    if (c->threshold_is_int)
        snprintf(t, sizeof(t), "%.0f", c->threshold);
    else
        ie_fmt_double(t, sizeof(t), c->threshold);
    if (strcmp(c->name, "min_images_total") == 0) {
        snprintf(obs, on, "%.0f images", c->observed);
        snprintf(thr, tn, ">= %.0f", c->threshold);
    } else if (strcmp(c->name, "min_width") == 0 || strcmp(c->name, "min_height") == 0) {
        snprintf(obs, on, "%.0f px", c->observed);
        snprintf(thr, tn, ">= %.0f px", c->threshold);
    } else if (strcmp(c->name, "allowed_formats") == 0) {
        size_t o = 0;
        snprintf(obs, on, "%.0f other", c->observed);
        o = (size_t)snprintf(thr, tn, "in ");
        for (size_t i = 0; i < p->n_allowed_formats && o < tn; i++)
            o += (size_t)snprintf(thr + o, tn - o, "%s%s", i ? "," : "", p->allowed_formats[i]);
    } else if (strcmp(c->name, "max_aspect_ratio") == 0) {
        snprintf(obs, on, "%s", v);
        snprintf(thr, tn, "<= %s", t);
    } else {
        snprintf(obs, on, "%s%%", v);
        snprintf(thr, tn, "<= %s%%", t);
    }
}

static void print_table(const struct ie_gate_result *g, const struct ie_policy *p,
                        const char *manifest, const char *policy, bool color)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "";
    const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
    size_t failed = 0;
    char n[32];

    printf("%sQuality gate%s: %s (%s images), policy %s\n\n", bold, reset, manifest,
           grouped(g->total_images, n, sizeof(n)), policy);
    printf("  %-22s %-18s %-22s %s\n", "check", "observed", "threshold", "result");
    for (size_t i = 0; i < g->n_checks; i++) {
        const struct ie_gate_check *c = &g->checks[i];
        char obs[64], thr[256];
        describe_check(c, p, obs, sizeof(obs), thr, sizeof(thr));
        printf("  %-22s %-18s %-22s %s%s%s\n", c->name, obs, thr, c->passed ? green : red,
               c->passed ? "PASS" : "FAIL", reset);
        if (c->passed)
            continue;
        failed++;
        for (size_t j = 0; j < c->n_samples && j < 5; j++)
            printf("      %s\n", c->sample_paths[j]);
        if (c->n_samples > 5)
            printf("      ... and %zu more%s\n", c->n_samples - 5,
                   c->n_samples == IE_GATE_MAX_SAMPLES ? " (first 10 in the JSON)" : "");
    }
    if (g->total_images == 0)
        printf("\n  The manifest has no images.\n");
    if (g->passed)
        printf("\n%sGate: PASSED%s (%zu check%s)\n", green, reset, g->n_checks,
               g->n_checks == 1 ? "" : "s");
    else
        printf("\n%sGate: FAILED%s (%zu of %zu check%s failed)\n", red, reset, failed, g->n_checks,
               g->n_checks == 1 ? "" : "s");
}

int cmd_gate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"policy", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"out", required_argument, NULL, 'o'}, /* imgeda's spelling */
        {"json", no_argument, NULL, OPT_JSON},
        {"marks", required_argument, NULL, OPT_MARKS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *manifest = NULL, *policy_path = NULL, *out_path = NULL, *marks_file = NULL;
    cJSON *marks = NULL;
    bool json = false;
    struct ie_policy policy;
    struct ie_slim_manifest m;
    struct ie_gate_result g;
    struct ie_err err = {0};
    char *text = NULL;
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "m:p:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            manifest = optarg;
            break;
        case 'p':
            policy_path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_MARKS:
            marks_file = optarg;
            break;
        case 'h':
            fputs(gate_usage, stdout);
            return 0;
        default:
            fputs(gate_usage, stderr);
            return 1;
        }
    }
    if (!manifest || !policy_path || optind != argc) {
        if (optind != argc)
            cli_error("gate takes no positional arguments ('%s')", argv[optind]);
        else
            cli_error("gate needs -m MANIFEST and -p POLICY");
        fputs(gate_usage, stderr);
        return 1;
    }

    ie_policy_init(&policy);
    ie_slim_manifest_init(&m);
    ie_gate_result_init(&g);
    /* The policy first: a typo should not wait for a 10^6-record manifest to load. */
    if (ie_policy_load(&policy, policy_path, &err) < 0) {
        if (err.code == IE_EINVAL)
            fprintf(stderr, "%s\n", err.msg);
        else
            cli_error("policy: %s", err.msg);
        goto out;
    }
    if (load_gated(manifest, marks_file, &m, &marks) < 0)
        goto out;
    /* An empty file is bad input (exit 1), not a dataset that fails min_images_total (2); a
     * header-only manifest is an empty dataset and fails that check as SPEC 4.5 says. */
    if (cli_check_slim(manifest, &m, false) < 0)
        goto out;
    ie_gate_evaluate(&m, &policy, &g);

    if (marks) {
        cJSON *o = ie_gate_result_to_cjson(&g);
        cJSON_AddItemToObject(o, "marks", cJSON_Duplicate(marks, true));
        text = cJSON_Print(o);
        cJSON_Delete(o);
    } else {
        text = ie_gate_result_to_json(&g, true);
    }
    if (out_path) {
        struct ie_buf b;
        ie_buf_init(&b);
        ie_buf_adds(&b, text);
        ie_buf_addc(&b, '\n');
        int wrc = ie_write_file_atomic(out_path, b.data, b.len, &err);
        ie_buf_release(&b);
        if (wrc < 0) {
            cli_error("%s", err.msg);
            goto out;
        }
    }
    if (json) {
        printf("%s\n", text);
    } else {
        const char *nc = getenv("NO_COLOR");
        print_table(&g, &policy, manifest, policy_path, isatty(STDOUT_FILENO) && !(nc && *nc));
        print_marks(marks_file, marks);
        if (out_path)
            printf("Saved to %s\n", out_path);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write to stdout");
        goto out;
    }
    rc = g.passed ? 0 : 2;
out:
    cJSON_Delete(marks);
    free(text);
    ie_gate_result_release(&g);
    ie_slim_manifest_release(&m);
    ie_policy_release(&policy);
    return rc;
}
