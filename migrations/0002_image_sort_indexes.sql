-- Paging sorted and filtered records of large scans answers from indexes: one per sortable
-- column, and per-scan counts so the total of a filtered page needs no COUNT(*) over 10^6 rows.
CREATE INDEX images_by_filename ON images (scan_id, filename);
CREATE INDEX images_by_format ON images (scan_id, format);
CREATE INDEX images_by_width ON images (scan_id, width);
CREATE INDEX images_by_height ON images (scan_id, height);
CREATE INDEX images_by_size ON images (scan_id, file_size_bytes);
CREATE INDEX images_by_brightness ON images (scan_id, mean_brightness);
CREATE INDEX images_by_blur ON images (scan_id, blur_score);
CREATE INDEX images_by_delta ON images (scan_id, border_delta);

CREATE TABLE scan_counts (
    scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,  -- 'all', 'flag:<name>' or 'format:<name>'
    n       INTEGER NOT NULL,
    PRIMARY KEY (scan_id, key)
) WITHOUT ROWID;
