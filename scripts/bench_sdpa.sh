#!/usr/bin/env bash
# attnsweep's fused exact attention (softmax_chunked's kernel) against PyTorch 2.6's
# scaled_dot_product_attention (SDPA: a fused FlashAttention-style CPU kernel), in the Debian 13
# root of scripts/debian13_root.sh: the same shapes, float32, interleaved pairs (ours, then the
# peer, `pairs` times over), each side the median of its timed passes after a warm-up; the table
# gives each shape's median ratio over its pairs (above 1: ours is faster) and ours as a share of
# the same run's 2048^3 matrix product. Usage: bench_sdpa.sh [build]
#   SDPA_LENGTHS="1024 4096 16384" SDPA_DIMS="16 32 64 128" SDPA_THREADS="1 2"
#   SDPA_WHATS="fwd causal fwdbwd" SDPA_PAIRS=3 SDPA_LONG_PAIRS=1 SDPA_REPEATS=1   (the defaults)
# SDPA_LONG_PAIRS: the pairs from L 8192 on, where one pair of every shape and thread count takes
# 13 minutes on a 2-core machine at L 16384 (the defaults: about 30 minutes in all).
# Exit 77 (skipped) where the Debian 13 root cannot be made here.
set -euo pipefail
build=${1:-build}
# The benchmark programs are not built by default (CMakeLists.txt: bench_tools).
cmake --build "$build" --target bench_tools >/dev/null
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(bash "$here/scripts/debian13_root.sh" ensure libopenblas0-openmp) || exit $?
out=$build/bench-sdpa
mkdir -p "$out" "$root/tmp/attnsweep-bench"
cp "$here/bench/sdpa_peer.py" "$root/tmp/attnsweep-bench/"
# Both sides with the same OpenBLAS kernels, this CPU's own, and the peer's BLAS checked.
# shellcheck source=scripts/bench_blas.sh
source "$here/scripts/bench_blas.sh"
bench_openblas_core "$build"
core=${OPENBLAS_CORETYPE:-}
bench_peer_blas_check "$root"
results=$out/pairs.jsonl
: >"$results"
matmul=$("$build/bench_matmul_gflops")
echo "$matmul"
for threads in ${SDPA_THREADS:-1 2}; do
  for dim in ${SDPA_DIMS:-16 32 64 128}; do
    for length in ${SDPA_LENGTHS:-1024 4096 16384}; do
      pairs=${SDPA_PAIRS:-3}
      [ "$length" -ge 8192 ] && pairs=${SDPA_LONG_PAIRS:-1}
      for what in ${SDPA_WHATS:-fwd causal fwdbwd}; do
        args=(--length "$length" --dim "$dim" --threads "$threads" --what "$what"
          --repeats "${SDPA_REPEATS:-1}")
        for pair in $(seq 1 "$pairs"); do
          ours=$("$build/bench_exact_attention" "${args[@]}")
          peer=$(bash "$here/scripts/debian13_root.sh" run env OPENBLAS_CORETYPE="${core:-}" \
            python3 /tmp/attnsweep-bench/sdpa_peer.py "${args[@]}")
          echo "{\"threads\": $threads, \"dim\": $dim, \"length\": $length, \"what\": \"$what\"," \
            "\"pair\": $pair, \"ours\": $ours, \"peer\": $peer}" >>"$results"
        done
      done
    done
  done
done
python3 "$here/bench/sdpa_table.py" "$results" "$matmul"
