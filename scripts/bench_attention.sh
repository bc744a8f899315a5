#!/usr/bin/env bash
# Every attention variant against torch.nn.MultiheadAttention (Debian's python3-torch, PyTorch
# 1.13), on 1 and then 2 threads, in one run: bench/attention_vs_peer.yaml through attnsweep,
# bench/layer_peer.py beside it; then the same peers under PyTorch 2.6 in the Debian 13 root of
# scripts/debian13_root.sh (MultiheadAttention, and lucidrains' performer-pytorch and linformer
# layers where PEERS_DIR holds their checkouts; skipped with a line where that root cannot be made
# here); the tables by bench/compare_attention.py; then the exact kernels' GFLOP/s against a
# matmul's (bench/exact_attention_flops.cc). Usage: bench_attention.sh [build]
set -euo pipefail
build=${1:-build}
# The benchmark programs are not built by default (CMakeLists.txt: bench_tools).
cmake --build "$build" --target bench_tools >/dev/null
bin="$build/attnsweep"
out="$build/bench-attention"
rm -rf "$out"
mkdir -p "$out"
export PATH="/usr/bin:$PATH"  # Debian's python3, which has python3-torch
# The peer uses the same OpenBLAS with the same kernels as attnsweep, this CPU's own.
# shellcheck source=scripts/bench_blas.sh
source scripts/bench_blas.sh
bench_openblas_core "$build"
core=${OPENBLAS_CORETYPE:-}
for threads in 1 2; do
  db="$out/t$threads.db"
  "$bin" run bench/attention_vs_peer.yaml --db "$db" --threads-per-rank "$threads" -q || true
  "$bin" query --db "$db" --format json \
    "SELECT experiment, attention, max_len, status, fwd_ms, fwdbwd_ms, peak_mb, fwdbwd_peak_mb FROM results" \
    >"$out/ours-t$threads.json"
  python3 bench/layer_peer.py --threads "$threads" --mode fwd --lengths 1024 2048 4096 8192 \
    >"$out/peer-fwd-t$threads.jsonl"
  python3 bench/layer_peer.py --threads "$threads" --mode fwdbwd --lengths 1024 2048 4096 \
    >"$out/peer-fwdbwd-t$threads.jsonl"
done
# The same layers' peers under PyTorch 2.6: peer26-PEER-MODE-tTHREADS.jsonl.
status=0
root=$(bash scripts/debian13_root.sh ensure python3-einops libopenblas0-openmp) || status=$?
if [ "$status" = 0 ]; then
  bench_peer_blas_check "$root"
  work=/tmp/attnsweep-bench-layers  # inside the root
  rm -rf "${root:?}$work"
  mkdir -p "$root$work"
  cp bench/layer_peer.py bench/lucidrains.py "$root$work/"
  pythonpath=$work
  peers=mha
  for repo in performer-pytorch linformer local-attention axial-positional-embedding; do
    if [ -n "${PEERS_DIR:-}" ] && [ -d "$PEERS_DIR/$repo" ]; then
      cp -r "$PEERS_DIR/$repo" "$root$work/"
      pythonpath=$pythonpath:$work/$repo
      case $repo in performer-pytorch) peers="$peers performer" ;; linformer) peers="$peers linformer" ;; esac
    fi
  done
  for threads in 1 2; do
    for peer in $peers; do
      for mode in fwd fwdbwd; do
        lengths="1024 2048 4096"
        [ "$mode" = fwd ] && lengths="$lengths 8192"
        # shellcheck disable=SC2086
        bash scripts/debian13_root.sh run env OPENBLAS_CORETYPE="${core:-}" PYTHONPATH="$pythonpath" \
          python3 "$work/layer_peer.py" --peer "$peer" --threads "$threads" --mode "$mode" \
          --lengths $lengths >"$out/peer26-$peer-$mode-t$threads.jsonl"
      done
    done
  done
elif [ "$status" = 77 ]; then
  echo "(PyTorch 2.6 peers skipped: the Debian 13 root cannot be made here; see the line above)"
else
  exit "$status"
fi
echo "== attention against torch.nn.MultiheadAttention ($(python3 -c 'import torch; print("PyTorch", torch.__version__)'))"
python3 bench/compare_attention.py "$out"
echo
"$build/bench_exact_attention"
