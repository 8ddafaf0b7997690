#!/usr/bin/env bash
# bench/marks.sh: what ?marks=apply costs the daemon at RECORDS records (default 10^5): a
# generated manifest imported into imgedad, 3 images marked (remove, keep, ok), then REQUESTS
# (default 5) sequential requests each of GET summary?marks=apply and POST gate?marks=apply
# (the same policy as bench/ops.sh), each timed by curl; the first request of each kind (the
# one that computes) and the median of the others are printed, with the plain summary and gate
# as a baseline. A PUT marks in between shows what a change of marks costs the next request.
# Usage: bench/marks.sh [RECORDS] [REQUESTS] [IMGEDAD]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
K=${2:-5}
BIN=${3:-build/bin/imgedad}
if [ ! -x build/bin/bench_gen_manifest ] || [ ! -x "$BIN" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIE_BUILD_BENCH=ON >/dev/null
  cmake --build build -j2 --target imgedad bench_gen_manifest >/dev/null
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/ie_bench_marks_XXXXXX")
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$W"' EXIT

build/bin/bench_gen_manifest -n "$N" -o "$W/m.jsonl" >/dev/null
"$BIN" --listen 127.0.0.1:0 --data-dir "$W/var" --set limits.max_body_bytes=2000000000 \
  --set log.level=warn >"$W/out" 2>"$W/err" &
PID=$!
port=""
for _ in $(seq 1 1200); do
  port=$(grep -o '127.0.0.1:[0-9]*' "$W/out" 2>/dev/null | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "the daemon did not start: $(cat "$W/err")" >&2; exit 1; }
B="http://127.0.0.1:$port"
ID=$(curl -sf -X POST "$B/api/v1/manifests?name=bench" --data-binary "@$W/m.jsonl" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# The import's background work (indexing, result warm-up) must be over before timing.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
for _ in $(seq 1 240); do
  a=$(cpu_ticks)
  sleep 0.5
  [ "$(cpu_ticks)" = "$a" ] && break
done
cat >"$W/policy.yaml" <<'P'
min_images_total: 1000
max_corrupt_pct: 1.0
max_duplicate_pct: 10.0
min_width: 256
allowed_formats: [JPEG, PNG, WEBP]
P
mark() { # mark KIND IMAGE_ID
  curl -sf -X PUT "$B/api/v1/scans/$ID/marks" -H 'Content-Type: application/json' \
    -d "{\"image_ids\": [$2], \"mark\": \"$1\"}" >/dev/null
}
mark remove 1
mark keep 2
mark ok 3

# timed LABEL CMD...: runs CMD K times; prints the first and the median of the rest (ms).
timed() {
  local label=$1; shift
  local t=()
  for _ in $(seq 1 "$K"); do t+=("$("$@")"); done
  printf '%s\n' "${t[@]}" | python3 -c '
import sys, statistics
v = [float(x) * 1000 for x in sys.stdin.read().split()]
rest = v[1:] or v
print("%-40s first %8.1f ms   then median %8.1f ms" % (sys.argv[1], v[0], statistics.median(rest)))' "$label"
}
get() { curl -sf -o /dev/null -w '%{time_total}' "$B/api/v1/scans/$ID/$1"; }
gate() {
  local st
  st=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -X POST --data-binary "@$W/policy.yaml" \
    "$B/api/v1/scans/$ID/gate$1")
  case ${st%% *} in 200|412) echo "${st#* }" ;; *) echo "gate answered ${st%% *}" >&2; exit 1 ;; esac
}

echo "== bench/marks.sh: $N records, $(nproc) cores, $K requests each, $(date -u +%Y-%m-%dT%H:%MZ)"
timed "GET summary (baseline)" get summary
timed "POST gate (baseline)" gate ""
timed "GET summary?marks=apply" get "summary?marks=apply"
timed "POST gate?marks=apply" gate "?marks=apply"
mark remove 4
timed "after PUT marks: GET summary?marks=apply" get "summary?marks=apply"
timed "after PUT marks: POST gate?marks=apply" gate "?marks=apply"
echo "peak RSS of imgedad: $(awk '/VmHWM/ {print $2, $3}' /proc/"$PID"/status)"
