#!/usr/bin/env bash
# Browsing the images in the dashboard (issue 12), in headless Chromium: builds a YOLO folder of
# 31 images with python3-pil (img1..img30 in widths 44..160 px, the first five dark and flat, the
# next five dark noise, one with a long name and one box on img3.png), starts imgedad and runs
# tests/e2e/dashboard_browse.mjs: natural sort, page size and jump, an image opened by its URL,
# ←/→ across a page boundary, open original and copy path, grid mode with its size slider, names
# ending in sight and boxes on tiles, several flags and a range at once, and the split and class
# choices of a second folder with train/ and val/ holding class folders (cat/, dog/, bird/).
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

need_browser

"$PYTHON" - "$WORK/browse" <<'PY'
import os, random, sys
from PIL import Image
root = sys.argv[1]
for d in ("images", "labels"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
rnd = random.Random(3)
def noise(w, h, lo, hi):
    im = Image.new("L", (w, h))
    im.putdata([rnd.randint(lo, hi) for _ in range(w * h)])
    return im.convert("RGB")
for n in range(1, 31):
    w = 40 + 4 * n
    if n <= 5:
        im = Image.new("RGB", (w, 40), (8 + n, 8 + n, 8 + n))
    elif n <= 10:
        im = noise(w, 40, 0, 25)
    else:
        im = noise(w, 40, 60, 200)
    im.save(os.path.join(root, "images", f"img{n}.png"))
noise(64, 48, 60, 200).save(os.path.join(root, "images",
    "a_very_long_descriptive_file_name_from_the_camera_roll_export_final_v2_0042.png"))
open(os.path.join(root, "classes.txt"), "w").write("cat\n")
open(os.path.join(root, "labels", "img3.txt"), "w").write("0 0.5 0.5 0.5 0.5\n")
splits = os.path.join(os.path.dirname(root), "splits")
for n, cls in zip(range(1, 7), ("cat", "cat", "dog", "cat", "dog", "bird")):
    d = os.path.join(splits, "train" if n <= 3 else "val", cls)
    os.makedirs(d, exist_ok=True)
    noise(40, 30, 60, 200).save(os.path.join(d, f"s{n}.png"))
PY
start_daemon "$WORK/var"
run_e2e dashboard_browse.mjs
stop_daemon TERM
echo "$checks passed, 0 failed"
