#!/usr/bin/env bash
# Installs the Debian 12 packages imgedad needs; idempotent, used by the README's two commands,
# by .ci/run and by docker/Dockerfile. Usage: scripts/deps.sh [build|run|test|runtime|bench]
#   build: compilers and -dev libraries; run: build + runtime fonts; test: run + test tools
#   (chromium, and Node.js + npm when missing, for the browser tests; clang, its libFuzzer and
#   sanitizer runtimes, which clang-14 only recommends, and llvm-symbolizer for the fuzzers;
#   slurm-wlm and munge for the private SLURM of tests/integration/test_slurm.sh, which never
#   uses their system-wide configuration; python3-yaml to read deploy/k8s);
#   runtime: only the shared libraries and fonts the binaries need (the Docker image's last stage).
set -euo pipefail
what=${1:-test}

# Keep these lists one package a line: tests/integration/test_docker_sync.sh reads them.
BUILD_PKGS=(
  build-essential
  cmake
  pkg-config
  libvips-dev
  libmicrohttpd-dev
  libuv1-dev
  libexif-dev
  zlib1g-dev
  libcjson-dev
  libsqlite3-dev
  libyaml-dev
  libhpdf-dev
  libcairo2-dev
  libfontconfig-dev
  libxxhash-dev
  libexpat1-dev
  libcurl4-openssl-dev
  libzstd-dev
  libcriterion-dev
)
# The shared libraries behind the binaries' NEEDED entries (tests/integration/test_docker_sync.sh
# checks that every one of them is covered).
RUNTIME_PKGS=(
  libvips42
  libglib2.0-0
  libmicrohttpd12
  libuv1
  libexif12
  zlib1g
  libcjson1
  libsqlite3-0
  libyaml-0-2
  libhpdf-2.3.0
  libcairo2
  libfontconfig1
  libfreetype6
  libxxhash0
  libexpat1
  libcurl4
  libzstd1
  libc6
  ca-certificates
)
RUN_PKGS=(
  fonts-dejavu-core
  fontconfig
)
TEST_PKGS=(
  clang-format
  git
  python3
  python3-pil
  python3-numpy
  python3-scipy
  poppler-utils
  sqlite3
  curl
  procps
  dpkg-dev
  chromium
  clang
  libclang-rt-14-dev
  llvm
  slurm-wlm
  munge
  python3-yaml
)
# Node.js and npm for the browser tests (tests/e2e), from Debian only when the commands are
# missing: a Node.js from nodesource is one `nodejs` package with npm inside, and Debian's `npm`
# package conflicts with it. Any Node.js >= 18 will do (Debian 12 has 18).
NODE_PKGS=()
command -v node >/dev/null 2>&1 || NODE_PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || NODE_PKGS+=(npm)

# Benchmarks only (bench/*): load generator, timing, profiling.
BENCH_PKGS=(
  wrk
  time
  hyperfine
)

case "$what" in
  build) pkgs=("${BUILD_PKGS[@]}") ;;
  run) pkgs=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}") ;;
  test) pkgs=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${TEST_PKGS[@]}" "${NODE_PKGS[@]}") ;;
  runtime) pkgs=("${RUNTIME_PKGS[@]}" "${RUN_PKGS[@]}") ;;
  bench) pkgs=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${TEST_PKGS[@]}" "${NODE_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
  *) echo "usage: $0 [build|run|test|runtime|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
