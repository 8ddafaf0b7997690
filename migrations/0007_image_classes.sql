-- The class filter of GET images (issue 12): each image's classes, as the annotation analysis of
-- the scan's root finds them (the class folder of a classification image, the classes of a YOLO,
-- COCO or VOC image's boxes), one row per image and class, keyed for "the images of class X".
-- The daemon fills it when it indexes a scan, or an import whose root it may read
-- (store_classes.c). Rows stored before this migration get none here: the classes are in the
-- dataset's annotation files, not in the stored records, so a scan made before shows its classes
-- once it is scanned again.
CREATE TABLE image_classes (
    scan_id  TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    class    TEXT NOT NULL,
    image_id INTEGER NOT NULL, -- images.id
    PRIMARY KEY (scan_id, class, image_id)
) WITHOUT ROWID;

-- Migration 0006 filled images.split for the rows stored before it, but not their counts: a scan
-- stored before it listed no splits ("splits": {}), so the dashboard offered no split choice for
-- it although split= found its images. They are counted here as srv_store_write_counts counts
-- them (a scan indexed since then already has the same rows).
INSERT OR REPLACE INTO scan_counts (scan_id, key, n)
    SELECT scan_id, 'split:' || split, COUNT(*) FROM images WHERE split IS NOT NULL
    GROUP BY scan_id, split;
