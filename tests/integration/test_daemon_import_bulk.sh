#!/usr/bin/env bash
# The manifest import's two ways of filling the images sort indexes (issue 13): an import at
# least half as large as what is stored drops them in its transaction and builds them after its
# rows; a smaller one inserts into them row by row. Both must give the same answers (pages in
# every sort order and filter), leave every index as the migrations made it (and used by the page
# queries), and a failed or killed import must leave the indexes and the scans as they were.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

# gen OUT RECORDS SEED [CUT]: records built from the golden ones with varied sort columns (a few
# widths, so ties are broken by flags and rowid), split folders below the header's root, and
# camera names; CUT=tail cuts the last line short.
gen() {
  "$PYTHON" - "$FIXTURES/golden/sample_default.jsonl" "$@" <<'PY'
import json, random, sys
src, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cut = sys.argv[5] if len(sys.argv) > 5 else ""
rng = random.Random(seed)
lines = open(src).read().splitlines()
head = json.loads(lines[0])
head["input_dir"] = "/data/set"
recs = [json.loads(l) for l in lines[1:]]
with open(out, "w") as f:
    f.write(json.dumps(head) + "\n")
    for i in range(n):
        r = dict(recs[i % len(recs)])
        split = ["train", "val", "test", "misc"][i % 4]
        r["path"] = "/data/set/%s/d%02d/img_%06d.jpg" % (split, i % 37, i)
        r["filename"] = "img_%06d.jpg" % i
        if not r.get("is_corrupt"):
            r["width"] = rng.choice([64, 128, 640, 1024, 4000])
            r["height"] = rng.randint(1, 3000)
            r["file_size_bytes"] = rng.randint(100, 10**7)
            r["blur_score"] = round(rng.uniform(0, 500), 3)
            r["is_blurry"] = r["blur_score"] < 100
            r["pixel_stats"] = dict(r["pixel_stats"], mean_brightness=rng.uniform(0, 255))
            r["is_dark"] = r["pixel_stats"]["mean_brightness"] < 40
            r["corner_stats"] = dict(r["corner_stats"], delta=rng.uniform(0, 80))
            r["phash"] = "%064x" % rng.randint(0, n // 3)
            r["camera_make"] = rng.choice([None, "Canon", "NIKON CORPORATION"])
            r["camera_model"] = rng.choice([None, "EOS 5D", "D750"])
        text = json.dumps(r)
        f.write(text[: len(text) // 2] if cut == "tail" and i == n - 1 else text + "\n")
PY
}
db() { sqlite3 "$1/imgedad.db" "$2"; }
indexes() { db "$1" "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"; }
bulk_logs() { grep -c 'sort indexes built after the rows' "$WORK/daemon.err" || true; }

start_daemon "$WORK/var"
want_indexes=$(indexes "$WORK/var")
echo "$want_indexes" | grep -q images_by_blur || fail "no sort indexes in a fresh database"
gen "$WORK/a.jsonl" 3000 1
gen "$WORK/c.jsonl" 6000 2
expect_api 201 POST "/api/v1/manifests?name=a" --data-binary "@$WORK/a.jsonl"
A1=$(json "d['id']")
[ "$(bulk_logs)" = 1 ] || fail "the first import did not build the indexes after its rows"
expect_api 201 POST "/api/v1/manifests?name=c" --data-binary "@$WORK/c.jsonl"
[ "$(bulk_logs)" = 2 ] || fail "an import larger than the stored rows did not build after them"
# 3000 records next to 9000 stored: inserted row by row.
expect_api 201 POST "/api/v1/manifests?name=a2" --data-binary "@$WORK/a.jsonl"
A2=$(json "d['id']")
[ "$(bulk_logs)" = 2 ] || fail "a small import rebuilt the indexes of everything stored"
[ "$(indexes "$WORK/var")" = "$want_indexes" ] || fail "indexes after the imports: $(indexes "$WORK/var")"
plan=$(db "$WORK/var" "EXPLAIN QUERY PLAN SELECT rowid FROM images WHERE scan_id = '$A1' ORDER BY \
blur_score DESC, flags DESC, rowid DESC LIMIT 50")
echo "$plan" | grep -q images_by_blur || fail "the blur page does not walk images_by_blur: $plan"
ok "large imports build the sort indexes after their rows, small ones insert; indexes as migrated"

# The same manifest through both ways: every page answer byte for byte the same.
queries=()
for s in id path filename format width height file_size_bytes mean_brightness blur_score delta; do
  queries+=("sort=$s&limit=40" "sort=-$s&limit=40&cursor=1480")
done
queries+=("flag=dark&sort=-blur_score&limit=30" "flag=duplicate,blurry&sort=width&limit=50"
  "format=PNG&sort=-height&limit=20" "min_width=600&max_blur=250&sort=file_size_bytes&limit=25"
  "camera=nikon&sort=-mean_brightness&limit=20" "split=val&sort=delta&limit=20&cursor=100"
  "q=d07/&sort=-width&limit=15")
for q in "${queries[@]}"; do
  expect_api 200 GET "/api/v1/scans/$A1/images?$q"
  cp "$WORK/body" "$WORK/p1"
  expect_api 200 GET "/api/v1/scans/$A2/images?$q"
  cmp -s "$WORK/p1" "$WORK/body" || fail "images?$q differs between the two ways"
  "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['images'], sys.argv[2]" \
    "$WORK/body" "$q" || fail "images?$q is empty: the comparison proves nothing"
done
for p in summary images/17 images/2999; do
  expect_api 200 GET "/api/v1/scans/$A1/$p"
  cp "$WORK/body" "$WORK/p1"
  expect_api 200 GET "/api/v1/scans/$A2/$p"
  cmp -s "$WORK/p1" "$WORK/body" || fail "$p differs between the two ways"
done
ok "the same manifest imported both ways answers ${#queries[@]} image pages, records and summary alike"
stop_daemon TERM

# A bulk import that fails at its last line: nothing stored, every index back.
start_daemon "$WORK/var2"
gen "$WORK/torn.jsonl" 3000 3 tail
expect_api 400 POST "/api/v1/manifests" --data-binary "@$WORK/torn.jsonl"
grep -q 'the last, is cut off' "$WORK/body" || fail "torn: $(cat "$WORK/body")"
[ "$(indexes "$WORK/var2")" = "$want_indexes" ] || fail "indexes after a failed import"
[ "$(db "$WORK/var2" 'SELECT COUNT(*) FROM images')" = 0 ] || fail "rows of a failed import"
ok "a failed bulk import leaves no row and every index"

# Killed while indexing (the upload is in the scan's folder): at the restart, no half scan and
# every index there.
gen "$WORK/big.jsonl" 15000 4
curl -s -o /dev/null -X POST -H 'Expect:' --upload-file "$WORK/big.jsonl" "$B/api/v1/manifests" &
CURL=$!
for _ in $(seq 1 600); do
  [ -n "$(find "$WORK/var2/scans" -name '*.jsonl' 2>/dev/null)" ] && break
  sleep 0.02
done
stop_daemon KILL
wait "$CURL" 2>/dev/null || true
start_daemon "$WORK/var2"
[ "$(indexes "$WORK/var2")" = "$want_indexes" ] || fail "indexes after a killed import"
[ "$(db "$WORK/var2" 'PRAGMA integrity_check')" = ok ] || fail "integrity after a killed import"
half=$(db "$WORK/var2" "SELECT COUNT(*) FROM images WHERE scan_id NOT IN (SELECT id FROM scans \
WHERE status = 'succeeded')")
[ "$half" = 0 ] || fail "$half rows of an unfinished import"
n=$(db "$WORK/var2" "SELECT COUNT(*) FROM images")
[ "$n" = 0 ] || [ "$n" = 15000 ] || fail "$n rows: a half import"
ok "a daemon killed while indexing a bulk import: no half scan, indexes intact ($n rows kept)"
stop_daemon TERM
echo "$checks passed, 0 failed"
