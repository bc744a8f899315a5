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

double TrainingSeconds(const nlohmann::json& config) {
  const auto& data = config.at("data");
  // The real data's labelled customers when the files are not read yet; the generator's count.
  constexpr double kLabelledCustomersOfRealData = 8400;
  const double customers = data.at("source") == "synthetic" ? data.at("customers").get<double>()
                                                            : kLabelledCustomersOfRealData;
  const double held_out =
      data.at("test_fraction").get<double>() + data.at("validation_fraction").get<double>();
  const double per_customer = ForwardFlopsPerSequence(config, true);
  // Per epoch: forward and backward (three forwards' work) over the training customers, one
  // forward over the validation customers; then one over the test customers.
  const double epochs = config.at("train").at("epochs").get<double>();
  const double flops =
      per_customer * customers *
      (epochs * (3.0 * (1.0 - held_out) + data.at("validation_fraction").get<double>()) +
       data.at("test_fraction").get<double>());
  return flops / kAssumedFlopsPerSecond;
}

}  // namespace attnsweep
