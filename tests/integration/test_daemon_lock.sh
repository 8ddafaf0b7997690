#!/usr/bin/env bash
# One imgedad per data dir and per port: a second daemon on the same data dir refuses to start,
# naming the first one's pid (two daemons used to resume the same scan into one manifest), and
# one on another data dir but the same port refuses too (the port was shared); the first keeps
# serving. A daemon killed with -9 leaves no lock behind.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

mkdir -p "$WORK/set"
cp "$FIXTURES/sample/snow.png" "$FIXTURES/sample/street.jpg" "$WORK/set/"
start_daemon "$WORK/var"
FIRST=$DPID
FIRST_PORT=$PORT
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/set\"}"
ID=$(json "d['id']")
wait_status "$ID" succeeded 60

# second DATA_DIR LISTEN: runs another imgedad (bounded), its exit code in $RC, stderr in
# $WORK/second.err.
second() {
  set +e
  timeout 20 "$IMGEDAD" --listen "$2" --data-dir "$1" --set "scan.allowed_roots=$WORK" \
    >"$WORK/second.out" 2>"$WORK/second.err"
  RC=$?
  set -e
}

second "$WORK/var" 127.0.0.1:0
[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "a second imgedad on the same data dir exited $RC: $(cat "$WORK/second.out" "$WORK/second.err")"
contains "$WORK/second.err" "is in use by another imgedad (pid $FIRST)"
contains "$WORK/second.err" "$WORK/var"
ok "a second imgedad on the same data dir exits $RC, naming the first one's pid"

second "$WORK/var2" "127.0.0.1:$FIRST_PORT"
[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "a second imgedad on the same port exited $RC: $(cat "$WORK/second.out" "$WORK/second.err")"
contains "$WORK/second.err" "cannot listen on 127.0.0.1:$FIRST_PORT"
ok "a second imgedad on the same port (another data dir) exits $RC with a clear message"

expect_api 200 GET /healthz
expect_api 200 GET "/api/v1/scans/$ID"
[ "$(json "d['status']")" = succeeded ] || fail "the first daemon's scan: $(cat "$WORK/body")"
ok "the first imgedad keeps serving"

# The lock goes with the process, even killed -9: the next start on the data dir succeeds.
stop_daemon KILL
start_daemon "$WORK/var"
expect_api 200 GET "/api/v1/scans/$ID"
ok "a data dir whose daemon was killed -9 starts again"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
