-- Records are made valid UTF-8 once, when a manifest is indexed (invalid bytes become \u00XX
-- escapes), and marked so; pages of records are then served as stored. Rows indexed before this
-- migration keep utf8 = 0 and are still checked each time they are served.
ALTER TABLE image_records ADD COLUMN utf8 INTEGER NOT NULL DEFAULT 0;
