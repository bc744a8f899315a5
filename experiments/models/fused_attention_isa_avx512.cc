// The fused attention kernels built for avx512 (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA avx512
#define ATTNSWEEP_KERNEL_VEC_REGISTERS 32  // 32 zmm registers, one vector each
#include "experiments/models/fused_attention_tiles.h"
