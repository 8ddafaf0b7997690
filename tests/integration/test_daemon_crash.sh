#!/usr/bin/env bash
# SIGKILL imgedad mid-scan, restart it: the scan finishes by itself with exactly one record per
# file, and the database passes PRAGMA integrity_check. SIGTERM mid-scan leaves it to resume too.
source "$(dirname "$0")/lib.sh"
source "$HERE/daemon_lib.sh"

mkdir -p "$WORK/data"
"$PYTHON" - "$WORK/data" <<'PY'
import sys
from PIL import Image
import numpy as np
rng = np.random.default_rng(9)
for i in range(50):
    Image.fromarray((rng.random((900, 1200, 3)) * 255).astype("uint8")).save(f"{sys.argv[1]}/c{i:02d}.jpg", quality=92)
PY

start_daemon "$WORK/var"
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"options\": {\"workers\": 1, \"checkpoint_every\": 3}}"
ID=$(json "d['id']")
for _ in $(seq 1 100); do
  api GET "/api/v1/scans/$ID"
  [ "$(json "d['progress']['processed']")" -ge 6 ] && break
  sleep 0.05
done
stop_daemon KILL
sqlite3 "$WORK/var/imgedad.db" "SELECT status FROM scans WHERE id = '$ID'" | grep -q running || fail "scan not left running"

start_daemon "$WORK/var"
wait_status "$ID" succeeded 120
[ "$(json "d['progress']['processed']")" = 50 ] || fail "after restart: $(cat "$WORK/body")"
"$PYTHON" "$HERE/check_manifest.py" "$WORK/var/scans/$ID/manifest.jsonl" --expect-records 50 >/dev/null
[ "$(sqlite3 "$WORK/var/imgedad.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(sqlite3 "$WORK/var/imgedad.db" "SELECT COUNT(*) FROM images WHERE scan_id = '$ID'")" = 50 ] || fail "indexed records"
ok "after SIGKILL the restarted daemon finishes the scan: 50 records, integrity ok"

# SIGTERM mid-scan: exit 0, scan left queued, resumed at the next start.
expect_api 202 POST /api/v1/scans -d "{\"root\": \"$WORK/data\", \"options\": {\"workers\": 1, \"force\": true}}"
ID2=$(json "d['id']")
sleep 0.4
stop_daemon TERM
[ "$DRC" = 0 ] || fail "SIGTERM exit $DRC"
st=$(sqlite3 "$WORK/var/imgedad.db" "SELECT status FROM scans WHERE id = '$ID2'")
[ "$st" = queued ] || [ "$st" = succeeded ] || fail "after SIGTERM the scan is $st"
start_daemon "$WORK/var"
wait_status "$ID2" succeeded 120
"$PYTHON" "$HERE/check_manifest.py" "$WORK/var/scans/$ID2/manifest.jsonl" --expect-records 50 >/dev/null
stop_daemon TERM
ok "SIGTERM checkpoints (exit 0) and the next start resumes the scan"
echo "$checks passed, 0 failed"
