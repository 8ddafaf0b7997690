#!/usr/bin/env bash
# imgeda plot end to end: a scanned folder of generated images (with EXIF and a UTF-8 name)
# plotted in PNG, SVG and PDF, one type or all; an empty manifest gives "no data" plots;
# thresholds follow the scan's settings; bad arguments exit 1 with a message.
source "$(dirname "$0")/lib.sh"

# Images: varied sizes and brightness, EXIF camera/ISO/focal on the JPEGs, a copy, a broken file.
mkdir -p "$WORK/data"
"$PYTHON" - "$WORK/data" <<'PY'
import os, sys
import numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(3)
cams = [("Canon", "Canon EOS 5D"), ("NIKON CORPORATION", "NIKON D750"), ("SONY", "ILCE-7M3")]
for i in range(24):
    w, h = [(640, 480), (800, 600), (1280, 720), (480, 640)][i % 4]
    base = 15 + i * 10
    a = np.clip(rng.normal(base, 30, (h // 8, w // 8, 3)), 0, 255).astype("uint8")
    img = Image.fromarray(a).resize((w, h), Image.BILINEAR)
    name = "caf\u00e9_\u03a9_%02d.jpg" % i if i == 1 else "img_%02d.jpg" % i
    ex = Image.Exif()
    if i % 2 == 0:
        ex[0x010F], ex[0x0110] = cams[i % 3]
        ex[0x8769] = {0x8827: [100, 400, 1600, 6400][i % 4], 0xA405: [24, 35, 50, 85][i % 4]}
    img.save(os.path.join(out, name), quality=90, exif=ex)
img.save(os.path.join(out, "copy.jpg"), quality=90)
open(os.path.join(out, "broken.jpg"), "wb").write(b"\xff\xd8\xff\xe0 not really")
PY
M="$WORK/m.jsonl"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --quiet --dark-threshold 55

# pdf_contains FILE TEXT: the PDF's text (pdftotext) holds TEXT.
pdf_contains() { pdftotext "$1" "$WORK/pdf.txt" && contains "$WORK/pdf.txt" "$2"; }

STEMS="dimensions file_size aspect_ratio brightness channels artifacts duplicates blur exif_camera exif_focal_length exif_iso"

# check_png DIR W H: every plot is a PNG of W x H that is not blank.
check_pngs() {
  "$PYTHON" - "$@" <<'PY'
import sys
from PIL import Image, ImageStat
d, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for stem in sys.argv[4].split():
    im = Image.open(f"{d}/{stem}.png")
    im.load()
    assert im.size == (w, h), (stem, im.size)
    var = ImageStat.Stat(im.convert("L")).var[0]
    assert var > 1, (stem, "blank", var)
PY
}

expect_rc 0 "$IMGEDA" plot all -m "$M" -o "$WORK/png"
[ "$(grep -c '^Saved ' "$WORK/out")" = 11 ] || fail "11 plots saved: $(cat "$WORK/out")"
check_pngs "$WORK/png" 1350 900 "$STEMS" || fail "PNG plots"
ok "plot all writes 11 PNGs named as imgeda names them, 1350x900 at 150 dpi, not blank"

expect_rc 0 "$IMGEDA" plot all -m "$M" -o "$WORK/svg" --format svg
for s in $STEMS; do
  "$PYTHON" -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg"), r.tag' \
    "$WORK/svg/$s.svg" || fail "$s.svg does not parse as SVG"
done
ok "plot all --format svg writes SVG that parses as XML"

expect_rc 0 "$IMGEDA" plot all -m "$M" -o "$WORK/pdf" --format pdf
for s in $STEMS; do
  pdfinfo "$WORK/pdf/$s.pdf" >/dev/null 2>&1 || fail "$s.pdf fails pdfinfo"
done
pdf_contains "$WORK/pdf/dimensions.pdf" "Image dimensions (n = 25)"
pdf_contains "$WORK/pdf/brightness.pdf" "Dark (< 55)"
pdf_contains "$WORK/pdf/exif_camera.pdf" "NIKON CORPORATION NIKON D750"
pdf_contains "$WORK/pdf/duplicates.pdf" "1 corrupt counted as unique"
ok "plot all --format pdf: PDFs pass pdfinfo; titles carry n; thresholds follow the scan"

expect_rc 0 "$IMGEDA" plot file-size -m "$M" -o "$WORK/one" --dpi 72
[ "$(ls "$WORK/one")" = "file_size.png" ] || fail "only file_size.png: $(ls "$WORK/one")"
check_pngs "$WORK/one" 648 432 "file_size" || fail "72 dpi size"
expect_rc 0 "$IMGEDA" plot exif_iso -m "$M" -o "$WORK/one"
[ -f "$WORK/one/exif_iso.png" ] || fail "underscore type names are accepted"
ok "one plot type, at the chosen dpi"

expect_rc 0 "$IMGEDA" plot dimensions -m "$M" -o "$WORK/s1" --sample 10 --format pdf
expect_rc 0 "$IMGEDA" plot dimensions -m "$M" -o "$WORK/s2" --sample 10 --format pdf
pdf_contains "$WORK/s1/dimensions.pdf" "random sample of 10 of 25 images (seed 42)"
expect_rc 0 "$IMGEDA" plot dimensions -m "$M" -o "$WORK/s3" --sample 10
expect_rc 0 "$IMGEDA" plot dimensions -m "$M" -o "$WORK/s4" --sample 10
cmp -s "$WORK/s3/dimensions.png" "$WORK/s4/dimensions.png" || fail "same seed, same plot"
ok "--sample draws a seeded sample and says so"

mkdir -p "$WORK/nothing"
expect_rc 0 "$IMGEDA" scan "$WORK/nothing" -o "$WORK/empty.jsonl" --quiet
expect_rc 0 "$IMGEDA" plot all -m "$WORK/empty.jsonl" -o "$WORK/empty" --format pdf
contains "$WORK/err" "no records"
[ "$(ls "$WORK/empty" | wc -l)" = 11 ] || fail "11 plots for an empty manifest"
pdf_contains "$WORK/empty/exif_iso.pdf" "No ISO values to show"
expect_rc 0 "$IMGEDA" plot all -m "$WORK/empty.jsonl" -o "$WORK/emptypng"
check_pngs "$WORK/emptypng" 1350 900 "$STEMS" || fail "empty PNGs"
ok "an empty manifest gives 'no data' plots, not an error"

expect_rc 1 "$IMGEDA" plot sizes -m "$M"
contains "$WORK/err" "unknown plot type 'sizes'"
expect_rc 1 "$IMGEDA" plot all
contains "$WORK/err" "-m MANIFEST"
expect_rc 1 "$IMGEDA" plot -m "$M"
contains "$WORK/err" "needs a type"
expect_rc 1 "$IMGEDA" plot all -m "$M" --format gif
contains "$WORK/err" "png, svg or pdf"
expect_rc 1 "$IMGEDA" plot all -m "$M" --dpi 5
contains "$WORK/err" "--dpi"
expect_rc 1 "$IMGEDA" plot all -m "$M" --sample 0
contains "$WORK/err" "--sample"
expect_rc 1 "$IMGEDA" plot all -m "$WORK/missing.jsonl" -o "$WORK/x"
contains "$WORK/err" "missing.jsonl"
touch "$WORK/afile"
expect_rc 1 "$IMGEDA" plot all -m "$M" -o "$WORK/afile"
contains "$WORK/err" "output folder"
expect_rc 0 "$IMGEDA" plot --help
contains "$WORK/out" "exif-camera"
ok "bad arguments exit 1 with a clear message"

echo "all $checks checks passed"
