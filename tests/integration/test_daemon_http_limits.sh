#!/usr/bin/env bash
# imgedad holds against hostile and heavy HTTP clients: bodies without the token are refused
# before they are read (memory stays flat), bodies together stay within a budget (503 beyond),
# half-open connections neither lock out /healthz nor stay open past the head time limit, and
# the SQLite connections of the HTTP threads are a bounded pool whatever the number of clients.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"
ATTACK="$HERE/http_attack.py"

# kib NAME: the daemon's /proc status field NAME (VmRSS, VmHWM) in KiB.
kib() { awk -v n="$1:" '$1 == n {print $2}' "/proc/$DPID/status"; }

# 1. Bodies without the token are answered 401 from their head: 50 x 8 MiB sent at once leave
# the daemon's peak memory where it was (it once buffered them all, to 3.2 GB for 400).
start_daemon "$WORK/var" --set auth.token=s3cret
expect_api 200 GET /healthz
before=$(kib VmRSS)
"$PYTHON" "$ATTACK" "$PORT" bodies 50 8388608 || fail "unauthenticated bodies"
peak=$(kib VmHWM)
echo "# RSS before: $((before / 1024)) MiB; peak after 50 x 8 MiB without the token: $((peak / 1024)) MiB"
[ $((peak - before)) -lt $((128 * 1024)) ] ||
  fail "the daemon's peak memory grew by $(((peak - before) / 1024)) MiB for bodies it refused"
ok "bodies without the token get 401 before they are read; memory stays flat"
# A body within the budget and with the token is still read and answered.
expect_api 200 POST /api/v1/policy/validate -H 'Authorization: Bearer s3cret' --data-binary 'min_width: 1'
expect_api 401 POST /api/v1/policy/validate --data-binary 'min_width: 1'
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"

# 2. Bodies held at once stay within limits.max_buffered_bytes: beyond it, 503 busy with
# Retry-After at once; finished or stalled-and-closed bodies give their bytes back.
start_daemon "$WORK/var" --set auth.token=s3cret --set limits.max_body_bytes=262144 \
  --set limits.max_buffered_bytes=1048576 --set limits.body_timeout_s=3
"$PYTHON" "$ATTACK" "$PORT" budget s3cret 200000 5 3 || fail "body budget"
ok "bodies together stay within the budget (503 busy, Retry-After); stalled bodies are closed"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"

# 3. 1,100 half-open connections from one address (127.0.0.2) once filled every connection slot
# for minutes: now that client is held to its per-address cap, /healthz from 127.0.0.1 answers
# at once, and the half-open ones are closed after limits.header_timeout_s.
start_daemon "$WORK/var" --set limits.header_timeout_s=2
"$PYTHON" "$ATTACK" "$PORT" halfopen 1100 127.0.0.2 2 || fail "half-open connections"
ok "half-open connections from one client lock nobody out and are closed after the head time limit"
# Legitimate concurrent use from one address (a browser, event streams, CI) is within the cap.
"$PYTHON" "$ATTACK" "$PORT" together 60 || fail "concurrent clients"
ok "60 concurrent keep-alive clients from one address are served"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"

# 4. The HTTP threads share a bounded pool of SQLite connections: kept-alive connections and
# event streams whose threads linger once held one each (1,952 descriptors after SSE churn).
# A scan kept running (one image spins in analysis) keeps its event streams open.
mkdir -p "$WORK/set"
cp "$FIXTURES/sample/snow.png" "$WORK/set/ok.png"
cp "$FIXTURES/sample/night.jpg" "$WORK/set/spin_me.jpg"
export IMGEDA_FAULT_INJECT="spin=spin_me.jpg"
start_daemon "$WORK/var" --set limits.db_connections=4 --set scan.image_timeout_s=300
unset IMGEDA_FAULT_INJECT
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/set\"}"
ID=$(json "d['id']")
wait_status "$ID" running 30
expect_api 200 GET "/api/v1/scans/$ID"
# Each pooled connection may open the database and its WAL: 2 x 4, and a little slack.
"$PYTHON" "$ATTACK" "$PORT" fds "$DPID" "/api/v1/scans/$ID" 50 12 || fail "SQLite connections"
ok "SQLite connections stay a bounded pool across hundreds of connections and event streams"
stop_daemon KILL

echo "$checks passed, 0 failed"
