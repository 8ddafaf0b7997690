/* imgeda marks: the offline side of the daemon's marks (issue 12): set and list marks in a marks
 * file (JSONL, imgeda/marks.h; GET /api/v1/scans/{id}/marks.jsonl writes the same), print the
 * paths they take out of a manifest, write the cleaned manifest; and cli_apply_marks, which
 * gate and info use for --marks. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "imgeda/duplicates.h"
#include "imgeda/manifest.h"
#include "imgeda/marks.h"
#include "imgeda/util.h"

static const char marks_usage[] =
    "usage: imgeda marks set MARKS -m MANIFEST --mark KIND PATH...\n"
    "       imgeda marks list MARKS [-m MANIFEST]\n"
    "       imgeda marks remove-list MARKS -m MANIFEST [-o OUT] [--threshold N]\n"
    "       imgeda marks clean MARKS -m MANIFEST -o OUT [--threshold N]\n"
    "\n"
    "Marks say what to do with images: remove, keep (the one to keep of its duplicate group),\n"
    "ok (not a problem: its quality flags no longer count) or not_duplicate (the PATHs given\n"
    "together are not duplicates of each other); none clears an image's marks. MARKS is a JSONL\n"
    "file keyed by content hash and path relative to the manifest's root, the format imgedad\n"
    "exports as GET /api/v1/scans/{id}/marks.jsonl; set creates it when missing.\n"
    "\n"
    "  set          mark the records of MANIFEST at PATH... (as in the manifest, or relative to\n"
    "               its root)\n"
    "  list         the marks; with -m, the manifest's images they touch and what happens\n"
    "  remove-list  the paths the marks take out: images marked remove, and the other members\n"
    "               of each duplicate group holding an image marked keep\n"
    "  clean        MANIFEST without those images, to OUT\n"
    "\n"
    "  -m, --manifest FILE   the manifest\n"
    "      --mark KIND       remove, keep, ok, not_duplicate or none\n"
    "  -o, --output FILE     write there instead of stdout\n"
    "      --threshold N     near-duplicate distance of keepers' groups (default 8)\n"
    "\n"
    "imgeda gate and imgeda info take --marks MARKS to count only what the marks leave.\n";

enum { OPT_MARK = 256, OPT_THRESHOLD };

struct marks_args {
    const char *sub, *file, *manifest, *out;
    const char *kind;
    int threshold;
    char **paths;
    int n_paths;
};

static int parse_args(int argc, char **argv, struct marks_args *a)
{
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"mark", required_argument, NULL, OPT_MARK},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(a, 0, sizeof(*a));
    a->threshold = IE_DUP_DEFAULT_THRESHOLD;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:o:h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm':
            a->manifest = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case OPT_MARK:
            a->kind = optarg;
            break;
        case OPT_THRESHOLD:
            a->threshold = (int)strtol(optarg, &end, 10);
            if (*end || a->threshold < 0 || a->threshold > IE_HASH_INDEX_MAX_THRESHOLD) {
                cli_error("--threshold: a number in 0..%d", IE_HASH_INDEX_MAX_THRESHOLD);
                return -1;
            }
            break;
        case 'h':
            fputs(marks_usage, stdout);
            return 1;
        default:
            fputs(marks_usage, stderr);
            return -1;
        }
    }
    if (argc - optind < 2) {
        cli_error("marks needs a subcommand and a marks file");
        fputs(marks_usage, stderr);
        return -1;
    }
    a->sub = argv[optind];
    a->file = argv[optind + 1];
    a->paths = argv + optind + 2;
    a->n_paths = argc - optind - 2;
    return 0;
}

/* Loads a marks file; a missing one is an empty list when missing_ok. */
static int load_marks(const char *file, struct ie_marks *mk, bool missing_ok)
{
    struct ie_err err = {0};
    int rc = ie_marks_load(file, mk, &err);
    if (rc == IE_ENOENT && missing_ok)
        return 0;
    if (rc < 0)
        cli_error("%s", err.msg);
    return rc < 0 ? -1 : 0;
}

int cli_apply_marks(const char *file, const struct ie_manifest *m, int threshold,
                    struct ie_marks_applied *a)
{
    struct ie_marks mk;
    struct ie_err err = {0};
    int rc = -1;
    ie_marks_init(&mk);
    if (load_marks(file, &mk, false) < 0)
        goto out;
    if (ie_marks_apply(m->recs, m->n, m->meta.input_dir, &mk, threshold, a, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    rc = 0;
out:
    ie_marks_release(&mk);
    return rc;
}

void cli_print_marks_line(const struct ie_marks_applied *a)
{
    printf("Marks: %zu applied (%zu not in this manifest): %zu images removed (%zu marked, %zu "
           "by a keeper), %zu ok, %zu split from duplicate groups\n",
           a->marks_applied, a->marks_unmatched, a->removed_marked + a->removed_by_keep,
           a->removed_marked, a->removed_by_keep, a->ok_images, a->split_images);
}

/* The record of m that path names: its path as in the manifest, its path relative to the
 * root, or the same file by realpath. SIZE_MAX when none. */
static size_t find_record(const struct ie_manifest *m, const char *path)
{
    char *real = realpath(path, NULL);
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < m->n && found == SIZE_MAX; i++) {
        const char *p = m->recs[i].path;
        if (strcmp(p, path) == 0 || strcmp(ie_marks_rel_path(m->meta.input_dir, p), path) == 0)
            found = i;
        else if (real) {
            char *rp = realpath(p, NULL);
            if (rp && strcmp(rp, real) == 0)
                found = i;
            free(rp);
        }
    }
    free(real);
    return found;
}

static int marks_set(const struct marks_args *a, const struct ie_manifest *m)
{
    struct ie_marks mk;
    struct ie_err err = {0};
    enum ie_mark_kind kind = IE_MARK_NONE;
    char *group = NULL;
    int rc = 1;
    ie_marks_init(&mk);
    if (!a->kind || (strcmp(a->kind, "none") != 0 && ie_mark_parse(a->kind, &kind, &err) < 0)) {
        cli_error("--mark: remove, keep, ok, not_duplicate or none");
        goto out;
    }
    if (a->n_paths < (kind == IE_MARK_NOT_DUPLICATE ? 2 : 1)) {
        cli_error(kind == IE_MARK_NOT_DUPLICATE ? "not_duplicate needs two PATHs or more"
                                                : "set needs a PATH");
        goto out;
    }
    if (load_marks(a->file, &mk, true) < 0)
        goto out;
    if (kind == IE_MARK_NOT_DUPLICATE)
        group = ie_marks_new_group(&mk);
    for (int k = 0; k < a->n_paths; k++) {
        size_t i = find_record(m, a->paths[k]);
        if (i == SIZE_MAX) {
            cli_error("%s: not in %s", a->paths[k], a->manifest);
            goto out;
        }
        const struct ie_record *r = &m->recs[i];
        const char *rel = ie_marks_rel_path(m->meta.input_dir, r->path);
        if (kind == IE_MARK_NOT_DUPLICATE)
            ie_marks_add(&mk, r->content_hash, rel, kind, group);
        else
            ie_marks_set(&mk, r->content_hash, rel, kind);
    }
    if (ie_marks_save(a->file, &mk, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    printf("%s: %d image%s marked %s%s%s\n", a->file, a->n_paths, a->n_paths == 1 ? "" : "s",
           kind ? ie_mark_name(kind) : "none", group ? " as set " : "", group ? group : "");
    rc = 0;
out:
    free(group);
    ie_marks_release(&mk);
    return rc;
}

static int marks_list(const struct marks_args *a, const struct ie_manifest *m)
{
    struct ie_marks mk;
    struct ie_marks_applied ap;
    ie_marks_init(&mk);
    ie_marks_applied_init(&ap);
    int rc = 1;
    if (load_marks(a->file, &mk, false) < 0)
        goto out;
    if (!m) {
        for (size_t i = 0; i < mk.n; i++)
            printf("%-13s %-8s %s%s%s\n", ie_mark_name(mk.v[i].kind),
                   mk.v[i].content_hash ? mk.v[i].content_hash + 9 : "-", mk.v[i].path,
                   mk.v[i].group ? "  " : "", mk.v[i].group ? mk.v[i].group : "");
        printf("%zu mark%s\n", mk.n, mk.n == 1 ? "" : "s");
        rc = 0;
        goto out;
    }
    if (cli_apply_marks(a->file, m, a->threshold, &ap) < 0)
        goto out;
    for (size_t i = 0; i < m->n; i++) {
        bool nd = ap.nd_start[i + 1] > ap.nd_start[i];
        if (!ap.kind[i] && !nd && !ap.removed[i])
            continue;
        printf("%-8s %-14s %-7s %s\n", ap.kind[i] ? ie_mark_name(ap.kind[i]) : "-",
               nd ? "not_duplicate" : "", ap.removed[i] ? "removed" : "", m->recs[i].path);
    }
    cli_print_marks_line(&ap);
    rc = 0;
out:
    ie_marks_applied_release(&ap);
    ie_marks_release(&mk);
    return rc;
}

/* remove-list and clean: what the marks take out, or what they leave, to OUT or stdout. */
static int marks_write(const struct marks_args *a, const struct ie_manifest *m, bool clean)
{
    struct ie_marks_applied ap;
    struct ie_buf b;
    struct ie_err err = {0};
    int rc = 1;
    ie_marks_applied_init(&ap);
    ie_buf_init(&b);
    if (cli_apply_marks(a->file, m, a->threshold, &ap) < 0)
        goto out;
    ie_marks_write(m, &ap, clean, NULL, &b);
    if (a->out ? ie_write_file_atomic(a->out, b.data ? b.data : "", b.len, &err) < 0
               : fwrite(b.data ? b.data : "", 1, b.len, stdout) != b.len || fflush(stdout)) {
        cli_error("cannot write %s%s%s", a->out ? a->out : "to stdout", err.msg[0] ? ": " : "",
                  err.msg);
        goto out;
    }
    rc = 0;
out:
    ie_buf_release(&b);
    ie_marks_applied_release(&ap);
    return rc;
}

int cmd_marks(int argc, char **argv)
{
    struct marks_args a;
    struct ie_manifest m;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 1 : 0;
    bool set = strcmp(a.sub, "set") == 0, list = strcmp(a.sub, "list") == 0;
    bool rlist = strcmp(a.sub, "remove-list") == 0, clean = strcmp(a.sub, "clean") == 0;
    if (!set && !list && !rlist && !clean) {
        cli_error("unknown marks subcommand '%s'", a.sub);
        fputs(marks_usage, stderr);
        return 1;
    }
    if (!list && a.n_paths && !set) {
        cli_error("unexpected argument '%s'", a.paths[0]);
        return 1;
    }
    if ((set || rlist || clean) && !a.manifest) {
        cli_error("marks %s needs -m MANIFEST", a.sub);
        return 1;
    }
    if (clean && !a.out) {
        cli_error("marks clean needs -o OUT");
        return 1;
    }
    ie_manifest_init(&m);
    rc = 1;
    if (a.manifest && cli_load_manifest(a.manifest, &m, false) < 0)
        goto out;
    if (set)
        rc = marks_set(&a, &m);
    else if (list)
        rc = marks_list(&a, a.manifest ? &m : NULL);
    else
        rc = marks_write(&a, &m, clean);
out:
    ie_manifest_release(&m);
    return rc;
}
