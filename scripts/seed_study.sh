#!/usr/bin/env bash
# `make seed-study`: the seeds' studies in one command (docs/results.md). PROFILE=quick (default,
# about 7 minutes on 2 cores: examples/seed-study-quick.yaml) or PROFILE=full
# (examples/seed-study.yaml). Runs the grid through mpirun on every local core into
# $SEED_STUDY_DIR (default build/seed-study), prints the tables, and writes the HTML report beside
# the store. A second call after an interruption finishes the batch instead of starting again.
set -euo pipefail
build=${1:-build}
source scripts/study_batch.sh
study_paths seed-study "$build" "${SEED_STUDY_DIR:-$build/seed-study}"
report="$out/$profile.html"
run_study_batch seed-study "$bin" "$grid" "$db"
echo
echo "== Forward time (ms) against sequence length, one layer, batch 1"
"$bin" results --db "$db" --experiment speed --pivot data.max_len --metrics fwd_ms
echo
echo "== Forward + backward time (ms)"
"$bin" results --db "$db" --experiment speed --pivot data.max_len --metrics fwdbwd_ms
echo
echo "== Peak memory of forward + backward (MB)"
"$bin" results --db "$db" --experiment speed --pivot data.max_len --metrics fwdbwd_peak_mb
echo
echo "== Growth with length: log-log slope (1 linear, 2 quadratic), all lengths"
"$bin" results --db "$db" --experiment speed --slope data.max_len \
  --metrics fwd_ms,fwdbwd_ms,peak_mb,fwdbwd_peak_mb
echo
echo "== The same from 1024 on (short lengths are dominated by fixed costs)"
"$bin" results --db "$db" --experiment speed --slope data.max_len --where "max_len >= 1024" \
  --metrics fwd_ms,fwdbwd_ms,peak_mb,fwdbwd_peak_mb
echo
echo "== Test ROC AUC on the synthetic twin, mean ± std over 3 seeds"
"$bin" results --db "$db" --where "task = 'train'" --by model.attention,data.max_len \
  --pivot data.max_len --metrics test_auc
echo
echo "== Next event on the synthetic chain (causal attention), mean ± std over 3 seeds; oracle_*:"
echo "   the generator's own next-event distribution (the ceiling), marginal_*: category frequencies"
"$bin" results --db "$db" --experiment next-event --by model.attention \
  --metrics next_mcc_accuracy,next_mcc_logloss,next_gap_mae,oracle_next_mcc_accuracy,oracle_next_mcc_logloss,oracle_next_gap_mae,marginal_next_mcc_logloss
echo
echo "== Performer (FAVOR+): relative error of the attention output against features"
"$bin" results --db "$db" --experiment favor-features --pivot model.performer.features \
  --metrics rel_error
echo
"$bin" report --db "$db" -o "$report"
echo "seed-study ($profile): $(( elapsed / 60 )) min $(( elapsed % 60 )) s; store $db; report $report"
