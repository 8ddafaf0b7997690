#!/usr/bin/env bash
# imgeda scan on hostile input (SPEC §2, §3.1): corrupt, truncated, bomb, odd-mode, odd-name,
# symlinked and unreadable files made by tests/fixtures/make_fixtures.py. Every file must get
# exactly one record matching the fixtures' expected.json, the scan must exit 0, and a named
# pipe must not hang it. Runs every step and reports all failures at the end.
source "$(dirname "$0")/lib.sh"
# locked_dir/ is chmod 000: make it removable again (matters when not running as root).
trap 'chmod -R u+rwX "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

failures=0
step_ok() { ok "$*"; }
step_fail() { failures=$((failures + 1)); echo "not ok - $*" >&2; }
# run CMD...: runs CMD with output in $WORK/out and $WORK/err; returns its exit code.
run() { set +e; "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e; return $rc; }

FX="$WORK/fx"
M="$WORK/hostile.jsonl"
"$PYTHON" "$FIXTURES/make_fixtures.py" "$FX" --no-fifo >/dev/null
ok "fixtures generated"

# 1. the scan itself (a hang here is a failure too, not a stuck test)
if run timeout -k 10 600 "$IMGEDA" scan "$FX" -o "$M" --workers 2; then
  step_ok "scan of the hostile folder exits 0"
else
  rc=$?
  cat "$WORK/out" "$WORK/err" >&2
  step_fail "scan of the hostile folder exited $rc (124/137: it hung)"
fi

# 2. one record per file, each expected.json key, errors on corrupt records, UTF-8 JSON lines
if [ -s "$M" ] && run "$PYTHON" "$HERE/check_hostile.py" "$M" "$FX"; then
  step_ok "every file has one record matching expected.json"
else
  cat "$WORK/out" "$WORK/err" >&2
  step_fail "records differ from expected.json"
fi

# 3. the manifest still has SPEC §2 keys, types and path order with these names in it
if [ -s "$M" ] && run "$PYTHON" "$HERE/check_manifest.py" "$M"; then
  step_ok "manifest keys, types and order as SPEC §2"
else
  cat "$WORK/out" "$WORK/err" >&2
  step_fail "manifest fails check_manifest.py"
fi

# 4. a re-run resumes: odd names (non-UTF-8, newline, quotes) are kept, not analysed again
if [ -s "$M" ]; then
  cp "$M" "$WORK/first.jsonl"
  if run timeout -k 10 600 "$IMGEDA" scan "$FX" -o "$M" --workers 2 &&
    run "$PYTHON" "$HERE/check_hostile.py" "$M" "$FX" --same-analysis-as "$WORK/first.jsonl"; then
    step_ok "re-run exits 0 and resumes every readable file"
  else
    cat "$WORK/out" "$WORK/err" >&2
    step_fail "re-run of the hostile folder"
  fi
fi

# 5. a named pipe with an image extension: skipped or corrupt, and the scan finishes
P="$WORK/pipe"
mkdir -p "$P"
"$PYTHON" - "$P/good.jpg" <<'PY'
import sys
from PIL import Image
Image.new("RGB", (16, 16), (90, 120, 150)).save(sys.argv[1], quality=90)
PY
mkfifo "$P/fifo.jpg"
if run timeout -k 5 60 "$IMGEDA" scan "$P" -o "$WORK/pipe.jsonl" --workers 2 &&
  run "$PYTHON" - "$WORK/pipe.jsonl" <<'PY'
import json, sys
recs = {r["filename"]: r for r in map(json.loads, open(sys.argv[1], encoding="utf-8").read().splitlines()[1:])}
assert "good.jpg" in recs and not recs["good.jpg"]["is_corrupt"], recs.get("good.jpg")
f = recs.get("fifo.jpg")
assert f is None or (f["is_corrupt"] and f["error"]), f
PY
then
  step_ok "a FIFO named .jpg does not hang the scan"
else
  rc=$?
  cat "$WORK/out" "$WORK/err" >&2
  step_fail "scan of a folder with a FIFO named fifo.jpg (exit $rc; 124/137 = hung, and SIGTERM did not stop it)"
fi

if [ "$failures" -gt 0 ]; then
  echo "$checks passed, $failures failed" >&2
  exit 1
fi
echo "$checks passed, 0 failed"
