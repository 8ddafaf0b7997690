#!/usr/bin/env python3
"""Checks the first 41 columns of our CSV against what Python imgeda's `export csv` writes for the
same manifest, by its csv_io.py rules (written out here, not copied): the latest record per path,
ImageRecord's defaults for missing keys, None as "", str() of each value (True/False, floats as
repr). Usage: imgeda_csv_rows.py MANIFEST COLUMNS_FIXTURE OUR_CSV; exit 0 when every cell agrees."""
import csv, json, sys
DEFAULTS = dict(path="", filename="", file_size_bytes=0, mtime=0.0, width=0, height=0, format="",
                color_mode="", num_channels=0, aspect_ratio=0.0, has_gps_data=False, is_blurry=False,
                is_corrupt=False, is_dark=False, is_overexposed=False, has_border_artifact=False,
                analyzed_at="")
def rows(manifest, names):
    recs = {}
    for line in open(manifest, encoding="utf-8"):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if not isinstance(d, dict) or d.get("__manifest_meta__"):
            continue
        recs[d.get("path", "")] = d
    out = []
    for d in recs.values():
        r = dict(DEFAULTS, **{k: v for k, v in d.items() if k not in ("pixel_stats", "corner_stats")})
        ps, cs = d.get("pixel_stats") or None, d.get("corner_stats") or None
        def cell(n):
            if n in ("mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b", "mean_brightness"):
                v = ps[n] if ps else ""
            elif n in ("corner_mean", "center_mean", "border_mean"):
                v = cs[n] if cs else ""
            elif n == "corner_delta":
                v = cs["delta"] if cs else ""
            else:
                v = r.get(n)
                if v is None:
                    v = ""
            return "" if v is None else str(v)
        out.append([cell(n) for n in names])
    return out
if __name__ == "__main__":
    names = [l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
    got = list(csv.reader(open(sys.argv[3], newline="", encoding="utf-8")))
    want = rows(sys.argv[1], names)
    assert got[0][:41] == names
    assert len(got) - 1 == len(want), (len(got), len(want))
    bad = [(g[0], n, a, b) for g, w in zip(got[1:], want) for n, a, b in zip(names, g[:41], w) if a != b]
    assert not bad, bad[:10]
    print("ok", len(want))
