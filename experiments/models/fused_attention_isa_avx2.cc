// The fused attention kernels built for avx2 (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA avx2
#include "experiments/models/fused_attention_tiles.h"
