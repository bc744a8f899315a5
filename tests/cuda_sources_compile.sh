#!/usr/bin/env bash
# Compiles, without linking, the sources that only a build against a CUDA LibTorch builds
# (experiments/device/cuda_runtime_cuda.cc, tests/gpu_test.cc), against this machine's LibTorch
# headers (Debian's CPU package ships c10/cuda's) and the CUDA toolkit's: so a machine without a
# GPU or a CUDA LibTorch still catches their compile errors. Skipped (77) without the toolkit.
# Usage: cuda_sources_compile.sh SOURCE_DIR CXX TORCH_INCLUDE_DIR...
set -euo pipefail
source_dir=$1 cxx=$2
shift 2
cuda_include=""
for candidate in "${CUDA_HOME:-/nonexistent}/include" /usr/local/cuda/include /usr/include; do
  if [[ -f $candidate/cuda_runtime_api.h ]]; then cuda_include=$candidate; break; fi
done
if [[ -z $cuda_include ]]; then
  echo "no CUDA toolkit headers (cuda_runtime_api.h): nothing to compile against; skipped"
  exit 77
fi
includes=(-I"$source_dir" -I"$cuda_include")
for dir in "$@"; do includes+=(-I"$dir"); done
# A CPU LibTorch lacks the header its CUDA build generates; what it defines matters only to
# Windows DLL exports.
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
if ! printf '#include <c10/cuda/impl/cuda_cmake_macros.h>\n' |
  "$cxx" -x c++ -fsyntax-only "${includes[@]}" - 2>/dev/null; then
  mkdir -p "$generated/c10/cuda/impl"
  echo '#pragma once' > "$generated/c10/cuda/impl/cuda_cmake_macros.h"
  includes+=(-I"$generated")
fi
status=0
for source in experiments/device/cuda_runtime_cuda.cc tests/gpu_test.cc; do
  if "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Wno-unused-parameter "${includes[@]}" \
    "$source_dir/$source"; then
    echo "compiles: $source (CUDA headers from $cuda_include)"
  else
    echo "does not compile: $source"
    status=1
  fi
done
exit $status
