#!/usr/bin/env bash
# `make demo`: runs examples/demo.yaml through mpirun on the local cores into a fresh store, prints
# the variants × lengths tables, and writes an HTML report of it.
set -euo pipefail
build=${1:-build}
db="$build/demo.db"
report="$build/demo.html"
rm -rf "$db" "$db-wal" "$db-shm" "$db.logs" "$db.checkpoints"
# Rank 0 coordinates; one worker rank per core.
ranks=$(( $(nproc) + 1 ))
echo "scripts/mpirun.sh -np $ranks $build/attnsweep run examples/demo.yaml --db $db"
scripts/mpirun.sh -np "$ranks" "$build/attnsweep" run examples/demo.yaml --db "$db"
echo
echo "Forward + backward time (ms) of one attention layer, variants × sequence length:"
"$build/attnsweep" results --db "$db" --experiment speed --pivot data.max_len --metrics fwdbwd_ms
echo
echo "Its peak memory (MB):"
"$build/attnsweep" results --db "$db" --experiment speed --pivot data.max_len \
  --metrics fwdbwd_peak_mb
echo
echo "Growth with length (log-log slope: 1 linear, 2 quadratic):"
"$build/attnsweep" results --db "$db" --experiment speed --slope data.max_len \
  --metrics fwd_ms,fwdbwd_ms,fwdbwd_peak_mb
echo
echo "Test ROC AUC after 3 epochs on 600 synthetic customers (one seed: a smoke test, not a study):"
"$build/attnsweep" results --db "$db" --experiment quality --metrics test_auc,epoch_s
echo
"$build/attnsweep" report --db "$db" -o "$report"
echo
echo "Next: open $report in a browser; '$build/attnsweep status --db $db';"
echo "  '$build/attnsweep query --db $db \"SELECT attention, max_len, fwd_ms, peak_mb FROM results\"';"
echo "  'make seed-study' runs the seeds' studies (about 7 minutes) and writes their report."
