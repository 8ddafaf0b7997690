#!/usr/bin/env bash
# The dashboard on a 10^5-image scan: imports a generated 100,000-record manifest into the real
# imgedad, then tests/e2e/dashboard_scale.mjs opens every tab of the scan page in headless
# Chromium and prints the time to its first render (budget: 1 s each). Labelled slow and browser;
# needs bench_gen_manifest (IE_BUILD_BENCH=ON, the normal build of scripts/test.sh).
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

GEN="$BUILD/bin/bench_gen_manifest"
N=${IMGEDA_SCALE_N:-100000}
[ -x "$GEN" ] || fail "no $GEN: configure with -DIE_BUILD_BENCH=ON"
[ -f "$SRC/tests/e2e/node_modules/playwright-core/package.json" ] \
  || fail "tests/e2e/node_modules is missing: run 'npm ci --prefix tests/e2e --no-audit --no-fund' (scripts/test.sh does)"

"$GEN" -n "$N" -o "$WORK/big.jsonl" --new "$WORK/big_v2.jsonl" --churn 1 >/dev/null
ok "generated a $N-record manifest ($(du -h "$WORK/big.jsonl" | cut -f1)) and a version with 1% churn"
start_daemon "$WORK/var" --set limits.max_body_bytes=1073741824
t0=${EPOCHREALTIME/./}
expect_api 201 POST "/api/v1/manifests?name=scale" --data-binary @"$WORK/big.jsonl" \
  -H 'Content-Type: application/x-ndjson'
t1=${EPOCHREALTIME/./}
ID=$(json "d['id']")
[ "$(json "d['progress']['total']")" = "$N" ] || fail "the import holds $(json "d['progress']['total']") records"
echo "timing: import of $N records $(( (t1 - t0) / 1000 )) ms"
ok "imported as scan $ID"
cp -r "$FIXTURES/sample" "$WORK/small"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/small\", \"name\": \"small\"}"
SMALL=$(json "d['id']")
wait_status "$SMALL" succeeded
ok "scanned the 7-image sample as the baseline ($SMALL)"
expect_api 201 POST "/api/v1/manifests?name=scale-v2" --data-binary @"$WORK/big_v2.jsonl" \
  -H 'Content-Type: application/x-ndjson'
ID2=$(json "d['id']")
ok "imported the second version as scan $ID2"
# A user opens the scan after the import; by then the daemon has computed the results a dashboard
# asks for first (summary, checks, duplicates at thresholds 0-16, plots) on its pool.
for _ in $(seq 1 600); do
  curl -s "$B/metrics" | grep -q '^imgedad_results_warmed_total [3-9]' && break
  sleep 0.1
done
curl -s "$B/metrics" | grep -q '^imgedad_results_warmed_total [3-9]' || fail "the results of the import were not warmed within 60 s"
grep -o 'results warmed in [0-9.]* s' "$WORK/daemon.err" | sed 's/^/timing: /' || true
ok "the daemon warmed the scan's first results"

run_e2e dashboard_scale.mjs IMGEDA_SCAN="$ID" IMGEDA_SCAN2="$ID2" IMGEDA_SCAN_SMALL="$SMALL" IMGEDA_N="$N"
ok "every tab of a $N-image scan rendered within its budget"
echo "peak RSS: imgedad $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$DPID/status")"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks passed, 0 failed"
