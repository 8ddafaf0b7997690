#!/usr/bin/env bash
# imgedad takes only strings it can store and echo back as sent: a body whose strings hold a NUL
# (\u0000 would cut a root or a name short), a raw control character or bytes that are not
# UTF-8 is refused with 400 naming the field, and a scan's name is one line of UTF-8. What an
# older version stored (a name that is not UTF-8, an imported path that is not) is listed as
# JSON all the same. A file whose name is not UTF-8 (latin-1) gets its thumbnail.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

mkdir -p "$WORK/set"
cp "$FIXTURES/sample/street.jpg" "$WORK/set/ok.jpg"
"$PYTHON" -c 'import shutil, sys; shutil.copy(sys.argv[1], sys.argv[2].encode() + b"/caf\xe9.jpg")' \
  "$FIXTURES/sample/night.jpg" "$WORK/set"
start_daemon "$WORK/var"

# post PATH PYTHON_BYTES: POSTs the bytes the Python expression gives (root is $WORK/set).
post() {
  ROOT="$WORK/set" "$PYTHON" -c "import os, sys; root = os.environ['ROOT'].encode(); sys.stdout.buffer.write($2)" >"$WORK/req"
  api POST "$1" --data-binary @"$WORK/req" -H 'Content-Type: application/json'
}
# Each line: PATH | the body as a Python bytes expression | the 400's message.
while IFS='|' read -r path body want; do
  post "$path" "$body"
  [ "$CODE" = 400 ] || { cat "$WORK/body" >&2; fail "$body gave $CODE, expected 400"; }
  [ "$(json "d['error']['message']")" = "$want" ] || fail "$body: $(cat "$WORK/body")"
done <<'CASES'
/api/v1/scans|b'{"root": "' + root + b'", "name": "bad\xff\xfe"}'|name: the value is not valid UTF-8
/api/v1/scans|b'{"root": "' + root + b'\\u0000/../.."}'|root: the value holds a NUL character (\u0000)
/api/v1/scans|b'{"root": "' + root + b'", "name": "a\\u0000b"}'|name: the value holds a NUL character (\u0000)
/api/v1/scans|b'{"root": "' + root + b'", "name": "a\x00b"}'|name: the value holds a NUL character
/api/v1/scans|b'{"root": "' + root + b'", "options": {"skip": ["x", "\\u0000"]}}'|options.skip[1]: the value holds a NUL character (\u0000)
/api/v1/scans|b'{"root": "' + root + b'", "name": "two\\nlines"}'|name: holds a control character (U+000A); a name is one line of text
/api/v1/scans|b'{"root": "' + root + b'", "name": "' + b'x' * 257 + b'"}'|name: longer than 256 bytes
/api/v1/scans|b'{"root": "' + root + b'"} {"root": "/"}'|the body holds more than its JSON object
/api/v1/leakage|b'{"splits": {"tr\\u0000ain": "a", "b": "c"}}'|splits.tr\u0000ain: the key holds a NUL character (\u0000)
CASES
expect_api 200 GET /api/v1/scans
[ "$(json "len(d['scans'])")" = 0 ] || fail "a refused body created a scan: $(cat "$WORK/body")"
ok "bodies with NUL, control characters, invalid UTF-8 or trailing data are 400 naming the field"

post /api/v1/scans "b'{\"root\": \"' + root + b'\", \"name\": \"caf\\\\u00e9 \xe2\x98\x83\"}'"
[ "$CODE" = 202 ] || fail "a UTF-8 name: $CODE $(cat "$WORK/body")"
ID=$(json "d['id']")
wait_status "$ID" succeeded 30
[ "$(json "d['name']")" = "café ☃" ] || fail "the name changed: $(cat "$WORK/body")"
ok "a name in UTF-8 is kept as sent"

expect_api 200 GET "/api/v1/scans/$ID/images?q=caf"
IID=$(json "d['images'][0]['id']")
[ "$(json "d['images'][0]['filename']")" = 'caf\xe9.jpg' ] || fail "$(cat "$WORK/body")"
api GET "/api/v1/scans/$ID/images/$IID/thumbnail?size=64" -D "$WORK/headers"
[ "$CODE" = 200 ] || fail "the thumbnail of a latin-1 name: $CODE $(cat "$WORK/body")"
contains "$WORK/headers" "image/jpeg"
ok "a file named in latin-1 (recorded as caf\\xe9.jpg) gets its thumbnail"
rm "$WORK/set/ok.jpg"
expect_api 200 GET "/api/v1/scans/$ID/images?q=ok.jpg"
expect_api 404 GET "/api/v1/scans/$ID/images/$(json "d['images'][0]['id']")/thumbnail?size=80"
contains "$WORK/body" "no longer exists"
ok "the thumbnail of a file removed since the scan is a 404, not a 403"

expect_api 200 GET "/api/v1/scans/$ID/manifest"
"$PYTHON" -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d.replace(b"ok.jpg", b"o\xffk.jpg"))' \
  "$WORK/body" "$WORK/latin.jsonl"
api POST "/api/v1/manifests?name=a%00b" --data-binary @"$WORK/latin.jsonl"
[ "$CODE" = 400 ] || fail "?name=a%00b: $CODE"
contains "$WORK/body" "name: holds a NUL character"
api POST "/api/v1/manifests?name=a%FFb" --data-binary @"$WORK/latin.jsonl"
[ "$CODE" = 400 ] || fail "?name=a%FFb: $CODE"
contains "$WORK/body" "name: not valid UTF-8"
ok "an import's ?name= with %00 or bytes that are not UTF-8 is 400"
expect_api 201 POST "/api/v1/manifests?name=imported" --data-binary @"$WORK/latin.jsonl"
IMP=$(json "d['id']")
# Stored by an older version: a name and options that are not UTF-8.
"$PYTHON" - "$WORK/var/imgedad.db" "$ID" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
db.execute("UPDATE scans SET name = CAST(X'6f6c64ff6e616d65' AS TEXT), "
           "options_json = CAST(X'7b226e6f7465223a22e9227d' AS TEXT) WHERE id = ?", (sys.argv[2],))
db.commit()
PY
# strict JSON PATH: the body parses as UTF-8 JSON (json.load of a text file would let bytes through).
strict() {
  expect_api 200 GET "$1"
  "$PYTHON" -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$WORK/body" ||
    fail "GET $1 is not UTF-8 JSON: $(head -c 300 "$WORK/body")"
}
strict /api/v1/scans
[ "$(json "[s['name'] for s in d['scans'] if s['id'] == '$ID'][0]")" = 'old\xffname' ] ||
  fail "$(cat "$WORK/body")"
[ "$(json "[s['options'] for s in d['scans'] if s['id'] == '$ID'][0]")" = "{'note': '\\\\xe9'}" ] ||
  fail "$(cat "$WORK/body")"
strict "/api/v1/scans/$ID"
ok "a name stored that is not UTF-8 is listed as \\xNN; the list stays JSON"
strict "/api/v1/scans/$IMP/images?sort=path"
[ "$(json "d['images'][1]['path']")" = "$WORK/set/o\\xffk.jpg" ] || fail "$(cat "$WORK/body")"
strict "/api/v1/scans/$IMP/images/2"
strict "/api/v1/scans/$IMP/checks/all"
strict "/api/v1/scans/$IMP/duplicates"
ok "records of an import whose paths are not UTF-8 are listed as JSON, with \\xNN"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
