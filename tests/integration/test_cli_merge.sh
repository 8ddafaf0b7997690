#!/usr/bin/env bash
# imgeda scan --shard K/N and imgeda merge end to end: the fixture images scanned whole and as
# 8 shards, the shards merged, equal to the whole scan in every field but the timestamps
# (header created_at, records' analyzed_at); a file's shard does not move when files are added;
# a shard scan resumes; bad --shard values, mixed settings, missing, corrupt and truncated parts,
# shards that do not fit and conflicting records are refused with exit 1, writing nothing.
source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/d"
cp -r "$FIXTURES/sample" "$WORK/d/sample"
cp -r "$FIXTURES/annotations" "$WORK/d/annotations"
cd "$WORK"

"$IMGEDA" scan d -o whole.jsonl -q --workers 2 >/dev/null || fail "whole scan failed"
for k in 1 2 3 4 5 6 7 8; do
  "$IMGEDA" scan d -o "part$k.jsonl" -q --workers 2 --shard "$k/8" >/dev/null ||
    fail "scan of shard $k/8 failed"
  grep -q "\"shard\":\"$k/8\"" "part$k.jsonl" || fail "part$k.jsonl's header lacks shard $k/8"
done
grep -q '"shard"' whole.jsonl && fail "a whole scan's header names a shard"
ok "8 shard scans, each header naming its shard; the whole scan's header names none"

# compare A B: every header and record field equal but the timestamps; records in path order.
compare() { "$PYTHON" "$HERE/compare_manifests.py" "$@"; }
n_parts=$(cat part*.jsonl | grep -vc __manifest_meta__)
n_whole=$(grep -vc __manifest_meta__ whole.jsonl)
[ "$n_parts" = "$n_whole" ] || fail "the shards hold $n_parts records, the whole scan $n_whole"
[ "$n_whole" -ge 30 ] || fail "too few fixture images ($n_whole)"
empty=0
for k in 1 2 3 4 5 6 7 8; do [ "$(wc -l <"part$k.jsonl")" -gt 1 ] || empty=$((empty + 1)); done
[ "$empty" -le 1 ] || fail "$empty of 8 shards are empty: the hash does not spread the files"

expect_rc 0 "$IMGEDA" merge part3.jsonl part1.jsonl part2.jsonl part4.jsonl part5.jsonl \
  part6.jsonl part7.jsonl part8.jsonl -o merged.jsonl
contains "$WORK/out" "Merged 8 parts into merged.jsonl: $n_whole records"
compare whole.jsonl merged.jsonl >/dev/null || fail "8 shards merged differ from one scan"
sed -E 's/"(created_at|analyzed_at)":"[^"]*"//g' whole.jsonl >a.txt
sed -E 's/"(created_at|analyzed_at)":"[^"]*"//g' merged.jsonl >b.txt
cmp -s a.txt b.txt || fail "the merged manifest's bytes differ from the whole scan's beyond timestamps"
ok "8 shards merged ($n_whole records) equal one scan in every field but timestamps, byte for byte"

# Stability: a new file elsewhere leaves every other file in its shard.
cp d/sample/$(ls d/sample | head -1) d/annotations/new_file.png
for k in 1 2 3 4 5 6 7 8; do
  "$IMGEDA" scan d -o "again$k.jsonl" -q --workers 2 --shard "$k/8" >/dev/null
  grep -v -e __manifest_meta__ -e new_file.png "again$k.jsonl" | grep -o '"path":"[^"]*"' >p1.txt || true
  grep -v __manifest_meta__ "part$k.jsonl" | grep -o '"path":"[^"]*"' >p0.txt || true
  cmp -s p0.txt p1.txt || fail "shard $k/8 changed its files when one file was added elsewhere"
done
[ "$(cat again*.jsonl | grep -c new_file.png)" = 1 ] || fail "the new file is not in exactly one shard"
rm d/annotations/new_file.png
ok "adding a file moves no other file to another shard; the new one lands in exactly one"

# Resume: a shard scan cut short keeps what it had and finishes the rest.
head -3 part5.jsonl >resumed.jsonl
expect_rc 0 "$IMGEDA" scan d -o resumed.jsonl --workers 2 --shard 5/8
contains "$WORK/out" "2 kept from the previous run"
compare part5.jsonl resumed.jsonl >/dev/null || fail "the resumed shard differs"
ok "a shard scan cut short resumes: 2 records kept, the rest analysed, the same part"

for bad in 0/4 5/4 1/0 junk 1/ -1/4 '1/4 '; do
  expect_rc 1 "$IMGEDA" scan d -o bad.jsonl --shard "$bad"
  contains "$WORK/err" "--shard needs K/N, a shard K from 1 to N of N from 1 to 65536, not '$bad'"
done
[ ! -e bad.jsonl ] || fail "a refused --shard wrote a manifest"
ok "--shard 0/4, 5/4, 1/0, junk and others are refused in the option table's words"

# Refusals write nothing: an earlier output stays as it was, no temp file is left.
echo previous >out.jsonl
refuse() { # refuse MESSAGE PART...
  local msg=$1; shift
  expect_rc 1 "$IMGEDA" merge "$@" -o out.jsonl
  contains "$WORK/err" "$msg"
  [ "$(cat out.jsonl)" = previous ] || fail "a refused merge ($msg) changed the output"
  [ -z "$(ls | grep -e '\.tmp$' -e '\.sorted$')" ] || fail "a refused merge left temp files: $(ls)"
}
"$IMGEDA" scan d -o dark10.jsonl -q --workers 2 --dark-threshold 10 --shard 2/2 >/dev/null
"$IMGEDA" scan d -o dark40.jsonl -q --workers 2 --shard 1/2 >/dev/null
refuse "parts made with different analysis settings: dark_threshold is 40 in dark40.jsonl but 10 in dark10.jsonl" \
  dark40.jsonl dark10.jsonl
"$IMGEDA" scan d -o png.jsonl -q --workers 2 --extensions png --shard 2/2 >/dev/null
refuse 'in dark40.jsonl but [".png"] in png.jsonl' dark40.jsonl png.jsonl
contains "$WORK/err" "parts made with different discovery settings: extensions is"
refuse "cannot open part missing.jsonl" part1.jsonl missing.jsonl
head -c -40 whole.jsonl >truncated.jsonl
refuse "part truncated.jsonl, line $(wc -l <whole.jsonl): not a manifest record" \
  whole.jsonl truncated.jsonl
head -2 whole.jsonl >unfinished.jsonl
refuse "part unfinished.jsonl has 1 record(s) for the $n_whole file(s) its header counts" unfinished.jsonl
(head -2 whole.jsonl; echo '{"path": "x", garbage'; tail -n +3 whole.jsonl) >corrupt.jsonl
refuse "part corrupt.jsonl, line 3: not a manifest record" corrupt.jsonl
# A hostile part with a 40 MB line (over the 16 MiB a manifest line may have) is refused by line
# number without the line being held whole: the peak RSS grows by less than the line, against a
# merge of the same part without it.
(head -2 whole.jsonl; head -c 40000000 /dev/zero | tr '\0' a; echo; tail -n +3 whole.jsonl) >huge.jsonl
/usr/bin/time -f %M -o rss0.txt "$IMGEDA" merge whole.jsonl -o plain.jsonl >/dev/null 2>&1 ||
  fail "merge of one whole manifest failed"
/usr/bin/time -f %M -o rss1.txt "$IMGEDA" merge huge.jsonl -o out.jsonl >/dev/null 2>"$WORK/err" &&
  fail "a part with a 40 MB line was merged"
contains "$WORK/err" "part huge.jsonl, line 3: not a manifest record"
grow=$(( $(tail -1 rss1.txt) - $(tail -1 rss0.txt) ))
# Under AddressSanitizer the bound is not checked: its shadow memory and quarantine add to the
# capped buffer's 16 MiB (the normal build's run checks it).
case "$(ldd "$IMGEDA")" in
  *libasan*) ;;
  *) [ "$grow" -lt 30000 ] || fail "a part with a 40 MB line made merge's peak RSS grow by $grow kB" ;;
esac
[ "$(cat out.jsonl)" = previous ] || fail "a refused merge (40 MB line) changed the output"
rm -f huge.jsonl plain.jsonl rss0.txt rss1.txt
ok "a part with a line over 16 MiB is refused by its number; merge never holds the line"
echo "not a manifest" >text.jsonl
refuse "part text.jsonl is not a manifest with a header" text.jsonl
refuse "shard 8/8 is missing" part1.jsonl part2.jsonl part3.jsonl part4.jsonl part5.jsonl \
  part6.jsonl part7.jsonl
refuse "shard 2/8 is given twice: part2.jsonl and part2.jsonl" part1.jsonl part2.jsonl \
  part2.jsonl part3.jsonl part4.jsonl part5.jsonl part6.jsonl part7.jsonl part8.jsonl
refuse "is a shard but whole.jsonl is a whole manifest" part1.jsonl whole.jsonl
refuse "part1.jsonl is shard 1/8 but dark40.jsonl is shard 1/2" part1.jsonl dark40.jsonl
"$PYTHON" - whole.jsonl changed.jsonl <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
r = json.loads(lines[1]); r["width"] += 1
open(sys.argv[2], "w").write("\n".join([lines[0], json.dumps(r)] + lines[2:]) + "\n")
PY
refuse "with different records" whole.jsonl changed.jsonl
ok "refused with exit 1 and a message naming the part, output untouched: mixed settings, missing, truncated, unfinished, corrupt and header-less parts, missing, repeated and mixed shards, conflicting records"

# Whole manifests: identical records are written once; a part out of order is sorted first.
expect_rc 0 "$IMGEDA" merge whole.jsonl whole.jsonl -o twice.jsonl
contains "$WORK/out" "$n_whole identical duplicates written once"
cmp -s twice.jsonl whole.jsonl || fail "whole merged with itself is not the whole scan"
(head -1 whole.jsonl; tail -n +2 whole.jsonl | tac) >reversed.jsonl
expect_rc 0 "$IMGEDA" merge reversed.jsonl -o sorted.jsonl
contains "$WORK/out" "1 part sorted first"
cmp -s sorted.jsonl whole.jsonl || fail "a part out of order, merged, is not the whole scan"
[ -z "$(ls | grep -e '\.tmp$' -e '\.sorted$')" ] || fail "temp files left: $(ls)"
ok "identical records of a path are written once; a part out of path order is sorted first"
