#!/usr/bin/env bash
# Annotations in the dashboard, in headless Chromium: builds a class-per-folder dataset with
# python3-pil (flat grey images in three class folders), starts imgedad and runs
# tests/e2e/dashboard_boxes.mjs, which scans it and checks the annotations tab shows its class
# statistics. Needs what test_dashboard.sh needs, plus python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

E2E="$SRC/tests/e2e"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no Chromium: install it with 'sudo scripts/deps.sh test'"
[ -f "$E2E/node_modules/playwright-core/package.json" ] \
  || fail "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e --no-audit --no-fund'"

"$PYTHON" - "$WORK/cls" <<'PY'
import os, sys
from PIL import Image
root = sys.argv[1]
for cls, n, grey in (("cat", 3, 90), ("dog", 2, 130), ("bird", 1, 170)):
    os.makedirs(os.path.join(root, cls), exist_ok=True)
    for i in range(n):
        Image.new("RGB", (64 + 8 * i, 48), (grey, grey, grey + i)).save(os.path.join(root, cls, f"{cls}{i}.png"))
PY
start_daemon "$WORK/var"
run_e2e dashboard_boxes.mjs
stop_daemon TERM
echo "$checks passed, 0 failed"
