/* The PDF report, written with libharu on A4 pages: title page with totals (and the gate
 * verdict), summary, checks and gate tables, flagged images with thumbnails, every plot, page
 * numbers and bookmarks.
 * DESIGN: text is set in DejaVu Sans (found with fontconfig, embedded as a TrueType subset with
 * libharu's UTF-8 encoder) so file names in any script DejaVu covers print as they are. A small
 * top-down layout cursor starts a new page whenever the next block would not fit; every string
 * is measured and wrapped or cut with an ellipsis to its column, so nothing runs off a page.
 * libharu reports errors through a callback: the first one is kept and turned into our error at
 * the end (a thumbnail it cannot embed only becomes a placeholder). */
#include <fontconfig/fontconfig.h>
#include <hpdf.h>
#include <hpdf_objects.h>
#include <hpdf_streams.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plot_internal.h"
#include "report_internal.h"

#define PAGE_W    595.276
#define PAGE_H    841.89
#define MARGIN_X  50.0
#define MARGIN_T  50.0
#define MARGIN_B  60.0 /* room for the footer */
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)

#define DEJAVU_DIR "/usr/share/fonts/truetype/dejavu/"

struct rgb {
    double r, g, b;
};
static const struct rgb INK = {0.15, 0.15, 0.15}, MUTED = {0.42, 0.42, 0.42},
                        FAINT = {0.6, 0.6, 0.6}, BAD = {0.72, 0.22, 0.24},
                        GOOD = {0.18, 0.49, 0.31}, LINE = {0.86, 0.86, 0.86},
                        SOFT = {0.965, 0.965, 0.965};

struct pdf {
    HPDF_Doc doc;
    HPDF_Font font, bold;
    HPDF_Page page;
    HPDF_Page *pages;
    size_t npages, cap;
    double y; /* layout cursor, points from the top of the page */
    HPDF_STATUS error, detail;
    HPDF_Outline root;
    /* Sections for the contents list on the title page, drawn once their pages are known. */
    struct {
        const char *title;
        size_t page;
    } toc[8];
    size_t ntoc;
    double toc_y;
};

static void on_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user_data)
{
    struct pdf *p = user_data;
    if (!p->error) {
        p->error = error_no;
        p->detail = detail_no;
    }
}

/* A TrueType DejaVu face: fontconfig's match when it is a .ttf file, else the Debian path. */
static char *find_font(const char *pattern, const char *fallback)
{
    char *found = NULL;
    FcPattern *pat = FcNameParse((const FcChar8 *)pattern), *match = NULL;
    if (pat) {
        FcResult res;
        FcConfigSubstitute(NULL, pat, FcMatchPattern);
        FcDefaultSubstitute(pat);
        match = FcFontMatch(NULL, pat, &res);
        FcChar8 *file = NULL;
        if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) {
            size_t l = strlen((const char *)file);
            if (l > 4 && strcasecmp((const char *)file + l - 4, ".ttf") == 0 &&
                strstr((const char *)file, "DejaVu"))
                found = ie_xstrdup((const char *)file);
        }
    }
    if (match)
        FcPatternDestroy(match);
    if (pat)
        FcPatternDestroy(pat);
    if (!found && access(fallback, R_OK) == 0)
        found = ie_xstrdup(fallback);
    return found;
}

/* libharu 2.3.0 gives each UTF-8 font its encoding CMap (a "cidrange") as /ToUnicode, where
 * only bfchar/bfrange mappings are valid: poppler warns on every page and strict readers cannot
 * copy or search the text. Our codes are UCS-2 code units (the font maps them to glyphs through
 * its CIDToGIDMap), so the right ToUnicode is the identity: rewrite the stream's content with
 * one. This reaches into libharu's object structs (installed public headers, stable in 2.3.x);
 * the report tests check pdftotext's output, so a change there cannot go unnoticed. */
static void fix_to_unicode(HPDF_Font font)
{
    HPDF_Dict cmap = HPDF_Dict_GetItem((HPDF_Dict)font, "ToUnicode", HPDF_OCLASS_DICT);
    char line[64];
    if (!cmap || !cmap->stream)
        return;
    HPDF_MemStream_FreeData(cmap->stream);
    HPDF_Stream_WriteStr(cmap->stream,
                         "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                         "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> "
                         "def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                         "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
    /* One range per high byte (a range may only vary its last byte), surrogates left out, at
     * most 100 ranges per block. */
    int hi[256], n = 0;
    for (int h = 0; h < 256; h++)
        if (h < 0xD8 || h > 0xDF)
            hi[n++] = h;
    for (int i = 0; i < n; i += 100) {
        int k = n - i < 100 ? n - i : 100;
        snprintf(line, sizeof(line), "%d beginbfrange\n", k);
        HPDF_Stream_WriteStr(cmap->stream, line);
        for (int j = i; j < i + k; j++) {
            snprintf(line, sizeof(line), "<%02X00> <%02XFF> <%02X00>\n", hi[j], hi[j], hi[j]);
            HPDF_Stream_WriteStr(cmap->stream, line);
        }
        HPDF_Stream_WriteStr(cmap->stream, "endbfrange\n");
    }
    HPDF_Stream_WriteStr(cmap->stream, "endcmap\nCMapName currentdict /CMap defineresource pop\n"
                                       "end\nend\n");
}

/* ---- text ---- */

static double text_w(HPDF_Font f, double size, const char *s)
{
    HPDF_TextWidth tw = HPDF_Font_TextWidth(f, (const HPDF_BYTE *)s, (HPDF_UINT)strlen(s));
    return tw.width * size / 1000.0;
}

static double line_h(double size)
{
    return size * 1.3;
}

/* Draws s with its top at y (from the top of the page). */
static void put(struct pdf *p, HPDF_Font f, double size, double x, double y, struct rgb c,
                const char *s)
{
    double asc = HPDF_Font_GetAscent(f) * size / 1000.0;
    HPDF_Page_SetRGBFill(p->page, (HPDF_REAL)c.r, (HPDF_REAL)c.g, (HPDF_REAL)c.b);
    HPDF_Page_BeginText(p->page);
    HPDF_Page_SetFontAndSize(p->page, f, (HPDF_REAL)size);
    HPDF_Page_TextOut(p->page, (HPDF_REAL)x, (HPDF_REAL)(PAGE_H - y - asc), s);
    HPDF_Page_EndText(p->page);
}

struct fit_in_pdf {
    HPDF_Font f;
    double size, maxw;
};

static bool fits_in_pdf(const char *text, void *ud)
{
    const struct fit_in_pdf *p = ud;
    return text_w(p->f, p->size, text) <= p->maxw;
}

/* s cut at a UTF-8 boundary with "…" to fit maxw; into out (size n). */
static void fit(HPDF_Font f, double size, const char *s, double maxw, char *out, size_t n)
{
    struct fit_in_pdf p = {f, size, maxw};
    ie_utf8_fit(s, out, n, fits_in_pdf, &p);
}

#define MAX_LINES 24

/* Splits s into at most max lines no wider than maxw, breaking after spaces, slashes, commas,
 * underscores or hyphens when possible and anywhere (at a character boundary) otherwise; the last
 * line is cut with an ellipsis if text remains. Returns the number of lines (malloc'd). */
static size_t wrap(HPDF_Font f, double size, const char *s, double maxw, char **lines, size_t max)
{
    size_t nl = 0, len = strlen(s), start = 0;
    char *tmp = ie_xmalloc(len + 4);
    while (start < len && nl < max) {
        size_t brk = 0, i = start, end = len;
        while (i < len) {
            size_t next = i + 1;
            while (next < len && ((unsigned char)s[next] & 0xC0) == 0x80)
                next++;
            memcpy(tmp, s + start, next - start);
            tmp[next - start] = '\0';
            if (text_w(f, size, tmp) > maxw) {
                end = brk > start ? brk : (i > start ? i : next);
                break;
            }
            if (strchr(" /,_-", s[i]))
                brk = next;
            i = next;
        }
        if (nl == max - 1 && end < len) {
            char buf[1024];
            fit(f, size, s + start, maxw, buf, sizeof(buf));
            lines[nl++] = ie_xstrdup(buf);
            break;
        }
        size_t e = end;
        while (e > start && s[e - 1] == ' ')
            e--;
        lines[nl++] = ie_xstrndup(s + start, e - start);
        start = end;
        while (start < len && s[start] == ' ')
            start++;
    }
    free(tmp);
    return nl;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
}

/* ---- pages ---- */

static void new_page(struct pdf *p)
{
    p->page = HPDF_AddPage(p->doc);
    HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    ie_grow((void **)&p->pages, &p->cap, p->npages + 1, sizeof(*p->pages));
    p->pages[p->npages++] = p->page;
    p->y = MARGIN_T;
}

/* Starts a new page unless h more points fit on this one. */
static void need(struct pdf *p, double h)
{
    if (p->y + h > PAGE_H - MARGIN_B)
        new_page(p);
}

static void fill_rect(struct pdf *p, double x, double y, double w, double h, struct rgb c)
{
    HPDF_Page_SetRGBFill(p->page, (HPDF_REAL)c.r, (HPDF_REAL)c.g, (HPDF_REAL)c.b);
    HPDF_Page_Rectangle(p->page, (HPDF_REAL)x, (HPDF_REAL)(PAGE_H - y - h), (HPDF_REAL)w,
                        (HPDF_REAL)h);
    HPDF_Page_Fill(p->page);
}

static void stroke_rect(struct pdf *p, double x, double y, double w, double h, struct rgb c)
{
    HPDF_Page_SetRGBStroke(p->page, (HPDF_REAL)c.r, (HPDF_REAL)c.g, (HPDF_REAL)c.b);
    HPDF_Page_SetLineWidth(p->page, 0.6f);
    HPDF_Page_Rectangle(p->page, (HPDF_REAL)x, (HPDF_REAL)(PAGE_H - y - h), (HPDF_REAL)w,
                        (HPDF_REAL)h);
    HPDF_Page_Stroke(p->page);
}

static void hline(struct pdf *p, double x0, double x1, double y, struct rgb c)
{
    HPDF_Page_SetRGBStroke(p->page, (HPDF_REAL)c.r, (HPDF_REAL)c.g, (HPDF_REAL)c.b);
    HPDF_Page_SetLineWidth(p->page, 0.6f);
    HPDF_Page_MoveTo(p->page, (HPDF_REAL)x0, (HPDF_REAL)(PAGE_H - y));
    HPDF_Page_LineTo(p->page, (HPDF_REAL)x1, (HPDF_REAL)(PAGE_H - y));
    HPDF_Page_Stroke(p->page);
}

/* A bookmark to the current position. */
static void bookmark(struct pdf *p, const char *title)
{
    HPDF_Outline o = HPDF_CreateOutline(p->doc, p->root, title, NULL);
    HPDF_Destination d = HPDF_Page_CreateDestination(p->page);
    if (o && d) {
        HPDF_Destination_SetXYZ(d, 0, (HPDF_REAL)(PAGE_H - p->y + 10), 1);
        HPDF_Outline_SetDestination(o, d);
    }
}

/* A section heading; keep_with: points of content that must follow on the same page. */
static void heading(struct pdf *p, const char *title, double keep_with, bool mark)
{
    need(p, 34 + keep_with);
    if (p->y > MARGIN_T + 1)
        p->y += 10;
    put(p, p->bold, 17, MARGIN_X, p->y, INK, title);
    if (mark) {
        bookmark(p, title);
        if (p->ntoc < IE_ARRAY_LEN(p->toc)) {
            p->toc[p->ntoc].title = title;
            p->toc[p->ntoc++].page = p->npages;
        }
    }
    p->y += line_h(17) + 2;
    hline(p, MARGIN_X, PAGE_W - MARGIN_X, p->y, LINE);
    p->y += 8;
}

static void subheading(struct pdf *p, const char *title, double keep_with)
{
    need(p, 24 + keep_with);
    p->y += 6;
    char buf[512];
    fit(p->bold, 12, title, CONTENT_W, buf, sizeof(buf));
    put(p, p->bold, 12, MARGIN_X, p->y, INK, buf);
    p->y += line_h(12) + 1;
}

/* A paragraph of wrapped text. */
static void para(struct pdf *p, HPDF_Font f, double size, struct rgb c, const char *s, double x,
                 double w)
{
    char *lines[MAX_LINES];
    size_t n = wrap(f, size, s, w, lines, MAX_LINES);
    for (size_t i = 0; i < n; i++) {
        need(p, line_h(size));
        put(p, f, size, x, p->y, c, lines[i]);
        p->y += line_h(size);
    }
    free_lines(lines, n);
}

/* ---- tables ---- */

struct col {
    double w;
    bool right;
    bool bold;
};

/* One table row: each cell wrapped to its column; the row's height is its tallest cell. */
static void table_row(struct pdf *p, const struct col *cols, size_t ncol, const char **cells,
                      struct rgb c, bool shade, bool header)
{
    const double size = header ? 8 : 9, pad = 4;
    char *lines[8][MAX_LINES];
    size_t nl[8], maxl = 1;
    for (size_t k = 0; k < ncol; k++) {
        HPDF_Font f = header || cols[k].bold ? p->bold : p->font;
        nl[k] = wrap(f, size, cells[k] ? cells[k] : "", cols[k].w - 2 * pad, lines[k], 6);
        maxl = nl[k] > maxl ? nl[k] : maxl;
    }
    double h = (double)maxl * line_h(size) + 2 * pad;
    need(p, h);
    if (shade)
        fill_rect(p, MARGIN_X, p->y, CONTENT_W, h, SOFT);
    double x = MARGIN_X;
    for (size_t k = 0; k < ncol; k++) {
        HPDF_Font f = header || cols[k].bold ? p->bold : p->font;
        for (size_t i = 0; i < nl[k]; i++) {
            double tx = x + pad;
            if (cols[k].right)
                tx = x + cols[k].w - pad - text_w(f, size, lines[k][i]);
            put(p, f, size, tx, p->y + pad + (double)i * line_h(size), header ? MUTED : c,
                lines[k][i]);
        }
        free_lines(lines[k], nl[k]);
        x += cols[k].w;
    }
    p->y += h;
    if (header)
        hline(p, MARGIN_X, PAGE_W - MARGIN_X, p->y, LINE);
}

/* ---- parts ---- */

static void title_page(struct pdf *p, const struct ie__report *r)
{
    const struct ie_manifest *m = r->m;
    char buf[256];
    new_page(p);
    p->y = 96;
    put(p, p->bold, 30, MARGIN_X, p->y, INK, "imgeda report");
    bookmark(p, "Overview");
    p->y += line_h(30);
    put(p, p->font, 12, MARGIN_X, p->y, MUTED, "Image dataset quality report");
    p->y += line_h(12) + 22;

    struct meta_line {
        const char *label, *value;
    } meta[4];
    size_t nm = 0;
    if (m->meta.present && m->meta.input_dir)
        meta[nm++] = (struct meta_line){"Dataset", m->meta.input_dir};
    if (r->o->manifest_path)
        meta[nm++] = (struct meta_line){"Manifest", r->o->manifest_path};
    meta[nm++] = (struct meta_line){"Generated", r->generated};
    if (m->meta.present && m->meta.created_at)
        meta[nm++] = (struct meta_line){"Scanned", m->meta.created_at};
    for (size_t i = 0; i < nm; i++) {
        put(p, p->bold, 10, MARGIN_X, p->y, INK, meta[i].label);
        para(p, p->font, 10, INK, meta[i].value, MARGIN_X + 80, CONTENT_W - 80);
        p->y += 3;
    }
    p->y += 14;

    if (m->n == 0) {
        fill_rect(p, MARGIN_X, p->y, CONTENT_W, 30, (struct rgb){0.98, 0.91, 0.92});
        put(p, p->bold, 12, MARGIN_X + 12, p->y + 8, BAD, "This manifest has no records.");
        p->y += 44;
    }
    if (r->has_gate) {
        struct rgb bg =
            r->gate_passed ? (struct rgb){0.91, 0.95, 0.92} : (struct rgb){0.98, 0.91, 0.92};
        if (r->gate_passed)
            snprintf(buf, sizeof(buf), "Gate passed: all %zu checks", r->ngate);
        else
            snprintf(buf, sizeof(buf), "Gate failed: %zu of %zu checks", r->gate_failed, r->ngate);
        fill_rect(p, MARGIN_X, p->y, CONTENT_W, 44, bg);
        put(p, p->bold, 14, MARGIN_X + 12, p->y + 7, r->gate_passed ? GOOD : BAD, buf);
        if (r->o->policy_name) {
            char pol[300], cut[300];
            snprintf(pol, sizeof(pol), "policy %s", r->o->policy_name);
            fit(p->font, 9, pol, CONTENT_W - 24, cut, sizeof(cut));
            put(p, p->font, 9, MARGIN_X + 12, p->y + 27, MUTED, cut);
        }
        p->y += 58;
    }

    /* The headline numbers, three cards a row. */
    const double gap = 10, cw = (CONTENT_W - 2 * gap) / 3, ch = 52;
    for (size_t i = 0; i < r->ncards; i++) {
        double x = MARGIN_X + (double)(i % 3) * (cw + gap);
        if (i % 3 == 0 && i)
            p->y += ch + gap;
        fill_rect(p, x, p->y, cw, ch, SOFT);
        stroke_rect(p, x, p->y, cw, ch, LINE);
        fit(p->font, 8.5, r->cards[i].key, cw - 20, buf, sizeof(buf));
        put(p, p->font, 8.5, x + 10, p->y + 9, MUTED, buf);
        /* A long value (e.g. the dimension range) is set smaller before it is ever cut. */
        double vs = 15;
        while (vs > 10 && text_w(p->bold, vs, r->cards[i].value) > cw - 20)
            vs -= 0.5;
        fit(p->bold, vs, r->cards[i].value, cw - 20, buf, sizeof(buf));
        put(p, p->bold, vs, x + 10, p->y + 24 + (15 - vs) / 2, r->cards[i].warn ? BAD : INK, buf);
    }
    p->y += ch + 24;
    para(p, p->font, 9, MUTED,
         "Counts use the thresholds recorded in the manifest's scan settings (imgeda's defaults "
         "where a manifest has none). Exact duplicates count the images beyond the first of each "
         "group of identical perceptual hashes, as imgeda does.",
         MARGIN_X, CONTENT_W);
    p->toc_y = p->y + 24;
}

/* The contents list on the title page (after every page exists). */
static void contents(struct pdf *p)
{
    char num[32];
    if (!p->npages || !p->ntoc)
        return;
    p->page = p->pages[0];
    double y = p->toc_y;
    put(p, p->bold, 12, MARGIN_X, y, INK, "Contents");
    y += line_h(12) + 4;
    for (size_t i = 0; i < p->ntoc; i++) {
        snprintf(num, sizeof(num), "%zu", p->toc[i].page);
        put(p, p->font, 10, MARGIN_X, y, INK, p->toc[i].title);
        put(p, p->font, 10, MARGIN_X + 240 - text_w(p->font, 10, num), y, MUTED, num);
        y += line_h(10) + 2;
        hline(p, MARGIN_X, MARGIN_X + 240, y - 2, LINE);
    }
}

static void tables(struct pdf *p, const struct ie__report *r)
{
    new_page(p);
    if (r->has_gate) {
        char buf[300];
        heading(p, "Gate", 60, true);
        snprintf(buf, sizeof(buf), "%s%s%s", r->gate_passed ? "Passed." : "Failed.",
                 r->o->policy_name ? " Policy: " : "", r->o->policy_name ? r->o->policy_name : "");
        para(p, p->bold, 10, r->gate_passed ? GOOD : BAD, buf, MARGIN_X, CONTENT_W);
        p->y += 4;
        const struct col cols[4] = {{CONTENT_W - 290, false, true},
                                    {110, true, false},
                                    {110, true, false},
                                    {70, false, true}};
        const char *head[4] = {"Check", "Threshold", "Observed", "Result"};
        table_row(p, cols, 4, head, MUTED, false, true);
        for (size_t i = 0; i < r->ngate; i++) {
            const char *cells[4] = {r->gate[i].name, r->gate[i].threshold, r->gate[i].observed,
                                    r->gate[i].passed ? "pass" : "FAIL"};
            table_row(p, cols, 4, cells, r->gate[i].passed ? INK : BAD, i % 2 == 1, false);
        }
    }
    heading(p, "Summary", 40, true);
    {
        const struct col cols[2] = {{175, false, false}, {CONTENT_W - 175, false, false}};
        for (size_t i = 0; i < r->nrows; i++) {
            const char *cells[2] = {r->rows[i].key, r->rows[i].value};
            table_row(p, cols, 2, cells, r->rows[i].warn ? BAD : INK, i % 2 == 0, false);
        }
    }
    heading(p, "Checks", 60, true);
    {
        const struct col cols[4] = {{120, false, true},
                                    {62, true, false},
                                    {52, true, false},
                                    {CONTENT_W - 234, false, false}};
        const char *head[4] = {"Check", "Flagged", "Share", "Threshold"};
        table_row(p, cols, 4, head, MUTED, false, true);
        for (size_t i = 0; i < r->nchecks; i++) {
            const char *cells[4] = {r->checks[i].name, r->checks[i].flagged, r->checks[i].share,
                                    r->checks[i].threshold};
            table_row(p, cols, 4, cells, r->checks[i].warn ? BAD : INK, i % 2 == 1, false);
        }
    }
}

/* Draws image (or placeholder text) fitted and centred in the box. */
static void draw_thumb(struct pdf *p, const struct ie__report_thumb *t, double x, double y,
                       double w, double h)
{
    fill_rect(p, x, y, w, h, SOFT);
    HPDF_Image img = NULL;
    const char *why = t->why ? t->why : "no preview";
    if (t->jpeg) {
        img = HPDF_LoadJpegImageFromMem(p->doc, t->jpeg, (HPDF_UINT)t->len);
        if (!img) {
            /* A thumbnail libharu cannot take is shown as a placeholder, not a failure. */
            HPDF_ResetError(p->doc);
            p->error = 0;
            why = "cannot embed";
        }
    }
    if (img) {
        double iw = HPDF_Image_GetWidth(img), ih = HPDF_Image_GetHeight(img);
        double s = fmin(w / iw, h / ih);
        double dw = iw * s, dh = ih * s;
        HPDF_Page_DrawImage(p->page, img, (HPDF_REAL)(x + (w - dw) / 2),
                            (HPDF_REAL)(PAGE_H - y - h + (h - dh) / 2), (HPDF_REAL)dw,
                            (HPDF_REAL)dh);
    } else {
        double tw = text_w(p->font, 8, why);
        put(p, p->font, 8, x + (w - tw) / 2, y + h / 2 - 5, FAINT, why);
    }
    stroke_rect(p, x, y, w, h, LINE);
}

static void flagged(struct pdf *p, const struct ie__report *r)
{
    const size_t ncol = 4;
    const double gap = 12, cw = (CONTENT_W - (double)(ncol - 1) * gap) / (double)ncol, th = 88;
    char buf[512], n1[32], n2[32];
    new_page(p);
    heading(p, "Flagged images", 60, true);
    for (int si = 0; si < IE__ISSUE_N; si++) {
        const struct ie__report_section *s = &r->sec[si];
        ie__plot_fmt_count(s->total, n1, sizeof(n1));
        snprintf(buf, sizeof(buf), "%s \xc2\xb7 %s %s%s", s->title, n1, s->unit,
                 s->total == 1 ? "" : "s");
        if (s->total > s->n && s->n) {
            ie__plot_fmt_count(s->n, n2, sizeof(n2));
            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " (top %s shown)", n2);
        }
        /* Keep the heading with its note and the first row of thumbnails. */
        subheading(p, buf, s->n ? th + 96 : 14);
        para(p, p->font, 8.5, MUTED, s->explain, MARGIN_X, CONTENT_W);
        p->y += 4;
        if (s->n == 0) {
            put(p, p->font, 9, MARGIN_X, p->y, FAINT, "None.");
            p->y += line_h(9) + 4;
            continue;
        }
        for (size_t row = 0; row * ncol < s->n; row++) {
            /* Captions: name, value, and up to three lines of detail; the row is as tall as
             * its tallest cell. */
            char *det[4][MAX_LINES];
            size_t ndet[4] = {0}, maxd = 0;
            for (size_t c = 0; c < ncol && row * ncol + c < s->n; c++) {
                const struct ie__report_item *it = &s->items[row * ncol + c];
                if (it->detail)
                    ndet[c] = wrap(p->font, 7, it->detail, cw, det[c], 3);
                maxd = ndet[c] > maxd ? ndet[c] : maxd;
            }
            double h = th + 4 + line_h(7.5) + line_h(7) * (1 + (double)maxd) + 10;
            need(p, h);
            for (size_t c = 0; c < ncol && row * ncol + c < s->n; c++) {
                const struct ie__report_item *it = &s->items[row * ncol + c];
                const struct ie_record *rec = &r->m->recs[it->rec];
                double x = MARGIN_X + (double)c * (cw + gap), y = p->y;
                draw_thumb(p, &it->thumb, x, y, cw, th);
                y += th + 4;
                fit(p->bold, 7.5, ie__report_name(rec), cw, buf, sizeof(buf));
                put(p, p->bold, 7.5, x, y, INK, buf);
                y += line_h(7.5);
                fit(p->font, 7, it->value, cw, buf, sizeof(buf));
                put(p, p->font, 7, x, y, MUTED, buf);
                y += line_h(7);
                for (size_t k = 0; k < ndet[c]; k++) {
                    put(p, p->font, 7, x, y, MUTED, det[c][k]);
                    y += line_h(7);
                }
                free_lines(det[c], ndet[c]);
            }
            p->y += h;
        }
    }
}

static void plots(struct pdf *p, const struct ie__report *r)
{
    double w = CONTENT_W, h = w * r->plot_h / (double)r->plot_w;
    new_page(p);
    heading(p, "Plots", h + 10, true);
    for (int t = 0; t < IE_PLOT_NTYPES; t++) {
        /* Each plot carries its own title; no heading is repeated above it. */
        need(p, h + 10);
        HPDF_Image img = HPDF_LoadPngImageFromMem(p->doc, (const HPDF_BYTE *)r->plots[t].data,
                                                  (HPDF_UINT)r->plots[t].len);
        if (img)
            HPDF_Page_DrawImage(p->page, img, (HPDF_REAL)MARGIN_X, (HPDF_REAL)(PAGE_H - p->y - h),
                                (HPDF_REAL)w, (HPDF_REAL)h);
        p->y += h + 14;
    }
}

/* "imgeda report · <dataset>" and "Page i of n" under every page, once the count is known. */
static void footers(struct pdf *p, const struct ie__report *r)
{
    char left[512], cut[512], right[64];
    snprintf(left, sizeof(left), "imgeda report%s%s",
             r->m->meta.present && r->m->meta.input_dir ? " \xc2\xb7 " : "",
             r->m->meta.present && r->m->meta.input_dir ? r->m->meta.input_dir : "");
    for (size_t i = 0; i < p->npages; i++) {
        p->page = p->pages[i];
        snprintf(right, sizeof(right), "Page %zu of %zu", i + 1, p->npages);
        double rw = text_w(p->font, 8, right);
        fit(p->font, 8, left, CONTENT_W - rw - 24, cut, sizeof(cut));
        hline(p, MARGIN_X, PAGE_W - MARGIN_X, PAGE_H - 40, LINE);
        put(p, p->font, 8, MARGIN_X, PAGE_H - 34, FAINT, cut);
        put(p, p->font, 8, PAGE_W - MARGIN_X - rw, PAGE_H - 34, FAINT, right);
    }
}

int ie__report_pdf(const struct ie__report *r, struct ie_buf *out, struct ie_err *err)
{
    struct pdf p;
    char *regular = NULL, *boldf = NULL;
    int rc = 0;

    memset(&p, 0, sizeof(p));
    regular = find_font("DejaVu Sans:style=Book", DEJAVU_DIR "DejaVuSans.ttf");
    boldf = find_font("DejaVu Sans:style=Bold", DEJAVU_DIR "DejaVuSans-Bold.ttf");
    if (!regular || !boldf) {
        rc = ie_err_set(err, IE_EIO,
                        "the PDF report needs the DejaVu Sans TrueType fonts "
                        "(Debian: fonts-dejavu-core); fontconfig found none");
        goto out;
    }
    p.doc = HPDF_New(on_hpdf_error, &p);
    if (!p.doc) {
        rc = ie_err_set(err, IE_EIO, "cannot start the PDF library");
        goto out;
    }
    HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(p.doc);
    HPDF_SetCurrentEncoder(p.doc, "UTF-8");
    const char *fr = HPDF_LoadTTFontFromFile(p.doc, regular, HPDF_TRUE);
    const char *fb = HPDF_LoadTTFontFromFile(p.doc, boldf, HPDF_TRUE);
    p.font = fr ? HPDF_GetFont(p.doc, fr, "UTF-8") : NULL;
    p.bold = fb ? HPDF_GetFont(p.doc, fb, "UTF-8") : NULL;
    if (!p.font || !p.bold) {
        rc = ie_err_set(err, IE_EIO, "cannot load the font %s into the PDF (libharu error 0x%04X)",
                        p.font ? boldf : regular, (unsigned)p.error);
        goto out;
    }
    fix_to_unicode(p.font);
    fix_to_unicode(p.bold);
    HPDF_SetInfoAttr(p.doc, HPDF_INFO_CREATOR, "imgeda");
    HPDF_SetInfoAttr(p.doc, HPDF_INFO_TITLE, "imgeda report");
    HPDF_SetPageMode(p.doc, HPDF_PAGE_MODE_USE_OUTLINE);
    p.root = HPDF_CreateOutline(p.doc, NULL, "imgeda report", NULL);
    if (p.root)
        HPDF_Outline_SetOpened(p.root, HPDF_TRUE);

    title_page(&p, r);
    tables(&p, r);
    flagged(&p, r);
    plots(&p, r);
    contents(&p);
    footers(&p, r);
    if (p.error) {
        rc = ie_err_set(err, IE_EIO, "writing the PDF failed (libharu error 0x%04X, detail %u)",
                        (unsigned)p.error, (unsigned)p.detail);
        goto out;
    }
    if (HPDF_SaveToStream(p.doc) != HPDF_OK) {
        rc = ie_err_set(err, IE_EIO, "writing the PDF failed (libharu error 0x%04X)",
                        (unsigned)p.error);
        goto out;
    }
    HPDF_UINT32 size = HPDF_GetStreamSize(p.doc);
    ie_grow((void **)&out->data, &out->cap, out->len + size + 1, 1);
    HPDF_UINT32 got = size;
    if (HPDF_GetContents(p.doc, (HPDF_BYTE *)out->data + out->len, &got) != HPDF_OK ||
        got != size) {
        rc = ie_err_set(err, IE_EIO, "reading the PDF back from libharu failed");
        goto out;
    }
    out->len += size;
    out->data[out->len] = '\0';
out:
    if (p.doc)
        HPDF_Free(p.doc);
    free(p.pages);
    free(regular);
    free(boldf);
    return rc;
}
