# Sourced by the study scripts (seed_study.sh, signal_study.sh).

# Usage: study_paths NAME BUILD OUT: the profile's grid (examples/NAME-quick.yaml for
# PROFILE=quick, the default, examples/NAME.yaml for full), and its store in OUT (made), as
# `profile`, `grid`, `out`, `db`, `bin`.
study_paths() {
  local name=$1 build=$2
  profile=${PROFILE:-quick}
  case "$profile" in
    quick) grid=examples/$name-quick.yaml ;;
    full) grid=examples/$name.yaml ;;
    *) echo "$name: PROFILE must be quick or full, not '$profile'" >&2; exit 2 ;;
  esac
  out=$3
  mkdir -p "$out"
  db="$out/$profile.db"
  bin="$build/attnsweep"
}

# Runs a study's grid into its store through mpirun on every local core, or finishes the batch an
# interrupted call left, and sets `elapsed` to the seconds that took. Failed jobs (an OOM) are
# results: the study goes on to its tables either way.
# Usage: run_study_batch NAME BIN GRID DB
run_study_batch() {
  local name=$1 bin=$2 grid=$3 db=$4
  local ranks=$(( $(nproc) + 1 ))  # rank 0 coordinates; one worker rank per core
  local start
  start=$(date +%s)
  # The batches' rows, not the header (which has a `running` column).
  if [ -e "$db" ] && "$bin" status --db "$db" --format csv | tail -n +2 |
    grep -q ",running,\|,interrupted,\|,stopped,"; then
    echo "$name: finishing the interrupted batch in $db"
    scripts/mpirun.sh -np "$ranks" "$bin" resume --db "$db" || true
  elif [ ! -e "$db" ]; then
    echo "scripts/mpirun.sh -np $ranks $bin run $grid --db $db"
    scripts/mpirun.sh -np "$ranks" "$bin" run "$grid" --db "$db" || true
  fi
  elapsed=$(( $(date +%s) - start ))
}
