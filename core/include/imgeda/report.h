/* Reports of a manifest (SPEC §5): a paginated PDF (libharu) and a single-file HTML page (inline
 * CSS, images as data: URIs) with the same content: dataset and totals, the §4.2 summary, the
 * §4.3 checks, the gate verdict when one is given, the top flagged images of each issue with
 * thumbnails decoded from the image files, and every plot.
 * THREADS: a report uses only its arguments; thumbnails use libvips, so ie_init() must have run
 * and a report built on a foreign thread should end with ie_thread_done(). */
#ifndef IMGEDA_REPORT_H
#define IMGEDA_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "imgeda/confine.h"
#include "imgeda/err.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

struct cJSON;

enum ie_report_format { IE_REPORT_HTML, IE_REPORT_PDF };

/* The format a file name asks for: ".pdf" -> PDF, ".html"/".htm" -> HTML (case-insensitive).
 * Returns the format or -1. */
int ie_report_format_from_path(const char *path);

#define IE_REPORT_MAX_TOP 100

struct ie_report_opts {
    enum ie_report_format format; /* default HTML */
    const char *manifest_path;    /* shown in the report; NULL leaves it out */
    size_t top_n;                 /* flagged images shown per issue; default 8, at most
                                   * IE_REPORT_MAX_TOP */
    int thumb_px;                 /* thumbnail long side in pixels; default 160 (32..512) */
    bool thumbnails;              /* decode the image files for thumbnails (default true);
                                   * false, or a file that cannot be read, gives a placeholder */
    double plot_dpi;              /* resolution of the embedded plots; default 150 */
    /* Thumbnails read only files whose real path lies inside (the daemon's scan.allowed_roots);
     * others get the placeholder "outside the allowed roots". NULL (default): any file. */
    const struct ie_confine *confine;
    /* A gate verdict: SPEC §4.5's result object {passed, total_images, checks: [{name,
     * threshold, observed, passed, sample_paths}]}, borrowed; NULL for none. */
    const struct cJSON *gate;
    const char *policy_name; /* shown with the verdict, e.g. the policy file; may be NULL */
};

/* Fills the defaults above. */
void ie_report_opts_init(struct ie_report_opts *o);

/* Writes the report of m into out (appended): PDF or HTML bytes as o->format says. Plots and
 * thresholds follow the manifest header's settings. A manifest without records gives a short
 * report that says so. Returns 0; IE_EINVAL for bad options; IE_EIO when the PDF library fails
 * or its font (DejaVu Sans, found with fontconfig) cannot be loaded. out keeps its old length on
 * failure. */
int ie_report_render(const struct ie_manifest *m, const struct ie_report_opts *o,
                     struct ie_buf *out, struct ie_err *err);

/* ie_report_render into path (written through path.tmp + rename). */
int ie_report_write(const struct ie_manifest *m, const struct ie_report_opts *o, const char *path,
                    struct ie_err *err);

#endif
