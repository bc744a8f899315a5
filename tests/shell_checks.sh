# What the shell-script tests (tests/multihost, tests/slurm) share: named checks that count
# failures, and grids of sleeping jobs. Sourced.
#   check DESCRIPTION COMMAND...  "ok: ..." when the command succeeds, else "FAIL: ..." (counted
#                                 in $failures)
#   equals ACTUAL EXPECTED        succeeds when they are equal, else says what differed
#   sleep_grid FILE NAME JOBS S   a grid named NAME of JOBS fault jobs that each sleep S seconds
#   checks_verdict SUITE          the summary line; returns 1 when a check failed
failures=0

check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

equals() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }

sleep_grid() {
  cat >"$1" <<GRID
name: $2
experiments:
  - name: nap
    task: fault
    params: {fault: {kind: sleep, seconds: $4}}
    grid:
      seed: {range: [1, $3]}
GRID
}

checks_verdict() {
  if [ "$failures" -eq 0 ]; then
    echo "$1: all checks passed"
  else
    echo "$1: $failures failed"
    return 1
  fi
}
