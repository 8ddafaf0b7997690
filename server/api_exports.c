/* A scan's data as files: its JSONL manifest (download and import) and the exports (CSV and
 * JSONL streamed as produced, SQLite and Parquet built once next to the manifest). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_internal.h"
#include "engine/export_sqlite.h"
#include "imgeda/export.h"
#include "imgeda/manifest.h"
#include "imgeda/parquet.h"
#include "imgeda/util.h"
#include "jobs.h"
#include "log.h"

enum MHD_Result srv_h_manifest_get(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    char name[64];
    if (srv_api_marks_wanted(r))
        return srv_api_marks_manifest(r);
    if (srv_api_load_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    snprintf(name, sizeof(name), "%s.jsonl", row.id);
    enum MHD_Result rc = srv_reply_file(r, row.manifest_path, "application/x-ndjson", name);
    srv_scan_row_release(&row);
    return rc;
}

/* The import's reply once the upload is indexed: the scan, succeeded, and its warm-up queued. */
static enum MHD_Result import_done(struct srv_req *r, sqlite3 *db, const char *id,
                                   const struct srv_index_stats *st)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0}, ignored = {0};
    struct ie_scan_progress p = {0};
    p.total = p.processed = p.durable = (size_t)st->total;
    p.corrupt = (size_t)st->corrupt;
    srv_store_set_progress(db, id, &p, NULL);
    if (st->input_dir)
        srv_store_set_root(db, id, st->input_dir, NULL);
    /* The classes come from the annotation files under the header's root, when that is a folder
     * this daemon may read; otherwise the import has none. */
    if (st->input_dir && srv_api_path_allowed(r->ctx->cfg, st->input_dir) &&
        srv_store_index_classes(db, id, st->input_dir, &ignored) < 0)
        srv_log(SRV_LOG_INFO, "import %s: no image classes: %s", id, ignored.msg);
    srv_store_set_status(db, id, "succeeded", NULL, NULL);
    /* The warm-up caches what a dashboard opens the scan with, reading the manifest on the
     * thread pool; the reply does not wait for it. */
    srv_jobs_warm(r->ctx->jobs, id, NULL, &ignored);
    if (srv_store_get_scan(db, id, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    enum MHD_Result rc = srv_reply_json(r, 201, srv_api_scan_json(r, &row));
    srv_scan_row_release(&row);
    return rc;
}

/* The body arrives as a file (upload.h: written as it came, within import.max_bytes), which
 * becomes the scan's manifest and is indexed line by line on this connection's thread (the loop
 * stays free). A malformed or truncated upload stores nothing: the scan made for it is deleted. */
enum MHD_Result srv_h_manifest_import(struct srv_req *r)
{
    struct ie_err err = {0}, ignored = {0};
    struct srv_scan_row row = {0};
    struct srv_index_stats st = {0};
    char *id = NULL;
    enum MHD_Result rc;
    const char *name = NULL;
    size_t name_len = 0;
    sqlite3 *db;
    /* With its length: %00 in the query would otherwise cut the name short unseen. */
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, "name", 4, &name,
                                      &name_len) == MHD_YES &&
        name && srv_api_check_label("name", name, name_len, &err) < 0)
        return srv_reply_ie_err(r, &err);
    if (!r->upload_path)
        return srv_reply_error(r, 500, "internal", "the upload was not stored");
    if (srv_jobs_import(r->ctx->jobs, r->upload_path, name, &id, &err) < 0)
        return srv_reply_ie_err(r, &err);
    if (!(db = srv_http_db(r, &err)) || srv_store_get_scan(db, id, &row, &err) < 0 ||
        srv_store_import_manifest(db, id, row.manifest_path, &st, &err) < 0) {
        if (db)
            srv_store_set_status(db, id, "failed", err.msg, &ignored);
        srv_jobs_delete(r->ctx->jobs, id, &ignored);
        rc = srv_reply_ie_err(r, &err);
        goto out;
    }
    rc = import_done(r, db, id, &st);
out:
    free(st.input_dir);
    srv_scan_row_release(&row);
    free(id);
    return rc;
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ssize_t n = ie_export_reader_read(cls, buf, max, NULL);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void export_free(void *cls)
{
    ie_export_reader_free(cls);
}

/* An export built into a file next to the manifest and served from disk. */
struct built_export {
    const char *ext;          /* the file's extension: export.<ext> */
    const char *content_type; /* of the download */
    int (*write)(const char *manifest_path, const char *out_path, struct ie_export_stats *st,
                 struct ie_err *err); /* writes out_path through out_path.tmp */
};

static const struct built_export sqlite_export = {"sqlite", "application/vnd.sqlite3",
                                                  eng_export_sqlite_write};
static const struct built_export parquet_export = {"parquet", "application/vnd.apache.parquet",
                                                   ie_parquet_write_path};

/* Builds the export of the scan's manifest into a file of its own, part (a mkstemp template),
 * whose exporter writes part.tmp first, and renames it to path. */
static int build_export(const struct built_export *k, const char *manifest_path, const char *path,
                        struct ie_buf *part, struct ie_buf *part_tmp, struct ie_err *err)
{
    int fd = mkstemp(part->data);
    if (fd < 0)
        return ie_err_set(err, IE_EIO, "cannot create %s: %s", part->data, strerror(errno));
    close(fd);
    ie_buf_addf(part_tmp, "%s.tmp", part->data);
    int rc = k->write(manifest_path, part->data, NULL, err);
    if (rc == 0 && rename(part->data, path) < 0)
        rc = ie_err_set(err, IE_EIO, "cannot rename %s: %s", part->data, strerror(errno));
    if (rc < 0) {
        unlink(part->data);
        unlink(part_tmp->data);
    }
    return rc;
}

/* Serves the scan's SQLite or Parquet export from <scan dir>/export.<ext>, built first unless
 * it is there and newer than the manifest. Each build writes a file of its own and renames it
 * into place, so simultaneous requests never see another's half-built file; one that races a
 * DELETE of the scan answers 404 and leaves nothing in the removed folder. */
static enum MHD_Result export_built(struct srv_req *r, const struct srv_scan_row *row,
                                    const char *name, const struct built_export *k)
{
    struct ie_err err = {0};
    struct ie_buf path, part, part_tmp;
    struct stat st, mst;
    enum MHD_Result rc;
    char *dir = srv_scan_dir(r->ctx->cfg, row->id);
    ie_buf_init(&path);
    ie_buf_init(&part);
    ie_buf_init(&part_tmp);
    ie_buf_addf(&path, "%s/export.%s", dir, k->ext);
    ie_buf_addf(&part, "%s/export.%s.XXXXXX", dir, k->ext);
    if (stat(path.data, &st) == 0 && stat(row->manifest_path, &mst) == 0 &&
        st.st_mtime >= mst.st_mtime) {
        rc = srv_reply_file(r, path.data, k->content_type, name);
        goto out;
    }
    int brc = build_export(k, row->manifest_path, path.data, &part, &part_tmp, &err);
    const char *written[] = {path.data, part.data, part_tmp.len ? part_tmp.data : NULL, NULL};
    if (srv_api_scan_cleanup_if_deleted(r, row->id, written))
        rc = srv_api_reply_deleted(r, row->id);
    else if (brc < 0)
        rc = srv_reply_ie_err(r, &err);
    else
        rc = srv_reply_file(r, path.data, k->content_type, name);
out:
    ie_buf_release(&path);
    ie_buf_release(&part);
    ie_buf_release(&part_tmp);
    free(dir);
    return rc;
}

/* GET export.{csv|jsonl|sqlite|parquet}: CSV and JSONL stream as they are produced; the SQLite
 * and Parquet files are built once per finished scan next to its manifest, then served from disk
 * (a Parquet footer comes last, so the file cannot be sent as it is written). */
enum MHD_Result srv_h_export(struct srv_req *r)
{
    struct srv_scan_row row = {0};
    struct ie_err err = {0};
    enum ie_export_format f;
    enum MHD_Result rc;
    char name[96];
    if (ie_export_format_parse(r->params[1], &f, &err) < 0)
        return srv_reply_error(r, 404, "not_found",
                               "no export format \"%s\" (csv, jsonl, sqlite, parquet)",
                               r->params[1]);
    if (srv_api_load_finished_scan(r, &row, &err) < 0)
        return srv_reply_ie_err(r, &err);
    snprintf(name, sizeof(name), "%s.%s", row.id, ie_export_format_name(f));
    if (f == IE_EXPORT_SQLITE || f == IE_EXPORT_PARQUET) {
        rc = export_built(r, &row, name, f == IE_EXPORT_SQLITE ? &sqlite_export : &parquet_export);
        srv_scan_row_release(&row);
        return rc;
    }
    struct ie_export_reader *rd = NULL;
    if (ie_export_reader_open(row.manifest_path, f, &rd, &err) < 0) {
        rc = srv_api_reply_scan_err(r, row.id, &err);
        srv_scan_row_release(&row);
        return rc;
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                  export_read, rd, export_free);
    MHD_add_response_header(resp, "Content-Type",
                            f == IE_EXPORT_CSV ? "text/csv; charset=utf-8"
                                               : "application/x-ndjson");
    char cd[160];
    snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", name);
    MHD_add_response_header(resp, "Content-Disposition", cd);
    rc = srv_reply_response(r, 200, resp);
    srv_scan_row_release(&row);
    return rc;
}
