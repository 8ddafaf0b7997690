#!/usr/bin/env bash
# imgeda's CSV: a real scan exported by the CLI has imgeda's 41 columns first (the committed list
# from imgeda's csv_io.py), in its order and names, then ours; cells of the real images agree
# with os.stat and Pillow; and the daemon's export.csv is the same bytes as the CLI's.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

cp -r "$FIXTURES/sample" "$WORK/data"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/m.jsonl" --workers 2 --quiet
expect_rc 0 "$IMGEDA" export csv -m "$WORK/m.jsonl" -o "$WORK/m.csv"
"$PYTHON" - "$WORK/m.csv" "$FIXTURES/imgeda_csv_columns.txt" "$WORK/data" <<'PY' || fail "CSV is not imgeda's"
import csv, os, sys
from PIL import Image
imgeda = [l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
assert len(imgeda) == 41, len(imgeda)
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head = rows[0]
assert head[:41] == imgeda, head[:41]
assert head[41:] == ["orientation_tag", "analyzer_version", "min_val", "max_val", "content_hash",
                     "error", "bit_depth", "num_frames"], head[41:]
assert len(set(head)) == len(head), "a column twice"
recs = {r[1]: dict(zip(head, r)) for r in rows[1:]}
assert len(recs) == 7, sorted(recs)
for name, r in recs.items():
    p = os.path.join(sys.argv[3], name)
    st = os.stat(p)
    assert r["path"] == p and r["file_size_bytes"] == str(st.st_size), r
    assert r["mtime"] == repr(st.st_mtime), (r["mtime"], st.st_mtime)
    for flag in ("has_gps_data", "is_blurry", "is_corrupt", "is_dark", "is_overexposed", "has_border_artifact"):
        assert r[flag] in ("True", "False"), (name, flag, r[flag])
    if name == "broken.jpg":
        assert r["is_corrupt"] == "True" and r["mean_r"] == "" and r["corner_delta"] == "" and r["phash"] == "", r
        continue
    im = Image.open(p)
    assert (r["width"], r["height"]) == (str(im.size[0]), str(im.size[1])), (name, r["width"], im.size)
    assert r["format"] == im.format, (r["format"], im.format)
    assert r["aspect_ratio"] == repr(round(im.size[0] / im.size[1], 4)), r["aspect_ratio"]
    assert r["camera_make"] == "" and r["focal_length_mm"] == "", "no EXIF is empty, as imgeda's None"
    assert float(r["mean_r"]) > 0 and r["mean_r"] == repr(float(r["mean_r"])), r["mean_r"]
    assert r["is_corrupt"] == "False" and len(r["phash"]) == 64, r
assert recs["night.jpg"]["is_dark"] == "True" and recs["blurry.webp"]["is_blurry"] == "True"
assert recs["street.jpg"]["phash"] == recs["street_copy.jpg"]["phash"]
PY
ok "CLI csv of a real scan: imgeda's 41 columns in order, then ours; values as Python writes them"

# Every cell of imgeda's columns is what imgeda's csv_io.py writes for the same records: for
# manifests written by Python imgeda (current, old without later keys, torn) and by our scan.
for m in "$FIXTURES/imgeda_manifests/imgeda_current.jsonl" "$FIXTURES/imgeda_manifests/imgeda_old.jsonl" \
         "$FIXTURES/imgeda_manifests/imgeda_torn.jsonl" "$WORK/m.jsonl"; do
  expect_rc 0 "$IMGEDA" export csv -m "$m" -o "$WORK/x.csv"
  "$PYTHON" "$HERE/imgeda_csv_rows.py" "$m" "$FIXTURES/imgeda_csv_columns.txt" "$WORK/x.csv" >/dev/null \
    || fail "$(basename "$m"): cells differ from imgeda's csv_io.py"
done
ok "imgeda's 41 columns hold what imgeda's csv_io.py writes, for its manifests and ours"

# The daemon scans the same folder; its export.csv equals the CLI's export of its own manifest.
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"options\": {\"workers\": 2}}"
ID=$(json "d['id']")
wait_status "$ID" succeeded
expect_api 200 GET "/api/v1/scans/$ID/manifest"
cp "$WORK/body" "$WORK/api.jsonl"
expect_api 200 GET "/api/v1/scans/$ID/export.csv"
cp "$WORK/body" "$WORK/api.csv"
expect_rc 0 "$IMGEDA" export csv -m "$WORK/api.jsonl" -o "$WORK/cli.csv"
cmp "$WORK/api.csv" "$WORK/cli.csv" || fail "the API's export.csv differs from the CLI's"
head -1 "$WORK/api.csv" | grep -q '^path,filename,.*,analyzed_at,mean_r,mean_g,.*,corner_delta,orientation_tag,' \
  || fail "API header"
[ "$(wc -l <"$WORK/api.csv")" = 8 ] || fail "API rows"
ok "the daemon's export.csv is byte for byte the CLI's"

echo "$checks passed, 0 failed"
