#include "experiments/work_estimate.h"

#include <nlohmann/json.hpp>

#include "experiments/registry.h"

namespace attnsweep {

double ForwardFlopsPerSequence(const nlohmann::json& config, bool whole_model) {
  const auto& model = config.at("model");
  const double length = config.at("data").at("max_len").get<double>();
  const double d_model = model.at("d_model").get<double>();
  const VariantDefinition* variant = FindVariant(model.at("attention").get<std::string>());
  const double mixing = variant != nullptr ? variant->mixing_flops(model, length) : 0;
  // q, k, v and output projections: four d x d products per event.
  const double layer = mixing + 8.0 * length * d_model * d_model;
  if (!whole_model) return layer;
  const double ff = 4.0 * length * d_model * model.at("ff_dim").get<double>();
  return model.at("layers").get<double>() * (layer + ff);
}

}  // namespace attnsweep
