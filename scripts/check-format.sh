#!/usr/bin/env bash
# Fails when a tracked C file differs from clang-format's layout (.clang-format).
# Fix with: clang-format -i $(git ls-files '*.c' '*.h')
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find core server tests bench -name '*.[ch]')
clang-format --dry-run --Werror "${files[@]}"
