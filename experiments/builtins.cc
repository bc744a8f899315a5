#include "experiments/builtins.h"

#include <utility>

#include "experiments/models/aggregate_features.h"
#include "experiments/models/bag_mixer.h"
#include "experiments/models/chunked_attention.h"
#include "experiments/models/gru_mixer.h"
#include "experiments/models/infinity_former.h"
#include "experiments/models/linformer_attention.h"
#include "experiments/models/performer_attention.h"
#include "experiments/models/softmax_attention.h"
#include "experiments/tasks/tasks.h"

namespace attnsweep {

std::vector<TaskDefinition> BuiltinTasks() {
  return {SleepTask(), BenchmarkTask(), ApproximationTask(),
          TrainTask(), NextEventTask(), FaultTask()};
}

std::vector<VariantDefinition> BuiltinVariants() {
  return {SoftmaxVariant(),   ChunkedSoftmaxVariant(), PerformerVariant(),
          LinformerVariant(), InfinityVariant(),       GruVariant(),
          BagVariant(),       AggregatesVariant()};
}

void RegisterBuiltins() {
  static const bool registered = [] {
    for (auto& task : BuiltinTasks()) RegisterTask(std::move(task));
    for (auto& variant : BuiltinVariants()) RegisterVariant(std::move(variant));
    return true;
  }();
  (void)registered;
}

}  // namespace attnsweep
