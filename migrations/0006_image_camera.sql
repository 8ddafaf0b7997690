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
