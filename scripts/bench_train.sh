#!/usr/bin/env bash
# Training throughput against PyTorch 2.6 training the same classifier (bench/train_peer.py) in the
# Debian 13 root of scripts/debian13_root.sh: one synthetic CSV folder (`attnsweep data generate`)
# read by both; for each variant, length and thread count, interleaved pairs (an attnsweep train
# job of one rank, then the peer, `pairs` times over); the table gives each side's median
# train_tokens_per_s and the median of the pairs' ratios (ours over the peer's: above 1, ours
# trains faster). Both count the real (not padding) events of the training windows over each
# epoch's wall time, batch making included, validation not.
# Usage: bench_train.sh [build]
#   TRAIN_VARIANTS="softmax_chunked performer linformer gru" TRAIN_LENGTHS="256 1024"
#   TRAIN_THREADS="1 2" TRAIN_PAIRS=3 TRAIN_CUSTOMERS=2000 TRAIN_EPOCHS=2 TRAIN_DROPOUT=0
#   PEERS_DIR=folder holding checkouts of lucidrains' performer-pytorch and linformer (the peers of
#   performer and linformer: without them those rows say "no peer")   (the defaults)
# Exit 77 (skipped) where the Debian 13 root cannot be made here.
set -euo pipefail
build=${1:-build}
# The benchmark programs are not built by default (CMakeLists.txt: bench_tools).
cmake --build "$build" --target bench_tools >/dev/null
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(bash "$here/scripts/debian13_root.sh" ensure python3-einops libopenblas0-openmp) || exit $?
out=$build/bench-train
work=/tmp/attnsweep-bench-train  # inside the root
rm -rf "$out" "$root$work"
mkdir -p "$out" "$root$work"
cp "$here/bench/train_peer.py" "$here/bench/lucidrains.py" "$root$work/"
pythonpath=$work
if [ -n "${PEERS_DIR:-}" ]; then
  for repo in performer-pytorch linformer local-attention axial-positional-embedding; do
    if [ -d "$PEERS_DIR/$repo" ]; then
      cp -r "$PEERS_DIR/$repo" "$root$work/"
      pythonpath=$pythonpath:$work/$repo
    fi
  done
fi
# shellcheck source=scripts/bench_blas.sh
source "$here/scripts/bench_blas.sh"
bench_openblas_core "$build"
core=${OPENBLAS_CORETYPE:-}
bench_peer_blas_check "$root"
"$build/attnsweep" data generate --out "$root$work/data" --customers "${TRAIN_CUSTOMERS:-2000}" \
  --seed 1 | tail -1
has_peer() {
  case $1 in
    performer) [ -d "$root$work/performer-pytorch" ] ;;
    linformer) [ -d "$root$work/linformer" ] ;;
    *) true ;;
  esac
}
results=$out/pairs.jsonl
: >"$results"
epochs=${TRAIN_EPOCHS:-2}
dropout=${TRAIN_DROPOUT:-0}
for threads in ${TRAIN_THREADS:-1 2}; do
  for length in ${TRAIN_LENGTHS:-256 1024}; do
    for variant in ${TRAIN_VARIANTS:-softmax_chunked performer linformer gru}; do
      peer_variant=$variant
      [ "$variant" = softmax_chunked ] && peer_variant=softmax
      cat >"$out/grid.yaml" <<GRID
name: train-throughput
experiments:
  - name: throughput
    task: train
    params:
      model: {attention: $variant, d_model: 64, heads: 4, layers: 2, ff_dim: 128, dropout: $dropout}
      data: {source: csv, path: $root$work/data, max_len: $length}
      train: {epochs: $epochs, batch_size: 32, patience: 0}
GRID
      for pair in $(seq 1 "${TRAIN_PAIRS:-3}"); do
        rm -f "$out/ours.db"
        "$build/attnsweep" -q run "$out/grid.yaml" --db "$out/ours.db" --threads-per-rank "$threads"
        ours=$("$build/attnsweep" query --db "$out/ours.db" --format csv \
          "select value from metrics where name = 'train_tokens_per_s'" | tail -1)
        peer=null
        if has_peer "$peer_variant"; then
          peer=$(bash "$here/scripts/debian13_root.sh" run env OPENBLAS_CORETYPE="${core:-}" \
            PYTHONPATH="$pythonpath" python3 "$work/train_peer.py" --data "$work/data" \
            --attention "$peer_variant" --max-len "$length" --threads "$threads" \
            --epochs "$epochs" --dropout "$dropout" | tail -1)
        fi
        echo "{\"threads\": $threads, \"length\": $length, \"variant\": \"$variant\"," \
          "\"pair\": $pair, \"ours\": $ours, \"peer\": $peer}" >>"$results"
      done
    done
  done
done
python3 "$here/bench/train_table.py" "$results"
