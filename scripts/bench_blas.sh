# shellcheck shell=bash
# Sourced by the benchmark scripts that run a PyTorch peer: both sides of every comparison on the
# OpenBLAS kernels this CPU runs best, and the peer's BLAS checked before any figure is taken.
#
# An OPENBLAS_CORETYPE inherited from the environment is set aside (a machine's profile may pin
# older kernels: this project's VM sets Haswell on an AVX-512 CPU, which left PyTorch 2.6's SDPA at
# 481-561 ms where the CPU's own kernels give 320-328, d_head 32, L 4096, one thread, our kernel,
# which uses no BLAS, unchanged): BENCH_KEEP_OPENBLAS_CORETYPE=1 keeps it.

# Exports OPENBLAS_CORETYPE naming the kernels attnsweep chooses for this CPU
# (experiments/blas_core.h); unsets it where the BLAS is not OpenBLAS.
bench_openblas_core() {
  local build=$1 core
  if [ -n "${BENCH_KEEP_OPENBLAS_CORETYPE:-}" ]; then
    core=$("$build/bench_matmul_gflops" --core)
  else
    core=$(env -u OPENBLAS_CORETYPE "$build/bench_matmul_gflops" --core)
    if [ -n "${OPENBLAS_CORETYPE:-}" ] && [ "$OPENBLAS_CORETYPE" != "$core" ]; then
      echo "(OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE from the environment set aside: both sides run" \
        "${core:-the BLAS} kernels, those of this CPU; BENCH_KEEP_OPENBLAS_CORETYPE=1 keeps it)"
    fi
  fi
  if [ -n "$core" ]; then export OPENBLAS_CORETYPE="$core"; else unset OPENBLAS_CORETYPE; fi
}

# PyTorch 2.6's matmul rate in the Debian 13 root ROOT, one thread, printed; exits 1 below 30
# GFLOP/s: Debian's torch runs on whatever libblas.so.3 is installed, and in a root made without
# OpenBLAS that is the reference BLAS, under which SDPA ran at 6.5 GFLOP/s (5.3 s where OpenBLAS
# gives 0.32) — a comparison worth nothing.
bench_peer_blas_check() {
  local root=$1 here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  mkdir -p "$root/tmp/attnsweep-bench"
  cp "$here/bench/peer_matmul_gflops.py" "$root/tmp/attnsweep-bench/"
  local line
  line=$(bash "$here/scripts/debian13_root.sh" run env OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-}" \
    python3 /tmp/attnsweep-bench/peer_matmul_gflops.py) || return 1
  echo "$line"
  case $line in
    *WARNING*) return 1 ;;
  esac
}
