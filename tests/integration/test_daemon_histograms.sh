#!/usr/bin/env bash
# GET /api/v1/scans/{id}/histograms against the real daemon: for a folder made here (flat greys
# from black to white, noise, letterboxed pictures, a corrupt file), every integer threshold's
# count summed from the bins equals the count of records the images API lists past that
# threshold, the scan's own threshold gives the summary's count, a scan with its own thresholds
# reports them, and the answer is cached (the same bytes twice, with no recomputation needed).
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

"$PYTHON" "$HERE/issue_images.py" issues "$WORK/data" || fail "cannot make the fixture images (python3-pil)"
printf '\xff\xd8\xff\xe0 not really a jpeg' >"$WORK/data/broken.jpg"

start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"hist\"}"
SCAN=$(json "d['id']")
wait_status "$SCAN" succeeded 30
expect_api 200 GET "/api/v1/scans/$SCAN/histograms"
cp "$WORK/body" "$WORK/hist.json"
expect_api 200 GET "/api/v1/scans/$SCAN/summary"
cp "$WORK/body" "$WORK/summary.json"
expect_api 200 GET "/api/v1/scans/$SCAN/images?limit=1000"
cp "$WORK/body" "$WORK/images.json"

"$PYTHON" - "$WORK" <<'PY' || fail "the histograms disagree with the records"
import json, math, sys
w = sys.argv[1]
h = json.load(open(f"{w}/hist.json"))
s = json.load(open(f"{w}/summary.json"))
recs = json.load(open(f"{w}/images.json"))["images"]
assert h["total_images"] == s["total_images"] == len(recs) == 24, (h["total_images"], len(recs))
get = {
    "mean_brightness": lambda r: (r.get("pixel_stats") or {}).get("mean_brightness"),
    "blur_score": lambda r: r.get("blur_score"),
    "delta": lambda r: (r.get("corner_stats") or {}).get("delta"),
}
def from_bins(x, t):
    c, lo = x["counts"], x["lo"]
    if x["flagged_when"] == "below":
        return x["under"] + sum(c[: max(0, t - lo)])
    return x["over"] + sum(c[max(0, t - lo + 1):])
summary_key = {"dark": "dark_count", "overexposed": "overexposed_count", "blurry": "blurry_count", "artifacts": "artifact_count"}
defaults = {"dark": 40, "overexposed": 220, "blurry": 100, "artifacts": 50}
checked = 0
for issue, x in h["histograms"].items():
    vals = [get[x["metric"]](r) for r in recs]
    vals = [v for v in vals if v is not None]
    assert x["images"] == len(vals), (issue, x["images"], len(vals))
    assert len(x["counts"]) == x["hi"] - x["lo"] + 1, issue
    assert x["threshold"] == defaults[issue], (issue, x["threshold"])
    assert x["flagged"] == s[summary_key[issue]], (issue, x["flagged"], s[summary_key[issue]])
    assert from_bins(x, defaults[issue]) == s[summary_key[issue]], (issue, from_bins(x, defaults[issue]))
    for t in range(x["lo"], min(x["hi"], 400) + 1):
        want = sum(1 for v in vals if (v < t if x["flagged_when"] == "below" else v > t))
        got = from_bins(x, t)
        assert got == want, (issue, t, got, want)
        checked += 1
assert s["dark_count"] >= 4 and s["overexposed_count"] >= 3 and s["blurry_count"] >= 10, s
# Every corrupt file counted by its error, largest first.
from collections import Counter
want = Counter((r.get("error") or "unreadable") for r in recs if r.get("is_corrupt"))
got = [(e["error"], e["count"]) for e in h["corrupt_errors"]]
assert sorted(got) == sorted(want.items()) and h["other_errors"] == 0, (got, want)
assert [n for _, n in got] == sorted((n for _, n in got), reverse=True), got
assert sum(n for _, n in got) == s["corrupt_count"] >= 1, (got, s["corrupt_count"])
print(f"{checked} thresholds agree")
PY
ok "every integer threshold's count from the bins is the records' count past it (dark, overexposed, blurry, artifacts)"
ok "at the scan's thresholds the bins give the summary's counts; corrupt files are counted by error"

cp "$WORK/hist.json" "$WORK/first.json"
expect_api 200 GET "/api/v1/scans/$SCAN/histograms"
cmp -s "$WORK/body" "$WORK/first.json" || fail "a second answer differs"
ok "a second request answers the same bytes (the cached result)"

expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"name\": \"hist60\", \"options\": {\"dark_threshold\": 60, \"blur_threshold\": 150}}"
SCAN2=$(json "d['id']")
wait_status "$SCAN2" succeeded 30
expect_api 200 GET "/api/v1/scans/$SCAN2/histograms"
[ "$(json "d['histograms']['dark']['threshold'], d['histograms']['blurry']['threshold'], d['histograms']['overexposed']['threshold']")" = "60 150 220" ] ||
  fail "the scan's own thresholds are not reported: $(cat "$WORK/body")"
cp "$WORK/body" "$WORK/hist2.json"
expect_api 200 GET "/api/v1/scans/$SCAN2/summary"
"$PYTHON" - "$WORK/hist2.json" "$WORK/body" <<'PY' || fail "the second scan's flagged counts differ from its summary"
import json, sys
h = json.load(open(sys.argv[1]))["histograms"]; s = json.load(open(sys.argv[2]))
d = h["dark"]
assert d["flagged"] == s["dark_count"] == d["under"] + sum(d["counts"][:60]), (d["flagged"], s["dark_count"])
PY
ok "a scan with dark_threshold 60 and blur_threshold 150 reports them, and its counts match at 60"

expect_api 404 GET "/api/v1/scans/nope/histograms"
ok "an unknown scan is 404"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
echo "$checks checks passed"
