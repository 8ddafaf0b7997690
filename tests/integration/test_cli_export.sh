#!/usr/bin/env bash
# imgeda export end to end: CSV, JSONL and SQLite from a real scan plus awkward records (commas,
# quotes, newlines, non-ASCII, a re-analysed path, a torn line), every cell checked against
# Python's reading of the manifest; sqlite3 queries on the exported file; refusals.
source "$(dirname "$0")/lib.sh"

cp -r "$FIXTURES/sample" "$WORK/data"
M="$WORK/m.jsonl"
"$IMGEDA" scan "$WORK/data" -o "$M" --workers 2 >/dev/null 2>&1 || fail "scan failed"

# Awkward additions: a record whose strings need quoting, a later record for an existing path
# (it must win, in the earlier position), an unknown key, and a torn last line.
"$PYTHON" - "$M" <<'PY'
import json, sys
path = sys.argv[1]
lines = open(path, encoding="utf-8").read().splitlines()
first = json.loads(lines[1])
odd = dict(first)
odd["path"] = "/data/odd, \"quoted\"\nname \u00e9\u65e5.jpg"
odd["filename"] = "odd, \"quoted\"\nname \u00e9\u65e5.jpg"
odd["camera_make"] = "Can,on"
odd["camera_model"] = "say \"cheese\"\r\n"
odd["future_key"] = {"nested": [1, 2]}
again = dict(first)
again["width"] = 4242
again["is_dark"] = True
with open(path, "a", encoding="utf-8") as f:
    f.write(json.dumps(odd, ensure_ascii=False) + "\n")
    f.write(json.dumps(again) + "\n")
    f.write('{"path": "/torn", "filena')
PY

# The reference: Python's reading of the manifest (later record for a path wins, in the earlier
# one's position, exactly what a dict does), flattened with the SPEC's column names.
cat > "$WORK/ref.py" <<'PY'
import json

COLUMNS = ("path filename file_size_bytes mtime width height format color_mode num_channels "
           "aspect_ratio camera_make camera_model lens_model focal_length_mm focal_length_35mm "
           "iso_speed f_number exposure_time_sec datetime_original orientation_tag has_gps_data "
           "distortion_risk blur_score is_blurry phash dhash is_corrupt is_dark is_overexposed "
           "has_border_artifact analyzed_at analyzer_version pixel_stats_mean_r pixel_stats_mean_g "
           "pixel_stats_mean_b pixel_stats_std_r pixel_stats_std_g pixel_stats_std_b "
           "pixel_stats_mean_brightness pixel_stats_min_val pixel_stats_max_val "
           "corner_stats_corner_mean corner_stats_center_mean corner_stats_border_mean "
           "corner_stats_delta content_hash error bit_depth num_frames").split()

def load(path):
    header, records, raw = None, {}, {}
    for line in open(path, encoding="utf-8").read().split("\n"):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if d.get("__manifest_meta__"):
            header = header or line
            continue
        records[d["path"]] = d
        raw[d["path"]] = line
    return header, records, raw

# The CSV's columns: imgeda's 41 (names as its csv_io.py writes them, from the committed list),
# then ours; CSV_SOURCE maps a renamed CSV column to its record key as named above.
def csv_columns(fixture):
    imgeda = [l.strip() for l in open(fixture) if l.strip() and not l.startswith("#")]
    assert len(imgeda) == 41, len(imgeda)
    return imgeda + "orientation_tag analyzer_version min_val max_val content_hash error bit_depth num_frames".split()

CSV_SOURCE = {n: "pixel_stats_" + n for n in "mean_r mean_g mean_b std_r std_g std_b mean_brightness min_val max_val".split()}
CSV_SOURCE.update({n: "corner_stats_" + n for n in ("corner_mean", "center_mean", "border_mean")})
CSV_SOURCE["corner_delta"] = "corner_stats_delta"

def flat_csv(rec, names):
    by_name = dict(zip(COLUMNS, flat(rec)))
    return [by_name[CSV_SOURCE.get(n, n)] for n in names]

def flat(rec):
    out = []
    for c in COLUMNS:
        if c in rec:
            out.append(rec[c])
            continue
        for obj in ("pixel_stats", "corner_stats"):
            if c.startswith(obj + "_"):
                o = rec.get(obj)
                out.append(o[c[len(obj) + 1:]] if o else None)
                break
        else:
            raise KeyError(c)
    return out
PY

expect_rc 0 "$IMGEDA" export csv -m "$M" -o "$WORK/m.csv"
contains "$WORK/out" "Exported 8 records to $WORK/m.csv"
contains "$WORK/out" "1 earlier record replaced"
contains "$WORK/out" "1 unreadable line skipped"
"$PYTHON" - "$M" "$WORK/m.csv" "$WORK/ref.py" "$FIXTURES/imgeda_csv_columns.txt" <<'PY' || fail "CSV differs from the manifest"
import csv, sys
exec(open(sys.argv[3]).read())
_, records, _ = load(sys.argv[1])
CSV_COLUMNS = csv_columns(sys.argv[4])
data = open(sys.argv[2], "rb").read()
assert data.endswith(b"\r\n") and b"\r\n" in data.split(b"\n")[0] + b"\n", "rows end in CRLF"
rows = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8")))
assert rows[0] == CSV_COLUMNS, rows[0]
assert len(rows) - 1 == len(records), (len(rows), len(records))
def py(v):  # what Python's csv module writes for a value (imgeda writes None as "")
    return "" if v is None else str(v)
for row, (path, rec) in zip(rows[1:], records.items()):
    want = [py(v) for v in flat_csv(rec, CSV_COLUMNS)]
    for c, got, exp in zip(CSV_COLUMNS, row, want):
        assert got == exp, (path, c, got, exp)
odd = [r for r in rows if r[0].startswith("/data/odd")][0]
assert odd[0] == '/data/odd, "quoted"\nname \u00e9\u65e5.jpg', odd[0]
assert odd[CSV_COLUMNS.index("camera_model")] == 'say "cheese"\r\n'
PY
ok "csv: imgeda's columns then ours; every cell and RFC 4180 quoting match Python's reading"

expect_rc 0 "$IMGEDA" export jsonl -m "$M" -o "$WORK/m2.jsonl"
"$PYTHON" - "$M" "$WORK/m2.jsonl" "$WORK/ref.py" <<'PY' || fail "JSONL differs"
import sys
exec(open(sys.argv[3]).read())
header, records, raw = load(sys.argv[1])
out = open(sys.argv[2], encoding="utf-8").read().split("\n")
assert out[-1] == "" and out[0] == header, "header line kept as written"
assert out[1:-1] == [raw[p] for p in records], "winning lines, as written, first-seen order"
assert '"future_key"' in open(sys.argv[2], encoding="utf-8").read()
PY
expect_rc 0 "$IMGEDA" info -m "$WORK/m2.jsonl" --json
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["total_images"] == 8 and d["manifest"]["replaced_records"] == 0 and d["manifest"]["skipped_lines"] == 0, d["manifest"]' "$WORK/out" \
  || fail "the JSONL export is not a clean manifest"
ok "jsonl: a clean manifest: header and latest lines verbatim, unknown keys kept"

expect_rc 0 "$IMGEDA" export sqlite -m "$M" -o "$WORK/m.db"
contains "$WORK/out" "Exported 8 records to $WORK/m.db"
[ "$(sqlite3 "$WORK/m.db" 'select count(*) from images')" = 8 ] || fail "row count"
[ "$(sqlite3 "$WORK/m.db" 'select typeof(width), typeof(mtime), typeof(is_corrupt), typeof(phash) from images where is_corrupt = 0 limit 1')" = "integer|real|integer|text" ] \
  || fail "column types"
[ "$(sqlite3 "$WORK/m.db" "select filename from images where is_corrupt = 1")" = "broken.jpg" ] || fail "corrupt query"
[ "$(sqlite3 "$WORK/m.db" "select count(*) from images where pixel_stats_mean_r is null")" = 1 ] || fail "nulls"
[ "$(sqlite3 "$WORK/m.db" "select value from meta where key = 'input_dir'")" = "$WORK/data" ] || fail "meta input_dir"
[ "$(sqlite3 "$WORK/m.db" "select value from meta where key = 'replaced_records'")" = 1 ] || fail "meta replaced"
[ "$(sqlite3 "$WORK/m.db" "select count(*) from (select phash from images where phash is not null group by phash having count(*) > 1)")" -ge 1 ] \
  || fail "duplicate phash query"
ok "sqlite: typed columns, nulls, meta, and ordinary queries with sqlite3"

"$PYTHON" - "$M" "$WORK/m.db" "$WORK/ref.py" <<'PY' || fail "SQLite differs from the manifest"
import sqlite3, sys
exec(open(sys.argv[3]).read())
_, records, _ = load(sys.argv[1])
db = sqlite3.connect(sys.argv[2])
cols = [r[1] for r in db.execute("pragma table_info(images)")]
assert cols == COLUMNS, cols
rows = {r[0]: r for r in db.execute("select * from images")}
assert len(rows) == len(records)
for path, rec in records.items():
    want = [int(v) if isinstance(v, bool) else v for v in flat(rec)]
    assert list(rows[path]) == want, (path, list(rows[path]), want)
assert db.execute("select value from meta where key = 'header_json'").fetchone()[0].startswith('{"__manifest_meta__"')
PY
ok "sqlite: every row equals Python's reading of the manifest"

# Re-exporting replaces the file; nothing temporary is left behind.
expect_rc 0 "$IMGEDA" export sqlite -m "$M" -o "$WORK/m.db"
expect_rc 0 "$IMGEDA" export csv -m "$M" -o "$WORK/m.csv"
[ ! -e "$WORK/m.db.tmp" ] && [ ! -e "$WORK/m.csv.tmp" ] || fail "a temp file was left behind"
[ "$(sqlite3 "$WORK/m.db" 'select count(*) from images')" = 8 ] || fail "re-export"
ok "re-exporting replaces the output atomically"

# A header-only manifest exports a header-only CSV and an empty table.
expect_rc 0 "$IMGEDA" export csv -m "$FIXTURES/manifests/empty.jsonl" -o "$WORK/e.csv"
contains "$WORK/err" "has no image records"
[ "$(wc -l < "$WORK/e.csv")" = 1 ] || fail "empty CSV"
expect_rc 0 "$IMGEDA" export sqlite -m "$FIXTURES/manifests/empty.jsonl" -o "$WORK/e.db"
[ "$(sqlite3 "$WORK/e.db" 'select count(*) from images')" = 0 ] || fail "empty table"
ok "an empty manifest gives an empty export with a warning"

cp "$M" "$WORK/keep.jsonl"
expect_rc 1 "$IMGEDA" export csv -m "$M" -o "$M"
contains "$WORK/err" "is the manifest itself"
expect_rc 1 "$IMGEDA" export sqlite -m "$M" -o "$M"
expect_rc 1 "$IMGEDA" export parquet -m "$M" -o "$M"
contains "$WORK/err" "is the manifest itself"
cmp -s "$M" "$WORK/keep.jsonl" || fail "the manifest was modified"
expect_rc 1 "$IMGEDA" export xlsx -m "$M" -o "$WORK/x"
contains "$WORK/err" "unknown export format 'xlsx'"
expect_rc 1 "$IMGEDA" export csv -m "$WORK/nowhere.jsonl" -o "$WORK/x.csv"
contains "$WORK/err" "nowhere.jsonl"
expect_rc 1 "$IMGEDA" export csv -m "$FIXTURES/manifests/not_a_manifest.txt" -o "$WORK/x.csv"
contains "$WORK/err" "not an imgeda manifest"
expect_rc 1 "$IMGEDA" export jsonl -m "$WORK" -o "$WORK/x.jsonl"
contains "$WORK/err" "is a directory"
expect_rc 1 "$IMGEDA" export csv -m "$M" -o "$WORK"
contains "$WORK/err" "is a directory"
expect_rc 1 "$IMGEDA" export csv -m "$M"
contains "$WORK/err" "needs a manifest"
expect_rc 1 "$IMGEDA" export
contains "$WORK/err" "needs a format"
expect_rc 1 "$IMGEDA" export sqlite -m "$M" -o "$WORK/no/such/dir/x.db"
contains "$WORK/err" "SQLite export"
[ ! -e "$WORK/x.csv" ] || fail "a failed export left a file"
ok "bad arguments give a clear error, exit 1, and never touch the manifest"

echo "$checks passed, 0 failed"
