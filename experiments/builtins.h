// The tasks and attention variants this build ships, in the order `keys` and `--help` list them.
// Adding one is one line in builtins.cc (docs/extending.md). A program registers them once, first
// thing in its main (the attnsweep binary, the test binaries), before it reads a grid or runs a
// job: the registry itself knows none of them.
#pragma once

#include <vector>

#include "experiments/registry.h"

namespace attnsweep {

std::vector<TaskDefinition> BuiltinTasks();
std::vector<VariantDefinition> BuiltinVariants();

// Registers BuiltinTasks() and BuiltinVariants(), ahead of any extension. Idempotent.
void RegisterBuiltins();

}  // namespace attnsweep
