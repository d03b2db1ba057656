#!/usr/bin/env bash
# attrib import and the reports from the store, as a user meets them: the summary adds up, a
# re-import adds nothing, every report from --db equals the one from --input on the same events,
# importing in shuffled chunks (identifies after the events they link) ends in the state of one
# import, and bad input is kept with its reason while the rest is stored.
# Usage: store_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"
# Everything a store holds, in a fixed order: two stores of the same events print the same.
dump() {
  sqlite3 "$1" <"$here/tests/cli/store_dump.sql"
  "$attrib" export --db "$1" --format jsonl | sort
}
field() { grep -o "\"$1\": [0-9]*" <<<"$2" | grep -o '[0-9]*$'; }

d=$work/d.jsonl
"$attrib" demo --out "$d" --visitors 600 --seed 5 2>/dev/null
# How many messages batch analysis reads in it (some lines are batch envelopes).
lines=$("$attrib" compare --input "$d" 2>&1 >/dev/null | grep -o '^attrib: [0-9,]* messages' | tr -dc 0-9)

# Import: the JSON summary adds up.
run import --db "$work/one.db" "$d"
check "import exits 0" test "$rc" = 0
check "import: received = messages" test "$(field received "$out")" = "$lines"
check "import: all accepted" test "$(field accepted "$out")" = "$lines"
check "import: received = accepted + duplicates + rejected" test "$(field received "$out")" = \
  "$(($(field accepted "$out") + $(field duplicates "$out") + $(field rejected "$out")))"
check "import: people derived" test "$(field people_derived "$out")" -gt 500
check "import: the store is sound" test "$(sqlite3 "$work/one.db" 'PRAGMA integrity_check')" = ok
check "import: every message exported" test "$("$attrib" export --db "$work/one.db" | wc -l)" = "$lines"
before=$(dump "$work/one.db")

# Idempotent: the same file again adds nothing.
run import --db "$work/one.db" "$d"
check "re-import exits 0" test "$rc" = 0
check "re-import: every message a duplicate" test "$(field duplicates "$out")" = "$lines"
check "re-import: nothing accepted" test "$(field accepted "$out")" = 0
check "re-import: the store is unchanged" test "$(dump "$work/one.db")" = "$before"

# One writer at a time: an import while another process writes to the store is refused, and
# nothing of it is stored.
flock "$work/one.db-writer" sleep 3 &
holder=$!
sleep 0.5
run import --db "$work/one.db" "$d"
check "a second writer: exit 1" test "$rc" = 1
check "… says another process is writing" grep -q 'another attrib process is writing to it' "$work/err"
wait "$holder"
check "… and the store is unchanged" test "$(dump "$work/one.db")" = "$before"

# --db equals --input, report by report, every model (the data-driven ones too) to the last
# digit, and what the data-driven models learnt from.
learnt() { grep '^attrib: data-driven models:' "$1"; }
same_reports() {  # name, then report arguments
  local name=$1
  shift
  "$attrib" compare --input "$d" --format csv "$@" 2>"$work/a.err" >"$work/a.csv"
  "$attrib" compare --db "$work/one.db" --format csv "$@" 2>"$work/b.err" >"$work/b.csv"
  check "--db = --input: $name" cmp -s "$work/a.csv" "$work/b.csv"
  check "--db = --input: $name, the paths learnt from" test "$(learnt "$work/a.err")" = "$(learnt "$work/b.err")"
}
for by in channel source medium source_medium campaign rule confidence; do
  same_reports "by $by" --by "$by"
  same_reports "by $by, a window" --by "$by" --from 2026-10-09 --to 2026-10-21
done
same_reports "from a day on" --from 2026-10-16
same_reports "one conversion event" --conversion "Order Completed" --by source
same_reports "signups in a window" --conversion "Signed Up" --to 2026-10-20
same_reports "a second-order chain" --order 2 --by source
# Another lookback than the store's: its credits made again from the stored sessions.
same_reports "a week's lookback" --lookback-days 7
same_reports "a week's lookback, by source in a window" --lookback-days 7 --by source --from 2026-10-12
same_reports "90 days' lookback, signups" --lookback-days 90 --conversion "Signed Up"
"$attrib" compare --db "$work/one.db" --format csv --lookback-days 1 2>/dev/null >"$work/c.csv"
"$attrib" compare --db "$work/one.db" --format csv 2>/dev/null >"$work/d.csv"
check "a day's lookback credits otherwise than the store's" test "$(cmp -s "$work/c.csv" "$work/d.csv"; echo $?)" = 1
check "the data-driven models credited" grep -q '^markov,.*,[1-9][0-9]*\.[0-9]*,' "$work/b.csv"
check "the csv compared has rows" test "$(wc -l <"$work/b.csv")" -gt 5
run report --db "$work/one.db" --model linear
check "report --db table" grep -q '^linear attribution by channel$' "$work/out"
check "report --db says what it covers" grep -q '^attrib: [0-9,]* conversions (' "$work/err"

# Export: every row, in either format.
summary=$("$attrib" compare --input "$d" 2>&1 >/dev/null)
sessions=$(grep -o '[0-9,]* sessions' <<<"$summary" | tr -dc 0-9)
conversions=$(grep -o '[0-9,]* conversions' <<<"$summary" | tr -dc 0-9)
run export --db "$work/one.db" --what sessions --format csv
check "export sessions: exit 0" test "$rc" = 0
check "export sessions: the header" test "$(head -1 "$work/out")" = \
  "person,session,start,end,events,channel,source,medium,campaign,rule_id,confidence"
check "export sessions: one row per session" test "$(($(wc -l <"$work/out") - 1))" = "$sessions"
run export --db "$work/one.db" --what credits --format jsonl
check "export credits: one conversion per messageId" test \
  "$(grep -o '"message_id":"[^"]*"' "$work/out" | sort -u | wc -l)" = "$conversions"
check "export credits: every model's credit" grep -q '"first_touch":.*"last_touch":.*"last_non_direct":.*"linear":.*"time_decay":.*"u_shaped":.*"w_shaped":.*"participation":' "$work/out"
check "export credits: first touch credits one touchpoint per conversion" test \
  "$(grep -c '"first_touch":1.0[,}]' "$work/out")" = "$conversions"
run export --db "$work/one.db" --what events --format csv
check "export events: the classification and the rule beside the raw url" grep -q \
  '^[^,]*,page,.*,https://shop.example/[^,]*,.*,\(paid_search\|organic_search\),google,' "$work/out"
run export --db "$work/none.db"
check "export from a missing store: exit 1" test "$rc" = 1

# Journey: a customer's ids, sessions with their rules, conversions with every model's credit.
buyer=$("$attrib" export --db "$work/one.db" --what credits --format csv | awk -F, 'NR == 2 { print $2 }')
run journey --db "$work/one.db" --user "$buyer" --format json
check "journey: exit 0" test "$rc" = 0
check "journey: the user among the ids" grep -q "\"type\": \"user\"" "$work/out"
check "journey: sessions with the rule that classified each" grep -q '"rule_id": "' "$work/out"
check "journey: a conversion with its version" grep -q '"version": 1' "$work/out"
check "journey: every model's credit" grep -q '"participation": ' "$work/out"
anonymous=$(grep -A1 '"type": "anonymous"' "$work/out" | grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
run journey --db "$work/one.db" --anonymous "$anonymous" --format json
check "journey: the same person from an anonymousId" grep -q "\"id\": \"$buyer\"" "$work/out"
run journey --db "$work/one.db" --user "$buyer"
check "journey table: the touchpoints" grep -q '^touchpoint *channel *rule *first_touch' "$work/out"
run journey --db "$work/one.db" --user nobody-at-all
check "journey of an unknown id: exit 1" test "$rc" = 1
check "… says so" grep -q 'no userId "nobody-at-all"' "$work/err"
run journey --db "$work/one.db"
check "journey without an id: exit 2" test "$rc" = 2

# Reclassification: a rule of the shop's own moves the newsletter's visits; reports restate as if
# the rule had been there at import; without it again, the store is what it was.
printf 'our_newsletter\tutm_source=newsletter\tnewsletter\tcrm\thigh\temail\tour own newsletter\n' \
  >"$work/newsletter.tsv"
cp "$work/one.db" "$work/rules.db"
run reclassify --db "$work/rules.db" --rules "$work/newsletter.tsv"
check "reclassify: exit 0" test "$rc" = 0
check "reclassify: visits moved" test "$(field events_moved "$out")" -gt 0
check "reclassify: moved by rule" grep -q '"from_rule": "utm_source"' <<<"$out"
check "reclassify: … to the new rule" grep -q '"to_rule": "our_newsletter"' <<<"$out"
check "reclassify: conversions restated" test "$(field conversions_restated "$out")" -gt 0
for by in medium rule source_medium; do
  "$attrib" compare --input "$d" --rules "$work/newsletter.tsv" --by "$by" --format csv \
    2>/dev/null >"$work/a.csv"
  "$attrib" compare --db "$work/rules.db" --by "$by" --format csv 2>/dev/null >"$work/b.csv"
  check "reclassify: --db = --input with the rule, by $by" cmp -s "$work/a.csv" "$work/b.csv"
done
check "reclassify: the new medium reported" grep -q '^linear,newsletter,crm,' "$work/b.csv"
run reclassify --db "$work/rules.db" --rules "$work/newsletter.tsv"
check "reclassify again: nothing moves" test "$(field events_moved "$out")" = 0
run reclassify --db "$work/rules.db"
check "reclassify without the rule: they move back" test "$(field events_moved "$out")" -gt 0
check "reclassify without the rule: the store it was" test "$(dump "$work/rules.db")" = "$before"

# Erasure: a customer deleted leaves the store a fresh import of everything else would be.
cp "$work/one.db" "$work/erase.db"
run journey --db "$work/erase.db" --user "$buyer" --format json
their_ids=$(grep -o '"id": "[^"]*"' "$work/out" | cut -d'"' -f4 | sort -u | sed 's/.*/"&"/')
run delete --db "$work/erase.db" --user "$buyer"
check "delete: exit 0" test "$rc" = 0
check "delete: their events" test "$(field events "$out")" -gt 0
check "delete: their conversions" test "$(field conversions "$out")" -ge 1
check "delete: their sessions" test "$(field sessions "$out")" -ge 1
run journey --db "$work/erase.db" --user "$buyer"
check "delete: the person is gone" test "$rc" = 1
grep -v -F "$their_ids" "$d" >"$work/without.jsonl"
check "delete: their messages found in the file" test "$(wc -l <"$work/without.jsonl")" -lt "$(wc -l <"$d")"
"$attrib" import --db "$work/without.db" "$work/without.jsonl" >/dev/null 2>&1
check "delete: the state of an import without them" test "$(dump "$work/erase.db")" = "$(dump "$work/without.db")"
check "delete: the file is sound" test "$(sqlite3 "$work/erase.db" 'PRAGMA integrity_check')" = ok
run delete --db "$work/erase.db" --user "$buyer"
check "delete of an unknown id: exit 1" test "$rc" = 1

# Mistakes.
run report --db "$work/none.db"
check "a missing store: exit 1" test "$rc" = 1
check "a missing store is named" grep -q 'none.db: no such file' "$work/err"
check "a missing store is not created" test ! -e "$work/none.db"
run report --db "$work/one.db" --from 2026-10-10T12:00:00Z
check "a window inside a day: exit 2" test "$rc" = 2
check "… says the store keeps whole days" grep -q 'whole UTC days' "$work/err"
run report --db "$work/one.db" --conversion "Lead"
check "an event the store does not credit: exit 2" test "$rc" = 2
printf '[sessions]\ntimeout_minutes = 45\n' >"$work/other.toml"
run import --db "$work/one.db" --config "$work/other.toml" "$d"
check "other settings: exit 1" test "$rc" = 1
check "… names the setting" grep -q 'sessions.timeout_minutes (stored 30.0, configured 45.0)' "$work/err"

# Incremental: ten shuffled chunks, each imported on its own, end where one import ends.
shuf --random-source=<(yes 7) "$d" >"$work/shuffled.jsonl"
split -n l/10 "$work/shuffled.jsonl" "$work/chunk."
restated=0
for chunk in "$work"/chunk.*; do
  run import --db "$work/chunks.db" "$chunk"
  check "chunk $(basename "$chunk") imports" test "$rc" = 0
  restated=$((restated + $(field conversions_restated "$out")))
done
check "chunks: late events restated conversions" test "$restated" -gt 0
check "chunks: the same state as one import" test "$(dump "$work/chunks.db")" = "$before"
for by in channel source_medium rule; do
  "$attrib" compare --db "$work/one.db" --by "$by" --format csv >"$work/a.csv" 2>/dev/null
  "$attrib" compare --db "$work/chunks.db" --by "$by" --format csv >"$work/b.csv" 2>/dev/null
  check "chunks: the same report by $by" cmp -s "$work/a.csv" "$work/b.csv"
done

# Bad input: each kind of invalid message kept with its reason, every valid one stored.
ok='"type":"track","event":"Viewed","anonymousId":"a1","timestamp":"2026-10-01T10:00:00Z"'
{
  echo "{$ok,\"messageId\":\"m1\"}"
  echo '{"type":"track",'                                       # invalid_json
  echo '[1,2]'                                                  # not_an_object
  echo "$(printf '{"a":%.0s' {1..70})1$(printf '}%.0s' {1..70})" # too_deep
  echo '{"event":"x","anonymousId":"a","timestamp":"2026-10-01T10:00:00Z"}'            # missing_type
  echo '{"type":"nope","anonymousId":"a","timestamp":"2026-10-01T10:00:00Z"}'          # unknown_type
  echo '{"type":"track","event":"x","timestamp":"2026-10-01T10:00:00Z"}'               # missing_id
  echo '{"type":"track","anonymousId":"a","timestamp":"2026-10-01T10:00:00Z"}'         # missing_event
  echo '{"type":"alias","userId":"u","timestamp":"2026-10-01T10:00:00Z"}'              # missing_previous_id
  echo '{"type":"alias","previousId":"p","timestamp":"2026-10-01T10:00:00Z"}'          # missing_user_id
  echo '{"type":"track","event":7,"anonymousId":"a","timestamp":"2026-10-01T10:00:00Z"}' # invalid_field
  echo '{"type":"track","event":"x","anonymousId":"a","timestamp":"yesterday"}'        # invalid_timestamp
  echo '{"type":"track","event":"x","anonymousId":"a"}'                                # missing_timestamp
  echo "{\"batch\":[{$ok,\"messageId\":\"m2\"},{\"type\":\"track\",\"anonymousId\":\"b\"},{$ok,\"messageId\":\"m3\"}]}"
  echo "{$ok,\"messageId\":\"m4\"}"
} >"$work/bad.jsonl"
run import --db "$work/bad.db" "$work/bad.jsonl"
check "bad input: exit 0" test "$rc" = 0
check "bad input: every valid message stored" test "$(field accepted "$out")" = 4
check "bad input: every invalid one rejected" test "$(field rejected "$out")" = 13
check "bad input: the counts add up" test "$(field received "$out")" = 17
for reason in invalid_json not_an_object too_deep missing_type unknown_type missing_id \
  missing_event missing_previous_id missing_user_id invalid_field invalid_timestamp \
  missing_timestamp; do
  check "bad input: a $reason row" test "$(sqlite3 "$work/bad.db" \
    "SELECT count(*) FROM bad_rows WHERE reason = '$reason'")" -ge 1
done
check "bad input: the summary counts by reason" grep -q '"missing_event": 2' <<<"$out"
check "bad input: bad rows keep the raw message" test "$(sqlite3 "$work/bad.db" \
  "SELECT raw FROM bad_rows WHERE origin LIKE '%:14: batch message 1'")" = '{"type":"track","anonymousId":"b"}'
check "bad input: bad rows say where" test "$(sqlite3 "$work/bad.db" \
  "SELECT origin FROM bad_rows WHERE reason = 'invalid_json'")" = "$work/bad.jsonl:2"
check "bad input: stored events" test "$("$attrib" export --db "$work/bad.db" --format csv |
  cut -d, -f1 | tail -n +2 | sort | paste -sd,)" = m1,m2,m3,m4
# A retry beside new messages of the same visitor: only the new ones are stored.
{
  echo "{$ok,\"messageId\":\"m4\"}"
  echo "{$ok,\"messageId\":\"m5\",\"timestamp\":\"2026-10-01T10:05:00Z\"}"
  echo "{$ok,\"messageId\":\"m1\"}"
} >"$work/retry.jsonl"
run import --db "$work/bad.db" "$work/retry.jsonl"
check "retry: the new message accepted" test "$(field accepted "$out")" = 1
check "retry: the repeats counted" test "$(field duplicates "$out")" = 2
check "retry: every message stored once" test "$("$attrib" export --db "$work/bad.db" --format csv |
  cut -d, -f1 | tail -n +2 | sort | paste -sd,)" = m1,m2,m3,m4,m5
run import --db "$work/bad.db" "$work/bad.jsonl"
check "bad input again: bad rows stored once" test "$(sqlite3 "$work/bad.db" 'SELECT count(*) FROM bad_rows')" = 13

echo "store_test: $passed passed, $failed failed"
test "$failed" = 0
