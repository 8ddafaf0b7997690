#!/usr/bin/env bash
# One size convention: decimal units (1 KB = 1000 bytes, 1 MB = 10^6), as Python imgeda and the
# dashboard, in info's text, the HTML and PDF reports (read back with pdftotext) and the file
# size plot's axis. A real scan's records get known sizes: 20,134,678 bytes in all is 20.13 MB
# (binary units would say 19.20).
source "$(dirname "$0")/lib.sh"
command -v pdftotext >/dev/null || fail "pdftotext (poppler-utils) is needed"

cp -r "$FIXTURES/sample" "$WORK/data"
expect_rc 0 "$IMGEDA" scan "$WORK/data" -o "$WORK/scan.jsonl" --workers 2 --quiet
"$PYTHON" - "$WORK/scan.jsonl" "$WORK/m.jsonl" <<'PY'
import json, sys
sizes = iter([12345678, 1500000, 999000, 250000, 3000000, 2000000, 40000])
with open(sys.argv[2], "w") as out:
    for i, line in enumerate(open(sys.argv[1])):
        d = json.loads(line)
        if i:
            d["file_size_bytes"] = next(sizes)
        out.write(json.dumps(d) + "\n")
PY

# Binary units, or the total in them (19.20 MiB), anywhere in the text (embedded images left out).
no_binary() {
  sed -E 's/base64,[A-Za-z0-9+\/=]*//g' "$1" > "$WORK/text"
  ! grep -Eq 'MiB|KiB|GiB|19\.20? MB' "$WORK/text" || fail "$2 has binary units: $(grep -Eo '.{20}(MiB|KiB|GiB|19\.20? MB)' "$WORK/text" | head -3)"
}

expect_rc 0 "$IMGEDA" info -m "$WORK/m.jsonl"
grep -Eq '^  Total size +20\.13 MB +20,134,678 bytes$' "$WORK/out" || fail "info total: $(grep -i size "$WORK/out")"
no_binary "$WORK/out" "info"
ok "info: 20,134,678 bytes is 20.13 MB"

expect_rc 0 "$IMGEDA" report -m "$WORK/m.jsonl" -o "$WORK/r.html" --no-thumbnails
contains "$WORK/r.html" "20.1 MB (20134678 bytes)"
contains "$WORK/r.html" "103 KB / 1.5 MB / 9.54 MB"
no_binary "$WORK/r.html" "the HTML report"
expect_rc 0 "$IMGEDA" report -m "$WORK/m.jsonl" -o "$WORK/r.pdf" --no-thumbnails
pdftotext "$WORK/r.pdf" "$WORK/r.txt"
contains "$WORK/r.txt" "20.1 MB (20134678 bytes)"
contains "$WORK/r.txt" "103 KB / 1.5 MB / 9.54 MB"
no_binary "$WORK/r.txt" "the PDF report"
ok "HTML and PDF reports: total 20.1 MB, percentiles 103 KB / 1.5 MB / 9.54 MB"

expect_rc 0 "$IMGEDA" plot file-size -m "$WORK/m.jsonl" -o "$WORK/plots" --format pdf
pdftotext "$WORK/plots/file_size.pdf" "$WORK/p.txt"
for s in "Median 1.5 MB" "100 KB" "1 MB" "10 MB"; do contains "$WORK/p.txt" "$s"; done
no_binary "$WORK/p.txt" "the file size plot"
ok "file size plot: ticks at 100 KB, 1 MB, 10 MB; median 1.5 MB"

echo "$checks passed, 0 failed"
