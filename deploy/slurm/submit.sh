#!/usr/bin/env bash
# Submits an imgeda scan of ROOT as N shards on a SLURM cluster: an array job (shard.sbatch, task
# K scans shard K/N into OUT/parts/part-K.jsonl) and a merge job (merge.sbatch) that runs once
# every task has succeeded and writes OUT/manifest.jsonl. Prints the two job ids on stdout as
#   array_job=ID
#   merge_job=ID
# (so `eval "$(submit.sh ...)"` sets them) and where things go on stderr. Running it again with
# the same ROOT, OUT and N resumes: finished parts are kept (their tasks only list the folder
# again), cut-short parts resume, and the merge runs again. `--array=LIST` among the sbatch
# options runs only those shards (e.g. the failed ones) before the merge.
# OUT, ROOT and this folder must be on a filesystem every node sees at the same path.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: submit.sh ROOT OUT N [sbatch options...] [-- imgeda scan options...]
  ROOT   the folder to scan (or any root imgeda scan accepts), seen by every node
  OUT    a folder on shared storage: parts/, logs/ and manifest.jsonl go there
  N      the number of shards (array tasks), 1..1000 with SLURM's default MaxArraySize
  sbatch options apply to both jobs, e.g. -p PARTITION -A ACCOUNT -c 8 --mem=8G -t 2:00:00;
  -c/--cpus-per-task is the number of analysis workers of each task (the merge takes one CPU).
  --array=LIST runs only those shards (1-based, e.g. --array=3,7) before the merge.
  After --: options for imgeda scan, the same for every shard (e.g. --dark-threshold 30).
  IMGEDA: the imgeda binary the jobs run (default: imgeda on the jobs' PATH).
EOF
  exit 2
}

[ $# -ge 3 ] || usage
root=$1 out=$2 n=$3
shift 3
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 65536 ] || {
  echo "submit.sh: N must be a number of shards from 1 to 65536, not '$n'" >&2
  exit 2
}
array="1-$n"
sbatch_opts=()
scan_opts=()
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; scan_opts=("$@"); break ;;
    --array=*) array=${1#--array=} ;;
    --array | -a) [ $# -ge 2 ] || usage; array=$2; shift ;;
    *) sbatch_opts+=("$1") ;;
  esac
  shift
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v sbatch >/dev/null || { echo "submit.sh: sbatch not found (module load slurm?)" >&2; exit 1; }
# Absolute paths: the jobs may start in another directory, and the manifest's paths start with
# ROOT as given, so a single-machine scan of the same absolute ROOT has the same records.
case $root in
  *://*) ;;
  *)
    [ -d "$root" ] || { echo "submit.sh: ROOT '$root' is not a folder" >&2; exit 1; }
    root=$(cd "$root" && pwd)
    ;;
esac
mkdir -p "$out/parts" "$out/logs"
out=$(cd "$out" && pwd)

array_job=$(sbatch --parsable --array="$array" --output="$out/logs/shard-%a.log" \
  "${sbatch_opts[@]}" "$here/shard.sbatch" "$root" "$out/parts" "$n" "${scan_opts[@]}")
array_job=${array_job%%;*}
# afterok on an array job waits for every task; a task that fails cancels the merge instead of
# leaving it pending forever. The merge's own --cpus-per-task comes last so it takes one CPU.
merge_job=$(sbatch --parsable --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
  --output="$out/logs/merge.log" "${sbatch_opts[@]}" --cpus-per-task=1 \
  "$here/merge.sbatch" "$out/parts" "$n" "$out/manifest.jsonl")
merge_job=${merge_job%%;*}

echo "array_job=$array_job"
echo "merge_job=$merge_job"
echo "submit.sh: job $array_job scans shard(s) $array of $n of $root into $out/parts (logs in" \
  "$out/logs); job $merge_job merges the $n parts into $out/manifest.jsonl once they succeed" >&2
