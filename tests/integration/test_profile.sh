#!/usr/bin/env bash
# --profile fast end to end: the CLI records it in the manifest header (a compatible header keeps
# its bytes), a resume under the other profile starts over and says why, merge refuses parts of
# different profiles, the fixtures' clear-cut flags are the same under both profiles, and the
# daemon takes it as a scan option and records it the same way.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

cd "$WORK"
S="$FIXTURES/sample"

expect_rc 0 "$IMGEDA" scan "$S" -o compat.jsonl -q --workers 2
head -1 compat.jsonl | grep -q '"profile"' && fail "a compatible header names a profile"
expect_rc 0 "$IMGEDA" scan "$S" -o fast.jsonl -q --workers 2 --profile fast
head -1 fast.jsonl | grep -qF '"shrink_on_load":false,"profile":"fast",' ||
  fail "the fast header lacks the profile: $(head -1 fast.jsonl)"
expect_rc 1 "$IMGEDA" scan "$S" -o bad.jsonl --profile turbo
contains "$WORK/err" "--profile needs one of compatible|fast, not 'turbo'"
ok "--profile fast is recorded in the header; compatible headers keep their bytes; a bad name is refused"

# A resume under the other profile keeps no record and names the setting.
cp compat.jsonl again.jsonl
expect_rc 0 "$IMGEDA" scan "$S" -o again.jsonl --workers 2 --profile fast
contains "$WORK/err" '(profile: "compatible" there, "fast" now): re-analysing every file'
contains "$WORK/out" "0 kept from the previous run"
head -1 again.jsonl | grep -qF '"profile":"fast"' || fail "the resumed scan is not fast"
expect_rc 0 "$IMGEDA" scan "$S" -o again.jsonl --workers 2 --profile fast
contains "$WORK/out" "(0 analysed, 7 kept from the previous run)"
ok "resume under another profile starts over and says so; under the same profile it keeps records"

expect_rc 0 "$IMGEDA" scan "$S" -o p1.jsonl -q --workers 2 --shard 1/2
expect_rc 0 "$IMGEDA" scan "$S" -o p2.jsonl -q --workers 2 --shard 2/2 --profile fast
expect_rc 1 "$IMGEDA" merge p1.jsonl p2.jsonl -o merged.jsonl
contains "$WORK/err" 'parts made with different analysis settings: profile is "compatible" in p1.jsonl but "fast" in p2.jsonl'
[ ! -e merged.jsonl ] || fail "a refused merge wrote its output"
expect_rc 0 "$IMGEDA" scan "$S" -o p1f.jsonl -q --workers 2 --shard 1/2 --profile fast
expect_rc 0 "$IMGEDA" merge p1f.jsonl p2.jsonl -o merged.jsonl
ok "merge refuses parts of different profiles, naming both; fast parts merge"

# The fixtures are small: a working size of 64 px makes the fast profile decode the JPEGs at a
# quarter and measure them as decoded. Every flag that is clear-cut in the compatible records
# (its value at least 25 % away from the threshold) is the same in the fast ones.
expect_rc 0 "$IMGEDA" scan "$S" -o c64.jsonl -q --workers 2 --max-image-dim 64 --force
expect_rc 0 "$IMGEDA" scan "$S" -o f64.jsonl -q --workers 2 --max-image-dim 64 --force --profile fast
"$PYTHON" - c64.jsonl f64.jsonl <<'PY' || fail "fast flags differ on clear-cut fixtures"
import json, sys
def load(p):
    return {r["path"]: r for r in map(json.loads, open(p)) if "path" in r}
c, f = load(sys.argv[1]), load(sys.argv[2])
rules = [("is_dark", lambda r: r["pixel_stats"]["mean_brightness"], 40),
         ("is_overexposed", lambda r: r["pixel_stats"]["mean_brightness"], 220),
         ("has_border_artifact", lambda r: r["corner_stats"]["delta"], 50),
         ("is_blurry", lambda r: r["blur_score"], 100)]
compared = moved = 0
for p, rc in c.items():
    rf = f[p]
    assert rc["is_corrupt"] == rf["is_corrupt"], p
    if rc["is_corrupt"]:
        continue
    moved += rc["blur_score"] != rf["blur_score"]
    for flag, value, threshold in rules:
        if abs(value(rc) - threshold) >= 0.25 * threshold:
            compared += 1
            assert rc[flag] == rf[flag], (p, flag, value(rc), value(rf))
assert compared >= 20, compared
assert moved >= 3, "the fast profile did not take its own path"
print(compared, "clear-cut flags agree")
PY
ok "the fixtures' clear-cut flags are the same under both profiles"

# The daemon: an API option, checked, recorded in the scan's manifest header.
mkdir -p "$WORK/root"
cp "$S"/*.jpg "$WORK/root/"
start_daemon "$WORK/var"
expect_api 400 POST /api/v1/scans -d "{\"root\": \"$WORK/root\", \"options\": {\"profile\": \"quick\"}}"
grep -qF 'options.profile: expected one of \"compatible|fast\"' "$WORK/body" ||
  fail "bad profile: $(cat "$WORK/body")"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/root\", \"options\": {\"profile\": \"fast\"}}"
ID=$(json "d['id']")
wait_status "$ID" succeeded 60
head -1 "$WORK/var/scans/$ID/manifest.jsonl" | grep -qF '"profile":"fast"' ||
  fail "the daemon's fast scan header: $(head -1 "$WORK/var/scans/$ID/manifest.jsonl")"
expect_api 200 GET /api/v1/config
[ "$(json "d['scan_defaults']['profile']")" = compatible ] || fail "config: $(cat "$WORK/body")"
stop_daemon
ok "imgedad: options.profile is checked, recorded in the manifest header, compatible by default"
