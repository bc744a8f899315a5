#include "tests/extension/parameter_count_task.h"

#include <torch/nn/module.h>
#include <nlohmann/json.hpp>

#include "experiments/models/attention_factory.h"

namespace attnsweep {
namespace {

void RunParameterCount(const nlohmann::json& config, const JobContext& context, JobOutput* output) {
  const int64_t length = config.at("data").at("max_len").get<int64_t>();
  const auto layer = MakeAttention(config.at("model"), length);
  double count = 0;
  for (const auto& parameter : layer->parameters()) count += static_cast<double>(parameter.numel());
  output->metrics.emplace_back("parameters", count);
  output->metrics.emplace_back("parameter_mb",
                               count * config.at("parameters").at("bytes").get<double>() / 1e6);
}

}  // namespace

TaskDefinition ParameterCountTask() {
  TaskDefinition task;
  task.name = "parameters";
  task.help = "counts the parameters of a variant's attention layer";
  task.keys = {
      ParamSpec::Int("parameters.bytes", 4)
          .Range(1, 8)
          .Help("bytes per parameter, for parameter_mb (4: fp32, 2: bf16)"),
  };
  // model.attention, d_model, heads, data.max_len, and each variant's own keys.
  task.reads = {{KeyGroup::kModel, {}}};
  // Building a layer is quick: a thread of the worker is enough.
  task.default_isolation = "inproc";
  task.estimate_seconds = [](const nlohmann::json&) { return 0.01; };
  task.run = RunParameterCount;
  return task;
}

}  // namespace attnsweep
