#!/usr/bin/env bash
# Instructions per no-op job, counted by callgrind (exact and repeatable where timings are not):
# one rank, inproc isolation (coordinator and worker threads in one process), N1 and then N2 jobs
# of bench/dispatch.yaml; (Ir(N2) - Ir(N1)) / (N2 - N1) leaves out start-up. Slow (valgrind runs
# LibTorch's start-up too): about two minutes. Usage: profile_dispatch.sh [attnsweep binary]
set -euo pipefail
bin=${1:-build/attnsweep}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n1=${N1:-100}
n2=${N2:-400}
instructions() {
  sed "s/range: \[1, 5000\]/range: [1, $1]/" bench/dispatch.yaml >"$work/grid.yaml"
  rm -rf "$work"/s.db*
  # Every process's count (the worker's job launcher is one), summed.
  valgrind --tool=callgrind --callgrind-out-file="$work/out.%p" "$bin" run "$work/grid.yaml" \
    --db "$work/s.db" --isolation inproc -q 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ sum += $1 } END { printf "%.0f", sum }'
}
# OpenBLAS's kernels named up front: attnsweep would otherwise restart itself to set them
# (experiments/blas_core.h), and valgrind does not follow an exec.
core=$("$(dirname "$bin")/bench_matmul_gflops" --core 2>/dev/null || true)
if [ -n "$core" ]; then export OPENBLAS_CORETYPE="$core"; fi
i1=$(instructions "$n1")
i2=$(instructions "$n2")
awk -v a="$i1" -v b="$i2" -v n1="$n1" -v n2="$n2" \
  'BEGIN { printf "instructions per no-op job (inproc, one rank): %.0f  (%d jobs: %.0f, %d jobs: %.0f)\n", (b - a) / (n2 - n1), n1, a, n2, b }'
