// The fused attention kernels built for avx2 (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA avx2
#define ATTNSWEEP_KERNEL_VEC_REGISTERS 8  // 16 ymm registers, two per vector
#include "experiments/models/fused_attention_tiles.h"
