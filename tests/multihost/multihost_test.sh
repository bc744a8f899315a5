#!/usr/bin/env bash
# attnsweep across simulated hosts (tests/multihost/hosts.sh): 3 hosts x 2 slots, rank 0 on node1.
#   multihost_test.sh BUILD_DIR short   a sweep exactly once, placement per host, the store opened on
#                                       the coordinator's host only, status while it runs (< 60 s)
#   multihost_test.sh BUILD_DIR faults  a host's ranks killed, a whole host killed, a host frozen
#                                       and cut off: each ends the MPI job, resume finishes it
# Exit 0 when every check holds; each failure is printed as "FAIL: ...".
set -uo pipefail
build=$(cd "${1:?usage: multihost_test.sh BUILD_DIR short|faults}" && pwd)
suite=${2:-short}
bin="$build/attnsweep"
source "$(dirname "${BASH_SOURCE[0]}")/hosts.sh"
if ! hosts_possible; then
  echo "SKIPPED: simulated hosts need root and network namespaces (ip netns add failed here)"
  exit 77
fi
source "$(dirname "${BASH_SOURCE[0]}")/../shell_checks.sh"
query() { "$bin" query --db "$db" --format csv "$1" | tail -n +2; }

hosts_up 3 2
db="$HOSTS_DIR/store/s.db"
mkdir -p "$HOSTS_DIR/store"
grid() { sleep_grid "$HOSTS_DIR/grid.yaml" multihost "$1" "$2"; }  # grid JOBS SECONDS
# Every job done, with one result and one attempt that ended done (a resumed batch may hold lost
# or interrupted attempts of the jobs that were running, never a second done one).
exactly_once() {
  local jobs=$1
  equals "$(query "SELECT count(*) FROM jobs WHERE status = 'done'")" "$jobs" &&
    equals "$(query "SELECT count(*) FROM results")" "$jobs" &&
    equals "$(query "SELECT count(*) FROM (SELECT job_id FROM attempts WHERE outcome = 'done' GROUP BY job_id HAVING count(*) = 1)")" "$jobs" &&
    equals "$(query "PRAGMA integrity_check")" "ok"
}

if [ "$suite" = short ]; then
  # 1. A sweep over 3 hosts x 2 slots: every job once; threads per job = a host's cores over its
  # worker ranks (node1 holds the coordinator, so its one worker gets all its cores).
  grid 60 0.05
  start=$(date +%s.%N)
  hosts_mpirun -np 6 "$bin" run "$HOSTS_DIR/grid.yaml" --db "$db" --isolation inproc -q
  check "a sweep over 3 hosts x 2 slots exits 0" equals "$?" 0
  echo "  $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f s", e - s }') for 60 jobs"
  check "every job done exactly once" exactly_once 60
  cores=$(nproc)
  half=$((cores / 2 > 0 ? cores / 2 : 1))
  check "placement: node1's worker (beside the coordinator) gets every core, the others half" \
    equals "$(query "SELECT group_concat(host || ':' || rank || ':' || threads, ' ') FROM (SELECT DISTINCT host, rank, threads FROM jobs ORDER BY rank)")" \
    "node1:1:$cores node2:2:$half node2:3:$half node3:4:$half node3:5:$half"

  # 2. While a sweep runs: no process on node2 or node3 has the store open (job logs and results
  # travel in messages), rank 0 on node1 does, and status and results answer on node1.
  # Under load (two cores, a load average of 10) six ranks take seconds to start and `status` as
  # long to answer, which outlasted a sweep of 40 short jobs: one job of 8 s keeps the batch
  # running long enough, the file descriptors are watched until the sweep ends (by time, not a
  # count of rounds), and status and results are asked once, beside the watch, as soon as rank 0
  # has the store open.
  rm -rf "$HOSTS_DIR/store" "$HOSTS_DIR/status.out" "$HOSTS_DIR/results.ok"
  mkdir -p "$HOSTS_DIR/store"
  grid 40 0.4
  cat >>"$HOSTS_DIR/grid.yaml" <<'GRID'
  - name: long
    task: fault
    params: {fault: {kind: sleep, seconds: 8}}
GRID
  hosts_mpirun -np 6 "$bin" run "$HOSTS_DIR/grid.yaml" --db "$db" -q &
  run=$!
  opened_elsewhere="" opened_on_node1="" probe=""
  deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
    for host in node1 node2 node3; do
      for pid in $(hosts_pids "$host"); do
        if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$HOSTS_DIR/store/s.db"; then
          if [ "$host" = node1 ]; then opened_on_node1=yes; else opened_elsewhere="$host (pid $pid)"; fi
        fi
      done
    done
    if [ -z "$probe" ] && [ -n "$opened_on_node1" ]; then
      (
        hosts_exec node1 "'$bin' status --db '$db' --format csv" >"$HOSTS_DIR/status.out" 2>&1
        hosts_exec node1 "'$bin' results --db '$db' --format csv" >/dev/null 2>&1 &&
          touch "$HOSTS_DIR/results.ok"
      ) &
      probe=$!
    fi
    kill -0 "$run" 2>/dev/null || break
  done
  wait "$run"
  check "the sweep ends with 0" equals "$?" 0
  [ -n "$probe" ] && wait "$probe"
  check "rank 0 on node1 has the store open while the sweep runs" equals "$opened_on_node1" yes
  check "no process on node2 or node3 opens the store" equals "$opened_elsewhere" ""
  check "status on node1 shows the batch running, mid-sweep" \
    grep -q "multihost,running" "$HOSTS_DIR/status.out"
  check "results on node1 answer mid-sweep" test -f "$HOSTS_DIR/results.ok"
  check "every job done exactly once" exactly_once 41
fi

if [ "$suite" = faults ]; then
  # A lost host ends the MPI job (Open MPI 4.1 has no fault tolerance); `resume` finishes the batch.
  lose_a_host() {  # lose_a_host WHAT EXPECTED_EXIT LIMIT_S: WHAT is ranks, host or freeze
    db="$HOSTS_DIR/store/s.db"
    rm -rf "$HOSTS_DIR/store"
    mkdir -p "$HOSTS_DIR/store"
    grid 40 0.5
    hosts_mpirun -np 6 "$bin" run "$HOSTS_DIR/grid.yaml" --db "$db" -q &
    local run=$! done_jobs=0 deadline=$((SECONDS + 120))
    while [ "$SECONDS" -lt "$deadline" ]; do  # by time, not rounds: start-up is slow under load
      sleep 0.1
      done_jobs=$( [ -f "$db" ] && query "SELECT count(*) FROM jobs WHERE status = 'done'" 2>/dev/null || echo 0)
      [ "${done_jobs:-0}" -ge 8 ] && break
      kill -0 "$run" 2>/dev/null || break
    done
    local start
    start=$(date +%s.%N)
    case $1 in
      ranks) for pid in $(hosts_pids node3); do
          [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = attnsweep ] && kill -9 "$pid"
        done ;;
      host) hosts_kill node3 ;;
      freeze) hosts_freeze node3 ;;
    esac
    wait "$run"
    local code=$?
    local took
    took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    echo "  $1: mpirun exited $code ${took} s after the fault, $done_jobs jobs done before it"
    check "$1: the MPI job ends (exit $code, expected $2)" equals "$code" "$2"
    check "$1: it ends within $3 s (took $took s)" awk -v t="$took" -v l="$3" 'BEGIN { exit !(t <= l) }'
    if [ "$1" = ranks ]; then
      # The rank-death check across hosts: rank 0 cannot see node3's processes, so a worker there
      # that stays silent after the interrupt is taken for dead and its job blamed (rank_died);
      # the live workers on node1 and node2 answer, and their jobs are only interrupted.
      check "ranks: the jobs of node3's dead ranks end rank_died, no other" equals \
        "$(query "SELECT group_concat(DISTINCT host) FROM attempts WHERE outcome = 'rank_died'")" node3
      check "ranks: rank_died says the rank did not answer" equals \
        "$(query "SELECT count(*) FROM attempts WHERE outcome = 'rank_died' AND error NOT LIKE '%on node3 did not answer within%'")" 0
      check "ranks: the jobs running on node1 and node2 end interrupted" equals \
        "$(query "SELECT count(*) > 0 FROM attempts WHERE outcome = 'interrupted' AND host IN ('node1', 'node2')")" 1
    fi
    # The lost host's namespace is gone for good: resume on the two others.
    [ "$1" = ranks ] || hosts_kill node3
    sed -i '/^node3 /d' "$HOSTS_DIR/hostfile"
    hosts_mpirun -np 4 "$bin" resume --db "$db" -q
    check "$1: resume on the remaining hosts exits 0" equals "$?" 0
    check "$1: every job done exactly once" exactly_once 40
    echo "node3 slots=2" >>"$HOSTS_DIR/hostfile"
  }
  lose_a_host ranks 137 5
  hosts_down
  hosts_up 3 2
  lose_a_host host 205 5
  hosts_down
  hosts_up 3 2
  lose_a_host freeze 205 15
fi

checks_verdict "multihost $suite"
