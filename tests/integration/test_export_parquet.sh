#!/usr/bin/env bash
# imgeda export parquet end to end: a real scan (a corrupt file, a UTF-8 name) plus awkward
# records (EXIF strings with quotes, commas, newlines and non-ASCII; nulls; big integers), read
# back by an independent reader (hyparquet, tests/e2e/parquet_read.mjs) and compared with the
# CSV and SQLite exports cell by cell; several row groups, dictionary and PLAIN text columns,
# statistics; the daemon's GET /api/v1/scans/{id}/export.parquet read back the same way.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

E2E="$SRC/tests/e2e"
[ -f "$E2E/node_modules/hyparquet/package.json" ] \
  || fail "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e --no-audit --no-fund'"
CHECK="$HERE/check_parquet.py"

# read_back PARQUET: hyparquet's reading of it, as JSON in PARQUET.json.
read_back() { node "$E2E/parquet_read.mjs" "$1" >"$1.json" || fail "hyparquet cannot read $1"; }
# compare MANIFEST PARQUET [check options]: CSV and SQLite exports of MANIFEST, checked against it.
compare() {
  local m=$1 pq=$2
  shift 2
  expect_rc 0 "$IMGEDA" export csv -m "$m" -o "$pq.csv"
  expect_rc 0 "$IMGEDA" export sqlite -m "$m" -o "$pq.db"
  read_back "$pq"
  "$PYTHON" "$CHECK" "$pq.json" "$pq.csv" "$pq.db" "$@" || fail "$pq differs from the exports"
}

cp -r "$FIXTURES/sample" "$WORK/data"
cp "$FIXTURES/sample/night.jpg" "$WORK/data/été 日本, \"nuit\".jpg"
M="$WORK/m.jsonl"
"$IMGEDA" scan "$WORK/data" -o "$M" --workers 2 >/dev/null 2>&1 || fail "scan failed"
# Appended: a record with EXIF strings (quotes, commas, CR LF, non-ASCII, an empty lens), a big
# size and a negative mtime; a later record for the first path (wins, in its place); a torn line.
"$PYTHON" - "$M" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    base = json.loads(f.readlines()[1])
exif = {"camera_make": "Can,on \u00c9", "camera_model": "say \"cheese\"\r\n", "lens_model": "",
        "focal_length_mm": 4.25, "focal_length_35mm": 26, "iso_speed": 3200, "f_number": 1.8,
        "exposure_time_sec": 1 / 60, "datetime_original": "2024:01:02 03:04:05",
        "orientation_tag": 6, "has_gps_data": True, "distortion_risk": "high"}
extra = [dict(base, **exif, path="/data/odd, \"q\"\nname \u00e9\u65e5.jpg", filename="odd.jpg",
              file_size_bytes=2**40 + 3, mtime=-1.5),
         dict(base, width=4242, is_dark=True)]
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in extra)
    f.write('{"path": "/torn", "filena')
PY

expect_rc 0 "$IMGEDA" export parquet -m "$M" -o "$WORK/m.parquet"
contains "$WORK/out" "Exported 9 records to $WORK/m.parquet"
contains "$WORK/out" "1 unreadable line skipped"
[ "$(head -c 4 "$WORK/m.parquet")" = PAR1 ] && [ "$(tail -c 4 "$WORK/m.parquet")" = PAR1 ] \
  || fail "no PAR1 magic at both ends"
compare "$M" "$WORK/m.parquet" --groups 1 --header "$M" --dict format,color_mode,analyzer_version
grep -q '"été 日本, \\"nuit\\".jpg"' "$WORK/m.parquet.json" || fail "the UTF-8 name is not read back"
grep -q '"Can,on É"' "$WORK/m.parquet.json" || fail "the EXIF make is not read back"
ok "a scan's Parquet export equals its CSV and SQLite exports, every cell (hyparquet)"

IE_PARQUET_ROW_GROUP_ROWS=4 expect_rc 0 "$IMGEDA" export parquet -m "$M" -o "$WORK/g.parquet"
compare "$M" "$WORK/g.parquet" --groups 3
ok "IE_PARQUET_ROW_GROUP_ROWS=4 gives 3 row groups (4, 4, 1), each with its statistics"

# A larger manifest: 12,000 records with nulls scattered (runs and isolated ones, so both RLE
# and bit-packed definition levels), a camera make from five values (dictionary-encoded), unique
# paths (the dictionary is given up past 4,096 entries: PLAIN).
"$PYTHON" - "$M" "$WORK/big.jsonl" <<'PY'
import json, random, sys
src, dst = sys.argv[1], sys.argv[2]
lines = open(src, encoding="utf-8").read().splitlines()
header, rec = lines[0], json.loads(lines[1])
rnd = random.Random(7)
makes = ["Canon", "NIKON CORPORATION", "Apple", "SONY", "Fujifilm \u5bcc\u58eb"]
with open(dst, "w", encoding="utf-8") as f:
    f.write(header + "\n")
    for i in range(12000):
        r = dict(rec)
        r["path"] = f"/big/{i:05d}/ü{i}.jpg"
        r["filename"] = f"ü{i}.jpg"
        r["width"] = rnd.randrange(1, 9000)
        r["blur_score"] = None if rnd.random() < 0.3 else rnd.random() * 1000
        r["camera_make"] = None if (i // 50) % 3 == 0 else rnd.choice(makes)
        r["iso_speed"] = None if rnd.random() < 0.5 else rnd.choice([100, 200, 3200])
        r["is_blurry"] = rnd.random() < 0.5
        r["pixel_stats"] = None if i % 997 == 0 else rec["pixel_stats"]
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
PY
IE_PARQUET_ROW_GROUP_ROWS=5000 expect_rc 0 "$IMGEDA" export parquet -m "$WORK/big.jsonl" \
  -o "$WORK/big.parquet"
compare "$WORK/big.jsonl" "$WORK/big.parquet" --groups 3 --dict camera_make,format \
  --plain path,filename
ok "12,000 records in 3 row groups: every cell equal, dictionary and PLAIN text columns"

expect_rc 0 "$IMGEDA" export parquet -m "$FIXTURES/manifests/empty.jsonl" -o "$WORK/e.parquet"
compare "$FIXTURES/manifests/empty.jsonl" "$WORK/e.parquet" --groups 0
ok "a manifest without records gives a Parquet file with the columns and no rows"

# The API: the daemon scans the same folder; its export.parquet (row groups of 3 rows, from the
# daemon's environment) is read back and checked against its export.csv and export.sqlite.
IE_PARQUET_ROW_GROUP_ROWS=3 start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\"}"
ID=$(json "d['id']")
wait_status "$ID" succeeded 60
ctype=$(curl -s -o "$WORK/api.parquet" -w '%{http_code} %{content_type}' \
  "$B/api/v1/scans/$ID/export.parquet")
[ "$ctype" = "200 application/vnd.apache.parquet" ] || fail "export.parquet: $ctype"
curl -s -D "$WORK/headers" -o "$WORK/again.parquet" "$B/api/v1/scans/$ID/export.parquet"
grep -qi "filename=\"$ID.parquet\"" "$WORK/headers" || fail "no attachment name: $(cat "$WORK/headers")"
cmp -s "$WORK/api.parquet" "$WORK/again.parquet" || fail "a second download differs"
expect_api 200 GET "/api/v1/scans/$ID/export.csv"
mv "$WORK/body" "$WORK/api.parquet.csv"
expect_api 200 GET "/api/v1/scans/$ID/export.sqlite"
mv "$WORK/body" "$WORK/api.parquet.db"
read_back "$WORK/api.parquet"
"$PYTHON" "$CHECK" "$WORK/api.parquet.json" "$WORK/api.parquet.csv" "$WORK/api.parquet.db" \
  --groups 3 || fail "the API's Parquet export differs from its CSV and SQLite exports"
grep -q '"été 日本, \\"nuit\\".jpg"' "$WORK/api.parquet.json" || fail "the UTF-8 name over HTTP"
expect_api 404 GET "/api/v1/scans/$ID/export.orc"
grep -q parquet "$WORK/body" || fail "the 404 does not list parquet"
ok "GET export.parquet: 8 rows in 3 row groups equal to the API's CSV and SQLite exports"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"

echo "all $checks checks passed"
