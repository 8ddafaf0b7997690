#!/usr/bin/python3
"""Compares a manifest's EXIF fields with Pillow's getexif() on the files it describes.

usage: check_exif_containers.py MANIFEST FIXTURES_DIR
For every file under FIXTURES_DIR/<container>/, reads make, model, orientation and the GPS flag
the way the Python imgeda does (getexif() after open and verify; str(v).strip().rstrip("\\0"),
int(v), 0x8825 in IFD0 or a non-empty GPS IFD). Pillow 9.4 reads no HEIF, so for heic*/ the
reference is Pillow's Exif().load() on the Exif item found by a small ISOBMFF walk here (what
pillow-heif hands to Pillow). NULs inside strings are dropped on both sides: the manifest's C
strings cannot hold them (core/exif.c). Prints agreement per field per container and exits 1
when any is below 98 %, when a container has fewer than 10 files, or when a cut HEIC's record
is not format "HEIF".
"""
import json
import os
import struct
import sys

from PIL import Image

FIELDS = ["make", "model", "orientation", "gps"]


def boxes(d, pos, end):
    while pos + 8 <= end:
        n, t = struct.unpack(">I4s", d[pos:pos + 8])
        if n < 8:
            return
        yield t, pos, min(pos + n, end)
        pos += n


def child(d, pos, end, typ):
    return next(((p, e) for t, p, e in boxes(d, pos, end) if t == typ), None)


def heif_exif(path):
    """The Exif item's TIFF bytes (after its 4-byte offset), or None."""
    d = open(path, "rb").read()
    mp, me = child(d, 0, len(d), b"meta")
    iinf, iloc = child(d, mp + 12, me, b"iinf"), child(d, mp + 12, me, b"iloc")
    start = iinf[0] + (14 if d[iinf[0] + 8] == 0 else 16)
    exif_id = None
    for t, p, e in boxes(d, start, iinf[1]):
        v = d[p + 8]
        item = struct.unpack(">H", d[p + 12:p + 14])[0] if v == 2 else \
            struct.unpack(">I", d[p + 12:p + 16])[0]
        typ_at = p + 12 + (2 if v == 2 else 4) + 2
        if d[typ_at:typ_at + 4] == b"Exif":
            exif_id = item
            break
    p = iloc[0] + 8
    v, sizes = d[p], d[p + 4:p + 6]
    off_size, len_size, base_size = sizes[0] >> 4, sizes[0] & 15, sizes[1] >> 4
    idx_size = sizes[1] & 15 if v in (1, 2) else 0

    def field(q, n):
        return (int.from_bytes(d[q:q + n], "big") if n else 0), q + n

    q = p + 6
    count, q = field(q, 2 if v < 2 else 4)
    for _ in range(count):
        item, q = field(q, 2 if v < 2 else 4)
        if v in (1, 2):
            q += 2
        q += 2
        base, q = field(q, base_size)
        n, q = field(q, 2)
        data = b""
        for _ in range(n):
            _, q = field(q, idx_size)
            off, q = field(q, off_size)
            ln, q = field(q, len_size)
            data += d[base + off:base + off + ln]
        if item == exif_id:
            skip = struct.unpack(">I", data[:4])[0]
            return data[4 + skip:]
    return None


def text(v):
    if v is None:
        return None
    s = str(v).strip().rstrip("\x00").replace("\x00", "")
    return s or None


def reference(path, container):
    if container.startswith("heic"):
        exif = Image.Exif()
        tiff = heif_exif(path)
        if tiff:
            exif.load(tiff)
    else:
        with Image.open(path) as im:
            im.verify()
        exif = Image.open(path).getexif()
    try:
        orientation = int(exif[0x112]) if exif.get(0x112) is not None else None
    except (TypeError, ValueError):
        orientation = None
    return {"make": text(exif.get(0x10F)), "model": text(exif.get(0x110)),
            "orientation": orientation,
            "gps": bool(0x8825 in exif or exif.get_ifd(0x8825))}


def ours(rec):
    return {"make": text(rec.get("camera_make")), "model": text(rec.get("camera_model")),
            "orientation": rec.get("orientation_tag"), "gps": bool(rec.get("has_gps_data"))}


def main():
    manifest, root = sys.argv[1], os.path.abspath(sys.argv[2])
    records = {}
    for line in open(manifest, encoding="utf-8"):
        r = json.loads(line)
        if "path" in r:
            records[os.path.abspath(r["path"])] = r
    bad = []
    for container in sorted(os.listdir(root)):
        folder = os.path.join(root, container)
        if not os.path.isdir(folder) or container == "blobs":
            continue
        files = sorted(os.listdir(folder))
        agree = dict.fromkeys(FIELDS, 0)
        for f in files:
            path = os.path.join(folder, f)
            rec = records.get(path)
            if rec is None:
                bad.append("%s: no record" % path)
                continue
            if container == "heic_cut" and rec.get("format") != "HEIF":
                bad.append("%s: format %r, expected HEIF" % (path, rec.get("format")))
            want, got = reference(path, container), ours(rec)
            for k in FIELDS:
                if want[k] == got[k]:
                    agree[k] += 1
                else:
                    print("  differs %s %s: Pillow %r, ours %r" % (path, k, want[k], got[k]))
        if len(files) < 10:
            bad.append("%s: %d files, expected at least 10" % (container, len(files)))
        line = []
        for k in FIELDS:
            pct = 100.0 * agree[k] / max(len(files), 1)
            line.append("%s %5.1f %%" % (k, pct))
            if pct < 98.0:
                bad.append("%s: %s agreement %.1f %% < 98 %%" % (container, k, pct))
        print("%-10s %2d files: %s" % (container, len(files), ", ".join(line)))
    for b in bad:
        print("FAIL: " + b, file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
