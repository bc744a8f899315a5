#!/usr/bin/env bash
# `make quality`: the quality tables of docs/train.md, measured here. Runs examples/quality.yaml
# (every variant and both baselines, max_len 64 and 256, 3 seeds; one rank) and
# examples/long_context.yaml (data.reach 1, max_len 64 / 256 / 1024; two single-thread workers),
# then prints test AUC as
# mean ± std over seeds with each cell's bootstrap interval, and the wall time of each.
# QUALITY_DIR (default build/quality) keeps the stores: a second call finishes what an interrupted
# one left and reprints the tables.
set -uo pipefail
build=${1:-build}
out=${QUALITY_DIR:-$build/quality}
mkdir -p "$out"
metrics=test_auc,test_auc_lo,test_auc_hi,best_epoch,epoch_s,train_tokens_per_s
for grid in quality long_context; do
  db="$out/$grid.db"
  start=$(date +%s)
  if [ -e "$db" ]; then
    "$build/attnsweep" resume --db "$db" || true  # finishes an interrupted batch, if any
  else
    if [ "$grid" = quality ]; then
      "$build/attnsweep" run "examples/$grid.yaml" --db "$db"  # one rank, as docs/train.md measured
    else
      scripts/mpirun.sh -np 3 "$build/attnsweep" run "examples/$grid.yaml" --db "$db" \
        --threads-per-rank 1
    fi
  fi
  echo "== examples/$grid.yaml: $(( $(date +%s) - start )) s on $(nproc) cores"
  "$build/attnsweep" results --db "$db" --by model.attention,data.max_len --metrics "$metrics" \
    --format markdown
done
