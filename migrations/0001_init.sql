-- Scans and their indexed records. Applied once, tracked by PRAGMA user_version.
CREATE TABLE scans (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    root          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    options_json  TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    imported      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    error         TEXT,
    total         INTEGER NOT NULL DEFAULT 0,
    processed     INTEGER NOT NULL DEFAULT 0,
    corrupt       INTEGER NOT NULL DEFAULT 0,
    bytes         INTEGER NOT NULL DEFAULT 0,
    rate_per_s    REAL NOT NULL DEFAULT 0,
    eta_s         REAL,
    seq           INTEGER NOT NULL
);
CREATE INDEX scans_by_seq ON scans (seq DESC);
CREATE INDEX scans_by_root ON scans (root, seq DESC);

-- One row per record with the columns the API filters and sorts on. Rows stay small (the
-- full record lives in image_records under the same rowid), so index walks that check a flag
-- read little.
CREATE TABLE images (
    scan_id          TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    id               INTEGER NOT NULL,
    path             TEXT NOT NULL,
    filename         TEXT NOT NULL,
    format           TEXT,
    width            INTEGER,
    height           INTEGER,
    file_size_bytes  INTEGER,
    mean_brightness  REAL,
    blur_score       REAL,
    border_delta     REAL,
    -- Flags as bits (1 corrupt, 2 dark, 4 overexposed, 8 blurry, 16 artifact, 32 duplicate),
    -- carried in every sort index so a filtered walk never leaves the index.
    flags            INTEGER NOT NULL,
    phash            TEXT,
    UNIQUE (scan_id, id)
);
CREATE INDEX images_by_path ON images (scan_id, path);

CREATE TABLE image_records (
    rowid_ref   INTEGER PRIMARY KEY,  -- images.rowid
    id          INTEGER NOT NULL,     -- images.id, so a page needs no second images lookup
    record_json TEXT NOT NULL
);
CREATE TRIGGER images_drop_record AFTER DELETE ON images BEGIN
    DELETE FROM image_records WHERE rowid_ref = OLD.rowid;
END;
