// The fused attention kernels built for avx2 (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA avx2
#define ATTNSWEEP_KERNEL_VEC_BYTES 32  // 16 ymm registers of 8 floats
#define ATTNSWEEP_KERNEL_VEC_REGISTERS 16
#include "experiments/models/fused_attention_tiles.h"
