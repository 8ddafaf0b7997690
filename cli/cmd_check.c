/* imgeda check: list the images a manifest flags (SPEC §4.3) as an aligned table or JSON, and
 * cross-split leakage over several manifests. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "imgeda/checks.h"
#include "imgeda/duplicates.h"
#include "imgeda/manifest.h"
#include "imgeda/util.h"

static const char check_usage[] =
    "usage: imgeda check CHECK -m MANIFEST [--json] [-o FILE] [--bare] [--limit N]\n"
    "       imgeda check leakage -m A -m B [-m C ...] [--threshold N] [--exclude-flat]\n"
    "                            [--json] [-o FILE] [--bare] [--limit N]\n"
    "\n"
    "CHECK is corrupt, exposure (dark and overexposed), artifacts (border artifacts), blur,\n"
    "duplicates (same phash, near duplicates, byte-identical files, flat images) or all.\n"
    "Images are listed as the scan flagged them, with the value that flagged them; the\n"
    "thresholds shown are the scan's (from the manifest header), else imgeda's defaults.\n"
    "leakage lists images whose phash matches an image of another manifest (split).\n"
    "\n"
    "  -m, --manifest FILE   manifest to check (leakage: one per split, at least two)\n"
    "      --json            print JSON instead of tables (everything, no --limit)\n"
    "  -o, --output FILE     also write the JSON to FILE\n"
    "      --bare            the JSON of --json and -o in Python imgeda's shape: a bare list of\n"
    "                        the flagged items with imgeda's keys only (duplicates: its exact\n"
    "                        and near groups); check all: an object of such lists by check\n"
    "      --limit N         table rows (groups for duplicates) per check; 0 = all (20)\n"
    "      --threshold N     leakage, duplicates: phash distance counted as a match, 0..32\n"
    "                        (leakage: 8, 0 = exact only; duplicates: the scan's, else 8)\n"
    "      --exclude-flat    leakage: ignore flat (constant-colour) images, whose phash\n"
    "                        matches every other flat image\n"
    "  -h, --help            this text\n"
    "\n"
    "Tables fit the terminal (long paths keep their end); when output is not a terminal,\n"
    "paths are printed whole unless COLUMNS is set.\n";

enum { OPT_JSON = 256, OPT_LIMIT, OPT_THRESHOLD, OPT_EXCLUDE_FLAT, OPT_BARE };

#define DEFAULT_LIMIT 20
#define MAX_MANIFESTS 64

struct opts {
    const char *manifests[MAX_MANIFESTS];
    size_t n_manifests;
    bool json;
    bool bare; /* --bare: imgeda's shape */
    const char *output;
    size_t limit; /* 0 = all */
    int threshold;
    bool threshold_set;
    bool exclude_flat;
};

/* ---- table layout ---- */

/* Display columns of UTF-8 text: one per code point (continuation bytes take none). */
static size_t text_cols(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The width tables must fit: the terminal's, else $COLUMNS, else 0 (no limit). */
static size_t table_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *env = getenv("COLUMNS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v > 0 && v < 100000)
            return (size_t)v;
    }
    return 0;
}

/* Prints s in w columns (padded on the right when pad: the last cell of a line is not, so
 * lines carry no trailing blanks); text longer than w keeps its end behind "..." (the file name
 * is the informative part of a path). */
static void print_cell(const char *s, size_t w, bool pad)
{
    size_t cols = text_cols(s);
    if (cols <= w) {
        fputs(s, stdout);
    } else if (w <= 3) {
        for (size_t i = 0; i < w; i++)
            putchar('.');
        cols = w;
    } else {
        size_t skip = cols - (w - 3), seen = 0;
        const char *p = s;
        /* Advance to the code point that starts the kept tail. */
        for (; *p; p++) {
            if (((unsigned char)*p & 0xC0) != 0x80) {
                if (seen == skip)
                    break;
                seen++;
            }
        }
        fputs("...", stdout);
        fputs(p, stdout);
        cols = w;
    }
    for (; pad && cols < w; cols++)
        putchar(' ');
}

/* The path column's width: the longest path shown, shrunk so the row fits the table width
 * (other = columns the rest of the row needs), but never below 24. */
static size_t path_width(const char *const *paths, size_t n, size_t other)
{
    size_t w = 4, tw = table_width();
    for (size_t i = 0; i < n; i++)
        w = IE_MAX(w, text_cols(paths[i]));
    if (tw && w + other + 2 > tw)
        w = tw > other + 2 + 24 ? tw - other - 2 : 24;
    return w;
}

static const char *fmt_value(char *out, size_t n, bool has, double v)
{
    if (!has || !isfinite(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.2f", v);
    return out;
}

/* "40" for 40.0, "0.5" for 0.5: thresholds read as they were typed. */
static const char *fmt_threshold(char *out, size_t n, double v)
{
    snprintf(out, n, "%.10g", v);
    return out;
}

static const char *path_of(const struct ie_record *r)
{
    return r->path ? r->path : "";
}

/* what is a singular noun ("image", "group"). */
static void print_more(size_t shown, size_t total, const char *what)
{
    if (shown < total)
        printf("  ... and %zu more %s%s (--limit 0 shows all; --json lists everything)\n",
               total - shown, what, total - shown == 1 ? "" : "s");
}

/* ---- one check as text ---- */

static void print_items_table(const struct ie_check_result *r, const struct ie_record *recs,
                              size_t limit)
{
    size_t shown = limit && limit < r->n_items ? limit : r->n_items;
    const char **paths = ie_xcalloc(shown ? shown : 1, sizeof(*paths));
    const char *vhead = r->kind == IE_CHECK_EXPOSURE    ? "BRIGHTNESS"
                        : r->kind == IE_CHECK_ARTIFACTS ? "DELTA"
                        : r->kind == IE_CHECK_BLUR      ? "BLUR SCORE"
                                                        : "ERROR";
    char num[48];
    size_t other;

    for (size_t i = 0; i < shown; i++)
        paths[i] = path_of(&recs[r->items[i].rec]);
    /* Corrupt rows end with the error text, which is never cut; the others end with a number. */
    if (r->kind == IE_CHECK_CORRUPT)
        other = 2 + 24;
    else if (r->kind == IE_CHECK_EXPOSURE)
        other = 2 + 11 + 2 + 10;
    else
        other = 2 + 10;
    size_t pw = path_width(paths, shown, other);

    if (shown) {
        printf("  ");
        print_cell("PATH", pw, true);
        if (r->kind == IE_CHECK_EXPOSURE)
            printf("  %-11s", "ISSUE");
        if (r->kind == IE_CHECK_CORRUPT)
            printf("  %s\n", vhead);
        else
            printf("  %10s\n", vhead);
    }
    for (size_t i = 0; i < shown; i++) {
        const struct ie_check_item *it = &r->items[i];
        const struct ie_record *rec = &recs[it->rec];
        printf("  ");
        if (r->kind == IE_CHECK_CORRUPT) {
            print_cell(paths[i], pw, true);
            printf("  %s\n", rec->error ? rec->error : "-");
            continue;
        }
        print_cell(paths[i], pw, true);
        if (r->kind == IE_CHECK_EXPOSURE)
            printf("  %-11s", it->issues == (IE_ISSUE_DARK | IE_ISSUE_OVEREXPOSED) ? "dark+over"
                              : it->issues & IE_ISSUE_DARK                         ? "dark"
                                                                                   : "overexposed");
        printf("  %10s\n", fmt_value(num, sizeof(num), it->has_value, it->value));
    }
    print_more(shown, r->n_items, "image");
    free(paths);
}

/* Prints up to *budget groups of one list (decrementing it); returns the groups printed. */
static size_t print_groups(const char *type, const struct ie_dup_list *l,
                           const struct ie_record *recs, size_t *budget, bool limited)
{
    size_t g;
    for (g = 0; g < l->n && (!limited || *budget > 0); g++) {
        const struct ie_dup_group *grp = &l->groups[g];
        const char **paths = ie_xcalloc(grp->n, sizeof(*paths));
        char hex[65];
        for (size_t i = 0; i < grp->n; i++)
            paths[i] = path_of(&recs[grp->recs[i]]);
        printf("  %s group of %zu", type, grp->n);
        if (strcmp(type, "exact") == 0) {
            ie_hash256_to_hex(&recs[grp->recs[0]].phash, hex);
            printf(", phash %.16s...", hex);
        } else if (strcmp(type, "near") == 0) {
            printf(", max distance %d", grp->max_distance);
        }
        printf("\n");
        size_t pw = path_width(paths, grp->n, 2);
        for (size_t i = 0; i < grp->n; i++) {
            printf("    ");
            print_cell(paths[i], pw, false);
            printf("\n");
        }
        free(paths);
        if (limited)
            (*budget)--;
    }
    return g;
}

static void print_duplicates(const struct ie_check_result *r, const struct ie_record *recs,
                             const struct ie_check_thresholds *t, size_t limit)
{
    const struct ie_duplicates *d = &r->dups;
    size_t budget = limit, total = d->exact.n + d->near.n + d->byte_identical.n, shown = 0;
    printf("Duplicates: %zu of %zu images beyond the first of %zu exact group%s (same phash)\n",
           r->flagged, r->total_images, d->exact.n, d->exact.n == 1 ? "" : "s");
    printf("  %zu near group%s (phash distance <= %d%s), %zu byte-identical group%s, "
           "%zu flat image%s\n",
           d->near.n, d->near.n == 1 ? "" : "s", t->near,
           t->from_manifest & IE_THR_NEAR ? "" : ", default", d->byte_identical.n,
           d->byte_identical.n == 1 ? "" : "s", d->n_flat, d->n_flat == 1 ? "" : "s");
    shown += print_groups("exact", &d->exact, recs, &budget, limit != 0);
    shown += print_groups("near", &d->near, recs, &budget, limit != 0);
    shown += print_groups("byte-identical", &d->byte_identical, recs, &budget, limit != 0);
    print_more(shown, total, "group");
    if (d->n_flat) {
        size_t n = limit && limit < d->n_flat ? limit : d->n_flat;
        const char **paths = ie_xcalloc(n, sizeof(*paths));
        for (size_t i = 0; i < n; i++)
            paths[i] = path_of(&recs[d->flat[i]]);
        printf("  flat (constant-colour) images, not counted as near duplicates:\n");
        size_t pw = path_width(paths, n, 2);
        for (size_t i = 0; i < n; i++) {
            printf("    ");
            print_cell(paths[i], pw, false);
            printf("\n");
        }
        print_more(n, d->n_flat, "flat image");
        free(paths);
    }
}

static void print_result(const struct ie_check_result *r, const struct ie_record *recs,
                         const struct ie_check_thresholds *t, size_t limit)
{
    char a[40], b[40];
    const char *dflt = ", default";
    switch (r->kind) {
    case IE_CHECK_CORRUPT:
        printf("Corrupt: %zu of %zu images\n", r->flagged, r->total_images);
        break;
    case IE_CHECK_EXPOSURE:
        printf("Exposure: %zu of %zu images (%zu dark: mean brightness < %s%s; %zu overexposed: "
               "mean brightness > %s%s)\n",
               r->flagged, r->total_images, r->n_dark, fmt_threshold(a, sizeof(a), t->dark),
               t->from_manifest & IE_THR_DARK ? "" : dflt, r->n_overexposed,
               fmt_threshold(b, sizeof(b), t->overexposed),
               t->from_manifest & IE_THR_OVEREXPOSED ? "" : dflt);
        break;
    case IE_CHECK_ARTIFACTS:
        printf("Border artifacts: %zu of %zu images (corner/centre delta > %s%s)\n", r->flagged,
               r->total_images, fmt_threshold(a, sizeof(a), t->artifact),
               t->from_manifest & IE_THR_ARTIFACT ? "" : dflt);
        break;
    case IE_CHECK_BLUR:
        printf("Blurry: %zu of %zu images (blur score < %s%s)\n", r->flagged, r->total_images,
               fmt_threshold(a, sizeof(a), t->blur), t->from_manifest & IE_THR_BLUR ? "" : dflt);
        break;
    case IE_CHECK_DUPLICATES:
        print_duplicates(r, recs, t, limit);
        return;
    default:
        return;
    }
    print_items_table(r, recs, limit);
}

/* ---- output ---- */

/* The items of a check's JSON (o, ours) in Python imgeda's check -o shape: a bare list, each item
 * with imgeda's keys only, in its order (ours name them alike and put them first). imgeda has
 * no byte-identical groups, and a leak's matched_path only when it is a near match. Takes o. */
static cJSON *imgeda_items(cJSON *o, const char *check)
{
    static const struct {
        const char *check, *keys[6];
    } shapes[] = {
        {"corrupt", {"path", "filename"}},
        {"exposure", {"path", "issues", "mean_brightness"}},
        {"artifacts", {"path", "delta"}},
        {"blur", {"path", "blur_score"}},
        {"duplicates", {"type", "phash", "count", "paths"}},
        {"leakage", {"path", "phash", "found_in", "match_type", "matched_path"}},
    };
    cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(o, "items");
    cJSON *out = cJSON_CreateArray();
    size_t s = 0;
    while (s < IE_ARRAY_LEN(shapes) && strcmp(shapes[s].check, check) != 0)
        s++;
    if (!out || !items || s == IE_ARRAY_LEN(shapes))
        abort(); /* every check has items and a shape; cJSON fails only when out of memory */
    for (cJSON *it = items->child; it; it = it->next) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "byte_identical") == 0)
            continue;
        const cJSON *match = cJSON_GetObjectItemCaseSensitive(it, "match_type");
        bool near = cJSON_IsString(match) && strcmp(match->valuestring, "near") == 0;
        cJSON *j = cJSON_CreateObject();
        for (size_t k = 0; k < 6 && shapes[s].keys[k]; k++) {
            const char *key = shapes[s].keys[k];
            cJSON *v = cJSON_GetObjectItemCaseSensitive(it, key);
            if (v && (strcmp(key, "matched_path") != 0 || near))
                cJSON_AddItemToObject(j, key, cJSON_Duplicate(v, true));
        }
        cJSON_AddItemToArray(out, j);
    }
    cJSON_Delete(items);
    cJSON_Delete(o);
    return out;
}

static int emit_json(cJSON *o, const struct opts *op)
{
    char *text = cJSON_Print(o);
    struct ie_err err = {0};
    int rc = 0;
    if (!text)
        abort(); /* cJSON fails only when out of memory */
    if (op->json)
        puts(text);
    if (op->output) {
        size_t len = strlen(text);
        text[len] = '\n'; /* overwrite the NUL: the file ends with a newline */
        if (ie_write_file_atomic(op->output, text, len + 1, &err) < 0) {
            cli_error("%s", err.msg);
            rc = -1;
        } else {
            fprintf(stderr, "Saved JSON to %s\n", op->output);
        }
    }
    free(text);
    return rc;
}

static int run_checks(unsigned kinds, const struct opts *op)
{
    struct ie_manifest m;
    struct ie_check_thresholds t;
    struct ie_check_result r;
    struct ie_err err = {0};
    const char *path = op->manifests[0];
    cJSON *all = NULL, *checks = NULL, *single = NULL;
    bool first = true;
    int rc = 1;

    ie_manifest_init(&m);
    ie_check_result_init(&r);
    if (cli_load_manifest(path, &m, true) < 0)
        goto out;
    ie_check_thresholds_init(&t);
    ie_check_thresholds_from_settings(&t, m.meta.settings_json);
    if (op->threshold_set) {
        /* Chosen by the user, so not one of imgeda's defaults either. */
        t.near = op->threshold;
        t.from_manifest |= IE_THR_NEAR;
    }
    bool want_json = op->json || op->output;
    bool many = kinds != (kinds & -kinds);
    if (want_json && many && op->bare) {
        all = checks = cJSON_CreateObject();
    } else if (want_json && many) {
        all = cJSON_CreateObject();
        cJSON_AddStringToObject(all, "manifest", path);
        cJSON_AddNumberToObject(all, "total_images", (double)m.n);
        checks = cJSON_AddObjectToObject(all, "checks");
    }
    if (!op->json && m.n == 0)
        printf("%s has no image records.\n", path);
    for (unsigned k = 0; k < IE_CHECK_NKINDS; k++) {
        if (!(kinds & (1u << k)))
            continue;
        if (ie_check_run((enum ie_check_kind)k, m.recs, m.n, &t, &r, &err) < 0) {
            cli_error("check %s: %s", ie_check_name((enum ie_check_kind)k), err.msg);
            goto out;
        }
        if (want_json) {
            cJSON *o = ie_check_result_to_json(&r, m.recs, &t);
            if (op->bare)
                o = imgeda_items(o, ie_check_name((enum ie_check_kind)k));
            if (many) {
                cJSON_AddItemToObject(checks, ie_check_name((enum ie_check_kind)k), o);
            } else {
                if (!op->bare)
                    cJSON_AddStringToObject(o, "manifest", path);
                single = o;
            }
        }
        if (!op->json) {
            if (!first)
                printf("\n");
            print_result(&r, m.recs, &t, op->limit);
            first = false;
        }
    }
    if (want_json && emit_json(all ? all : single, op) < 0)
        goto out;
    if (fflush(stdout) != 0) {
        cli_error("cannot write the results");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(all);
    cJSON_Delete(single);
    ie_check_result_release(&r);
    ie_manifest_release(&m);
    return rc;
}

/* ---- leakage ---- */

static void print_leakage(const struct ie_leakage *l, const struct ie_leak_split *splits,
                          size_t nsplits, int threshold, size_t limit)
{
    size_t shown = limit && limit < l->n ? limit : l->n;
    const char **paths = ie_xcalloc(shown ? shown : 1, sizeof(*paths));
    size_t exact = 0;
    for (size_t i = 0; i < l->n; i++)
        exact += l->items[i].exact;
    printf("Cross-split leakage: %zu image%s (%zu exact, %zu near at phash distance <= %d) "
           "across %zu splits\n",
           l->n, l->n == 1 ? "" : "s", exact, l->n - exact, threshold, nsplits);
    for (size_t i = 0; i < nsplits; i++)
        printf("  split %-3zu %s (%zu images)\n", i + 1, splits[i].name, splits[i].n);
    for (size_t i = 0; i < shown; i++)
        paths[i] = l->items[i].path;
    size_t pw = path_width(paths, shown, 2 + 5 + 2 + 30);
    if (shown) {
        printf("  ");
        print_cell("PATH", pw, true);
        printf("  %-5s  %s\n", "MATCH", "FOUND IN");
    }
    for (size_t i = 0; i < shown; i++) {
        const struct ie_leak_item *it = &l->items[i];
        char match[16];
        if (it->exact)
            snprintf(match, sizeof(match), "exact");
        else
            snprintf(match, sizeof(match), "d=%d", it->distance);
        printf("  ");
        print_cell(paths[i], pw, true);
        printf("  %-5s  ", match);
        for (size_t k = 0; k < it->n_found_in; k++)
            printf("%s%s", k ? ", " : "", splits[it->found_in[k]].name);
        printf("\n");
    }
    print_more(shown, l->n, "image");
    free(paths);
}

static int run_leakage(const struct opts *op)
{
    struct ie_manifest ms[MAX_MANIFESTS];
    struct ie_leak_split splits[MAX_MANIFESTS];
    struct ie_leak_opts lo;
    struct ie_leakage l;
    struct ie_err err = {0};
    size_t loaded = 0, n = op->n_manifests;
    cJSON *o = NULL;
    int rc = 1;

    ie_leakage_init(&l);
    if (n < 2) {
        cli_error("check leakage needs at least two manifests (-m A -m B)");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(op->manifests[i], op->manifests[j]) == 0) {
                cli_error("manifest %s is given twice", op->manifests[i]);
                goto out;
            }
        }
    }
    for (; loaded < n; loaded++) {
        ie_manifest_init(&ms[loaded]);
        if (cli_load_manifest(op->manifests[loaded], &ms[loaded], true) < 0) {
            loaded++;
            goto out;
        }
    }
    /* imgeda names a split by its manifest's input_dir (the scanned folder). Two manifests of
     * one folder (or without a header) would merge, so then every split is named by its
     * manifest path instead. */
    bool by_dir = true;
    for (size_t i = 0; i < n && by_dir; i++) {
        const char *d = ms[i].meta.present ? ms[i].meta.input_dir : NULL;
        by_dir = d && *d;
        for (size_t j = 0; j < i && by_dir; j++)
            by_dir = strcmp(d, ms[j].meta.input_dir) != 0;
    }
    for (size_t i = 0; i < n; i++) {
        splits[i].name = by_dir ? ms[i].meta.input_dir : op->manifests[i];
        splits[i].recs = ms[i].recs;
        splits[i].n = ms[i].n;
    }
    ie_leak_opts_init(&lo);
    if (op->threshold_set)
        lo.threshold = op->threshold;
    lo.exclude_flat = op->exclude_flat;
    if (ie_leakage_find(splits, n, &lo, &l, &err) < 0) {
        cli_error("check leakage: %s", err.msg);
        goto out;
    }
    if (op->json || op->output) {
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "check", "leakage");
        cJSON_AddNumberToObject(o, "threshold", lo.threshold);
        cJSON_AddBoolToObject(o, "exclude_flat", lo.exclude_flat);
        cJSON *sp = cJSON_AddArrayToObject(o, "splits");
        for (size_t i = 0; i < n; i++) {
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "name", splits[i].name);
            cJSON_AddStringToObject(s, "manifest", op->manifests[i]);
            cJSON_AddNumberToObject(s, "total_images", (double)splits[i].n);
            cJSON_AddItemToArray(sp, s);
        }
        cJSON_AddNumberToObject(o, "count", (double)l.n);
        cJSON_AddItemToObject(o, "items", ie_leakage_to_json(&l, splits));
        if (op->bare)
            o = imgeda_items(o, "leakage");
        if (emit_json(o, op) < 0)
            goto out;
    }
    if (!op->json)
        print_leakage(&l, splits, n, lo.threshold, op->limit);
    if (fflush(stdout) != 0) {
        cli_error("cannot write the results");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(o);
    ie_leakage_release(&l);
    for (size_t i = 0; i < loaded; i++)
        ie_manifest_release(&ms[i]);
    return rc;
}

/* ---- command ---- */

static bool parse_size(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, OPT_JSON},
        {"bare", no_argument, NULL, OPT_BARE},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"exclude-flat", no_argument, NULL, OPT_EXCLUDE_FLAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct opts op = {.limit = DEFAULT_LIMIT};
    struct ie_err err = {0};
    unsigned kinds = 0;
    long v;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (op.n_manifests == MAX_MANIFESTS) {
                cli_error("at most %d manifests", MAX_MANIFESTS);
                return 1;
            }
            op.manifests[op.n_manifests++] = optarg;
            break;
        case 'o':
            op.output = optarg;
            break;
        case OPT_JSON:
            op.json = true;
            break;
        case OPT_BARE:
            op.bare = true;
            break;
        case OPT_LIMIT:
            if (!parse_size(optarg, 0, 1L << 30, &v)) {
                cli_error("--limit needs a whole number >= 0, not '%s'", optarg);
                return 1;
            }
            op.limit = (size_t)v;
            break;
        case OPT_THRESHOLD:
            if (!parse_size(optarg, 0, IE_HASH_INDEX_MAX_THRESHOLD, &v)) {
                cli_error("--threshold needs a whole number from 0 to %d, not '%s'",
                          IE_HASH_INDEX_MAX_THRESHOLD, optarg);
                return 1;
            }
            op.threshold = (int)v;
            op.threshold_set = true;
            break;
        case OPT_EXCLUDE_FLAT:
            op.exclude_flat = true;
            break;
        case 'h':
            fputs(check_usage, stdout);
            return 0;
        default:
            fputs(check_usage, stderr);
            return 1;
        }
    }
    if (optind >= argc) {
        cli_error("check needs a check name");
        fputs(check_usage, stderr);
        return 1;
    }
    if (optind + 1 < argc) {
        cli_error("check takes one check name, got '%s' and '%s'", argv[optind], argv[optind + 1]);
        return 1;
    }
    const char *name = argv[optind];
    bool leakage = strcmp(name, "leakage") == 0;
    if (!leakage && ie_check_parse(name, &kinds, &err) < 0) {
        cli_error("%s", err.msg);
        return 1;
    }
    if (op.n_manifests == 0) {
        cli_error("check %s needs a manifest (-m FILE)", name);
        return 1;
    }
    if (op.bare && !op.json && !op.output) {
        cli_error("--bare shapes the JSON of --json or -o FILE; give one of them");
        return 1;
    }
    if (leakage)
        return run_leakage(&op);
    if (op.n_manifests > 1) {
        cli_error("check %s takes one manifest (several are for check leakage)", name);
        return 1;
    }
    if (op.exclude_flat || (op.threshold_set && !(kinds & (1u << IE_CHECK_DUPLICATES)))) {
        cli_error("%s is an option of check leakage and duplicates only; check %s uses the "
                  "scan's thresholds",
                  op.exclude_flat ? "--exclude-flat" : "--threshold", name);
        return 1;
    }
    return run_checks(kinds, &op);
}
