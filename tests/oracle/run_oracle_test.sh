#!/usr/bin/env bash
# run_oracle_test.sh BUILD_DIR — does `imgeda scan` compute what Python imgeda computes?
#
# 1. scripts/fetch-photos.sh puts the real Debian photographs in a cache
#    (${IMGEDA_CACHE:-$HOME/.cache/imgedad}/photos; the .debs in .../debs; first run ~530 MB).
# 2. A deterministic subset of ~45 photos goes into a temp dir: 12 larger than 2048 px (6 of them
#    4096 px or more, where JPEG shrink-on-load applies), every photo of exactly 2048 px, ~26 smaller
#    ones spread over the packages, plus one truncated JPEG (both sides must call it corrupt).
# 3. BUILD_DIR/bin/imgeda scan DIR -o ours.jsonl --workers 2
# 4. oracle.py (Pillow + numpy + scipy, imgeda's formulas) on the same files, then compare.py with
#    the tolerances of SPEC §3.4/§3.5. Exits with compare.py's status (0 pass, 1 fail); 77 when
#    the binary is missing (CMake: SKIP_RETURN_CODE 77).
#
# Env: PYTHON (default /usr/bin/python3), IMGEDA_CACHE, ORACLE_KEEP=1 keeps the work dir,
# ORACLE_SCAN_ARGS extra scan options (e.g. --no-shrink-on-load), ORACLE_COMPARE_ARGS (e.g.
# --strict-exif), ORACLE_PACKAGES (comma list for fetch-photos.sh --packages).
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
IMGEDA="$BUILD/bin/imgeda"
CACHE_ROOT="${IMGEDA_CACHE:-$HOME/.cache/imgedad}"
PHOTOS="$CACHE_ROOT/photos"
MAX_DIM=2048

if [ ! -x "$IMGEDA" ]; then
  echo "SKIP: $IMGEDA is not built yet" >&2
  exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ie_oracle_XXXXXX")
# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] || [ "${ORACLE_KEEP:-0}" = 1 ]; then
    echo "oracle test: work files kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

echo "== photos (scripts/fetch-photos.sh $PHOTOS)"
fetch_args=(--quiet)
[ -n "${ORACLE_PACKAGES:-}" ] && fetch_args+=(--packages "$ORACLE_PACKAGES")
"$SRC/scripts/fetch-photos.sh" "$PHOTOS" "${fetch_args[@]}"

echo "== choosing the subset"
mkdir -p "$WORK/photos"
"$PYTHON" - "$PHOTOS" "$WORK/photos" "$MAX_DIM" <<'PYEOF'
import os, shutil, sys
from PIL import Image

Image.MAX_IMAGE_PIXELS = None
src, dst, max_dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
sizes = {}
for fn in sorted(os.listdir(src)):
    if "__" not in fn or fn.startswith("variant_"):
        continue  # only the distinct photos, not the synthetic variants
    try:
        with Image.open(os.path.join(src, fn)) as im:
            sizes[fn] = max(im.size)
    except Exception:
        pass

def spread(items, k):
    """k items spread evenly over the sorted list (deterministic)."""
    items = sorted(items)
    if len(items) <= k:
        return items
    return [items[(2 * i + 1) * len(items) // (2 * k)] for i in range(k)]

huge = [f for f, s in sizes.items() if s >= 2 * max_dim]
big = [f for f, s in sizes.items() if max_dim < s < 2 * max_dim]
edge = [f for f, s in sizes.items() if s == max_dim]
small = [f for f, s in sizes.items() if s < max_dim]
chosen = spread(huge, 6)
chosen += spread(big, 12 - len(chosen))
chosen += edge
groups = {}
for f in small:
    groups.setdefault(f.split("__", 1)[0], []).append(f)
quota, slots = {g: 0 for g in groups}, 26
while slots > 0 and any(quota[g] < len(groups[g]) for g in groups):
    for g in sorted(groups):
        if slots and quota[g] < len(groups[g]):
            quota[g] += 1
            slots -= 1
for g in sorted(groups):
    chosen += spread(groups[g], quota[g])
n_big = sum(1 for f in chosen if sizes[f] > max_dim)
if n_big < 10:
    sys.exit(f"only {n_big} photos larger than {max_dim} px: the oracle test needs 10")
for f in chosen:
    s, d = os.path.join(src, f), os.path.join(dst, f)
    try:
        os.link(s, d)
    except OSError:
        shutil.copy2(s, d)
# one truncated JPEG: Pillow opens it, decoding fails -> imgeda marks it corrupt
jpegs = sorted(f for f in chosen if f.lower().endswith(".jpg") and sizes[f] <= max_dim)
if jpegs:
    data = open(os.path.join(src, jpegs[0]), "rb").read()
    with open(os.path.join(dst, "zz_truncated.jpg"), "wb") as out:
        out.write(data[: len(data) // 2])
print(f"{len(chosen)} photos ({n_big} larger than {max_dim} px, "
      f"{sum(1 for f in chosen if sizes[f] >= 2 * max_dim)} of at least {2 * max_dim} px, "
      f"{sum(1 for f in chosen if sizes[f] == max_dim)} of exactly {max_dim} px) + 1 truncated JPEG")
PYEOF

echo "== imgeda scan"
# shellcheck disable=SC2086
"$IMGEDA" scan "$WORK/photos" -o "$WORK/ours.jsonl" --workers 2 --max-image-dim "$MAX_DIM" \
  ${ORACLE_SCAN_ARGS:-} -q

echo "== oracle (Pillow + numpy + scipy)"
"$PYTHON" "$HERE/oracle.py" -q -j 2 --max-image-dim "$MAX_DIM" "$WORK/photos" -o "$WORK/oracle.jsonl"

echo "== compare"
set +e
# shellcheck disable=SC2086
"$PYTHON" "$HERE/compare.py" "$WORK/oracle.jsonl" "$WORK/ours.jsonl" --max-image-dim "$MAX_DIM" \
  --report "$WORK/report.txt" ${ORACLE_COMPARE_ARGS:-}
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
  echo "oracle test: PASS"
else
  echo "oracle test: FAIL (compare.py exited $rc; full report: $WORK/report.txt)"
fi
exit $rc
