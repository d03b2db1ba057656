# Shared by the CLI test scripts (sourced): a scratch directory, pass/fail counting and a runner.
# The sourcing script sets `attrib` first.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # name, then a command that must succeed
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name" >&2
  fi
}
# run ARGS…: runs attrib, leaving stdout in $out, stderr in $err and the exit status in $rc.
run() {
  "$attrib" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
