#!/usr/bin/env bash
# Versions of a root: a rescan creates a new scan of the same root and keeps the old one (its
# manifest byte for byte, its records and results); GET /api/v1/scans?root= lists the versions
# newest first, paged, each with its version number; an interrupted rescan resumes in place;
# resume of a succeeded scan still rescans in place (the CI gate's behaviour).
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

R="$WORK/set"
mkdir -p "$R"
cp "$FIXTURES"/sample/* "$R/"
"$PYTHON" - "$R" <<'PY'
import sys
from PIL import Image
import numpy as np
rng = np.random.default_rng(5)
for i in range(30):
    Image.fromarray((rng.random((900, 1200, 3)) * 255).astype("uint8")).save(f"{sys.argv[1]}/n{i:02d}.jpg", quality=92)
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$R\", \"name\": \"set\", \"options\": {\"workers\": 1, \"checkpoint_every\": 2}}"
V1=$(json "d['id']")
[ "$(json "d['version']")" = 1 ] || fail "the first scan of a root is version 1: $(cat "$WORK/body")"
wait_status "$V1" succeeded 60
M1="$WORK/var/scans/$V1/manifest.jsonl"
SUM1=$(sha256sum "$M1" | cut -d' ' -f1)
expect_api 200 GET "/api/v1/scans/$V1/summary"
cp "$WORK/body" "$WORK/summary1.json"

# The folder changes: a new file, and every noise image touched so the rescan reads them
# again (and can be interrupted).
cp "$R/street.jpg" "$R/street_v2.jpg"
touch -d '2030-01-01' "$R"/n*.jpg
expect_api 202 POST "/api/v1/scans/$V1/rescan"
V2=$(json "d['id']")
[ "$V2" != "$V1" ] || fail "a rescan makes a new scan"
[ "$(json "d['root'] == '$R', d['name'], d['version'], d['options']['workers']")" = "True set 2 1" ] || fail "the new version: $(cat "$WORK/body")"
poll_scan "$V2" "d['status'] == 'running' and d['progress']['processed'] >= 1" 400 || fail "the rescan did not start: $(cat "$WORK/body")"
expect_api 202 POST "/api/v1/scans/$V2/cancel"
wait_status "$V2" cancelled
api GET "/api/v1/scans/$V2"
at_cancel=$(json "d['progress']['processed']")
[ "$at_cancel" -lt 38 ] || fail "cancel came too late to test ($at_cancel)"
expect_api 409 POST "/api/v1/scans/$V2/rescan"
contains "$WORK/body" "only a succeeded scan can be rescanned"
expect_api 202 POST "/api/v1/scans/$V2/resume"
wait_status "$V2" succeeded 60
[ "$(json "d['progress']['processed'], d['version']")" = "38 2" ] || fail "the resumed rescan: $(cat "$WORK/body")"
"$PYTHON" "$HERE/check_manifest.py" "$WORK/var/scans/$V2/manifest.jsonl" --expect-records 38 >/dev/null
ok "a rescan is a new version (2) of the root with the same name and options; interrupted, it resumes in place to 38 records"

[ "$(sha256sum "$M1" | cut -d' ' -f1)" = "$SUM1" ] || fail "the old version's manifest changed"
expect_api 200 GET "/api/v1/scans/$V1"
[ "$(json "d['status'], d['progress']['total'], d['version']")" = "succeeded 37 1" ] || fail "the old version: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$V1/summary"
cmp -s "$WORK/body" "$WORK/summary1.json" || fail "the old version's summary changed"
expect_api 200 GET "/api/v1/scans/$V1/images?limit=1"
[ "$(json "d['total']")" = 37 ] || fail "the old version's records: $(head -c 200 "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$V2/images?q=street_v2"
[ "$(json "d['total']")" = 1 ] || fail "the new version has the new file"
ok "the old version stays: its manifest byte for byte, 37 records, the same summary"

# Another root, so the list by root has something to leave out.
mkdir -p "$WORK/other" && cp "$FIXTURES/sample/snow.png" "$WORK/other/"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/other\"}"
OTHER=$(json "d['id']")
wait_status "$OTHER" succeeded 30
expect_api 200 GET "/api/v1/scans?root=$R"
[ "$(json "[(s['id'], s['version']) for s in d['scans']] == [('$V2', 2), ('$V1', 1)], d['next_cursor']")" = "True None" ] || fail "versions of the root: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans?root=$R/./&limit=1"
[ "$(json "[s['id'] for s in d['scans']] == ['$V2']")" = True ] || fail "first page: $(cat "$WORK/body")"
CUR=$(json "d['next_cursor']")
expect_api 200 GET "/api/v1/scans?root=$R&limit=1&cursor=$CUR"
[ "$(json "[s['id'] for s in d['scans']] == ['$V1'], d['next_cursor']")" = "True None" ] || fail "second page: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans?root=$WORK/nothing-here"
[ "$(json "d['scans']")" = "[]" ] || fail "a root without scans"
expect_api 200 GET "/api/v1/scans"
[ "$(json "len(d['scans']), d['scans'][0]['id'] == '$OTHER', d['scans'][0]['version']")" = "3 True 1" ] || fail "the whole list: $(cat "$WORK/body")"
ok "GET /api/v1/scans?root= lists the root's versions newest first, paged (a path spelled otherwise resolves to the same root)"

# Compare defaults to the last two versions of a root.
expect_api 200 POST /api/v1/diff -d "{\"root\": \"$R\"}"
"$PYTHON" - "$WORK/body" "$R" "$V1" "$V2" <<'PY' || fail "diff by root: $(head -c 600 "$WORK/body")"
import json, sys
d = json.load(open(sys.argv[1])); R, v1, v2 = sys.argv[2:5]
assert (d["old_id"], d["new_id"], d["match"]) == (v1, v2, "path"), d
assert d["added"] == [R + "/street_v2.jpg"], d["added"]
assert d["copied"] == [{"path": R + "/street_v2.jpg", "from": R + "/street.jpg"}], d["copied"]
assert d["removed"] == [] and d["moved"] == [] and d["changed"] == [], d
assert d["unchanged_count"] == 37 and d["summary"]["added_count"] == 1, d["summary"]
PY
expect_api 200 POST /api/v1/diff -d "{\"new\": \"$V2\"}"
[ "$(json "d['old_id'] == '$V1', d['new_id'] == '$V2'")" = "True True" ] || fail "diff of new alone"
expect_api 400 POST /api/v1/diff -d "{\"new\": \"$V1\"}"
contains "$WORK/body" "is the first finished version"
expect_api 400 POST /api/v1/diff -d "{\"root\": \"$WORK/nothing-here\"}"
expect_api 400 POST /api/v1/diff -d "{\"root\": \"$R\", \"old\": \"$V1\"}"
# An import whose header names no folder has no versions to compare with.
expect_api 201 POST "/api/v1/manifests?name=rootless" --data-binary "@$FIXTURES/golden/sample_default.jsonl"
IMP=$(json "d['id']")
wait_status "$IMP" succeeded 30
[ "$(json "d['root'], d['version']")" = " None" ] || fail "a rootless import: $(cat "$WORK/body")"
expect_api 400 POST /api/v1/diff -d "{\"new\": \"$IMP\"}"
contains "$WORK/body" "names no root"
ok "POST /api/v1/diff {root} compares the root's last two versions ({new} alone: the one before it)"

# A folder copied to another root with a subfolder renamed: matched by the path under each
# root, then by content hash; an edited image carries its phash distance.
mkdir -p "$WORK/A/sub"
cp "$FIXTURES/sample/street.jpg" "$FIXTURES/sample/night.jpg" "$FIXTURES/sample/letterbox.jpg" "$WORK/A/"
cp "$FIXTURES/sample/snow.png" "$FIXTURES/sample/blurry.webp" "$WORK/A/sub/"
cp -r "$WORK/A" "$WORK/B"
mv "$WORK/B/sub" "$WORK/B/renamed"
"$PYTHON" - "$WORK/B/letterbox.jpg" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(sys.argv[1], quality=90)
PY
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/A\"}"
A=$(json "d['id']")
wait_status "$A" succeeded 30
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/B\"}"
BB=$(json "d['id']")
wait_status "$BB" succeeded 30
expect_api 200 POST /api/v1/diff -d "{\"old\": \"$A\", \"new\": \"$BB\"}"
"$PYTHON" - "$WORK/body" "$WORK" <<'PY' || fail "diff of a copied folder: $(head -c 900 "$WORK/body")"
import json, sys
d = json.load(open(sys.argv[1])); W = sys.argv[2]
assert d["match"] == "relative_path", d["match"]
assert d["added"] == [] and d["removed"] == [], (d["added"], d["removed"])
assert d["moved"] == [{"old_path": W + "/A/sub/blurry.webp", "new_path": W + "/B/renamed/blurry.webp"},
                      {"old_path": W + "/A/sub/snow.png", "new_path": W + "/B/renamed/snow.png"}], d["moved"]
assert d["unchanged_count"] == 2, d["unchanged_count"]
[c] = d["changed"]
assert (c["path"], c["new_path"]) == (W + "/A/letterbox.jpg", W + "/B/letterbox.jpg"), c
assert isinstance(c["phash_distance"], int) and c["phash_distance"] > 0 and "phash" in c["fields"], c
s = d["summary"]
assert (s["moved_count"], s["added_count"], s["removed_count"], s["changed_count"]) == (2, 0, 0, 1), s
PY
ok "a folder copied to another root with a renamed subfolder: 2 moved (by content hash), 2 unchanged, 1 changed with its phash distance, nothing added or removed"

# Gate and compare read the slim snapshot the warm-up writes beside each manifest. A damaged
# snapshot is not trusted (the answer is read from the JSONL; the pair is asked the other way
# round so that no cached answer hides the read); DELETE removes it.
for s in "$A" "$BB"; do
  for _ in $(seq 100); do [ -s "$WORK/var/scans/$s/manifest.jsonl.slim" ] && break; sleep 0.1; done
  [ -s "$WORK/var/scans/$s/manifest.jsonl.slim" ] || fail "no slim snapshot for scan $s"
done
SNAP="$WORK/var/scans/$BB/manifest.jsonl.slim"
head -c 300 "$SNAP" > "$WORK/snap.part"
cat "$WORK/snap.part" > "$SNAP"
expect_api 200 POST /api/v1/diff -d "{\"old\": \"$BB\", \"new\": \"$A\"}"
"$PYTHON" - "$WORK/body" <<'PY' || fail "diff through a damaged snapshot: $(head -c 600 "$WORK/body")"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
assert (s["moved_count"], s["changed_count"], s["added_count"], s["removed_count"]) == (2, 1, 0, 0), s
PY
[ "$(stat -c %s "$SNAP")" -gt 300 ] || fail "the damaged snapshot was not rewritten"
expect_api 204 DELETE "/api/v1/scans/$A"
[ ! -e "$WORK/var/scans/$A" ] || fail "DELETE left $(ls -A "$WORK/var/scans/$A")"
ok "slim snapshots: written by the warm-up, a damaged one is read around and rewritten, DELETE removes it"

# Versions survive a restart; resume of a succeeded scan still works in place.
stop_daemon TERM
start_daemon "$WORK/var"
expect_api 200 GET "/api/v1/scans?root=$R"
[ "$(json "[s['version'] for s in d['scans']]")" = "[2, 1]" ] || fail "after a restart: $(cat "$WORK/body")"
expect_api 202 POST "/api/v1/scans/$V1/resume"
[ "$(json "d['id'] == '$V1'")" = True ] || fail "resume stays in place"
wait_status "$V1" succeeded 60
expect_api 404 POST "/api/v1/scans/nope/rescan"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
ok "versions survive a restart; resume of a succeeded scan stays in place; 404 for an unknown scan"

echo "$checks checks passed"
