-- Paging sorted and filtered records of large scans answers from indexes: one per sortable
-- column, each carrying the flag bits so a flag filter is checked inside the index, and
-- per-scan counts so the total of a filtered page needs no COUNT(*) over 10^6 rows.
CREATE INDEX images_by_id ON images (scan_id, id, flags);
CREATE INDEX images_by_filename ON images (scan_id, filename, flags);
CREATE INDEX images_by_format ON images (scan_id, format, flags);
CREATE INDEX images_by_width ON images (scan_id, width, flags);
CREATE INDEX images_by_height ON images (scan_id, height, flags);
CREATE INDEX images_by_size ON images (scan_id, file_size_bytes, flags);
CREATE INDEX images_by_brightness ON images (scan_id, mean_brightness, flags);
CREATE INDEX images_by_blur ON images (scan_id, blur_score, flags);
CREATE INDEX images_by_delta ON images (scan_id, border_delta, flags);

CREATE TABLE scan_counts (
    scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,  -- 'all', 'flag:<name>' or 'format:<name>'
    n       INTEGER NOT NULL,
    PRIMARY KEY (scan_id, key)
) WITHOUT ROWID;
