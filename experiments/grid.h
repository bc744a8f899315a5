// A YAML experiment grid, validated and expanded into fully resolved jobs.
//
// Grammar (see docs/grid.md): top-level `name`, `store`, `defaults`, `experiments`; each experiment
// has `name`, `task`, `params`, `grid` (cartesian product; `model.attention` may map each variant
// to its own sub-grid), `zip` (lists that vary together), `include` (extra points), `exclude`
// (partial matches). A list in `grid` or `zip` may be written as `{range: [start, stop, step]}` or
// `{geom: [start, stop, factor]}` (experiments/grid_ranges.h).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/grid_issue.h"
#include "experiments/grid_overrides.h"
#include "experiments/job_plan.h"

namespace attnsweep {

struct JobSpec {
  std::string experiment;
  nlohmann::json config;  // every key the job's task reads, nested by section, normalised
  std::string job_key;    // SHA-256 hex of the canonical config, key version and data fingerprint
  // The experiment's `limits` (isolation, timeout_s, memory_bytes, max_attempts), those it sets.
  // How a job runs, not what it is: not part of the job key.
  nlohmann::json limits = nlohmann::json::object();
  JobPlan plan;  // computed from the config and the limits once, here
  // The data the key was made with (experiments/data/data_fingerprint.h); "" when it reads none.
  std::string data_fingerprint;
};

struct Grid {
  std::string name;               // the batch's name
  std::string store_path;         // `store:`, empty when the grid does not name one
  std::string description;        // `description:`, shown by `attnsweep status`
  std::vector<std::string> tags;  // `tags:`, for finding batches again
  std::vector<JobSpec> jobs;
  std::vector<GridIssue> warnings;  // things that are legal but probably not meant
};

struct GridParseResult {
  Grid grid;
  std::vector<GridIssue> errors;  // every problem found; the grid is usable only when empty
  bool ok() const { return errors.empty(); }
};

// `default_name` names the batch when the grid has no `name:` (the file's stem, say). `overrides`
// (grid_overrides.h) are set in the experiments that read their keys before the grid expands.
GridParseResult ParseGrid(const std::string& yaml_text, const std::string& default_name,
                          const std::vector<GridOverride>& overrides = {});

}  // namespace attnsweep
