#!/usr/bin/env bash
# The serverless flow end to end: deploy/aws/statemachine.asl.json walked state by state
# (lambda_flow.mjs) with the real imgeda-lambda behind a local Lambda Runtime API
# (lambda_runtime_api.mjs), functions as deploy/aws/template.yaml declares them, against a real
# S3 server (s3rver) holding the fixture images. The output bucket must hold
# manifests/manifest.jsonl equal field by field (but path, mtime and timestamps) to a local
# `imgeda scan` of the same files, summary/summary.json equal to `imgeda info --json` of it,
# and the 11 plots as PNG; parts merged in several levels give the same records. Then what goes
# wrong: a decoder crash or hang is one error record; a missing input bucket, bad options and an
# unknown handler are posted to /error (or /init/error) with their error type and not retried;
# an S3 failure during AnalyzeBatch is retried by the state machine; an object deleted between
# the listing and its GET becomes that image's error record.
source "$(dirname "$0")/lib.sh"
source "$HERE/s3_lib.sh"
trap 's3_stop; rm -rf "$WORK"' EXIT
LAMBDA="$BUILD/bin/imgeda-lambda"
[ -x "$LAMBDA" ] || fail "$LAMBDA is missing"
ASL="$SRC/deploy/aws/statemachine.asl.json"
TPL="$SRC/deploy/aws/template.yaml"

s3_start images-in results-out
DIRECT="http://127.0.0.1:$S3PORT"
mkdir -p "$WORK/d"
cp -r "$FIXTURES/sample" "$FIXTURES/annotations" "$WORK/d/"
cd "$WORK"
n_up=0
while IFS= read -r f; do
  s3_put "$f" images-in "datasets/$f"
  n_up=$((n_up + 1))
done < <(find d -type f | sort)
# Beside the prefix (datasets/d2 is not under datasets/d) and a folder marker: neither is listed.
s3_put d/sample/snow.png images-in datasets/d2/snow.png
printf '' >empty && s3_put empty images-in datasets/d/folder/
"$IMGEDA" scan d -o local.jsonl -q --workers 2 >/dev/null || fail "local scan failed"
n_local=$(grep -vc __manifest_meta__ local.jsonl)
[ "$n_local" -ge 30 ] || fail "too few fixture images ($n_local)"
ok "$n_up fixture files uploaded (with non-images, a key beside the prefix, a folder marker); local scan: $n_local images"

# flow NAME INPUT_JSON [lambda_flow.mjs options]: runs the state machine; verdict in NAME.json,
# every invocation in NAME.report.json; returns the driver's exit code.
flow() {
  local name=$1 input=$2; shift 2
  set +e
  timeout 120 node "$HERE/lambda_flow.mjs" --asl "$ASL" --template "$TPL" --exe "$LAMBDA" \
    --s3 "$DIRECT" --input "$input" --instances 2 --report "$name.report.json" "$@" \
    >"$name.json" 2>"$name.log"
  local rc=$?
  set -e
  [ "$rc" -le 1 ] || { cat "$name.log" >&2; fail "the $name run crashed ($rc)"; }
  return $rc
}
get() { curl -sf "$DIRECT/results-out/$1" -o "$2" || fail "s3://results-out/$1 is missing"; }

flow main '{"input_bucket": "images-in", "input_prefix": "datasets/d", "output_bucket": "results-out", "output_prefix": "runs/main", "batch_size": 4}' \
  --handler-env analyze_batch || { cat main.log main.json >&2; fail "the flow failed"; }
"$PYTHON" - "$n_local" <<'PY' || fail "the execution's course or output is wrong"
import json, sys
n = int(sys.argv[1])
v = json.load(open("main.json"))
assert v["status"] == "SUCCEEDED", v
batches = -(-n // 4)
want = ["ListImages", "AnalyzeBatches"] + ["AnalyzeBatch"] * batches + ["MergeManifests", "Aggregate", "GeneratePlots"]
assert v["states"] == want, v["states"]
o = v["output"]
assert o["total_files"] == n and o["batch_count"] == batches and o["batch_size"] == 4, o
assert o["output_prefix"] == "runs/main/" and o["work_prefix"].startswith("runs/main/work/"), o
assert o["manifest"] == {"key": "runs/main/manifests/manifest.jsonl", "records": n, "merge_levels": 1}, o["manifest"]
assert o["summary"]["key"] == "runs/main/summary/summary.json" and o["summary"]["total_images"] == n
assert len(o["plots"]) == 11 and all(k.startswith("runs/main/plots/") and k.endswith(".png") for k in o["plots"])
r = json.load(open("main.report.json"))
inv = r["invocations"]
assert all("result" in i for i in inv), [i for i in inv if "error" in i]
analyze = [i for i in inv if i["function"] == "AnalyzeBatchFunction"]
assert len(analyze) == batches and sorted(a["result"]["index"] for a in analyze) == list(range(batches))
# Warm reuse: two instances (the driver's cap) served every batch, as Lambda reuses environments.
assert len({a["instance"] for a in analyze}) == 2, {a["instance"] for a in analyze}
assert sum(a["result"]["records"] for a in analyze) == n
print(batches)
PY
ok "the state machine ran ListImages, $(( (n_local + 3) / 4 )) AnalyzeBatch on 2 warm instances, MergeManifests, Aggregate, GeneratePlots"

get runs/main/manifests/manifest.jsonl lambda.jsonl
"$PYTHON" - <<'PY' || fail "the Lambda manifest differs from the local scan"
import json
def load(p):
    lines = [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]
    return lines[0], lines[1:]
(hl, rl), (hs, rs) = load("local.jsonl"), load("lambda.jsonl")
assert hs.get("__manifest_meta__") is True and hs["total_files"] == len(rs) == len(rl), (hs, len(rs))
assert hs["input_dir"] == "s3://images-in/datasets/d", hs["input_dir"]
for h in (hl, hs):
    h["settings"].pop("workers")
assert hl["settings"] == hs["settings"], (hl["settings"], hs["settings"])
assert [r["path"] for r in rs] == sorted(r["path"] for r in rs), "not in path order"
for a, b in zip(rl, rs):
    assert b["path"] == "s3://images-in/datasets/" + a["path"], (a["path"], b["path"])
    assert isinstance(b["mtime"], float) and b["mtime"] > 1.6e9, b["mtime"]
    for k in ("path", "mtime", "analyzed_at"):
        a.pop(k); b.pop(k)
    assert a == b, {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
PY
ok "manifests/manifest.jsonl equals the local scan in every field but path, mtime and analyzed_at"

# ... and `imgeda scan s3://` of the same prefix in everything but the timestamps and workers.
"$IMGEDA" scan s3://images-in/datasets/d -o s3scan.jsonl -q --workers 2 >/dev/null || fail "imgeda scan s3:// failed"
norm() { sed -E 's/"(created_at|analyzed_at)":"[^"]*"//g; s/"workers":[0-9]+//' "$1"; }
norm s3scan.jsonl >a.txt
norm lambda.jsonl >b.txt
cmp -s a.txt b.txt || { diff a.txt b.txt | head -5 >&2; fail "the Lambda manifest differs from imgeda scan s3://"; }
ok "... and equals imgeda scan s3:// of the same prefix byte for byte but timestamps and workers"

get runs/main/summary/summary.json summary.json
"$IMGEDA" info --json -m local.jsonl >local_summary.json || fail "imgeda info failed"
"$PYTHON" - <<'PY' || fail "summary/summary.json differs from imgeda info --json"
import json
a, b = json.load(open("local_summary.json")), json.load(open("summary.json"))
assert b["manifest"]["path"] == "s3://results-out/runs/main/manifests/manifest.jsonl", b["manifest"]
for s in (a, b):
    for k in ("path", "input_dir", "created_at"):
        s["manifest"].pop(k)
assert a == b, {k: (a.get(k), b.get(k)) for k in a if a.get(k) != b.get(k)}
PY
ok "summary/summary.json is imgeda info --json of the same images"

"$IMGEDA" plot all -m local.jsonl -o local_plots >/dev/null || fail "imgeda plot failed"
n_png=0
for f in local_plots/*.png; do
  name=$(basename "$f")
  get "runs/main/plots/$name" "got_$name"
  [ "$(head -c 8 "got_$name" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$name is no PNG"
  n_png=$((n_png + 1))
done
[ "$n_png" = 11 ] || fail "imgeda plot all rendered $n_png plots, expected 11"
ok "plots/: the 11 PNGs imgeda plot all renders, each with a PNG signature"

# ---- one image per batch, 2 parts merged at a time, a decoder that crashes and one that hangs ----
# MergeManifests merges in three levels (7 parts -> 4 -> 2 -> 1); the analysis workers (test
# builds inject the faults) turn the crash and the hang into one error record each.
IMGEDA_FAULT_INJECT="crash=street.jpg,spin=snow.png" flow fanin '{"input_bucket": "images-in", "input_prefix": "datasets/d/sample", "output_bucket": "results-out", "output_prefix": "runs/fanin", "batch_size": 1}' \
  --set-env IMGEDA_MERGE_FAN_IN=2 --set-env IMGEDA_IMAGE_TIMEOUT_S=2 ||
  { cat fanin.log fanin.json >&2; fail "the one-image-per-batch run with faults failed"; }
get runs/fanin/manifests/manifest.jsonl fanin.jsonl
grep -F '"path":"s3://images-in/datasets/d/sample/' lambda.jsonl | grep -v -e /street.jpg -e /snow.png |
  sed -E 's/"analyzed_at":"[^"]*"//' >a.txt
grep -v -e __manifest_meta__ -e /street.jpg -e /snow.png fanin.jsonl | sed -E 's/"analyzed_at":"[^"]*"//' >b.txt
[ "$(wc -l <b.txt)" = 5 ] && cmp -s a.txt b.txt || fail "7 parts merged 2 at a time differ from the same records merged at once"
grep -q '"total_files":7,' fanin.jsonl || fail "the merged header's total_files is not 7"
grep -q '"manifest":{"key":"runs/fanin/manifests/manifest.jsonl","records":7,"merge_levels":3}' fanin.json ||
  { cat fanin.json >&2; fail "MergeManifests did not merge in three levels"; }
ok "7 one-image parts merged 2 at a time (three levels) give the same records, byte for byte but timestamps"
"$PYTHON" - <<'PY' || fail "the crash and the hang are not error records"
import json
recs = {r["path"].rsplit("/", 1)[1]: r for r in (json.loads(l) for l in open("fanin.jsonl")) if "path" in r}
assert len(recs) == 7, len(recs)
assert recs["street.jpg"]["is_corrupt"] and "crashed" in recs["street.jpg"]["error"], recs["street.jpg"]
assert recs["snow.png"]["is_corrupt"] and "longer than 2 s" in recs["snow.png"]["error"], recs["snow.png"]
PY
ok "a decoder crash and a hang in AnalyzeBatch's worker processes are two error records; the run succeeds"

# ---- what goes wrong ----

if flow nobucket '{"input_bucket": "no-such-bucket", "output_bucket": "results-out"}'; then
  fail "a run over a missing bucket succeeded"
fi
"$PYTHON" - <<'PY' || { cat nobucket.json nobucket.report.json >&2; fail "a missing input bucket is not a NotFound error"; }
import json
v = json.load(open("nobucket.json"))
assert v["status"] == "FAILED" and v["error"] == "NotFound" and "no-such-bucket" in v["cause"], v
assert v["states"] == ["ListImages"], v["states"]
inv = json.load(open("nobucket.report.json"))["invocations"]
assert len(inv) == 1, "a NotFound was retried"
e = inv[0]["error"]
assert e["errorType"] == "NotFound" and e["header"] == "NotFound" and e["body"]["stackTrace"] == [], e
PY
ok "a missing input bucket: ListImages posts NotFound to /error (type header, message naming it), no retry"

if flow badopt '{"input_bucket": "images-in", "output_bucket": "results-out", "options": {"dark_threshold": "dark"}}'; then
  fail "a run with a bad option succeeded"
fi
grep -q '"error":"InvalidInput"' badopt.json && grep -q 'dark_threshold' badopt.json ||
  { cat badopt.json >&2; fail "a bad option is not an InvalidInput naming it"; }
if flow typo '{"input_buket": "images-in", "output_bucket": "results-out"}'; then
  fail "a run with a misspelt key succeeded"
fi
grep -q 'unknown key \\"input_buket\\"' typo.json || { cat typo.json >&2; fail "a misspelt input key is not named"; }
ok "bad options and misspelt input keys fail at once as InvalidInput, naming the key"

cat >init.mjs <<EOF
import {FunctionInstance} from '$HERE/lambda_runtime_api.mjs';
const f = new FunctionInstance({exe: '$LAMBDA', args: ['list_imagez'], env: process.env});
await f.start();
await f.exited;
await f.stop();
// A warm runtime fails bad invocations one by one and stays up for the next.
const g = new FunctionInstance({exe: '$LAMBDA', args: ['aggregate'], env: process.env});
await g.start();
const big = await g.invoke('x'.repeat(7 << 20));
const empty = await g.invoke({});
const alive = !g.exit;
await g.stop();
const a = new FunctionInstance({exe: '$LAMBDA', args: ['analyze_batch'], env: process.env});
await a.start();
const fs = await import('node:fs');
const run = JSON.parse(fs.readFileSync('main.json', 'utf8')).output;
const huge = await a.invoke({run, batch: {index: 0, objects: [{key: 'a.jpg', size: 1e300, mtime: 0}]}});
await a.stop();
console.log(JSON.stringify({exit: f.exit, initError: f.initError, big: big.error,
                            empty: empty.error, alive, huge: huge.error}));
EOF
timeout 30 node init.mjs >init.json || fail "the init error run failed"
grep -q '"errorType":"InvalidHandler"' init.json && grep -q "unknown handler 'list_imagez'" init.json &&
  grep -q '"code":1' init.json || { cat init.json >&2; fail "an unknown handler is not an init error"; }
ok "an unknown handler is posted to /init/error (InvalidHandler) and the runtime exits 1"
"$PYTHON" - <<'PY' || { cat init.json >&2; fail "a warm runtime does not survive bad invocations"; }
import json
v = json.load(open("init.json"))
assert v["big"]["errorType"] == "LimitExceeded" and "larger than" in v["big"]["errorMessage"], v["big"]
assert v["empty"]["errorType"] == "InvalidInput" and "run_id" in v["empty"]["errorMessage"], v["empty"]
assert v["alive"], "the runtime died"
assert v["huge"]["errorType"] == "InvalidInput" and "batch object 0" in v["huge"]["errorMessage"], v["huge"]
PY
ok "a 7 MB event (LimitExceeded), an empty one and a batch with a size of 1e300 (InvalidInput) fail their invocations; the runtime serves on"

# Near Lambda's deadline AnalyzeBatch stops by itself and says why, rather than being killed: a
# function timeout of 6 s leaves 1 s before the 5 s margin, and an image whose decoder hangs
# (fault injection) would take the whole timeout.
cat >deadline.mjs <<EOF
import {FunctionInstance} from '$HERE/lambda_runtime_api.mjs';
import fs from 'node:fs';
const run = JSON.parse(fs.readFileSync('main.json', 'utf8')).output;
const a = new FunctionInstance({exe: '$LAMBDA', args: ['analyze_batch'], timeoutMs: 6000,
                                env: {...process.env, IMGEDA_FAULT_INJECT: 'spin=snow.png'}});
await a.start();
const t0 = Date.now();
const r = await a.invoke({run, batch: {index: 0, objects: [
  {key: 'datasets/d/sample/snow.png', size: 1000, mtime: 0}]}});
const ms = Date.now() - t0;
await a.stop();
console.log(JSON.stringify({error: r.error, ms}));
EOF
timeout 30 node deadline.mjs >deadline.json || fail "the deadline run failed"
"$PYTHON" - <<'PY' || { cat deadline.json >&2; fail "AnalyzeBatch did not stop before the deadline"; }
import json
v = json.load(open("deadline.json"))
assert v["error"]["errorType"] == "LimitExceeded", v
assert "did not finish before the function's timeout" in v["error"]["errorMessage"], v
assert v["ms"] < 5000, v
PY
ok "AnalyzeBatch stops 5 s before the function's deadline with LimitExceeded, not killed by it"

# S3 failing during AnalyzeBatch beyond the client's own retries: the state machine retries;
# an object deleted between the listing and its GET becomes that image's error record.
s3_proxy_start
export AWS_MAX_ATTEMPTS=2
proxy "/__proxy/fail?match=/parts/part-000001.jsonl&status=500&times=2" >/dev/null
proxy "/__proxy/delete-after-list?key=datasets/d/sample/night.jpg" >/dev/null
flow faults '{"input_bucket": "images-in", "input_prefix": "datasets/d/sample", "output_bucket": "results-out", "output_prefix": "runs/faults/", "batch_size": 3}' ||
  { cat faults.json faults.log >&2; fail "the run did not survive a failing S3 and a deleted object"; }
get runs/faults/manifests/manifest.jsonl faults.jsonl
"$PYTHON" - <<'PY' || fail "the StorageError was not retried as the state machine says"
import json
inv = json.load(open("faults.report.json"))["invocations"]
errs = [i for i in inv if "error" in i]
assert len(errs) == 1 and errs[0]["function"] == "AnalyzeBatchFunction", errs
assert errs[0]["error"]["errorType"] == "StorageError" and "500" in errs[0]["error"]["errorMessage"], errs
ok = [i for i in inv if i["function"] == "AnalyzeBatchFunction" and "result" in i]
assert len(ok) == 3, len(ok)
PY
ok "a part PUT failing twice with 500: StorageError posted to /error, retried by the state machine, the run succeeds"
"$PYTHON" - <<'PY' || fail "the deleted object's record is wrong"
import json
recs = [json.loads(l) for l in open("faults.jsonl") if l.strip()][1:]
assert len(recs) == 7, len(recs)
r = [r for r in recs if r["path"].endswith("/night.jpg")][0]
assert r["is_corrupt"] and "NoSuchKey" in r["error"], r
assert sum(1 for r in recs if r["is_corrupt"]) == 2, "only broken.jpg and night.jpg are corrupt"
PY
ok "an object deleted between list and GET is its error record (NoSuchKey); the other images are analysed"
# An object whose GET still fails after the client's retries fails its batch as a scan of the
# bucket does (StorageError: the state machine retries it) instead of becoming an error record:
# the image is analysed on the retry.
proxy "/__proxy/fail?match=/datasets/d/sample/snow.png&status=500&times=2" >/dev/null
flow getfail '{"input_bucket": "images-in", "input_prefix": "datasets/d/sample", "output_bucket": "results-out", "output_prefix": "runs/getfail/", "batch_size": 3}' ||
  { cat getfail.json getfail.log >&2; fail "the run did not survive a GET failing twice"; }
get runs/getfail/manifests/manifest.jsonl getfail.jsonl
"$PYTHON" - <<'PY' || fail "a GET failing beyond the retries is not retried by the state machine"
import json
inv = json.load(open("getfail.report.json"))["invocations"]
errs = [i for i in inv if "error" in i]
assert len(errs) == 1 and errs[0]["function"] == "AnalyzeBatchFunction", errs
assert errs[0]["error"]["errorType"] == "StorageError" and "snow.png" in errs[0]["error"]["errorMessage"], errs
recs = [json.loads(l) for l in open("getfail.jsonl") if l.strip()][1:]
r = [r for r in recs if r["path"].endswith("/snow.png")][0]
assert not r["is_corrupt"] and r["width"] > 0, r
PY
ok "an object GET failing with 500 beyond the client's retries: StorageError, the batch retried, the image analysed"
echo "$checks passed, 0 failed"
