#!/usr/bin/env bash
# imgedad under requests that race each other and clients that vanish: exports (SQLite, CSV),
# results and a DELETE of the same scan at once never give a 500 (each request answers 200 from
# a consistent file or 404), leave nothing of the deleted scan on disk, and no result computed
# across the DELETE stays in the cache; SSE clients killed mid-stream free their connection
# within about a second, and a new stream is served.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

mkdir -p "$WORK/set" "$WORK/spin"
cp "$FIXTURES/sample/street.jpg" "$FIXTURES/sample/night.jpg" "$WORK/set/"
cp "$FIXTURES/sample/snow.png" "$WORK/spin/spin_me.png"
# spin_me.png keeps a scan running (its analysis spins until the time limit or a cancel), so
# that its event streams stay open.
export IMGEDA_FAULT_INJECT="spin=spin_me.png"
start_daemon "$WORK/var" --set scan.workers=1 --set scan.image_timeout_s=30

# get PATH OUT: one request in the background (its pid in reqs), its status in OUT.
reqs=()
get() {
  curl -s -o /dev/null -w '%{http_code}\n' "$B$1" >>"$2" &
  reqs+=($!)
}

: >"$WORK/codes"
for i in $(seq 1 4); do
  expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/set\"}"
  ID=$(json "d['id']")
  wait_status "$ID" succeeded 30
  # A report takes about a second to render: the DELETE lands while it is computed.
  get "/api/v1/scans/$ID/report.pdf" "$WORK/codes"
  sleep 0.$((i % 4 + 1))
  for _ in 1 2 3 4 5 6; do get "/api/v1/scans/$ID/export.sqlite" "$WORK/codes"; done
  get "/api/v1/scans/$ID/export.csv" "$WORK/codes"
  get "/api/v1/scans/$ID/summary" "$WORK/codes"
  expect_api 204 DELETE "/api/v1/scans/$ID"
  for _ in 1 2 3 4 5 6; do get "/api/v1/scans/$ID/export.sqlite" "$WORK/codes"; done
  wait "${reqs[@]}"
  reqs=()
done
bad=$(grep -cv -e '^200$' -e '^404$' "$WORK/codes" || true)
[ "$bad" = 0 ] || fail "requests racing DELETE answered $(sort "$WORK/codes" | uniq -c | tr '\n' ' ')"
[ "$(wc -l <"$WORK/codes")" = 60 ] || fail "lost replies: $(wc -l <"$WORK/codes")"
ok "exports, results and DELETE of the same scan at once: $(sort "$WORK/codes" | uniq -c | tr -s ' \n' ' ')(no 500)"
left=$(find "$WORK/var/scans" -mindepth 1 | head -5)
[ -z "$left" ] || fail "deleted scans left files behind: $left"
ok "nothing of the deleted scans is left on disk"
expect_api 200 GET /metrics
grep -q '^imgedad_result_cache_bytes 0$' "$WORK/body" ||
  fail "results of deleted scans stay cached: $(grep result_cache_bytes "$WORK/body")"
ok "no result computed across a DELETE stays in the cache"

# Event streams of a running scan; their clients are killed without closing anything.
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/spin\"}"
SPIN=$(json "d['id']")
wait_status "$SPIN" running 30
# Connections the daemon holds on its port: established, or closed by the client and not yet
# by the daemon (CLOSE_WAIT).
conns() {
  awk -v p="$(printf ':%04X' "$PORT")" '$2 ~ p "$" && ($4 == "01" || $4 == "08")' /proc/net/tcp | wc -l
}
base=$(conns)
# Started by a shell of their own, so that killing them is no job news of this one.
pids=$(for i in $(seq 1 8); do
  sh -c 'curl -sN "$1" >"$2" 2>/dev/null & echo $!' sh "$B/api/v1/scans/$SPIN/events" "$WORK/sse$i"
done)
for _ in $(seq 1 50); do
  [ "$(conns)" -ge $((base + 8)) ] && break
  sleep 0.1
done
[ "$(conns)" -ge $((base + 8)) ] || fail "8 streams did not start: $(conns) connections, $base before"
contains "$WORK/sse1" "event: progress"
# shellcheck disable=SC2086
kill -KILL $pids
t0=$(date +%s%N)
while [ "$(conns)" -gt "$base" ]; do
  [ $(($(date +%s%N) - t0)) -lt 3000000000 ] || fail "vanished SSE clients still hold $(($(conns) - base)) connections after 3 s"
  sleep 0.1
done
ok "8 vanished SSE clients freed their connections in $((($(date +%s%N) - t0) / 1000000)) ms"
timeout 3 curl -sN "$B/api/v1/scans/$SPIN/events" >"$WORK/sse_new" || true
contains "$WORK/sse_new" "event: progress"
ok "a new event stream is served"
expect_api 202 POST "/api/v1/scans/$SPIN/cancel"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
