#!/usr/bin/env bash
# Dashboard responsiveness on a large scan, in headless Chromium: imports a generated N-record
# manifest (default 10^5) and a second version, scans the 7-image sample as the baseline, then
# times the first render of every scan-page tab on both (ratio = large / small, same run), a few
# interactions, the gate and the compare, and prints imgedad's peak RSS. It is the ctest
# integration_test_dashboard_scale with its budget checks, run by hand at any size:
#   bench/dashboard.sh [N]        (needs a build with IE_BUILD_BENCH=ON and npm ci in tests/e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
IMGEDA_SCALE_N=${1:-100000} exec bash tests/integration/test_dashboard_scale.sh "${BUILD:-$PWD/build}"
