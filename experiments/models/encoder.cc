#include "experiments/models/encoder.h"

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "experiments/models/attention_factory.h"

namespace attnsweep {

EncoderLayerImpl::EncoderLayerImpl(std::shared_ptr<AttentionImpl> attention_,
                                   const EncoderOptions& options)
    : attention(register_module("attention", std::move(attention_))) {
  attention_norm = register_module(
      "attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model()})));
  feed_forward_norm = register_module(
      "feed_forward_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model()})));
  feed_forward_in =
      register_module("feed_forward_in", torch::nn::Linear(options.d_model(), options.ff_dim()));
  feed_forward_out =
      register_module("feed_forward_out", torch::nn::Linear(options.ff_dim(), options.d_model()));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
  if (options.residual_gate()) gate = register_parameter("gate", at::zeros({1}));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x,
                                        const torch::Tensor& key_padding_mask) {
  auto mixed = dropout->forward(attention->forward(attention_norm->forward(x), key_padding_mask));
  auto h = x + (gate.defined() ? gate * mixed : mixed);
  auto ff = feed_forward_out->forward(
      dropout->forward(at::gelu(feed_forward_in->forward(feed_forward_norm->forward(h)))));
  return h + dropout->forward(ff);
}

EncoderImpl::EncoderImpl(const EncoderOptions& options_, const AttentionFactory& make_attention)
    : options(options_) {
  TORCH_CHECK(options.positions() == "sinusoidal" || options.positions() == "learned",
              "positions must be sinusoidal or learned, got ", options.positions());
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.layers(); ++i) {
    layers->push_back(EncoderLayer(make_attention(), options));
  }
  if (options.positions() == "learned") {
    learned_positions = register_module("learned_positions",
                                        torch::nn::Embedding(options.max_len(), options.d_model()));
  } else {
    // PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(...)
    auto position = at::arange(options.max_len(), at::kFloat).unsqueeze(1);
    auto frequency = at::exp(at::arange(0, options.d_model(), 2, at::kFloat) *
                             (-std::log(10000.0) / static_cast<double>(options.d_model())));
    auto table = at::zeros({options.max_len(), options.d_model()});
    table.slice(1, 0, options.d_model(), 2).copy_(at::sin(position * frequency));
    table.slice(1, 1, options.d_model(), 2)
        .copy_(at::cos(position * frequency).slice(1, 0, options.d_model() / 2));
    sinusoidal_positions = register_buffer("sinusoidal_positions", table);
  }
  final_norm = register_module(
      "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.d_model()})));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout()));
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  const int64_t length = x.size(1);
  TORCH_CHECK(length <= options.max_len(), "input length ", length, " exceeds max_len ",
              options.max_len());
  auto positions = learned_positions ? learned_positions->weight.slice(0, 0, length)
                                     : sinusoidal_positions.slice(0, 0, length);
  auto h = dropout->forward(x + positions.unsqueeze(0));
  for (const auto& layer : *layers) h = layer->as<EncoderLayer>()->forward(h, key_padding_mask);
  return final_norm->forward(h);
}

SequenceClassifierImpl::SequenceClassifierImpl(const EncoderOptions& options,
                                               const AttentionFactory& make_attention)
    : pooling(options.pooling()) {
  TORCH_CHECK(pooling == "mean" || pooling == "max" || pooling == "mean_max",
              "pooling must be mean, max or mean_max, got ", pooling);
  encoder = register_module("encoder", Encoder(options, make_attention));
  const int64_t pooled_width = pooling == "mean_max" ? 2 * options.d_model() : options.d_model();
  if (options.standardize()) {
    standardizer = register_module("standardizer", FeatureStandardizer(pooled_width));
  }
  head = register_module("head", torch::nn::Linear(pooled_width, 1));
}

torch::Tensor SequenceClassifierImpl::forward(const torch::Tensor& x,
                                              const torch::Tensor& key_padding_mask) {
  auto h = encoder->forward(x, key_padding_mask);
  std::vector<torch::Tensor> pooled;
  if (pooling != "max") {
    if (key_padding_mask.defined()) {
      auto keep = key_padding_mask.logical_not().unsqueeze(-1).to(h.dtype());
      pooled.push_back((h * keep).sum(1) / keep.sum(1).clamp_min(1.0));
    } else {
      pooled.push_back(h.mean(1));
    }
  }
  if (pooling != "mean") {
    // Padded positions at the lowest float: a window has at least one real event, so they never
    // win (and no -inf reaches the gradient).
    const auto masked =
        key_padding_mask.defined()
            ? h.masked_fill(key_padding_mask.unsqueeze(-1), std::numeric_limits<float>::lowest())
            : h;
    pooled.push_back(std::get<0>(masked.max(1)));
  }
  auto features = pooled.size() == 1 ? pooled[0] : at::cat(pooled, 1);
  if (standardizer) features = standardizer->forward(features);
  return head->forward(features).squeeze(-1);
}

EncoderOptions EncoderOptionsOf(const nlohmann::json& model, int64_t max_len) {
  EncoderOptions options(model.at("d_model").get<int64_t>(), model.at("layers").get<int64_t>(),
                         model.at("ff_dim").get<int64_t>(), max_len);
  options.dropout(model.at("dropout").get<double>())
      .positions(model.at("positions").get<std::string>())
      // Configs stored before these keys existed (a batch resumed by a newer build) keep the model
      // they were defined with.
      .pooling(model.value("pooling", std::string("mean")))
      .residual_gate(model.value("residual_gate", false))
      .standardize(model.value("standardize", false));
  return options;
}

SequenceClassifier MakeClassifier(const nlohmann::json& model, int64_t max_len) {
  SequenceClassifier classifier(EncoderOptionsOf(model, max_len),
                                [&] { return MakeAttention(model, max_len); });
  auto& layers = *classifier->encoder->layers;
  for (size_t i = 1; i < layers.size(); ++i) {
    layers[i]->as<EncoderLayer>()->attention->ShareWithFirstLayer(
        *layers[0]->as<EncoderLayer>()->attention);
  }
  return classifier;
}

}  // namespace attnsweep
