#!/usr/bin/env bash
# imgedad holds against hostile folders and decoders: symlinks inside an allowed root that lead
# outside it are skipped (nothing of the outside file is recorded), a root replaced by a link to
# outside is refused on resume, and a decoder that crashes or spins costs one image (an error
# record) while the daemon keeps serving.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ie_outside_XXXXXX")
trap 'cleanup_daemon; rm -rf "$OUT"' EXIT

cp "$FIXTURES/sample/street.jpg" "$OUT/secret.jpg"
mkdir -p "$OUT/photos" "$WORK/set"
cp "$FIXTURES/sample/night.jpg" "$OUT/photos/p.jpg"
cp "$FIXTURES/sample/snow.png" "$WORK/set/ok.png"
ln -s /etc/passwd "$WORK/set/passwd.jpg"
ln -s "$OUT/secret.jpg" "$WORK/set/secret.jpg"
ln -s "$OUT/photos" "$WORK/set/more"
ln -s "$WORK/set/ok.png" "$WORK/set/again.png"
cp "$FIXTURES/sample/street.jpg" "$WORK/set/crash_me.jpg"
cp "$FIXTURES/sample/night.jpg" "$WORK/set/spin_me.jpg"
cp "$FIXTURES/sample/night.jpg" "$WORK/set/dark.jpg"

export IMGEDA_FAULT_INJECT="crash=crash_me.jpg,spin=spin_me.jpg"
start_daemon "$WORK/var" --set scan.image_timeout_s=3
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/set\"}"
ID=$(json "d['id']")
wait_status "$ID" succeeded 60
expect_api 200 GET "/api/v1/scans/$ID/images?limit=50&sort=path"
"$PYTHON" - "$WORK/body" "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(i["filename"] for i in d["images"])
assert names == ["again.png", "crash_me.jpg", "dark.jpg", "ok.png", "spin_me.jpg"], names
for i in d["images"]:
    assert sys.argv[2] not in json.dumps(i), i
errors = {i["filename"]: i["error"] for i in d["images"]}
assert errors["crash_me.jpg"].startswith("analysis failed: the decoder crashed (signal "), errors
assert errors["spin_me.jpg"] == "timed out: analysis took longer than 3 s", errors
assert errors["ok.png"] is None and errors["again.png"] is None, errors
PY
grep -q "scan $ID: warning: skipped 3 symlinks resolving outside the allowed roots" "$WORK/daemon.err" ||
  fail "the skipped links are not logged: $(cat "$WORK/daemon.err")"
ok "links leading outside the allowed roots are skipped (and logged); links inside are kept"
ok "a decoder crash and a decoder spin become error records; the scan succeeds"
expect_api 200 GET /healthz
# A worker left behind would be an orphan (its parent gone); other tests' live workers are not.
ps -eo ppid=,args= | awk '$1 == 1 && /--analysis-worker/' | grep -q . && fail "a worker process outlived the scan"
ok "the daemon keeps serving and leaves no worker process behind"

# A scanned file swapped for a link to outside after the scan: the report shows a placeholder in
# its place and embeds nothing of the outside file.
rm "$WORK/set/dark.jpg"
ln -s "$OUT/photos/p.jpg" "$WORK/set/dark.jpg"
expect_api 200 GET "/api/v1/scans/$ID/report.html"
"$PYTHON" - "$WORK/body" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
figs = [f for f in re.findall(r"<figure>.*?</figure>", html, re.S) if "dark.jpg" in f]
assert figs, "dark.jpg is not among the flagged images of the report"
for f in figs:
    assert "<img" not in f and "outside the allowed roots" in f, f
PY
ok "a report embeds no thumbnail of a file that now resolves outside the allowed roots"

# The root becomes a link to outside: a resume must not follow it.
mv "$WORK/set" "$WORK/set_moved"
ln -s "$OUT" "$WORK/set"
expect_api 202 POST "/api/v1/scans/$ID/resume"
for _ in $(seq 1 100); do
  api GET "/api/v1/scans/$ID"
  [ "$(json "d['status']")" = failed ] && break
  sleep 0.1
done
[ "$(json "d['status']")" = failed ] || fail "resume of a root now outside: $(cat "$WORK/body")"
contains "$WORK/body" "outside the allowed roots"
expect_api 200 GET "/api/v1/scans/$ID/images?limit=50"
grep -q "secret" "$WORK/body" && fail "an outside file was recorded on resume"
ok "a resume re-checks the root: one now leading outside fails the scan, nothing is read"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
