#!/usr/bin/env bash
# Every attention variant against torch.nn.MultiheadAttention (Debian's python3-torch), on 1 and
# then 2 threads, in one run: bench/attention_vs_peer.yaml through attnsweep, bench/mha_peer.py
# beside it, the tables by bench/compare_attention.py; then the exact kernels' GFLOP/s against a
# matmul's (bench/exact_attention_flops.cc). Usage: bench_attention.sh [build]
set -euo pipefail
build=${1:-build}
bin="$build/attnsweep"
out="$build/bench-attention"
rm -rf "$out"
mkdir -p "$out"
export PATH="/usr/bin:$PATH"  # Debian's python3, which has python3-torch
# The peer uses the same OpenBLAS with the same kernels as attnsweep (experiments/blas_core.h).
core=$("$build/bench_matmul_gflops" --core)
[ -n "$core" ] && export OPENBLAS_CORETYPE="$core"
for threads in 1 2; do
  db="$out/t$threads.db"
  "$bin" run bench/attention_vs_peer.yaml --db "$db" --threads-per-rank "$threads" -q || true
  "$bin" query --db "$db" --format json \
    "SELECT experiment, attention, max_len, status, fwd_ms, fwdbwd_ms, peak_mb, fwdbwd_peak_mb FROM results" \
    >"$out/ours-t$threads.json"
  python3 bench/mha_peer.py --threads "$threads" --mode fwd --lengths 1024 2048 4096 8192 \
    >"$out/peer-fwd-t$threads.jsonl"
  python3 bench/mha_peer.py --threads "$threads" --mode fwdbwd --lengths 1024 2048 4096 \
    >"$out/peer-fwdbwd-t$threads.jsonl"
done
echo "== attention against torch.nn.MultiheadAttention ($(python3 -c 'import torch; print("PyTorch", torch.__version__)'))"
python3 bench/compare_attention.py "$out"
echo
"$build/bench_exact_attention"
