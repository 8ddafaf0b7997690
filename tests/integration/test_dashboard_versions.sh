#!/usr/bin/env bash
# The dashboard's Rescan makes a new version and keeps the old one (tests/e2e/dashboard_versions.mjs
# in headless Chromium; the same tools as test_dashboard.sh, which checks that they are there).
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

ARTIFACTS=${ARTIFACTS:-$SRC/tests/artifacts/dashboard}
mkdir -p "$ARTIFACTS" "$WORK/data"
cp "$FIXTURES/sample/street.jpg" "$FIXTURES/sample/snow.png" "$WORK/data/"
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"versioned\"}"
wait_status "$(json "d['id']")" succeeded 30
run_e2e dashboard_versions.mjs
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks checks passed"
