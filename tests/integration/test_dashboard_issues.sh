#!/usr/bin/env bash
# The issue tabs as a user uses them (tests/e2e/dashboard_issues.mjs in headless Chromium): a
# folder made here (flat greys from black to white, noise, letterboxed pictures, two kinds of
# corrupt files), the dark, overexposed and blurry threshold sliders saying live how many images a
# threshold would flag (the count GET histograms and the records give), the images following on
# release worst first, and the corrupt tab as a table grouped by error. Needs what
# test_dashboard.sh needs, plus python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

ARTIFACTS=${ARTIFACTS:-$SRC/tests/artifacts/dashboard}
mkdir -p "$ARTIFACTS" "$WORK/data/broken"
"$PYTHON" - "$WORK/data" <<'PY' || fail "cannot make the fixture images (python3-pil)"
import random, sys
from PIL import Image, ImageDraw
d = sys.argv[1]
for v in (0, 12, 25, 39, 40, 41, 60, 90, 128, 200, 219, 220, 221, 240, 255):
    Image.new("L", (64, 48), v).save(f"{d}/grey_{v:03d}.png")
rnd = random.Random(7)
for i, amp in enumerate((8, 30, 60, 120, 255)):
    im = Image.new("L", (96, 64))
    im.putdata([min(255, 100 + rnd.randrange(amp)) for _ in range(96 * 64)])
    im.save(f"{d}/noise_{i}.png")
for i, bar in enumerate((4, 8, 12)):
    im = Image.new("RGB", (120, 90), (200, 180, 160))
    dr = ImageDraw.Draw(im)
    dr.rectangle([0, 0, 119, bar], fill=(0, 0, 0))
    dr.rectangle([0, 89 - bar, 119, 89], fill=(0, 0, 0))
    im.save(f"{d}/letterbox_{i}.jpg", quality=95)
# Two kinds of corrupt files: three text files named .jpg and two truncated PNGs.
for i in range(3):
    open(f"{d}/broken/not_a_jpeg_{i}.jpg", "wb").write(b"hello, this is text " * 4)
good = open(f"{d}/grey_128.png", "rb").read()
for i in range(2):
    open(f"{d}/broken/truncated_{i}.png", "wb").write(good[: len(good) // 2 + i])
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"issues\"}"
SCAN=$(json "d['id']")
wait_status "$SCAN" succeeded 30
run_e2e dashboard_issues.mjs IMGEDA_SCAN="$SCAN" IMGEDA_DATA="$WORK/data"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks checks passed"
