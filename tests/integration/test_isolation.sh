#!/usr/bin/env bash
# Isolated analysis: a decoder that crashes or spins costs one image, not the scan. The worker's
# fault injection (test builds: IMGEDA_FAULT_INJECT) crashes inside analysis on crash_me.jpg
# and spins forever on spin_me.jpg; a real 144-megapixel PNG is merely slow. The scan finishes,
# those images are error records, every other record equals the in-process scan's.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/d"
cp "$FIXTURES"/sample/* "$WORK/d/"
cp "$FIXTURES/sample/street.jpg" "$WORK/d/crash_me.jpg"
cp "$FIXTURES/sample/night.jpg" "$WORK/d/spin_me.jpg"

# record FILE NAME FIELD: a field of the record of NAME in a manifest.
record() {
  "$PYTHON" - "$@" <<'PY'
import json, sys
path, name, field = sys.argv[1:4]
for line in open(path):
    d = json.loads(line)
    if d.get("filename") == name:
        print(d.get(field))
PY
}

export IMGEDA_FAULT_INJECT="crash=crash_me.jpg,spin=spin_me.jpg"
t0=$(date +%s)
expect_rc 0 "$IMGEDA" scan "$WORK/d" -o "$WORK/iso.jsonl" --workers 2 --image-timeout 3
t1=$(date +%s)
[ $((t1 - t0)) -lt 30 ] || fail "the isolated scan took $((t1 - t0)) s"
contains "$WORK/out" "Scanned 9 images"
# SIGSEGV in a release build; under AddressSanitizer its handler turns the crash into SIGABRT.
case "$(record "$WORK/iso.jsonl" crash_me.jpg error)" in
  "analysis failed: the decoder crashed (signal 11, Segmentation fault)") ;;
  "analysis failed: the decoder crashed (signal 6, Aborted)") ;;
  *) fail "crash: $(record "$WORK/iso.jsonl" crash_me.jpg error)" ;;
esac
[ "$(record "$WORK/iso.jsonl" spin_me.jpg error)" = "timed out: analysis took longer than 3 s" ] ||
  fail "spin: $(record "$WORK/iso.jsonl" spin_me.jpg error)"
[ "$(record "$WORK/iso.jsonl" spin_me.jpg file_size_bytes)" = "$(stat -c %s "$WORK/d/spin_me.jpg")" ] ||
  fail "the timed-out record lacks its size (a resume would retry it)"
# A worker left behind would be an orphan (its parent gone); other tests' live workers are not.
ps -eo ppid=,args= | awk '$1 == 1 && /--analysis-worker/' | grep -q . && fail "a worker process outlived the scan"
ok "a crash and a spin inside analysis become error records; the scan finishes; no worker left"

# Every other record is the in-process scan's, field for field (times aside).
unset IMGEDA_FAULT_INJECT
expect_rc 0 "$IMGEDA" scan "$WORK/d" -o "$WORK/plain.jsonl" --workers 2
"$PYTHON" - "$WORK/iso.jsonl" "$WORK/plain.jsonl" <<'PY'
import json, sys
def load(p):
    out = {}
    for line in open(p):
        d = json.loads(line)
        if "__manifest_meta__" in d:
            continue
        d.pop("analyzed_at", None)
        out[d["filename"]] = d
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), (a.keys(), b.keys())
for k in a:
    if k in ("crash_me.jpg", "spin_me.jpg"):
        continue
    assert a[k] == b[k], k
PY
ok "records of isolated analysis equal in-process analysis"

# Resume keeps the error verdicts (size and mtime are recorded) instead of retrying them.
export IMGEDA_FAULT_INJECT="spin=spin_me.jpg"
expect_rc 0 "$IMGEDA" scan "$WORK/d" -o "$WORK/iso.jsonl" --workers 2 --image-timeout 3
contains "$WORK/out" "(0 analysed, 9 kept from the previous run)"
unset IMGEDA_FAULT_INJECT
ok "a resumed isolated scan keeps the timed-out and crashed verdicts"

# A real slow decode (a 12000x12000 PNG: under max_pixels, seconds to decode) hits the limit.
mkdir -p "$WORK/big"
"$PYTHON" - "$WORK/big/big.png" <<'PY'
import struct, sys, zlib
w = h = 12000
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
row = b"\0" + b"\x80" * w
z = zlib.compressobj(9)
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
open(sys.argv[1], "wb").write(png + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
expect_rc 0 "$IMGEDA" scan "$WORK/big" -o "$WORK/big.jsonl" --workers 1 --image-timeout 0.05
[ "$(record "$WORK/big.jsonl" big.png error)" = "timed out: analysis took longer than 0.05 s" ] ||
  fail "big: $(record "$WORK/big.jsonl" big.png error)"
ok "a real decode over the time limit is stopped and recorded as timed out"
