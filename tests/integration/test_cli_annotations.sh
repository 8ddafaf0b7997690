#!/usr/bin/env bash
# imgeda annotations end to end: each fixture layout, the readable report, --json and -o,
# file:line issues, hostile files (entity bombs, deep JSON, oversized labels), bad arguments.
source "$(dirname "$0")/lib.sh"
A="$FIXTURES/annotations"

# jq-like checks without jq: jget FILE EXPR prints the Python expression over the JSON `d`.
jget() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
jexpect() {
  local got; got=$(jget "$1" "$2")
  [ "$got" = "$3" ] || fail "$1: $2 = '$got', expected '$3'"
}

expect_rc 0 "$IMGEDA" annotations "$A/yolo"
contains "$WORK/out" "Format: yolo (detected)"
contains "$WORK/out" "Images: 6 (4 annotated, 2 unannotated)"
contains "$WORK/out" "Size breakdown: 3 small / 5 medium / 1 large"
contains "$WORK/out" "labels/val/e.txt:4: malformed: expected 5 values"
contains "$WORK/out" "data.yaml:5: config: test: 'images/test' is not a folder"
contains "$WORK/out" "1 annotation without images: labels/train/zzz.txt"
ok "yolo: readable report with statistics and file:line issues"

expect_rc 0 "$IMGEDA" annotations "$A/yolo" --json -o "$WORK/yolo.json"
cp "$WORK/out" "$WORK/yolo_stdout.json"
cmp -s "$WORK/yolo.json" "$WORK/yolo_stdout.json" || fail "-o and --json differ"
jexpect "$WORK/yolo.json" "d['total_images'], d['total_annotations'], d['num_classes']" "(6, 9, 4)"
jexpect "$WORK/yolo.json" "d['class_counts']" "{'cat': 4, 'dog': 3, 'bird': 1, '5': 1}"
jexpect "$WORK/yolo.json" "sorted(d['split_class_counts']['val'].items())" "[('5', 1), ('bird', 1), ('cat', 1), ('dog', 2)]"
jexpect "$WORK/yolo.json" "[(i['file'], i['line'], i['kind']) for i in d['issues'] if i['kind'] == 'duplicate_box']" \
  "[('labels/train/b.txt', 2, 'duplicate_box')]"
jexpect "$WORK/yolo.json" "list(d)[:3]" "['total_images', 'annotated_images', 'unannotated_images']"
ok "yolo: --json and -o write the same JSON, imgeda's keys first"

expect_rc 0 "$IMGEDA" annotations "$A/coco" -o "$WORK/coco.json"
contains "$WORK/out" "Format: coco (detected)"
contains "$WORK/out" "Saved to $WORK/coco.json"
jexpect "$WORK/coco.json" "d['issue_counts']['unknown_image'], d['issue_counts']['missing_size']" "(1, 1)"
jexpect "$WORK/coco.json" "d['orphan_annotations']" "['missing.png (in annotations/instances_train.json)']"
ok "coco: statistics and per-entry issues"

expect_rc 0 "$IMGEDA" annotations "$A/voc" --json
jexpect "$WORK/out" "d['format'], d['total_boxes'], d['image_files']" "('voc', 4, 4)"
jexpect "$WORK/out" "sorted(i['file'] for i in d['issues'] if i['kind'] == 'parse_error')" \
  "['Annotations/c.xml', 'Annotations/e.xml']"
ok "voc: a DOCTYPE and a truncated file are parse errors, the rest is analysed"

expect_rc 0 "$IMGEDA" annotations "$A/classification" --json
jexpect "$WORK/out" "d['format'], d['class_counts'], [s['name'] for s in d['splits']]" \
  "('classification', {'cat': 3, 'dog': 2}, ['train', 'val'])"
expect_rc 0 "$IMGEDA" annotations "$A/flat"
contains "$WORK/out" "Format: flat (detected)"
contains "$WORK/out" "flat layout: no annotations to analyse"
ok "classification (with split folders) and flat layouts"

# Forcing a format reads the folder that way; a format whose files are absent is an error.
expect_rc 0 "$IMGEDA" annotations "$A/classification_root" --format flat --json
jexpect "$WORK/out" "d['format'], d['detected'], d['total_images']" "('flat', False, 4)"
expect_rc 1 "$IMGEDA" annotations "$A/yolo" --format coco
contains "$WORK/err" "no COCO file in"
expect_rc 1 "$IMGEDA" annotations "$A/yolo" --format kitti
contains "$WORK/err" "unknown annotation format 'kitti'"
expect_rc 1 "$IMGEDA" annotations "$WORK/nowhere"
contains "$WORK/err" "nowhere"
expect_rc 1 "$IMGEDA" annotations "$A/yolo/data.yaml"
contains "$WORK/err" "not a directory"
expect_rc 1 "$IMGEDA" annotations
contains "$WORK/err" "needs a dataset folder"
expect_rc 1 "$IMGEDA" annotations "$A/yolo" extra
contains "$WORK/err" "unexpected argument"
expect_rc 1 "$IMGEDA" annotations "$A/yolo" --max-listed -3
expect_rc 0 "$IMGEDA" annotations --help
contains "$WORK/out" "usage: imgeda annotations"
ok "bad arguments and unusable folders give a clear error and exit 1"

# Hostile files: each is reported, none stops the analysis or crashes it.
H="$WORK/hostile"
mkdir -p "$H/Annotations" "$H/JPEGImages"
"$PYTHON" - "$H" <<'PY'
import os, sys
h = sys.argv[1]
lol = '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
for i in range(1, 10):
    lol += ' <!ENTITY lol%d "%s">\n' % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
lol += ']>\n<annotation><filename>&lol9;</filename></annotation>\n'
open(os.path.join(h, 'Annotations/bomb.xml'), 'w').write(lol)
open(os.path.join(h, 'Annotations/deep.xml'), 'w').write('<a>' * 100000)
open(os.path.join(h, 'Annotations/ok.xml'), 'w').write(
    '<annotation><filename>ok.jpg</filename><size><width>10</width><height>10</height></size>'
    '<object><name>x</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax><ymax>4</ymax>'
    '</bndbox></object></annotation>')
for n in ('ok', 'bomb', 'deep'):
    open(os.path.join(h, 'JPEGImages/%s.jpg' % n), 'wb').write(b'\xff\xd8\xff')
PY
expect_rc 0 "$IMGEDA" annotations "$H" --json
jexpect "$WORK/out" "d['format'], d['total_boxes'], d['issue_counts']['parse_error']" "('voc', 1, 2)"
jexpect "$WORK/out" "sorted(i['message'][:20] for i in d['issues'])" \
  "['XML nested deeper th', 'a DOCTYPE is not all']"
ok "voc: billion laughs and 100000-deep XML are refused with a message"

C="$WORK/coco_hostile"
mkdir -p "$C/annotations" "$C/images"
"$PYTHON" - "$C" <<'PY'
import sys
c = sys.argv[1]
open(c + '/annotations/a_deep.json', 'w').write('{"images": [], "annotations": [], "x": ' + '[' * 1000000)
open(c + '/annotations/b_truncated.json', 'w').write('{"images": [{"id": 1, "file_name": "a.png", "width": 10, "height": 10}], "annotations": [{"id": 1, "ima')
open(c + '/annotations/c_types.json', 'w').write('{"images": [{"id": 1, "file_name": "a.png", "width": "ten", "height": 1e999}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}, {"id": 99999999999999999999999, "image_id": 1, "category_id": 1, "bbox": {"x": 1}}], "categories": [{"id": 1, "name": "n"}]}')
open(c + '/images/a.png', 'wb').write(b'\x89PNG')
PY
expect_rc 0 "$IMGEDA" annotations "$C" --json
jexpect "$WORK/out" "d['format'], d['annotation_files'], d['total_boxes'], d['unsized_boxes']" "('coco', 3, 1, 1)"
jexpect "$WORK/out" "sorted((i['file'].split('/')[-1], i['kind']) for i in d['issues'])" \
  "[('a_deep.json', 'parse_error'), ('b_truncated.json', 'parse_error'), ('c_types.json', 'malformed'), ('c_types.json', 'missing_size')]"
contains "$WORK/out" "JSON nested deeper than 64 levels"
contains "$WORK/out" "JSON ends early"
ok "coco: deep nesting, truncation and wrong types are issues, the valid file is analysed"

Y="$WORK/yolo_hostile"
mkdir -p "$Y/images" "$Y/labels"
printf 'names: [a]\n' > "$Y/data.yaml"
: > "$Y/images/big.png"
: > "$Y/images/ok.png"
head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' '0' > "$Y/labels/big.txt"
printf '0 0.5 0.5 1e999 0.1\n0 0.5 0.5 0.1 0.1\n' > "$Y/labels/ok.txt"
expect_rc 0 "$IMGEDA" annotations "$Y"
contains "$WORK/out" "labels/big.txt: parse_error: larger than the 16777216-byte limit"
contains "$WORK/out" "labels/ok.txt:1: malformed: '1e999' is not a finite number"
ok "yolo: an oversized label file and an overflowing number are reported"

D="$WORK/yolo_darknet"
mkdir -p "$D/images" "$D/labels"
printf 'cat\ndog\n' > "$D/classes.txt"
: > "$D/images/a.jpg"
: > "$D/images/b.jpg"
printf '0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n' > "$D/labels/a.txt"
printf '7 0.5 0.5 0.2 0.2\n0 1.5 0.5 0.2 0.2\n' > "$D/labels/b.txt"
expect_rc 0 "$IMGEDA" annotations "$D"
contains "$WORK/out" "Format: yolo (detected)"
contains "$WORK/out" "classes declared by classes.txt"
contains "$WORK/out" "labels/b.txt:1: unknown_class"
contains "$WORK/out" "labels/b.txt:2: out_of_bounds"
expect_rc 0 "$IMGEDA" annotations "$D" --json -o "$WORK/darknet.json"
jexpect "$WORK/darknet.json" "d['format'], d['class_counts']['cat'], d['class_counts']['dog']" "('yolo', 2, 1)"
ok "yolo without data.yaml: images/, labels/ and classes.txt are detected and their label problems reported"

echo "$checks passed, 0 failed"
