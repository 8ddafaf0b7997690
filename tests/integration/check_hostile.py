"""Checks a manifest of the hostile fixtures (tests/fixtures/make_fixtures.py) against the
fixtures' expected.json. Prints every mismatch, exits 1 if there is any.

Usage: check_hostile.py MANIFEST FIXTURE_DIR [--same-analysis-as OLD_MANIFEST]

  --same-analysis-as: after a re-run, check only that each file still has one record and that
  every non-corrupt record of OLD_MANIFEST was kept (same analyzed_at), i.e. resumed rather
  than analysed again; the values were checked on the first run.
"""
import json
import math
import os
import sys

SKIP = {"note", "recorded", "corrupt", "error_contains"}


def key_of(rel):
    """Relative path bytes -> the text a record uses (SPEC §3.1: invalid UTF-8 bytes as \\xNN)."""
    out, i = [], 0
    while i < len(rel):
        for n in (4, 3, 2, 1):
            try:
                out.append(rel[i:i + n].decode("utf-8"))
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\\x%02x" % rel[i])
            i += 1
    return "".join(out)


def load_manifest(path, problems):
    raw = open(path, "rb").read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"manifest is not valid UTF-8: {e}")
    lines = [ln for ln in raw.split(b"\n") if ln.strip()]
    if not lines:
        problems.append("manifest is empty")
        return None, []
    parsed = []
    for n, ln in enumerate(lines, 1):
        try:
            parsed.append(json.loads(ln.decode("utf-8", "replace")))
        except ValueError as e:
            problems.append(f"manifest line {n} is not JSON: {e}")
    if not parsed or not parsed[0].get("__manifest_meta__"):
        problems.append("first line is not a manifest header")
        return None, parsed
    return parsed[0], parsed[1:]


def same(want, got):
    if isinstance(want, bool) or want is None or isinstance(got, bool) or got is None:
        return want is got or (want == got and type(want) is type(got))
    if isinstance(want, float) or isinstance(got, float):
        if not isinstance(got, (int, float)):
            return False
        return math.isclose(float(want), float(got), rel_tol=1e-6, abs_tol=1e-9)
    return want == got


def fs_entries(root):
    """{record key: filesystem path} for every non-directory entry under root (no link following)."""
    out = {}
    rootb = os.fsencode(root)
    for d, dirs, files in os.walk(rootb):
        for name in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, name)
            out[key_of(os.path.relpath(p, rootb))] = p
    return out


def main():
    manifest, root = sys.argv[1], os.path.abspath(sys.argv[2])
    old = sys.argv[sys.argv.index("--same-analysis-as") + 1] if "--same-analysis-as" in sys.argv else None
    expected = json.load(open(os.path.join(root, "expected.json"), encoding="utf-8"))
    problems = []
    header, recs = load_manifest(manifest, problems)
    if header is None:
        print("\n".join(problems))
        sys.exit(1)

    prefix = header.get("input_dir", root).rstrip("/") + "/"
    by_rel = {}
    for r in recs:
        p = r.get("path", "")
        if not p.startswith(prefix):
            problems.append(f"record path {p!r} is not under input_dir {prefix!r}")
            continue
        rel = p[len(prefix):]
        if rel in by_rel:
            problems.append(f"{rel!r}: more than one record")
        by_rel[rel] = r
        if r.get("filename") != rel.rsplit("/", 1)[-1]:
            problems.append(f"{rel!r}: filename {r.get('filename')!r} is not the path's basename")

    for rel in sorted(set(by_rel) - set(expected)):
        problems.append(f"{rel!r}: unexpected record (not in expected.json)")
    entries = fs_entries(root)
    for rel, exp in expected.items():
        rec = by_rel.get(rel)
        recorded = exp.get("recorded", True)
        if rec is None:
            if recorded is True:
                problems.append(f"{rel!r}: no record ({exp.get('note', '')})")
            continue
        if recorded is False:
            problems.append(f"{rel!r}: must not get a record ({exp.get('note', '')})")
            continue
        corrupt, err = rec.get("is_corrupt"), rec.get("error")
        want_corrupt = exp.get("corrupt")
        tag = f"{rel!r} ({exp.get('note', 'no note')})"
        if old:
            continue
        if want_corrupt is not None and corrupt is not want_corrupt:
            problems.append(f"{tag}: is_corrupt {corrupt}, expected {want_corrupt}; error={err!r}")
            continue
        if corrupt:
            if not isinstance(err, str) or not err.strip():
                problems.append(f"{tag}: corrupt but error is {err!r}")
            if want_corrupt is None:
                continue  # "either": the other keys describe the readable outcome
        elif err is not None:
            problems.append(f"{tag}: not corrupt but error is {err!r}")
        if "error_contains" in exp and exp["error_contains"].lower() not in str(err).lower():
            problems.append(f"{tag}: error {err!r} does not mention {exp['error_contains']!r}")
        for k, want in exp.items():
            if k in SKIP:
                continue
            if k not in rec:
                problems.append(f"{tag}: record lacks key {k}")
            elif not same(want, rec[k]):
                problems.append(f"{tag}: {k} = {rec[k]!r}, expected {want!r}")
        fsp = entries.get(rel)
        if fsp is not None and not corrupt:
            try:
                size = os.stat(fsp).st_size
                if rec.get("file_size_bytes") != size:
                    problems.append(f"{tag}: file_size_bytes {rec.get('file_size_bytes')} != {size}")
            except OSError:
                pass

    if old:
        _, old_recs = load_manifest(old, problems)
        for r in old_recs:
            if r.get("is_corrupt"):
                continue
            new = by_rel.get(r["path"][len(prefix):]) if r.get("path", "").startswith(prefix) else None
            if new is None:
                problems.append(f"{r.get('path')!r}: vanished after the re-run")
            elif new.get("analyzed_at") != r.get("analyzed_at"):
                problems.append(f"{r.get('path')!r}: analysed again instead of being resumed")

    n_corrupt = sum(1 for r in by_rel.values() if r.get("is_corrupt"))
    if problems:
        print(f"{len(problems)} mismatch(es) between {manifest} and {root}/expected.json:")
        for p in problems:
            print("  - " + p)
        sys.exit(1)
    print(f"{manifest}: {len(by_rel)} records ({n_corrupt} corrupt) match expected.json")


if __name__ == "__main__":
    main()
