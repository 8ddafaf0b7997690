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
    is_corrupt       INTEGER NOT NULL,
    is_dark          INTEGER NOT NULL,
    is_overexposed   INTEGER NOT NULL,
    is_blurry        INTEGER NOT NULL,
    has_border_artifact INTEGER NOT NULL,
    is_duplicate     INTEGER NOT NULL DEFAULT 0,
    phash            TEXT,
    record_json      TEXT NOT NULL,
    PRIMARY KEY (scan_id, id)
) WITHOUT ROWID;
CREATE INDEX images_by_path ON images (scan_id, path);
