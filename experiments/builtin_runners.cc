#include "experiments/builtin_runners.h"

#include "experiments/builtins.h"
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

void RegisterBuiltinRunners() {
  static const bool attached = [] {
    RegisterBuiltins();
    SetTaskRun("sleep", RunSleepTask);
    SetTaskRun("benchmark", RunBenchmarkTask);
    SetTaskRun("approximation", RunApproximationTask);
    SetTaskRun("train", RunTrainTask);
    SetTaskRun("next_event", RunNextEventTask);
    SetTaskRun("fault", RunFaultTask);
    SetVariantBuilder("softmax", SoftmaxLayerBuilder());
    SetVariantBuilder("softmax_chunked", ChunkedSoftmaxLayerBuilder());
    SetVariantBuilder("performer", PerformerLayerBuilder());
    SetVariantBuilder("linformer", LinformerLayerBuilder());
    SetVariantBuilder("infinity", InfinityLayerBuilder());
    SetVariantBuilder("gru", GruLayerBuilder());
    SetVariantBuilder("bag", BagLayerBuilder());
    SetWholeModelBuilder("aggregates", AggregatesModelBuilder());
    return true;
  }();
  (void)attached;
}

}  // namespace attnsweep
