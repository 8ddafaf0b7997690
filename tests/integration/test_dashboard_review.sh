#!/usr/bin/env bash
# Duplicate review in the dashboard as a user does it (tests/e2e/dashboard_review.mjs in headless
# Chromium): a folder with exact duplicates made here (byte copies, a re-encoded and a shrunk
# copy), one group reviewed with the keeper accepted by key, a false positive marked ok, a group
# called not a duplicate, one image marked remove, a second page of groups, and the remove list downloaded from the page's
# link and checked line by line. Needs what test_dashboard.sh needs, plus python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

ARTIFACTS=${ARTIFACTS:-$SRC/tests/artifacts/dashboard}
mkdir -p "$ARTIFACTS" "$WORK/data/sub"
"$PYTHON" - "$WORK/data" <<'PY' || fail "cannot make the fixture images (python3-pil)"
import os, random, shutil, sys
from PIL import Image, ImageDraw
d = sys.argv[1]
def pattern(seed, w=640, h=480):
    # Large ellipses on a flat ground: a low-frequency picture whose perceptual hash survives
    # JPEG re-encoding and halving (checked for these seeds; Random(seed) is stable).
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h), (rnd.randrange(256),) * 3)
    dr = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rnd.randrange(w), rnd.randrange(h)
        dr.ellipse([x - 120, y - 90, x + 120, y + 90], fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im
cat = pattern(1)
cat.save(f"{d}/cat.jpg", quality=95)
shutil.copy(f"{d}/cat.jpg", f"{d}/cat_copy.jpg")
Image.open(f"{d}/cat.jpg").save(f"{d}/cat_reencoded.jpg", quality=85)
cat.resize((320, 240), Image.LANCZOS).save(f"{d}/sub/cat_small.jpg", quality=90)
dog = pattern(2)
dog.save(f"{d}/dog.png")
shutil.copy(f"{d}/dog.png", f"{d}/dog_twin.png")
shutil.copy(f"{d}/dog.png", f"{d}/dog_triplet.png")
owl = pattern(4)
owl.save(f"{d}/owl.jpg", quality=92)
shutil.copy(f"{d}/owl.jpg", f"{d}/owl_copy.jpg")
shutil.copy(f"{d}/owl.jpg", f"{d}/owl_copy2.jpg")
pattern(3).save(f"{d}/alone.png")
# 21 more pairs, smaller groups than the three above: 24 groups, a second page of groups.
os.mkdir(f"{d}/pairs")
for seed in range(10, 31):
    im = pattern(seed, 160, 120)
    im.save(f"{d}/pairs/p{seed}.png")
    shutil.copy(f"{d}/pairs/p{seed}.png", f"{d}/pairs/p{seed}_copy.png")
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"review\"}"
SCAN=$(json "d['id']")
wait_status "$SCAN" succeeded 30
run_e2e dashboard_review.mjs IMGEDA_SCAN="$SCAN" IMGEDA_DATA="$WORK/data"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks checks passed"
