#!/usr/bin/env bash
# The attrib CLI as a user meets it: output, exit statuses and messages of classify, rules, demo
# and credit. Usage: cli_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"
strip_version() { sed 's/,"rules_version":"[0-9a-f]*"//'; }

run --version
check "version" test "$rc-$out" = "0-attrib 0.1.0"

# The headline case from the README.
run classify --url 'https://shop.example/?fbclid=abc' --referrer 'https://l.facebook.com/'
check "fbclid via l.facebook.com" test "$rc-$(strip_version <<<"$out")" = \
  '0-{"source":"facebook","medium":"paid","campaign":null,"term":null,"content":null,"confidence":"high","rule_id":"fb_ad_redirect","channel":"paid_social"}'
check "rules_version is present" grep -q '"rules_version":"[0-9a-f]\{16\}"' "$work/out"

run classify --url 'https://shop.example/?utm_source=Newsletter&utm_medium=email&utm_campaign=Spring%20Sale&utm_term=linen&utm_content=hero'
check "utm fields" test "$(strip_version <<<"$out")" = \
  '{"source":"newsletter","medium":"email","campaign":"Spring Sale","term":"linen","content":"hero","confidence":"high","rule_id":"utm_source","channel":"email"}'

run classify --url 'https://cdn.example.net/x' --referrer 'https://shop.example/' --host shop.example
check "--host makes the referrer internal" grep -q '"rule_id":"internal"' "$work/out"

run classify --url 'ht!tp://%%%'
check "garbage url exits 1" test "$rc" = 1
check "garbage url names the problem" test "$err" = "attrib: error: url: invalid character '!' in host \"ht!tp\""
check "garbage url prints nothing on stdout" test -z "$out"

run classify --url 'https://shop.example/' --referrer 'https://exa mple.com/'
check "bad referrer is named" test "$err" = "attrib: error: referrer: invalid character ' ' in host \"exa mple.com\""

# Usage errors exit 2.
run
check "no subcommand exits 2" test "$rc" = 2
run classify
check "classify without input exits 2" test "$rc" = 2
run classify --url x --summary
check "--summary needs --batch" test "$rc" = 2
run classify --batch --url https://a.com/
check "--batch with --url exits 2" test "$rc" = 2
run classify --url https://a.com/ --rules "$work/missing.tsv"
check "missing rules file exits 2" test "$rc" = 2

# Batch: one output line per input line, in order; bad lines become {"line":N,"error":...}.
long=$(head -c 70000 /dev/zero | tr '\0' 'a')
{
  printf 'https://shop.example/?gclid=1\t\t\n'
  printf 'ht!tp://x\t\t\n'
  printf '\n'
  printf 'a\tb\tc\td\n'
  printf 'https://shop.example/%s\t\t\n' "$long"
  printf 'https://shop.example/\thttps://www.google.com/\r\n'
  printf 'https://shop.example/\thttps://news.ycombinator.com/'
} >"$work/batch.tsv"
run classify --batch "$work/batch.tsv"
check "batch with bad lines exits 1" test "$rc" = 1
check "batch writes one line per input line" test "$(wc -l <"$work/out")" = 7
check "batch line 1" grep -q '^{"source":"google","medium":"paid".*"rule_id":"gclid"' <(sed -n 1p "$work/out")
check "batch line 2 error" test "$(sed -n 2p "$work/out")" = '{"line":2,"error":"url: invalid character '"'"'!'"'"' in host \"ht!tp\""}'
check "batch line 3 error" test "$(sed -n 3p "$work/out")" = '{"line":3,"error":"empty line (expected url<TAB>referrer<TAB>host)"}'
check "batch line 4 error" test "$(sed -n 4p "$work/out")" = '{"line":4,"error":"more than 3 tab-separated fields (expected url<TAB>referrer<TAB>host)"}'
check "batch line 5 error" test "$(sed -n 5p "$work/out")" = '{"line":5,"error":"line is longer than 65536 bytes"}'
check "batch CRLF line" grep -q '"source":"google","medium":"organic"' <(sed -n 6p "$work/out")
check "batch last line without newline" grep -q '"source":"ycombinator"' <(sed -n 7p "$work/out")
check "batch reports counts" grep -q 'classified 3 lines .* 4 failed' "$work/err"

# A line exactly at the limit is classified (the URL itself is then over its own limit).
printf 'https://shop.example/%s\n' "$(head -c $((65536 - 21)) /dev/zero | tr '\0' 'a')" >"$work/limit.tsv"
run classify --batch "$work/limit.tsv"
check "line at the limit reaches the classifier" grep -q '"error":"url: url is 65536 bytes, over the 16384-byte limit"' "$work/out"

printf 'https://shop.example/?gclid=1\n' | "$attrib" classify --batch >"$work/out" 2>/dev/null
check "batch reads stdin" grep -q '"rule_id":"gclid"' "$work/out"

# Demo traffic: deterministic for a seed, and all of it classifies.
run demo --out "$work/a.tsv" --sessions 2000 --seed 42
check "demo writes" test "$rc" = 0
"$attrib" demo --out "$work/b.tsv" --sessions 2000 --seed 42
"$attrib" demo --out "$work/c.tsv" --sessions 2000 --seed 43
check "demo is deterministic" cmp -s "$work/a.tsv" "$work/b.tsv"
check "demo seeds differ" bash -c "! cmp -s '$work/a.tsv' '$work/c.tsv'"
run classify --batch "$work/a.tsv" --summary
check "summary of demo traffic" test "$rc" = 0
check "summary has the rule table" grep -q '^rule  *source  *medium  *channel  *confidence  *visits  *share$' "$work/out"
check "summary counts internal views" grep -q '^internal  *internal  *direct  *internal  *high' "$work/out"
run demo --out "$work/x.tsv" --sessions 0
check "demo refuses 0 sessions" test "$rc" = 2

# User rules.
run classify --rules "$here/tests/data/user_rules.tsv" --url 'https://shop.example/?via=podcast'
check "user rule fires" grep -q '"source":"podcast","medium":"audio".*"rule_id":"podcast","channel":"paid_other"' "$work/out"
printf 'ok\tutm_source\ta\tb\thigh\nbad\tutm_source@nolist\ta\tb\thigh\n' >"$work/bad_rules.tsv"
run classify --rules "$work/bad_rules.tsv" --url 'https://shop.example/'
check "bad rules file exits 1" test "$rc" = 1
check "bad rules file names file and line" test "$err" = "attrib: error: $work/bad_rules.tsv:2: rule 'bad': unknown list 'nolist'"

# The cascade as a listing.
run rules
check "rules table" grep -q '^ *1  gclid  ' "$work/out"
run rules --format json --rules "$here/tests/data/user_rules.tsv"
check "rules json lists user rules first" grep -q '"id": "partner_referral"' <(sed -n 5p "$work/out")
run rules --format markdown
check "rules markdown is the checked-in doc" cmp -s "$work/out" "$here/docs/classifier-rules.md"

# credit: one journey on stdin, credits in input order.
credit() {  # json, then attrib arguments
  local json=$1
  shift
  printf '%s' "$json" | "$attrib" credit "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
journey='{"touchpoints":[{"channel":"google","at":"2026-05-01T00:00:00Z"},{"channel":"direct","at":"2026-05-15T00:00:00Z"},{"channel":"facebook","at":"2026-05-08T00:00:00Z"}],"converted_at":"2026-05-15T00:00:00Z","revenue":120.5}'
credit "$journey"
check "credit all models, input order" test "$rc-$out" = \
  '0-{"first_touch":[1,0,0],"last_touch":[0,1,0],"last_non_direct":[0,0,1],"linear":[0.3333333333333333,0.3333333333333333,0.3333333333333333],"time_decay":[0.14285714285714285,0.5714285714285714,0.2857142857142857],"u_shaped":[0.4,0.4,0.2],"w_shaped":[0.3333333333333333,0.3333333333333333,0.3333333333333333],"participation":[1,1,1]}'
credit "$journey" --model u_shaped
check "credit one model" test "$out" = '{"u_shaped":[0.4,0.4,0.2]}'
credit "$journey" --model time_decay --half-life-days 14
check "credit half-life option" test "$out" = '{"time_decay":[0.22654091966098644,0.4530818393219729,0.3203772410170408]}'
credit "$journey" --model markov
check "credit refuses an unknown model" test "$rc" = 2
credit '{"touchpoints":[' --model linear
check "credit: invalid JSON exits 1" test "$rc" = 1
check "credit: invalid JSON is named" grep -q '^attrib: error: stdin: invalid JSON: ' "$work/err"
credit '{"touchpoints":[],"converted_at":"2026-05-15T00:00:00Z"}'
check "credit: no touchpoints" test "$err" = "attrib: error: stdin: the journey has no touchpoints"
credit '{"touchpoints":[{"channel":"a","at":"2026-05-16T00:00:00Z"}],"converted_at":"2026-05-15T00:00:00Z"}'
check "credit: touchpoint after the conversion" test "$err" = "attrib: error: stdin: touchpoint 0 starts after converted_at: not part of the journey"
credit '{"touchpoints":[{"channel":"a","at":"May 1"}],"converted_at":"2026-05-15T00:00:00Z"}'
check "credit: bad timestamp" test "$err" = 'attrib: error: stdin: touchpoint 0: "at": invalid timestamp "May 1": expected YYYY-MM-DD'
credit '{"touchpoints":[{"channel":"a","at":"2026-05-01"}]}'
check "credit: missing converted_at" test "$err" = 'attrib: error: stdin: missing "converted_at"'
credit '{"touchpoints":[{"channel":"a","at":"2026-05-01"}],"converted_at":"2026-05-15","revenue":"lots"}'
check "credit: revenue must be a number" test "$err" = 'attrib: error: stdin: "revenue" must be a number'
many() {  # N touchpoints
  printf '{"touchpoints":['
  for ((i = 0; i < $1; i++)); do printf '%s{"channel":"c%d","at":"2026-05-01T00:00:00Z"}' "$([ $i -gt 0 ] && echo ,)" $((i % 7)); done
  printf '],"converted_at":"2026-05-15T00:00:00Z"}'
}
credit "$(many 10000)" --model linear
check "credit: 10,000 touchpoints is the limit" test "$rc" = 0
credit "$(many 10001)" --model linear
check "credit: 10,001 touchpoints is refused" test "$err" = "attrib: error: stdin: 10001 touchpoints, over the limit of 10000"

echo "cli: $passed passed, $failed failed"
test "$failed" = 0
