/* The marks table (migrations/0004_marks.sql): marks of a scan root's images, read as a
 * struct ie_marks for core/marks.c and changed a request at a time.
 * THREADS: every function uses only the connection it is given. */
#ifndef IMGEDA_SERVER_MARKS_DB_H
#define IMGEDA_SERVER_MARKS_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "imgeda/err.h"
#include "imgeda/marks.h"

/* One image a mark is put on: its content hash (NULL when the record has none) and its path
 * relative to the root. */
struct srv_mark_target {
    const char *content_hash;
    const char *path;
};

/* Appends the marks of root to mk (initialised), ordered by path, mark, group. */
int srv_marks_load(sqlite3 *db, const char *root, struct ie_marks *mk, struct ie_err *err);

/* The version of root's marks (0 when they were never changed), which srv_marks_put bumps. */
int srv_marks_version(sqlite3 *db, const char *root, int64_t *version, struct ie_err *err);

/* Appends root's marks to mk (initialised) and reads their version, both in one read
 * transaction, so the version names exactly these marks. */
int srv_marks_load_versioned(sqlite3 *db, const char *root, struct ie_marks *mk, int64_t *version,
                             struct ie_err *err);

/* In one transaction, which also bumps root's marks version: remove/keep/ok replace the images'
 * remove/keep/ok mark; not_duplicate puts all of them in a new set (its name in *group when group
 * is not NULL, caller frees); IE_MARK_NONE clears every mark of the images, their not_duplicate
 * memberships included. */
int srv_marks_put(sqlite3 *db, const char *root, const struct srv_mark_target *t, size_t n,
                  enum ie_mark_kind kind, char **group, struct ie_err *err);

#endif
