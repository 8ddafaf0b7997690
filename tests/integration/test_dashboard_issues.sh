#!/usr/bin/env bash
# The issue tabs as a user uses them (tests/e2e/dashboard_issues.mjs in headless Chromium): a
# folder made here (flat greys from black to white, noise, letterboxed pictures, two kinds of
# corrupt files), the dark, overexposed and blurry threshold sliders saying live how many images a
# threshold would flag (the count GET histograms and the records give), the images following on
# release worst first, the corrupt tab as a table grouped by error, and the leakage page over
# three split folders (one leaking into another, one clean). Needs what
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
# Three split folders: val holds a byte copy of a train image and a re-encoded one; test shares
# nothing with train.
"$PYTHON" - "$WORK/splits" <<'PY' || fail "cannot make the split folders"
import os, random, shutil, sys
from PIL import Image, ImageDraw
d = sys.argv[1]
def pattern(seed, w=320, h=240):
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h), (rnd.randrange(256),) * 3)
    dr = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rnd.randrange(w), rnd.randrange(h)
        dr.ellipse([x - 60, y - 45, x + 60, y + 45], fill=tuple(rnd.randrange(256) for _ in range(3)))
    return im
for s in ("train", "val", "test"):
    os.makedirs(f"{d}/{s}")
for seed in (1, 2, 3, 4):
    pattern(seed).save(f"{d}/train/t{seed}.jpg", quality=95)
shutil.copy(f"{d}/train/t1.jpg", f"{d}/val/copy_of_t1.jpg")
Image.open(f"{d}/train/t2.jpg").save(f"{d}/val/reencoded_t2.jpg", quality=80)
pattern(5).save(f"{d}/val/v5.jpg", quality=95)
for seed in (7, 8):
    pattern(seed).save(f"{d}/test/s{seed}.jpg", quality=95)
PY
start_daemon "$WORK/var"
SPLITS=""
for s in train val test; do
  expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/splits/$s\", \"name\": \"$s\"}"
  id=$(json "d['id']")
  wait_status "$id" succeeded 30
  SPLITS="$SPLITS $s=$id"
done
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"issues\"}"
SCAN=$(json "d['id']")
wait_status "$SCAN" succeeded 30
# shellcheck disable=SC2086 # one variable per split
run_e2e dashboard_issues.mjs IMGEDA_SCAN="$SCAN" IMGEDA_DATA="$WORK/data" $(for x in $SPLITS; do echo "IMGEDA_SPLIT_$x"; done)
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks checks passed"
