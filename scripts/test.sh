#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with -Werror, runs every test,
# then builds again with AddressSanitizer + UBSan and runs the suite under them, and last runs
# the libFuzzer fuzzers of the core's and the daemon's parsers for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

# The browser tests' playwright-core (tests/e2e): installed when missing or older than the lock
# file (npm ci writes node_modules/.package-lock.json last), so later runs need no network.
if [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
  echo "== npm ci (tests/e2e)"
  npm ci --prefix tests/e2e --no-audit --no-fund || { rm -rf tests/e2e/node_modules; exit 1; }
fi

echo "== build (warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIE_WERROR=ON -DIE_BUILD_TESTS=ON -DIE_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$jobs"
echo "== folders depend one way (core <- engine <- cli, server)"
scripts/check-layers.sh
echo "== code layout (clang-format)"
scripts/check-format.sh
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900

echo "== tests under AddressSanitizer + UBSan"
# -O1, as the sanitizers' own documentation advises: the checks are the same as at -O0 (every
# access is instrumented, no check is optimised away), the stacks stay readable with frame
# pointers, and the stage runs in about 0.7 of the CPU time (measured on five of its heaviest
# tests: 92 s against 109-130 s). -O1 also makes gcc's -Wformat-truncation see more, so the
# build is a stricter -Werror build than at -O0.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" -DIE_WERROR=ON \
  -DIE_SANITIZE=ON -DIE_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1800 -LE "slow|nosan"

# Fuzz build: the core and the daemon's library instrumented for libFuzzer under ASan + UBSan;
# each fuzzer replays its regression inputs and then fuzzes for 20 s (tests/fuzz/README.md).
echo "== fuzzers (bounded)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIE_WERROR=ON \
  -DIE_FUZZ=ON -DIE_BUILD_TESTS=OFF -DIE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
ctest --test-dir build-fuzz --output-on-failure -j"$jobs" -L fuzz
