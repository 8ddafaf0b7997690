#!/usr/bin/env bash
# Every imgeda command that reads a manifest caps the length of a line (IE_MANIFEST_MAX_LINE,
# 16 MiB): a 300 MB line is skipped without being held whole, named by its number, and a file
# that holds nothing else is bad input (exit 1). Peak memory stays far below the line's size.
source "$(dirname "$0")/lib.sh"
MF="$FIXTURES/manifests"
# What reading a long line may add to a command's peak RSS: the capped buffer (16 MiB) and the
# smaller ones it grew from, which an ASan build keeps in quarantine. The line is 300 MB.
EXTRA_KB=$((64 * 1024))

# run_rss CMD...: runs CMD (output in $WORK/out, err) and prints "EXIT_CODE PEAK_RSS_KB".
run_rss() {
  "$PYTHON" -c '
import resource, subprocess, sys
out, err = open(sys.argv[1], "wb"), open(sys.argv[2], "wb")
rc = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$WORK/out" "$WORK/err" "$@"
}

# expect_rc_bounded WANT FILE CMD...: expect_rc for CMD, which reads the manifest FILE, and fails
# when its peak RSS exceeds by EXTRA_KB that of the same command on an empty manifest.
expect_rc_bounded() {
  local want=$1 file=$2 base got
  shift 2
  base=$(run_rss "${@/#"$file"/$MF/empty.jsonl}")
  got=$(run_rss "$@")
  [ "${got% *}" -eq "$want" ] || { cat "$WORK/out" "$WORK/err" >&2; fail "'$*' exited ${got% *}, expected $want"; }
  [ "${got#* }" -le $((${base#* } + EXTRA_KB)) ] ||
    fail "'$*' peaked at ${got#* } kB reading a long line, ${base#* } kB on an empty one"
}

# One line of 300 MB: the start of a record, then NUL bytes (a sparse file: no disk is used).
big="$WORK/one_line.jsonl"
printf '{"path": "' > "$big"
truncate -s 300M "$big"
msg="line 1 is longer than the 16.8 MB (16777216 bytes) a manifest line may have"

expect_rc_bounded 1 "$big" "$IMGEDA" info -m "$big"
contains "$WORK/err" "imgeda: $big is not an imgeda manifest: $msg"
expect_rc_bounded 1 "$big" "$IMGEDA" check all -m "$big"
contains "$WORK/err" "imgeda: $big is not an imgeda manifest: $msg"
ok "info and check refuse a manifest of one 300 MB line in bounded memory, naming the line"

policy="$FIXTURES/policies/empty.yaml"
expect_rc_bounded 1 "$big" "$IMGEDA" gate -m "$big" -p "$policy"
contains "$WORK/err" "imgeda: $big is not a manifest: $msg"
expect_rc_bounded 1 "$big" "$IMGEDA" diff --old "$MF/mixed.jsonl" --new "$big"
contains "$WORK/err" "imgeda: $big is not a manifest: $msg"
ok "gate and diff refuse it the same way"

expect_rc_bounded 1 "$big" "$IMGEDA" export csv -m "$big" -o "$WORK/x.csv"
contains "$WORK/err" "$big is not an imgeda manifest: $msg"
expect_rc_bounded 1 "$big" "$IMGEDA" export sqlite -m "$big" -o "$WORK/x.sqlite"
contains "$WORK/err" "$big is not an imgeda manifest: $msg"
ok "export refuses it too"

# plot and report take an empty manifest, so they go on with a warning.
expect_rc_bounded 0 "$big" "$IMGEDA" plot dimensions -m "$big" -o "$WORK/plots"
contains "$WORK/err" "imgeda: warning: $big: $msg; skipped without reading it whole"
expect_rc_bounded 0 "$big" "$IMGEDA" report -m "$big" -o "$WORK/r.html"
contains "$WORK/err" "imgeda: warning: $big: $msg; skipped without reading it whole"
ok "plot and report skip it in bounded memory"

# A 20 MB line 4 between records: the records around it load, the warning names line 4.
mid="$WORK/mid.jsonl"
head -n 3 "$MF/mixed.jsonl" > "$mid"
printf '{"path": "' >> "$mid"
truncate -s +20M "$mid"
printf '"}\n' >> "$mid"
tail -n +4 "$MF/mixed.jsonl" >> "$mid"
expect_rc_bounded 0 "$mid" "$IMGEDA" check corrupt -m "$mid"
contains "$WORK/out" "Corrupt: 1 of 8 images"
contains "$WORK/err" "imgeda: warning: $mid: line 4 is longer than the 16.8 MB (16777216 bytes) a manifest line may have; skipped without reading it whole"
expect_rc_bounded 0 "$mid" "$IMGEDA" info -m "$mid" --json
json_total=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_images"])' "$WORK/out")
[ "$json_total" = 8 ] || fail "info counted $json_total images around the long line"
contains "$WORK/err" "line 4 is longer than"
expect_rc_bounded 2 "$mid" "$IMGEDA" gate -m "$mid" -p "$policy"
contains "$WORK/err" "line 4 is longer than"
ok "a long line among records is skipped and named; the records around it load"

echo "$checks checks passed"
