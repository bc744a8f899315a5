// How much arithmetic a model task's job does, from its config alone: the analytic side of the cost
// model, shared by the tasks that run attention layers. Each variant says how its mixing scales
// (VariantDefinition::mixing_flops); the projections and feed-forward blocks are the same for all.
#pragma once

#include <nlohmann/json_fwd.hpp>

namespace attnsweep {

// Floating-point operations per second one core is assumed to sustain on attention layers before
// the cost model has measured anything (a layer benchmark here: 5 to 20 GFLOP/s per core).
constexpr double kAssumedFlopsPerSecond = 1e10;

// Forward flops for one sequence of data.max_len events: one attention layer when `whole_model` is
// false, every encoder layer with its feed-forward block when true.
double ForwardFlopsPerSequence(const nlohmann::json& config, bool whole_model);

// Seconds a training job takes on one core, from its config alone (the cost model's prior): the
// forward and backward passes over the training customers each epoch, a forward pass over the
// validation ones, then one over the test customers.
double TrainingSeconds(const nlohmann::json& config);

}  // namespace attnsweep
