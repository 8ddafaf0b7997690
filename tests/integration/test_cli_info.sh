#!/usr/bin/env bash
# imgeda info end to end: text sections and JSON on hand-written manifests (expected numbers are
# worked out in tests/unit/test_summary.c), a manifest fresh from imgeda scan, and bad input.
source "$(dirname "$0")/lib.sh"
MF="$FIXTURES/manifests"

# json_get FILE EXPR: evaluates a Python expression over the parsed JSON `d`.
json_get() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

expect_rc 0 "$IMGEDA" info -m "$MF/mixed.jsonl"
for s in "Totals" "Dimensions (7 decodable images)" "Formats" "Color modes" "Extensions" \
         "Exposure and quality" "EXIF and cameras" "Duplicates"; do
  contains "$WORK/out" "$s"
done
grep -Eq '^  Images +8$' "$WORK/out" || fail "images row"
grep -Eq '^  Width +50 +65 +640 +3376 +4000$' "$WORK/out" || fail "width row"
grep -Eq '^  JPEG +3 +37\.5%$' "$WORK/out" || fail "JPEG row"
grep -Eq '^  Dark +1 +12\.5%  mean brightness < 40$' "$WORK/out" || fail "dark row"
contains "$WORK/out" "Canon (2), Nikon (2), Sony (1)"
grep -Eq '^  Same phash +3  beyond the first of 2 groups$' "$WORK/out" || fail "duplicates row"
! grep -q ' $' "$WORK/out" || fail "trailing blanks"
ok "info prints aligned sections"

expect_rc 0 "$IMGEDA" info --manifest "$MF/mixed.jsonl" --json
cp "$WORK/out" "$WORK/mixed.json"
[ "$(json_get "$WORK/mixed.json" 'd["total_images"], d["corrupt_count"], d["min_width"], d["max_height"]')" = "(8, 1, 50, 3000)" ] || fail "totals"
[ "$(json_get "$WORK/mixed.json" 'list(d["format_counts"].items())')" = "[('JPEG', 3), ('PNG', 2), ('GIF', 1), ('WEBP', 1)]" ] || fail "format order"
[ "$(json_get "$WORK/mixed.json" 'd["percentiles"]["blur_score"]')" = "{'n': 6, 'p5': 75.0, 'p50': 250.0, 'p95': 875.0}" ] || fail "blur percentiles"
[ "$(json_get "$WORK/mixed.json" 'd["duplicates"]["exact_images"], d["total_pixels"]')" = "(3, 14892800)" ] || fail "duplicates"
[ "$(json_get "$WORK/mixed.json" 'd["manifest"]["threshold_defaults"]')" = "[]" ] || fail "thresholds"
grep -q '"p50":	640.0' "$WORK/mixed.json" || fail "floats keep a decimal point"
ok "info --json has imgeda's fields and the extras"

expect_rc 0 "$IMGEDA" info -m "$MF/empty.jsonl"
contains "$WORK/out" "no image records"
expect_rc 0 "$IMGEDA" info -m "$MF/empty.jsonl" --json
[ "$(json_get "$WORK/out" 'd["total_images"], d["percentiles"]["width"]["p50"]')" = "(0, None)" ] || fail "empty json"
ok "an empty manifest (header only) is summarised, not an error"

expect_rc 0 "$IMGEDA" info -m "$MF/torn.jsonl"
contains "$WORK/out" "2 unreadable line(s) skipped"
expect_rc 0 "$IMGEDA" info -m "$MF/repeated.jsonl" --json
[ "$(json_get "$WORK/out" 'd["total_images"], d["corrupt_count"], d["manifest"]["replaced_records"]')" = "(3, 0, 2)" ] || fail "repeated"
expect_rc 0 "$IMGEDA" info -m "$MF/old_fields.jsonl"
contains "$WORK/out" "blur score < 100 (default)"
contains "$WORK/out" "mean brightness < 40"
expect_rc 0 "$IMGEDA" info -m "$MF/thresholds.jsonl"
contains "$WORK/out" "mean brightness < 50"
contains "$WORK/out" "blur score < 120"
expect_rc 0 "$IMGEDA" info -m "$MF/no_header.jsonl"
contains "$WORK/out" "none (records only"
ok "torn, repeated, older and header-less manifests; thresholds from the header"

expect_rc 1 "$IMGEDA" info -m "$WORK/missing.jsonl"
contains "$WORK/err" "missing.jsonl"
expect_rc 1 "$IMGEDA" info -m "$MF/not_a_manifest.txt"
contains "$WORK/err" "not an imgeda manifest"
: >"$WORK/zero.jsonl"
expect_rc 1 "$IMGEDA" info -m "$WORK/zero.jsonl"
contains "$WORK/err" "not an imgeda manifest"
expect_rc 1 "$IMGEDA" info -m "$MF"
contains "$WORK/err" "is a directory"
expect_rc 1 "$IMGEDA" info
contains "$WORK/err" "needs a manifest"
expect_rc 1 "$IMGEDA" info -m "$MF/mixed.jsonl" --bogus
expect_rc 0 "$IMGEDA" info --help
contains "$WORK/out" "--manifest"
ok "bad input gives a clear message and exit 1"

# A manifest straight from our scanner.
cp -r "$FIXTURES/sample" "$WORK/data"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/m.jsonl" --workers 2 --quiet
expect_rc 0 "$IMGEDA" info -m "$WORK/m.jsonl" --json
[ "$(json_get "$WORK/out" 'd["total_images"], d["corrupt_count"], d["manifest"]["threshold_defaults"]')" = "(7, 1, [])" ] || fail "scanned manifest"
[ "$(json_get "$WORK/out" 'd["duplicates"]["byte_identical_groups"] >= 1')" = "True" ] || fail "street_copy is byte-identical"
ok "info reads a manifest written by imgeda scan"
