#!/usr/bin/env bash
# deploy/slurm on a real single-node SLURM started here: munged with its own key and socket,
# slurmctld and slurmd from a generated slurm.conf (all state, spool and logs under the test's
# temp dir, free ports, no cgroup plugin), never the system's /etc/slurm or /etc/munge. Then
# submit.sh scans the fixture images as 8 array tasks and a merge job that waits for them
# (afterok); the merged manifest equals a single-machine scan of the same folder in every field
# but timestamps. A shard cut short and run again alone (--array=K) resumes its part; a run
# whose tasks fail cancels its merge instead of leaving it pending. Needs root (the daemons run
# as SlurmUser root); skipped with exit 77 otherwise. Bounded: every wait has a deadline.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: a private SLURM (slurmctld, slurmd as SlurmUser root, munged) needs root"
  exit 77
fi
for c in munged munge slurmctld slurmd sbatch scontrol sinfo squeue scancel; do
  command -v "$c" >/dev/null || fail "$c is missing: scripts/deps.sh test installs slurm-wlm and munge"
done

# munged checks that the socket's folder and those above it are open to all (clients of any
# user must reach it) and that the key's folder is private.
chmod 755 "$WORK"
S=$WORK/slurm
mkdir -p "$S/run" "$S/key" "$S/state" "$S/spool" "$S/log"
chmod 700 "$S/key"
pids=()
cleanup() {
  # Our jobs first (SLURM_CONF names this cluster only), so no job step outlives its slurmd;
  # bounded, should slurmctld no longer answer.
  if [ -n "${SLURM_CONF:-}" ] && [ ${#pids[@]} -gt 1 ]; then
    timeout 5 scancel --quiet --user=root 2>/dev/null || true
    for _ in $(seq 25); do
      [ -z "$(timeout 2 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  # slurmd, slurmctld, then munged (started in the other order), each TERM then KILL by 5 s.
  local p i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    p=${pids[i]}
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

head -c 1024 /dev/urandom >"$S/key/munge.key"
chmod 600 "$S/key/munge.key"
munged --foreground --key-file="$S/key/munge.key" --socket="$S/run/munge.socket" \
  --pid-file="$S/run/munged.pid" --log-file="$S/log/munged.log" --seed-file="$S/key/seed" \
  2>>"$S/log/munged.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$S/run/munge.socket" ] && break; sleep 0.1; done
munge -S "$S/run/munge.socket" -n | unmunge -S "$S/run/munge.socket" >/dev/null ||
  { cat "$S/log/munged.log" >&2; fail "munged does not answer on its socket"; }

# The node is this machine under its short name (slurmd -N), reached at 127.0.0.1 so no name
# resolution is involved; its CPUs are the ones this process may use.
host=$(hostname -s)
cpus=$(nproc)
read -r ctld_port d_port < <("$PYTHON" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
cat >"$S/slurm.conf" <<EOF
ClusterName=imgedatest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
AuthInfo=socket=$S/run/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
PlugStackConfig=$S/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=imgeda Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
: >"$S/plugstack.conf"
export SLURM_CONF=$S/slurm.conf
slurmctld -D -f "$SLURM_CONF" 2>>"$S/log/slurmctld.log" &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$host" 2>>"$S/log/slurmd.log" &
pids+=($!)

logs() { tail -n 30 "$S"/log/*.log >&2 || true; }
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || { logs; fail "the node did not become idle in 30 s (state '$state')"; }
ok "a private SLURM runs: munged, slurmctld and slurmd on free ports, node $host idle with $cpus CPUs"

# wait_job ID STATE: waits (at most 60 s) until job ID is in STATE; its state in $job_state.
wait_job() {
  local id=$1 want=$2
  job_state=""
  for _ in $(seq 300); do
    job_state=$(scontrol -o show job "$id" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | head -1 || true)
    job_state=${job_state#JobState=}
    case $job_state in
      "$want") return 0 ;;
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        break ;;
    esac
    sleep 0.2
  done
  logs
  cat "$OUT"/logs/*.log >&2 2>/dev/null || true
  fail "job $id is ${job_state:-unknown}, expected $want"
}

mkdir -p "$WORK/data"
cp -r "$FIXTURES/sample" "$WORK/data/sample"
cp -r "$FIXTURES/annotations" "$WORK/data/annotations"
"$IMGEDA" scan "$WORK/data" -o "$WORK/whole.jsonl" -q --workers 1 >/dev/null ||
  fail "the single-machine scan failed"
n_whole=$(grep -vc __manifest_meta__ "$WORK/whole.jsonl")
[ "$n_whole" -ge 30 ] || fail "too few fixture images ($n_whole)"

SUBMIT=$SRC/deploy/slurm/submit.sh
OUT=$WORK/out N=8
# submit [sbatch options]: submit.sh of $WORK/data into $OUT as $N shards; sets array_job and
# merge_job from its output, its stderr in $WORK/err.
submit() {
  local ids
  ids=$("$SUBMIT" "$WORK/data" "$OUT" "$N" "$@" 2>"$WORK/err") || { cat "$WORK/err" >&2; fail "submit.sh $*"; }
  array_job=$(sed -n 's/^array_job=\([0-9]*\)$/\1/p' <<<"$ids")
  merge_job=$(sed -n 's/^merge_job=\([0-9]*\)$/\1/p' <<<"$ids")
  [ -n "$array_job" ] && [ -n "$merge_job" ] || fail "submit.sh printed no job ids: $ids"
}
t0=$SECONDS
# -c 1: one worker per task, as the single-machine scan; two tasks run at once on two CPUs.
export IMGEDA
submit -c 1 -t 5
contains "$WORK/err" "job $merge_job merges the 8 parts into $OUT/manifest.jsonl once they succeed"
wait_job "$merge_job" COMPLETED
took=$((SECONDS - t0))
for k in 1 2 3 4 5 6 7 8; do
  [ "$(scontrol -o show job "${array_job}_$k" | grep -oE 'JobState=[A-Z]+')" = JobState=COMPLETED ] ||
    fail "array task $k did not complete"
  grep -q "\"shard\":\"$k/8\"" "$OUT/parts/part-$k.jsonl" || fail "part-$k.jsonl is not shard $k/8"
  contains "$OUT/logs/shard-$k.log" "imgeda-shard: shard $k/8 of $WORK/data on $host, 1 worker(s)"
done
contains "$OUT/logs/merge.log" "Merged 8 parts into $OUT/manifest.jsonl: $n_whole records"
"$PYTHON" "$HERE/compare_manifests.py" "$WORK/whole.jsonl" "$OUT/manifest.jsonl" >/dev/null ||
  fail "the SLURM run's merged manifest differs from the single-machine scan"
ok "submit.sh: array job $array_job (8 shards) then merge job $merge_job in ${took}s; $n_whole records equal one scan in every field but timestamps"

# A shard cut short (its part keeps the header and 2 records) and run again alone: the task
# resumes its part, the merge runs after it, and the result is the same.
big=$(wc -l "$OUT"/parts/part-*.jsonl | sort -n | sed -n '8p' | awk '{print $2}')
k=$(basename "$big" .jsonl)
k=${k#part-}
[ "$(wc -l <"$big")" -ge 4 ] || fail "no part has 3 records to cut"
head -3 "$big" >"$WORK/cut.jsonl" && mv "$WORK/cut.jsonl" "$big"
rm "$OUT/manifest.jsonl"
submit --array="$k" -c 1 -t 5
contains "$WORK/err" "job $array_job scans shard(s) $k of 8 of $WORK/data"
wait_job "$merge_job" COMPLETED
[ "$(scontrol -o show job "$array_job" | grep -c "ArrayTaskId=")" = 1 ] || fail "more than task $k ran"
contains "$OUT/logs/shard-$k.log" "2 kept from the previous run"
"$PYTHON" "$HERE/compare_manifests.py" "$WORK/whole.jsonl" "$OUT/manifest.jsonl" >/dev/null ||
  fail "the merge after shard $k resumed differs from the single-machine scan"
ok "shard $k cut short and run again alone (--array=$k) resumes its part (2 records kept); the new merge equals one scan"

# Tasks that fail: the merge is cancelled (its dependency can never be met), nothing written.
IMGEDA=false OUT=$WORK/bad N=2 submit -c 2 -t 5
wait_job "$merge_job" CANCELLED
scontrol -o show job "$merge_job" | grep -q 'Reason=DependencyNeverSatisfied' ||
  fail "the merge was cancelled for another reason: $(scontrol -o show job "$merge_job")"
wait_job "${array_job}_1" FAILED
wait_job "${array_job}_2" FAILED
[ "$(scontrol -o show job "$array_job" | grep -c 'JobState=FAILED.* CPUs/Task=2 ')" = 2 ] ||
  fail "the shard tasks did not fail with -c 2: $(scontrol -o show job "$array_job")"
scontrol -o show job "$merge_job" | grep -q ' CPUs/Task=1 ' || fail "the merge does not take one CPU"
[ ! -e "$WORK/bad/manifest.jsonl" ] || fail "a run whose shards failed wrote a manifest"
ok "shards that fail cancel their merge (DependencyNeverSatisfied) instead of leaving it pending; -c 2 reaches the tasks, the merge takes one CPU"

# imgeda scan options after --: every shard gets them, and the merge equals a scan with them.
"$IMGEDA" scan "$WORK/data" -o "$WORK/whole_png.jsonl" -q --workers 1 --dark-threshold 30 \
  --extensions png >/dev/null || fail "the single-machine scan with options failed"
OUT=$WORK/png N=3 submit -c 1 -t 5 -- --dark-threshold 30 --extensions png
wait_job "$merge_job" COMPLETED
"$PYTHON" "$HERE/compare_manifests.py" "$WORK/whole_png.jsonl" "$WORK/png/manifest.jsonl" >/dev/null ||
  fail "shards with scan options merged differ from one scan with them"
grep -q '"dark_threshold":30.0' "$WORK/png/manifest.jsonl" || fail "the scan options did not reach the shards"
ok "imgeda scan options after -- reach every shard: 3 shards with --dark-threshold 30 --extensions png equal one such scan"

"$SUBMIT" "$WORK/data" "$WORK/bad" 0 >/dev/null 2>"$WORK/err" && fail "N=0 was accepted"
contains "$WORK/err" "N must be a number of shards from 1 to 65536, not '0'"
"$SUBMIT" "$WORK/missing" "$WORK/bad" 2 >/dev/null 2>"$WORK/err" && fail "a missing ROOT was accepted"
contains "$WORK/err" "ROOT '$WORK/missing' is not a folder"
ok "submit.sh refuses a bad N and a missing ROOT before submitting anything"
echo "$checks passed, 0 failed"
