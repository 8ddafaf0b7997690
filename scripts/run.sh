#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and runs the main job.
# Until the daemon lands (issue 5) the main job is a scan of the bundled sample folder.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIE_BUILD_TESTS=OFF -DIE_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target imgeda
mkdir -p var
exec build/bin/imgeda scan "${1:-tests/fixtures/sample}" -o var/sample_manifest.jsonl
