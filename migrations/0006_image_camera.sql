-- The camera filter reads a column, not every stored record: EXIF make, a space, then model, as
-- the filter matches it (case-insensitive substring). Rows stored before this migration are
-- filled here from their record JSON; an index carrying the flags lets a camera COUNT(*) stay
-- inside it.
ALTER TABLE images ADD COLUMN camera TEXT;
UPDATE images SET camera = (
    SELECT CASE WHEN json_valid(r.record_json)
                THEN coalesce(json_extract(r.record_json, '$.camera_make'), '') || ' ' ||
                     coalesce(json_extract(r.record_json, '$.camera_model'), '')
                ELSE ' ' END
    FROM image_records r WHERE r.rowid_ref = images.rowid);
CREATE INDEX images_by_camera ON images (scan_id, camera, flags);

-- The split filter: the split folder (train, val, valid, validation, test) of each image below
-- the scan's root, found by path_split (a function every connection registers, db.c, on the
-- annotation analysis' own split detection); NULL outside every split.
ALTER TABLE images ADD COLUMN split TEXT;
UPDATE images SET split = path_split(path, (SELECT root FROM scans WHERE scans.id = images.scan_id));
CREATE INDEX images_by_split ON images (scan_id, split, flags);
