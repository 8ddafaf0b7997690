#!/usr/bin/env bash
# EXIF from every container that holds it (issue 15): imgeda scan of the committed fixtures in
# tests/fixtures/exif_containers (real camera EXIF in PNG eXIf before and after IDAT, PNG
# "Raw profile type exif" text chunks, TIFF IFD0, WebP, HEIC and cut HEIC) must agree with
# Pillow's getexif() on make, model, orientation and the GPS flag for >= 98 % of the files of
# every container, and a cut HEIC must keep format "HEIF" (check_exif_containers.py).
source "$(dirname "$0")/lib.sh"

FX="$FIXTURES/exif_containers"
M="$WORK/exif.jsonl"
expect_rc 0 timeout -k 10 120 "$IMGEDA" scan "$FX" -o "$M" --workers 2
ok "scan of the EXIF container fixtures exits 0"

if ! "$PYTHON" "$HERE/check_exif_containers.py" "$M" "$FX" >"$WORK/out" 2>"$WORK/err"; then
  cat "$WORK/out" "$WORK/err" >&2
  fail "EXIF agreement with Pillow below 98 % (or a cut HEIC lost its format)"
fi
cat "$WORK/out"
ok "EXIF agreement with Pillow >= 98 % for make, model, orientation and GPS in every container"

# The same files, their EXIF turned off: no container is read, no EXIF field is set.
expect_rc 0 "$IMGEDA" scan "$FX" -o "$WORK/skip.jsonl" --workers 2 --skip-exif
"$PYTHON" - "$WORK/skip.jsonl" <<'PY' || fail "--skip-exif still filled EXIF fields"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"path"' in l]
assert len(recs) >= 80, len(recs)
bad = [r["path"] for r in recs if r["camera_make"] or r["orientation_tag"] is not None
       or r["has_gps_data"]]
assert not bad, bad
PY
ok "--skip-exif leaves every EXIF field empty"
echo "$checks passed, 0 failed"
