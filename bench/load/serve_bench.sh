#!/usr/bin/env bash
# Load on `attrib serve` from a second process (wrk), on loopback:
#   1. ingest: POST /v1/batch, 100 new events per request, over 64 keep-alive connections, by
#      attrib_ingest_load (bench/load/ingest_load.cc): at 100 k events/s on a fixed schedule,
#      then as fast as answered; every answer is a durable ack (sent once the request is in the
#      inbox); how long the store then takes to take in what is left
#   2. connections: 1,000 concurrent clients, each request on a new connection carrying one event
#      (as browsers send them)
#   3. queries (when STORE names a store; its project PROJECT, "default" unless set):
#      GET /v1/attribution, sources, stats and compare over random windows, from 2 clients
#      (a dashboard's few at a time; more only queue behind the 2 cores), each after a warm-up
# Usage: [SECONDS_PER_RUN=30] [PROJECT=default] bench/load/serve_bench.sh ATTRIB [STORE]
set -euo pipefail
attrib=$(realpath "$1")
store=${2:-}
seconds=${SECONDS_PER_RUN:-30}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Starts attrib serve on DB (a free port) and sets $server and $url.
serve() {
  "$attrib" serve --db "$1" --listen 127.0.0.1:0 --quiet --rate-limit 1000000 2>"$work/serve.err" &
  server=$!
  for _ in $(seq 300); do
    url=$(grep -o 'http://[0-9.:]*' "$work/serve.err" || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "attrib serve did not start: $(cat "$work/serve.err")" >&2
  exit 1
}
stop() {
  kill -TERM "$server" && wait "$server" || true
  server=
}
# wrk's summary as one line: requests/s, p50, p99, max, errors.
summary() {
  awk '/Requests\/sec/ { rps = $2 }
       /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
       /^ +Latency +[0-9]/ { max = $4 }
       /Socket errors/ { errors = $0 }
       /Non-2xx/ { non2xx = $NF }
       END { printf "%s requests/s, p50 %s, p99 %s, max %s%s%s\n", rps, p50, p99, max,
                    non2xx ? ", non-2xx " non2xx : "", errors ? ", " errors : "" }' "$1"
}

# What the writer did: requests acknowledged and stored, from the server's own metrics.
writer_report() {
  curl -s "$url/metrics" | awk '
    / ([0-9.e+-]+)$/ { v[$1] = $2 }
    END {
      printf "stored %d messages (%d requests acknowledged and not yet stored); %d folds taking %.1f s; %d derivations taking %.1f s (%d people)\n",
        v["attrib_events_accepted_total"] + v["attrib_events_duplicate_total"],
        v["attrib_inbox_backlog_requests"], v["attrib_store_commit_duration_seconds_count"],
        v["attrib_store_commit_duration_seconds_sum"], v["attrib_store_derive_duration_seconds_count"],
        v["attrib_store_derive_duration_seconds_sum"], v["attrib_people_derived_total"] }'
}
backlog() {
  curl -s "$url/metrics" | awk '$1 == "attrib_inbox_backlog_requests" { print $2 }'
}

# Serves a new store NAME.db with a project of its own; sets $write_key and $AUTH.
serve_new() {
  "$attrib" project create bench --db "$work/$1.db" --format json >"$work/$1.json" 2>/dev/null
  write_key=$(grep -o '"write_key": "[^"]*"' "$work/$1.json" | cut -d'"' -f4)
  export AUTH="Basic $(printf '%s:' "$write_key" | base64 -w0)"
  serve "$work/$1.db"
}

load=$(dirname "$attrib")/bench/attrib_ingest_load
serve_new paced
echo "== ingest at 100 k events/s: /v1/batch, 100 new events per request, 1,000 requests/s on a"
echo "   fixed schedule (latency counted from each request's due time), 64 keep-alive connections, ${seconds} s"
"$load" "${url#http://}" "$write_key" --connections 64 --seconds "$seconds" --rate 1000
writer_report
start=$(date +%s.%N)
while [ "$(backlog)" != 0 ]; do sleep 0.2; done
echo "the store took in the rest $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s after the load ended"
stop

serve_new unpaced
echo "== ingest as fast as answered: the same requests, each sent once the last is answered, ${seconds} s"
"$load" "${url#http://}" "$write_key" --connections 64 --seconds "$seconds" || true
writer_report
stop

# A fresh server: the last one has a backlog as large as it allows, and turns requests away.
serve_new connections
echo "== connections: 1,000 concurrent clients, a new connection per request, ${seconds} s"
BATCH=1 wrk -t2 -c1000 -d"${seconds}s" --latency -H "Connection: close" -s "$here/batch.lua" \
  "$url" >"$work/wrk.txt"
summary "$work/wrk.txt"
stop

if [ -n "$store" ]; then
  echo "== queries on $store: random windows, 2 connections, ${seconds} s"
  read_key=$("$attrib" project keys "${PROJECT:-default}" --db "$store" --format json 2>/dev/null |
    grep -o '"read_key": "[^"]*"' | cut -d'"' -f4)
  serve "$store"
  # ENDPOINT[:INTERVAL][@LOOKBACK]
  for query in attribution sources stats attribution/compare paths attribution:day \
    attribution@7 attribution/compare@7; do
    lookback=
    [[ $query == *@* ]] && lookback=${query#*@}
    query=${query%@*}
    endpoint=${query%%:*}
    interval=${query#"$endpoint"}
    interval=${interval#:}
    export LOOKBACK=$lookback
    # A warm-up first, as a server that has been up: the page cache, and the paths the
    # data-driven models keep in memory.
    READ_KEY=$read_key ENDPOINT=$endpoint INTERVAL=$interval wrk -t2 -c2 \
      -d"$((seconds / 3 + 1))s" -s "$here/query.lua" "$url" >/dev/null
    READ_KEY=$read_key ENDPOINT=$endpoint INTERVAL=$interval wrk -t2 -c2 -d"${seconds}s" \
      --latency -s "$here/query.lua" "$url" >"$work/wrk.txt"
    params=${interval:+&interval=$interval}${lookback:+&lookback_days=$lookback}
    echo "/v1/$endpoint${params:+?${params#&}}: $(summary "$work/wrk.txt")"
  done
  stop
fi
