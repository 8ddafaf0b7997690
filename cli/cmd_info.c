/* imgeda info: a manifest's summary (SPEC §4.2) as aligned text sections or one JSON object. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imgeda/checks.h"
#include "imgeda/duplicates.h"
#include "imgeda/manifest.h"
#include "imgeda/marks.h"
#include "imgeda/summary.h"
#include "imgeda/util.h"

static const char info_usage[] =
    "usage: imgeda info -m MANIFEST [--json] [--marks FILE]\n"
    "\n"
    "  -m, --manifest FILE   the JSONL manifest to summarise (ours or Python imgeda's)\n"
    "      --json            print one JSON object: imgeda's summary fields, percentiles,\n"
    "                        duplicate counts and a \"manifest\" object (header, skipped lines)\n"
    "      --marks FILE      summarise what a marks file leaves (imgeda marks): removed images\n"
    "                        leave the counts, ok clears flags, not_duplicate splits groups\n"
    "  -h, --help            this text\n";

enum { OPT_JSON = 256, OPT_MARKS };

/* Rows of a list section (formats, modes, ...) shown before "... and N more". */
#define LIST_ROWS 10

/* 1234567 -> "1,234,567" (Python's "{:,}"). */
static const char *fmt_count(char *out, size_t n, long long v)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%lld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < n)
        out[o++] = '-';
    for (int i = 0; i < len && o + 1 < n; i++) {
        out[o++] = digits[i];
        if ((len - i - 1) % 3 == 0 && i != len - 1 && o + 1 < n)
            out[o++] = ',';
    }
    out[o] = '\0';
    return out;
}

/* Decimal units like imgeda's fmt_bytes (KB = 1000 bytes), with bytes below 1 KB. */
static const char *fmt_bytes(char *out, size_t n, double b)
{
    if (!isfinite(b))
        snprintf(out, n, "-");
    else if (b > 1e9)
        snprintf(out, n, "%.2f GB", b / 1e9);
    else if (b > 1e6)
        snprintf(out, n, "%.2f MB", b / 1e6);
    else if (b >= 1e3)
        snprintf(out, n, "%.2f KB", b / 1e3);
    else
        snprintf(out, n, "%.0f B", b);
    return out;
}

/* A percentile: "-" when there are no values; integral values without decimals. */
static const char *fmt_num(char *out, size_t n, double v, int decimals)
{
    if (!isfinite(v))
        snprintf(out, n, "-");
    else if (decimals == 0 || fabs(v - round(v)) < 0.05)
        snprintf(out, n, "%.0f", v);
    else
        snprintf(out, n, "%.*f", decimals, v);
    return out;
}

/* Every line of a section is "  LABEL VALUE  DETAIL" with these widths, so values line up. */
#define LABEL_W 22
#define VALUE_W 12

/* Label text cut to LABEL_W display columns (UTF-8 aware: continuation bytes take no column). */
static void print_label(const char *label)
{
    int cols = 0;
    const char *p = label;
    printf("  ");
    for (; *p; p++) {
        bool lead = ((unsigned char)*p & 0xC0) != 0x80;
        if (lead && cols == LABEL_W - 1 && strlen(p) > 1) {
            /* Count what is left; cut with "~" only when more than one column remains. */
            int rest = 0;
            for (const char *q = p; *q; q++)
                rest += ((unsigned char)*q & 0xC0) != 0x80;
            if (rest > 1) {
                putchar('~');
                cols++;
                break;
            }
        }
        if (lead)
            cols++;
        putchar(*p);
    }
    for (; cols < LABEL_W; cols++)
        putchar(' ');
}

/* One row; detail may be NULL. */
static void row(const char *label, const char *value, const char *detail)
{
    print_label(label);
    printf(" %*s", VALUE_W, value);
    if (detail && *detail)
        printf("  %s", detail);
    printf("\n");
}

static void row_count(const char *label, size_t n, size_t total, const char *extra)
{
    char num[32], detail[256] = "";
    if (total)
        snprintf(detail, sizeof(detail), "%5.1f%%%s%s", 100.0 * (double)n / (double)total,
                 extra ? "  " : "", extra ? extra : "");
    else if (extra)
        snprintf(detail, sizeof(detail), "%s", extra);
    row(label, fmt_count(num, sizeof(num), (long long)n), detail);
}

static void print_counts(const char *title, const struct ie_counts *c, size_t total)
{
    printf("\n%s\n", title);
    if (c->n == 0) {
        row("(none)", "", NULL);
        return;
    }
    for (size_t i = 0; i < c->n && i < LIST_ROWS; i++)
        row_count(c->v[i].key, c->v[i].count, total, NULL);
    if (c->n > LIST_ROWS)
        printf("  ... and %zu more (--json lists all)\n", c->n - LIST_ROWS);
}

/* "Canon (2), Nikon (2), Sony (1)" for the first LIST_ROWS entries. */
static void print_inline_counts(const char *label, const struct ie_counts *c)
{
    char num[32];
    print_label(label);
    printf(" ");
    if (c->n == 0)
        printf("(none)");
    for (size_t i = 0; i < c->n && i < LIST_ROWS; i++)
        printf("%s%s (%s)", i ? ", " : "", c->v[i].key,
               fmt_count(num, sizeof(num), (long long)c->v[i].count));
    if (c->n > LIST_ROWS)
        printf(", ... %zu more", c->n - LIST_ROWS);
    printf("\n");
}

static void row_flag(const char *label, size_t n, size_t total, const char *rule, double thr,
                     bool from_manifest)
{
    char detail[128], num[40];
    ie_fmt_double(num, sizeof(num), thr);
    /* "40.0" reads oddly in prose: drop a ".0" that ie_fmt_double added. */
    size_t l = strlen(num);
    if (l > 2 && strcmp(num + l - 2, ".0") == 0)
        num[l - 2] = '\0';
    snprintf(detail, sizeof(detail), "%s %s%s", rule, num, from_manifest ? "" : " (default)");
    row_count(label, n, total, detail);
}

/* A row of five right-aligned columns under a header row. */
static void row5(const char *label, const char *a, const char *b, const char *c, const char *d,
                 const char *e)
{
    char line[128];
    size_t n;
    print_label(label);
    snprintf(line, sizeof(line), " %*s %10s %10s %10s %10s", VALUE_W, a, b, c, d, e);
    n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        line[--n] = '\0';
    printf("%s\n", line);
}

static void print_text(const char *path, const struct ie_manifest *m, const struct ie_summary *s,
                       const struct ie_check_thresholds *t)
{
    char a[48], b[48], c[48], d[48], e[48], detail[96];
    size_t valid = s->total_images - s->corrupt_count;

    printf("%-24s %s\n", "Manifest", path);
    if (m->meta.present) {
        printf("%-24s %s\n", "Input dir", m->meta.input_dir ? m->meta.input_dir : "");
        printf("%-24s %s\n", "Created", m->meta.created_at ? m->meta.created_at : "");
    } else {
        printf("%-24s %s\n", "Header", "none (records only; default thresholds)");
    }
    if (m->skipped_lines)
        printf("%-24s %zu unreadable line(s) skipped (a torn last line is normal after a crash)\n",
               "Note", m->skipped_lines);
    if (m->replaced)
        printf("%-24s %zu earlier record(s) replaced by a later one for the same path\n", "Note",
               m->replaced);
    if (s->total_images == 0) {
        printf("\nThe manifest has no image records.\n");
        return;
    }

    printf("\nTotals\n");
    row("Images", fmt_count(a, sizeof(a), (long long)s->total_images), NULL);
    snprintf(detail, sizeof(detail), "%s bytes", fmt_count(a, sizeof(a), s->total_size_bytes));
    row("Total size", fmt_bytes(b, sizeof(b), (double)s->total_size_bytes), detail);
    snprintf(a, sizeof(a), "%.1f MP", (double)s->total_pixels / 1e6);
    snprintf(detail, sizeof(detail), "%s pixels", fmt_count(b, sizeof(b), s->total_pixels));
    row("Total pixels", a, detail);
    row_count("Corrupt", s->corrupt_count, s->total_images, NULL);

    printf("\nDimensions (%s decodable image%s)\n", fmt_count(a, sizeof(a), (long long)valid),
           valid == 1 ? "" : "s");
    row5("", "min", "p5", "p50", "p95", "max");
    if (valid) {
        char mn[16], mx[16];
        snprintf(mn, sizeof(mn), "%d", s->min_width);
        snprintf(mx, sizeof(mx), "%d", s->max_width);
        row5("Width", mn, fmt_num(a, sizeof(a), s->width.p5, 1),
             fmt_num(b, sizeof(b), s->width.p50, 1), fmt_num(c, sizeof(c), s->width.p95, 1), mx);
        snprintf(mn, sizeof(mn), "%d", s->min_height);
        snprintf(mx, sizeof(mx), "%d", s->max_height);
        row5("Height", mn, fmt_num(a, sizeof(a), s->height.p5, 1),
             fmt_num(b, sizeof(b), s->height.p50, 1), fmt_num(c, sizeof(c), s->height.p95, 1), mx);
    } else {
        row5("Width, height", "-", "-", "-", "-", "-");
    }
    row5("File size (all)", "", fmt_bytes(a, sizeof(a), s->file_size.p5),
         fmt_bytes(b, sizeof(b), s->file_size.p50), fmt_bytes(c, sizeof(c), s->file_size.p95), "");

    print_counts("Formats", &s->format_counts, s->total_images);
    print_counts("Color modes", &s->mode_counts, s->total_images);
    print_counts("Extensions", &s->extension_counts, s->total_images);

    printf("\nExposure and quality\n");
    row_flag("Dark", s->dark_count, s->total_images, "mean brightness <", t->dark,
             t->from_manifest & IE_THR_DARK);
    row_flag("Overexposed", s->overexposed_count, s->total_images, "mean brightness >",
             t->overexposed, t->from_manifest & IE_THR_OVEREXPOSED);
    row_flag("Blurry", s->blurry_count, s->total_images, "blur score <", t->blur,
             t->from_manifest & IE_THR_BLUR);
    row_flag("Border artifacts", s->artifact_count, s->total_images, "corner/centre delta >",
             t->artifact, t->from_manifest & IE_THR_ARTIFACT);
    row5("", "n", "p5", "p50", "p95", "");
    row5("Mean brightness", fmt_count(a, sizeof(a), (long long)s->brightness.n),
         fmt_num(b, sizeof(b), s->brightness.p5, 1), fmt_num(c, sizeof(c), s->brightness.p50, 1),
         fmt_num(d, sizeof(d), s->brightness.p95, 1), "");
    row5("Blur score", fmt_count(a, sizeof(a), (long long)s->blur.n),
         fmt_num(b, sizeof(b), s->blur.p5, 1), fmt_num(c, sizeof(c), s->blur.p50, 1),
         fmt_num(e, sizeof(e), s->blur.p95, 1), "");

    printf("\nEXIF and cameras\n");
    row_count("With a camera make", s->exif_present_count, s->total_images, NULL);
    row_count("Rotated", s->rotated_count, s->total_images, "orientation tag other than 1");
    row_count("With GPS data", s->gps_flagged_count, s->total_images, NULL);
    row_count("High distortion risk", s->high_distortion_risk_count, s->total_images,
              "35 mm focal length < 18");
    print_inline_counts("Camera makes", &s->camera_make_counts);
    print_inline_counts("Camera models", &s->camera_model_counts);

    printf("\nDuplicates\n");
    snprintf(detail, sizeof(detail), "beyond the first of %s group%s",
             fmt_count(a, sizeof(a), (long long)s->exact_duplicate_groups),
             s->exact_duplicate_groups == 1 ? "" : "s");
    row("Same phash", fmt_count(b, sizeof(b), (long long)s->exact_duplicate_images), detail);
    snprintf(detail, sizeof(detail), "beyond the first of %s group%s",
             fmt_count(a, sizeof(a), (long long)s->byte_identical_groups),
             s->byte_identical_groups == 1 ? "" : "s");
    row("Byte-identical files", fmt_count(b, sizeof(b), (long long)s->byte_identical_images),
        detail);
    printf("  Near duplicates: imgeda check duplicates -m %s\n", path);
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, OPT_JSON},
        {"marks", required_argument, NULL, OPT_MARKS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ie_manifest m;
    struct ie_summary s;
    struct ie_check_thresholds t;
    const char *path = NULL, *marks_file = NULL;
    struct ie_marks_applied ma;
    bool json = false;
    int c, rc = 1;

    ie_manifest_init(&m);
    ie_summary_init(&s);
    ie_marks_applied_init(&ma);
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (path) {
                cli_error("info takes one manifest");
                goto out;
            }
            path = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_MARKS:
            marks_file = optarg;
            break;
        case 'h':
            fputs(info_usage, stdout);
            rc = 0;
            goto out;
        default:
            fputs(info_usage, stderr);
            goto out;
        }
    }
    if (optind < argc && !path) {
        /* Be forgiving about "imgeda info M": the manifest is the only thing info can take. */
        path = argv[optind++];
    }
    if (optind < argc) {
        cli_error("unexpected argument '%s'", argv[optind]);
        fputs(info_usage, stderr);
        goto out;
    }
    if (!path) {
        cli_error("info needs a manifest (-m FILE)");
        fputs(info_usage, stderr);
        goto out;
    }
    if (cli_load_manifest(path, &m, false) < 0)
        goto out;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, m.meta.settings_json);
    ie_summary_release(&s);
    if (marks_file && cli_apply_marks(marks_file, &m, IE_DUP_DEFAULT_THRESHOLD, &ma) < 0)
        goto out;
    if (marks_file)
        ie_summary_compute(ma.recs, ma.n, &s);
    else
        ie_summary_compute(m.recs, m.n, &s);
    if (json) {
        cJSON *o = ie_summary_info_cjson(&s, path, &m);
        if (marks_file)
            cJSON_AddItemToObject(o, "marks", ie_marks_applied_to_cjson(&ma));
        char *text = cJSON_Print(o);
        cJSON_Delete(o);
        if (!text)
            abort(); /* cJSON fails only when out of memory */
        puts(text);
        free(text);
    } else {
        print_text(path, &m, &s, &t);
        if (marks_file)
            cli_print_marks_line(&ma);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write the summary");
        goto out;
    }
    rc = 0;
out:
    ie_marks_applied_release(&ma);
    ie_summary_release(&s);
    ie_manifest_release(&m);
    return rc;
}
