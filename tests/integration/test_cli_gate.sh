#!/usr/bin/env bash
# imgeda gate end to end: exit codes 0/2/1, the verdict table, JSON identical to Python imgeda's,
# policy errors as file:line:col: key: reason, YAML and JSON policies.
source "$(dirname "$0")/lib.sh"

P="$FIXTURES/policies"

expect_rc 0 "$IMGEDA" gate -m "$P/gate_ties_100.jsonl" -p "$P/example.yml"
contains "$WORK/out" "Gate: PASSED (5 checks)"
contains "$WORK/out" "max_duplicate_pct      10.0%"
ok "every threshold met exactly: exit 0"

expect_rc 2 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$P/all_checks.yaml"
contains "$WORK/out" "Gate: FAILED (5 of 11 checks failed)"
contains "$WORK/out" "/g/d.tif"
grep -q $'\033' "$WORK/out" && fail "colours when stdout is not a terminal"
ok "a failed check: exit 2 and a table with the offenders"

expect_rc 2 "$IMGEDA" gate --manifest "$P/gate_mixed.jsonl" --policy "$P/compat.yaml" --json
cmp "$WORK/out" "$P/expected_mixed_compat.json" || fail "--json differs from imgeda's gate"
expect_rc 2 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$P/compat.yaml" -o "$WORK/g.json"
cmp "$WORK/g.json" "$P/expected_mixed_compat.json" || fail "-o differs from imgeda's gate"
contains "$WORK/out" "Saved to $WORK/g.json"
expect_rc 0 "$IMGEDA" gate -m "$P/gate_ties_100.jsonl" -p "$P/empty.yaml" --out "$WORK/t.json"
cmp "$WORK/t.json" "$P/expected_ties_defaults.json"
ok "JSON on stdout and in -o/--out files is imgeda's GateResult byte for byte"

expect_rc 2 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$P/all_checks.json" --json
mv "$WORK/out" "$WORK/from_json"
expect_rc 2 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$P/all_checks.yaml" --json
cmp "$WORK/out" "$WORK/from_json" || fail "JSON and YAML policies disagree"
ok "a JSON policy gives the same verdict as the YAML one"

expect_rc 2 "$IMGEDA" gate -m "$P/gate_empty.jsonl" -p "$P/empty.yaml"
contains "$WORK/out" "The manifest has no images."
contains "$WORK/out" "1 of 1 check failed"
ok "an empty manifest fails min_images_total alone"

# A file with no header and no record (0 bytes, or blank lines only) is not an empty dataset but
# no manifest at all: bad input, exit 1, whatever the policy.
: > "$WORK/zero.jsonl"
printf '\n  \n\t\n' > "$WORK/blank.jsonl"
for f in "$WORK/zero.jsonl" "$WORK/blank.jsonl"; do
  expect_rc 1 "$IMGEDA" gate -m "$f" -p "$P/empty.yaml"
  contains "$WORK/err" "imgeda: $f is empty: it has no manifest header and no records"
  [ ! -s "$WORK/out" ] || fail "a verdict was printed for $f"
  printf 'min_images_total: 0\n' > "$WORK/zero_ok.yaml"
  expect_rc 1 "$IMGEDA" gate -m "$f" -p "$WORK/zero_ok.yaml" --json
done
ok "an empty file is bad input (exit 1), not a failed gate"

# Policy errors: compiler-style lines on stderr, exit 1, before the manifest is read.
bad() { # bad TEXT EXPECTED-MESSAGE
  printf '%b' "$1" > "$WORK/bad.yaml"
  expect_rc 1 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$WORK/bad.yaml"
  [ "$(cat "$WORK/err")" = "$WORK/bad.yaml:$2" ] || { cat "$WORK/err" >&2; fail "expected $2"; }
}
bad 'max_corrupt_pct: 1\nmax_corupt_pct: 2\n' "2:1: max_corupt_pct: unknown key (did you mean max_corrupt_pct?)"
bad 'min_width: "640"\n' '1:12: min_width: expected a whole number, got the string "640" (write numbers without quotes)'
bad 'max_corrupt_pct: -1\n' "1:18: max_corrupt_pct: must not be negative (got -1)"
bad 'max_corrupt_pct: 1\n\tmin_width: 2\n' "2:1: max_corrupt_pct: a tab character where YAML needs spaces (indent with spaces)"
bad 'max_corrupt_pct: 1\nmin_width 2\nmax_blurry_pct: 3\n' "3:1: malformed YAML: could not find expected ':' (while scanning a simple key at line 2, column 1)"
bad '{"allowed_formats": ["JPEG", 5]}' '1:30: allowed_formats: expected a format name such as JPEG, got a number (5)'
ok "policy errors are file:line:col: key: reason, exit 1"

head -c 1048577 /dev/zero | tr '\0' '#' > "$WORK/huge.yaml"
expect_rc 1 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$WORK/huge.yaml"
contains "$WORK/err" "a policy is at most 1048576 bytes"
expect_rc 1 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$WORK/missing.yaml"
contains "$WORK/err" "missing.yaml"
expect_rc 1 "$IMGEDA" gate -m "$WORK/missing.jsonl" -p "$P/empty.yaml"
contains "$WORK/err" "missing.jsonl"
expect_rc 1 "$IMGEDA" gate -m "$P/all_checks.yaml" -p "$P/empty.yaml"
contains "$WORK/err" "is not a manifest"
expect_rc 1 "$IMGEDA" gate -m "$P/gate_mixed.jsonl"
contains "$WORK/err" "gate needs -m MANIFEST and -p POLICY"
expect_rc 1 "$IMGEDA" gate -m "$P/gate_mixed.jsonl" -p "$P/empty.yaml" -o "$WORK/no/dir/x.json"
ok "bad input exits 1: huge or missing policy, missing or foreign manifest, missing flags"

# A real scan gated end to end.
expect_rc 0 "$IMGEDA" scan "$FIXTURES/sample" -o "$WORK/s.jsonl" --workers 2 --quiet
printf 'min_images_total: 7\nmax_corrupt_pct: 15\nmax_overexposed_pct: 100\nmax_underexposed_pct: 100\nmax_duplicate_pct: 100\n' > "$WORK/lenient.yaml"
expect_rc 0 "$IMGEDA" gate -m "$WORK/s.jsonl" -p "$WORK/lenient.yaml" --json
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["passed"] and d["total_images"] == 7, d; assert d["checks"][1]["observed"] == 14.29, d' "$WORK/out"
expect_rc 2 "$IMGEDA" gate -m "$WORK/s.jsonl" -p "$P/empty.yaml"
ok "a real scan: 1 corrupt of 7 is 14.29%, passes a lenient policy, fails the defaults"

echo "$checks checks passed"
