#!/usr/bin/env bash
# `make test-torch2`: builds attnsweep inside the Debian 13 root of scripts/debian13_root.sh against
# its LibTorch 2.6 (GCC 14, Open MPI 5, the same package names as Debian 12's), then runs there the
# suites `make test` runs here. The working tree (tracked and untracked files git does not ignore,
# with their times, so that a second run rebuilds only what changed) and node_modules are copied
# to ROOT/src/attnsweep; the build stays in ROOT/src/attnsweep/build between runs.
# Usage: scripts/test_torch2.sh [ctest arguments]   Exit 77 where the root cannot be made here.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/debian13_project.sh
source "$here/scripts/debian13_project.sh"
ctest_args=$(debian13_quoted_args "$@")
root=$(bash "$here/scripts/debian13_root.sh" ensure "${debian13_project_packages[@]}") || exit $?
debian13_copy_tree "$here" "$root"
jobs=$(nproc)
run() { bash "$here/scripts/debian13_root.sh" run "$@"; }
run sh -c "cd /src/attnsweep && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >build.log 2>&1 ||
  { tail -20 build.log; exit 1; }; grep -m1 'LibTorch' build.log"
run sh -c "cd /src/attnsweep && cmake --build build -j $jobs >>build.log 2>&1 ||
  { grep -m20 -B2 -A6 'error' build.log; exit 1; }; echo 'built; warnings:' \$(grep -c 'warning:' build.log)"
# As `make test` (Makefile), with the arguments given appended.
run sh -c "cd /src/attnsweep/build && ctest --output-on-failure -j $jobs -LE 'browser|multihost|slurm|faults'$ctest_args"
