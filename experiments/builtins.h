// The tasks and attention variants this build ships, in the order `keys` and `--help` list them.
// Adding one is one line here (docs/extending.md).
#pragma once

#include <vector>

#include "experiments/registry.h"

namespace attnsweep {

std::vector<TaskDefinition> BuiltinTasks();
std::vector<VariantDefinition> BuiltinVariants();

}  // namespace attnsweep
