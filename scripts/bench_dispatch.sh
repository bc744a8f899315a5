#!/usr/bin/env bash
# Dispatch against its peer, in one run on one machine: no-op jobs per second through attnsweep
# (every result in the store) and no-op tasks per second through mpi4py.futures (nothing stored),
# both with mpirun -np 3 (a coordinator and two workers) and both timed over the dispatch loop
# alone, ranks already up. Median of RUNS runs (default 3). Usage: bench_dispatch.sh [build]
set -euo pipefail
build=${1:-build}
runs=${RUNS:-3}
jobs=5000
process_jobs=200  # a fresh process per job: fewer, so the old 0.4 s-per-process path stays timeable
bin="$build/attnsweep"
work="$build/bench-dispatch"
mkdir -p "$work"
sed "s/range: \[1, $jobs\]/range: [1, $process_jobs]/" bench/dispatch.yaml >"$work/process.yaml"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# attnsweep_rate MODE RANKS GRID JOBS: jobs per second over the coordinator's loop, after checking
# that every job's result is in the store.
attnsweep_rate() {
  local mode=$1 ranks=$2 grid=$3 expected=$4 db="$work/dispatch.db" launcher=() log done
  rm -rf "$db" "$db-wal" "$db-shm" "$db.logs"
  [ "$ranks" -gt 1 ] && launcher=(scripts/mpirun.sh -np "$ranks")
  log=$("${launcher[@]}" "$bin" run "$grid" --db "$db" --isolation "$mode" 2>&1) || {
    echo "$log" >&2
    return 1
  }
  # The coordinator's own count: attempts over its loop's wall time, timed to the microsecond.
  done=$("$bin" query --db "$db" --format csv "SELECT count(*) FROM jobs WHERE status = 'done'" | tail -1)
  if [ "$done" != "$expected" ]; then
    echo "bench_dispatch: $mode: $done of $expected results stored" >&2
    return 1
  fi
  sed -n 's/.*attempts handed out (\([0-9]*\) per second).*/\1/p' <<<"$log"
}

peer_rate() {
  scripts/mpirun.sh -np 3 python3 -m mpi4py.futures bench/mpi4py_noop.py "$1" 2>&1 |
    sed -n 's/.*= \([0-9.]*\) tasks\/s.*/\1/p'
}

export PATH="/usr/bin:$PATH"  # Debian's python3, which has python3-mpi4py
echo "== dispatch: no-op jobs per second, median of $runs runs, on $(nproc) cores"
echo "   (bench/dispatch.yaml; peer: mpi4py.futures, bench/mpi4py_noop.py, same np, nothing stored)"
peer=$(for _ in $(seq "$runs"); do peer_rate "$jobs"; done | median)
printf "%-26s %12s %14s %8s\n" "attnsweep" "jobs/s" "peer tasks/s" "ratio"
for setting in "inproc 3 $jobs" "host 3 $jobs" "process 3 $process_jobs" "inproc 1 $jobs"; do
  read -r mode ranks n <<<"$setting"
  grid=bench/dispatch.yaml
  [ "$mode" = process ] && grid="$work/process.yaml"
  rate=$(for _ in $(seq "$runs"); do attnsweep_rate "$mode" "$ranks" "$grid" "$n"; done | median)
  label="$mode, $([ "$ranks" -gt 1 ] && echo "mpirun -np $ranks" || echo "one rank")"
  if [ "$ranks" -eq 3 ]; then
    awk -v l="$label" -v r="$rate" -v p="$peer" 'BEGIN { printf "%-26s %12.0f %14.0f %7.2fx\n", l, r, p, r / p }'
  else
    awk -v l="$label" -v r="$rate" 'BEGIN { printf "%-26s %12.0f %14s %8s\n", l, r, "-", "-" }'
  fi
  if [ "$mode" = process ]; then
    # Two workers each start a process per job: each job's share of a worker's time.
    awk -v r="$rate" 'BEGIN { printf "%-26s %12.1f ms per job process (start, run, exit), per worker\n", "", 2000 / r }'
  fi
done
