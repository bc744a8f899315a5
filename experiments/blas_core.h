// OpenBLAS chooses its kernels by the CPU's model number when it loads; a CPU newer than the
// library falls back to its oldest x86-64 kernels. On this project's VM Debian 12's OpenBLAS 0.3.21
// took the "Intel Xeon Processor" for a Prescott (SSE3): a 2048^3 matmul ran at 21 GFLOP/s on one
// thread, 113 with the AVX-512 kernels the CPU has — every LibTorch matmul five times slower.
#pragma once

#include <string>

namespace attnsweep {

// When OpenBLAS chose kernels for less than the CPU runs (by its instruction sets: AVX-512, or
// AVX2 and FMA), restarts this process with OPENBLAS_CORETYPE naming the right ones (the choice is
// made as the library loads: no call changes it later). Call before anything starts a thread
// (main() does, for run and resume, the commands that compute): it returns
// when nothing needed changing, OPENBLAS_CORETYPE was set already (by the user, or by the restart),
// the BLAS is not OpenBLAS, or the restart failed.
void UseTheCpusBlasKernels(char** argv);

// The kernels OpenBLAS runs ("SkylakeX"), and whether attnsweep chose them ("SkylakeX, set by
// attnsweep: OpenBLAS detected Prescott") or OPENBLAS_CORETYPE, set before attnsweep started, held
// it to older ones ("Haswell, from OPENBLAS_CORETYPE; this CPU runs SkylakeX"); "" when the BLAS is
// not OpenBLAS. For the batch's record.
std::string BlasCoreDescription();

// A warning when OPENBLAS_CORETYPE, set before attnsweep started, names older kernels than this
// CPU runs (a machine's profile may set it: every matmul then runs at a fraction of its speed, a
// 2048^3 one at 63 GFLOP/s with Haswell's AVX2 kernels against 118 with SkylakeX's on one core of
// this project's AMD Zen 5 VM); "" otherwise.
std::string BlasCoreWarning();

}  // namespace attnsweep
