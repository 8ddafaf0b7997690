#!/usr/bin/env bash
# SIGKILL the scan at random points, re-run, repeat; the finished manifest must hold exactly one
# record per file, equal to a clean scan's records except the analysis timestamps.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/data/sub"
"$PYTHON" - "$WORK/data" <<'PY'
import sys
from PIL import Image
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(42)
for i in range(120):
    a = (rng.random((1000 + i % 7 * 40, 1400 + i % 5 * 30, 3)) * 255).astype("uint8")
    sub = "sub/" if i % 3 == 0 else ""
    Image.fromarray(a).save(f"{root}/{sub}img_{i:03d}.jpg", quality=85)
open(f"{root}/broken.jpg", "wb").write(b"\xff\xd8\xff\xe0 not really")
PY
total=121

"$IMGEDA" scan "$WORK/data" -o "$WORK/clean.jsonl" --workers 2 -q >/dev/null
"$PYTHON" "$HERE/check_manifest.py" "$WORK/clean.jsonl" --expect-records $total >/dev/null

M="$WORK/killed.jsonl"
seed=${KILL_SEED:-$RANDOM}
echo "# kill delays seeded with $seed"
RANDOM=$seed
kills=0
for round in 1 2 3 4 5 6 7 8; do
  "$IMGEDA" scan "$WORK/data" -o "$M" --workers 2 --checkpoint-every 5 -q >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%02d' $((RANDOM % 35 + 5)))"
  if kill -KILL "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
  # Whatever the kill left must still be readable: every complete line parses.
  "$PYTHON" - "$M" <<'PY'
import json, os, sys
if not os.path.exists(sys.argv[1]):
    sys.exit(0)  # killed before the manifest was created: nothing to check yet
raw = open(sys.argv[1], "rb").read()
lines = raw.split(b"\n")
for l in lines[:-1]:
    json.loads(l)
PY
done
echo "# killed $kills of 8 runs"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --workers 2
"$PYTHON" "$HERE/check_manifest.py" "$M" --expect-records $total >/dev/null
"$PYTHON" - "$WORK/clean.jsonl" "$M" <<'PY'
import json, sys
def load(p):
    lines = open(p).read().splitlines()[1:]
    out = {}
    for l in lines:
        r = json.loads(l)
        r.pop("analyzed_at")
        out[r["path"]] = r
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), "same files"
diff = [p for p in a if a[p] != b[p]]
assert not diff, f"records differ from a clean scan: {diff[:3]}"
PY
ok "after $kills SIGKILLs and a re-run: one record per file, equal to a clean scan"
echo "$checks passed, 0 failed"
