#!/usr/bin/env bash
# attrib paths as a ChannelAttribution user meets it: their path files unchanged, every model's
# credits, the transition matrix, and a bad row named by its line.
# Usage: paths_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"

# field MODEL CHANNEL NAME: a number from the pretty-printed output in $work/out.
field() {
  awk -v m="\"$1\": {" -v c="\"$2\": {" -v f="\"$3\":" '
    /^  "/ { in_model = index($0, m) == 3 }
    /^    "/ { in_channel = in_model && index($0, c) == 5 }
    in_channel && index($0, f) == 7 { v = $2; sub(",", "", v); print v; exit }' "$work/out"
}
near() {  # actual expected: equal within 1e-9
  awk -v a="$1" -v e="$2" 'BEGIN { d = a - e; exit !(a != "" && d < 1e-9 && d > -1e-9) }'
}

# The three-path example of the Markov literature: removal effects 0.5, 1, 1.
cat >"$work/three.csv" <<'CSV'
path;total_conversions;total_conversion_value;total_null
c1 > c2 > c3;1;100;0
c1;0;0;1
c2 > c3;0;0;1
CSV
run paths --input "$work/three.csv"
check "paths exits 0" test "$rc" = 0
check "paths: every model" test "$(grep -c '^  "[a-z_]*": {' "$work/out")" = 6
check "markov c1 gets 0.2" near "$(field markov c1 conversions)" 0.2
check "markov c2 gets 0.4" near "$(field markov c2 conversions)" 0.4
check "markov c3 gets 0.4 of the value" near "$(field markov c3 value)" 40
check "markov c1 removal effect 0.5" near "$(field markov c1 removal_effect)" 0.5
check "first_touch c1 gets the conversion" near "$(field first_touch c1 conversions)" 1
check "last_touch c3 gets the value" near "$(field last_touch c3 value)" 100
check "shapley splits the one converting set" near "$(field shapley c2 conversions)" 0.3333333333333333
check "channels in order of first appearance" \
  test "$(grep -m3 '^    "' "$work/out" | tr -d ' {:"' | tr '\n' ' ')" = "c1 c2 c3 "
check "summary on stderr" grep -q '^attrib: 3 rows, 3 channels: 1 conversions (value 100), 2 null$' "$work/err"

run paths --input "$work/three.csv" --model markov
check "one model asked, one printed" test "$(grep -c '^  "[a-z_]*": {' "$work/out")" = 1

run paths --input "$work/three.csv" --transitions --order 2
check "transitions exit 0" test "$rc" = 0
check "order-2 states are pairs" grep -q '"from": "c1 > c2"' "$work/out"
check "a one-channel path is its own state" grep -q '"to": "c1"' "$work/out"
check "conversion probability" grep -q '"conversion_probability": 0.333333333333333' "$work/out"

# Linear counts repeats, as ChannelAttribution's linear_touch does; markov reads them once.
printf 'path;total_conversions\na > b > a;3\n' >"$work/repeats.csv"
run paths --input "$work/repeats.csv" --model linear
check "linear counts repeats" near "$(field linear a conversions)" 2
printf 'path;total_conversions\na > a > b;3\n' >"$work/repeats.csv"
run paths --input "$work/repeats.csv" --transitions
check "markov collapses repeats" test "$(grep -c '"from": "a"' "$work/out")" = 1
run paths --input "$work/repeats.csv" --transitions --keep-repeats
check "--keep-repeats keeps the steps" test "$(grep -c '"from": "a"' "$work/out")" = 2

# R's write.csv2 style: quoted header and fields, CRLF; gzip and stdin.
printf '"";"path";"total_conversions";"total_conversion_value";"total_null"\r\n"1";"x > y";2;1340,5;5\r\n' >"$work/r.csv"
gzip -c "$work/r.csv" >"$work/r.csv.gz"
run paths --input "$work/r.csv.gz" --model first_touch
check "quoted, CRLF, gzip" near "$(field first_touch x conversions)" 2
check "a decimal comma" near "$(field first_touch x value)" 1340.5
"$attrib" paths --input - --model first_touch <"$work/r.csv" >"$work/out" 2>"$work/err"
check "stdin" near "$(field first_touch x conversions)" 2

# Bad input: the file and the line named, nothing on stdout.
printf 'path;total_conversions;total_conversion_value;total_null\na;1;2;3\nb;x;2;3\n' >"$work/bad.csv"
run paths --input "$work/bad.csv"
check "bad row exits 1" test "$rc" = 1
check "bad row named" grep -qF "attrib: error: $work/bad.csv: line 3: total_conversions: \"x\" is not a finite number" "$work/err"
check "bad row: no output" test -z "$out"
printf 'path;total_conversions\n > ;1\n' >"$work/empty_path.csv"
run paths --input "$work/empty_path.csv"
check "empty path named" grep -q 'line 2: the path has no channels' "$work/err"
{ printf 'a;1\n'; head -c 600000 /dev/zero | tr '\0' 'a'; printf ';1\nb;1\n'; } >"$work/long.csv"
run paths --input "$work/long.csv"
check "over-long line named" grep -q 'line 2: the line is longer than the limit of 512000 bytes' "$work/err"
head -c 3000000 /dev/zero | tr '\0' 'a' >"$work/longer.csv"
run paths --input "$work/longer.csv"
check "a line cut by the reader is named too" grep -q 'line 1: the line is longer than the limit' "$work/err"
run paths --input "$work/missing.csv"
check "missing file exits 1" test "$rc" = 1
check "missing file named" grep -q "missing.csv" "$work/err"
run paths --input "$work/three.csv" --model time_decay
check "a model without times is refused" test "$rc" = 2
run paths --input "$work/three.csv" --order 5
check "order over 4 is refused" test "$rc" = 2

# Nothing to attribute: defined, empty results.
printf 'path;total_conversions\n' >"$work/header_only.csv"
run paths --input "$work/header_only.csv" --model markov
check "header only: exit 0" test "$rc" = 0
check "header only: empty markov" grep -q '"markov": {}' "$work/out"
printf 'a > b;0;0;4\n' >"$work/no_conversions.csv"
run paths --input "$work/no_conversions.csv" --model markov
check "no conversions: zero credit, no NaN" near "$(field markov a conversions)" 0
check "no conversions: never null" test "$(grep -c null "$work/out")" = 0

echo "paths: $passed passed, $failed failed"
test "$failed" = 0
