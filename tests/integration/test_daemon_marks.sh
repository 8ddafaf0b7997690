#!/usr/bin/env bash
# Marks over real HTTP (issue 12): set, replace and clear marks; the paged list; remove.txt with
# marked and keeper-dropped images; marks.csv and marks.jsonl; the cleaned manifest; summary and
# gate with and without ?marks=apply; bad input and limits; marks that survive a restart of the
# daemon and carry over to a new scan of the same folder, and the CLI reading the exported file.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

cp -r "$FIXTURES/sample" "$WORK/data"
start_daemon "$WORK/var"

scan() {
  expect_api 202 POST /api/v1/scans -H 'Content-Type: application/json' -d "{\"root\": \"$WORK/data\"}"
  SID=$(json "d['id']")
  wait_status "$SID" succeeded
}
scan
ID=$SID
# id_of NAME: the image id of data/NAME in scan $ID.
id_of() {
  api GET "/api/v1/scans/$ID/images?limit=100&q=$1"
  json "[i['id'] for i in d['images'] if i['filename'] == '$1'][0]"
}
BROKEN=$(id_of broken.jpg); NIGHT=$(id_of night.jpg); SNOW=$(id_of snow.png)
STREET=$(id_of street.jpg); COPY=$(id_of street_copy.jpg); BLURRY=$(id_of blurry.webp)
put() { expect_api "$1" PUT "/api/v1/scans/$ID/marks" -H 'Content-Type: application/json' -d "$2"; }

# Nothing marked: the list is empty, the remove list too, and apply changes nothing.
expect_api 200 GET "/api/v1/scans/$ID/marks"
[ "$(json "d['total'], d['images'], d['marks']['applied']")" = "0 [] 0" ] || fail "no marks: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/remove.txt"
[ ! -s "$WORK/body" ] || fail "empty remove list expected"
expect_api 200 GET "/api/v1/scans/$ID/summary"
PLAIN=$(json "d['total_images'], d['dark_count'], d['duplicates']['exact_images']")
[ "$PLAIN" = "7 1 1" ] || fail "summary without marks: $PLAIN"
ok "no marks: empty list and remove list"

# With no marks, the marked view the gate reads (kept per marks version in the result cache as
# compact lines) gives the verdict the plain gate reads from the manifest, check for check.
FULL_POLICY='{"min_images_total": 1, "max_corrupt_pct": 0, "max_underexposed_pct": 0, "max_overexposed_pct": 0, "max_duplicate_pct": 0, "max_blurry_pct": 0, "max_artifact_pct": 0, "min_width": 100, "min_height": 100, "max_aspect_ratio": 1.5, "allowed_formats": ["JPEG"]}'
expect_api 412 POST "/api/v1/scans/$ID/gate" -d "$FULL_POLICY"
cp "$WORK/body" "$WORK/gate_plain"
for _ in 1 2; do
  expect_api 412 POST "/api/v1/scans/$ID/gate?marks=apply" -d "$FULL_POLICY"
  "$PYTHON" - "$WORK/gate_plain" "$WORK/body" <<'PY' || fail "the marked gate without marks differs from the plain gate"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert b.pop("marks")["applied"] == 0
assert a == b, (a, b)
PY
done
ok "no marks: the marked gate (computed, then cached) equals the plain gate check for check"

# Bad input: validated like the other bodies, with limits.
put 400 '{"image_ids": [1], "mark": "delete"}'; contains "$WORK/body" "remove, keep, ok, not_duplicate"
put 400 '{"image_ids": [], "mark": "remove"}'
put 400 '{"image_ids": [1]}'
put 400 '{"image_ids": [1], "mark": "remove", "extra": 1}'
put 400 '{"image_ids": [999], "mark": "remove"}'; contains "$WORK/body" "no image 999"
put 400 '{"image_ids": [1.5], "mark": "remove"}'
put 400 "{\"image_ids\": [$NIGHT], \"mark\": \"not_duplicate\"}"; contains "$WORK/body" "pair or a group"
put 400 "{\"image_ids\": [$NIGHT, $NIGHT], \"mark\": \"ok\"}"; contains "$WORK/body" "twice"
"$PYTHON" -c "import json; print(json.dumps({'image_ids': list(range(1, 10002)), 'mark': 'ok'}))" >"$WORK/big.json"
put 400 @"$WORK/big.json"; contains "$WORK/body" "1..10000"
expect_api 404 PUT /api/v1/scans/nope/marks -d '{"image_ids": [1], "mark": "ok"}'
expect_api 404 GET "/api/v1/scans/$ID/marks.xml"
expect_api 400 GET "/api/v1/scans/$ID/summary?marks=yes"
expect_api 400 GET "/api/v1/scans/$ID/marks?limit=0"
ok "bad marks requests are refused with 400/404"

# Marks: broken.jpg removed, night.jpg ok (not dark after all), street.jpg kept (its byte-
# identical copy leaves through the keeper), blurry.webp marked then cleared.
put 200 "{\"image_ids\": [$BROKEN], \"mark\": \"remove\"}"
put 200 "{\"image_ids\": [$NIGHT], \"mark\": \"ok\"}"
put 200 "{\"image_ids\": [$STREET], \"mark\": \"keep\"}"
put 200 "{\"image_ids\": [$BLURRY], \"mark\": \"keep\"}"
put 200 "{\"image_ids\": [$BLURRY], \"mark\": \"remove\"}"
put 200 "{\"image_ids\": [$BLURRY], \"mark\": null}"
[ "$(json "d['mark']")" = None ] || fail "clearing answers mark null"
expect_api 200 GET "/api/v1/scans/$ID/marks?limit=2"
[ "$(json "d['total'], len(d['images'])")" = "4 2" ] || fail "page 1: $(cat "$WORK/body")"
CUR=$(json "d['next_cursor']")
FIRST=$(json "[(i['image_id'], i['mark'], i['removed']) for i in d['images']]")
expect_api 200 GET "/api/v1/scans/$ID/marks?limit=2&cursor=$CUR"
[ "$(json "d['next_cursor']")" = None ] || fail "page 2 is the last"
SECOND=$(json "[(i['image_id'], i['mark'], i['removed']) for i in d['images']]")
WANT=$("$PYTHON" -c "
rows = sorted([($BROKEN, 'remove', True), ($NIGHT, 'ok', False), ($STREET, 'keep', False), ($COPY, None, True)])
print(rows[:2]); print(rows[2:])")
[ "$FIRST"$'\n'"$SECOND" = "$WANT" ] || fail "marks list: $FIRST $SECOND, expected $WANT"
[ "$(json "d['marks']['applied'], d['marks']['removed_by_keep']")" = "3 1" ] || fail "$(cat "$WORK/body")"
ok "marks are set, replaced, cleared and listed in pages"

expect_api 200 GET "/api/v1/scans/$ID/remove.txt"
printf '%s\n' "$WORK/data/broken.jpg" "$WORK/data/street_copy.jpg" >"$WORK/want_remove"
cmp "$WORK/body" "$WORK/want_remove" || { cat "$WORK/body"; fail "remove.txt lines"; }
ok "remove.txt lists the removed image and the keeper's non-kept copy"

expect_api 200 GET "/api/v1/scans/$ID/marks.csv"
cat >"$WORK/want_csv" <<CSV
content_hash,path,mark,group
$(grep -o 'xxh3_128:[0-9a-f]*' <<<"$(curl -s "$B/api/v1/scans/$ID/images/$BROKEN")"),broken.jpg,remove,
$(grep -o 'xxh3_128:[0-9a-f]*' <<<"$(curl -s "$B/api/v1/scans/$ID/images/$NIGHT")"),night.jpg,ok,
$(grep -o 'xxh3_128:[0-9a-f]*' <<<"$(curl -s "$B/api/v1/scans/$ID/images/$STREET")"),street.jpg,keep,
CSV
cmp "$WORK/body" "$WORK/want_csv" || { diff "$WORK/body" "$WORK/want_csv"; fail "marks.csv"; }
expect_api 200 GET "/api/v1/scans/$ID/marks.jsonl"
cp "$WORK/body" "$WORK/marks.jsonl"
[ "$(wc -l <"$WORK/marks.jsonl")" = 3 ] || fail "marks.jsonl: $(cat "$WORK/marks.jsonl")"
ok "marks.csv and marks.jsonl hold the root's marks"

expect_api 200 GET "/api/v1/scans/$ID/manifest?marks=apply"
"$PYTHON" - "$WORK/body" <<'PY' || fail "cleaned manifest"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0].get("__manifest_meta__") and lines[0]["total_files"] == 5, lines[0]
names = sorted(r["filename"] for r in lines[1:])
assert names == ["blurry.webp", "letterbox.jpg", "night.jpg", "snow.png", "street.jpg"], names
PY
ok "the cleaned manifest leaves the removed images out"

expect_api 200 GET "/api/v1/scans/$ID/summary?marks=apply"
GOT=$(json "d['total_images'], d['dark_count'], d['corrupt_count'], d['duplicates']['exact_images'], d['marks']['applied']")
[ "$GOT" = "5 0 0 0 3" ] || fail "summary with marks: $GOT"
expect_api 200 GET "/api/v1/scans/$ID/summary"
[ "$(json "d['total_images'], d['dark_count'], d['duplicates']['exact_images']")" = "$PLAIN" ] || fail "the plain summary changed"
expect_api 200 GET "/api/v1/scans/$ID/summary?marks=ignore"
[ "$(json "d['total_images'], d['dark_count'], d['duplicates']['exact_images'], 'marks' in d")" = "$PLAIN False" ] || fail "summary?marks=ignore is the plain summary: $(head -c 300 "$WORK/body")"
expect_api 400 GET "/api/v1/scans/$ID/summary?marks=maybe"
ok "summary?marks=apply: removed images leave the counts, ok clears the dark flag (marks=ignore: the plain summary)"

POLICY='{"min_images_total": 1, "max_corrupt_pct": 0, "max_underexposed_pct": 0, "max_overexposed_pct": 100, "max_duplicate_pct": 0}'
expect_api 412 POST "/api/v1/scans/$ID/gate" -d "$POLICY"
[ "$(json "'marks' in d, d['total_images']")" = "False 7" ] || fail "gate without marks"
expect_api 200 POST "/api/v1/scans/$ID/gate?marks=apply" -d "$POLICY"
[ "$(json "d['passed'], d['total_images'], d['marks']['applied'], d['marks']['removed']")" = "True 5 3 2" ] || fail "gate with marks: $(cat "$WORK/body")"
ok "gate: fails without marks (412), passes with ?marks=apply and says 3 marks applied"

# The marked views are computed once per marks version and then answered from the result cache:
# the gate after the summary above is a hit with the same verdict, and a change of the marks
# is seen by the next request (the broken image's remove mark cleared: the gate fails on it;
# put back: it passes again).
hits() { curl -sf "$B/metrics" | awk '/^imgedad_result_cache_hits_total/ {print $2}'; }
cp "$WORK/body" "$WORK/gate_marked"
H0=$(hits)
expect_api 200 POST "/api/v1/scans/$ID/gate?marks=apply" -d "$POLICY"
cmp "$WORK/body" "$WORK/gate_marked" || fail "the cached marked gate differs: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/summary?marks=apply"
[ "$(json "d['total_images'], d['dark_count'], d['marks']['applied']")" = "5 0 3" ] || fail "cached summary: $(cat "$WORK/body")"
[ "$(hits)" -ge $((H0 + 2)) ] || fail "the marked views were computed again, not taken from the cache ($H0 -> $(hits))"
put 200 "{\"image_ids\": [$BROKEN], \"mark\": null}"
expect_api 412 POST "/api/v1/scans/$ID/gate?marks=apply" -d "$POLICY"
[ "$(json "d['total_images'], d['marks']['applied']")" = "6 2" ] || fail "gate after a mark was cleared: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/summary?marks=apply"
[ "$(json "d['total_images'], d['corrupt_count'], d['marks']['applied']")" = "6 1 2" ] || fail "summary after a mark was cleared: $(cat "$WORK/body")"
put 200 "{\"image_ids\": [$BROKEN], \"mark\": \"remove\"}"
expect_api 200 POST "/api/v1/scans/$ID/gate?marks=apply" -d "$POLICY"
cmp "$WORK/body" "$WORK/gate_marked" || fail "the marked gate after the mark was put back: $(cat "$WORK/body")"
ok "marked summary and gate: answered from the cache per marks version; a PUT marks is seen at once"

# not_duplicate: the byte-identical pair stays a duplicate (same bytes), but a pair with the same
# phash and different bytes splits; here it is the only pair the sample has, so check the mark
# is stored as a set and listed.
put 200 "{\"image_ids\": [$NIGHT, $SNOW], \"mark\": \"not_duplicate\"}"
[ "$(json "d['group']")" = nd-1 ] || fail "first set is nd-1: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/marks"
[ "$(json "[i['not_duplicate'] for i in d['images'] if i['image_id'] == $SNOW]")" = "[['nd-1']]" ] || fail "set listed"
put 200 "{\"image_ids\": [$SNOW], \"mark\": null}"
# night.jpg stays in set nd-1 (a set of one now): 4 marks from here on.
ok "not_duplicate is stored as a named set and cleared with mark null"

# Restart: the marks are in SQLite.
stop_daemon
start_daemon "$WORK/var"
expect_api 200 GET "/api/v1/scans/$ID/remove.txt"
cmp "$WORK/body" "$WORK/want_remove" || fail "remove.txt after restart"
ok "marks survive a daemon restart"

# A new scan (version) of the same folder, with street_copy.jpg renamed: the marks follow the
# bytes: the renamed copy is still not the keeper and leaves.
mv "$WORK/data/street_copy.jpg" "$WORK/data/street_copy2.jpg"
scan
[ "$SID" != "$ID" ] || fail "a new scan"
ID=$SID
expect_api 200 GET "/api/v1/scans/$ID/remove.txt"
printf '%s\n' "$WORK/data/broken.jpg" "$WORK/data/street_copy2.jpg" >"$WORK/want_remove2"
cmp "$WORK/body" "$WORK/want_remove2" || { cat "$WORK/body"; fail "remove.txt of the rescan"; }
expect_api 200 GET "/api/v1/scans/$ID/summary?marks=apply"
[ "$(json "d['total_images'], d['dark_count'], d['marks']['applied']")" = "5 0 4" ] || fail "rescan summary: $(cat "$WORK/body")"
ok "marks carry over to a new scan of the same root"

# The CI gate takes "marks": "apply" too.
expect_api 412 POST /api/v1/gate -d "{\"root\": \"$WORK/data\", \"policy\": $POLICY}"
expect_api 200 POST /api/v1/gate -d "{\"root\": \"$WORK/data\", \"policy\": $POLICY, \"marks\": \"apply\"}"
[ "$(json "d['passed'], d['total_images'], d['marks']['applied']")" = "True 5 4" ] || fail "CI gate with marks: $(cat "$WORK/body")"
expect_api 400 POST /api/v1/gate -d "{\"root\": \"$WORK/data\", \"policy\": $POLICY, \"marks\": \"yes\"}"
ok "POST /api/v1/gate with marks: apply passes where it fails without"

# The exported file drives the CLI to the same answers offline.
expect_api 200 GET "/api/v1/scans/$ID/manifest"
cp "$WORK/body" "$WORK/manifest.jsonl"
"$IMGEDA" marks remove-list "$WORK/marks.jsonl" -m "$WORK/manifest.jsonl" >"$WORK/cli_remove"
cmp "$WORK/cli_remove" "$WORK/want_remove2" || { cat "$WORK/cli_remove"; fail "CLI remove list"; }
ok "imgeda marks remove-list on the downloaded marks.jsonl gives the daemon's remove.txt"

# not_duplicate over the API: street.jpg (the keeper) and its renamed copy declared not
# duplicates: the copy no longer leaves through the keeper, and their exact-phash group splits
# (the byte-identical pair stays one: same bytes).
STREET=$(id_of street.jpg); COPY=$(id_of street_copy2.jpg)
put 200 "{\"image_ids\": [$STREET, $COPY], \"mark\": \"not_duplicate\"}"
[ "$(json "d['group']")" = nd-2 ] || fail "second set is nd-2: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/remove.txt"
[ "$(cat "$WORK/body")" = "$WORK/data/broken.jpg" ] || fail "remove.txt with not_duplicate: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/summary?marks=apply"
GOT=$(json "d['total_images'], d['duplicates']['exact_images'], d['duplicates']['byte_identical_images'], d['marks']['split']")
[ "$GOT" = "6 0 1 1" ] || fail "summary with not_duplicate: $GOT"
ok "not_duplicate spares the keeper's partner and splits the exact group"

stop_daemon
[ "$DRC" = 0 ] || fail "imgedad exited $DRC on SIGTERM"

# With auth.token set, marks need the token like every other /api/ request.
start_daemon "$WORK/var" --set auth.token=s3cret
expect_api 401 PUT "/api/v1/scans/$ID/marks" -d "{\"image_ids\": [$SNOW], \"mark\": \"ok\"}"
expect_api 401 GET "/api/v1/scans/$ID/remove.txt"
expect_api 401 GET "/api/v1/scans/$ID/marks.csv"
expect_api 200 PUT "/api/v1/scans/$ID/marks" -H 'Authorization: Bearer s3cret' -d "{\"image_ids\": [$STREET], \"mark\": \"ok\"}"
stop_daemon
ok "marks need the token when one is set"
echo "all $checks checks passed"
