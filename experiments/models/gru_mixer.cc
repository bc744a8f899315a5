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

VariantDefinition GruVariant() {
  VariantDefinition variant;
  variant.name = "gru";
  variant.help = "a causal GRU in attention's place: the recurrent baseline";
  // A GRU mixes by recurrence: there is no attention for the approximation task to compare.
  variant.approximates_attention = false;
  // One direction, first event to last: causal as it is.
  variant.causal = true;
  // Three gates, each an input and a recurrent d x d product per event.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    const double d_model = model.at("d_model").get<double>();
    return 12.0 * length * d_model * d_model;
  };
  variant.make = [](const nlohmann::json& model, int64_t) {
    return std::make_shared<GruMixerImpl>(GruMixerOptions(model.at("d_model").get<int64_t>()));
  };
  return variant;
}

}  // namespace attnsweep
