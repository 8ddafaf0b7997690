#!/usr/bin/env bash
# imgedad under requests that race each other: exports (SQLite, CSV), results and a DELETE of
# the same scan at once never give a 500 (each request answers 200 from a consistent file or
# 404), leave nothing of the deleted scan on disk, and no result computed across the DELETE stays
# in the cache.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

mkdir -p "$WORK/set"
cp "$FIXTURES/sample/street.jpg" "$FIXTURES/sample/night.jpg" "$WORK/set/"
start_daemon "$WORK/var" --set scan.workers=1

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

stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
