#!/usr/bin/env python3
"""Agreement of two imgeda manifests of the same files (bench/profiles): for every boolean flag of
the records, the share of images where both say the same; the share whose phash (and dhash) are
within 4 bits; and how far blur_score moved. Records are matched by path; corrupt records and
records missing from either side are counted, not compared.

Usage: bench/profile_agreement.py A.jsonl B.jsonl [--name-a compatible] [--name-b fast]
       [--json OUT]
"""
import argparse
import json
import sys


def load(path):
    recs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("__manifest_meta__"):
                continue
            recs[r["path"]] = r
    return recs


def hamming(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--name-a", default="compatible")
    ap.add_argument("--name-b", default="fast")
    ap.add_argument("--json")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    both = [p for p in a if p in b and not a[p].get("is_corrupt") and not b[p].get("is_corrupt")]
    if not both:
        sys.exit("profile_agreement: no analysed image in both manifests")
    # Every boolean field that both sides have (a field of one tool only cannot agree).
    flags = sorted({k for p in both for k, v in a[p].items()
                    if isinstance(v, bool) and isinstance(b[p].get(k), bool)})
    out = {"images": len(both), "only_in_one_or_corrupt": len(set(a) | set(b)) - len(both),
           "flags": {}}
    print(f"images compared: {len(both)} (skipped: {out['only_in_one_or_corrupt']})")
    print(f"{'flag':<22}{'agree %':>9}{'disagree':>10}  {'true in ' + args.name_a:>18}"
          f"  {'true in ' + args.name_b:>18}")
    for fl in flags:
        same = sum(1 for p in both if a[p].get(fl) == b[p].get(fl))
        ta = sum(1 for p in both if a[p].get(fl) is True)
        tb = sum(1 for p in both if b[p].get(fl) is True)
        pct = 100.0 * same / len(both)
        out["flags"][fl] = pct
        print(f"{fl:<22}{pct:>9.2f}{len(both) - same:>10}  {ta:>18}  {tb:>18}")
    for h in ("phash", "dhash"):
        pairs = [(a[p].get(h), b[p].get(h)) for p in both if a[p].get(h) and b[p].get(h)]
        if not pairs:
            continue
        d = sorted(hamming(x, y) for x, y in pairs)
        within = 100.0 * sum(1 for v in d if v <= 4) / len(d)
        out[h + "_within_4_bits"] = within
        print(f"{h} within 4 bits: {within:.2f} % of {len(d)} (median distance {d[len(d) // 2]},"
              f" max {d[-1]})")
    rel = sorted(abs(b[p]["blur_score"] - a[p]["blur_score"]) / max(a[p]["blur_score"], 1e-9)
                 for p in both if a[p].get("blur_score") is not None
                 and b[p].get("blur_score") is not None)
    if rel:
        changed = sum(1 for v in rel if v > 0)
        out["blur_rel_diff_median"] = rel[len(rel) // 2]
        out["blur_rel_diff_p95"] = rel[int(len(rel) * 0.95)]
        print(f"blur_score: {changed} of {len(rel)} differ; relative difference median "
              f"{100 * rel[len(rel) // 2]:.1f} %, 95th percentile "
              f"{100 * rel[int(len(rel) * 0.95)]:.1f} %, max {100 * rel[-1]:.1f} %")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
