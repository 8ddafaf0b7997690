#!/usr/bin/env bash
# The dashboard in headless Chromium: starts imgedad on the sample dataset and runs
# tests/e2e/dashboard.mjs (playwright-core driving Debian's /usr/bin/chromium) against it.
# Screenshots go to tests/artifacts/dashboard/. Needs chromium and node (scripts/deps.sh test) and
# tests/e2e/node_modules (npm ci, done by scripts/test.sh); a missing one fails, never skips.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

E2E="$SRC/tests/e2e"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
ARTIFACTS=${ARTIFACTS:-$SRC/tests/artifacts/dashboard}
[ -x "$CHROMIUM" ] \
  || fail "no Chromium at $CHROMIUM: install it with 'sudo scripts/deps.sh test' (Debian package chromium)"
command -v node >/dev/null \
  || fail "no node: install Node.js >= 18 with 'sudo scripts/deps.sh test' (Debian packages nodejs npm)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
  || fail "node $(node --version) is too old: the browser tests need Node.js >= 18"
[ -f "$E2E/node_modules/playwright-core/package.json" ] \
  || fail "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e --no-audit --no-fund' (scripts/test.sh does)"
ok "chromium, node $(node --version) and playwright-core $(node -p "require('$E2E/node_modules/playwright-core/package.json').version") are there"

cp -r "$FIXTURES/sample" "$WORK/data"
start_daemon "$WORK/var"
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/[0-9]*.png # only this run's screenshots (scale-*.png are test_dashboard_scale's)

run_e2e dashboard.mjs IMGEDA_PID="$DPID"

# The test's last step stops the daemon (SIGTERM) to see the dashboard's "unreachable" state.
stop_daemon TERM
[ "$DRC" = 0 ] || { cat "$WORK/daemon.err" >&2; fail "imgedad exited $DRC after the browser test"; }
ok "imgedad served the browser and stopped cleanly"

# Again with auth.token set: the page asks for it, and images, events and downloads use the cookie.
TOKEN=dashboard-e2e-token
start_daemon "$WORK/var_auth" --set auth.token=$TOKEN
run_e2e dashboard_auth.mjs IMGEDA_TOKEN="$TOKEN"
stop_daemon TERM
[ "$DRC" = 0 ] || { cat "$WORK/daemon.err" >&2; fail "imgedad (with a token) exited $DRC"; }
echo "$checks passed, 0 failed"
