#!/usr/bin/env bash
# Versions in the dashboard as a user meets them (tests/e2e/dashboard_compare.mjs in headless
# Chromium): a folder is scanned, then changed (a file added, one removed, one edited, one moved
# into another folder, one copied), Rescan is pressed on the scans page, the new version appears
# and the old one stays, and Compare opens on the last two versions with the changes in sections,
# thumbnails old/new and the perceptual-hash distance, all as POST /diff answers. Needs what
# test_dashboard.sh needs, plus python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

ARTIFACTS=${ARTIFACTS:-$SRC/tests/artifacts/dashboard}
mkdir -p "$ARTIFACTS" "$WORK/data/sub" "$WORK/next"
"$PYTHON" - "$WORK/data" "$WORK/next" <<'PY' || fail "cannot make the fixture images (python3-pil)"
import random, sys
from PIL import Image, ImageDraw
d, nxt = sys.argv[1], sys.argv[2]
def pattern(seed, w=320, h=240):
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h), (rnd.randrange(256),) * 3)
    dr = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rnd.randrange(w), rnd.randrange(h)
        dr.ellipse([x - 60, y - 45, x + 60, y + 45], fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im
for name, seed in [("keep.jpg", 1), ("gone.jpg", 2), ("edit.png", 3), ("sub/wander.png", 4), ("twin.jpg", 5)]:
    pattern(seed).save(f"{d}/{name}")
# The edited version of edit.png (a bar drawn across it, wider) and a new file, applied by the test.
im = pattern(3, 360, 240)
ImageDraw.Draw(im).rectangle([0, 100, 359, 140], fill=(250, 30, 30))
im.save(f"{nxt}/edit.png")
pattern(6).save(f"{nxt}/fresh.png")
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"versions\"}"
SCAN=$(json "d['id']")
wait_status "$SCAN" succeeded 30
run_e2e dashboard_compare.mjs IMGEDA_SCAN="$SCAN" IMGEDA_DATA="$WORK/data" IMGEDA_NEXT="$WORK/next"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks checks passed"
