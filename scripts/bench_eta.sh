#!/usr/bin/env bash
# The cost model's check: bench/eta_train.yaml (12 train jobs) run three times into one store under
# `mpirun -np 3` (two workers): once with no history, once again (the same jobs: their own times are
# known), and once with another seed (new jobs: the cost model's fits per variant). During each run
# `attnsweep status` is polled; the ETA it showed when a quarter of the jobs were done is compared
# with the time that was really left, and the makespan with its lower bound
# max(longest job, total work / workers).
set -euo pipefail
build=${1:-build}
db="$build/eta.db"
rm -rf "$db" "$db-wal" "$db-shm" "$db.logs" "$db.checkpoints"
seconds() { date +%s.%N; }
clock_to_s() { awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }' <<<"$1"; }
for run in 1 2 3; do
  grid=bench/eta_train.yaml
  if [ "$run" -eq 3 ]; then
    grid="$build/eta_train_seed2.yaml"
    sed 's/^name: eta-train$/name: eta-train-seed2/; s/train: {epochs/seed: 2, train: {epochs/' \
      bench/eta_train.yaml > "$grid"
    sed -i 's/      seed: 2, train:/      train:/' "$grid"
    sed -i 's/    params:/    params:\n      seed: 2/' "$grid"
  fi
  start=$(seconds)
  scripts/mpirun.sh -np 3 "$build/attnsweep" run "$grid" --db "$db" -q &
  pid=$!
  eta_at_quarter="" eta_seen_at=""
  # Until the run exits (a finished child stays a zombie, which kill -0 still finds, until `wait`).
  while [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" != "" ] &&
    [ "$(ps -o stat= -p "$pid" | cut -c1)" != "Z" ]; do
    # Nothing until the run has created its store.
    # The columns by their header's names (status has gained columns after "eta" before).
    summary=$("$build/attnsweep" status --db "$db" --format csv 2>/dev/null | awk -F, -v b="$run" '
      NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
      $1 == b { print $column["done"] "," $column["eta"] }' || true)
    done_jobs=$(cut -d, -f1 <<<"$summary")
    eta=$(cut -d, -f2 <<<"$summary")
    if [ -z "$eta_at_quarter" ] && [ -n "$done_jobs" ] && [ "$done_jobs" -ge 3 ] && [ -n "$eta" ]; then
      eta_at_quarter=$eta
      eta_seen_at=$(seconds)
    fi
    sleep 0.5
  done
  wait "$pid" || true
  end=$(seconds)
  "$build/attnsweep" query --db "$db" --format csv \
    "SELECT (julianday(finished_at) - julianday(started_at)) * 86400 FROM jobs WHERE batch_id = $run" \
    | tail -n +2 > "$build/eta_durations.txt"
  awk -v run="$run" -v start="$start" -v end="$end" -v eta="$eta_at_quarter" -v seen="$eta_seen_at" \
    -v eta_s="$( [ -n "$eta_at_quarter" ] && clock_to_s "$eta_at_quarter" || echo 0)" '
    { total += $1; if ($1 > longest) longest = $1 }
    END {
      bound = total / 2 > longest ? total / 2 : longest
      makespan = end - start
      printf "run %d: makespan %.1f s, lower bound %.1f s (longest %.1f s, work %.1f s / 2 workers): x%.2f\n",
             run, makespan, bound, longest, total, makespan / bound
      if (eta != "") printf "       ETA at 3/12 done: %s (%.0f s); really left: %.1f s\n", eta, eta_s, end - seen
      else printf "       no ETA shown at 3/12 done\n"
    }' "$build/eta_durations.txt"
done
