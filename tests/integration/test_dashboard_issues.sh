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
mkdir -p "$ARTIFACTS"
"$PYTHON" "$HERE/issue_images.py" issues "$WORK/data" --corrupt || fail "cannot make the fixture images (python3-pil)"
"$PYTHON" "$HERE/issue_images.py" splits "$WORK/splits" || fail "cannot make the split folders"
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
