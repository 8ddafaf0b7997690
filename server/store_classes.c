/* Each image's classes (image_classes, migration 0007) from the annotation analysis of a root. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "imgeda/annotations.h"
#include "imgeda/util.h"
#include "store.h"

/* The (image, class) pairs the analysis reported, as "image\0class\0" one after the other:
 * gathered before the write transaction opens, so the walk of a large tree never holds the
 * database's write lock. */
struct class_pairs {
    struct ie_buf b;
    size_t n;
};

static void collect(void *ctx, const char *image, const char *const *classes, size_t n)
{
    struct class_pairs *p = ctx;
    for (size_t i = 0; i < n; i++) {
        ie_buf_add(&p->b, image, strlen(image) + 1);
        ie_buf_add(&p->b, classes[i], strlen(classes[i]) + 1);
        p->n++;
    }
}

/* Runs one statement that takes the scan id as ?1. */
static int exec_scan(sqlite3 *db, const char *sql, const char *scan_id, struct ie_err *err)
{
    sqlite3_stmt *st;
    int rc = srv_db_prepare(db, sql, &st, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_text(st, 1, scan_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* Stores the pairs as rows of scan_id's images, matched by path: root, a slash, the image's
 * path relative to root (as the scan's records name it). An image the scan has no record of
 * (the analysis and the scan disagree on hidden files, say) is left out. */
static int write_pairs(sqlite3 *db, const char *scan_id, const char *root,
                       const struct class_pairs *p, struct ie_err *err)
{
    sqlite3_stmt *ins = NULL;
    struct ie_buf path;
    size_t root_len = root ? strlen(root) : 0;
    ie_buf_init(&path);
    while (root_len && root[root_len - 1] == '/')
        root_len--;
    int rc = srv_db_prepare(db,
                            "INSERT OR IGNORE INTO image_classes (scan_id, class, image_id) "
                            "SELECT ?1, ?2, id FROM images WHERE scan_id = ?1 AND path = ?3",
                            &ins, err);
    const char *s = p->b.data;
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        const char *image = s, *cls = s + strlen(s) + 1;
        s = cls + strlen(cls) + 1;
        ie_buf_reset(&path);
        ie_buf_add(&path, root, root_len);
        ie_buf_addc(&path, '/');
        ie_buf_adds(&path, image);
        /* A class folder's name is bytes as on disk; the API speaks UTF-8. */
        size_t len = strlen(cls);
        char *safe = ie_utf8_valid(cls, len) ? NULL : ie_utf8_sanitize(cls, len);
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, scan_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, safe ? safe : cls, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, path.data, (int)path.len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = ie_err_set(err, IE_EIO, "database: %s", sqlite3_errmsg(db));
        free(safe);
    }
    sqlite3_finalize(ins);
    ie_buf_release(&path);
    return rc;
}

int srv_store_index_classes(sqlite3 *db, const char *scan_id, const char *root, struct ie_err *err)
{
    struct class_pairs pairs = {.n = 0};
    struct ie_annot_options o;
    struct ie_annot_result res;
    struct ie_err aerr = {0};
    int arc = 0, rc;
    ie_buf_init(&pairs.b);
    ie_annot_options_init(&o);
    o.on_image = collect;
    o.on_image_ctx = &pairs;
    ie_annot_result_init(&res);
    /* A bucket's annotation files are not fetched: its scan has no classes. */
    if (root && strncmp(root, "s3://", 5) != 0)
        arc = ie_annot_analyze(root, &o, &res, &aerr);
    ie_annot_result_release(&res);
    if (arc < 0)
        pairs.n = 0;
    /* The rows of an earlier indexing go even when the analysis failed: they name image ids
     * that the new records reuse for other files. */
    if ((rc = srv_db_exec(db, "BEGIN IMMEDIATE", err)) < 0)
        goto out;
    if ((rc = exec_scan(db, "DELETE FROM image_classes WHERE scan_id = ?1", scan_id, err)) < 0 ||
        (rc = write_pairs(db, scan_id, root, &pairs, err)) < 0 ||
        (rc = srv_store_write_counts(db, scan_id, err)) < 0 ||
        (rc = srv_db_exec(db, "COMMIT", err)) < 0) {
        srv_db_exec(db, "ROLLBACK", NULL);
        goto out;
    }
    if (arc < 0)
        rc = ie_err_set(err, arc, "%s", aerr.msg);
out:
    ie_buf_release(&pairs.b);
    return rc;
}
