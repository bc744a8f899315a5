// The fused attention kernels built for baseline (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA baseline
#define ATTNSWEEP_KERNEL_VEC_BYTES 16  // 16 xmm registers of 4 floats
#define ATTNSWEEP_KERNEL_VEC_REGISTERS 16
#include "experiments/models/fused_attention_tiles.h"
