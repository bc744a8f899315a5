// What each built-in attention variant is: its name, keys and their defaults, what it costs,
// whether it has a causal form, what trades its accuracy for its cost. Free of LibTorch: the
// commands that only read a store link this alone. How each is built is attached by
// builtin_runners.cc.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/builtins.h"
#include "experiments/models/aggregate_features_options.h"
#include "experiments/models/chunked_attention_options.h"
#include "experiments/models/infinity_former_options.h"
#include "experiments/models/linformer_options.h"
#include "experiments/models/performer_options.h"

namespace attnsweep {
namespace {

VariantDefinition SoftmaxVariant() {
  VariantDefinition variant;
  variant.name = "softmax";
  variant.reference = true;
  variant.help = "exact softmax attention, one L x L score matrix per head";
  variant.causal = true;
  // QK^T and the weighted sum of V: two L x L x d products.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    return 4.0 * length * length * model.at("d_model").get<double>();
  };
  return variant;
}

VariantDefinition ChunkedSoftmaxVariant() {
  VariantDefinition variant;
  variant.name = "softmax_chunked";
  variant.help = "exact softmax attention over blocks of queries and keys: memory linear in L";
  variant.causal = true;
  variant.keys = {
      ParamSpec::Int("model.chunked.block", ChunkedAttentionOptions(1, 1).block())
          .Range(1, 1 << 20)
          .Help("queries and keys per block of softmax_chunked"),
  };
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    return 4.0 * length * length * model.at("d_model").get<double>();
  };
  return variant;
}

VariantDefinition PerformerVariant() {
  const PerformerAttentionOptions defaults(1, 1);
  VariantDefinition variant;
  variant.name = "performer";
  variant.help = "Performer: softmax attention estimated with random features (FAVOR+)";
  variant.causal = true;
  variant.size_key = "model.performer.features";
  variant.size_title = "random features M";
  variant.keys = {
      ParamSpec::Int("model.performer.features", defaults.features())
          .Range(0, 1 << 20)
          .Help("random features M of Performer (0: ceil(d_head ln d_head))"),
      ParamSpec::String("model.performer.kernel", defaults.kernel())
          .Choices({"positive", "hyperbolic", "trig"})
          .Help("Performer's feature map: positive or hyperbolic (FAVOR+), or trig (sin/cos)"),
      ParamSpec::String("model.performer.sampling", defaults.sampling())
          .Choices({"orthogonal", "iid", "hadamard", "givens"})
          .Help("orthogonal random features: blocks of Q of QR (orthogonal), of H D1 H D2 H D3 "
                "(hadamard), or of random Givens rotations (givens); or iid Gaussian"),
      ParamSpec::String("model.performer.scaling", defaults.scaling())
          .Choices({"chi", "sqrt_d"})
          .Help("norms of orthogonal features: chi(d)-distributed, or all sqrt(d)"),
      ParamSpec::Int("model.performer.redraw", defaults.redraw())
          .Range(0, 1 << 30)
          .Help("redraw the features every this many training steps (0: never)"),
  };
  // Features of queries and keys, phi(K)^T V and phi(Q) times it: about eight L x M x d products.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    const double d_model = model.at("d_model").get<double>();
    const double d_head = d_model / model.at("heads").get<double>();
    const auto& performer = model.at("performer");
    double features = performer.at("features").get<double>();
    if (features == 0) features = std::ceil(d_head * std::log(std::max(2.0, d_head)));
    if (performer.at("kernel") != "positive") features *= 2;  // sin|cos, exp(+)|exp(-)
    return 8.0 * length * features * d_model;
  };
  return variant;
}

VariantDefinition LinformerVariant() {
  const LinformerAttentionOptions defaults(1, 1, 1);
  VariantDefinition variant;
  variant.name = "linformer";
  variant.help = "Linformer: keys and values projected along the sequence to length k";
  variant.size_key = "model.linformer.k";
  variant.size_title = "projected length k";
  variant.not_causal =
      "Linformer projects the keys and values along the sequence, so each of its k projected keys "
      "mixes every position, later ones included: no mask can keep position t from seeing t + 1";
  variant.keys = {
      ParamSpec::Int("model.linformer.k", defaults.k())
          .Range(1, 1 << 20)
          .Help("projected length of Linformer's keys and values"),
      ParamSpec::String("model.linformer.sharing", defaults.sharing())
          .Choices({"none", "headwise", "kv", "layerwise"})
          .Help("Linformer projections: per head (none), shared by heads, by keys and values, by "
                "layers"),
      ParamSpec::Int("model.linformer.max_len", 0)
          .Range(0, 1 << 24)
          .Help("length of Linformer's projections (0: data.max_len); longer inputs are refused"),
  };
  // Projecting keys and values to k rows, then attention against k keys: four L x k x d products.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    const double k = std::min(length, model.at("linformer").at("k").get<double>());
    return 8.0 * length * k * model.at("d_model").get<double>();
  };
  variant.check = [](const nlohmann::json& config) {
    std::vector<ConfigProblem> problems;
    const int64_t projection = config.at("model").at("linformer").at("max_len").get<int64_t>();
    const int64_t length = config.at("data").at("max_len").get<int64_t>();
    if (projection > 0 && projection < length) {
      problems.push_back({{"model.linformer.max_len", "data.max_len"},
                          "model.linformer.max_len (" + std::to_string(projection) +
                              ") is shorter than data.max_len (" + std::to_string(length) +
                              "): Linformer cannot take inputs longer than its projection"});
    }
    return problems;
  };
  return variant;
}

VariantDefinition InfinityVariant() {
  const InfinityFormerOptions defaults(1, 1);
  std::string widths;
  for (double width : defaults.widths()) {
    widths += (widths.empty() ? "" : ", ") + nlohmann::json(width).dump();
  }
  VariantDefinition variant;
  variant.name = "infinity";
  variant.help = "the ∞-former: exact attention within segments, a continuous long-term memory";
  // Causal within a segment; the memory a segment reads holds the segments before it only.
  variant.causal = true;
  // How well the continuous memory reconstructs what it read (approximation_task.cc).
  variant.size_key = "model.infinity.basis";
  variant.size_title = "basis functions N";
  variant.size_metric = "recon_error";
  variant.keys = {
      ParamSpec::Int("model.infinity.segment", defaults.segment())
          .Range(1, 1 << 20)
          .Help("events per segment of the ∞-former: exact attention within one, the memory "
                "across"),
      ParamSpec::Int("model.infinity.basis", defaults.basis())
          .Range(1, 4096)
          .Help("basis functions N of the ∞-former's long-term memory"),
      ParamSpec::NumberList("model.infinity.widths", widths)
          .AtLeast(1e-6)
          .Help("widths of the memory's Gaussian basis functions on [0, 1]; N is split over them"),
      ParamSpec::Float("model.infinity.ridge", defaults.ridge())
          .AtLeast(0)
          .Help("ridge penalty lambda of the memory's fit"),
      ParamSpec::Int("model.infinity.samples", defaults.samples())
          .Range(1, 1 << 20)
          .Help("locations M where the old memory is sampled at each update"),
      ParamSpec::Float("model.infinity.tau", defaults.tau())
          .Range(0.001, 1)
          .Below(1)
          .Help("the past is contracted into [0, tau], the new segment takes [tau, 1]"),
      ParamSpec::Bool("model.infinity.sticky", defaults.sticky())
          .Help("sticky memories: sample the old memory where attention went, not evenly"),
      ParamSpec::Bool("model.infinity.detach", defaults.detach())
          .Help("no gradient into past segments through the memory (as in the paper)"),
  };
  // Exact attention within each segment, and every event attending to the N basis functions.
  variant.mixing_flops = [](const nlohmann::json& model, double length) {
    const auto& infinity = model.at("infinity");
    const double segment = std::min(length, infinity.at("segment").get<double>());
    const double basis = infinity.at("basis").get<double>();
    return (4.0 * segment + 8.0 * basis) * length * model.at("d_model").get<double>();
  };
  return variant;
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
  return variant;
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
  return variant;
}

VariantDefinition AggregatesVariant() {
  const AggregateClassifierOptions defaults(1, 1);
  VariantDefinition variant;
  variant.name = "aggregates";
  variant.help =
      "per-customer aggregate features (share, count and amount statistics per "
      "category and type) into an MLP: the practitioners' baseline, train task only";
  variant.keys = {
      ParamSpec::Int("model.aggregates.hidden", defaults.hidden())
          .Range(0, 1 << 20)
          .Help("hidden width of the aggregate features' MLP (0: logistic regression)"),
  };
  variant.approximates_attention = false;
  variant.not_causal =
      "aggregate features summarise a customer's whole window into one vector: there is no output "
      "per position to predict the next event from";
  variant.whole_model = true;
  variant.mixing_flops = [](const nlohmann::json&, double) { return 0.0; };
  variant.check = [](const nlohmann::json& config) {
    std::vector<ConfigProblem> problems;
    const std::string task = config.at("task").get<std::string>();
    const TaskDefinition* definition = FindTask(task);
    if (definition != nullptr && !definition->builds_transaction_model) {
      problems.push_back({{"model.attention"},
                          "aggregates is a baseline of the train task: it has no attention layer "
                          "to " +
                              task + " (use bag or gru for a non-attention reference)"});
    }
    return problems;
  };
  return variant;
}

}  // namespace

std::vector<VariantDefinition> BuiltinVariants() {
  return {SoftmaxVariant(),   ChunkedSoftmaxVariant(), PerformerVariant(),
          LinformerVariant(), InfinityVariant(),       GruVariant(),
          BagVariant(),       AggregatesVariant()};
}

}  // namespace attnsweep
