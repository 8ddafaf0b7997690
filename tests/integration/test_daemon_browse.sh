#!/usr/bin/env bash
# Browsing the images of a scan over real HTTP (issue 12): GET images with several flags at once
# (AND), range filters (min_/max_ blur, brightness, width, height, aspect, bytes), the EXIF
# camera, natural sort of names (img2 before img10), a 400 with a clear message for each bad
# range, and GET images/{id}/original: the file's own bytes, confined to scan.allowed_roots like
# thumbnails. Fixtures are made with python3-pil.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

"$PYTHON" - "$WORK/data" <<'PY'
import os, random, sys
from PIL import Image
d = sys.argv[1]
os.makedirs(d)
rnd = random.Random(7)
def noise(w, h, lo, hi):
    im = Image.new("L", (w, h))
    im.putdata([rnd.randint(lo, hi) for _ in range(w * h)])
    return im.convert("RGB")
Image.new("RGB", (100, 50), (10, 10, 10)).save(os.path.join(d, "img1.png"))     # dark, blurry
Image.new("RGB", (200, 100), (128, 128, 128)).save(os.path.join(d, "img2.png"))  # blurry
noise(64, 64, 0, 20).save(os.path.join(d, "IMG3.png"))                           # dark, sharp
noise(300, 300, 0, 255).save(os.path.join(d, "img10.png"))                       # sharp
exif = Image.Exif()
exif[0x010F] = "Canon"
exif[0x0110] = "EOS 5D"
noise(400, 200, 0, 255).save(os.path.join(d, "img11.jpg"), exif=exif, quality=90)
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$WORK/data\"}"
SID=$(json "d['id']")
wait_status "$SID" succeeded

# names QUERY: the file names of the page, in its order, and the total.
names() {
  local lim="limit=100&"
  case "$1" in *limit=*) lim="";; esac
  expect_api 200 GET "/api/v1/scans/$SID/images?$lim$1"
  json "' '.join(i['filename'] for i in d['images']) + ' / ' + str(d['total'])"
}
check() { # check QUERY EXPECTED WHAT
  local got; got=$(names "$1")
  [ "$got" = "$2" ] || fail "$3 ($1): got '$got', expected '$2'"
  ok "$3"
}
check "sort=filename" "img1.png img2.png IMG3.png img10.png img11.jpg / 5" \
  "names sort naturally (img2 before img10), case aside"
check "sort=-filename" "img11.jpg img10.png IMG3.png img2.png img1.png / 5" "and backwards"
check "sort=path" "img1.png img2.png IMG3.png img10.png img11.jpg / 5" "paths sort naturally too"
check "flag=dark&sort=filename" "img1.png IMG3.png / 2" "one flag"
check "flag=dark,blurry&sort=filename" "img1.png / 1" "two flags: images with both (AND)"
check "flag=dark,overexposed" " / 0" "two flags nobody has together: none"
check "min_width=150&max_width=350&sort=filename" "img2.png img10.png / 2" "a width range (inclusive)"
check "min_width=200&max_width=200" "img2.png / 1" "a width range of one value"
check "min_height=100&sort=filename" "img2.png img10.png img11.jpg / 3" "a minimum height"
check "min_aspect=1.5&sort=filename" "img1.png img2.png img11.jpg / 3" "wide images by aspect ratio"
check "max_aspect=1&sort=filename" "IMG3.png img10.png / 2" "square ones"
check "max_brightness=50&sort=filename" "img1.png IMG3.png / 2" "a brightness range"
check "min_blur=100&sort=filename" "IMG3.png img10.png img11.jpg / 3" "a blur score range"
BIG=$(stat -c %s "$WORK/data/img10.png")
check "min_bytes=$BIG&max_bytes=$BIG" "img10.png / 1" "a file size range in bytes"
check "camera=canon" "img11.jpg / 1" "the EXIF camera make, any case"
check "camera=EOS%205" "img11.jpg / 1" "the camera model"
check "camera=nikon" " / 0" "a camera nobody used"
check "flag=blurry&min_width=150&sort=filename" "img2.png / 1" "a flag and a range together"
check "flag=dark&format=PNG&max_aspect=1&q=IMG" "IMG3.png / 1" "every filter at once"
check "sort=filename&limit=2&cursor=2" "IMG3.png img10.png / 5" "pages of the natural order"

# bad QUERY MESSAGE: a 400 whose message names the mistake.
bad() {
  expect_api 400 GET "/api/v1/scans/$SID/images?$1"
  [ "$(json "d['error']['code']")" = bad_request ] || fail "$1: $(cat "$WORK/body")"
  contains "$WORK/body" "$2"
}
bad "min_width=abc" 'min_width: a number >= 0, not \"abc\"'
bad "max_blur=-1" 'max_blur: a number >= 0'
bad "min_aspect=inf" 'min_aspect: a number >= 0'
bad "min_bytes=" 'min_bytes: a number >= 0'
bad "min_width=500&max_width=100" 'min_width (500) is above max_width (100): an empty range'
bad "flag=dark,bogus" 'flag: unknown value \"bogus\"'
ok "bad ranges and flags are a 400 that says what is wrong"

# ---- the original file ----
id_of() { names "q=$1" >/dev/null; json "d['images'][0]['id']"; }
I11=$(id_of img11.jpg)
I10=$(id_of img10.png)
curl -s -D "$WORK/h" -o "$WORK/orig" "$B/api/v1/scans/$SID/images/$I11/original"
grep -qi '^content-type: image/jpeg' "$WORK/h" || fail "original: $(cat "$WORK/h")"
cmp -s "$WORK/orig" "$WORK/data/img11.jpg" || fail "the original is not the file's bytes"
curl -s -D "$WORK/h" -o "$WORK/orig" "$B/api/v1/scans/$SID/images/$I10/original"
grep -qi '^content-type: image/png' "$WORK/h" || fail "original: $(cat "$WORK/h")"
cmp -s "$WORK/orig" "$WORK/data/img10.png" || fail "the PNG original is not the file's bytes"
ok "GET original answers the file's own bytes with its image type"
expect_api 404 GET "/api/v1/scans/$SID/images/999999/original"
expect_api 404 GET "/api/v1/scans/$SID/images/x/original"
rm "$WORK/data/img1.png"
I1=$(names "q=img1.png" >/dev/null; json "d['images'][0]['id']")
expect_api 404 GET "/api/v1/scans/$SID/images/$I1/original"
contains "$WORK/body" "no longer exists"
ok "an unknown image or a file gone since the scan is a 404"
stop_daemon TERM
mkdir "$WORK/elsewhere"
start_daemon "$WORK/var" --set "scan.allowed_roots=$WORK/elsewhere"
expect_api 403 GET "/api/v1/scans/$SID/images/$I11/original"
contains "$WORK/body" "scan.allowed_roots"
ok "a file outside scan.allowed_roots is refused (403), as its thumbnail is"
stop_daemon TERM
echo "$checks passed, 0 failed"
