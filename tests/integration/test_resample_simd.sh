#!/usr/bin/env bash
# The resampler's AVX2 passes and its scalar reference (IMGEDA_SIMD=0) give byte-identical
# manifests on every fixture image: at the default working size, and at small odd working sizes
# that make every fixture go through both Lanczos passes before the hashes resample it again.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/d"
cp -r "$FIXTURES/sample" "$WORK/d/sample"
find "$WORK/d" -exec touch -h -d @1700000000 {} +
cd "$WORK"

# both NAME [options...]: scans d/sample with each path and compares the manifests.
both() {
  local name=$1; shift
  for path in simd scalar; do
    local env=IMGEDA_SIMD=1
    [ "$path" = scalar ] && env=IMGEDA_SIMD=0
    env "$env" "$IMGEDA" scan d/sample -o "$WORK/$name.$path.raw" -q --workers 2 --force "$@" \
      >/dev/null
    sed -E 's/"(created_at|analyzed_at|input_dir)":"[^"]*"/"\1":""/g' \
      "$WORK/$name.$path.raw" >"$WORK/$name.$path.jsonl"
  done
  cmp "$WORK/$name.simd.jsonl" "$WORK/$name.scalar.jsonl" ||
    fail "$name: the AVX2 and scalar resamplers give different manifests"
  ok "$name: AVX2 and scalar resamplers give byte-identical manifests"
}

both default
both dim_37 --max-image-dim 37
both dim_101 --max-image-dim 101
both dim_333 --max-image-dim 333
