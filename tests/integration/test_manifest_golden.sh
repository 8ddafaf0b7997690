#!/usr/bin/env bash
# Manifests are byte-stable: the fixtures scanned with several option sets give, byte for byte,
# the manifests in tests/fixtures/golden/ (made by an earlier build; only the times created_at
# and analyzed_at and the absolute input_dir are blanked, and every file's mtime is pinned). A change of any record
# field, number format, key order or header setting fails here. When a change of output is
# intended, regenerate with: bash tests/integration/test_manifest_golden.sh BUILD_DIR --write
source "$(dirname "$0")/lib.sh"
GOLDEN="$FIXTURES/golden"
write=${2:-}

mkdir -p "$WORK/d"
cp -r "$FIXTURES/sample" "$WORK/d/sample"
cp -r "$FIXTURES/annotations" "$WORK/d/annotations"
find "$WORK/d" -exec touch -h -d @1700000000 {} +
cd "$WORK"

# scan NAME DIR [options...]: scans DIR (relative, so record paths are too) into NAME.jsonl and
# compares it with golden/NAME.jsonl (golden/$as.jsonl when $as is set).
scan() {
  local name=$1 dir=$2 gold=${as:-$1}; shift 2
  "$IMGEDA" scan "$dir" -o "$WORK/$name.raw" -q --workers 2 "$@" >/dev/null
  sed -E 's/"(created_at|analyzed_at|input_dir)":"[^"]*"/"\1":""/g' \
    "$WORK/$name.raw" >"$WORK/$name.jsonl"
  if [ "$write" = --write ]; then
    cp "$WORK/$name.jsonl" "$GOLDEN/$name.jsonl"
    return
  fi
  cmp "$WORK/$name.jsonl" "$GOLDEN/$gold.jsonl" || {
    diff <(tr ',' '\n' <"$GOLDEN/$gold.jsonl") <(tr ',' '\n' <"$WORK/$name.jsonl") | head -20 >&2
    fail "$name: the manifest differs from tests/fixtures/golden/$gold.jsonl"
  }
  ok "$name: byte-identical to the golden manifest $gold.jsonl"
}

scan sample_default d/sample
# Isolated analysis (worker processes) writes the very same manifest.
[ "$write" = --write ] || as=sample_default scan sample_isolated d/sample --isolate
scan sample_options d/sample --skip-exif --no-hashes --max-image-dim 64 --dark-threshold 55.5 \
  --overexposed-threshold 200 --artifact-threshold 12 --blur-threshold 250 --checkpoint-every 3
scan sample_metadata d/sample --skip-pixel-stats --extensions png,webp
scan sample_shrink d/sample --shrink-on-load --max-image-dim 32 --max-pixels 70000 --skip-blur
scan annotations d/annotations --force
