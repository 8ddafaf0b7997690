#!/usr/bin/env bash
# deploy/k8s without a cluster (none can run here): every manifest parses as YAML, the Indexed
# Job, the merge Job and the shared volume agree with each other (N written three times, claims,
# mounts, the image's user), and the containers' own commands, run the way the kubelet would
# (command + args, the manifest's env with JOB_COMPLETION_INDEX 0..N-1 and WORKERS from the CPU
# limit, each mount path mapped to a local folder), scan the fixture images as N shards and merge
# them into a manifest equal to a single-machine scan in every field but timestamps.
source "$(dirname "$0")/lib.sh"

"$PYTHON" -c 'import yaml' 2>/dev/null || fail "python3-yaml is missing: scripts/deps.sh test installs it"
mkdir -p "$WORK/data" "$WORK/out"
cp -r "$FIXTURES/sample" "$WORK/data/sample"
cp -r "$FIXTURES/annotations" "$WORK/data/annotations"

"$PYTHON" - "$SRC" "$BUILD/bin" "$WORK" <<'PY'
import math, os, subprocess, sys, yaml

src, bindir, work = sys.argv[1:4]
k8s = os.path.join(src, "deploy", "k8s")
docs = {}
for name in sorted(os.listdir(k8s)):
    if name.endswith(".yaml"):
        with open(os.path.join(k8s, name), encoding="utf-8") as f:
            for d in yaml.safe_load_all(f):
                assert d and d.get("apiVersion") and d.get("kind"), (name, d)
                docs[(d["kind"], d["metadata"]["name"])] = (name, d)
assert set(docs) == {("PersistentVolumeClaim", "imgeda-out"), ("Job", "imgeda-shards"),
                     ("Job", "imgeda-merge")}, sorted(docs)
print(f"ok - {len(docs)} manifests parse: " + ", ".join(f"{k} {n}" for k, n in sorted(docs)))

pvc = docs[("PersistentVolumeClaim", "imgeda-out")][1]
assert pvc["spec"]["accessModes"] == ["ReadWriteMany"], "many pods on many nodes write the parts"
shards = docs[("Job", "imgeda-shards")][1]["spec"]
merge = docs[("Job", "imgeda-merge")][1]["spec"]
assert shards["completionMode"] == "Indexed"

def container(spec):
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure"), pod["restartPolicy"]
    (c,) = pod["containers"]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]}
    mounts = {m["mountPath"]: claims[m["name"]] for m in c["volumeMounts"]}
    return pod, c, mounts

def env_of(c):
    return {e["name"]: e for e in c["env"]}

spod, sc, smounts = container(shards)
mpod, mc, mmounts = container(merge)
senv, menv = env_of(sc), env_of(mc)
n = shards["completions"]
assert int(senv["SHARDS"]["value"]) == n == int(menv["SHARDS"]["value"]), \
    "spec.completions and SHARDS in both Jobs must be the same N"
assert 1 <= shards["parallelism"] <= n
assert smounts == {"/datasets/images": "imgeda-images", "/out": "imgeda-out"}, smounts
assert mmounts == {"/out": "imgeda-out"}, mmounts
assert senv["ROOT"]["value"] == "/datasets/images" and senv["OUT"]["value"] == menv["OUT"]["value"] == "/out"
ref = senv["WORKERS"]["valueFrom"]["resourceFieldRef"]
assert ref["containerName"] == sc["name"] and ref["resource"] == "limits.cpu", ref
assert sc["image"] == mc["image"]
with open(os.path.join(src, "docker", "Dockerfile"), encoding="utf-8") as f:
    dockerfile = f.read()
for pod in (spod, mpod):
    uid = pod["securityContext"]["runAsUser"]
    assert f"--uid {uid} imgedad" in dockerfile, f"the image's user is not uid {uid}"
print(f"ok - N={n} in completions and both SHARDS; claims, mounts, WORKERS and the image's uid agree")

# The kubelet's view: env values from the manifest (WORKERS = the CPU limit rounded up), the
# mount paths mapped to local folders, JOB_COMPLETION_INDEX for an indexed pod.
local = {"/datasets/images": os.path.join(work, "data"), "/out": os.path.join(work, "out")}
workers = str(math.ceil(float(sc["resources"]["limits"]["cpu"]) / float(ref.get("divisor", "1"))))

def run(c, extra):
    env = {"PATH": bindir + ":/usr/bin:/bin", **extra}
    for name, e in env_of(c).items():
        value = workers if name == "WORKERS" else e["value"]
        for mount, path in local.items():
            if value == mount or value.startswith(mount + "/"):
                value = path + value[len(mount):]
        env[name] = value
    p = subprocess.run(c["command"] + c["args"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (c["name"], extra, p.stdout, p.stderr)
    return p.stdout + p.stderr

for i in range(n):
    out = run(sc, {"JOB_COMPLETION_INDEX": str(i)})
    assert f"shard {i + 1}/{n} of {local['/datasets/images']}, {workers} worker(s)" in out, out
    with open(os.path.join(work, "out", "parts", f"part-{i + 1}.jsonl"), encoding="utf-8") as f:
        assert f'"shard":"{i + 1}/{n}"' in f.readline()
out = run(mc, {})
assert f"Merged {n} parts into" in out, out
with open(os.path.join(work, "workers"), "w") as f:
    f.write(workers)
print(f"ok - the shard pods' command for indexes 0..{n - 1} wrote part-1..part-{n}; the merge pod's merged them")
PY
"$IMGEDA" scan "$WORK/data" -o "$WORK/whole.jsonl" -q --workers "$(cat "$WORK/workers")" >/dev/null ||
  fail "the single-machine scan failed"
n=$("$PYTHON" "$HERE/compare_manifests.py" "$WORK/whole.jsonl" "$WORK/out/manifest.jsonl") ||
  fail "the Kubernetes Jobs' merged manifest differs from the single-machine scan"
echo "ok - the merged manifest ($n records) equals a single-machine scan in every field but timestamps"
