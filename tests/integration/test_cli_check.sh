#!/usr/bin/env bash
# imgeda check end to end: each check's table and JSON on hand-written manifests (expected
# answers as in tests/unit/test_checks.c), path truncation, leakage, a scanned folder, bad input.
source "$(dirname "$0")/lib.sh"
MF="$FIXTURES/manifests"

json_get() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

expect_rc 0 "$IMGEDA" check corrupt -m "$MF/mixed.jsonl"
contains "$WORK/out" "Corrupt: 1 of 8 images"
grep -Eq '^  /ds/\.hidden  cannot decode: VipsJpeg: premature end of JPEG file$' "$WORK/out" || fail "corrupt row"
expect_rc 0 "$IMGEDA" check exposure -m "$MF/mixed.jsonl"
contains "$WORK/out" "1 dark: mean brightness < 40; 1 overexposed: mean brightness > 220"
grep -Eq '^  /ds/img2\.jpg +dark +30\.00$' "$WORK/out" || fail "dark row"
grep -Eq '^  /ds/img3\.jpeg +overexposed +230\.00$' "$WORK/out" || fail "overexposed row"
expect_rc 0 "$IMGEDA" check artifacts -m "$MF/mixed.jsonl"
grep -Eq '^  /ds/img4\.png +60\.00$' "$WORK/out" || fail "artifact row"
expect_rc 0 "$IMGEDA" check blur --manifest "$MF/mixed.jsonl"
grep -Eq '^  /ds/img2\.jpg +50\.00$' "$WORK/out" || fail "blur row"
expect_rc 0 "$IMGEDA" check duplicates -m "$MF/mixed.jsonl"
contains "$WORK/out" "Duplicates: 3 of 8 images beyond the first of 2 exact groups"
contains "$WORK/out" "exact group of 3"
contains "$WORK/out" "byte-identical group of 3"
expect_rc 0 "$IMGEDA" check all -m "$MF/mixed.jsonl"
for s in "Corrupt: 1 of 8" "Exposure: 2 of 8" "Border artifacts: 1 of 8" "Blurry: 1 of 8" "Duplicates: 3 of 8"; do
  contains "$WORK/out" "$s"
done
! grep -q ' $' "$WORK/out" || fail "trailing blanks"
ok "each check lists flagged images with the value that flagged them"

expect_rc 0 "$IMGEDA" check exposure -m "$MF/mixed.jsonl" --json
[ "$(json_get "$WORK/out" '[(i["path"], i["issues"], i["mean_brightness"]) for i in d["items"]]')" = "[('/ds/img2.jpg', ['dark'], 30.0), ('/ds/img3.jpeg', ['overexposed'], 230.0)]" ] || fail "exposure json"
expect_rc 0 "$IMGEDA" check all -m "$MF/mixed.jsonl" --json -o "$WORK/all.json"
cmp -s "$WORK/out" "$WORK/all.json" || fail "-o writes what --json prints"
contains "$WORK/err" "Saved JSON to"
[ "$(json_get "$WORK/all.json" 'list(d["checks"]), d["total_images"]')" = "(['corrupt', 'exposure', 'artifacts', 'blur', 'duplicates'], 8)" ] || fail "all json"
[ "$(json_get "$WORK/all.json" 'd["checks"]["corrupt"]["items"][0]["error"]')" = "cannot decode: VipsJpeg: premature end of JPEG file" ] || fail "corrupt error"
[ "$(json_get "$WORK/all.json" '[(g["type"], g["count"]) for g in d["checks"]["duplicates"]["items"]]')" = "[('exact', 3), ('exact', 2), ('near', 3), ('near', 2), ('byte_identical', 3)]" ] || fail "duplicate groups"
expect_rc 0 "$IMGEDA" check blur -m "$MF/mixed.jsonl" -o "$WORK/blur.json"
contains "$WORK/out" "Blurry: 1 of 8"
[ "$(json_get "$WORK/blur.json" 'd["items"]')" = "[{'path': '/ds/img2.jpg', 'blur_score': 50.0}]" ] || fail "blur json"
ok "--json and -o give every result as JSON"

expect_rc 0 "$IMGEDA" check all -m "$MF/thresholds.jsonl"
contains "$WORK/out" "mean brightness < 50; 1 overexposed: mean brightness > 200)"
contains "$WORK/out" "blur score < 120)"
contains "$WORK/out" "phash distance <= 4)"
contains "$WORK/out" "dark_rounded.jpg"
! grep -q "dark_tie.jpg  *dark" "$WORK/out" || fail "a value on the threshold is not dark"
expect_rc 0 "$IMGEDA" check duplicates -m "$MF/thresholds.jsonl" --threshold 8
contains "$WORK/out" "near group of 3, max distance 5"
expect_rc 0 "$IMGEDA" check blur -m "$MF/old_fields.jsonl"
contains "$WORK/out" "Blurry: 0 of 3 images (blur score < 100, default)"
ok "thresholds come from the manifest header, else the defaults"

expect_rc 0 "$IMGEDA" check all -m "$MF/empty.jsonl"
contains "$WORK/out" "has no image records"
contains "$WORK/out" "Corrupt: 0 of 0 images"
expect_rc 0 "$IMGEDA" check corrupt -m "$MF/all_corrupt.jsonl"
contains "$WORK/out" "Corrupt: 3 of 3 images"
grep -Eq '^  /d/b\.PNG +-$' "$WORK/out" || fail "an imgeda record has no error text"
expect_rc 0 "$IMGEDA" check corrupt -m "$MF/repeated.jsonl"
contains "$WORK/out" "Corrupt: 0 of 3 images"
expect_rc 0 "$IMGEDA" check exposure -m "$MF/torn.jsonl"
contains "$WORK/out" "Exposure: 1 of 2 images"
contains "$WORK/err" "skipped 2 unreadable line(s)"
ok "empty, all-corrupt, repeated-path and torn manifests"

# Long paths keep their end; limits.
"$PYTHON" - "$MF/mixed.jsonl" "$WORK/long.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
out = [lines[0]]
for r in lines[1:]:
    r["path"] = "/data/" + "a-very-long-folder-name/" * 6 + r["filename"]
    out.append(r)
open(sys.argv[2], "w").write("".join(json.dumps(r) + "\n" for r in out))
PY
COLUMNS=60 expect_rc 0 "$IMGEDA" check exposure -m "$WORK/long.jsonl"
grep -Eq '^  \.\.\..*/img2\.jpg +dark +30\.00$' "$WORK/out" || fail "truncated row"
awk '/^  / && length($0) > 60 { exit 1 }' "$WORK/out" || fail "table rows fit COLUMNS"
expect_rc 0 "$IMGEDA" check exposure -m "$WORK/long.jsonl"
contains "$WORK/out" "a-very-long-folder-name/a-very-long-folder-name/a-very-long-folder-name/a-very-long-folder-name/a-very-long-folder-name/a-very-long-folder-name/img2.jpg"
expect_rc 0 "$IMGEDA" check exposure -m "$MF/mixed.jsonl" --limit 1
contains "$WORK/out" "... and 1 more image ("
expect_rc 0 "$IMGEDA" check duplicates -m "$MF/mixed.jsonl" --limit 0
! grep -q "more groups" "$WORK/out" || fail "--limit 0 shows all"
ok "tables fit the terminal width and honour --limit"

# Leakage across two splits named by their input_dir.
"$PYTHON" - "$MF/mixed.jsonl" "$WORK" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for split, keep in (("train", lines[1:]), ("val", lines[1:3])):
    h = dict(lines[0], input_dir="/data/" + split)
    recs = [dict(r, path="/data/%s/%s" % (split, r["filename"])) for r in keep]
    open("%s/%s.jsonl" % (sys.argv[2], split), "w").write("".join(json.dumps(r) + "\n" for r in [h] + recs))
PY
expect_rc 0 "$IMGEDA" check leakage -m "$WORK/train.jsonl" -m "$WORK/val.jsonl"
contains "$WORK/out" "Cross-split leakage:"
grep -Eq '^  /data/val/img1\.JPG +exact +/data/train, /data/val$' "$WORK/out" || fail "leak row"
expect_rc 0 "$IMGEDA" check leakage -m "$WORK/train.jsonl" -m "$WORK/val.jsonl" --json --threshold 0
[ "$(json_get "$WORK/out" 'd["threshold"], d["items"][0]["found_in"], d["items"][0]["match_type"]')" = "(0, ['/data/train', '/data/val'], 'exact')" ] || fail "leakage json"
expect_rc 1 "$IMGEDA" check leakage -m "$WORK/train.jsonl"
contains "$WORK/err" "at least two manifests"
ok "check leakage reports images shared across splits"

# A scanned folder: the sample's street.jpg and street_copy.jpg are the same file.
cp -r "$FIXTURES/sample" "$WORK/data"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/m.jsonl" --workers 2 --quiet
expect_rc 0 "$IMGEDA" check all -m "$WORK/m.jsonl" --json
[ "$(json_get "$WORK/out" 'd["checks"]["corrupt"]["count"]')" = "1" ] || fail "one corrupt sample"
[ "$(json_get "$WORK/out" 'd["checks"]["corrupt"]["items"][0]["error"] is not None')" = "True" ] || fail "corrupt has an error"
[ "$(json_get "$WORK/out" 'sorted(p.rsplit("/",1)[1] for g in d["checks"]["duplicates"]["items"] if g["type"] == "byte_identical" for p in g["paths"])')" = "['street.jpg', 'street_copy.jpg']" ] || fail "byte-identical sample"
[ "$(json_get "$WORK/out" 'd["checks"]["blur"]["threshold_defaults"]')" = "[]" ] || fail "our scans record thresholds"
ok "checks read a manifest written by imgeda scan"

expect_rc 1 "$IMGEDA" check
contains "$WORK/err" "needs a check name"
expect_rc 1 "$IMGEDA" check blurry -m "$MF/mixed.jsonl"
contains "$WORK/err" "unknown check 'blurry'"
expect_rc 1 "$IMGEDA" check corrupt
contains "$WORK/err" "needs a manifest"
expect_rc 1 "$IMGEDA" check corrupt -m "$WORK/missing.jsonl"
contains "$WORK/err" "missing.jsonl"
expect_rc 1 "$IMGEDA" check corrupt -m "$MF/not_a_manifest.txt"
contains "$WORK/err" "not an imgeda manifest"
expect_rc 1 "$IMGEDA" check corrupt -m "$MF"
contains "$WORK/err" "is a directory"
expect_rc 1 "$IMGEDA" check corrupt -m "$MF/mixed.jsonl" -m "$MF/torn.jsonl"
contains "$WORK/err" "takes one manifest"
expect_rc 1 "$IMGEDA" check blur -m "$MF/mixed.jsonl" --threshold 3
contains "$WORK/err" "--threshold"
expect_rc 1 "$IMGEDA" check blur -m "$MF/mixed.jsonl" --limit -1
expect_rc 1 "$IMGEDA" check blur -m "$MF/mixed.jsonl" -o "$WORK/no/such/dir/x.json"
contains "$WORK/err" "x.json"
expect_rc 0 "$IMGEDA" check --help
contains "$WORK/out" "--manifest"
ok "bad input gives a clear message and exit 1"
