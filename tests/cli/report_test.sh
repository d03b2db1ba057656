#!/usr/bin/env bash
# attrib report / compare / config as a user meets them: batch analysis of Segment JSON lines,
# output formats, bad lines reported by number while the rest is analysed, configuration files.
# Usage: report_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"
d=$work/d.jsonl
"$attrib" demo --out "$d" --visitors 400 --seed 3 2>/dev/null
check "demo wrote messages" test "$(wc -l <"$d")" -gt 1000

run compare --input "$d"
check "compare exits 0" test "$rc" = 0
check "compare shows every model" grep -q 'first_touch.*last_touch.*last_non_direct.*linear.*time_decay.*u_shaped.*w_shaped.*participation.*markov.*shapley.*shapley_simplified' "$work/out"
# Every model but participation shares out exactly the conversions: equal totals.
totals=$(grep '^total' "$work/out" | tr -s ' ' | cut -d' ' -f2-8,10-12 | tr ' ' '\n' | sort -u | wc -l)
check "compare: the ten share-out models have one total" test "$totals" = 1
check "compare: what the data-driven models learnt from" grep -q '^attrib: data-driven models: [0-9,]* distinct paths; Markov chain of [0-9,]* states, P(conversion) 0\.[0-9]*$' "$work/err"
check "compare: summary on stderr" grep -q '^attrib: [0-9,]* messages: [0-9,]* accepted, 0 duplicates, 0 rejected$' "$work/err"
check "compare: nothing to note on clean data" test "$(grep -c 'future times\|unreadable' "$work/err")" = 0
compare_plain=$out

run report --input "$d" --model first_touch --by source_medium
check "report exits 0" test "$rc" = 0
check "report table header" grep -q '^source / medium *touchpoints *visitors *conversions *revenue *conv. rate$' "$work/out"
check "report names the model" grep -q '^first_touch attribution by source_medium$' "$work/out"

run report --input "$d" --model linear --format csv
check "csv header" test "$(head -1 "$work/out")" = "model,channel,conversions,revenue,touchpoints,visitors,conversion_rate"
check "csv rows are linear" test "$(tail -n +2 "$work/out" | cut -d, -f1 | sort -u)" = linear

run report --input "$d" --model linear --format json --by source_medium
check "json rows carry model, both fields and the columns" \
  grep -q '"conversion_rate": .*' "$work/out"
check "json has source and medium" grep -q '"medium": "organic"' "$work/out"
check "json starts an array" test "$(head -c1 "$work/out")" = "["

run report --input "$d" --model linear
check "a heuristic report does not run the data-driven models" test "$(grep -c 'data-driven' "$work/err")" = 0
run report --input "$d" --model markov --format json
check "a markov report does" grep -q '^attrib: data-driven models:' "$work/err"
check "markov json rows carry the removal effect" grep -q '"removal_effect": 0\.[0-9]' "$work/out"
states1=$(grep -o 'chain of [0-9,]* states' "$work/err")
run report --input "$d" --model markov --order 2
check "--order 2 exits 0" test "$rc" = 0
check "--order 2 has more states" test "$(grep -o 'chain of [0-9,]* states' "$work/err")" != "$states1"
check "markov table" grep -q '^markov attribution by channel$' "$work/out"
run report --input "$d" --model markov --order 5
check "--order 5 refused" test "$rc" = 2
run report --input "$d" --model shapley --format csv
check "shapley csv rows" test "$(tail -n +2 "$work/out" | cut -d, -f1 | sort -u)" = shapley
run compare --input "$d" --format json
check "compare json has all models" test "$(grep -o '"model": "[a-z_]*"' "$work/out" | sort -u | wc -l)" = 11

# Same data through gzip and stdin: the same answer.
gzip -c "$d" >"$work/d.jsonl.gz"
run compare --input "$work/d.jsonl.gz"
check "gzip input gives the same report" test "$out" = "$compare_plain"
"$attrib" compare --input - <"$d" >"$work/stdin.out" 2>/dev/null
check "stdin input gives the same report" test "$(cat "$work/stdin.out")" = "$compare_plain"
size=$(stat -c %s "$work/d.jsonl.gz")
head -c $((size - 4)) "$work/d.jsonl.gz" >"$work/cut.jsonl.gz"
run compare --input "$work/cut.jsonl.gz"
check "a truncated gzip file is an error, not a short report" test "$rc" = 1
check "the truncation is named" grep -q "cannot read $work/cut.jsonl.gz: the compressed data ends early" "$work/err"
# Split over two files: the same answer (people span the files).
split -n l/2 "$d" "$work/part."
run compare --input "$work/part.aa" "$work/part.ab"
check "two files give the same report" test "$out" = "$compare_plain"

# Bad lines are reported with their line numbers; the rest is analysed as before.
{
  head -n 2 "$d"
  echo '{"type":"track","anonymousId":"x"'
  echo '{"type":"track","anonymousId":"x","timestamp":"2026-10-01T00:00:00Z"}'
  printf '{"type":"page","anonymousId":"y","timestamp":"2026-10-01T00:00:00Z","padding":"%s"}\n' "$(head -c 600000 /dev/zero | tr '\0' a)"
  tail -n +3 "$d"
} >"$work/bad.jsonl"
run compare --input "$work/bad.jsonl"
check "bad lines: exit 0" test "$rc" = 0
check "bad lines: same report for the good ones" test "$out" = "$compare_plain"
check "bad line 3 named" grep -q "^attrib: rejected $work/bad.jsonl:3: invalid_json: " "$work/err"
check "bad line 4 named" grep -q "^attrib: rejected $work/bad.jsonl:4: missing_event: no event$" "$work/err"
check "over-long line 5 named" grep -q "^attrib: rejected $work/bad.jsonl:5: batch_too_large: " "$work/err"
check "summary counts the rejects" grep -q ' 3 rejected (1 invalid_json, 1 batch_too_large, 1 missing_event)$' "$work/err"

# A time in the future is set to the time of receipt, and the user is told.
printf '{"type":"page","anonymousId":"z","timestamp":"2999-01-01T00:00:00Z","context":{"page":{"url":"https://shop.example/"}}}\n' >"$work/future.jsonl"
run report --input "$work/future.jsonl"
check "future time reported" grep -q '^attrib: 1 future times set to the time of receipt$' "$work/err"

# Duplicated input: each message counted once.
run compare --input "$d" "$d"
check "the same file twice gives the same report" test "$out" = "$compare_plain"
check "the duplicates are counted" grep -q "accepted, [1-9][0-9,]* duplicates, 0 rejected" "$work/err"

# Filters.
run report --input "$d" --conversion "Signed Up" --format csv
check "--conversion narrows the conversions" test "$rc" = 0
signed=$(grep -o '[0-9,]* conversions' "$work/err")
run report --input "$d" --format csv
all=$(grep -o '[0-9,]* conversions' "$work/err")
check "--conversion gives fewer conversions" test "${signed%% *}" != "${all%% *}"
run report --input "$d" --from 2026-10-20 --to 2026-10-10
check "empty window refused" test "$rc-$err" = "2-attrib: error: the report window is empty: --from is not before --to"
run report --input "$d" --from yesterday
check "bad --from named" grep -q '^attrib: error: --from: invalid timestamp' "$work/err"
run report --input "$work/missing.jsonl"
check "missing file" test "$rc" = 1
check "missing file named" grep -q "cannot open $work/missing.jsonl" "$work/err"
# The first input a pipe no one writes to: it is never read when the second is missing.
mkfifo "$work/fifo"
timeout 20 "$attrib" report --input "$work/fifo" "$work/missing.jsonl" >/dev/null 2>"$work/err"
check "a missing second file is named before the first is read" \
  test "$?-$(cat "$work/err")" = "1-attrib: error: cannot open $work/missing.jsonl: No such file or directory"
# A named pipe after a file: checking it is there must not cut off its writer.
head -n 50 "$d" >"$work/head.jsonl"
run compare --input "$d" "$work/head.jsonl"
from_file=$out
timeout 20 cat "$work/head.jsonl" >"$work/fifo" &
writer=$!
timeout 20 "$attrib" compare --input "$d" "$work/fifo" >"$work/out" 2>"$work/err"
rc=$?
wait "$writer"
check "a named pipe is read whole" test "$rc-$?-$(cat "$work/out")" = "0-0-$from_file"

# A line too long to hold is cut and rejected as too large, even when the cut ends in a CR.
{
  printf '{"a":"'
  head -c 511994 /dev/zero | tr '\0' a
  printf '\r'
  head -c 3000000 /dev/zero | tr '\0' b
  printf '"}\n'
  head -n 3 "$d"
} >"$work/long.jsonl"
run compare --input "$work/long.jsonl"
check "a cut line is too large" grep -q "^attrib: rejected $work/long.jsonl:1: batch_too_large: the document is at least 512001 bytes, over the limit of 512000$" "$work/err"

# Configuration.
cat >"$work/c.toml" <<'TOML'
[conversions]
lookback_days = 7
counting = "every_event"
[sessions]
timeout_minutes = 45
TOML
run config --config "$work/c.toml"
check "config shows the file's values" grep -q '^conversions.lookback_days *integer *7 ' "$work/out"
check "config lists every key" test "$(grep -c '^[a-z_]*\.[a-z_]* ' "$work/out")" = 18
run compare --input "$d" --config "$work/c.toml"
check "config changes the answer" test "$rc" = 0 -a "$out" != "$compare_plain"
ATTRIB_CONFIG=$work/c.toml "$attrib" compare --input "$d" >"$work/env.out" 2>/dev/null
check "ATTRIB_CONFIG is read" test "$(cat "$work/env.out")" = "$out"
for key in $("$attrib" config | grep -o '^[a-z_]*\.[a-z_]*'); do
  check "docs/configuration.md documents $key" grep -q "^| \`$key\` |" "$here/docs/configuration.md"
done
printf '[sessions]\ntimeout_minuts = 45\n' >"$work/typo.toml"
run compare --input "$d" --config "$work/typo.toml"
check "unknown key refused" test "$rc-$err" = "2-attrib: error: $work/typo.toml: sessions.timeout_minuts: unknown key (see \`attrib config\` for the keys)"
printf '[conversions]\ncounting = "sometimes"\n' >"$work/bad.toml"
run compare --input "$d" --config "$work/bad.toml"
check "bad value named" test "$err" = "attrib: error: $work/bad.toml: conversions.counting: expected once_per_user, once_per_session or every_event"
printf '[sessions\n' >"$work/broken.toml"
run config --config "$work/broken.toml"
check "TOML syntax error has a position" grep -q "^attrib: error: $work/broken.toml:1:" "$work/err"

echo "report: $passed passed, $failed failed"
test "$failed" = 0
