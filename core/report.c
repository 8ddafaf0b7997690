/* Reports (see imgeda/report.h): options, and the front that builds the content model
 * (report_model.c) and hands it to the HTML (report_html.c) or PDF (report_pdf.c) writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imgeda/report.h"
#include "report_internal.h"

int ie_report_format_from_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return -1;
    if (strcasecmp(dot, ".pdf") == 0)
        return IE_REPORT_PDF;
    if (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0)
        return IE_REPORT_HTML;
    return -1;
}

void ie_report_opts_init(struct ie_report_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->format = IE_REPORT_HTML;
    o->top_n = 8;
    o->thumb_px = 160;
    o->thumbnails = true;
    o->plot_dpi = 150;
}

/* ---- public ---- */

int ie_report_render(const struct ie_manifest *m, const struct ie_report_opts *o,
                     struct ie_buf *out, struct ie_err *err)
{
    struct ie__report r;
    size_t old_len = out->len;
    int rc;

    if (o->format != IE_REPORT_HTML && o->format != IE_REPORT_PDF)
        return ie_err_set(err, IE_EINVAL, "unknown report format %d", (int)o->format);
    if (o->top_n > IE_REPORT_MAX_TOP)
        return ie_err_set(err, IE_EINVAL, "at most %d flagged images per issue, not %zu",
                          IE_REPORT_MAX_TOP, o->top_n);
    if (o->thumb_px < 32 || o->thumb_px > 512)
        return ie_err_set(err, IE_EINVAL, "thumbnail size %d is outside 32..512", o->thumb_px);
    rc = ie__report_build(&r, m, o, err);
    if (rc == 0) {
        if (o->format == IE_REPORT_HTML)
            ie__report_html(&r, out);
        else
            rc = ie__report_pdf(&r, out, err);
    }
    ie__report_release(&r);
    if (rc < 0 && out->data) {
        out->len = old_len;
        out->data[old_len] = '\0';
    }
    return rc;
}

int ie_report_write(const struct ie_manifest *m, const struct ie_report_opts *o, const char *path,
                    struct ie_err *err)
{
    struct ie_buf b;
    int rc;
    ie_buf_init(&b);
    rc = ie_report_render(m, o, &b, err);
    if (rc == 0)
        rc = ie_write_file_atomic(path, b.data, b.len, err);
    ie_buf_release(&b);
    return rc;
}
