#!/usr/bin/python3
"""Compare an imgedad manifest with oracle.py's reference values (SPEC.md §3.4, §3.5).

Usage:  compare.py ORACLE.jsonl MANIFEST.jsonl [--report FILE] [--max-rows N] [--max-image-dim 2048]

Records are matched by "path" (normalised; realpath as a fallback). Targets:
  * width, height, num_channels, min_val, max_val, format, color_mode, aspect_ratio, is_corrupt:
    identical.
  * flags is_dark / is_overexposed / has_border_artifact / is_blurry: identical, except when the
    oracle's underlying value (mean_brightness, delta, blur score) lies within max(0.5, that
    value's own tolerance) of the threshold (40, 220, 50, 100).
  * means (mean_r/g/b, mean_brightness, corner_mean, center_mean, border_mean, delta): |diff| <= 0.5.
  * std_r/g/b and blur_score: |diff| <= 1 % of the oracle value (absolute floor 0.01).
  * EXIF fields (when the oracle has them): identical (floats within 1e-6 relative; NUL characters
    in strings ignored, SPEC §2 strips them). Differences are listed but do not fail the run
    unless --strict-exif; --skip-exif leaves them out.
  * phash and dhash, each: identical on >= 95 % of the non-corrupt photos whose working image
    needs no resize (max(w, h) <= max_image_dim), and Hamming distance <= 4 on >= 99 % of all.
When both sides call a file corrupt, nothing else is compared for it. A file in the oracle but not
in the manifest is a failure; a manifest record the oracle lacks is only reported.
Exit status: 0 when every target holds, 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

THRESHOLDS = {  # flag: (value field, threshold, tolerance of that value)
    "is_dark": (("pixel_stats", "mean_brightness"), 40.0, 0.5),
    "is_overexposed": (("pixel_stats", "mean_brightness"), 220.0, 0.5),
    "has_border_artifact": (("corner_stats", "delta"), 50.0, 0.5),
    "is_blurry": (("blur_score",), 100.0, None),  # None: relative tolerance of blur_score
}
EXACT = ["width", "height", "format", "color_mode", "num_channels", "aspect_ratio"]
MEANS = [("pixel_stats", k) for k in ("mean_r", "mean_g", "mean_b", "mean_brightness")] + \
        [("corner_stats", k) for k in ("corner_mean", "center_mean", "border_mean", "delta")]
INTS = [("pixel_stats", "min_val"), ("pixel_stats", "max_val")]
RELS = [("pixel_stats", k) for k in ("std_r", "std_g", "std_b")] + [("blur_score",)]
EXIF = ["camera_make", "camera_model", "lens_model", "focal_length_mm", "focal_length_35mm",
        "iso_speed", "f_number", "exposure_time_sec", "datetime_original", "orientation_tag",
        "has_gps_data", "distortion_risk"]
MEAN_TOL = 0.5
REL_TOL = 0.01
REL_FLOOR = 0.01
HASH_SAME_TARGET = 95.0
HASH_NEAR_TARGET = 99.0
HASH_NEAR_BITS = 4


def load_jsonl(path, manifest=False):
    recs, bad = {}, 0
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if not isinstance(obj, dict) or obj.get("__manifest_meta__"):
                continue
            if "path" not in obj:
                bad += 1
                continue
            recs[os.path.normpath(obj["path"])] = obj  # a later record replaces an earlier one
    return recs, bad


def get(rec, key):
    cur = rec
    for k in key:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(k)
    return cur


def name(key):
    return ".".join(key) if isinstance(key, tuple) else key


def rel_tol(v):
    return max(REL_TOL * abs(v), REL_FLOOR)


def hamming(a, b):
    try:
        return bin(int(a, 16) ^ int(b, 16)).count("1")
    except (TypeError, ValueError):
        return None


def blur_value(rec):
    v = rec.get("blur_raw")
    return v if isinstance(v, (int, float)) else rec.get("blur_score")


def fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, str) and len(v) > 20:
        return v[:16] + "…"
    return json.dumps(v) if not isinstance(v, str) else v


class Result:
    def __init__(self):
        self.failures = []  # (path, field, oracle, ours, diff, note)
        self.worst = {}     # field -> (diff, path, oracle, ours)

    def worst_of(self, field, diff, path, o, m):
        if diff is None:
            return
        if field not in self.worst or diff > self.worst[field][0]:
            self.worst[field] = (diff, path, o, m)

    def fail(self, path, field, o, m, diff=None, note=""):
        self.failures.append((path, field, o, m, diff, note))


def compare_record(res, path, o, m, exif):
    oc, mc = bool(o.get("is_corrupt")), bool(m.get("is_corrupt"))
    if oc or mc:
        if oc != mc:
            res.fail(path, "is_corrupt", oc, mc, note=o.get("oracle_error") or m.get("error") or "")
        return
    for k in EXACT:
        ov, mv = o.get(k), m.get(k)
        if ov != mv:
            res.fail(path, k, ov, mv)
    for key in INTS:
        ov, mv = get(o, key), get(m, key)
        if isinstance(ov, (int, float)) and isinstance(mv, (int, float)):
            res.worst_of(name(key), abs(ov - mv), path, ov, mv)
        if ov != mv:
            res.fail(path, name(key), ov, mv,
                     abs(ov - mv) if isinstance(ov, (int, float)) and isinstance(mv, (int, float)) else None)
    for key in MEANS:
        ov, mv = get(o, key), get(m, key)
        if not isinstance(ov, (int, float)) or not isinstance(mv, (int, float)):
            if ov != mv:
                res.fail(path, name(key), ov, mv, note="missing")
            continue
        d = abs(ov - mv)
        res.worst_of(name(key), d, path, ov, mv)
        if d > MEAN_TOL or math.isnan(d):
            res.fail(path, name(key), ov, mv, d, f"> {MEAN_TOL}")
    for key in RELS:
        ov, mv = get(o, key), get(m, key)
        if not isinstance(ov, (int, float)) or not isinstance(mv, (int, float)):
            if ov != mv:
                res.fail(path, name(key), ov, mv, note="missing")
            continue
        d = abs(ov - mv)
        res.worst_of(name(key) + " (rel)", d / max(abs(ov), REL_FLOOR), path, ov, mv)
        if d > rel_tol(ov) or math.isnan(d):
            res.fail(path, name(key), ov, mv, d, f"> 1% ({rel_tol(ov):.3g})")
    for flag, (vkey, thr, tol) in THRESHOLDS.items():
        ov, mv = o.get(flag), m.get(flag)
        if ov == mv:
            continue
        val = blur_value(o) if vkey == ("blur_score",) else get(o, vkey)
        t = rel_tol(val) if tol is None and isinstance(val, (int, float)) else (tol or 0.5)
        if isinstance(val, (int, float)) and abs(val - thr) <= max(0.5, t):
            continue  # too close to the threshold to insist
        res.fail(path, flag, ov, mv, note=f"value {fmt(val)} vs threshold {thr}")
    if exif:
        for k in EXIF:
            if k not in o:
                continue
            ov, mv = o.get(k), m.get(k)
            if isinstance(ov, str) and isinstance(mv, str):
                ov_cmp, mv_cmp = ov.replace("\x00", ""), mv.replace("\x00", "")
                if ov_cmp == mv_cmp:
                    continue
            if isinstance(ov, float) and isinstance(mv, (int, float)):
                if abs(ov - mv) <= 1e-6 * max(abs(ov), 1.0):
                    continue
            elif ov == mv:
                continue
            res.fail(path, k, ov, mv, note="exif")


def main(argv=None):
    ap = argparse.ArgumentParser(description="compare a manifest with oracle.py output")
    ap.add_argument("oracle")
    ap.add_argument("manifest")
    ap.add_argument("--report", help="write every failure and the per-record hash distances here"
                    " (JSON when the name ends in .json, text otherwise)")
    ap.add_argument("--max-rows", type=int, default=40, help="failure rows printed (default 40)")
    ap.add_argument("--max-image-dim", type=int, default=2048)
    ap.add_argument("--skip-exif", action="store_true", help="do not compare the EXIF fields")
    ap.add_argument("--strict-exif", action="store_true", help="EXIF differences fail the run")
    a = ap.parse_args(argv)

    try:
        oracle, obad = load_jsonl(a.oracle)
        ours, mbad = load_jsonl(a.manifest, manifest=True)
    except OSError as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    if not oracle:
        print("compare: the oracle file has no records", file=sys.stderr)
        return 2
    by_real = {}
    for p in ours:
        try:
            by_real.setdefault(os.path.realpath(p), p)
        except OSError:
            pass

    res = Result()
    missing, matched_ours = [], set()
    hashes = {"phash": [], "dhash": []}  # (path, distance or None, small)
    for path in sorted(oracle):
        o = oracle[path]
        key = path if path in ours else by_real.get(os.path.realpath(path))
        if key is None:
            missing.append(path)
            res.fail(path, "record", "present", "missing")
            continue
        matched_ours.add(key)
        m = ours[key]
        compare_record(res, path, o, m, exif=not a.skip_exif)
        if o.get("is_corrupt") or m.get("is_corrupt"):
            continue
        w, h = o.get("width") or 0, o.get("height") or 0
        small = max(w, h) <= a.max_image_dim
        for hk in hashes:
            d = hamming(o.get(hk), m.get(hk))
            if d is not None:
                res.worst_of(hk + " bits", d, path, o.get(hk), m.get(hk))
            hashes[hk].append((path, d, small))
    extra = sorted(set(ours) - matched_ours)

    # hash targets
    hash_ok, hash_lines, hash_detail = True, [], {}
    for hk, rows in hashes.items():
        n_all = len(rows)
        n_small = sum(1 for r in rows if r[2])
        same_small = sum(1 for r in rows if r[2] and r[1] == 0)
        same_all = sum(1 for r in rows if r[1] == 0)
        near_all = sum(1 for r in rows if r[1] is not None and r[1] <= HASH_NEAR_BITS)
        pct_small = 100.0 * same_small / n_small if n_small else 100.0
        pct_same = 100.0 * same_all / n_all if n_all else 100.0
        pct_near = 100.0 * near_all / n_all if n_all else 100.0
        ok = pct_small >= HASH_SAME_TARGET and pct_near >= HASH_NEAR_TARGET
        hash_ok &= ok
        dists = [r[1] for r in rows if r[1] is not None]
        hist = {}
        for d in dists:
            hist[d] = hist.get(d, 0) + 1
        hash_lines.append(
            f"{hk}: identical {pct_small:.1f}% of {n_small} unresized (target {HASH_SAME_TARGET:g}%), "
            f"{pct_same:.1f}% of all {n_all}; <= {HASH_NEAR_BITS} bits {pct_near:.1f}% "
            f"(target {HASH_NEAR_TARGET:g}%); max {max(dists) if dists else 0} bits; "
            f"distance histogram {dict(sorted(hist.items()))} -> {'ok' if ok else 'FAIL'}")
        hash_detail[hk] = {"identical_unresized_pct": pct_small, "identical_all_pct": pct_same,
                           "within4_pct": pct_near, "n_all": n_all, "n_unresized": n_small,
                           "histogram": hist, "ok": ok}
        for path, d, small in rows:
            if d is None:
                res.fail(path, hk, oracle[path].get(hk), "missing/invalid")
            elif d > HASH_NEAR_BITS or (small and d > 0):
                res.fail(path, hk, oracle[path].get(hk),
                         (ours.get(path) or {}).get(hk), d,
                         ("unresized, " if small else "resized, ") + f"{d} bits (counted against the %)")

    # Hash rows count through the percentage targets; EXIF rows only with --strict-exif.
    def is_exif(f):
        return f[5] == "exif"
    hard = [f for f in res.failures if f[1] not in ("phash", "dhash") and (a.strict_exif or not is_exif(f))]
    info = [f for f in res.failures if is_exif(f) and not a.strict_exif]
    soft = [f for f in res.failures if f[1] in ("phash", "dhash")]
    passed = not hard and hash_ok

    # ---- print
    n = len(oracle)
    print(f"compare: {n} oracle records, {len(ours)} manifest records"
          f" ({len(missing)} missing from the manifest, {len(extra)} not in the oracle"
          f"{', %d unparsable oracle lines' % obad if obad else ''}"
          f"{', %d unparsable manifest lines' % mbad if mbad else ''})")
    rows = hard + soft + info
    if rows:
        print(f"\n{'path':<48} {'field':<24} {'oracle':>18} {'ours':>18} {'diff':>10}  note")
        print("-" * 132)
        for path, field, o, m, d, note in rows[:a.max_rows]:
            p = path if len(path) <= 48 else "…" + path[-47:]
            print(f"{p:<48} {field:<24} {fmt(o):>18} {fmt(m):>18} "
                  f"{(fmt(d) if d is not None else ''):>10}  {note}")
        if len(rows) > a.max_rows:
            print(f"... {len(rows) - a.max_rows} more rows (see --report)")
        print()
    by_field = {}
    for f in hard:
        by_field[f[1]] = by_field.get(f[1], 0) + 1
    print("field failures: " + (", ".join(f"{k} {v}" for k, v in sorted(by_field.items())) or "none"))
    if info:
        by_exif = {}
        for f in info:
            by_exif[f[1]] = by_exif.get(f[1], 0) + 1
        print("EXIF differences (not counted, see --strict-exif): "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_exif.items())))
    print("worst differences:")
    for field in sorted(res.worst):
        d, path, o, m = res.worst[field]
        print(f"  {field:<32} {fmt(d):>12}  ({os.path.basename(path)}: oracle {fmt(o)}, ours {fmt(m)})")
    for line in hash_lines:
        print(line)
    ph, dh = hash_detail["phash"], hash_detail["dhash"]
    print(f"SUMMARY: {'PASS' if passed else 'FAIL'} photos={n} compared={n - len(missing)} "
          f"missing={len(missing)} field_failures={len(hard)} exif_differences={len(info)} "
          f"phash_identical_unresized={ph['identical_unresized_pct']:.1f}% "
          f"phash_identical_all={ph['identical_all_pct']:.1f}% phash_le4={ph['within4_pct']:.1f}% "
          f"dhash_identical_unresized={dh['identical_unresized_pct']:.1f}% "
          f"dhash_identical_all={dh['identical_all_pct']:.1f}% dhash_le4={dh['within4_pct']:.1f}%")

    if a.report:
        worst = {k: {"diff": v[0], "path": v[1], "oracle": v[2], "ours": v[3]} for k, v in res.worst.items()}
        dists = {hk: {p: d for p, d, _ in rows_} for hk, rows_ in hashes.items()}
        if a.report.endswith(".json"):
            with open(a.report, "w", encoding="utf-8") as f:
                json.dump({"passed": passed, "oracle_records": n, "manifest_records": len(ours),
                           "missing": missing, "extra": extra,
                           "failures": [dict(zip(("path", "field", "oracle", "ours", "diff", "note"), r))
                                        for r in rows],
                           "worst": worst, "hashes": hash_detail, "hash_distances": dists},
                          f, indent=1, default=str)
        else:
            with open(a.report, "w", encoding="utf-8") as f:
                f.write(f"{'PASS' if passed else 'FAIL'}: {n} oracle records, {len(ours)} manifest records\n")
                for line in hash_lines:
                    f.write(line + "\n")
                f.write("\nworst differences:\n")
                for k, v in sorted(worst.items()):
                    f.write(f"  {k}: {v['diff']!r} at {v['path']} (oracle {v['oracle']!r}, ours {v['ours']!r})\n")
                f.write("\nfailures (path, field, oracle, ours, diff, note):\n")
                for r in rows:
                    f.write("\t".join(str(x) for x in r) + "\n")
                f.write("\nhash distances (path, phash bits, dhash bits):\n")
                for p in sorted(dists["phash"]):
                    f.write(f"{p}\t{dists['phash'].get(p)}\t{dists['dhash'].get(p)}\n")
                if missing:
                    f.write("\nmissing from the manifest:\n" + "\n".join(missing) + "\n")
                if extra:
                    f.write("\nin the manifest only:\n" + "\n".join(extra) + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
