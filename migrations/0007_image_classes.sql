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
