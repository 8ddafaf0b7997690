#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and starts imgedad on
# 127.0.0.1:8080 with its SQLite database under ./var (override with IMGEDAD_ARGS, e.g.
# IMGEDAD_ARGS="--listen 127.0.0.1:9090"). Scan roots must lie under the current directory
# unless config says otherwise (scan.allowed_roots).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target imgedad imgeda
mkdir -p var
# shellcheck disable=SC2086
exec build/bin/imgedad --config config/imgedad.yaml --data-dir var ${IMGEDAD_ARGS:-}
