#!/usr/bin/env bash
# imgeda scan end to end: manifest keys/types, resume, change detection, refusals, bad flags,
# Ctrl+C keeping progress.
source "$(dirname "$0")/lib.sh"

cp -r "$FIXTURES/sample" "$WORK/data"
M="$WORK/m.jsonl"

expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --workers 2
contains "$WORK/out" "Scanned 7 images (7 analysed, 0 kept"
contains "$WORK/out" "Corrupt: 1"
"$PYTHON" "$HERE/check_manifest.py" "$M" --expect-records 7 >/dev/null
ok "scan writes a manifest with SPEC §2 keys and types"

expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --workers 2
contains "$WORK/out" "(0 analysed, 7 kept from the previous run)"
ok "re-running resumes and analyses nothing"

touch -d '2001-01-01 00:00:00' "$WORK/data/night.jpg"
rm "$WORK/data/snow.png"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --workers 2
contains "$WORK/out" "Scanned 6 images (1 analysed, 5 kept"
"$PYTHON" "$HERE/check_manifest.py" "$M" --expect-records 6 >/dev/null
ok "a changed file is re-analysed and a deleted one dropped"

expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --force --quiet
contains "$WORK/out" "(6 analysed, 0 kept"
ok "--force re-analyses everything"

echo "important notes" > "$WORK/notes.txt"
expect_rc 1 "$IMGEDA" scan "$WORK/data" -o "$WORK/notes.txt"
contains "$WORK/err" "is not a manifest"
[ "$(cat "$WORK/notes.txt")" = "important notes" ] || fail "a foreign file was overwritten"
ok "a file that is not a manifest is never overwritten"

expect_rc 1 "$IMGEDA" scan "$WORK/nowhere" -o "$WORK/x.jsonl"
contains "$WORK/err" "nowhere"
expect_rc 1 "$IMGEDA" scan "$WORK/data" -o "$WORK/x.jsonl" --workers 0
contains "$WORK/err" "--workers"
expect_rc 1 "$IMGEDA" scan "$WORK/data" -o "$WORK/x.jsonl" --dark-threshold abc
contains "$WORK/err" "needs a number"
expect_rc 1 "$IMGEDA" scan
expect_rc 1 "$IMGEDA" frobnicate
contains "$WORK/err" "unknown command"
ok "bad arguments give a clear error and exit 1"

# Ctrl+C: a folder big enough to interrupt, then resume to completion.
mkdir -p "$WORK/many"
for i in $(seq 1 30); do
  "$PYTHON" - "$WORK/many/img_$i.png" "$i" <<'PY'
import sys
from PIL import Image
import numpy as np
rng = np.random.default_rng(int(sys.argv[2]))
Image.fromarray((rng.random((1200, 1600, 3)) * 255).astype("uint8")).save(sys.argv[1], compress_level=0)
PY
done
M2="$WORK/many.jsonl"
"$IMGEDA" scan "$WORK/many" -o "$M2" --workers 1 --checkpoint-every 1 >"$WORK/out" 2>"$WORK/err" &
pid=$!
for _ in $(seq 1 100); do
  [ "$( { wc -l <"$M2"; } 2>/dev/null || echo 0)" -ge 4 ] && break
  sleep 0.1
done
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" -eq 130 ] || { cat "$WORK/out" "$WORK/err"; fail "Ctrl+C exited $rc, expected 130"; }
contains "$WORK/out" "progress saved"
done_before=$(($(wc -l <"$M2") - 1))
[ "$done_before" -ge 3 ] && [ "$done_before" -lt 30 ] || fail "interrupted scan kept $done_before records"
expect_rc 0 "$IMGEDA" scan "$WORK/many" -o "$M2" --workers 2
contains "$WORK/out" "$done_before kept from the previous run"
"$PYTHON" "$HERE/check_manifest.py" "$M2" --expect-records 30 >/dev/null
ok "Ctrl+C saves progress (exit 130) and the re-run finishes the rest"

echo "$checks passed, 0 failed"
