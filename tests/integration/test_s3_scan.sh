#!/usr/bin/env bash
# imgeda scan s3://BUCKET/PREFIX against a real local S3 server (s3rver) behind a counting,
# fault-injecting proxy (s3_proxy.mjs): the bucket scan equals the local scan of the same files
# field by field (but path, mtime and the analysis time), in-process, isolated and in shards;
# resume after kill -9 fetches only what is missing; bad credentials, a missing bucket and a
# dead endpoint fail before anything is written; an object deleted between list and get, or
# denied, becomes its error record; 500-then-200 is retried; a server that keeps failing stops
# the scan with its progress saved, and the re-run completes it.
source "$(dirname "$0")/lib.sh"
source "$HERE/s3_lib.sh"
trap 's3_stop; rm -rf "$WORK"' EXIT
BK=imgeda-it

# The files: the sample fixtures, generated photos in a subfolder, and what a scan must skip.
mkdir -p "$WORK/data/sub/deeper"
cp "$FIXTURES"/sample/* "$WORK/data/"
"$PYTHON" - "$WORK/data" <<'PY'
import sys
from PIL import Image
import numpy as np
rng = np.random.default_rng(7)
for i in range(24):
    a = (rng.random((120 + i * 3, 160 + i * 2, 3)) * 255).astype("uint8")
    sub = "sub/deeper/" if i % 4 == 0 else "sub/"
    Image.fromarray(a).save(f"{sys.argv[1]}/{sub}gen {i:02d}.jpg", quality=85)
PY
echo "not an image" >"$WORK/data/notes.txt"
total=$(find "$WORK/data" -type f ! -name '*.txt' | wc -l)

s3_start "$BK"
(cd "$WORK/data" && find . -type f | sed 's|^\./||') | while read -r rel; do
  s3_put "$WORK/data/$rel" "$BK" "set/$rel"
done
s3_put "$WORK/data/night.jpg" "$BK" "set-old/night.jpg" # a sibling prefix, not under set/
s3_put /dev/null "$BK" "set/folder/"                    # a console's "folder" marker
s3_proxy_start
ok "uploaded $total images (and a text file) to s3://$BK/set"

"$IMGEDA" scan "$WORK/data" -o "$WORK/local.jsonl" --workers 2 -q >/dev/null

# compare A B [PREFIX]: same records in the same order, every field equal but path, mtime and
# analyzed_at; B's paths are s3://imgeda-it/set/REL for A's DIR/REL.
compare() {
  "$PYTHON" - "$1" "$2" "$WORK/data" "s3://$BK/set" <<'PY'
import json, sys
a_path, b_path, root, url = sys.argv[1:5]
def load(p):
    lines = open(p).read().splitlines()
    return json.loads(lines[0]), [json.loads(l) for l in lines[1:]]
ha, ra = load(a_path)
hb, rb = load(b_path)
assert hb["input_dir"] == url, hb["input_dir"]
assert ha["settings"] == hb["settings"], (ha["settings"], hb["settings"])
assert len(ra) == len(rb), (len(ra), len(rb))
for x, y in zip(ra, rb):
    rel = x["path"][len(root) + 1:]
    assert y["path"] == url + "/" + rel, (x["path"], y["path"])
    assert float(y["mtime"]).is_integer(), y["mtime"]
    for k in set(x) | set(y):
        if k in ("path", "mtime", "analyzed_at"):
            continue
        assert x.get(k) == y.get(k), (rel, k, x.get(k), y.get(k))
PY
}
gets() { proxy_stats | "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(sum(v for k,v in d.items() if k.startswith('GET /$BK/set/')))"; }

expect_rc 0 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/s3.jsonl" --workers 2
contains "$WORK/err" "Found $total images"
compare "$WORK/local.jsonl" "$WORK/s3.jsonl"
[ "$(gets)" -eq "$total" ] || fail "expected $total GETs, saw $(gets)"
ok "s3 scan equals the local scan field by field; each object fetched once"

proxy /__proxy/reset >/dev/null
expect_rc 0 "$IMGEDA" scan "s3://$BK/set/" -o "$WORK/s3_iso.jsonl" --workers 2 --isolate -q
compare "$WORK/local.jsonl" "$WORK/s3_iso.jsonl"
ok "isolated s3 scan (bytes to worker processes) equals the local scan"

expect_rc 0 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/s3.jsonl" --workers 2
contains "$WORK/err" "$total record(s) kept"
contains "$WORK/out" "($((0)) analysed, $total kept"
ok "re-run of a finished scan keeps every record"

for k in 1 2 3; do
  "$IMGEDA" scan "s3://$BK/set" -o "$WORK/s3_part$k.jsonl" --shard "$k/3" --workers 1 -q >/dev/null
  "$IMGEDA" scan "$WORK/data" -o "$WORK/local_part$k.jsonl" --shard "$k/3" --workers 1 -q >/dev/null
  "$PYTHON" - "$WORK/local_part$k.jsonl" "$WORK/s3_part$k.jsonl" "$WORK/data" <<'PY'
import json, sys
rel = lambda p, cut: [json.loads(l)["path"][cut:] for l in open(p).read().splitlines()[1:]]
a = rel(sys.argv[1], len(sys.argv[3]) + 1)
b = rel(sys.argv[2], len("s3://imgeda-it/set/"))
assert a == b and a, (a, b)
PY
done
expect_rc 0 "$IMGEDA" merge "$WORK"/s3_part{1,2,3}.jsonl -o "$WORK/s3_merged.jsonl"
"$PYTHON" - "$WORK/s3.jsonl" "$WORK/s3_merged.jsonl" <<'PY'
import json, sys
recs = lambda p: [{k: v for k, v in json.loads(l).items() if k != "analyzed_at"}
                  for l in open(p).read().splitlines()[1:]]
assert recs(sys.argv[1]) == recs(sys.argv[2])
PY
ok "shards of a bucket hold the same keys as the local shards and merge into the full scan"

# Resume after kill -9: every GET is slowed so the scan is still running when it is killed.
proxy /__proxy/reset >/dev/null
proxy "/__proxy/delay?match=GET%20/$BK/set/&ms=150" >/dev/null
M="$WORK/killed.jsonl"
"$IMGEDA" scan "s3://$BK/set" -o "$M" --workers 1 --checkpoint-every 1 -q >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  n=$( { tail -n +2 "$M" 2>/dev/null || true; } | wc -l)
  [ "$n" -ge 8 ] && break
  sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
"$PYTHON" - "$M" "$WORK/missing.txt" "$total" <<'PY'
import json, sys
done = set()
for l in open(sys.argv[1], "rb").read().split(b"\n")[1:]:
    try:
        done.add(json.loads(l)["path"])
    except ValueError:
        pass  # a torn last line
total = int(sys.argv[3])
assert 8 <= len(done) < total, len(done)
open(sys.argv[2], "w").write(str(total - len(done)))
PY
missing=$(cat "$WORK/missing.txt")
proxy /__proxy/reset >/dev/null
expect_rc 0 "$IMGEDA" scan "s3://$BK/set" -o "$M" --workers 2
[ "$(gets)" -eq "$missing" ] || fail "the resumed scan fetched $(gets) objects, $missing were missing"
compare "$WORK/local.jsonl" "$M"
ok "after kill -9 the re-run fetched only the $missing missing objects and equals the local scan"

# Clear failures before anything is written.
rm -f "$WORK/none.jsonl"
AWS_ACCESS_KEY_ID=WRONG expect_rc 1 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/none.jsonl"
contains "$WORK/err" "access to bucket $BK denied"
contains "$WORK/err" "InvalidAccessKeyId"
expect_rc 1 "$IMGEDA" scan "s3://no-such-bucket/set" -o "$WORK/none.jsonl"
contains "$WORK/err" "bucket no-such-bucket does not exist"
AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_MAX_ATTEMPTS=2 expect_rc 1 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/none.jsonl"
contains "$WORK/err" "cannot reach the S3 endpoint http://127.0.0.1:1"
expect_rc 1 "$IMGEDA" scan "s3://Bad_Bucket/x" -o "$WORK/none.jsonl"
contains "$WORK/err" "bad bucket name"
[ ! -e "$WORK/none.jsonl" ] || fail "a failed open wrote a manifest"
ok "bad credentials, a missing bucket, a dead endpoint and a bad URL fail clearly before writing"

# An object deleted between list and get, and one denied: their error records; the rest intact.
proxy /__proxy/reset >/dev/null
proxy "/__proxy/delete-after-list?key=set/street.jpg" >/dev/null
proxy "/__proxy/fail?match=GET%20/$BK/set/snow.png&status=403&times=100" >/dev/null
expect_rc 0 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/gone.jsonl" --workers 2 -q
"$PYTHON" - "$WORK/gone.jsonl" "$WORK/s3.jsonl" <<'PY'
import json, sys
recs = lambda p: {r["path"]: r for r in map(json.loads, open(p).read().splitlines()[1:])}
got, full = recs(sys.argv[1]), recs(sys.argv[2])
assert got.keys() == full.keys(), "nothing lost"
gone = got.pop("s3://imgeda-it/set/street.jpg")
assert gone["is_corrupt"] and "NoSuchKey" in gone["error"], gone
assert gone["error"].startswith("cannot fetch s3://imgeda-it/set/street.jpg"), gone["error"]
denied = got.pop("s3://imgeda-it/set/snow.png")
assert denied["is_corrupt"] and "AccessDenied" in denied["error"], denied
for p, r in got.items():
    assert {k: v for k, v in r.items() if k != "analyzed_at"} == \
        {k: v for k, v in full[p].items() if k != "analyzed_at"}, p
PY
s3_put "$WORK/data/street.jpg" "$BK" "set/street.jpg"
ok "an object deleted between list and get and a denied one become error records"

# 500, then 503, then 200: retried, the record is as good as any.
proxy /__proxy/reset >/dev/null
proxy "/__proxy/fail?match=GET%20/$BK/set/night.jpg&status=500&times=1" >/dev/null
proxy "/__proxy/fail?match=GET%20/$BK/set/night.jpg&status=503&times=1" >/dev/null
expect_rc 0 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/flaky.jsonl" --workers 2 -q
compare "$WORK/local.jsonl" "$WORK/flaky.jsonl"
n=$(proxy_stats | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin).get('GET /$BK/set/night.jpg', 0))")
[ "$n" -eq 3 ] || fail "night.jpg was fetched $n times, expected 3 (two failures, one success)"
ok "a server answering 500 then 503 then 200 is retried and the scan equals the local one"

# A server that keeps failing on one object: the scan stops with a clear error and its progress
# saved; once the server recovers the re-run fetches only what is missing.
proxy /__proxy/reset >/dev/null
proxy "/__proxy/fail?match=GET%20/$BK/set/letterbox.jpg&status=500&times=1000" >/dev/null
AWS_MAX_ATTEMPTS=2 expect_rc 1 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/down.jsonl" --workers 1 --checkpoint-every 1
contains "$WORK/err" "s3://$BK/set/letterbox.jpg: InternalError"
contains "$WORK/err" "after 2 tries"
done_before=$(tail -n +2 "$WORK/down.jsonl" | wc -l)
proxy /__proxy/reset >/dev/null
expect_rc 0 "$IMGEDA" scan "s3://$BK/set" -o "$WORK/down.jsonl" --workers 2 -q
[ "$(gets)" -eq $((total - done_before)) ] || fail "re-run fetched $(gets), expected $((total - done_before))"
compare "$WORK/local.jsonl" "$WORK/down.jsonl"
ok "a persistently failing object stops the scan; the re-run completes it with nothing lost"
echo "all $checks checks passed"
