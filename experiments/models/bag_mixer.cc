#include "experiments/models/bag_mixer.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace attnsweep {

torch::Tensor BagMixerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  // x times zero rather than fresh zeros: a graph that backward can pass through, as the
  // benchmark task's attention scope differentiates the layer's output.
  return x * 0.0;
}

VariantDefinition BagVariant() {
  VariantDefinition variant;
  variant.name = "bag";
  variant.help =
      "no mixing: a bag of event embeddings, each through the feed-forward network, "
      "pooled (baseline)";
  variant.approximates_attention = false;
  variant.causal = true;  // no mixing: each output reads its own event only
  variant.mixing_flops = [](const nlohmann::json&, double) { return 0.0; };
  variant.make = [](const nlohmann::json& model, int64_t) {
    return std::make_shared<BagMixerImpl>(BagMixerOptions(model.at("d_model").get<int64_t>()));
  };
  return variant;
}

}  // namespace attnsweep
