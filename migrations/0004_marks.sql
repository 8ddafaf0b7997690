-- Marks a reviewer puts on images (issue 12), kept per scan root so they carry over to later
-- scans of the same folder: keyed by the file's content hash ('' when the record has none) and
-- its path relative to the root, which tells byte-identical copies apart. An image holds at most
-- one of remove, keep, ok (the daemon replaces the old one), and any number of not_duplicate
-- rows, one per set (grp names the set; '' for the other marks).
CREATE TABLE marks (
    root         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    path         TEXT NOT NULL,
    mark         TEXT NOT NULL CHECK (mark IN ('remove', 'keep', 'ok', 'not_duplicate')),
    grp          TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (root, content_hash, path, mark, grp)
) WITHOUT ROWID;
