#!/usr/bin/env bash
# A seeded kill -9 campaign: each trial starts a sweep under mpirun (a coordinator, two workers),
# kills one of its processes at a random moment (mpirun, rank 0, a worker rank, a job process, a
# worker rank's job launcher, or a rank while the first resume runs: a double fault) -- in one trial of three counted from the start
# (start-up), in the others from the moment the batch is stored (mid-batch) -- then runs plain `resume` until the batch is
# done, repeating it only after a fault of its own. After each trial it checks what the project
# promises: every job done exactly once (one done attempt each), no job done before the kill
# changed or run again, PRAGMA integrity_check ok; after a launcher's kill, besides, the sweep
# itself ends with every job done and no attempt charged to a job (the machinery's fault).
# Usage: fault_campaign.sh BUILD_DIR TRIALS [SEED]   (exit 0: every trial held; 77: cannot run)
# FAULT_CAMPAIGN_KINDS="mpirun rank0 worker job launcher resume" kills those in turn instead of at
# random.
# FAULT_CAMPAIGN_GRID=asha runs train jobs under an ASHA scheduler instead of sleeps, and checks
# besides that the stored decisions are those the rule gives the stored figures in the order they
# were decided (computed here, apart from attnsweep's code), and that every job trained exactly as
# far as they said: no job past a stop, no rung skipped.
set -uo pipefail
build=$(realpath "$1")
trials=${2:-8}
seed=${3:-$(date +%s)}
root=$(cd "$(dirname "$0")/../.." && pwd)
mpirun_sh=$root/scripts/mpirun.sh
source "$root/tests/shell_checks.sh"
command -v python3 > /dev/null || {
  echo "python3 is needed to read the store's integrity: skipped"
  exit 77
}
RANDOM=$seed
read -r -a kinds <<< "${FAULT_CAMPAIGN_KINDS:-}"
# A rank that crashes leaves a core in its trial's folder (kept when the trial breaks).
ulimit -c unlimited 2> /dev/null
echo "fault campaign: $trials trials of the ${FAULT_CAMPAIGN_GRID:-sleep} grid, seed $seed"

work=$(mktemp -d)
trap 'pkill -9 -f "$work/" 2>/dev/null; rm -rf "$work"' EXIT
# The campaign's own copy of the binaries (attnsweep and the engine it hands run and resume to):
# a rebuild while it runs (or a `make` beside it) cannot change what a trial runs, and its
# processes are found by this path (the engine keeps the command line it was started with).
mkdir -p "$work/bin/libexec" && cp "$build/attnsweep" "$work/bin/" &&
  cp "$build/libexec/attnsweep" "$work/bin/libexec/" || exit 1
attnsweep=$work/bin/attnsweep

grid=${FAULT_CAMPAIGN_GRID:-sleep}
if [ "$grid" = asha ]; then
  # 24 small train jobs (12 sampled learning rates of two variants), stopped early at epochs 1 and
  # 3 of 9 by ASHA within each variant: a few seconds of work in all on two workers.
  cat > "$work/grid.yaml" << 'GRID'
name: faults-asha
defaults:
  data: {customers: 1200, max_len: 32, signal: 3}
  model: {d_model: 8, heads: 2, layers: 1, ff_dim: 16}
  train: {batch_size: 32, patience: 0}
experiments:
  - name: tune
    task: train
    limits: {isolation: process}
    grid: {model.attention: [bag, gru]}
    search: {samples: 12, seed: 5, train.lr: {loguniform: [0.0001, 0.3]}}
    scheduler: {type: asha, metric: val_auc, grace: 1, max_epochs: 9, reduction: 3,
                per: model.attention}
GRID
else
  # A grid of 24 short jobs, each in a job process of its own (seconds of work in all on two
  # workers).
  cat > "$work/grid.yaml" << 'GRID'
name: faults
experiments:
  - name: work
    task: fault
    limits: {isolation: process}
    params: {fault: {kind: sleep, seconds: 0.2}}
    grid: {seed: {range: [1, 24]}}
GRID
fi
jobs=24

sql() { "$attnsweep" query --db "$1" --format csv "$2" 2> /dev/null | tail -n +2; }

# Children of a process, oldest first.
children() { pgrep -P "$1" | sort -n; }

# The pid to kill for `target`, under the script `script` (script -> mpirun -> ranks ->
# launchers -> job processes); empty when there is none yet.
victim() {
  local script=$1 target=$2 mpirun ranks
  mpirun=$(children "$script" | head -1)
  [ -n "$mpirun" ] || return 0
  ranks=$(children "$mpirun")
  case $target in
    mpirun) echo "$mpirun" ;;
    rank0) echo "$ranks" | head -1 ;;
    worker) echo "$ranks" | tail -1 ;;
    launcher)
      # A worker rank's oldest child: its launcher, forked before anything else (job_launcher.h).
      children "$(echo "$ranks" | tail -1)" | head -1
      ;;
    job)
      local rank launcher
      for rank in $(echo "$ranks" | tail -n +2); do
        for launcher in $(children "$rank"); do
          children "$launcher" | head -1
        done
      done | head -1
      ;;
  esac
}

# The scheduler's promises, from the store alone (FAULT_CAMPAIGN_GRID=asha): ASHA (grace 1,
# reduction 3, 9 epochs: rungs 1 and 3) recomputed over the stored figures in decision order gives
# every stored decision; a stopped job ran to its stop and no further, with a `continue` at each
# rung before; a job never stopped ran 9 epochs with a `continue` at both rungs.
decisions_hold() {
  python3 - "$1" << 'PY'
import math, sqlite3, sys
from collections import defaultdict
db = sqlite3.connect(sys.argv[1])
rungs, reduction, max_epochs = [1, 3], 3, 9
problems = []
seen = defaultdict(list)
by_job = defaultdict(dict)
for job, epoch, group, value, decision, reached, better in db.execute(
        "SELECT job_id, epoch, group_key, value, decision, reached, better FROM rung_decisions "
        "ORDER BY id"):
    figures = seen[(group, epoch)]
    figures.append(value)
    n_better = sum(1 for v in figures if v > value)
    expected = "continue" if n_better < math.ceil(len(figures) / reduction) else "stop"
    if (decision, reached, better) != (expected, len(figures), n_better):
        problems.append(f"job {job} epoch {epoch}: stored {decision} ({better} of {reached} "
                        f"better), the rule gives {expected} ({n_better} of {len(figures)})")
    by_job[job][epoch] = decision
for job, epochs, stopped in db.execute(
        "SELECT j.id, (SELECT value FROM metrics WHERE job_id = j.id AND name = 'epochs'), "
        "(SELECT value FROM metrics WHERE job_id = j.id AND name = 'stopped_at_epoch') "
        "FROM jobs j"):
    asked = by_job.get(job, {})
    stops = [e for e, d in asked.items() if d == "stop"]
    last = stops[0] if stops else max_epochs
    wanted = {e: "continue" for e in rungs if e < last}
    if stops:
        wanted[last] = "stop"
    if len(stops) > 1 or asked != wanted or epochs != last or stopped != (last if stops else None):
        problems.append(f"job {job}: decisions {asked}, ran {epochs} epochs, stopped at {stopped}")
print("\n".join(problems) if problems else "ok")
PY
}

integrity() {
  python3 - "$1" << 'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])
PY
}

# Waits (at most 30 s, or until the sweep ends) until the sweep has stored its batch. Python's
# sqlite3 rather than `attnsweep query`: it answers in milliseconds, not the binary's start-up.
batch_stored() {
  python3 - "$1" "$2" << 'PY'
import os, sqlite3, sys, time
db, sweep = sys.argv[1], int(sys.argv[2])
for _ in range(300):
    try:
        if sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1).execute("SELECT count(*) FROM batches").fetchone()[0]:
            break
    except sqlite3.Error:
        pass
    try:
        os.kill(sweep, 0)
    except OSError:
        break
    time.sleep(0.1)
PY
}

trial() {
  local n=$1 dir=$work/trial$1 targets=(mpirun rank0 worker job launcher resume)
  local target=${targets[$((RANDOM % 6))]} delay=$((300 + RANDOM % 2200))
  # The short form names the kinds in turn, so that its few trials hold every one.
  [ "${#kinds[@]}" -gt 0 ] && target=${kinds[$(((n - 1) % ${#kinds[@]}))]}
  local from=start
  # The 24 jobs take about two seconds once the batch is stored.
  [ $((RANDOM % 3)) != 0 ] && from=batch delay=$((delay % 1500))
  mkdir -p "$dir"
  cp "$work/grid.yaml" "$dir/"
  cd "$dir" || return 1
  setsid "$mpirun_sh" -np 3 "$attnsweep" run grid.yaml --db a.db -q > run.log 2>&1 &
  local script=$!
  [ "$from" = batch ] && batch_stored a.db "$script"
  sleep "$(printf '0.%03d' $((delay % 1000)))"
  sleep $((delay / 1000))
  local before pid
  before=$(sql a.db "SELECT id, attempts, finished_at FROM jobs WHERE status = 'done' ORDER BY id")
  pid=$(victim "$script" "${target/resume/worker}")
  local what="$target at ${delay} ms after the $from"
  if [ "$target" != resume ] && [ -n "$pid" ]; then kill -9 "$pid" 2> /dev/null; fi
  timeout 60 tail --pid="$script" -f /dev/null
  local run_status=0
  wait "$script" 2> /dev/null || run_status=$?
  if [ "$target" = launcher ] && [ -n "$pid" ]; then
    # The machinery's fault, not the jobs': the sweep gets over it by itself.
    what="$what (run: exit $run_status)"
    local charged unfinished
    charged=$(sql a.db "SELECT count(*) FROM attempts WHERE outcome IN ('crash', 'killed', 'lost', 'rank_died')")
    unfinished=$(sql a.db "SELECT count(*) FROM jobs WHERE status != 'done'")
    if [ "$run_status" != 0 ] || [ "$charged" != 0 ] || [ "$unfinished" != 0 ]; then
      echo "  trial $n ($what): after its launcher's kill the sweep ended with exit $run_status," \
        "$unfinished jobs not done, $charged attempts charged to jobs:"
      tail -5 run.log
      return 1
    fi
  fi
  # Killed before it stored its batch: as resume says then, the user starts `run` again.
  if [ "$(sql a.db "SELECT count(*) FROM batches")" != 1 ]; then
    what="$what, before the batch was stored"
    rm -f a.db a.db-wal a.db-shm
    ATTNSWEEP_MPIRUN_QUIET=0 "$mpirun_sh" -np 3 "$attnsweep" run grid.yaml --db a.db -v \
      > rerun.log 2>&1
    what="$what, run again: exit $?"
  fi
  # Plain resume until the batch is done; again only after a fault of its own.
  local attempt status=0 own_fault
  for attempt in 1 2 3 4; do
    [ "$(sql a.db "SELECT count(*) FROM jobs WHERE status != 'done'")" = 0 ] && break
    # Verbose, with Open MPI's notices: a broken trial's logs say how far each process got.
    ATTNSWEEP_MPIRUN_QUIET=0 setsid "$mpirun_sh" -np 3 "$attnsweep" resume --db a.db -v \
      > "resume$attempt.log" 2>&1 &
    local resume=$!
    own_fault=0
    if [ "$target" = resume ] && [ "$attempt" = 1 ]; then
      sleep 0.$((RANDOM % 9 + 1))
      pid=$(victim "$resume" worker)
      [ -n "$pid" ] && kill -9 "$pid" 2> /dev/null && own_fault=1
    fi
    status=0
    timeout 60 tail --pid="$resume" -f /dev/null
    wait "$resume" || status=$?
    if [ "$status" != 0 ] && [ "$own_fault" = 0 ]; then
      echo "  trial $n ($what): resume failed without a fault of its own (exit $status):"
      tail -3 "resume$attempt.log"
      return 1
    fi
  done
  local ok=1
  equals "$(sql a.db "SELECT count(*) FROM jobs WHERE status = 'done'")" "$jobs" || ok=0
  equals "$(sql a.db "SELECT count(*) FROM (SELECT job_id FROM attempts WHERE outcome = 'done' \
    GROUP BY job_id HAVING count(*) = 1)")" "$jobs" || ok=0
  local after
  after=$(sql a.db "SELECT id, attempts, finished_at FROM jobs WHERE status = 'done' ORDER BY id")
  # Every row done before the kill is there unchanged.
  while IFS= read -r row; do
    [ -z "$row" ] && continue
    grep -qxF "$row" <(echo "$after") || {
      echo "  done before the kill, changed or gone: $row"
      ok=0
    }
  done <<< "$before"
  equals "$(integrity a.db)" ok || ok=0
  if [ "$grid" = asha ]; then equals "$(decisions_hold a.db)" ok || ok=0; fi
  # Nothing of the trial may outlive it: an orphaned rank or job process would hold a core forever.
  # (Ten seconds' grace: ranks orphaned by a killed mpirun notice it within a few.)
  local left wait
  for wait in $(seq 1 100); do
    left=$(pgrep -f "^$attnsweep " | wc -l)
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  if [ "$left" != 0 ]; then
    echo "  left running after the trial: $left processes"
    pgrep -af "^$attnsweep "
    pkill -9 -f "^$attnsweep "
    ok=0
  fi
  echo "  trial $n: $what, $(echo "$before" | grep -c .) done before the kill: \
$([ $ok = 1 ] && echo held || echo BROKEN)"
  [ $ok = 1 ]
}

# A trial that broke keeps its folder (the store, every log) for a look.
keep=${FAULT_CAMPAIGN_KEEP:-/tmp}
kept_trial() {
  trial "$1" && return 0
  rm -rf "$keep/attnsweep-fault-$seed-trial$1"
  cp -r "$work/trial$1" "$keep/attnsweep-fault-$seed-trial$1" &&
    echo "  kept in $keep/attnsweep-fault-$seed-trial$1"
  return 1
}
for n in $(seq 1 "$trials"); do
  check "trial $n" kept_trial "$n"
done
echo "fault campaign, seed $seed: $((trials - failures)) of $trials trials held"
checks_verdict "fault campaign"
