#!/usr/bin/env bash
# SIGTERM while requests wait on a scan: a CI gate waiting for its scan is answered 503
# shutting_down, a Server-Sent Events stream ends, and imgedad exits within seconds (it used to
# join the gate's connection thread, which waited up to timeout_s on the loop that was
# stopping). The scan is checkpointed and the next start resumes it to the end.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

# exited PID: true once PID has ended (a zombie not yet waited for counts as ended).
exited() {
  local s
  s=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [ -z "$s" ] || [[ $s == Z* ]]
}

mkdir -p "$WORK/set"
for f in snow.png street.jpg night.jpg letterbox.jpg blurry.webp; do
  cp "$FIXTURES/sample/$f" "$WORK/set/$f"
done
cp "$FIXTURES/sample/night.jpg" "$WORK/set/spin_me.jpg"

# One image spins inside its decoder (test builds), with a time limit far beyond the test: the
# scan stays running until something stops it. A checkpoint per record makes its progress exact.
export IMGEDA_FAULT_INJECT="spin=spin_me.jpg"
start_daemon "$WORK/var" --set scan.image_timeout_s=600
curl -s -o "$WORK/gate.body" -w '%{http_code}' -X POST "$B/api/v1/gate" \
  -d "{\"root\": \"$WORK/set\", \"options\": {\"checkpoint_every\": 1}, \"policy\": {\"min_images_total\": 1}}" >"$WORK/gate.code" &
GPID=$!
ID=""
for _ in $(seq 1 100); do
  api GET "/api/v1/scans?status=running"
  ID=$(json "d['scans'][0]['id'] if d['scans'] else ''")
  [ -n "$ID" ] && break
  sleep 0.1
done
[ -n "$ID" ] || fail "the gate started no scan"
# Every image but the spinning one is done: the scan is stuck on it, the gate waits.
poll_scan "$ID" "d['progress']['processed'] == 5" 400 ||
  fail "the scan did not reach the spinning image: $(cat "$WORK/body")"
curl -sN "$B/api/v1/scans/$ID/events" >"$WORK/sse.out" &
SPID=$!
sleep 0.5
exited "$GPID" && fail "the gate request did not wait: $(cat "$WORK/gate.code") $(cat "$WORK/gate.body")"
ok "a CI gate and an SSE stream wait on a running scan"

# A service manager (or an impatient user) may send SIGTERM again while the daemon stops: it
# keeps getting one every 20 ms and must still stop cleanly with 0, not die of the signal (143).
T0=$(date +%s%3N)
kill -TERM "$DPID"
MS=0
while ! exited "$DPID" && [ "$MS" -lt 10000 ]; do
  sleep 0.02
  kill -TERM "$DPID" 2>/dev/null || true
  MS=$(($(date +%s%3N) - T0))
done
exited "$DPID" || fail "imgedad still runs $MS ms after SIGTERM"
set +e; wait "$DPID"; DRC=$?; set -e
DPID=""
[ "$DRC" = 0 ] || fail "imgedad exited $DRC after SIGTERM: $(tail -5 "$WORK/daemon.err")"
[ "$MS" -lt 5000 ] || fail "imgedad took $MS ms to stop"
ok "imgedad exits 0 within $MS ms of SIGTERM (repeated) while requests wait"

set +e; wait "$GPID"; set -e
[ "$(cat "$WORK/gate.code")" = 503 ] || fail "the waiting gate got $(cat "$WORK/gate.code"): $(cat "$WORK/gate.body")"
"$PYTHON" - "$WORK/gate.body" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "shutting_down", e
assert "shutting down" in e["message"], e
PY
ok "the waiting gate is answered 503 shutting_down"
for _ in $(seq 1 50); do exited "$SPID" && break; sleep 0.1; done
exited "$SPID" || fail "the SSE stream outlived the daemon"
set +e; wait "$SPID"; set -e
contains "$WORK/sse.out" '"status":"running"'
ok "the SSE stream ends"
grep -q "scan $ID checkpointed for shutdown" "$WORK/daemon.err" || fail "no checkpoint: $(cat "$WORK/daemon.err")"

# The next start resumes the scan (no spinning decoder this time) and finishes it.
unset IMGEDA_FAULT_INJECT
start_daemon "$WORK/var"
wait_status "$ID" succeeded 60
api GET "/api/v1/scans/$ID"
[ "$(json "d['progress']['processed']")" = 6 ] || fail "resumed scan: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/images?limit=50"
[ "$(json "len(d['images'])")" = 6 ] || fail "resumed scan has $(json "len(d['images'])") records"
grep -q "jobs: resuming scan $ID left unfinished" "$WORK/daemon.err" || fail "not resumed at the restart"
ok "the next start resumes the scan to the end"

stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
