#!/usr/bin/env bash
# The dashboard's defects of issue 12, each as a user meets it, in headless Chromium: starts
# imgedad on the sample dataset and runs tests/e2e/dashboard_defects.mjs, which also stops the
# daemon and starts it again on the same port (IMGEDAD, DAEMON_PORT, DAEMON_DATA) to see the page
# recover without a reload. IMGEDAD and WEB_DIR may name another build and dashboard (to run the
# test against an older version). Needs what test_dashboard.sh needs.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

IMGEDAD=${IMGEDAD_UNDER_TEST:-$IMGEDAD}
need_browser

cp -r "$FIXTURES/sample" "$WORK/data"
WEB_ARGS=()
[ -n "${WEB_DIR:-}" ] && WEB_ARGS=(--web-dir "$WEB_DIR")
# Imports are streamed to disk within their own limit, import.max_bytes (test_daemon_import.sh
# shows one over limits.max_body_bytes succeed); set to 8 MiB here to see the refusal.
start_daemon "$WORK/var" "${WEB_ARGS[@]}" --set import.max_bytes=8388608
# An import over the limit: the 413 names the setting to raise.
head -c $((9 << 20)) /dev/zero | tr '\0' 'x' >"$WORK/big.jsonl"
api POST /api/v1/manifests --data-binary "@$WORK/big.jsonl"
[ "$CODE" = 413 ] && grep -q 'import.max_bytes' "$WORK/body" \
  || fail "an import over the body limit: $CODE $(cat "$WORK/body")"
ok "an import over the import limit is a 413 that names import.max_bytes"
run_e2e dashboard_defects.mjs IMGEDA_PID="$DPID" IMGEDAD="$IMGEDAD" DAEMON_PORT="$PORT" \
  DAEMON_DATA="$WORK/var" WEB_DIR="${WEB_DIR:-}"
# The test stopped the first daemon and ends the one it started itself.
stop_daemon TERM
echo "$checks passed, 0 failed"
