/* SQLite export of a manifest (SPEC §4.7, beyond imgeda): one row per record in a table
 * `images` with typed columns (the same columns as the CSV export, see imgeda/export.h), and a
 * table `meta` (key, value) holding the manifest header and the export's own facts.
 * It lives in engine/ because core never links SQLite.
 * THREADS: uses its own connection; safe to call from any thread. */
#ifndef IMGEDA_ENGINE_EXPORT_SQLITE_H
#define IMGEDA_ENGINE_EXPORT_SQLITE_H

#include "imgeda/err.h"
#include "imgeda/export.h"

/* Writes the SQLite file out_path (through out_path.tmp + fsync + rename; an existing file is
 * replaced). Streams the manifest with ie_export_source, one transaction. st may be NULL.
 * Returns 0, or IE_EINVAL (out_path is the manifest), IE_ENOENT/IE_EIO/IE_EFORMAT from the
 * manifest, IE_EIO for SQLite failures, with a message in err. */
int eng_export_sqlite_write(const char *manifest_path, const char *out_path,
                            struct ie_export_stats *st, struct ie_err *err);

#endif
