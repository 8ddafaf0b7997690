# Helpers to run the real imgedad in integration tests (sourced after lib.sh).
IMGEDAD="$BUILD/bin/imgedad"
DPID=""
PORT=""
B=""

# start_daemon DATA_DIR [extra args...]: starts imgedad on a free port; sets DPID, PORT, B.
start_daemon() {
  local dd=$1; shift
  rm -f "$WORK/daemon.out" # the previous daemon's port line must not be read as this one's
  "$IMGEDAD" --listen 127.0.0.1:0 --data-dir "$dd" --set "scan.allowed_roots=$WORK" \
    --set scan.workers=2 "$@" >"$WORK/daemon.out" 2>>"$WORK/daemon.err" &
  DPID=$!
  for _ in $(seq 1 100); do
    PORT=$( { grep -o '127.0.0.1:[0-9]*' "$WORK/daemon.out" | head -1 | cut -d: -f2; } 2>/dev/null || true)
    [ -n "$PORT" ] && break
    kill -0 "$DPID" 2>/dev/null || { cat "$WORK/daemon.err" >&2; fail "imgedad did not start"; }
    sleep 0.05
  done
  [ -n "$PORT" ] || fail "imgedad printed no port"
  B="http://127.0.0.1:$PORT"
}

# stop_daemon [SIGNAL]: stops it and waits; returns its exit code in $DRC.
stop_daemon() {
  kill -"${1:-TERM}" "$DPID" 2>/dev/null || true
  set +e; wait "$DPID"; DRC=$?; set -e
  DPID=""
}

# api METHOD PATH [curl args...]: sets $CODE and writes the body to $WORK/body.
api() {
  local m=$1 p=$2; shift 2
  CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$m" "$B$p" "$@")
}

# expect_api CODE METHOD PATH [curl args...]
expect_api() {
  local want=$1; shift
  api "$@"
  [ "$CODE" = "$want" ] || { cat "$WORK/body" >&2; echo >&2; fail "$1 $2 gave $CODE, expected $want"; }
}

# json EXPR: evaluates a Python expression over the last body (as d).
json() {
  "$PYTHON" -c "import json,sys; d=json.load(open('$WORK/body')); print($1)"
}

# expect_names SID QUERY EXPECTED WHAT: the page GET images?limit=100&sort=filename&QUERY of scan
# SID must be EXPECTED: its file names in order, " / " and the total.
expect_names() {
  expect_api 200 GET "/api/v1/scans/$1/images?limit=100&sort=filename&$2"
  local got; got=$(json "' '.join(i['filename'] for i in d['images']) + ' / ' + str(d['total'])")
  [ "$got" = "$3" ] || fail "$4 ($2): got '$got', expected '$3'"
  ok "$4"
}

# wait_status ID STATUS [seconds]: polls until the scan reaches STATUS.
wait_status() {
  local id=$1 want=$2 t=${3:-60} s=""
  for _ in $(seq 1 $((t * 10))); do
    api GET "/api/v1/scans/$id"
    s=$(json "d['status']")
    [ "$s" = "$want" ] && return 0
    case "$s" in failed) cat "$WORK/body" >&2; fail "scan $id failed";; esac
    sleep 0.1
  done
  fail "scan $id is $s after ${t}s, expected $want"
}

# poll_scan ID PYEXPR [tries]: polls GET /api/v1/scans/ID every 0.05 s (200 tries) until the
# Python expression over its body (as d) is true; returns 1 if it never is (body in $WORK/body).
poll_scan() {
  local id=$1 expr=$2 n=${3:-200}
  for _ in $(seq 1 "$n"); do
    api GET "/api/v1/scans/$id"
    [ "$(json "bool($expr)")" = True ] && return 0
    sleep 0.05
  done
  return 1
}

cleanup_daemon() { [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup_daemon EXIT

# run_e2e SCRIPT [VAR=value...]: runs tests/e2e/SCRIPT (headless Chromium) against the daemon at
# $B with IMGEDA_URL, IMGEDA_WORK, IMGEDA_SOURCE, ARTIFACTS and CHROMIUM set, plus the given
# variables; fails with the daemon's log when it fails.
run_e2e() {
  local script=$1 rc
  shift
  set +e
  (cd "$SRC" && env IMGEDA_URL="$B" IMGEDA_WORK="$WORK" IMGEDA_SOURCE="$SRC" \
    ARTIFACTS="${ARTIFACTS:-$SRC/tests/artifacts/dashboard}" CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" \
    "$@" node "tests/e2e/$script")
  rc=$?
  set -e
  [ "$rc" = 0 ] || { cat "$WORK/daemon.err" >&2; fail "tests/e2e/$script exited $rc (screenshots in ${ARTIFACTS:-tests/artifacts/dashboard})"; }
  ok "tests/e2e/$script passed"
}

# need_browser: fails with the command to run when Chromium or playwright-core is missing; sets E2E
# (the e2e scripts' folder) for the browser tests.
need_browser() {
  E2E="$SRC/tests/e2e"
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no Chromium: install it with 'sudo scripts/deps.sh test'"
  [ -f "$E2E/node_modules/playwright-core/package.json" ] \
    || fail "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e --no-audit --no-fund'"
}
