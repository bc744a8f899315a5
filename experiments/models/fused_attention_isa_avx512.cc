// The fused attention kernels built for avx512 (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA avx512
#define ATTNSWEEP_KERNEL_VEC_BYTES 64  // 32 zmm registers of 16 floats
#define ATTNSWEEP_KERNEL_VEC_REGISTERS 32
#include "experiments/models/fused_attention_tiles.h"
