#!/usr/bin/env bash
# imgedad over real HTTP with a bucket on a real local S3 server (s3rver): scan.allowed_roots takes
# s3:// entries (confined by bucket and key prefix on key boundaries), POST /api/v1/scans with an
# s3:// root scans it with the options given, equal to the CLI's scan of the bucket; thumbnails
# of its images are made from the fetched objects; a missing bucket and refused credentials
# are refused at POST with a clear message.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"
source "$HERE/s3_lib.sh"
trap 's3_stop; cleanup_daemon' EXIT
BK=imgeda-d

s3_start "$BK"
for f in "$FIXTURES"/sample/*; do
  s3_put "$f" "$BK" "photos/$(basename "$f")"
done
s3_put "$FIXTURES/sample/night.jpg" "$BK" "photos-old/night.jpg"
s3_put "$FIXTURES/sample/night.jpg" "$BK" "other/night.jpg"
s3_proxy_start
n=$(ls "$FIXTURES"/sample | wc -l)

ROOTS="scan.allowed_roots=$WORK,s3://$BK/photos,s3://no-such-bucket"
start_daemon "$WORK/dd" --set "$ROOTS"
expect_api 200 GET /api/v1/config
[ "$(json "'s3://$BK/photos' in d['allowed_roots']")" = True ] || fail "config lists the s3 root"
ok "scan.allowed_roots accepts s3:// entries"

for bad in "s3://$BK/other" "s3://$BK/photos-old" "s3://$BK" "s3://other-bucket/photos"; do
  expect_api 403 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$bad\"}"
  contains "$WORK/body" "outside scan.allowed_roots"
done
expect_api 400 POST /api/v1/scans -H 'Content-Type: application/json' -d '{"root": "s3://no-such-bucket/x"}'
contains "$WORK/body" "bucket no-such-bucket does not exist"
expect_api 400 POST /api/v1/scans -H 'Content-Type: application/json' -d '{"root": "s3://Bad_Name/x"}'
contains "$WORK/body" "bad bucket name"
ok "roots outside the s3:// entries (a sibling prefix, the bucket above, another bucket), a missing bucket and a bad URL are refused"

expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' \
  -d "{\"root\": \"s3://$BK/photos/\", \"options\": {\"skip_exif\": true, \"workers\": 1}}"
ID=$(json "d['id']")
[ "$(json "d['root']")" = "s3://$BK/photos" ] || fail "root stored as $(json "d['root']")"
wait_status "$ID" succeeded 60
expect_api 200 GET "/api/v1/scans/$ID/images?limit=100"
[ "$(json "d['total']")" = "$n" ] || fail "expected $n images"
[ "$(json "all(i['path'].startswith('s3://$BK/photos/') for i in d['images'])")" = True ] || fail "paths"
curl -sf "$B/api/v1/scans/$ID/manifest" -o "$WORK/daemon.jsonl" || fail "manifest download"
"$IMGEDA" scan "s3://$BK/photos" -o "$WORK/cli.jsonl" --skip-exif --workers 2 -q >/dev/null
"$PYTHON" - "$WORK/daemon.jsonl" "$WORK/cli.jsonl" <<'PY'
import json, sys
def load(p):
    lines = open(p).read().splitlines()
    return json.loads(lines[0]), [{k: v for k, v in json.loads(l).items() if k != "analyzed_at"}
                                  for l in lines[1:]]
hd, rd = load(sys.argv[1])
hc, rc = load(sys.argv[2])
assert hd["input_dir"] == "s3://imgeda-d/photos", hd["input_dir"]
assert hd["settings"]["skip_exif"] is True
assert rd == rc, "the daemon's records equal the CLI's"
PY
expect_api 200 GET "/api/v1/scans/$ID/summary"
expect_api 400 GET "/api/v1/scans/$ID/annotations"
contains "$WORK/body" "annotations are read from a folder"
ok "POST /api/v1/scans with an s3:// root and options scans the bucket like the CLI; results work"

"$PYTHON" - "$B" "$ID" "$WORK" <<'PY'
import json, sys, urllib.request
base, sid, work = sys.argv[1:4]
with urllib.request.urlopen(f"{base}/api/v1/scans/{sid}/images?limit=100") as r:
    ids = {i["filename"]: i["id"] for i in json.load(r)["images"]}
open(f"{work}/ids", "w").write(" ".join(f"{k}={v}" for k, v in sorted(ids.items())))
PY
iid() { tr ' ' '\n' <"$WORK/ids" | sed -n "s/^$1=//p"; }
proxy /__proxy/reset >/dev/null
code=$(curl -s -o "$WORK/t.jpg" -w '%{http_code} %{content_type}' "$B/api/v1/scans/$ID/images/$(iid street.jpg)/thumbnail?size=64")
[ "$code" = "200 image/jpeg" ] || { cat "$WORK/t.jpg"; fail "thumbnail gave $code"; }
"$PYTHON" -c "
from PIL import Image
im = Image.open('$WORK/t.jpg'); assert im.format == 'JPEG' and max(im.size) == 64, im.size"
n_get=$(proxy_stats | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin).get('GET /$BK/photos/street.jpg', 0))")
[ "$n_get" = 1 ] || fail "the thumbnail fetched the object $n_get times"
curl -sf -o "$WORK/t2.jpg" "$B/api/v1/scans/$ID/images/$(iid street.jpg)/thumbnail?size=64" || fail "cached thumbnail"
cmp -s "$WORK/t.jpg" "$WORK/t2.jpg" || fail "the cached thumbnail differs"
n_get=$(proxy_stats | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin).get('GET /$BK/photos/street.jpg', 0))")
[ "$n_get" = 1 ] || fail "a cached thumbnail fetched the object again"
ok "a thumbnail of an S3 image is made from the fetched object, then served from the cache"

# The same image scanned from disk gives the same thumbnail bytes (one decoder, file or memory).
mkdir -p "$WORK/local"
cp "$FIXTURES"/sample/* "$WORK/local/"
expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$WORK/local\"}"
LID=$(json "d['id']")
wait_status "$LID" succeeded 60
expect_api 200 GET "/api/v1/scans/$LID/images?q=street.jpg"
LIID=$(json "[i['id'] for i in d['images'] if i['filename'] == 'street.jpg'][0]")
curl -sf -o "$WORK/tl.jpg" "$B/api/v1/scans/$LID/images/$LIID/thumbnail?size=64" || fail "local thumbnail"
cmp -s "$WORK/t.jpg" "$WORK/tl.jpg" || fail "S3 and local thumbnails of the same file differ"
ok "the S3 thumbnail equals the thumbnail of the same file on disk"

s3_delete "$BK" "photos/night.jpg"
expect_api 404 GET "/api/v1/scans/$ID/images/$(iid night.jpg)/thumbnail?size=64"
contains "$WORK/body" "NoSuchKey"
expect_api 200 GET "/api/v1/scans/$LID/images?q=broken.jpg"
LB=$(json "d['images'][0]['id']")
api GET "/api/v1/scans/$LID/images/$LB/thumbnail?size=64"
want=$CODE
api GET "/api/v1/scans/$ID/images/$(iid broken.jpg)/thumbnail?size=64"
[ "$CODE" = "$want" ] || fail "broken.jpg's thumbnail: $CODE from the bucket, $want from disk"
ok "a deleted object's thumbnail is a 404 naming NoSuchKey; a damaged image fares as on disk"
stop_daemon

AWS_ACCESS_KEY_ID=WRONG start_daemon "$WORK/dd" --set "$ROOTS"
expect_api 403 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"s3://$BK/photos\"}"
contains "$WORK/body" "access to bucket $BK denied"
stop_daemon
ok "refused credentials are refused at POST, naming the bucket"
echo "all $checks checks passed"
