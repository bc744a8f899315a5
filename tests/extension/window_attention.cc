#include "tests/extension/window_attention.h"

#include <limits>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace attnsweep {

WindowAttentionImpl::WindowAttentionImpl(const WindowAttentionOptions& options_)
    : options(options_) {
  reset();
}

void WindowAttentionImpl::reset() { Register(*this, options.d_model(), options.heads()); }

torch::Tensor WindowAttentionImpl::forward(const torch::Tensor& x,
                                           const torch::Tensor& key_padding_mask) {
  CheckAttentionInput(x, key_padding_mask, options.d_model());
  const QkvHeads heads = Split(x);
  const int64_t length = x.size(1);
  // Written for clarity, not speed: the full score matrix with the far keys masked out.
  const auto positions = at::arange(length, x.options().dtype(at::kLong));
  const auto far = (positions.unsqueeze(1) - positions.unsqueeze(0)).abs() > options.width();
  auto scores = at::matmul(heads.q, heads.k.transpose(-2, -1));
  auto hidden = far.view({1, 1, length, length});
  if (key_padding_mask.defined()) {
    hidden = hidden.logical_or(key_padding_mask.view({x.size(0), 1, 1, length}));
  }
  scores.masked_fill_(hidden, -std::numeric_limits<float>::infinity());
  // A query whose whole window is padding attends to nothing: zeros, not NaN.
  const auto weights = at::softmax(scores, -1).nan_to_num(0.0);
  return Merge(at::matmul(weights, heads.v));
}

VariantDefinition WindowVariant() {
  VariantDefinition variant;
  variant.name = "window";
  variant.help = "exact attention within a band of model.window.width positions";
  // The report plots its error against the width, as Performer's against its features.
  variant.size_key = "model.window.width";
  variant.size_title = "window width";
  variant.keys = {
      ParamSpec::Int("model.window.width", WindowAttentionOptions(1, 1).width())
          .Range(0, 1 << 20)
          .Help("keys at most this many positions from the query are attended to"),
  };
  // What a banded kernel would do: two L x (2 width + 1) x d products.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    const double band = std::min(length, 2.0 * model.at("window").at("width").get<double>() + 1);
    return 4.0 * length * band * model.at("d_model").get<double>();
  };
  variant.make = [](const nlohmann::json& model, int64_t) {
    return std::make_shared<WindowAttentionImpl>(
        WindowAttentionOptions(model.at("d_model").get<int64_t>(), model.at("heads").get<int64_t>())
            .width(model.at("window").at("width").get<int64_t>()));
  };
  return variant;
}

}  // namespace attnsweep
