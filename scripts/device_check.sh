#!/usr/bin/env bash
# Everything attnsweep's GPU path needs checked, in one run on a machine with an NVIDIA GPU,
# PyTorch and CMake but no network or package manager, within 8 minutes:
#   1. builds attnsweep against the LibTorch inside that machine's PyTorch
#      (torch.utils.cmake_prefix_path), with our other dependencies unpacked by `dpkg -x` into a
#      prefix from the Debian packages scripts/device_packages.sh fetched here (.device/debs);
#   2. runs the GPU tests (tests/gpu_test.cc);
#   3. runs a sweep of every variant (examples/gpu_check.yaml) with two worker ranks on the GPU,
#      --device cuda, and prints its results.
# Results and logs go to $OUT (else ./device-out): summary.txt (one line per step, with its
# status and seconds), device_check.log (everything), environment.txt, gpu_tests.xml,
# results.md, gpu_check.db (the store) and job_logs.tar.gz: seven files, as the device tool brings
# back at most eight.
#
# Here first:  scripts/device_packages.sh     (fills .device/, which git ignores)
# There:       scripts/device_check.sh        (with .device carried along)
# Without a GPU it still builds (CUDA or not, as that LibTorch is) and runs the sweep on the CPU:
# DEVICE_CHECK_TORCH_PREFIX=/usr/lib/x86_64-linux-gnu/cmake scripts/device_check.sh tries the
# script with Debian's LibTorch.
set -uo pipefail
# Every variable set below reaches the steps, which run in a shell of their own (under timeout).
set -a
cd "$(dirname "$0")/.."
root=$PWD
out=${OUT:-$root/device-out}
mkdir -p "$out"
exec > >(tee -a "$out/device_check.log") 2>&1
started=$(date +%s)
budget_s=${DEVICE_CHECK_BUDGET_S:-470}
summary=$out/summary.txt
: > "$summary"

# step NAME LIMIT_S COMMAND...: runs it within LIMIT_S and what is left of the budget; records it.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget_s - ($(date +%s) - started)))
  ((limit > left)) && limit=$left
  if ((limit < 5)); then
    echo "$name: skipped, the budget is spent" | tee -a "$summary"
    return 1
  fi
  echo "=== $name (at most ${limit} s)"
  local t0 status
  t0=$(date +%s)
  if declare -F "$1" > /dev/null; then
    # A function of this script: its definition travels into timeout's shell.
    timeout --kill-after=5 "$limit" bash -o pipefail -c "$(declare -f "$1"); $1"
  else
    timeout --kill-after=5 "$limit" "$@"
  fi
  status=$?
  local line="$name: $([[ $status == 0 ]] && echo ok || echo "FAILED (exit $status)") in $(($(date +%s) - t0)) s"
  echo "$line" | tee -a "$summary"
  return $status
}

environment() {
  {
    echo "date: $(date -u)"
    nvidia-smi -L 2>&1 || echo "nvidia-smi: not found"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
    python3 -c 'import torch, sys
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(), "devices", torch.cuda.device_count())' 2>&1
    echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-unset}"
    echo "cores: $(nproc)"
    g++ --version | head -1
    cmake --version | head -1
    command -v nvcc > /dev/null && nvcc --version | tail -1
    head -2 /etc/os-release
  } > "$out/environment.txt" 2>&1
  cat "$out/environment.txt"
}
environment

# 1. Dependencies: Debian's packages unpacked into a prefix (not into /: they could replace that
# machine's own libraries).
prefix=/tmp/attnsweep-deps
unpack() {
  local debs=("$root"/.device/debs/*.deb)
  if [[ ! -f ${debs[0]} ]]; then
    echo "no packages in .device/debs: run scripts/device_packages.sh here and carry .device"
    return 1
  fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$prefix" || return 1; done
  # Debian points mpirun at Open MPI's through its alternatives, which dpkg -x does not set up.
  ln -sf mpirun.openmpi "$prefix/usr/bin/mpirun"
  echo "${#debs[@]} packages in $prefix"
}
step unpack 60 unpack || exit 1
libdir=$prefix/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$libdir:$libdir/openmpi/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Open MPI finds its plugins, help texts and orted below OPAL_PREFIX rather than /usr.
export OPAL_PREFIX=$prefix/usr
export PATH=$prefix/usr/bin:$PATH
# Shared-memory messages without cross-memory attach, which sandboxed kernels (gVisor) refuse.
export OMPI_MCA_btl_vader_single_copy_mechanism=none

# 2. Build.
torch_prefix=${DEVICE_CHECK_TORCH_PREFIX:-$(python3 -c \
  'import torch.utils; print(torch.utils.cmake_prefix_path)' 2> /dev/null)}
build=$root/build-device
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cuda_hints=()
[[ -d /usr/local/cuda ]] && cuda_hints=(-DCUDAToolkit_ROOT=/usr/local/cuda)
# Hopper (H100, H200) unless told otherwise; LibTorch's CMake asks for the architectures.
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
configure() {
  [[ -n $torch_prefix ]] || {
    echo "no PyTorch: python3 cannot import torch"
    return 1
  }
  cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$prefix/usr;$libdir/cmake;$prefix/usr/share/cmake" \
    -DMPI_C_HEADER_DIR="$libdir/openmpi/include" -DMPI_C_LIB_NAMES=mpi \
    -DMPI_mpi_LIBRARY="$libdir/openmpi/lib/libmpi.so" \
    -DREPORT_NODE_MODULES="$root/.device/node_modules" "${cuda_hints[@]}"
}
step configure 120 configure || exit 1
grep -q "CUDA ON" <(grep "attnsweep: LibTorch" "$out/device_check.log") &&
  targets=(attnsweep gpu_tests) || targets=(attnsweep)
step build 300 cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" || exit 1
echo "libraries not found (the engine, build/libexec/attnsweep, links LibTorch):"
ldd "$build/libexec/attnsweep" | grep "not found" || echo "  none"

# 3. The GPU tests.
if [[ -x $build/gpu_tests ]]; then
  step gpu_tests 180 "$build/gpu_tests" --gtest_output="xml:$out/gpu_tests.xml"
fi

# 4. A sweep of every variant: a coordinator and two workers, both on GPU 0 with one GPU (the
# exclusive benchmarks take turns on it, the training jobs share it).
# The store sits outside $OUT while the sweep writes it (its WAL and job logs would be many files
# there); it is copied in once the sweep has closed it.
work=/tmp/attnsweep-device-check
rm -rf "$work"
mkdir -p "$work"
db=$work/gpu_check.db
device=cuda
[[ -x $build/gpu_tests ]] || device=auto
sweep() {
  if ! "$root/scripts/mpirun.sh" -np 3 "$build/attnsweep" run "$root/examples/gpu_check.yaml" \
    --db "$db" --device "$device"; then
    # Where Open MPI cannot start from the prefix, one rank still runs the jobs (its worker is a
    # thread of the coordinator): say so, and go on.
    [[ -f $db ]] && return 1
    echo "mpirun did not start: the sweep runs as one rank"
    "$build/attnsweep" run "$root/examples/gpu_check.yaml" --db "$db" --device "$device"
  fi
}
step sweep 240 sweep
report() {
  local a=$build/attnsweep
  {
    local gpu
    gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2> /dev/null | head -1)
    echo "# examples/gpu_check.yaml on ${gpu:-no GPU}"
    echo
    "$a" status --db "$db" --format markdown
    echo
    "$a" query --db "$db" --format markdown \
      "SELECT device, count(*) AS jobs, sum(status = 'done') AS done FROM jobs GROUP BY device"
    echo
    "$a" results --db "$db" --format markdown --experiment speed \
      --by model.attention,data.max_len --metrics fwd_ms,fwdbwd_ms,peak_mb,fwdbwd_peak_mb
    echo
    "$a" results --db "$db" --format markdown --experiment quality \
      --by model.attention --metrics test_auc,epoch_s,peak_mb
    echo
    "$a" results --db "$db" --format markdown --experiment error \
      --by model.attention --metrics rel_error,recon_error
  } > "$out/results.md" 2>&1
  cat "$out/results.md"
}
[[ -f $db ]] && step results 30 report
if [[ -f $db ]]; then
  # SQLite's online backup takes what is still in the write-ahead log too.
  python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
    "$db" "$out/gpu_check.db" || cp "$db" "$out/"
  [[ -d $db.logs ]] && tar -czf "$out/job_logs.tar.gz" -C "$work" "$(basename "$db").logs"
fi
echo "=== summary ($(($(date +%s) - started)) s in all)"
cat "$summary"
! grep -q FAILED "$summary"
