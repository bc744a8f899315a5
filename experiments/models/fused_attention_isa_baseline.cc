// The fused attention kernels built for baseline (its compiler flags are set in CMakeLists.txt).
#define ATTNSWEEP_KERNEL_ISA baseline
#include "experiments/models/fused_attention_tiles.h"
