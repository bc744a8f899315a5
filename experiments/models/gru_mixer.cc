#include "experiments/models/gru_mixer.h"

namespace attnsweep {

GruMixerImpl::GruMixerImpl(const GruMixerOptions& options_) : options(options_) { reset(); }

void GruMixerImpl::reset() {
  gru = register_module(
      "gru", torch::nn::GRU(
                 torch::nn::GRUOptions(options.d_model(), options.d_model()).batch_first(true)));
}

torch::Tensor GruMixerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  return std::get<0>(gru->forward(x));
}

}  // namespace attnsweep
