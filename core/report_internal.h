/* The content of a report, built once (report_model.c) and written as HTML (report_html.c) or
 * PDF (report_pdf.c), so the two formats always say the same thing. The front (report.c) picks
 * the writer. */
#ifndef IMGEDA_REPORT_INTERNAL_H
#define IMGEDA_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "imgeda/checks.h"
#include "imgeda/plot.h"
#include "imgeda/report.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"

/* A JPEG thumbnail, or the reason there is none. */
struct ie__report_thumb {
    void *jpeg; /* g_malloc'd by libvips; NULL for a placeholder */
    size_t len;
    int w, h;
    const char *why; /* placeholder text: "corrupt", "file not found", ... */
};

struct ie__report_item {
    size_t rec;   /* index into the manifest's records */
    char *value;  /* what flagged it, e.g. "brightness 12.3"; owned */
    char *detail; /* optional second line (error text, other members); owned, may be NULL */
    struct ie__report_thumb thumb;
};

enum ie__report_issue {
    IE__ISSUE_CORRUPT,
    IE__ISSUE_DARK,
    IE__ISSUE_OVEREXPOSED,
    IE__ISSUE_BLURRY,
    IE__ISSUE_ARTIFACT,
    IE__ISSUE_DUPLICATE,
    IE__ISSUE_N
};

struct ie__report_section {
    const char *title; /* "Dark images" */
    char explain[256]; /* one sentence: what the flag means and how items are ordered */
    size_t total;      /* images (or groups, for duplicates) flagged */
    const char *unit;  /* "image" or "group" */
    struct ie__report_item *items;
    size_t n;
};

/* A label and a value; warn marks a value worth the reader's attention. */
struct ie__report_kv {
    char *key, *value;
    bool warn;
};

struct ie__report_check {
    char *name, *flagged, *share, *threshold;
    bool warn;
};

struct ie__report_gate_check {
    char *name, *threshold, *observed;
    bool passed;
};

struct ie__report {
    const struct ie_manifest *m;
    const struct ie_report_opts *o;
    char generated[64]; /* "2025-06-01 10:00 UTC" */
    struct ie_summary sum;
    struct ie__report_kv *cards; /* the headline numbers */
    size_t ncards;
    struct ie__report_kv *rows; /* the summary table */
    size_t nrows;
    struct ie__report_check *checks;
    size_t nchecks;
    bool has_gate, gate_passed;
    size_t gate_failed;
    struct ie__report_gate_check *gate;
    size_t ngate;
    struct ie__report_section sec[IE__ISSUE_N];
    struct ie_buf plots[IE_PLOT_NTYPES]; /* PNG bytes */
    int plot_w, plot_h;                  /* their pixel size */
};

/* Builds everything (summary, checks, thumbnails, plots). r is overwritten. Returns 0 or a
 * negative code with err set (plot rendering failures). */
int ie__report_build(struct ie__report *r, const struct ie_manifest *m,
                     const struct ie_report_opts *o, struct ie_err *err);
void ie__report_release(struct ie__report *r);

/* The PDF (report_pdf.c), appended to out. */
int ie__report_pdf(const struct ie__report *r, struct ie_buf *out, struct ie_err *err);
/* Appends the single-file HTML report to out (report_html.c). */
void ie__report_html(const struct ie__report *r, struct ie_buf *out);

/* The display name of a record: its filename, else the last path component. */
const char *ie__report_name(const struct ie_record *rec);

#endif
