/* Manifest export to Apache Parquet (imgeda's `export parquet`), written by a small writer of
 * our own: Debian 12 ships no C Parquet library.
 *
 * The file holds one row per exported record, in the CSV export's order, and one column per CSV
 * column (ie_export_columns: same names, same order, same cells): IE_EXPORT_INT as INT64,
 * IE_EXPORT_REAL as DOUBLE, IE_EXPORT_BOOL as BOOLEAN, IE_EXPORT_TEXT as BYTE_ARRAY annotated
 * STRING (UTF-8). Every column is OPTIONAL; a null cell (a CSV empty field, an SQLite NULL) is a
 * null. Pages are zstd-compressed (level 1, as Arrow's default); text columns with few distinct
 * values in a row group (format, camera make, model...) are dictionary-encoded, the rest PLAIN.
 * Each column chunk carries min/max/null_count statistics. The footer's key-value metadata holds
 * the manifest's header line under "imgeda.manifest_header" when the manifest has one.
 *
 * Memory stays flat: the manifest is streamed (ie_export_source), rows are buffered one row
 * group at a time (65,536 rows, or fewer once the group holds 64 MiB) and written out. The
 * environment variable IE_PARQUET_ROW_GROUP_ROWS (1..1048576) sets another row count per group;
 * it exists for tests that need several row groups from a small manifest.
 * THREADS: no shared state; safe to call from several threads at once. */
#ifndef IMGEDA_PARQUET_H
#define IMGEDA_PARQUET_H

#include "imgeda/err.h"
#include "imgeda/export.h"

/* Writes the Parquet export of manifest_path to out_path through out_path.tmp + fsync + rename
 * (an existing file is replaced). st may be NULL. Returns 0, or IE_EINVAL (out_path is the
 * manifest), IE_ENOENT/IE_EIO/IE_EFORMAT from the manifest, IE_EIO when writing fails, with a
 * message in err. */
int ie_parquet_write_path(const char *manifest_path, const char *out_path,
                          struct ie_export_stats *st, struct ie_err *err);

#endif
