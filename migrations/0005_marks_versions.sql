-- A version per scan root that every change of the root's marks bumps (in the change's own
-- transaction), so that results computed with the marks applied (summary?marks=apply, a gate with
-- marks) are cached under it and a change makes them miss. A root without a row is at version 0.
CREATE TABLE marks_versions (
    root    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
