#!/usr/bin/env bash
# `make test-torch2-cuda`: builds attnsweep and gpu_tests inside the Debian 13 root of
# scripts/debian13_root.sh against Debian 13's CUDA LibTorch 2.6 (`libtorch-cuda-dev`, contrib; CUDA
# 12.4 from non-free), with CUDA ON, then runs that build's CPU-side suites there and checks what
# `--device` does on a machine without a GPU. The working tree is copied to ROOT/src/attnsweep as
# scripts/test_torch2.sh does; this build stays in ROOT/src/attnsweep/build-cuda (the CPU build in
# build/ is left alone).
#
# Debian's CUDA LibTorch cannot be installed with apt here, so the script works around it:
# - `libtorch-cuda-dev` conflicts with the root's CPU `libtorch-dev` (apt would remove it and the CPU
#   build with it), and depends on `nvidia-cudnn`, an installer that downloads cuDNN from NVIDIA at
#   install time (not reachable from here). So the packages are fetched with `apt-get download`
#   (once, cached in ROOT/opt/torch-cuda-cache, using an apt state of its own there that adds
#   contrib and non-free: the root's own apt sources and state are not touched) and unpacked with
#   `dpkg -x` into the prefix ROOT/opt/torch-cuda; nvidia-cudnn is skipped. CMake is pointed there
#   (Torch_DIR, CMAKE_PREFIX_PATH, CUDAToolkit_ROOT, CMAKE_CUDA_COMPILER) and every command of this
#   build runs with the prefix's libraries first on LD_LIBRARY_PATH.
# - libtorch_cuda.so needs libcudnn.so.9 (DT_NEEDED, 83 versioned symbols, linked BIND_NOW): GNU ld
#   refuses to link an executable against it without the library, and nothing would load. A
#   stand-in libcudnn.so.9 is built from the symbol list (ROOT/opt/torch-cuda/cudnn-stub): every
#   function returns an error status (cudnnGetErrorString a sentence saying cuDNN is not installed).
#   No cuDNN code runs on the CPU; on a machine with a GPU install the real cuDNN instead.
# - LibTorch's CMake files call enable_language(CUDA), which compiles and links a test program
#   with nvcc (nvidia-cuda-toolkit 12.4): nvcc needs GCC <= 13 (g++-13 is installed in the root
#   with apt; it removes nothing), its nvcc.profile and wrapper are rewritten for the prefix, the
#   static CUDA runtime it links by default is unpacked too, and CUDA 12.4's crt/math_functions.h
#   gets `noexcept (true)` on sinpi, sinpif, cospi and cospif, as glibc 2.41 (Debian 13) declares
#   them (else: "exception specification is incompatible with that of previous function").
# - gpu_tests is built and linked (and listed); running it needs a GPU. Here a CUDA build without a
#   GPU stops `--device cuda` with exit 4 (a build without CUDA refuses it with exit 2), which step
#   5 checks and the e2e tests expect in a CUDA build.
# Sizes: 2.2 GB of packages, 3.3 GB unpacked (the static libraries of nvidia-cuda-dev are skipped).
#
# Usage: scripts/test_torch2_cuda.sh [ctest arguments]   Exit 77 where it cannot be done here.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/debian13_project.sh
source "$here/scripts/debian13_project.sh"
ctest_args=$(debian13_quoted_args "$@")
# nvcc 12.4 takes GCC 13 at most (step 2).
packages=("${debian13_project_packages[@]}" g++-13)
# The CUDA LibTorch and what it needs that the root lacks, less nvidia-cudnn (see above) and the
# driver's and nvidia-cuda-dev's other dependencies that neither the build nor the tests use.
cuda_packages=(libtorch-cuda-dev libtorch-cuda-2.6 libgloo-cuda-0 libtensorpipe-cuda-0 libnccl2
  nvidia-cuda-dev nvidia-cuda-toolkit libcudart12 libcublas12 libcublaslt12 libcufft11 libcurand10
  libcusolver11 libcusparse12 libnvjitlink12 libnvrtc12 libnvrtc-builtins12.4 libnvtoolsext1
  libnvvm4 libcuda1 libcu++-dev libcub-dev libthrust-dev)
# Bump when the unpacking or the fix-ups below change: the prefix is then made again.
prefix_version=1

cannot() {
  echo "test_torch2_cuda: $*" >&2
  exit 77
}

root=$(bash "$here/scripts/debian13_root.sh" ensure "${packages[@]}") || exit $?
run() { bash "$here/scripts/debian13_root.sh" run "$@"; }
prefix=/opt/torch-cuda      # inside the root
cache=/opt/torch-cuda-cache # inside the root
libs=$prefix/usr/lib/x86_64-linux-gnu:$prefix/usr/lib:$prefix/cudnn-stub
in_env=(env "LD_LIBRARY_PATH=$libs" "PATH=$prefix/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin")

# 1. The packages, downloaded once.
want="${cuda_packages[*]}"
if [ "$(cat "$root$cache/debs/.complete" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$root$cache"/{lists/partial,cache/archives/partial,debs}
  echo "deb ${ATTNSWEEP_DEBIAN_MIRROR:-http://deb.debian.org/debian} trixie main contrib non-free non-free-firmware" \
    >"$root$cache/sources.list"
  printf 'Dir::Etc::SourceList "%s";\nDir::Etc::SourceParts "-";\nDir::State::Lists "%s";\nDir::Cache "%s";\n' \
    "$cache/sources.list" "$cache/lists" "$cache/cache" >"$root$cache/apt.conf"
  echo "test_torch2_cuda: downloading ${#cuda_packages[@]} packages (2.2 GB) to $root$cache/debs" >&2
  run env APT_CONFIG=$cache/apt.conf apt-get update -qq >&2 ||
    cannot "apt-get update with contrib and non-free failed: is the Debian mirror reachable?"
  run sh -c "cd $cache/debs && rm -f *.deb && APT_CONFIG=$cache/apt.conf apt-get download -qq $want" \
    2>&1 | grep -v 'Download is performed unsandboxed' >&2 || true
  for package in "${cuda_packages[@]}"; do
    ls "$root$cache/debs/${package}_"*.deb >/dev/null 2>&1 || cannot "could not download $package"
  done
  echo "$want" >"$root$cache/debs/.complete"
fi

# 2. Unpacked into the prefix with the fix-ups, once.
stamp="$prefix_version $want"
if [ "$(cat "$root$prefix/.complete" 2>/dev/null)" != "$stamp" ]; then
  echo "test_torch2_cuda: unpacking into $root$prefix (3.3 GB, about 2 minutes)" >&2
  rm -rf "${root:?}$prefix"
  mkdir -p "$root$prefix"
  for deb in "$root$cache"/debs/*.deb; do
    # nvidia-cuda-dev's static libraries (2 GB) are not used, but for the CUDA runtime that nvcc
    # links by default.
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root$prefix" --exclude='./usr/share/doc*' \
      --exclude='./usr/share/man*' --exclude='*_static*.a'
  done
  dpkg-deb --fsys-tarfile "$root$cache"/debs/nvidia-cuda-dev_*.deb |
    tar -x -C "$root$prefix" ./usr/lib/x86_64-linux-gnu/libcudart_static.a \
      ./usr/lib/x86_64-linux-gnu/libculibos.a
  # nvcc: its wrapper and profile name /usr; here they name the prefix. NVVMIR_LIBRARY_DIR must
  # end in nvvm/libdevice for CMake to find the toolkit's library root.
  toolkit=$prefix/usr/lib/nvidia-cuda-toolkit
  sed -i "s#/usr/lib/nvidia-cuda-toolkit#$toolkit#g" "$root$prefix/usr/bin/nvcc"
  rm -f "$root$toolkit/bin/nvcc.profile"
  cat >"$root$toolkit/bin/nvcc.profile" <<EOF
# Debian's /etc/nvcc.profile, for the toolkit unpacked in $prefix (scripts/test_torch2_cuda.sh)
NVVMIR_LIBRARY_DIR = $prefix/usr/lib/cuda/nvvm/libdevice
PATH		+= $toolkit/bin:$prefix/usr/bin:
INCLUDES	+= -I$prefix/usr/include
LIBRARIES	=+ \$(_SPACE_) -L$prefix/usr/lib/x86_64-linux-gnu/stubs -L$prefix/usr/lib/x86_64-linux-gnu
EOF
  # CUDA 12.4's headers against glibc 2.41, which declares these four noexcept.
  math=$root$prefix/usr/include/crt/math_functions.h
  sed -i -E \
    -e '/^extern __DEVICE_FUNCTIONS_DECL__ __device_builtin__ double +sinpi\(double x\);/i #if defined(__cplusplus)\n#define ATTNSWEEP_GLIBC_NOEXCEPT noexcept (true) /* glibc >= 2.41 declares these noexcept */\n#else\n#define ATTNSWEEP_GLIBC_NOEXCEPT\n#endif' \
    -e 's/^(extern __DEVICE_FUNCTIONS_DECL__ __device_builtin__ (double|float) +(sinpi|sinpif|cospi|cospif)\((double|float) x\));/\1 ATTNSWEEP_GLIBC_NOEXCEPT;/' \
    -e 's/ATTNSWEEP_GLIBC_NOEXCEPT;;/ATTNSWEEP_GLIBC_NOEXCEPT;/' "$math"
  [ "$(grep -c 'x) ATTNSWEEP_GLIBC_NOEXCEPT;' "$math")" -eq 4 ] ||
    cannot "could not patch $math for glibc 2.41 (has the toolkit changed?)"
  # The stand-in libcudnn.so.9: every cuDNN function libtorch_cuda.so imports, in its version node.
  stub=$root$prefix/cudnn-stub
  mkdir -p "$stub"
  objdump -T "$root$prefix/usr/lib/x86_64-linux-gnu/libtorch_cuda.so.2.6" |
    awk '/\(libcudnn\.so\.9\)/ {print $NF}' | sort -u >"$stub/symbols.txt"
  [ -s "$stub/symbols.txt" ] || cannot "libtorch_cuda.so imports nothing from libcudnn.so.9?"
  {
    echo '/* libcudnn.so.9 stand-in (scripts/test_torch2_cuda.sh): cuDNN is not installed. */'
    echo '#include <stddef.h>'
    while read -r symbol; do
      case $symbol in
        cudnnGetErrorString)
          echo "const char* $symbol(int s) { (void)s; return \"cuDNN is not installed (a stand-in libcudnn.so.9)\"; }" ;;
        cudnnGetLastErrorString) echo "void $symbol(char* m, size_t n) { if (m && n) m[0] = 0; }" ;;
        cudnnGet*Version) echo "size_t $symbol(void) { return 0; }" ;;
        *) echo "int $symbol(void) { return 1001; /* CUDNN_STATUS_NOT_INITIALIZED */ }" ;;
      esac
    done <"$stub/symbols.txt"
  } >"$stub/cudnn_stub.c"
  printf 'libcudnn.so.9 {\n  global: cudnn*;\n  local: *;\n};\n' >"$stub/cudnn_stub.map"
  run sh -c "cd $prefix/cudnn-stub && gcc -shared -fPIC -O1 -fno-builtin -Wl,-soname,libcudnn.so.9 \
    -Wl,--version-script=cudnn_stub.map -o libcudnn.so.9 cudnn_stub.c && ln -sf libcudnn.so.9 libcudnn.so"
  echo "$stamp" >"$root$prefix/.complete"
fi
missing=$(run "${in_env[@]}" sh -c "ldd $prefix/usr/lib/x86_64-linux-gnu/libtorch.so.2.6 | grep 'not found'" || true)
[ -z "$missing" ] || cannot "the CUDA LibTorch in $root$prefix misses libraries: $missing"

# 3. The working tree, as scripts/test_torch2.sh copies it.
debian13_copy_tree "$here" "$root"
src=$root/src/attnsweep
jobs=$(nproc)

# 4. Configure and build with CUDA ON.
run "${in_env[@]}" sh -c "cd /src/attnsweep && cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTorch_DIR=$prefix/usr/lib/x86_64-linux-gnu/cmake/Torch -DCMAKE_PREFIX_PATH=$prefix/usr \
  -DCUDA_TOOLKIT_ROOT_DIR=$prefix/usr -DCUDAToolkit_ROOT=$prefix/usr \
  -DCMAKE_CUDA_COMPILER=$prefix/usr/bin/nvcc >build-cuda.log 2>&1 ||
  { tail -30 build-cuda.log; exit 1; }; grep -m1 'attnsweep: LibTorch' build-cuda.log"
grep -q 'attnsweep: LibTorch .*, CUDA ON' "$src/build-cuda.log" ||
  { echo "test_torch2_cuda: CMake did not find CUDA in the CUDA LibTorch" >&2; exit 1; }
run "${in_env[@]}" nice -n 19 sh -c "cd /src/attnsweep && cmake --build build-cuda -j $jobs >>build-cuda.log 2>&1 ||
  { grep -m20 -B2 -A6 'error' build-cuda.log; exit 1; }; echo 'built; warnings:' \$(grep -c 'warning:' build-cuda.log)"
run "${in_env[@]}" sh -c "cd /src/attnsweep/build-cuda && ldd libexec/attnsweep | grep -E 'libtorch_cuda|libc10_cuda|libcudart|libcudnn' &&
  echo 'gpu_tests:' \$(./gpu_tests --gtest_list_tests | grep -c '^  ') 'tests linked (they need a GPU to run)'"

# 5. What --device does here, on a build with CUDA and no GPU (expanded inside the root).
# shellcheck disable=SC2016
run "${in_env[@]}" sh -c 'set -e; dir=$(mktemp -d); cd $dir
cat >grid.yaml <<EOF
name: device
experiments:
  - name: dispatch
    task: sleep
    params: {sleep.seconds: 0.05}
    grid: {seed: [1, 2]}
EOF
a=/src/attnsweep/build-cuda/attnsweep
$a run grid.yaml --db auto.db --device auto --threads-per-rank 1 >auto.out 2>&1 || { cat auto.out; exit 1; }
device=$($a query --db auto.db "SELECT group_concat(DISTINCT device) AS d FROM jobs" --format csv | tail -1)
echo "--device auto: jobs ran on $device"
[ "$device" = cpu ]
set +e
$a run grid.yaml --db cuda.db --device cuda --threads-per-rank 1 >cuda.out 2>&1
status=$?
set -e
echo "--device cuda: exit $status: $(grep -m1 -o -- "--device cuda: [^;]*" cuda.out)"
# docs/gpu.md: a CUDA build refuses no --device; each worker without a GPU says so and takes no job,
# and a sweep left without a worker stops with exit 4, its jobs pending for resume (a CPU-only
# build refuses --device cuda itself with exit 2).
grep -q "no GPU is visible here" cuda.out && [ $status -eq 4 ] || { cat cuda.out; exit 1; }
cd / && rm -rf $dir'

# 6. make test's suites (Makefile), less the GPU's, with the arguments given appended. The tests
# of --device cuda know which build they run in (ATTNSWEEP_BUILT_WITH_CUDA): here they check the
# answer of step 5 instead of a build without CUDA's exit 2.
run "${in_env[@]}" sh -c "cd /src/attnsweep/build-cuda && ctest --output-on-failure -j $jobs \
  -LE 'browser|multihost|slurm|faults|gpu'$ctest_args"
