// `approximation`: how far a variant's attention output is from exact softmax attention computed on
// the same inputs with the same projections (the Performer paper's plots against M, Linformer's
// against k), or, for the ∞-former, whose long-term memory is not an estimate of softmax
// attention, how well that memory reconstructs the states it has read (against N).
//
// Each draw re-seeds everything random (inputs, projections, random features, Linformer's E and F)
// from the job's seed and the draw number; the metrics are the mean, standard deviation and maximum
// over the draws.
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include <ATen/ATen.h>
#include <torch/utils.h>
#include <nlohmann/json.hpp>

#include "experiments/data/batches.h"
#include "experiments/data/prepared_data.h"
#include "experiments/device/job_device.h"
#include "experiments/models/attention_factory.h"
#include "experiments/models/multihead_projections.h"
#include "experiments/models/transaction_classifier.h"
#include "experiments/registry.h"
#include "experiments/tasks/tasks.h"

namespace attnsweep {
namespace {

// Smooth random signals along the sequence: per sequence and channel a sum of sinusoids of at most
// 8 cycles over the whole length, with standard deviation `scale`.
at::Tensor SmoothInputs(int64_t batch, int64_t length, int64_t channels, double scale) {
  constexpr int kWaves = 8;
  const auto t =
      (at::arange(length, at::kFloat) / static_cast<double>(length)).view({1, length, 1});
  auto signal = at::zeros({batch, length, channels});
  auto power = at::zeros({batch, 1, channels});
  for (int wave = 0; wave < kWaves; ++wave) {
    const auto amplitude = at::randn({batch, 1, channels});
    const auto cycles = at::rand({batch, 1, channels}) * 8.0;
    const auto phase = at::rand({batch, 1, channels}) * (2 * M_PI);
    signal += amplitude * at::sin(t * cycles * (2 * M_PI) + phase);
    power += amplitude.pow(2) / 2;
  }
  return signal / power.sqrt() * scale;
}

// Inputs of one draw: (B, L, d) states and their padding mask (undefined when there is none).
struct DrawInputs {
  at::Tensor x, mask;
};

// Windows of `batch` customers drawn from the data, embedded by a freshly initialised transaction
// embedding (what a classifier's first attention layer sees at the start of training), times
// `scale`.
DrawInputs TransactionInputs(const TransactionDataset& data, int64_t batch, int64_t length,
                             int64_t d_model, double scale, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> customers(static_cast<size_t>(batch));
  std::uniform_int_distribution<int64_t> pick(0, data.customers() - 1);
  for (auto& c : customers) c = pick(rng);
  const TransactionBatch windows = MakeBatch(data, customers, length, Crop::kLast, &rng);
  TransactionEmbedding embedding(d_model, data.mcc_vocabulary(), data.type_vocabulary());
  return {embedding(windows) * scale, windows.padding_mask};
}

void ReportSpread(const std::string& name, const std::vector<double>& values, JobOutput* output) {
  const double n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double squares = 0, largest = 0;
  for (double v : values) {
    squares += (v - mean) * (v - mean);
    largest = std::max(largest, v);
  }
  output->metrics.emplace_back(name, mean);
  output->metrics.emplace_back(name + "_sd", values.size() > 1 ? std::sqrt(squares / (n - 1)) : 0);
  output->metrics.emplace_back(name + "_max", largest);
}

// The exact attention the variants approximate (the registry's reference variant: softmax), built
// from the job's model section as that variant would be.
std::shared_ptr<AttentionImpl> MakeExactAttention(const nlohmann::json& model, int64_t length) {
  for (const VariantDefinition& variant : Variants()) {
    if (!variant.reference) continue;
    nlohmann::json exact_model = model;
    exact_model["attention"] = variant.name;
    return variant.make(exact_model, length);
  }
  throw InvalidJobConfig("no reference variant is registered to compare with");
}

}  // namespace

void RunApproximationTask(const nlohmann::json& config, const JobContext& context,
                          JobOutput* output) {
  const auto& model = config.at("model");
  const auto& approx = config.at("approx");
  const std::string variant = model.at("attention").get<std::string>();
  if (const VariantDefinition* definition = FindVariant(variant);
      definition != nullptr && !definition->approximates_attention) {
    throw InvalidJobConfig(
        "the approximation task compares attention with exact softmax "
        "attention; " +
        variant + " has none");
  }
  const int64_t batch = approx.at("batch_size").get<int64_t>();
  const int64_t length = config.at("data").at("max_len").get<int64_t>();
  const int64_t d_model = model.at("d_model").get<int64_t>();
  const double scale = approx.at("scale").get<double>();
  const std::string inputs = approx.at("inputs").get<std::string>();
  std::shared_ptr<const TransactionDataset> data;
  if (inputs == "transactions") data = PrepareData(config.at("data")).dataset;
  const uint64_t seed = config.at("seed").get<uint64_t>();

  const c10::Device device = JobDevice(context.device);
  torch::NoGradGuard no_grad;
  std::vector<double> errors;
  // The metric: rel_error against exact attention, or the variant's own (AttentionImpl::OwnError).
  std::string metric = "rel_error";
  for (int64_t draw = 0; draw < approx.at("draws").get<int64_t>(); ++draw) {
    if (context.stop_requested()) throw JobInterrupted();
    torch::manual_seed(seed * 1000003 + static_cast<uint64_t>(draw));
    DrawInputs draw_inputs;
    if (inputs == "transactions") {
      draw_inputs = TransactionInputs(*data, batch, length, d_model, scale, seed * 7919 + draw);
    } else {
      draw_inputs.x = inputs == "smooth" ? SmoothInputs(batch, length, d_model, scale)
                                         : at::randn({batch, length, d_model}) * scale;
    }
    // Drawn on the CPU whatever the device, so every device compares on the same inputs.
    const at::Tensor x = draw_inputs.x.to(device);
    const at::Tensor mask = draw_inputs.mask.defined() ? draw_inputs.mask.to(device) : at::Tensor();
    const std::shared_ptr<AttentionImpl> layer = MakeAttention(model, length);
    layer->to(device);
    layer->eval();
    if (const auto own = layer->ApproximationError(x, mask)) {
      metric = own->metric;
      errors.push_back(own->value);
      continue;
    }
    // Exact attention with the variant's own projections: only the attention itself differs.
    auto* projections = dynamic_cast<MultiHeadProjections*>(layer.get());
    TORCH_CHECK(projections != nullptr, "variant '", variant, "' has no q/k/v projections");
    const std::shared_ptr<AttentionImpl> exact = MakeExactAttention(model, length);
    auto* exact_projections = dynamic_cast<MultiHeadProjections*>(exact.get());
    TORCH_CHECK(exact_projections != nullptr, "the reference variant has no q/k/v projections");
    exact_projections->qkv_projection->weight.copy_(projections->qkv_projection->weight);
    exact_projections->qkv_projection->bias.copy_(projections->qkv_projection->bias);
    exact_projections->output_projection->weight.copy_(projections->output_projection->weight);
    exact_projections->output_projection->bias.copy_(projections->output_projection->bias);
    exact->to(device);
    exact->eval();
    // Compared at real positions only: what padded positions hold is nobody's output.
    const auto real = mask.defined() ? mask.logical_not().unsqueeze(-1).to(x.scalar_type())
                                     : at::ones({1, 1, 1}, x.options());
    const auto reference = exact->forward(x, mask) * real;
    const auto estimate = layer->forward(x, mask) * real;
    errors.push_back(((estimate - reference).norm() / reference.norm()).item<double>());
  }
  ReportSpread(metric, errors, output);
}

}  // namespace attnsweep
