#!/usr/bin/env bash
# `make quality`: the quality tables of docs/train.md, measured here. Runs
#   quality       examples/quality.yaml (every variant and both baselines, max_len 64 and 256,
#                 3 seeds; 4,000 customers; one rank, as the 20-minute budget is stated),
#   default_twin  the same grid on the default twin (data.customers left at its default, 8,000:
#                 twice the test customers; two single-thread workers),
#   long_context  examples/long_context.yaml (data.reach 1, max_len 64 / 256 / 1024; two
#                 single-thread workers),
# then prints test AUC as mean ± std over seeds with each cell's bootstrap interval, and the wall
# time of each. QUALITY_DIR (default build/quality) keeps the stores: a second call finishes what
# an interrupted one left and reprints the tables. QUALITY_GRIDS picks some of the three.
set -uo pipefail
build=${1:-build}
out=${QUALITY_DIR:-$build/quality}
mkdir -p "$out"
metrics=test_auc,test_auc_lo,test_auc_hi,best_epoch,epoch_s,train_tokens_per_s
# The default twin is examples/quality.yaml without its customers setting, so the two never drift.
sed -e 's/customers: 4000, //' -e 's/^name: quality$/name: quality-default-twin/' \
  examples/quality.yaml > "$out/default_twin.yaml"
for grid in ${QUALITY_GRIDS:-quality default_twin long_context}; do
  db="$out/$grid.db"
  file="examples/$grid.yaml"
  [ "$grid" = default_twin ] && file="$out/default_twin.yaml"
  start=$(date +%s)
  if [ -e "$db" ]; then
    "$build/attnsweep" resume --db "$db" || true  # finishes an interrupted batch, if any
  elif [ "$grid" = quality ]; then
    "$build/attnsweep" run "$file" --db "$db"  # one rank, as docs/train.md measured
  else
    scripts/mpirun.sh -np 3 "$build/attnsweep" run "$file" --db "$db" --threads-per-rank 1
  fi
  echo "== $file: $(( $(date +%s) - start )) s on $(nproc) cores"
  "$build/attnsweep" results --db "$db" --by model.attention,data.max_len --metrics "$metrics" \
    --format markdown
done
