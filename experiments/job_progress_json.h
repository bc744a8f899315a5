// A job's progress (JobProgress, job_runner.h) as JSON, one spelling for every place it travels:
// the progress frame from a job process to its worker, the heartbeat to the coordinator, and the
// store's jobs.progress (where the store adds "at", the time it was heard). Header-only, so the
// printing commands read it without linking the experiments library (LibTorch).
#pragma once

#include <cmath>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/job_contract.h"

namespace attnsweep {

// {"epoch":3,"epochs":10,"first_epoch":1,"metric":"val_auc","value":0.712}; a NaN value is null.
inline nlohmann::json JobProgressToJson(const JobProgress& progress) {
  return {
      {"epoch", progress.epoch},
      {"epochs", progress.epochs},
      {"first_epoch", progress.first_epoch},
      {"metric", progress.metric},
      {"value", std::isfinite(progress.value) ? nlohmann::json(progress.value) : nlohmann::json()}};
}

// nullopt, with `error` saying why, for anything but what JobProgressToJson writes with
// 1 <= first_epoch <= epoch <= epochs. Keys it does not know (the store's "at") are ignored.
inline std::optional<JobProgress> JobProgressFromJson(const nlohmann::json& j, std::string* error) {
  if (!j.is_object()) {
    *error = "progress is not a JSON object";
    return std::nullopt;
  }
  JobProgress progress;
  for (const auto& [key, field] : {std::pair<const char*, int64_t*>{"epoch", &progress.epoch},
                                   {"epochs", &progress.epochs},
                                   {"first_epoch", &progress.first_epoch}}) {
    if (!j.contains(key) || !j[key].is_number_integer()) {
      *error = std::string("progress without an integer '") + key + "'";
      return std::nullopt;
    }
    *field = j[key].get<int64_t>();
  }
  if (!j.contains("metric") || !j["metric"].is_string() || !j.contains("value") ||
      !(j["value"].is_number() || j["value"].is_null())) {
    *error = "progress without a metric name and a value (a number or null)";
    return std::nullopt;
  }
  progress.metric = j["metric"].get<std::string>();
  progress.value = j["value"].is_null() ? std::nan("") : j["value"].get<double>();
  // first_epoch may be one past epoch: a resumed attempt that has run no epoch of its own yet
  // reports the epoch its checkpoint holds (to be asked about it again, JobContext).
  if (!(1 <= progress.first_epoch && progress.first_epoch <= progress.epoch + 1 &&
        progress.epoch <= progress.epochs)) {
    *error = "progress epochs out of order: first " + std::to_string(progress.first_epoch) +
             ", at " + std::to_string(progress.epoch) + " of " + std::to_string(progress.epochs);
    return std::nullopt;
  }
  return progress;
}

// The same from the store's text; nullopt for none ("") or text this build cannot read.
inline std::optional<JobProgress> JobProgressFromText(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::string ignored;
  return JobProgressFromJson(nlohmann::json::parse(text, nullptr, false), &ignored);
}

}  // namespace attnsweep
