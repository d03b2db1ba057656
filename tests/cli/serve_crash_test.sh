#!/usr/bin/env bash
# Durability of attrib serve: a client sends batches and retries each until it is acknowledged
# while the server is killed with SIGKILL at random points, 20 times, and started again. In the
# end every acknowledged messageId is stored exactly once (some from the inbox, where they
# waited for the store when the server died), nothing is stored twice, and the files are sound.
# Usage: serve_crash_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"
db=$work/serve.db
"$attrib" project create crash --db "$db" --format json >"$work/keys.json" 2>/dev/null
wk=$(sed -n 's/.*"write_key": *"\([^"]*\)".*/\1/p' "$work/keys.json")
check "the project has a write key" test -n "$wk"

server_pid=
start_server() {  # starts attrib serve on a free port; sets $port
  rm -f "$work/serve.log"
  "$attrib" serve --db "$db" --listen 127.0.0.1:0 --quiet 2>"$work/serve.log" &
  server_pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's#.*serving .* on http://127.0.0.1:\([0-9]*\)/.*#\1#p' "$work/serve.log")
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "the server did not start:" >&2
  cat "$work/serve.log" >&2
  return 1
}

# Batch i: 20 messages with ids b<i>-<j>, page views and an order of a few visitors.
batch() {
  local i=$1 j at body='{"batch":['
  for j in $(seq 0 19); do
    [ "$j" = 0 ] || body+=','
    at=$(printf '2026-11-01T10:%02d:00Z' "$j")
    if [ $((j % 10)) = 9 ]; then
      body+="{\"type\":\"track\",\"event\":\"Order Completed\",\"messageId\":\"b$i-$j\",\"anonymousId\":\"v$((i % 7))\",\"timestamp\":\"$at\",\"properties\":{\"revenue\":10}}"
    else
      body+="{\"type\":\"page\",\"messageId\":\"b$i-$j\",\"anonymousId\":\"v$((i % 7))\",\"timestamp\":\"$at\",\"context\":{\"page\":{\"url\":\"https://shop.example/?utm_source=s$((i % 3))\"}}}"
    fi
  done
  printf '%s]}' "$body"
}

# The client: sends batch $(cat next) until it is acknowledged, then the next one; records
# the acknowledged ids. Stops when told to.
echo 0 >"$work/next"
: >"$work/acked"
client() {
  while [ ! -e "$work/stop" ]; do
    local i
    i=$(cat "$work/next")
    if resp=$(batch "$i" | curl -s -m 5 -u "$wk:" -H 'Content-Type: application/json' \
      --data-binary @- "http://127.0.0.1:$port/v1/batch") && [[ $resp == *'"success":true'* ]]; then
      seq 0 19 | sed "s/^/b$i-/" >>"$work/acked"
      echo $((i + 1)) >"$work/next"
    else
      sleep 0.02
    fi
  done
}

RANDOM=20261124
killed=0
recovered=0  # restarts that found acknowledged requests left in the inbox
for round in $(seq 20); do
  start_server || break
  grep -q "requests acknowledged before the last stop" "$work/serve.log" && recovered=$((recovered + 1))
  rm -f "$work/stop"
  client &
  client_pid=$!
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.1 + (r % 600) / 1000 }')"
  kill -9 "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  [ $? = 137 ] && killed=$((killed + 1))
  touch "$work/stop"
  wait "$client_pid"
done
check "killed the server 20 times under load" test "$killed" = 20
check "restarts stored what the inbox held ($recovered of 20)" test "$recovered" -ge 1
acked=$(sort -u "$work/acked" | wc -l)
check "batches were acknowledged between the kills (got $acked ids)" test "$acked" -ge 200

# A last, clean run derives what the kills left pending.
start_server
sleep 0.5
kill -TERM "$server_pid"
wait "$server_pid"
check "the server stops cleanly on SIGTERM" test $? = 0
check "the file is sound" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
check "the inbox is sound" test "$(sqlite3 "$db.inbox" 'PRAGMA integrity_check')" = ok
check "a clean stop leaves nothing in the inbox" \
  test "$(sqlite3 "$db.inbox" 'SELECT count(*) FROM inbox')" = 0
"$attrib" export --db "$db" --project crash --what events --format jsonl |
  sed -n 's/^{"message_id":"\([^"]*\)".*/\1/p' | sort >"$work/stored"
check "nothing is stored twice" test -z "$(uniq -d "$work/stored")"
missing=$(sort -u "$work/acked" | comm -23 - "$work/stored" | wc -l)
check "every acknowledged message is stored ($missing missing)" test "$missing" = 0

echo "serve_crash_test: $passed passed, $failed failed"
test "$failed" = 0
