#!/usr/bin/env bash
# Manifest import streamed to disk (issue 12's "import over 8 MiB fails", issue 13's import at
# 10^6 records): an upload far over limits.max_body_bytes is written to data_dir/tmp as it
# arrives and indexed line by line; over import.max_bytes (declared or sent chunked) it is a 413
# naming that key; a malformed or truncated upload, a client that hangs up mid-upload and a
# daemon killed mid-upload all leave the scans as they were and no file behind.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

# gen OUT RECORDS [CUT]: a manifest of RECORDS records built from the golden one (distinct
# paths; every 7th record shares its phash with the one before, a path repeats once at the end
# and replaces the earlier record in place). CUT=garbage makes line 5 not JSON; CUT=tail cuts
# the last line short; CUT=norepeat leaves the repeated path out.
gen() {
  "$PYTHON" - "$FIXTURES/golden/sample_default.jsonl" "$@" <<'PY'
import json, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
cut = sys.argv[4] if len(sys.argv) > 4 else ""
lines = open(src).read().splitlines()
recs = [json.loads(l) for l in lines[1:]]
good = [r for r in recs if r.get("phash") and not r.get("is_corrupt")]
with open(out, "w") as f:
    f.write(lines[0] + "\n")
    for i in range(n):
        r = dict(good[i % len(good)])
        r["path"] = "/data/set/d%03d/img_%07d.jpg" % (i % 500, i)
        r["filename"] = "img_%07d.jpg" % i
        r["phash"] = "%064x" % (i - 1 if i % 7 == 6 else i)
        r["is_dark"] = i == n - 1
        f.write(json.dumps(r) + "\n")
        if cut == "garbage" and i == 2:
            f.write("{this is not json\n")
    last = dict(good[0], path="/data/set/d000/img_0000000.jpg", filename="img_0000000.jpg",
                phash="%064x" % 0, width=4321, is_dark=False)
    text = json.dumps(last)
    if cut != "norepeat":
        f.write(text[: len(text) // 2] if cut == "tail" else text + "\n")
PY
}
# state: what must not change when an import fails: the scans and the files under data_dir.
state() {
  api GET /api/v1/scans
  json "[(s['id'], s['status']) for s in d['scans']]"
  (cd "$WORK/var" && find scans tmp -type f 2>/dev/null | sort)
}

start_daemon "$WORK/var"
gen "$WORK/big.jsonl" 9000
size=$(stat -c %s "$WORK/big.jsonl")
[ "$size" -gt $((9 << 20)) ] || fail "the test manifest has only $size bytes"
expect_api 201 POST "/api/v1/manifests?name=big" --data-binary "@$WORK/big.jsonl"
ID=$(json "d['id']")
[ "$(json "d['progress']['total']")" = 9000 ] || fail "imported total: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/manifest"
cmp -s "$WORK/body" "$WORK/big.jsonl" || fail "the stored manifest differs from the upload"
# The repeated path replaced record 1 in place (its width), and kept its id.
expect_api 200 GET "/api/v1/scans/$ID/images?sort=id&limit=1"
[ "$(json "(d['total'], d['images'][0]['id'], d['images'][0]['width'])")" = "(9000, 1, 4321)" ] \
  || fail "record 1 after the repeat: $(cat "$WORK/body")"
# Exact-phash pairs (every 7th record repeats the one before) carry the duplicate flag.
expect_api 200 GET "/api/v1/scans/$ID/images?flag=duplicate&limit=1"
[ "$(json "d['total']")" = $((9000 / 7 * 2)) ] || fail "duplicate-flagged: $(json "d['total']")"
expect_api 200 GET "/api/v1/scans/$ID/images?flag=dark&limit=5"
[ "$(json "[i['path'] for i in d['images']]")" = "['/data/set/d499/img_0008999.jpg']" ] \
  || fail "dark: $(cat "$WORK/body")"
[ -z "$(ls -A "$WORK/var/tmp")" ] || fail "the upload left $(ls "$WORK/var/tmp")"
# Without a repeated path the flags are set as rows come (the repeat above regroups at the end):
# both members of each pair, nothing else.
gen "$WORK/norepeat.jsonl" 7000 norepeat
expect_api 201 POST "/api/v1/manifests" --data-binary "@$WORK/norepeat.jsonl"
NR=$(json "d['id']")
expect_api 200 GET "/api/v1/scans/$NR/images?flag=duplicate&sort=id&limit=1000"
cp "$WORK/body" "$WORK/page1"
expect_api 200 GET "/api/v1/scans/$NR/images?flag=duplicate&sort=id&limit=1000&cursor=1000"
"$PYTHON" - "$WORK/page1" "$WORK/body" <<'PY' || fail "duplicate flags without a repeat"
import json, sys
pages = [json.load(open(p)) for p in sys.argv[1:]]
ids = [i["id"] for d in pages for i in d["images"]]
want = sorted([i + 1 for i in range(7000) if i % 7 == 6] + [i for i in range(7000) if i % 7 == 6])
assert pages[0]["total"] == 2000 and ids == want, (pages[0]["total"], ids[:6], want[:6])
PY
expect_api 204 DELETE "/api/v1/scans/$NR"
ok "a $size-byte import (over limits.max_body_bytes) is stored byte for byte and indexed"

before=$(state)
gen "$WORK/bad.jsonl" 50 garbage
expect_api 400 POST /api/v1/manifests --data-binary "@$WORK/bad.jsonl"
grep -q 'line 5 is not a manifest record' "$WORK/body" || fail "malformed: $(cat "$WORK/body")"
gen "$WORK/torn.jsonl" 50 tail
expect_api 400 POST /api/v1/manifests --data-binary "@$WORK/torn.jsonl"
grep -q 'line 52, the last, is cut off' "$WORK/body" && grep -q 'truncated' "$WORK/body" \
  || fail "truncated: $(cat "$WORK/body")"
[ "$(state)" = "$before" ] || fail "a failed import changed the scans or files: $(state)"
ok "a malformed or truncated manifest is a 400 naming the line; nothing is stored"

# A client that hangs up mid-upload: no reply to give, and nothing kept.
"$PYTHON" - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /api/v1/manifests HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
s.sendall(b'{"path": "/x.jpg"}\n' * 50000)
time.sleep(0.3)
s.close()
PY
for _ in $(seq 1 50); do [ -z "$(ls -A "$WORK/var/tmp")" ] && break; sleep 0.1; done
[ "$(state)" = "$before" ] || fail "an abandoned upload changed the scans or files: $(state)"
ok "an upload the client abandons leaves no file and no scan"
stop_daemon TERM

start_daemon "$WORK/var" --set import.max_bytes=1048576
gen "$WORK/mid.jsonl" 1000
expect_api 413 POST /api/v1/manifests --data-binary "@$WORK/mid.jsonl"
grep -q 'import.max_bytes' "$WORK/body" || fail "declared too large: $(cat "$WORK/body")"
expect_api 413 POST /api/v1/manifests --data-binary "@$WORK/mid.jsonl" -H 'Transfer-Encoding: chunked'
grep -q 'exceeds 1048576 bytes (import.max_bytes' "$WORK/body" || fail "chunked: $(cat "$WORK/body")"
[ "$(state)" = "$before" ] || fail "a refused import changed the scans or files: $(state)"
# Under the limit, the same daemon imports.
gen "$WORK/small.jsonl" 100
expect_api 201 POST /api/v1/manifests --data-binary "@$WORK/small.jsonl" -H 'Transfer-Encoding: chunked'
SMALL=$(json "d['id']")
ok "over import.max_bytes (declared or chunked) is a 413 naming the key; nothing is stored"

# A daemon killed mid-upload leaves a partial file in data_dir/tmp: the next start removes it.
"$PYTHON" - "$PORT" "$WORK/var/tmp" <<'PY' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /api/v1/manifests HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n")
s.sendall(b'{"path": "/x.jpg"}\n' * 10000)
for _ in range(100):
    if any(n.startswith("upload_") and os.path.getsize(os.path.join(sys.argv[2], n)) > 0
           for n in os.listdir(sys.argv[2])):
        break
    time.sleep(0.05)
time.sleep(5)
PY
UPLOADER=$!
for _ in $(seq 1 100); do
  ls "$WORK/var/tmp" | grep -q upload_ && break
  sleep 0.05
done
ls "$WORK/var/tmp" | grep -q upload_ || fail "no upload file while uploading"
stop_daemon KILL
kill "$UPLOADER" 2>/dev/null || true
wait "$UPLOADER" 2>/dev/null || true
start_daemon "$WORK/var"
[ -z "$(ls -A "$WORK/var/tmp")" ] || fail "a restart kept $(ls "$WORK/var/tmp")"
expect_api 200 GET "/api/v1/scans/$SMALL/images?limit=1"
[ "$(json "d['total']")" = 100 ] || fail "the earlier import after a restart: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/images?limit=1"
[ "$(json "d['total']")" = 9000 ] || fail "the first import after a restart: $(cat "$WORK/body")"
ok "a daemon killed mid-upload: the partial file is removed at the next start, imports kept"
stop_daemon TERM
echo "$checks passed, 0 failed"
