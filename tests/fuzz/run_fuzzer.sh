#!/usr/bin/env bash
# One fuzz test (ctest label fuzz): replays every input of the fuzzer's regression folder, then
# fuzzes for a bounded time from a fresh corpus seeded by the given files and folders.
# Usage: run_fuzzer.sh FUZZER REGRESSION_DIR WORK_DIR SECONDS [libFuzzer flags...] -- SEEDS...
# Crashes, leaks and timeouts are written to WORK_DIR/artifacts/ (see tests/fuzz/README.md).
set -euo pipefail
fuzzer=$1 regressions=$2 work=$3 seconds=$4
shift 4
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  flags+=("$1")
  shift
done
[ $# -gt 0 ] && shift
# libFuzzer takes folders as corpora and single files through -seed_inputs.
dirs=() files=()
for s in "$@"; do
  if [ -d "$s" ]; then dirs+=("$s"); elif [ -f "$s" ]; then files+=("$s"); else
    echo "run_fuzzer.sh: seed $s does not exist" >&2
    exit 1
  fi
done
[ ${#files[@]} -eq 0 ] || flags+=("-seed_inputs=$(IFS=,; echo "${files[*]}")")

limits=(-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$work/artifacts/")
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"

shopt -s nullglob
replay=("$regressions"/*)
if [ ${#replay[@]} -gt 0 ]; then
  echo "== replaying ${#replay[@]} regression input(s) from $regressions"
  "$fuzzer" "${limits[@]}" "${flags[@]}" "${replay[@]}"
fi
echo "== fuzzing for ${seconds}s (artifacts in $work/artifacts/)"
"$fuzzer" "${limits[@]}" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 \
  "$work/corpus" "${dirs[@]}"
