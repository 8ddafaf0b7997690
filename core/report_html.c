/* The single-file HTML report: inline CSS, images as data URIs, no script. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "imgeda/report.h"
#include "plot_internal.h"
#include "report_internal.h"

/* ---- HTML ---- */

static void esc(struct ie_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            ie_buf_adds(b, "&amp;");
            break;
        case '<':
            ie_buf_adds(b, "&lt;");
            break;
        case '>':
            ie_buf_adds(b, "&gt;");
            break;
        case '"':
            ie_buf_adds(b, "&quot;");
            break;
        case '\'':
            ie_buf_adds(b, "&#39;");
            break;
        default:
            ie_buf_addc(b, *s);
        }
    }
}

static void base64(struct ie_buf *b, const unsigned char *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need = b->len + (n + 2) / 3 * 4 + 1;
    ie_grow((void **)&b->data, &b->cap, need, 1);
    char *o = b->data + b->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[v >> 12 & 63];
        *o++ = tbl[v >> 6 & 63];
        *o++ = tbl[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[v >> 12 & 63];
        *o++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}

static const char html_css[] =
    ":root{--ink:#262626;--muted:#666;--line:#e4e4e4;--soft:#f7f7f7;--accent:#4c72b0;"
    "--bad:#b8383d;--good:#2f7d4f}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;color:var(--ink);background:#fff;font:15px/1.5 'DejaVu Sans',system-ui,"
    "-apple-system,'Segoe UI',Roboto,sans-serif}\n"
    "main{max-width:1100px;margin:0 auto;padding:32px 24px 64px}\n"
    "h1{font-size:28px;margin:0 0 6px}\n"
    "h2{font-size:20px;margin:44px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}\n"
    "nav{font-size:14px;margin:8px 0 0}\n"
    "nav a{color:var(--accent);text-decoration:none;margin-right:14px}\n"
    "h3{font-size:16px;margin:28px 0 4px}\n"
    "p.note{color:var(--muted);margin:0 0 12px;font-size:14px}\n"
    ".meta{color:var(--muted);font-size:14px;margin:2px 0;overflow-wrap:anywhere}\n"
    ".meta b{color:var(--ink);font-weight:600}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px;"
    "margin:24px 0}\n"
    ".card{border:1px solid var(--line);border-radius:8px;padding:10px "
    "14px;background:var(--soft)}\n"
    ".card .k{font-size:12px;color:var(--muted)}\n"
    ".card .v{font-size:19px;font-weight:700;overflow-wrap:anywhere}\n"
    ".card.wide{grid-column:span 2}\n"
    ".card.warn .v{color:var(--bad)}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px}\n"
    "th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);"
    "vertical-align:top;overflow-wrap:anywhere}\n"
    "th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);"
    "font-weight:600;white-space:nowrap;overflow-wrap:normal}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.kv td:first-child{color:var(--muted);width:32%}\n"
    "tr.warn td{color:var(--bad)}\n"
    ".verdict{padding:12px 16px;border-radius:8px;font-weight:700;margin:16px 0;font-size:17px}\n"
    ".pass{background:#e7f3ec;color:var(--good)}\n"
    ".fail{background:#fbe9ea;color:var(--bad)}\n"
    "td.pass,td.fail{background:none;font-weight:700}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(168px,1fr));gap:16px;"
    "margin-top:8px}\n"
    "figure{margin:0;min-width:0}\n"
    ".thumb{height:128px;display:flex;align-items:center;justify-content:center;"
    "background:var(--soft);border:1px solid var(--line);border-radius:6px;overflow:hidden}\n"
    ".thumb img{width:auto;height:auto;max-width:100%;max-height:100%}\n"
    ".thumb span{color:#999;font-size:13px;font-style:italic}\n"
    "figcaption{font-size:12.5px;margin-top:5px;line-height:1.35}\n"
    "figcaption .n{display:block;font-weight:600;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}\n"
    "figcaption .d{display:block;color:var(--muted);overflow-wrap:anywhere}\n"
    ".plot{margin:20px 0 32px}\n"
    ".plot img{display:block;width:100%;height:auto;border:1px solid var(--line);"
    "border-radius:6px}\n"
    "footer{margin-top:48px;color:var(--muted);font-size:12px}\n"
    "@media print{main{max-width:none;padding:0}h2{break-after:avoid}"
    ".plot,figure,tr{break-inside:avoid}}\n";

static void html_card(struct ie_buf *b, const struct ie__report_kv *kv)
{
    /* A long value (the dimension range) gets a double-width card rather than a wrap. */
    ie_buf_addf(b, "<div class=\"card%s%s\"><div class=\"k\">", kv->warn ? " warn" : "",
                strlen(kv->value) > 14 ? " wide" : "");
    esc(b, kv->key);
    ie_buf_adds(b, "</div><div class=\"v\">");
    esc(b, kv->value);
    ie_buf_adds(b, "</div></div>\n");
}

static void html_section(struct ie_buf *b, const struct ie__report *r,
                         const struct ie__report_section *s)
{
    char n1[32], n2[32];
    ie__plot_fmt_count(s->total, n1, sizeof(n1));
    ie_buf_adds(b, "<h3>");
    esc(b, s->title);
    ie_buf_addf(b, " \xc2\xb7 %s %s%s", n1, s->unit, s->total == 1 ? "" : "s");
    if (s->total > s->n && s->n) {
        ie__plot_fmt_count(s->n, n2, sizeof(n2));
        ie_buf_addf(b, " (top %s shown)", n2);
    }
    ie_buf_adds(b, "</h3>\n<p class=\"note\">");
    esc(b, s->explain);
    ie_buf_adds(b, "</p>\n");
    if (s->n == 0) {
        ie_buf_adds(b, "<p class=\"note\"><em>None.</em></p>\n");
        return;
    }
    ie_buf_adds(b, "<div class=\"grid\">\n");
    for (size_t i = 0; i < s->n; i++) {
        const struct ie__report_item *it = &s->items[i];
        const struct ie_record *rec = &r->m->recs[it->rec];
        ie_buf_adds(b, "<figure><div class=\"thumb\">");
        if (it->thumb.jpeg) {
            ie_buf_addf(b, "<img width=\"%d\" height=\"%d\" alt=\"", it->thumb.w, it->thumb.h);
            esc(b, ie__report_name(rec));
            ie_buf_adds(b, "\" src=\"data:image/jpeg;base64,");
            base64(b, it->thumb.jpeg, it->thumb.len);
            ie_buf_adds(b, "\">");
        } else {
            ie_buf_adds(b, "<span>");
            esc(b, it->thumb.why);
            ie_buf_adds(b, "</span>");
        }
        ie_buf_adds(b, "</div><figcaption><span class=\"n\" title=\"");
        esc(b, rec->path);
        ie_buf_adds(b, "\">");
        esc(b, ie__report_name(rec));
        ie_buf_adds(b, "</span><span class=\"d\">");
        esc(b, it->value);
        if (it->detail) {
            ie_buf_adds(b, " \xc2\xb7 ");
            esc(b, it->detail);
        }
        ie_buf_adds(b, "</span></figcaption></figure>\n");
    }
    ie_buf_adds(b, "</div>\n");
}

void ie__report_html(const struct ie__report *r, struct ie_buf *b)
{
    const struct ie_manifest *m = r->m;
    ie_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                   "<title>imgeda report");
    if (m->meta.present && m->meta.input_dir) {
        ie_buf_adds(b, ": ");
        esc(b, m->meta.input_dir);
    }
    ie_buf_addf(b, "</title>\n<style>\n%s</style>\n</head><body><main>\n", html_css);

    ie_buf_adds(b, "<h1>imgeda report</h1>\n");
    if (m->meta.present && m->meta.input_dir) {
        ie_buf_adds(b, "<p class=\"meta\"><b>Dataset</b> ");
        esc(b, m->meta.input_dir);
        ie_buf_adds(b, "</p>\n");
    }
    if (r->o->manifest_path) {
        ie_buf_adds(b, "<p class=\"meta\"><b>Manifest</b> ");
        esc(b, r->o->manifest_path);
        ie_buf_adds(b, "</p>\n");
    }
    ie_buf_adds(b, "<p class=\"meta\"><b>Generated</b> ");
    esc(b, r->generated);
    if (m->meta.present && m->meta.created_at) {
        ie_buf_adds(b, " \xc2\xb7 <b>scanned</b> ");
        esc(b, m->meta.created_at);
    }
    ie_buf_adds(b, "</p>\n");
    if (m->n == 0)
        ie_buf_adds(b, "<div class=\"verdict fail\">This manifest has no records.</div>\n");

    if (r->has_gate) {
        ie_buf_addf(b, "<div class=\"verdict %s\">Gate %s", r->gate_passed ? "pass" : "fail",
                    r->gate_passed ? "passed" : "failed");
        if (!r->gate_passed)
            ie_buf_addf(b, ": %zu of %zu checks failed", r->gate_failed, r->ngate);
        if (r->o->policy_name) {
            ie_buf_adds(b, " \xc2\xb7 policy ");
            esc(b, r->o->policy_name);
        }
        ie_buf_adds(b, "</div>\n");
    }

    ie_buf_addf(b,
                "<nav>%s<a href=\"#summary\">Summary</a><a href=\"#checks\">Checks</a>"
                "<a href=\"#flagged\">Flagged images</a><a href=\"#plots\">Plots</a></nav>\n",
                r->has_gate ? "<a href=\"#gate\">Gate</a>" : "");
    ie_buf_adds(b, "<div class=\"cards\">\n");
    for (size_t i = 0; i < r->ncards; i++)
        html_card(b, &r->cards[i]);
    ie_buf_adds(b, "</div>\n");

    if (r->has_gate) {
        ie_buf_adds(b, "<h2 id=\"gate\">Gate</h2>\n<table><tr><th>Check</th>"
                       "<th style=\"text-align:right\">Threshold</th>"
                       "<th style=\"text-align:right\">Observed</th><th>Result</th></tr>\n");
        for (size_t i = 0; i < r->ngate; i++) {
            ie_buf_adds(b, "<tr><td>");
            esc(b, r->gate[i].name);
            ie_buf_adds(b, "</td><td class=\"num\">");
            esc(b, r->gate[i].threshold);
            ie_buf_adds(b, "</td><td class=\"num\">");
            esc(b, r->gate[i].observed);
            ie_buf_addf(b, "</td><td class=\"%s\">%s</td></tr>\n",
                        r->gate[i].passed ? "pass" : "fail", r->gate[i].passed ? "pass" : "FAIL");
        }
        ie_buf_adds(b, "</table>\n");
    }

    ie_buf_adds(b, "<h2 id=\"summary\">Summary</h2>\n<table class=\"kv\">\n");
    for (size_t i = 0; i < r->nrows; i++) {
        ie_buf_addf(b, "<tr%s><td>", r->rows[i].warn ? " class=\"warn\"" : "");
        esc(b, r->rows[i].key);
        ie_buf_adds(b, "</td><td>");
        esc(b, r->rows[i].value);
        ie_buf_adds(b, "</td></tr>\n");
    }
    ie_buf_adds(b, "</table>\n");

    ie_buf_adds(
        b, "<h2 id=\"checks\">Checks</h2>\n<table><tr><th>Check</th><th style=\"text-align:right\">"
           "Flagged</th><th style=\"text-align:right\">Share</th><th>Threshold</th></tr>\n");
    for (size_t i = 0; i < r->nchecks; i++) {
        ie_buf_addf(b, "<tr%s><td>", r->checks[i].warn ? " class=\"warn\"" : "");
        esc(b, r->checks[i].name);
        ie_buf_adds(b, "</td><td class=\"num\">");
        esc(b, r->checks[i].flagged);
        ie_buf_adds(b, "</td><td class=\"num\">");
        esc(b, r->checks[i].share);
        ie_buf_adds(b, "</td><td>");
        esc(b, r->checks[i].threshold);
        ie_buf_adds(b, "</td></tr>\n");
    }
    ie_buf_adds(b, "</table>\n");

    ie_buf_adds(b, "<h2 id=\"flagged\">Flagged images</h2>\n");
    for (int s = 0; s < IE__ISSUE_N; s++)
        html_section(b, r, &r->sec[s]);

    ie_buf_adds(b, "<h2 id=\"plots\">Plots</h2>\n");
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        ie_buf_addf(b, "<div class=\"plot\" id=\"plot-%s\"><img width=\"%d\" height=\"%d\" alt=\"",
                    ie_plot_type_name((enum ie_plot_type)t), r->plot_w, r->plot_h);
        esc(b, ie_plot_type_title((enum ie_plot_type)t));
        ie_buf_adds(b, " plot\" src=\"data:image/png;base64,");
        base64(b, (const unsigned char *)r->plots[t].data, r->plots[t].len);
        ie_buf_adds(b, "\"></div>\n");
    }
    ie_buf_addf(b, "<footer>Generated by imgeda (analyzer %s) on ", IE_ANALYZER_VERSION);
    esc(b, r->generated);
    ie_buf_adds(b, ".</footer>\n</main></body></html>\n");
}
