#!/usr/bin/env bash
# `make demo`: runs examples/quick.yaml through mpirun on the local cores into a fresh store, and
# prints its results table.
set -euo pipefail
build=${1:-build}
db="$build/demo.db"
rm -f "$db" "$db-wal" "$db-shm"
# Rank 0 coordinates; one worker rank per core, each with one LibTorch thread.
ranks=$(( $(nproc) + 1 ))
echo "scripts/mpirun.sh -np $ranks $build/attnsweep run examples/quick.yaml --db $db"
scripts/mpirun.sh -np "$ranks" "$build/attnsweep" run examples/quick.yaml --db "$db"
echo
"$build/attnsweep" results --db "$db" --by model.attention,data.max_len \
  --metrics fwd_ms,fwdbwd_ms,peak_mb,fwdbwd_peak_mb,tokens_per_s
echo
echo "The store is $db: try '$build/attnsweep status --db $db' or"
echo "  $build/attnsweep query --db $db \"SELECT attention, max_len, fwd_ms, peak_mb FROM results\""
