/* imgeda diff: what changed between two manifests (SPEC §4.4), as a readable summary or as
 * imgeda's JSON (--json on stdout, -o to a file). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imgeda/diff.h"
#include "imgeda/util.h"

static const char diff_usage[] =
    "usage: imgeda diff --old A --new B [-o OUT] [--json] [--extended]\n"
    "\n"
    "Compares two manifests by path: added and removed images, and images whose size,\n"
    "dimensions, format, colour mode, flags or perceptual hash changed. Manifests of\n"
    "different roots are matched by the path under the root; a file whose path changed but\n"
    "whose bytes did not is moved, not removed and added.\n"
    "\n"
    "      --old FILE          the earlier manifest\n"
    "      --new FILE          the later manifest\n"
    "  -o, --output FILE       also write the diff as JSON (imgeda's format) to FILE\n"
    "      --json              print the JSON on stdout instead of the summary\n"
    "      --extended          JSON beyond imgeda's: moved and copied lists, the match used,\n"
    "                          each change's new path and phash distance\n";

enum { OPT_OLD = 256, OPT_NEW, OPT_JSON, OPT_EXTENDED };

/* 1234567 -> "1,234,567" */
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

/* Loads one side; refuses a file that has neither a header nor a record but has lines that do
 * not parse (e.g. a policy or a CSV given by mistake). */
static int load_side(const char *what, const char *path, struct ie_slim_manifest *m)
{
    struct ie_err err = {0};
    if (ie_slim_manifest_load(path, m, &err) < 0) {
        cli_error("%s manifest: %s", what, err.msg);
        return -1;
    }
    return cli_check_slim(path, m, true);
}

/* A short text for a changed value in the summary. */
static void show_value(const struct ie_jvalue *v, char *out, size_t n)
{
    char tmp[65];
    switch (v->type) {
    case IE_JNULL:
        snprintf(out, n, "null");
        break;
    case IE_JBOOL:
        snprintf(out, n, "%s", v->b ? "true" : "false");
        break;
    case IE_JINT:
        snprintf(out, n, "%lld", (long long)v->i);
        break;
    case IE_JFLOAT:
        ie_fmt_double(out, n, v->d);
        break;
    case IE_JHASH:
        ie_hash256_to_hex(&v->h, tmp);
        snprintf(out, n, "%.12s...", tmp);
        break;
    case IE_JSTR:
        snprintf(out, n, "\"%.40s%s\"", v->s, strlen(v->s) > 40 ? "..." : "");
        break;
    default:
        snprintf(out, n, "%.40s", v->s);
        break;
    }
}

static void print_paths(const char *title, const struct ie_slim_manifest *m, const size_t *idx,
                        size_t n)
{
    char g[32];
    if (!n)
        return;
    printf("\n  %s (%s):\n", title, grouped(n, g, sizeof(g)));
    for (size_t i = 0; i < n && i < 5; i++)
        printf("    %s\n", m->recs[idx[i]].path);
    if (n > 5)
        printf("    ... and %s more\n", grouped(n - 5, g, sizeof(g)));
}

static void print_summary(const struct ie_diff_result *d, const char *old_path,
                          const char *new_path)
{
    const struct ie_diff_summary *s = &d->summary;
    char a[32], b[32];
    size_t per_field[IE_DIFF_NFIELDS] = {0};

    printf("Manifest diff\n");
    printf("  Old: %s images (%s)\n", grouped(s->total_old, a, sizeof(a)), old_path);
    printf("  New: %s images (%s)\n\n", grouped(s->total_new, a, sizeof(a)), new_path);
    printf("  Added:     %s\n", grouped(s->added_count, a, sizeof(a)));
    printf("  Removed:   %s\n", grouped(s->removed_count, a, sizeof(a)));
    printf("  Changed:   %s\n", grouped(s->changed_count, a, sizeof(a)));
    if (s->moved_count)
        printf("  Moved:     %s\n", grouped(s->moved_count, a, sizeof(a)));
    printf("  Unchanged: %s\n", grouped(d->unchanged_count, a, sizeof(a)));
    if (s->corrupt_old != s->corrupt_new)
        printf("\n  Corrupt: %s -> %s\n", grouped(s->corrupt_old, a, sizeof(a)),
               grouped(s->corrupt_new, b, sizeof(b)));
    if (s->duplicate_groups_old != s->duplicate_groups_new)
        printf("%s  Duplicate groups: %s -> %s\n", s->corrupt_old != s->corrupt_new ? "" : "\n",
               grouped(s->duplicate_groups_old, a, sizeof(a)),
               grouped(s->duplicate_groups_new, b, sizeof(b)));

    print_paths("Added", d->new, d->added, d->n_added);
    print_paths("Removed", d->old, d->removed, d->n_removed);
    for (size_t i = 0; i < d->n_moved && i < 5; i++)
        printf("%s    %s -> %s\n", i ? "" : "\n  Moved (same bytes, new path):\n",
               d->old->recs[d->moved[i].old_idx].path, d->new->recs[d->moved[i].new_idx].path);
    if (d->n_moved > 5)
        printf("    ... and %s more\n", grouped(d->n_moved - 5, a, sizeof(a)));
    if (!d->n_changed)
        return;
    for (size_t i = 0; i < d->n_changed; i++)
        for (int f = 0; f < IE_DIFF_NFIELDS; f++)
            per_field[f] += (d->changed[i].fields >> f) & 1;
    printf("\n  Changed (%s), by field:", grouped(d->n_changed, a, sizeof(a)));
    for (int f = 0, first = 1; f < IE_DIFF_NFIELDS; f++) {
        if (!per_field[f])
            continue;
        printf("%s %s %s", first ? "" : ",", ie_slim_field_names[f],
               grouped(per_field[f], a, sizeof(a)));
        first = 0;
    }
    printf("\n");
    for (size_t i = 0; i < d->n_changed && i < 5; i++) {
        const struct ie_diff_change *c = &d->changed[i];
        printf("    %s:", d->old->recs[c->old_idx].path);
        for (int f = 0, first = 1; f < IE_DIFF_NFIELDS; f++) {
            if (!((c->fields >> f) & 1))
                continue;
            struct ie_jvalue vo = ie_slim_manifest_value(d->old, c->old_idx, f);
            struct ie_jvalue vn = ie_slim_manifest_value(d->new, c->new_idx, f);
            char so[64], sn[64];
            show_value(&vo, so, sizeof(so));
            show_value(&vn, sn, sizeof(sn));
            printf("%s %s %s -> %s", first ? "" : ",", ie_slim_field_names[f], so, sn);
            first = 0;
        }
        printf("\n");
    }
    if (d->n_changed > 5)
        printf("    ... and %s more\n", grouped(d->n_changed - 5, a, sizeof(a)));
}

/* Writes the JSON to path through path.tmp + rename, so a failed run never leaves half a file. */
static int write_json_file(const struct ie_diff_result *d, const char *path, bool extended)
{
    struct ie_err err = {0};
    struct ie_buf tmp;
    int rc = -1;
    ie_buf_init(&tmp);
    ie_buf_addf(&tmp, "%s.tmp", path);
    FILE *f = fopen(tmp.data, "w");
    if (!f) {
        cli_error("cannot write %s: %s", tmp.data, strerror(errno));
        goto out;
    }
    if (ie_diff_write_json_ext(d, f, true, extended, &err) < 0 || fputc('\n', f) == EOF) {
        cli_error("cannot write %s: %s", path, err.msg[0] ? err.msg : strerror(errno));
        fclose(f);
        remove(tmp.data);
        goto out;
    }
    if (fclose(f) != 0 || rename(tmp.data, path) != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        remove(tmp.data);
        goto out;
    }
    rc = 0;
out:
    ie_buf_release(&tmp);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        {"old", required_argument, NULL, OPT_OLD},
        {"new", required_argument, NULL, OPT_NEW},
        {"output", required_argument, NULL, 'o'},
        {"out", required_argument, NULL, 'o'}, /* imgeda's spelling */
        {"json", no_argument, NULL, OPT_JSON},
        {"extended", no_argument, NULL, OPT_EXTENDED},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *old_path = NULL, *new_path = NULL, *out_path = NULL;
    bool json = false, extended = false;
    struct ie_slim_manifest a, b;
    struct ie_diff_result d;
    struct ie_err err = {0};
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_OLD:
            old_path = optarg;
            break;
        case OPT_NEW:
            new_path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_EXTENDED:
            extended = true;
            break;
        case 'h':
            fputs(diff_usage, stdout);
            return 0;
        default:
            fputs(diff_usage, stderr);
            return 1;
        }
    }
    if (!old_path || !new_path || optind != argc) {
        cli_error(optind != argc ? "diff takes no positional arguments ('%s')"
                                 : "diff needs --old and --new%s",
                  optind != argc ? argv[optind] : "");
        fputs(diff_usage, stderr);
        return 1;
    }

    ie_slim_manifest_init(&a);
    ie_slim_manifest_init(&b);
    ie_diff_result_init(&d);
    if (load_side("old", old_path, &a) < 0 || load_side("new", new_path, &b) < 0)
        goto out;
    ie_diff_compute(&a, &b, &d);
    if (out_path && write_json_file(&d, out_path, extended) < 0)
        goto out;
    if (json) {
        if (ie_diff_write_json_ext(&d, stdout, true, extended, &err) < 0 || putchar('\n') == EOF) {
            cli_error("%s", err.msg[0] ? err.msg : "cannot write to stdout");
            goto out;
        }
    } else {
        if (a.n == 0 && b.n == 0)
            printf("Both manifests are empty.\n");
        else
            print_summary(&d, old_path, new_path);
        if (out_path)
            printf("\nSaved to %s\n", out_path);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    ie_diff_result_release(&d);
    ie_slim_manifest_release(&b);
    ie_slim_manifest_release(&a);
    return rc;
}
