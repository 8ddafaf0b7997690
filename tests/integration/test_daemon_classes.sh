#!/usr/bin/env bash
# The class filter of GET images over real HTTP (issue 12): class=NAME keeps the images of that
# class, as the annotation analysis finds them when the daemon indexes the scan: the folder of a
# class-per-folder dataset, the classes of the boxes of a YOLO one (images/, labels/,
# classes.txt). Each class gives exactly its images, an unknown class none, a class combines
# with flag= and q= (AND), every page lists the scan's classes with their image counts, an
# import of a manifest whose root the daemon may read gets them too, and a deleted scan leaves
# no class rows behind.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

"$PYTHON" - "$WORK" <<'PY'
import os, sys
from PIL import Image
w = sys.argv[1]
def img(rel, v):
    p = os.path.join(w, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    Image.new("RGB", (32, 32), (v, v, v)).save(p)
def txt(rel, s):
    p = os.path.join(w, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w", encoding="utf-8").write(s)
# Class per folder (three folders at least, imgeda's rule); v=5 is dark (mean brightness < 40).
img("folders/bird/b1.png", 90); img("folders/cat/c1.png", 5); img("folders/cat/c2.png", 150)
img("folders/dog/d1.png", 5); img("folders/dog/d2.png", 120); img("folders/dog/d3.png", 180)
# YOLO without data.yaml: classes.txt names class 0, 1, 2 (a space and a non-ASCII letter).
txt("yolo/classes.txt", "person\ntraffic light\ncafé\n")
img("yolo/images/a.png", 5); img("yolo/images/b.png", 150)
img("yolo/images/c.png", 100); img("yolo/images/d.png", 100)
txt("yolo/labels/a.txt", "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n0 0.7 0.7 0.1 0.1\n")
txt("yolo/labels/b.txt", "1 0.5 0.5 0.4 0.4\n2 0.2 0.2 0.1 0.1\n")
txt("yolo/labels/c.txt", "")  # an empty label file: no class; d.png has none at all
img("flat/x.png", 100)
PY
start_daemon "$WORK/var"
scan() { # scan ROOT: a finished scan's id in $SID
  expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$1\"}"
  SID=$(json "d['id']")
  wait_status "$SID" succeeded
}
check() { expect_names "$SID" "$@"; } # check QUERY EXPECTED WHAT
classes() { json "sorted(d['classes'].items())"; }

scan "$WORK/folders"
FOLDERS=$SID
check "class=cat" "c1.png c2.png / 2" "class per folder: cat is the cat/ folder's images"
check "class=dog" "d1.png d2.png d3.png / 3" "class per folder: dog is the dog/ folder's images"
check "class=Cat" " / 0" "a class is matched exactly (case too)"
check "class=horse" " / 0" "an unknown class: no images"
check "class=dog&flag=dark" "d1.png / 1" "a class with a flag (AND)"
check "class=cat&flag=dark&q=c2" " / 0" "a class with a flag and a path part (AND)"
check "class=" "b1.png c1.png c2.png d1.png d2.png d3.png / 6" "an empty class is no filter"
[ "$(classes)" = "[('bird', 1), ('cat', 2), ('dog', 3)]" ] || fail "folder classes: $(cat "$WORK/body")"
ok "every page lists the scan's classes with their image counts"

scan "$WORK/yolo"
YOLO=$SID
check "class=person" "a.png / 1" "YOLO: person is in a.png only (two boxes, counted once)"
check "class=traffic%20light" "a.png b.png / 2" "YOLO: a class name with a space"
check "class=caf%C3%A9" "b.png / 1" "YOLO: a class name that is not ASCII"
check "class=car" " / 0" "YOLO: an undeclared class: no images"
check "class=traffic%20light&flag=dark" "a.png / 1" "YOLO: a class with a flag (AND)"
check "" "a.png b.png c.png d.png / 4" "no class: every image (c.png's label is empty, d.png has none)"
[ "$(classes)" = "[('café', 1), ('person', 1), ('traffic light', 2)]" ] ||
  fail "yolo classes: $(cat "$WORK/body")"
ok "a YOLO scan lists its classes, the names JSON-escaped"

# An import of the YOLO scan's manifest: its header names a root the daemon may read, so the
# import gets the same classes.
expect_api 200 GET "/api/v1/scans/$YOLO/manifest"
cp "$WORK/body" "$WORK/manifest.jsonl"
expect_api 201 POST "/api/v1/manifests?name=imported" -H 'Content-Type: application/x-ndjson' \
  --data-binary "@$WORK/manifest.jsonl"
SID=$(json "d['id']")
check "class=traffic%20light" "a.png b.png / 2" "an imported manifest's images have their classes"

scan "$WORK/flat"
check "class=cat" " / 0" "a flat folder: no image has a class"
[ "$(classes)" = "[]" ] || fail "flat classes: $(cat "$WORK/body")"
ok "a scan without annotations lists no classes"

DB="$WORK/var/imgedad.db"
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM image_classes WHERE scan_id = '$FOLDERS'")" = 6 ] ||
  fail "class rows of the folder scan"
expect_api 204 DELETE "/api/v1/scans/$FOLDERS"
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM image_classes WHERE scan_id = '$FOLDERS'")" = 0 ] ||
  fail "a deleted scan left class rows"
ok "a deleted scan's class rows go with it"
stop_daemon TERM
