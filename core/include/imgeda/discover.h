/* File discovery (SPEC §3.1): a recursive walk of a root, filtered by extension, sorted by
 * path. Symlinked files are followed; symlinked directories are followed once each (a directory
 * reached twice, e.g. through a loop, is skipped). Unreadable directories become warnings.
 * THREADS: no shared state. */
#ifndef IMGEDA_DISCOVER_H
#define IMGEDA_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgeda/analyze.h"
#include "imgeda/err.h"

struct ie_found_file {
    char *fs_path;     /* bytes as on disk, for open(); for a listed file, its key */
    char *record_path; /* valid UTF-8: non-UTF-8 bytes as \xNN */
    /* A listed file (an object of a bucket, engine/s3_scan.c) is never opened here: its size
     * and mtime come from the listing and its bytes from the driver (ie_scan_analyze_bytes). */
    bool listed;
    int64_t size;
    double mtime;
};

struct ie_file_list {
    struct ie_found_file *v;
    size_t n, cap;
    char **warnings; /* one line each */
    size_t n_warnings, cap_warnings;
};

void ie_file_list_init(struct ie_file_list *l);
void ie_file_list_release(struct ie_file_list *l);
/* Sorts l by record_path, the order ie_discover returns and a finished manifest keeps. */
void ie_file_list_sort(struct ie_file_list *l);

/* Normalises a root like Python's pathlib.Path: "a//b/./c/" -> "a/b/c", "./x" -> "x". */
char *ie_path_normalize(const char *p);
/* Absolute form of p (cwd-joined, normalised, symlinks kept), like os.path.abspath. */
char *ie_path_absolute(const char *p);

/* Walks root, keeping files with one of o's extensions and, with o->shard, those of that shard
 * (ie_scan_options_in_shard on the path relative to root). Returns 0, or IE_ENOENT / IE_EIO when
 * root itself is not a readable directory. */
int ie_discover(const char *root, const struct ie_scan_options *o, struct ie_file_list *out,
                struct ie_err *err);

#endif
