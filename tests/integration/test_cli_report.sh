#!/usr/bin/env bash
# imgeda report end to end: a scanned folder of generated images (UTF-8 names, a dark and a
# bright image, a copy, a broken file) reported as PDF and as single-file HTML, with and without
# a policy; bad input exits 1 and writes nothing.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/data"
"$PYTHON" - "$WORK/data" <<'PY'
import os, sys
import numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.default_rng(5)
def save(name, base, w=400, h=300):
    a = np.clip(rng.normal(base, 25, (h // 4, w // 4, 3)), 0, 255).astype("uint8")
    Image.fromarray(a).resize((w, h), Image.BILINEAR).save(os.path.join(out, name), quality=90)
save("nuit_\u03a9\u03bc\u03ad\u03b3\u03b1.jpg", 12)      # dark, Greek name
save("neige_\u00e9t\u00e9.png", 245)                       # overexposed, accented name
for i in range(8):
    save("img_%d.jpg" % i, 60 + 15 * i, 320 + 40 * i, 240)
save("tall.jpg", 120, 200, 600)
import shutil
shutil.copy(os.path.join(out, "img_3.jpg"), os.path.join(out, "img_3_copy.jpg"))
open(os.path.join(out, "broken.jpg"), "wb").write(b"\xff\xd8\xff\xe0 truncated")
PY
M="$WORK/m.jsonl"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$M" --quiet

# pdf_text FILE: the PDF's text into $WORK/pdf.txt (poppler must not warn about the fonts).
pdf_text() {
  pdftotext "$1" "$WORK/pdf.txt" 2>"$WORK/pdf.err"
  [ ! -s "$WORK/pdf.err" ] || { cat "$WORK/pdf.err" >&2; fail "pdftotext warns on $1"; }
}

expect_rc 0 "$IMGEDA" report -m "$M" -o "$WORK/r.pdf"
contains "$WORK/out" "Report saved to $WORK/r.pdf (13 images)"
pdfinfo "$WORK/r.pdf" >"$WORK/info" 2>&1 || fail "pdfinfo"
contains "$WORK/info" "Page size:       595.276 x 841.89 pts (A4)"
pages=$(awk '/^Pages:/ {print $2}' "$WORK/info")
[ "$pages" -ge 5 ] || fail "only $pages pages"
pdf_text "$WORK/r.pdf"
for s in "imgeda report" "$WORK/data" "Total images" "13" "Corrupt" "1 (7.7%)" "Summary" "Checks" \
         "Flagged images" "Dark images" "Overexposed images" "Exact duplicates" "Plots" \
         "Page 1 of $pages" "Page $pages of $pages" "nuit_Ωμέγα.jpg" "neige_été.png" "VipsJpeg"; do
  contains "$WORK/pdf.txt" "$s"
done
[ "$(pdfimages -list "$WORK/r.pdf" | grep -c ' jpeg ')" -ge 3 ] || fail "thumbnails embedded as JPEG"
ok "report -o FILE.pdf: A4 pages with totals, tables, UTF-8 names, thumbnails, page numbers"

expect_rc 0 "$IMGEDA" report -m "$M" -o "$WORK/r.html"
H="$WORK/r.html"
head -c 15 "$H" | grep -q '<!DOCTYPE html>' || fail "doctype"
[ "$(grep -o 'data:image/png;base64,' "$H" | wc -l)" = 11 ] || fail "11 inline plots"
[ "$(grep -o 'data:image/jpeg;base64,' "$H" | wc -l)" -ge 3 ] || fail "inline thumbnails"
! grep -Eq '<link|<script|src="https?:|url\(' "$H" || fail "the HTML refers to something outside itself"
for s in "Total images" "nuit_Ωμέγα.jpg" "neige_été.png" "Dark images" "1 (7.7%)"; do
  contains "$H" "$s"
done
"$PYTHON" - "$H" <<'PY' || fail "HTML structure or inline images"
import base64, html.parser, io, re, sys
from PIL import Image
text = open(sys.argv[1], encoding="utf-8").read()
class P(html.parser.HTMLParser):
    void = {"meta", "img", "br", "hr", "link", "input"}
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in self.void: self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
p = P(); p.feed(text); p.close()
assert not p.stack, p.stack
for kind, data in re.findall(r'data:image/(png|jpeg);base64,([A-Za-z0-9+/=]+)', text):
    Image.open(io.BytesIO(base64.b64decode(data))).load()
PY
ok "report -o FILE.html: one self-contained page, balanced tags, every inline image decodes"

cat >"$WORK/pass.yaml" <<'EOF'
min_images_total: 5
max_corrupt_pct: 50
max_duplicate_pct: 50
max_overexposed_pct: 50
max_underexposed_pct: 50
EOF
expect_rc 0 "$IMGEDA" report -m "$M" -o "$WORK/pass.pdf" --policy "$WORK/pass.yaml"
contains "$WORK/out" "gate passed"
pdf_text "$WORK/pass.pdf"
contains "$WORK/pdf.txt" "Gate passed"
contains "$WORK/pdf.txt" "max_corrupt_pct"
printf 'min_images_total: 100\n' >"$WORK/fail.yaml"
expect_rc 2 "$IMGEDA" report -m "$M" -o "$WORK/fail.html" -p "$WORK/fail.yaml"
contains "$WORK/out" "gate FAILED"
contains "$WORK/fail.html" "Gate failed"
contains "$WORK/fail.html" "min_images_total"
ok "--policy adds the gate verdict; a failed gate exits 2 with the report written"

printf 'max_corupt_pct: 1\n' >"$WORK/typo.yaml"
expect_rc 1 "$IMGEDA" report -m "$M" -o "$WORK/typo.pdf" --policy "$WORK/typo.yaml"
contains "$WORK/err" "typo.yaml:1:1"
[ ! -e "$WORK/typo.pdf" ] || fail "a report was written despite a bad policy"
expect_rc 1 "$IMGEDA" report -m "$M" -o "$WORK/r.docx"
contains "$WORK/err" ".html or .pdf"
expect_rc 1 "$IMGEDA" report -o "$WORK/r.pdf"
contains "$WORK/err" "-m MANIFEST"
expect_rc 1 "$IMGEDA" report -m "$WORK/none.jsonl" -o "$WORK/none.pdf"
contains "$WORK/err" "none.jsonl"
expect_rc 1 "$IMGEDA" report -m "$M" -o "$WORK/r.pdf" --top 1000
contains "$WORK/err" "--top"
ok "bad input exits 1 with a clear message and writes nothing"

mkdir -p "$WORK/cwd" "$WORK/nothing"
expect_rc 0 "$IMGEDA" scan "$WORK/nothing" -o "$WORK/empty.jsonl" --quiet
(cd "$WORK/cwd" && "$IMGEDA" report -m "$WORK/empty.jsonl" >"$WORK/out" 2>"$WORK/err") || fail "empty report"
[ -s "$WORK/cwd/imgeda_report.html" ] || fail "default output ./imgeda_report.html"
contains "$WORK/cwd/imgeda_report.html" "This manifest has no records."
expect_rc 0 "$IMGEDA" report -m "$WORK/empty.jsonl" -o "$WORK/empty.pdf" --no-thumbnails
pdf_text "$WORK/empty.pdf"
contains "$WORK/pdf.txt" "This manifest has no records."
ok "an empty manifest gives a short report; the default output is ./imgeda_report.html"

echo "all $checks checks passed"
