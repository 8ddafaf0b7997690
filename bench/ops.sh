#!/usr/bin/env bash
# bench/ops.sh: dataset operations on 10^6-record manifests: `imgeda diff` (10^6 vs 10^6, 1%
# changed, 1% removed, 1% added), `imgeda gate` and, when the build has it, `imgeda info`, each
# under /usr/bin/time -v (wall time, CPU time, records/s, peak RSS) against the targets
# <= 15 s and <= 1.5 GB. The in-run baseline is the cost of just reading the same file
# (getline), next to cJSON parsing alone, the slim loader diff and gate use, and
# ie_manifest_load (full records): where reading time goes (bench_gen_manifest --time-load).
#
#   bench/ops.sh                  # 10^6 records, build/ (needs ~2.6 GB in $BENCH_DIR)
#   bench/ops.sh -n 200000        # smaller
#   BUILD_DIR=... BENCH_DIR=... bench/ops.sh --keep   # keep (and reuse) the generated files
#   bench/ops.sh --check          # exit 3 when a target is missed
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
BUILD=${BUILD_DIR:-$SRC/build}
N=1000000
KEEP=0
CHECK=0
TARGET_S=15
TARGET_MB=1536

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    -n) N=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --check) CHECK=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 1 ;;
  esac
done

IMGEDA=$BUILD/bin/imgeda
GEN=$BUILD/bin/bench_gen_manifest
if [ ! -x "$IMGEDA" ] || [ ! -x "$GEN" ]; then
  cmake --build "$BUILD" --target imgeda bench_gen_manifest >/dev/null
fi
if grep -q 'CMAKE_BUILD_TYPE:STRING=Debug' "$BUILD/CMakeCache.txt" 2>/dev/null ||
   grep -q 'IE_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "bench/ops.sh: $BUILD is a Debug or sanitizer build; timings would mean nothing" >&2
  exit 1
fi

WORK=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/ie_ops_XXXXXX")}
mkdir -p "$WORK"
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT
OLD=$WORK/old_$N.jsonl
NEW=$WORK/new_$N.jsonl
POLICY=$WORK/policy.yaml

if [ ! -s "$OLD" ] || [ ! -s "$NEW" ]; then
  echo "generating $N-record manifests in $WORK ..."
  /usr/bin/time -f "  generated in %e s" "$GEN" -n "$N" -o "$OLD" --new "$NEW" --churn 1 --seed 42
fi
cat > "$POLICY" <<'EOF'
min_images_total: 1000
max_corrupt_pct: 1.0
max_overexposed_pct: 5.0
max_underexposed_pct: 5.0
max_duplicate_pct: 10.0
max_blurry_pct: 10.0
max_artifact_pct: 5.0
min_width: 256
min_height: 256
allowed_formats: [JPEG, PNG, WEBP]
max_aspect_ratio: 3.0
EOF
echo "  $(du -h "$OLD" | cut -f1) + $(du -h "$NEW" | cut -f1); warming the page cache"
cat "$OLD" "$NEW" >/dev/null

missed=0
# measure LABEL RECORDS CMD...: runs CMD under /usr/bin/time -v (exit status 0 or 2 expected).
measure() {
  local label=$1 records=$2; shift 2
  local tv=$WORK/time.txt rc=0
  /usr/bin/time -v -o "$tv" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    cat "$WORK/err.txt" >&2
    echo "bench/ops.sh: '$*' failed with $rc" >&2
    exit 1
  fi
  awk -v label="$label" -v records="$records" -v ts="$TARGET_S" -v tm="$TARGET_MB" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
    /User time/ { user = $2 } /System time/ { sys = $2 }
    /Maximum resident set size/ { rss = $2 / 1024 }
    END {
      ok = (wall <= ts && rss <= tm) ? "ok" : "MISSED";
      printf "%-34s %7.2f s wall %7.2f s cpu %10.0f records/s %7.0f MB peak RSS  %s\n",
             label, wall, user + sys, records / wall, rss, ok;
      exit (ok == "ok") ? 0 : 3
    }' "$tv" || missed=1
}

echo
echo "== $N vs $N records (1% changed, 1% removed, 1% added); targets <= $TARGET_S s, <= $TARGET_MB MB"
measure "imgeda diff --old A --new B -o OUT" $((2 * N)) "$IMGEDA" diff --old "$OLD" --new "$NEW" -o "$WORK/diff.json"
measure "imgeda diff --json > FILE" $((2 * N)) "$IMGEDA" diff --old "$OLD" --new "$NEW" --json
measure "imgeda gate -m A -p POLICY" "$N" "$IMGEDA" gate -m "$OLD" -p "$POLICY"
if "$IMGEDA" info --help >/dev/null 2>&1; then
  measure "imgeda info -m A" "$N" "$IMGEDA" info -m "$OLD"
  measure "imgeda info -m A --json" "$N" "$IMGEDA" info -m "$OLD" --json
else
  echo "imgeda info: not in this build, skipped"
fi
python3 - "$WORK/diff.json" <<'PY' 2>/dev/null || true
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print("  diff summary: " + ", ".join("%s %d" % kv for kv in s.items()))
PY

echo
echo "== where reading one $N-record manifest goes (baseline: reading its lines)"
"$GEN" --time-load "$OLD"

if [ "$missed" = 1 ]; then
  echo "a target was missed"
  [ "$CHECK" = 1 ] && exit 3
fi
exit 0
