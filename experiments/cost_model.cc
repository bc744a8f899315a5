#include "experiments/cost_model.h"

#include <nlohmann/json.hpp>

namespace attnsweep {

double EstimateCost(const nlohmann::json& config) {
  const std::string task = config.value("task", "");
  if (task == "sleep") return config.at("sleep").at("seconds").get<double>() * 1e6;
  if (task == "fault") return config.at("fault").at("seconds").get<double>() * 1e6;
  if (task == "benchmark") {
    const double batch = config.at("bench").at("batch_size").get<double>();
    const double length = config.at("data").at("max_len").get<double>();
    const double d_model = config.at("model").at("d_model").get<double>();
    const double passes = config.at("bench").at("warmup").get<double>() +
                          config.at("bench").at("repeats").get<double>() *
                              (config.at("bench").at("backward").get<bool>() ? 4.0 : 1.0);
    // Exact attention: the two L x L products dominate; projections are 4 L d^2. At ~50 GFLOP/s.
    const double flops =
        batch * (4.0 * length * length * d_model + 8.0 * length * d_model * d_model);
    return passes * flops / 5e4;
  }
  return 1.0;
}

}  // namespace attnsweep
