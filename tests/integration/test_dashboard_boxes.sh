#!/usr/bin/env bash
# Annotations in the dashboard, in headless Chromium: builds a class-per-folder dataset with
# python3-pil (flat grey images in three class folders), starts imgedad and runs
# tests/e2e/dashboard_boxes.mjs, which scans it and checks the annotations tab shows its class
# statistics; and a YOLO folder whose image detail must show its box (a pixel check). Needs what test_dashboard.sh needs, plus python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

need_browser

"$PYTHON" - "$WORK/cls" <<'PY'
import os, sys
from PIL import Image
root = sys.argv[1]
for cls, n, grey in (("cat", 3, 90), ("dog", 2, 130), ("bird", 1, 170)):
    os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(n):
        Image.new("RGB", (64 + 8 * i, 48), (grey, grey, grey + i)).save(os.path.join(root, cls, f"{cls}{i}.png"))
PY
# A YOLO folder without data.yaml: a flat grey 400 x 200 image with one "cat" box whose left
# edge is at x = 100 (centre 200, width 200), and a second image without a label file.
"$PYTHON" - "$WORK/yolo" <<'PY'
import os, sys
from PIL import Image
y = sys.argv[1]
for d in ("images", "labels"):
    os.makedirs(os.path.join(y, d), exist_ok=True)
Image.new("RGB", (400, 200), (128, 128, 128)).save(os.path.join(y, "images", "boxed.png"))
Image.new("RGB", (300, 200), (60, 60, 60)).save(os.path.join(y, "images", "plain.png"))
open(os.path.join(y, "classes.txt"), "w").write("cat\ndog\n")
open(os.path.join(y, "labels", "boxed.txt"), "w").write("0 0.5 0.5 0.5 0.5\n")
PY
start_daemon "$WORK/var"
run_e2e dashboard_boxes.mjs
stop_daemon TERM
echo "$checks passed, 0 failed"
