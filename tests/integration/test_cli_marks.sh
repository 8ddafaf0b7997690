#!/usr/bin/env bash
# imgeda marks end to end on a real scan of the sample: set (by manifest path, by path relative
# to the root), replace and clear; list; remove-list with a keeper; clean; not_duplicate splitting
# the exact group the gate counts; gate and info with --marks; bad input.
source "$(dirname "$0")/lib.sh"

cp -r "$FIXTURES/sample" "$WORK/data"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/m.jsonl" --workers 2
M="$WORK/m.jsonl"; K="$WORK/marks.jsonl"; D="$WORK/data"

expect_rc 1 "$IMGEDA" marks set "$K" -m "$M" --mark delete "$D/night.jpg"
contains "$WORK/err" "remove, keep, ok, not_duplicate or none"
expect_rc 1 "$IMGEDA" marks set "$K" -m "$M" --mark remove "$D/nothere.jpg"
contains "$WORK/err" "nothere.jpg: not in"
expect_rc 1 "$IMGEDA" marks set "$K" -m "$M" --mark not_duplicate "$D/night.jpg"
expect_rc 1 "$IMGEDA" marks remove-list "$K" -m "$M"
contains "$WORK/err" "marks.jsonl"
[ ! -e "$K" ] || fail "a refused set wrote the marks file"
ok "bad marks commands exit 1 and write nothing"

expect_rc 0 "$IMGEDA" marks set "$K" -m "$M" --mark remove "$D/broken.jpg"
expect_rc 0 "$IMGEDA" marks set "$K" -m "$M" --mark ok night.jpg
expect_rc 0 "$IMGEDA" marks set "$K" -m "$M" --mark keep "$D/street.jpg"
expect_rc 0 "$IMGEDA" marks set "$K" -m "$M" --mark remove "$D/blurry.webp"
expect_rc 0 "$IMGEDA" marks set "$K" -m "$M" --mark none "$D/blurry.webp"
"$PYTHON" - "$K" <<'PY' || fail "marks file: $(cat "$K")"
import json, sys
rows = sorted((m["path"], m["mark"], m["content_hash"][:9]) for m in map(json.loads, open(sys.argv[1])))
assert rows == [("broken.jpg", "remove", "xxh3_128:"), ("night.jpg", "ok", "xxh3_128:"),
                ("street.jpg", "keep", "xxh3_128:")], rows
PY
ok "set writes root-relative paths keyed by content hash; none clears"

expect_rc 0 "$IMGEDA" marks list "$K"
contains "$WORK/out" "3 marks"
expect_rc 0 "$IMGEDA" marks list "$K" -m "$M"
contains "$WORK/out" "removed $D/street_copy.jpg"
contains "$WORK/out" "Marks: 3 applied (0 not in this manifest): 2 images removed (1 marked, 1 by a keeper), 1 ok"
ok "list shows the marks, and with -m what they do"

expect_rc 0 "$IMGEDA" marks remove-list "$K" -m "$M"
printf '%s\n' "$D/broken.jpg" "$D/street_copy.jpg" >"$WORK/want"
cmp "$WORK/out" "$WORK/want" || fail "remove-list: $(cat "$WORK/out")"
expect_rc 0 "$IMGEDA" marks clean "$K" -m "$M" -o "$WORK/clean.jsonl"
[ "$(($(wc -l <"$WORK/clean.jsonl") - 1))" = 5 ] || fail "clean keeps 5 records"
grep -q broken.jpg "$WORK/clean.jsonl" && fail "clean kept a removed image"
expect_rc 0 "$IMGEDA" info -m "$WORK/clean.jsonl" --json
[ "$("$PYTHON" -c "import json; print(json.load(open('$WORK/out'))['total_images'])")" = 5 ] || fail "clean manifest loads"
ok "remove-list and clean"

cat >"$WORK/p.yaml" <<'YAML'
min_images_total: 1
max_corrupt_pct: 0
max_underexposed_pct: 0
max_overexposed_pct: 100
max_duplicate_pct: 0
YAML
expect_rc 2 "$IMGEDA" gate -m "$M" -p "$WORK/p.yaml"
expect_rc 0 "$IMGEDA" gate -m "$M" -p "$WORK/p.yaml" --marks "$K" --json
"$PYTHON" -c "
import json; d = json.load(open('$WORK/out'))
assert d['passed'] and d['total_images'] == 5 and d['marks']['applied'] == 3, d" || fail "gate --marks"
expect_rc 0 "$IMGEDA" gate -m "$M" -p "$WORK/p.yaml" --marks "$K"
contains "$WORK/out" "Marks: 3 applied from $K (2 images removed)"
expect_rc 0 "$IMGEDA" info -m "$M" --marks "$K"
contains "$WORK/out" "Marks: 3 applied"
ok "gate fails without marks (2) and passes with --marks (0); info --marks"

# A scan run as "imgeda scan data" writes paths relative to where it ran ("data/x.jpg") and the
# real root in the header: the same marks file matches them, and set takes such paths too.
(cd "$WORK" && "$IMGEDA" scan data -o rel.jsonl --workers 2 >/dev/null 2>&1) || fail "relative scan"
(cd "$WORK" && "$IMGEDA" marks remove-list marks.jsonl -m rel.jsonl) >"$WORK/out" || fail "remove-list (relative)"
printf '%s\n' data/broken.jpg data/street_copy.jpg >"$WORK/want_rel"
cmp "$WORK/out" "$WORK/want_rel" || fail "remove-list of the relative scan: $(cat "$WORK/out")"
(cd "$WORK" && "$IMGEDA" marks set rel_marks.jsonl -m rel.jsonl --mark ok data/snow.png >/dev/null) || fail "set (relative)"
grep -q '"path":"snow.png"' "$WORK/rel_marks.jsonl" || fail "relative set: $(cat "$WORK/rel_marks.jsonl")"
ok "paths written relative to the working directory match the same marks"

# not_duplicate: street.jpg and its copy share a phash (the gate's exact group) and their bytes.
# Declared not duplicates, the exact group splits while the byte-identical pair stays.
K2="$WORK/nd.jsonl"
expect_rc 0 "$IMGEDA" marks set "$K2" -m "$M" --mark not_duplicate "$D/street.jpg" "$D/street_copy.jpg"
contains "$WORK/out" "as set nd-1"
expect_rc 0 "$IMGEDA" info -m "$M" --marks "$K2" --json
GOT=$("$PYTHON" -c "
import json; d = json.load(open('$WORK/out'))
print(d['total_images'], d['duplicates']['exact_images'], d['duplicates']['byte_identical_images'], d['marks']['split'])")
[ "$GOT" = "7 0 1 1" ] || fail "not_duplicate: $GOT"
ok "not_duplicate splits the exact group and leaves the byte-identical pair"

echo "all $checks checks passed"
