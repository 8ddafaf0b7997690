#!/usr/bin/env bash
# Duplicate review over the API: groups paged (GET duplicates?cursor=&limit=&kind=), each member
# with id, path, size, bytes, format and distance to the group's first member, a suggested
# keeper (most pixels, then largest file, then path order), totals; and one meaning of the
# duplicate count: the summary, the groups and the image filter flag=duplicate agree on a
# fixture with exact and near duplicates. The whole SPEC 4.1 answer stays as it was without
# paging parameters.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

R="$WORK/set"
mkdir -p "$R"
cp "$FIXTURES"/sample/* "$R/"
# Per seed: the same pixels as a small and an uncompressed PNG (identical phash, different
# bytes: an exact group whose keeper is the larger file), a 2x nearest upscale (a near
# duplicate with more pixels: the near group's keeper) and an edited copy.
"$PYTHON" - "$R" <<'PY'
import sys
from PIL import Image, ImageDraw
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
for name in ("a", "b", "c"):
    im = Image.fromarray((rng.random((6, 8, 3)) * 255).astype("uint8")).resize((400, 300), Image.BICUBIC)
    im.save(f"{d}/{name}_small.png", compress_level=9)
    im.save(f"{d}/{name}_raw.png", compress_level=0)
    im.resize((800, 600), Image.NEAREST).save(f"{d}/{name}_2x.png", compress_level=9)
    e = im.copy(); ImageDraw.Draw(e).rectangle((0, 0, 60, 45), fill=(255, 255, 255))
    e.save(f"{d}/{name}_edit.png")
PY
start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$R\"}"
ID=$(json "d['id']")
wait_status "$ID" succeeded 60

expect_api 200 GET "/api/v1/scans/$ID/duplicates?limit=2"
cp "$WORK/body" "$WORK/p1.json"
[ "$(json "d['kind'], d['total_groups'], d['total_images'], d['duplicate_count'], len(d['groups']), d['next_cursor']")" = "exact 4 8 4 2 2" ] || fail "first page: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/duplicates?limit=2&cursor=2"
cp "$WORK/body" "$WORK/p2.json"
[ "$(json "len(d['groups']), d['next_cursor']")" = "2 None" ] || fail "second page: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/duplicates?kind=near&threshold=8&limit=50"
cp "$WORK/body" "$WORK/near.json"
expect_api 200 GET "/api/v1/scans/$ID/summary"
cp "$WORK/body" "$WORK/summary.json"
expect_api 200 GET "/api/v1/scans/$ID/images?flag=duplicate&limit=500"
cp "$WORK/body" "$WORK/flag.json"
expect_api 200 GET "/api/v1/scans/$ID/duplicates"
cp "$WORK/body" "$WORK/whole.json"
"$PYTHON" - "$WORK" "$R" <<'PY' || fail "duplicate review"
import json, sys
W, R = sys.argv[1:3]
ld = lambda n: json.load(open(f"{W}/{n}.json"))
p1, p2, near, summ, flag, whole = (ld(n) for n in ("p1", "p2", "near", "summary", "flag", "whole"))
groups = p1["groups"] + p2["groups"]

def keeper_of(g):
    return max(g["members"], key=lambda m: (m["width"] * m["height"], m["file_size_bytes"], [-ord(c) for c in m["path"]]))["id"]

for g in groups + near["groups"]:
    assert g["size"] == len(g["members"]) and not g["members_truncated"], g
    for m in g["members"]:
        assert set(m) == {"id", "path", "width", "height", "file_size_bytes", "format", "distance"}, m
    assert g["members"][0]["distance"] == 0, g
    assert g["keeper"] == keeper_of(g), g
byp = {m["path"].rsplit("/", 1)[1]: m for g in groups for m in g["members"]}
kept = {byp[n]["id"] for n in ("a_raw.png", "b_raw.png", "c_raw.png", "street.jpg")}
assert {g["keeper"] for g in groups} == kept, "exact: the larger file, then the first path"
assert all(m["distance"] == 0 for g in groups for m in g["members"]), "exact groups: distance 0"
nk = {m["path"].rsplit("/", 1)[1]: m for g in near["groups"] for m in g["members"]}
for s in "abc":
    g = next(g for g in near["groups"] if any(m["path"].endswith(f"/{s}_2x.png") for m in g["members"]))
    assert g["keeper"] == nk[f"{s}_2x.png"]["id"], ("near: the most pixels", g)
    assert nk[f"{s}_2x.png"]["width"] == 800 and nk[f"{s}_2x.png"]["format"] == "PNG"
assert near["kind"] == "near" and near["threshold"] == 8 and near["total_groups"] == len(near["groups"])
assert any(m["distance"] > 0 for g in near["groups"] for m in g["members"]), "near distances"

# One meaning of the count: exact groups (identical phash, not corrupt, SPEC 4.1).
sd = summ["duplicates"]
members = {m["id"] for g in groups for m in g["members"]}
flagged = {i["id"] for i in flag["images"]}
assert (sd["exact_groups"], sd["exact_images"]) == (p1["total_groups"], p1["duplicate_count"]) == (4, 4), (sd, p1)
assert flag["total"] == p1["total_images"] == len(members) == 8, (flag["total"], p1["total_images"])
assert flagged == members, (flagged, members)
assert p1["duplicate_count"] == p1["total_images"] - p1["total_groups"] == len(members - {g["keeper"] for g in groups})
# The unpaged answer keeps its shape and agrees.
assert set(whole) >= {"exact", "near", "byte_identical", "flat", "exact_ids"} and len(whole["exact"]) == 4, whole.keys()
assert sorted(i for g in whole["exact_ids"] for i in g) == sorted(members)
PY
ok "paged duplicate groups: members with size, bytes, format, distance; keepers by pixels, then bytes, then path; summary, groups and flag=duplicate agree (4 groups, 8 images, 4 duplicates)"

expect_api 400 GET "/api/v1/scans/$ID/duplicates?limit=0"
expect_api 400 GET "/api/v1/scans/$ID/duplicates?limit=101"
expect_api 400 GET "/api/v1/scans/$ID/duplicates?kind=fuzzy"
expect_api 400 GET "/api/v1/scans/$ID/duplicates?cursor=x"
expect_api 200 GET "/api/v1/scans/$ID/duplicates?cursor=99"
[ "$(json "d['groups'], d['next_cursor'], d['total_groups']")" = "[] None 4" ] || fail "past the end"
ok "bad paging parameters are 400; a cursor past the end is an empty page"
stop_daemon TERM
echo "$checks checks passed"
