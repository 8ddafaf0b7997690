#!/usr/bin/env bash
# imgeda diff end to end: the readable summary, JSON on stdout and to a file (byte for byte what
# Python imgeda writes for the same fixtures), a round trip through a real scan, exit codes.
source "$(dirname "$0")/lib.sh"

D="$FIXTURES/diff"

expect_rc 0 "$IMGEDA" diff --old "$D/old.jsonl" --new "$D/new.jsonl"
contains "$WORK/out" "Added:     3"
contains "$WORK/out" "Removed:   2"
contains "$WORK/out" "Changed:   5"
contains "$WORK/out" "Unchanged: 5"
contains "$WORK/out" "Corrupt: 1 -> 2"
contains "$WORK/out" "Duplicate groups: 1 -> 2"
contains "$WORK/out" "/d/flags.png: format \"PNG\" -> \"WEBP\""
ok "a readable summary with counts, corrupt and duplicate changes, and examples"

expect_rc 0 "$IMGEDA" diff --old "$D/old.jsonl" --new "$D/new.jsonl" --json
cmp "$WORK/out" "$D/expected_old_new.json" || fail "--json differs from imgeda's diff"
ok "--json prints imgeda's DiffResult byte for byte"

expect_rc 0 "$IMGEDA" diff --old "$D/odd_old.jsonl" --new "$D/odd_new.jsonl" -o "$WORK/odd.json"
cmp "$WORK/odd.json" "$D/expected_odd.json" || fail "-o file differs from imgeda's"
contains "$WORK/out" "Saved to $WORK/odd.json"
[ ! -e "$WORK/odd.json.tmp" ] || fail "temp file left behind"
expect_rc 0 "$IMGEDA" diff --old "$D/odd_old.jsonl" --new "$D/odd_new.jsonl" --out "$WORK/odd2.json"
cmp "$WORK/odd.json" "$WORK/odd2.json"
ok "-o/--out write the JSON (null vs \"\", 1 == true, case of hashes like Python)"

expect_rc 0 "$IMGEDA" diff --old "$D/old.jsonl" --new "$D/new_resumed.jsonl" --json
cmp "$WORK/out" "$D/expected_old_new.json" || fail "resumed manifest gives another diff"
contains "$WORK/err" "skipped 1 line that did not parse"
ok "a later record for a path wins; a torn tail is skipped with a warning"

expect_rc 0 "$IMGEDA" diff --old "$D/empty.jsonl" --new "$D/empty.jsonl"
contains "$WORK/out" "Both manifests are empty."
ok "two empty manifests"

# A real scan, then a changed copy of the folder: the diff sees exactly the change.
cp -r "$FIXTURES/sample" "$WORK/data"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/a.jsonl" --workers 2 --quiet
rm "$WORK/data/snow.png"
cp "$WORK/data/street.jpg" "$WORK/data/street_again.jpg"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/b.jsonl" --workers 2 --quiet --force
expect_rc 0 "$IMGEDA" diff --old "$WORK/a.jsonl" --new "$WORK/b.jsonl" --json
"$PYTHON" - "$WORK/out" "$WORK/data" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); root = sys.argv[2]
assert d["added"] == [root + "/street_again.jpg"], d["added"]
assert d["removed"] == [root + "/snow.png"], d["removed"]
assert d["changed"] == [], d["changed"]
s = d["summary"]
assert (s["total_old"], s["total_new"], s["added_count"], s["removed_count"]) == (7, 7, 1, 1), s
assert s["duplicate_groups_new"] == s["duplicate_groups_old"], s
PY
ok "diff of two real scans: one added, one removed, nothing changed"

expect_rc 1 "$IMGEDA" diff --old "$D/old.jsonl"
contains "$WORK/err" "diff needs --old and --new"
expect_rc 1 "$IMGEDA" diff --old "$WORK/nope.jsonl" --new "$D/new.jsonl"
contains "$WORK/err" "nope.jsonl"
expect_rc 1 "$IMGEDA" diff --old "$FIXTURES/policies/all_checks.yaml" --new "$D/new.jsonl"
contains "$WORK/err" "is not a manifest"
expect_rc 1 "$IMGEDA" diff --old "$WORK" --new "$D/new.jsonl"
expect_rc 1 "$IMGEDA" diff --old "$D/old.jsonl" --new "$D/new.jsonl" -o "$WORK/no/such/dir/x.json"
contains "$WORK/err" "cannot write"
expect_rc 0 "$IMGEDA" diff --help
contains "$WORK/out" "usage: imgeda diff"
ok "bad input exits 1 with a message"

echo "$checks checks passed"
