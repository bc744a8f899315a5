#!/usr/bin/env bash
# `make bench`: the BLAS check, then each bench/*.yaml grid into build/bench.db, with each figure as a
# ratio to the shortest length of the same run and the log-log slope of time against length.
set -euo pipefail
build=${1:-build}
# The benchmark programs are not built by default (CMakeLists.txt: bench_tools).
cmake --build "$build" --target bench_tools >/dev/null
"$build/bench_matmul_gflops"
echo
"$build/bench_feature_draw"
db="$build/bench.db"
rm -rf "$db" "$db-wal" "$db-shm" "$db.logs"
for grid in bench/softmax_scaling.yaml; do
  echo
  echo "== $grid on $(nproc) cores of $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  "$build/attnsweep" run "$grid" --db "$db" -q
  "$build/attnsweep" results --db "$db" --by model.attention,data.max_len \
    --metrics fwd_ms,fwdbwd_ms,peak_mb,fwdbwd_peak_mb,rss_mb,tokens_per_s
  # Ratios to the shortest length, and the slope of log(time) against log(length) between neighbours.
  "$build/attnsweep" query --db "$db" --format csv \
    "SELECT attention, max_len, fwd_ms, peak_mb FROM results WHERE batch_id = (SELECT max(id) FROM batches) AND status = 'done' ORDER BY attention, max_len" |
    awk -F, 'NR == 1 { next }
      { if ($1 != a) { a = $1; l0 = $2; t0 = $3; m0 = $4; pl = 0 }
        slope = pl ? sprintf("%.2f", log($3 / pt) / log($2 / pl)) : "-"
        printf "%-10s L=%-6d time x%-8.2f memory x%-8.2f slope %s\n", $1, $2, $3 / t0, $4 / m0, slope
        pl = $2; pt = $3 }'
done

bash scripts/bench_zoo.sh "$build"

echo
bash scripts/bench_data.sh "$build"

# Dispatch against mpi4py.futures.
echo
bash scripts/bench_dispatch.sh "$build"

# The cost model: ETA at a quarter of a train sweep, and makespan against its lower bound.
echo
echo "== cost model: bench/eta_train.yaml three times into one store (mpirun -np 3)"
bash scripts/bench_eta.sh "$build"

# Every attention variant against torch.nn.MultiheadAttention, 1 and 2 threads, and the exact
# kernels' FLOP/s against a matmul's.
echo
bash scripts/bench_attention.sh "$build"

# A benchmark against PyTorch 2.6, run in the Debian 13 root (scripts/debian13_root.sh, made
# once): skipped with a line where that root cannot be made here (exit 77), fatal otherwise.
against_pytorch2() {
  local title=$1 script=$2 status=0
  echo
  echo "== $title (scripts/$script)"
  bash "scripts/$script" "$build" || status=$?
  if [ "$status" = 77 ]; then
    echo "(skipped: the Debian 13 root with PyTorch 2.6 cannot be made here; see the line above)"
  elif [ "$status" != 0 ]; then
    exit "$status"
  fi
}

# The fused exact kernel against PyTorch 2.6's scaled_dot_product_attention: interleaved pairs,
# the median ratio per shape.
against_pytorch2 "exact attention against PyTorch 2.6's scaled_dot_product_attention" bench_sdpa.sh

# Training throughput against PyTorch 2.6 training the same classifier (bench/train_peer.py):
# interleaved pairs, the median ratio per variant, length and thread count.
against_pytorch2 "training throughput against PyTorch 2.6" bench_train.sh
