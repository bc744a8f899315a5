// The fused attention kernels built for baseline (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA baseline
#define ATTNSWEEP_KERNEL_VEC_REGISTERS 4  // 16 xmm registers, four per vector
#include "experiments/models/fused_attention_tiles.h"
