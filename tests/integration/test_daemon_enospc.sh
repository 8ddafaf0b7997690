#!/usr/bin/env bash
# A full disk under the daemon's data dir (manifest and SQLite on one small tmpfs, filled up
# while a scan runs): the scan becomes failed with the reason in GET, SSE, the list and SQLite
# (the data dir's reserve makes room for the write); it used to stay "running" until a
# restart, refusing cancel, delete and resume. A delete works on the full disk. With no reserve
# left, states SQLite refuses are kept (GET is right) and written once there is room. Once space
# is freed the scan resumes to a complete manifest, each file exactly once, no torn line.
# Needs root (mount); skipped otherwise.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"
if [ "$(id -u)" != 0 ]; then
  echo "ok - SKIP: mounting a small tmpfs as the data dir needs root"
  exit 0
fi
DATA="$WORK/data"
mkdir -p "$DATA" "$WORK/set" "$WORK/small"
mount -t tmpfs -o size=1m tmpfs "$DATA" || { echo "ok - SKIP: cannot mount tmpfs here"; exit 0; }
trap 'cleanup_daemon_and_mount' EXIT
cleanup_daemon_and_mount() {
  set +e
  [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  umount "$DATA" 2>/dev/null || umount -l "$DATA" 2>/dev/null
  rm -rf "$WORK"
}

# 900 small images: about 1.3 kB of manifest each, more than the whole disk.
N=900
for i in $(seq 1 $N); do cp "$FIXTURES/sample/blurry.webp" "$WORK/set/img_$i.webp"; done
cp "$FIXTURES/sample/snow.png" "$FIXTURES/sample/street.jpg" "$WORK/small/"

# fill NAME: fills the disk to the last byte with the file $DATA/NAME.
fill() { dd if=/dev/zero of="$DATA/$1" bs=4k 2>/dev/null || true; }
# db_status: the scan's status and error as SQLite holds them.
db_status() {
  "$PYTHON" - "$DATA/imgedad.db" "$ID" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
row = db.execute("SELECT status, error FROM scans WHERE id = ?", (sys.argv[2],)).fetchone()
print(row[0], "|", row[1])
PY
}
# wait_failed: waits until GET says the scan failed, with the disk's reason.
wait_failed() {
  poll_scan "$ID" "d['status'] == 'failed'" 600 || fail "the scan on a full disk: $(cat "$WORK/body")"
  json "d['error']" | grep -q "No space left on device" || fail "no reason: $(cat "$WORK/body")"
}

start_daemon "$DATA"
[ "$(stat -c %s "$DATA/reserve")" = 262144 ] || fail "no reserve in the data dir"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/small\"}"
SMALL=$(json "d['id']")
wait_status "$SMALL" succeeded 60
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/set\", \"options\": {\"checkpoint_every\": 20}}"
ID=$(json "d['id']")
# The disk fills up while the scan runs: its next append fails, and so would SQLite's writes.
poll_scan "$ID" "d['progress']['processed'] >= 20" || fail "the scan does not progress: $(cat "$WORK/body")"
fill filler1
wait_failed
ok "a scan that fills the disk is failed with the reason in GET: $(json "d['error']")"
timeout 10 curl -sN "$B/api/v1/scans/$ID/events" >"$WORK/sse.out" || true
contains "$WORK/sse.out" '{"status":"failed"}'
expect_api 200 GET "/api/v1/scans?limit=10"
"$PYTHON" - "$WORK/body" "$ID" <<'PY'
import json, sys
scans = {s["id"]: s for s in json.load(open(sys.argv[1]))["scans"]}
s = scans[sys.argv[2]]
assert s["status"] == "failed", s
assert "No space left on device" in s["error"], s
assert s["finished_at"], s
PY
ok "SSE and the list say failed too"
db_status | grep -q "^failed | .*No space left on device" || fail "SQLite holds: $(db_status)"
if grep -q "reserve: the disk is full; released 262144 bytes" "$WORK/daemon.err"; then
  ok "SQLite holds it too: the data dir's reserve made room for the write"
else
  ok "SQLite holds it too (it had room: the manifest's cut-back write freed some)"
fi

expect_api 409 POST "/api/v1/scans/$ID/cancel"
contains "$WORK/body" "is failed"
expect_api 204 DELETE "/api/v1/scans/$SMALL"
expect_api 404 GET "/api/v1/scans/$SMALL"
ok "cancel answers for a failed scan (409) and delete works on the full disk"

# No reserve left and the disk full again: a resume fails the same way, and its states wait
# in memory (GET is right at once) until SQLite takes them. (If the first failure did not need
# the reserve, a first resume on the full disk uses it up.)
if [ -e "$DATA/reserve" ]; then
  fill filler2
  expect_api 202 POST "/api/v1/scans/$ID/resume"
  wait_failed
  [ -e "$DATA/reserve" ] && fail "the reserve was not given up on a full disk"
fi
fill filler3
expect_api 202 POST "/api/v1/scans/$ID/resume"
wait_failed
grep -q "cannot record the state of scan $ID" "$WORK/daemon.err" ||
  fail "SQLite took the writes on a full disk: $(df "$DATA")"
ok "with SQLite refusing its writes, GET still says failed with the reason"

# Space comes back: the failed state reaches SQLite, and the scan resumes to the end.
rm -f "$DATA"/filler*
mount -o remount,size=16m "$DATA"
for _ in $(seq 1 50); do
  grep -q "jobs: recorded the state of scan $ID (failed)" "$WORK/daemon.err" && break
  sleep 0.1
done
grep -q "jobs: recorded the state of scan $ID (failed)" "$WORK/daemon.err" ||
  fail "the failed state did not reach SQLite: $(grep "$ID" "$WORK/daemon.err")"
db_status | grep -q "^failed | .*No space left on device" || fail "SQLite holds: $(db_status)"
ok "SQLite holds the failed state and its reason once space is back"
for _ in $(seq 1 50); do
  [ "$(stat -c %s "$DATA/reserve" 2>/dev/null)" = 262144 ] && break
  sleep 0.1
done
[ "$(stat -c %s "$DATA/reserve" 2>/dev/null)" = 262144 ] || fail "the reserve was not taken again"
ok "the reserve is taken again"

expect_api 202 POST "/api/v1/scans/$ID/resume"
wait_status "$ID" succeeded 120
M="$DATA/scans/$ID/manifest.jsonl"
"$PYTHON" "$HERE/check_manifest.py" "$M" --expect-records "$N" || fail "manifest after resume"
"$PYTHON" - "$M" "$N" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
paths = [json.loads(l)["path"] for l in lines[1:] if l]
assert len(paths) == int(sys.argv[2]) and len(set(paths)) == len(paths), (len(paths), len(set(paths)))
PY
expect_api 200 GET "/api/v1/scans/$ID"
[ "$(json "d['progress']['processed']")" = "$N" ] || fail "resumed: $(cat "$WORK/body")"
[ "$(json "d['error']")" = None ] || fail "a succeeded scan keeps an error: $(cat "$WORK/body")"
expect_api 200 GET "/api/v1/scans/$ID/summary"
ok "resumed once space is freed: $N records, each once, no torn line"
stop_daemon TERM
[ "$DRC" = 0 ] || fail "imgedad exited $DRC"
