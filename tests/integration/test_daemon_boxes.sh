#!/usr/bin/env bash
# The boxes of one image over real HTTP (issue 12): GET images/{id}/annotations on a YOLO folder
# (images/, labels/, classes.txt, no data.yaml) gives each box's class name and its place in
# pixels of the original image; an image without a label file has no boxes, a flat folder has
# none, and an unknown image is a 404. Fixtures are made with python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

"$PYTHON" - "$WORK/yolo" "$WORK/flat" <<'PY'
import os, sys
from PIL import Image
y, f = sys.argv[1:]
for d in ("images", "labels"):
    os.makedirs(os.path.join(y, d), exist_ok=True)
os.makedirs(f, exist_ok=True)
Image.new("RGB", (200, 100), (128, 128, 128)).save(os.path.join(y, "images", "a.png"))
Image.new("RGB", (80, 80), (100, 100, 100)).save(os.path.join(y, "images", "b.png"))
Image.new("RGB", (50, 50), (90, 90, 90)).save(os.path.join(f, "c.png"))
open(os.path.join(y, "classes.txt"), "w").write("cat\ndog\n")
# cat: centre (100, 50), 100 x 50 px; dog: centre (40, 30), 20 x 20 px.
open(os.path.join(y, "labels", "a.txt"), "w").write("0 0.5 0.5 0.5 0.5\n1 0.2 0.3 0.1 0.2\n")
PY
start_daemon "$WORK/var"
scan() {
  expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$1\"}"
  SID=$(json "d['id']")
  wait_status "$SID" succeeded
}
id_of() {
  api GET "/api/v1/scans/$SID/images?limit=100&q=$1"
  json "[i['id'] for i in d['images'] if i['filename'] == '$1'][0]"
}
scan "$WORK/yolo"
IA=$(id_of a.png); IB=$(id_of b.png)
expect_api 200 GET "/api/v1/scans/$SID/images/$IA/annotations"
got=$(json "d['format'], d['pixels'], d['width'], d['height'], [(b['label'], round(b['x']), round(b['y']), round(b['w']), round(b['h']), b['line']) for b in d['boxes']]")
[ "$got" = "yolo True 200 100 [('cat', 50, 25, 100, 50, 1), ('dog', 30, 20, 20, 20, 2)]" ] \
  || fail "boxes of a.png: $got"
ok "a YOLO image's boxes come with their class names, in pixels"
expect_api 200 GET "/api/v1/scans/$SID/images/$IB/annotations"
[ "$(json "d['format'], d['boxes']")" = "yolo []" ] || fail "b.png: $(cat "$WORK/body")"
ok "an image without a label file has no boxes"
expect_api 404 GET "/api/v1/scans/$SID/images/999999/annotations"
ok "an unknown image is a 404"
scan "$WORK/flat"
IC=$(id_of c.png)
expect_api 200 GET "/api/v1/scans/$SID/images/$IC/annotations"
[ "$(json "d['format'], d['boxes']")" = "flat []" ] || fail "c.png: $(cat "$WORK/body")"
ok "a flat folder's image has no boxes"
stop_daemon TERM
echo "$checks passed, 0 failed"
