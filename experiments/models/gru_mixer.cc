#include "experiments/models/gru_mixer.h"

#include <nlohmann/json.hpp>

#include "experiments/models/gru_sequence.h"

namespace attnsweep {

GruMixerImpl::GruMixerImpl(const GruMixerOptions& options_) : options(options_) { reset(); }

void GruMixerImpl::reset() {
  gru = register_module(
      "gru", torch::nn::GRU(
                 torch::nn::GRUOptions(options.d_model(), options.d_model()).batch_first(true)));
}

torch::Tensor GruMixerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  // Our fused sequence where it runs (float32 CPU), LibTorch's GRU elsewhere: the same weights.
  if (GruSequenceTakes(x)) {
    const auto weights = gru->all_weights();  // w_ih, w_hh, b_ih, b_hh of its one layer
    return GruSequence(x, weights[0], weights[1], weights[2], weights[3]);
  }
  return std::get<0>(gru->forward(x));
}

LayerBuilder GruLayerBuilder() {
  return [](const nlohmann::json& model, int64_t) {
    return std::make_shared<GruMixerImpl>(GruMixerOptions(model.at("d_model").get<int64_t>()));
  };
}

}  // namespace attnsweep
