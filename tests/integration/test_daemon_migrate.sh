#!/usr/bin/env bash
# A database made by an older imgedad, upgraded by this one (issue 12): the schema of migrations
# 0001..0005 is built here with sqlite3 from migrations/, holding a finished scan whose records
# carry EXIF make/model in their JSON and paths under split folders, as imgedad stored them
# before 0006. The daemon started on it applies 0006 and 0007: 0006's backfill fills
# images.camera from the record JSON (a record that is not JSON, or has no EXIF, gets none) and
# images.split from the path below the scan's root, so camera= and split= find the old rows, and
# 0007 counts the old scans' splits (0006 did not: the page listed no splits, so the dashboard
# offered no split choice for a scan stored before it); 0007 also adds image_classes, empty for the old scan (its classes live in annotation files, so
# none are made up), and the scan lists no classes.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

SID=0123456789abcdef0123
ROOT="$WORK/train/ds" # a train/ folder above the root is not a split
DB="$WORK/var/imgedad.db"
mkdir -p "$WORK/var/scans/$SID"
: >"$WORK/var/scans/$SID/manifest.jsonl"
{
  for m in "$SRC"/migrations/000[1-5]_*.sql; do cat "$m"; echo; done
  echo "PRAGMA user_version = 5;"
  cat <<SQL
INSERT INTO scans (id, name, root, status, options_json, manifest_path, created_at, finished_at,
                   total, processed, seq)
VALUES ('$SID', 'old', '$ROOT', 'succeeded', '{}', '$WORK/var/scans/$SID/manifest.jsonl',
        '2026-01-01T00:00:00+00:00', '2026-01-01T00:01:00+00:00', 5, 5, 1);
INSERT INTO scan_counts (scan_id, key, n) VALUES ('$SID', 'all', 5), ('$SID', 'flag:corrupt', 0),
  ('$SID', 'flag:dark', 0), ('$SID', 'flag:overexposed', 0), ('$SID', 'flag:blurry', 0),
  ('$SID', 'flag:artifact', 0), ('$SID', 'flag:duplicate', 0), ('$SID', 'format:JPEG', 5);
SQL
  # id|relative path|record JSON's EXIF part ('' for none; BROKEN for a record that is not JSON)
  n=0
  while IFS='|' read -r id rel exif; do
    n=$((n + 1))
    name=${rel##*/}
    if [ "$exif" = BROKEN ]; then json="{not json"; else
      json="{\"path\":\"$ROOT/$rel\",\"filename\":\"$name\",\"format\":\"JPEG\"${exif}}"; fi
    cat <<SQL
INSERT INTO images (scan_id, id, path, filename, format, width, height, file_size_bytes,
                    mean_brightness, blur_score, border_delta, flags, phash)
VALUES ('$SID', $id, '$ROOT/$rel', '$name', 'JPEG', 64, 48, 1000, 100, 50, 1, 0, NULL);
INSERT INTO image_records (rowid_ref, id, record_json, utf8) VALUES ($n, $id, '$json', 1);
SQL
  done <<'ROWS'
1|train/a.jpg|,"camera_make":"Canon","camera_model":"EOS 5D"
2|train/b.jpg|,"camera_make":"Canon","camera_model":"EOS R6"
3|val/c.jpg|,"camera_make":"NIKON CORPORATION","camera_model":"D750"
4|val/d.jpg|
5|e.jpg|BROKEN
ROWS
} | sqlite3 "$DB"
[ "$(sqlite3 "$DB" 'PRAGMA user_version')" = 5 ] || fail "the old database is not at version 5"
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM pragma_table_info('images') WHERE name = 'camera'")" = 0 ] ||
  fail "the old schema already has images.camera"
ok "a database as imgedad wrote it before migration 0006"

start_daemon "$WORK/var"
check() { expect_names "$SID" "$@"; } # check QUERY EXPECTED WHAT
check "camera=canon" "a.jpg b.jpg / 2" "camera= finds the rows stored before 0006 (make, any case)"
check "camera=EOS%20R6" "b.jpg / 1" "camera= matches make and model as one text"
check "camera=nikon%20corporation%20d7" "c.jpg / 1" "camera= across the make and model"
check "camera=sony" " / 0" "a camera no old row has"
check "split=train" "a.jpg b.jpg / 2" "split= finds the old rows under train/ below the root"
check "split=val&camera=nikon" "c.jpg / 1" "split and camera of the old rows together"
expect_api 200 GET "/api/v1/scans/$SID/images?limit=100"
[ "$(json "' '.join(str(i['id']) for i in d['images']) + ' / ' + str(d['total'])")" = "1 2 3 4 5 / 5" ] ||
  fail "old rows: $(cat "$WORK/body")"
ok "every old row is still listed (the one whose record is not JSON too)"
[ "$(json "sorted(d['splits'].items())")" = "[('train', 2), ('val', 2)]" ] ||
  fail "splits: $(cat "$WORK/body")"
ok "the old scan lists its splits with their counts (the dashboard offers the choice)"
[ "$(json "sorted(d['classes'].items())")" = "[]" ] || fail "classes: $(cat "$WORK/body")"
ok "the old scan lists no classes (none are made up)"
stop_daemon TERM
[ "$(sqlite3 "$DB" 'PRAGMA user_version')" = "$(ls "$SRC"/migrations/[0-9]*_*.sql | wc -l)" ] ||
  fail "the database is not at the latest version"
[ "$(sqlite3 "$DB" "SELECT id || ':' || quote(camera) FROM images ORDER BY id" | tr '\n' ' ')" = \
  "1:'Canon EOS 5D' 2:'Canon EOS R6' 3:'NIKON CORPORATION D750' 4:' ' 5:' ' " ] ||
  fail "backfilled cameras: $(sqlite3 "$DB" "SELECT id, quote(camera) FROM images")"
[ "$(sqlite3 "$DB" "SELECT id || ':' || quote(split) FROM images ORDER BY id" | tr '\n' ' ')" = \
  "1:'train' 2:'train' 3:'val' 4:'val' 5:NULL " ] ||
  fail "backfilled splits: $(sqlite3 "$DB" "SELECT id, quote(split) FROM images")"
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM image_classes")" = 0 ] || fail "image_classes rows"
ok "the backfilled columns hold what the filters match, at the latest schema version"
