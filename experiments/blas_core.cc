#include "experiments/blas_core.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

namespace attnsweep {
namespace {

// Set by the restart: the core OpenBLAS had chosen itself.
constexpr const char* kDetectedEnv = "ATTNSWEEP_OPENBLAS_DETECTED";

std::string CoreName() {
  using GetCoreName = char* (*)();
  const auto get = reinterpret_cast<GetCoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (get == nullptr) return "";
  const char* name = get();
  return name == nullptr ? "" : name;
}

// 2: AVX-512 kernels, 1: AVX2 and FMA ones, 0: older (by OpenBLAS's names for x86-64 cores).
int VectorLevelOf(std::string core) {
  std::transform(core.begin(), core.end(), core.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::set<std::string> avx512 = {"skylakex", "cooperlake", "sapphirerapids"};
  static const std::set<std::string> avx2 = {"haswell", "zen", "skylake", "excavator"};
  if (avx512.count(core)) return 2;
  if (avx2.count(core)) return 1;
  return 0;
}

int VectorLevelOfCpu() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd")) {
    return 2;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

// OPENBLAS_CORETYPE as set before attnsweep started: null when unset or set by attnsweep's own
// restart.
const char* CoreTypeFromOutside() {
  if (std::getenv(kDetectedEnv) != nullptr) return nullptr;
  return std::getenv("OPENBLAS_CORETYPE");
}

// The best kernels OpenBLAS has for a CPU of `cpu_level` (VectorLevelOf's scale).
const char* OpenBlasCoreForLevel(int cpu_level) {
  return cpu_level >= 2 ? "SkylakeX" : cpu_level == 1 ? "Haswell" : "Prescott";
}

// Whether OPENBLAS_CORETYPE, set before attnsweep started, holds OpenBLAS to the kernels `core`,
// older than a CPU of `cpu_level` runs.
bool PinnedToOlderKernels(const std::string& core, int cpu_level) {
  return CoreTypeFromOutside() != nullptr && !core.empty() && VectorLevelOf(core) < cpu_level;
}

}  // namespace

void UseTheCpusBlasKernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string core = CoreName();
  if (core.empty()) return;
  const int cpu = VectorLevelOfCpu();
  if (VectorLevelOf(core) >= cpu) return;
  // By the binary's own path, not /proc/self/exe: the process's name (what `ps` shows, and what
  // the lease check reads in /proc/<pid>/stat) comes from the path it was started from.
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) return;
  self[length] = '\0';
  setenv("OPENBLAS_CORETYPE", OpenBlasCoreForLevel(cpu), 1);
  setenv(kDetectedEnv, core.c_str(), 1);
  execv(self, argv);
  // The restart failed: go on with the kernels OpenBLAS chose.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kDetectedEnv);
}

std::string BlasCoreDescription() {
  const std::string core = CoreName();
  if (core.empty()) return "";
  if (const char* detected = std::getenv(kDetectedEnv)) {
    return core + ", set by attnsweep: OpenBLAS detected " + detected;
  }
  const int cpu = VectorLevelOfCpu();
  if (PinnedToOlderKernels(core, cpu)) {
    return core + ", from OPENBLAS_CORETYPE; this CPU runs " + OpenBlasCoreForLevel(cpu);
  }
  return core;
}

std::string BlasCoreWarning() {
  const std::string core = CoreName();
  const int cpu = VectorLevelOfCpu();
  if (!PinnedToOlderKernels(core, cpu)) return "";
  return std::string("OPENBLAS_CORETYPE=") + CoreTypeFromOutside() + " holds OpenBLAS to its " +
         core + " kernels, older than this CPU's (" + OpenBlasCoreForLevel(cpu) +
         "): matmuls run slower (half the speed, Haswell's against SkylakeX's on an AVX-512 CPU "
         "measured here). Unless that was meant, unset OPENBLAS_CORETYPE and attnsweep chooses "
         "the CPU's own kernels";
}

}  // namespace attnsweep
