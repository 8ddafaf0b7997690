/* Fuzzes the slim manifest line scanner that diff and gate read manifests with
 * (ie_slim_manifest_add_line): the lines before the first empty line form the old manifest, the
 * rest the new one; the two are diffed, and the new one is gated with every check enabled.
 * Checks the documented return values against the manifest's counters. Lines are never empty
 * here (an empty line switches manifests). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgeda/diff.h"
#include "imgeda/gate.h"

static void add_line(struct ie_slim_manifest *m, const char *line, size_t len)
{
    size_t n = m->n, replaced = m->replaced, skipped = m->skipped_lines;
    /* A copy of exactly len bytes, so that reading past the line is caught. */
    char *copy = malloc(len);
    memcpy(copy, line, len);
    int rc = ie_slim_manifest_add_line(m, copy, len);
    free(copy);
    bool ok = rc == 1    ? m->n + m->replaced == n + replaced + 1 && m->skipped_lines == skipped
              : rc == 0  ? m->n == n && m->replaced == replaced && m->skipped_lines == skipped
              : rc == -1 ? m->n == n && m->replaced == replaced && m->skipped_lines == skipped + 1
                         : false;
    if (!ok) {
        fprintf(stderr,
                "add_line returned %d; n %zu -> %zu, replaced %zu -> %zu, skipped %zu -> %zu\n", rc,
                n, m->n, replaced, m->replaced, skipped, m->skipped_lines);
        abort();
    }
}

/* Every check enabled, so that the gate reads every slim field. */
static const char policy_yaml[] =
    "{min_images_total: 2, max_corrupt_pct: 10, max_overexposed_pct: 5.5, max_underexposed_pct: 5,"
    " max_duplicate_pct: 1, max_blurry_pct: 50, max_artifact_pct: 0, min_width: 8,"
    " min_height: 8, allowed_formats: [JPEG, png, tif], max_aspect_ratio: 2.5}";

static void diff_and_gate(const struct ie_slim_manifest *old, const struct ie_slim_manifest *new)
{
    struct ie_diff_result d;
    struct ie_policy p;
    struct ie_gate_result g;
    uint32_t *group_of = NULL, *sizes = NULL;
    size_t n_groups = 0;

    ie_diff_result_init(&d);
    ie_diff_compute(old, new, &d);
    free(ie_diff_to_json(&d, false));
    ie_diff_result_release(&d);

    ie_policy_init(&p);
    if (ie_policy_parse(&p, "fuzz", policy_yaml, strlen(policy_yaml), NULL) != 0)
        abort();
    ie_gate_result_init(&g);
    ie_gate_evaluate(new, &p, &g);
    free(ie_gate_result_to_json(&g, true));
    ie_gate_result_release(&g);
    ie_policy_release(&p);

    ie_slim_manifest_exact_groups(new, &group_of, &sizes, &n_groups);
    free(group_of);
    free(sizes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ie_slim_manifest old, new;
    struct ie_slim_manifest *into = &old;
    const char *p = (const char *)data, *end = p + size;

    ie_slim_manifest_init(&old);
    ie_slim_manifest_init(&new);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len == 0)
            into = &new;
        else
            add_line(into, p, len);
        p += len + (nl != NULL);
    }
    diff_and_gate(&old, &new);
    ie_slim_manifest_release(&new);
    ie_slim_manifest_release(&old);
    return 0;
}
