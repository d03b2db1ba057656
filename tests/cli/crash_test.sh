#!/usr/bin/env bash
# Crash safety of attrib import: killed with SIGKILL at random points (while it reads, stores or
# derives), 24 times, then run again to the end, the store equals a clean import of the same
# file — nothing lost, nothing twice, the file sound.
# Usage: crash_test.sh PATH_TO_ATTRIB
attrib=$1
source "$(dirname "$0")/harness.sh"
# Everything a store holds, in a fixed order: two stores of the same events print the same.
dump() {
  sqlite3 "$1" <"$here/tests/cli/store_dump.sql"
  "$attrib" export --db "$1" --format jsonl | sort
}

d=$work/d.jsonl
"$attrib" demo --out "$d" --visitors 3000 --seed 11 2>/dev/null
"$attrib" import --db "$work/clean.db" "$d" >/dev/null 2>&1
clean=$(dump "$work/clean.db")
check "the clean import has derived state" grep -q '^session|' <<<"$clean"

# How long an import takes here, to spread the kills over it.
start=$(date +%s%N)
"$attrib" import --db "$work/timing.db" "$d" >/dev/null 2>&1
span=$((($(date +%s%N) - start) / 1000))  # µs
[ "$span" -lt 20000 ] && span=20000

kill_at() {  # db, µs after the start: runs an import and kills it then; fails if it had ended
  "$attrib" import --db "$1" "$d" >/dev/null 2>&1 &
  local pid=$!
  sleep "$(awk -v us="$2" 'BEGIN { printf "%.6f", us / 1e6 }')"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  test $? = 137  # killed by SIGKILL
}

# 1. Twenty kills into one store, each import starting over where the last was cut, then one
#    to the end.
RANDOM=20261123
killed=0
for attempt in $(seq 200); do
  [ "$killed" = 20 ] && break
  # Later runs have less left to do: aim inside what is left.
  if kill_at "$work/crash.db" $(((RANDOM * 32768 + RANDOM) % (span / (1 + killed / 4)))); then
    killed=$((killed + 1))
  fi
done
check "killed 20 times while importing" test "$killed" = 20
check "after the kills the file is sound" test "$(sqlite3 "$work/crash.db" 'PRAGMA integrity_check')" = ok
run import --db "$work/crash.db" "$d"
check "the import after the kills completes" test "$rc" = 0
check "after the kills: the state of a clean import" test "$(dump "$work/crash.db")" = "$clean"

# 2. Four fresh stores, each killed once at a different depth, then finished.
for fraction in 10 30 50 70; do
  db=$work/fresh$fraction.db
  # A busy machine may finish sooner or later than timed: aim earlier until the kill lands.
  at=$((span * fraction / 100))
  until kill_at "$db" "$at" || [ "$at" -lt 1000 ]; do
    rm -f "$db" "$db-wal" "$db-shm"
    at=$((at / 2))
  done
  check "killed at about $fraction%: it was running" test "$at" -ge 1000
  check "killed at $fraction%: sound" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
  run import --db "$db" "$d"
  check "killed at $fraction%: finishes" test "$rc" = 0
  check "killed at $fraction%: the state of a clean import" test "$(dump "$db")" = "$clean"
done

echo "crash_test: $passed passed, $failed failed"
test "$failed" = 0
