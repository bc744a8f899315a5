// A pre-LayerNorm transformer encoder around any attention variant, and the sequence classifier the
// train task uses: masked pooling (mean, max or both) of the encoder's outputs, then a logit.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <torch/arg.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <nlohmann/json_fwd.hpp>

#include "experiments/models/attention.h"
#include "experiments/models/feature_standardizer.h"

namespace attnsweep {

struct EncoderOptions {
  EncoderOptions(int64_t d_model, int64_t layers, int64_t ff_dim, int64_t max_len)
      : d_model_(d_model), layers_(layers), ff_dim_(ff_dim), max_len_(max_len) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, layers);
  TORCH_ARG(int64_t, ff_dim);
  TORCH_ARG(int64_t, max_len);
  TORCH_ARG(double, dropout) = 0.1;
  // "sinusoidal" (fixed, Vaswani et al.) or "learned" (an embedding per position).
  TORCH_ARG(std::string, positions) = "sinusoidal";
  // How the classifier reduces the sequence: "mean" over real positions, "max" per feature, or
  // "mean_max", both side by side. A mean dilutes a rare event by the window's length; a max keeps
  // whether it happened at all.
  TORCH_ARG(std::string, pooling) = "mean";
  // A learnable scalar on each layer's mixing branch, initialised to zero (ReZero, Bachlechner et
  // al. 2020): the encoder starts as the bag of events and takes in what the mixer adds only as
  // far as training finds it helps. Without it, a mixer whose random initial mixing is noise
  // with respect to the signal (Linformer's position-indexed projection) ended below the bag
  // baseline (docs/train.md).
  TORCH_ARG(bool, residual_gate) = false;
  // Standardise the pooled vector before the head (feature_standardizer.h).
  TORCH_ARG(bool, standardize) = false;
};

// x + g Dropout(Attention(LN(x))) (g = 1, or a learned gate starting at 0), then
// x + Dropout(FF(LN(x))) with FF = Linear, GELU, Dropout, Linear.
class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(std::shared_ptr<AttentionImpl> attention, const EncoderOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask);

  std::shared_ptr<AttentionImpl> attention;
  torch::nn::LayerNorm attention_norm{nullptr}, feed_forward_norm{nullptr};
  torch::nn::Linear feed_forward_in{nullptr}, feed_forward_out{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::Tensor gate;  // (1), with options.residual_gate(); undefined otherwise
};
TORCH_MODULE(EncoderLayer);

using AttentionFactory = std::function<std::shared_ptr<AttentionImpl>()>;

class EncoderImpl : public torch::nn::Module {
 public:
  EncoderImpl(const EncoderOptions& options, const AttentionFactory& make_attention);
  // (B, L, d_model) embedded inputs -> (B, L, d_model), positions added.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});

  EncoderOptions options;
  torch::nn::ModuleList layers{nullptr};
  torch::nn::Embedding learned_positions{nullptr};
  torch::Tensor sinusoidal_positions;  // buffer (max_len, d_model)
  torch::nn::LayerNorm final_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Encoder);

class SequenceClassifierImpl : public torch::nn::Module {
 public:
  SequenceClassifierImpl(const EncoderOptions& options, const AttentionFactory& make_attention);
  // One logit per sequence: the encoder's outputs over real positions pooled as options.pooling()
  // says, projected.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});

  std::string pooling;
  Encoder encoder{nullptr};
  FeatureStandardizer standardizer{nullptr};  // null when options.standardize() is off
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(SequenceClassifier);

// The encoder a config's "model" section describes, for inputs up to `max_len` long.
EncoderOptions EncoderOptionsOf(const nlohmann::json& model, int64_t max_len);

// The classifier a config's "model" section describes, for inputs up to `max_len` long (Linformer's
// layerwise sharing applied). Throws InvalidJobConfig for a config the variant refuses.
SequenceClassifier MakeClassifier(const nlohmann::json& model, int64_t max_len);

}  // namespace attnsweep
