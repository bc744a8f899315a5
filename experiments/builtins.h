// The tasks and attention variants this build ships, in the order `keys` and `--help` list them:
// what each is (builtin_tasks.cc, builtin_variants.cc; free of LibTorch). How each runs is attached
// by RegisterBuiltinRunners (builtin_runners.h) in the programs that run jobs. Adding one is an
// entry in each (docs/extending.md). A program registers them once, first thing in its main (the
// attnsweep binaries, the test binaries), before it reads a grid or runs a job: the registry
// itself knows none of them.
#pragma once

#include <vector>

#include "experiments/registry.h"

namespace attnsweep {

// Descriptions only: run, make and make_transaction_model are empty.
std::vector<TaskDefinition> BuiltinTasks();
std::vector<VariantDefinition> BuiltinVariants();

// Registers BuiltinTasks() and BuiltinVariants(), ahead of any extension. Idempotent.
void RegisterBuiltins();

}  // namespace attnsweep
