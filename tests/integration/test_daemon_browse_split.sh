#!/usr/bin/env bash
# The split filter of GET images over real HTTP (issue 12): images whose path lies under a split
# folder (train, val, valid, validation, test: the annotation analysis' split folders) below the
# scan's root, any case, with the scan's splits and their counts in every page ("splits"); a
# folder of that name above the root is not a split, and an unknown split is a 400.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

"$PYTHON" - "$WORK/train/ds" <<'PY'
import os, sys
from PIL import Image
d = sys.argv[1]
for rel, v in [("Train/cats/a1.png", 10), ("Train/dogs/a2.png", 60), ("images/val/b1.png", 110),
               ("images/val/b2.png", 160), ("test/c1.png", 200), ("loose.png", 240)]:
    os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
    Image.new("RGB", (32, 32), (v, v, v)).save(os.path.join(d, rel))
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$WORK/train/ds\"}"
SID=$(json "d['id']")
wait_status "$SID" succeeded

check() { expect_names "$SID" "$@"; } # check QUERY EXPECTED WHAT
check "split=train" "a1.png a2.png / 2" "a split folder right under the root, any case"
check "split=val" "b1.png b2.png / 2" "a split folder deeper down (images/val/)"
check "split=TEST" "c1.png / 1" "the split asked for in any case"
check "split=validation" " / 0" "a split the scan does not have: none"
check "split=val&q=b2" "b2.png / 1" "a split with another filter"
check "" "a1.png a2.png b1.png b2.png c1.png loose.png / 6" \
  "no split: every image (the train/ folder above the root is no split)"
[ "$(json "sorted(d['splits'].items())")" = "[('test', 1), ('train', 2), ('val', 2)]" ] ||
  fail "splits: $(cat "$WORK/body")"
ok "every page lists the scan's splits with their image counts"

expect_api 400 GET "/api/v1/scans/$SID/images?split=bogus"
contains "$WORK/body" 'split: unknown value (train, val, valid, validation, test)'
expect_api 400 GET "/api/v1/scans/$SID/images?split=a/train"
ok "an unknown split is a 400 that lists the known ones"

# An import of the scan's manifest: its root comes from the header once the records are stored,
# and the splits are then taken below it, not from the train/ folder above it.
expect_api 200 GET "/api/v1/scans/$SID/manifest"
cp "$WORK/body" "$WORK/manifest.jsonl"
expect_api 201 POST "/api/v1/manifests?name=imported" -H 'Content-Type: application/x-ndjson' \
  --data-binary "@$WORK/manifest.jsonl"
IID=$(json "d['id']")
expect_api 200 GET "/api/v1/scans/$IID/images?split=train&sort=filename"
[ "$(json "' '.join(i['filename'] for i in d['images']) + ' / ' + str(sorted(d['splits'].items()))")" = \
  "a1.png a2.png / [('test', 1), ('train', 2), ('val', 2)]" ] || fail "imported: $(cat "$WORK/body")"
ok "an imported manifest's splits are taken below the root its header names"

# A scan without split folders lists none.
mkdir -p "$WORK/flat"
cp "$WORK/train/ds/loose.png" "$WORK/flat/"
expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$WORK/flat\"}"
FID=$(json "d['id']")
wait_status "$FID" succeeded
expect_api 200 GET "/api/v1/scans/$FID/images"
[ "$(json "d['splits']")" = "{}" ] || fail "flat splits: $(cat "$WORK/body")"
ok "a scan without split folders lists no splits"
stop_daemon TERM
