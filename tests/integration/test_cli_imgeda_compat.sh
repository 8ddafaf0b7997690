#!/usr/bin/env bash
# What scripts written for Python imgeda rely on: -V/--version (and imgedad's), check --bare
# (imgeda's -o shape: a bare list of items with its keys), annotations --labels DIR and
# --annotation-file FILE anywhere, and a file that is no manifest (zero bytes) failing with exit 1
# in info/check/report/plot/export; a header-only manifest is an empty dataset (exit 0).
source "$(dirname "$0")/lib.sh"
MF="$FIXTURES/manifests"
A="$FIXTURES/annotations"
json_get() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

for flag in -V --version; do
  expect_rc 0 "$IMGEDA" "$flag"
  grep -Eqx 'imgeda [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out" || fail "imgeda $flag: $(cat "$WORK/out")"
  expect_rc 0 "$BUILD/bin/imgedad" "$flag"
  grep -Eqx 'imgedad [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out" || fail "imgedad $flag: $(cat "$WORK/out")"
done
ok "-V and --version print the name and version, one line, as imgeda"

expect_rc 0 "$IMGEDA" check corrupt -m "$MF/mixed.jsonl" --bare -o "$WORK/c.json"
[ "$(json_get "$WORK/c.json" 'd')" = "[{'path': '/ds/.hidden', 'filename': '.hidden'}]" ] || fail "corrupt: $(cat "$WORK/c.json")"
expect_rc 0 "$IMGEDA" check exposure -m "$MF/mixed.jsonl" --json --bare
[ "$(json_get "$WORK/out" 'd')" = "[{'path': '/ds/img2.jpg', 'issues': ['dark'], 'mean_brightness': 30.0}, {'path': '/ds/img3.jpeg', 'issues': ['overexposed'], 'mean_brightness': 230.0}]" ] \
  || fail "exposure: $(cat "$WORK/out")"
expect_rc 0 "$IMGEDA" check artifacts -m "$MF/mixed.jsonl" --json --bare
[ "$(json_get "$WORK/out" 'd')" = "[{'path': '/ds/img4.png', 'delta': 60.0}]" ] || fail "artifacts"
expect_rc 0 "$IMGEDA" check blur -m "$MF/mixed.jsonl" --json --bare -o "$WORK/b.json"
cmp -s "$WORK/out" "$WORK/b.json" || fail "-o writes what --json prints"
[ "$(json_get "$WORK/b.json" 'd')" = "[{'path': '/ds/img2.jpg', 'blur_score': 50.0}]" ] || fail "blur"
expect_rc 0 "$IMGEDA" check duplicates -m "$MF/mixed.jsonl" --json --bare
[ "$(json_get "$WORK/out" '[(g["type"], g["count"], sorted(g)) for g in d]')" = \
  "[('exact', 3, ['count', 'paths', 'phash', 'type']), ('exact', 2, ['count', 'paths', 'phash', 'type']), ('near', 3, ['count', 'paths', 'type']), ('near', 2, ['count', 'paths', 'type'])]" ] \
  || fail "duplicates: $(cat "$WORK/out")"
expect_rc 0 "$IMGEDA" check all -m "$MF/mixed.jsonl" --json --bare
[ "$(json_get "$WORK/out" '{k: len(v) for k, v in d.items()}')" = "{'corrupt': 1, 'exposure': 2, 'artifacts': 1, 'blur': 1, 'duplicates': 4}" ] \
  || fail "all: $(cat "$WORK/out")"
# Two splits of mixed.jsonl (all of it, and its first two records) named by their input_dir.
"$PYTHON" - "$MF/mixed.jsonl" "$WORK" <<'PY'
import json, sys
for split, upto in (("train", None), ("val", 3)):
    with open("%s/%s.jsonl" % (sys.argv[2], split), "w") as out:
        for i, line in enumerate(open(sys.argv[1]).readlines()[:upto]):
            d = json.loads(line)
            d.update({"input_dir": "/data/" + split} if i == 0 else {"path": "/data/%s/%s" % (split, d["filename"])})
            out.write(json.dumps(d) + "\n")
PY
expect_rc 0 "$IMGEDA" check leakage -m "$WORK/train.jsonl" -m "$WORK/val.jsonl" --json --bare
"$PYTHON" - "$WORK/out" <<'PY' || fail "leakage: $(cat "$WORK/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and d, d
for it in d:
    want = ["path", "phash", "found_in", "match_type"] + (["matched_path"] if it["match_type"] == "near" else [])
    assert list(it) == want, it
    assert it["found_in"] == ["/data/train", "/data/val"], it
PY
expect_rc 1 "$IMGEDA" check blur -m "$MF/mixed.jsonl" --bare
contains "$WORK/err" "--bare shapes the JSON of --json or -o FILE"
expect_rc 0 "$IMGEDA" check blur -m "$MF/mixed.jsonl" --json
[ "$(json_get "$WORK/out" 'd["check"], d["count"]')" = "('blur', 1)" ] || fail "without --bare our object stays"
ok "check --bare writes imgeda's bare lists (each check, all, leakage); our object without it"

# YOLO labels in a folder outside the dataset, and a COCO file outside it, as imgeda's options.
mkdir -p "$WORK/ds" "$WORK/elsewhere/labels"
cp -r "$A/yolo/images" "$A/yolo/data.yaml" "$WORK/ds/"
cp "$A/yolo/labels/train/"*.txt "$WORK/elsewhere/labels/"
expect_rc 0 "$IMGEDA" annotations "$WORK/ds" --json
[ "$(json_get "$WORK/out" 'd["annotated_images"], d["total_annotations"]')" = "(0, 0)" ] || fail "no labels under the root"
expect_rc 0 "$IMGEDA" annotations "$WORK/ds" --labels "$WORK/elsewhere/labels" --json
[ "$(json_get "$WORK/out" 'd["format"], d["total_images"], d["annotated_images"], d["total_annotations"], d["class_counts"]')" = \
  "('yolo', 6, 2, 4, {'cat': 3, 'dog': 1})" ] || fail "--labels: $(head -c 600 "$WORK/out")"
[ "$(json_get "$WORK/out" 'd["orphan_annotations"]')" = "['$WORK/elsewhere/labels/zzz.txt']" ] || fail "--labels orphan"
expect_rc 0 "$IMGEDA" annotations "$WORK/ds" --labels "$WORK/elsewhere/labels"
contains "$WORK/out" "Format: yolo (given)"
mkdir -p "$WORK/coco"
cp -r "$A/coco/images" "$WORK/coco/"
cp "$A/coco/annotations/instances_train.json" "$WORK/elsewhere/mine.json"
expect_rc 0 "$IMGEDA" annotations "$A/coco" --json
cp "$WORK/out" "$WORK/coco_ref.json"
expect_rc 0 "$IMGEDA" annotations "$WORK/coco" --annotation-file "$WORK/elsewhere/mine.json" --json
for k in format total_images annotated_images total_annotations class_counts orphan_images; do
  [ "$(json_get "$WORK/out" "d['$k']")" = "$(json_get "$WORK/coco_ref.json" "d['$k']")" ] || fail "--annotation-file $k"
done
expect_rc 1 "$IMGEDA" annotations "$WORK/ds" --labels "$WORK/nowhere"
contains "$WORK/err" "no such label folder"
expect_rc 1 "$IMGEDA" annotations "$WORK/coco" --annotation-file "$WORK/nowhere.json"
contains "$WORK/err" "no such annotation file"
expect_rc 1 "$IMGEDA" annotations "$WORK/ds" --labels "$WORK/elsewhere/labels" --format coco
contains "$WORK/err" "label folder is for yolo"
ok "annotations --labels DIR and --annotation-file FILE read labels kept outside the dataset"

: > "$WORK/zero.jsonl"
for cmd in "info" "check all" "report -o $WORK/r.html" "plot all -o $WORK/plots" "export csv -o $WORK/z.csv"; do
  # shellcheck disable=SC2086
  expect_rc 1 "$IMGEDA" $cmd -m "$WORK/zero.jsonl"
  contains "$WORK/err" "zero.jsonl is not an imgeda manifest (no header line and no records)"
done
[ ! -e "$WORK/r.html" ] && [ ! -e "$WORK/z.csv" ] || fail "no output for a file that is no manifest"
expect_rc 0 "$IMGEDA" info -m "$MF/empty.jsonl"
contains "$WORK/out" "no image records"
ok "a zero-byte manifest is exit 1 with a clear message in every command; header-only is an empty dataset"

echo "$checks passed, 0 failed"
