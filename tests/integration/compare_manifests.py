"""Asserts that two manifests hold the same scan: every header and record field equal but the
timestamps (the header's created_at, the records' analyzed_at), records in path order, each path
once, as many as the header's total_files. Prints the number of records.
Usage: compare_manifests.py A B (e.g. a single-machine scan and its shards merged)."""
import json, sys
def load(p):
    lines = [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]
    return lines[0], lines[1:]
(ha, ra), (hb, rb) = load(sys.argv[1]), load(sys.argv[2])
for h in (ha, hb):
    assert h.get("__manifest_meta__") is True, h
    h.pop("created_at")
assert ha == hb, (ha, hb)
assert [r["path"] for r in ra] == sorted(r["path"] for r in ra), "not in path order"
assert len({r["path"] for r in ra}) == len(ra), "a path twice"
assert len(ra) == len(rb) == ha["total_files"], (len(ra), len(rb), ha["total_files"])
for a, b in zip(ra, rb):
    a.pop("analyzed_at"); b.pop("analyzed_at")
    assert a == b, (a["path"], {k: (a.get(k), b.get(k)) for k in a if a.get(k) != b.get(k)})
print(len(ra))
