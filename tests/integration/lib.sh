# Shared helpers for integration tests (sourced). $1 of the test is the build directory.
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
IMGEDA="$BUILD/bin/imgeda"
PYTHON=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
FIXTURES=${IE_FIXTURES:-$SRC/tests/fixtures}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ie_it_XXXXXX")
trap 'rm -rf "$WORK"' EXIT
checks=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok $checks - $*"; }
# expect_rc WANT CMD...: runs CMD, fails unless its exit code is WANT. Output in $WORK/out, err.
expect_rc() {
  local want=$1; shift
  set +e; "$@" >"$WORK/out" 2>"$WORK/err"; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$WORK/out" "$WORK/err" >&2; fail "'$*' exited $rc, expected $want"; }
}
contains() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks '$2'"; }; }
