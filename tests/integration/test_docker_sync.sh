#!/usr/bin/env bash
# Docker cannot run on our machines, so this keeps docker/Dockerfile honest instead: it installs
# packages only through scripts/deps.sh with modes that exist, builds the targets that exist,
# and the runtime stage's package list covers every shared library the binaries need.
source "$(dirname "$0")/lib.sh"
DF="$SRC/docker/Dockerfile"
DEPS="$SRC/scripts/deps.sh"

grep -qiE 'apt-get|apt install|dpkg -i' "$DF" && fail "Dockerfile installs packages itself; use scripts/deps.sh"
modes=$(grep -E '^RUN' "$DF" | grep -oE 'deps\.sh [a-z]+' | awk '{print $2}' | sort -u | tr '\n' ' ')
[ "$modes" = "build runtime " ] || fail "Dockerfile uses deps.sh modes '$modes', expected build and runtime"
for m in build runtime; do
  grep -qE "^  $m\)" "$DEPS" || fail "deps.sh has no '$m' mode"
done
ok "the Dockerfile installs through scripts/deps.sh build/runtime only"

for t in $(grep -oE -- '--target [a-z ]+' "$DF" | head -1 | sed 's/--target //'); do
  [ -x "$BUILD/bin/$t" ] || fail "Dockerfile builds '$t', which this build does not produce"
done
grep -q "EXPOSE 8080" "$DF" && grep -q 'USER imgedad' "$DF" && grep -q 'VOLUME \["/data"\]' "$DF" \
  || fail "port, non-root user and data volume"
grep -q "FROM debian:12" "$DF" || fail "Debian 12 base"
ok "built targets exist; port, user and volume are declared"

runtime=$(sed -n '/^RUNTIME_PKGS=(/,/^)/p' "$DEPS" | sed '1d;$d' | tr -d ' ')
missing=""
for bin in imgedad imgeda imgeda-lambda; do
  for lib in $(readelf -d "$BUILD/bin/$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
    path=$(ldd "$BUILD/bin/$bin" | awk -v l="$lib" '$1 == l {print $3}')
    [ -n "$path" ] || fail "$bin: cannot resolve $lib"
    real=$(readlink -f "$path")
    pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$real" 2>/dev/null || true)
    pkg=${pkg%%:*}
    [ -n "$pkg" ] || fail "$bin: no package owns $real"
    case "$lib" in libasan.so* | libubsan.so*) continue ;; esac # sanitizer builds only
    grep -qxF "$pkg" <<<"$runtime" || missing="$missing $pkg($lib)"
  done
done
[ -z "$missing" ] || fail "RUNTIME_PKGS in scripts/deps.sh lacks:$missing"
ok "every library imgedad, imgeda and imgeda-lambda need is in the runtime package list"
echo "$checks passed, 0 failed"
