// docs/extending.md's worked example of a new task: `parameters` builds the attention layer of any
// registered variant and reports how many parameters it has and how many bytes they take. One file
// pair and one RegisterTask call.
#pragma once

#include "experiments/registry.h"

namespace attnsweep {

TaskDefinition ParameterCountTask();

}  // namespace attnsweep
