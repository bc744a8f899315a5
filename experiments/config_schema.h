// Every key a job's configuration can hold: its type, default, allowed range, and which tasks and
// attention variants read it. The keys are declared where they are read (a task's own section by
// the task, a variant's by the variant, shared sections in common_keys.cc); the registry
// (registry.h) gathers them into the one schema used for validation, defaults and `keys`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "experiments/param_spec.h"

namespace attnsweep {

const std::vector<ParamSpec>& ConfigSchema();
const ParamSpec* FindParam(const std::string& key);

// True when `prefix` is a section such as "model" or "model.performer" that holds known keys.
bool IsSectionPrefix(const std::string& prefix);

// Whether a job of `task` using attention `variant` reads the key.
bool ParamAppliesTo(const ParamSpec& spec, const std::string& task, const std::string& variant);
// Whether every `when` condition of the key holds for a job of `task` whose values are given by
// `value_of` (a key's JSON text).
bool ParamConditionHolds(const ParamSpec& spec, const std::string& task,
                         const std::function<std::string(const std::string&)>& value_of);

// Whether a job of `task` reads the key under any variant.
bool ParamAppliesToTask(const ParamSpec& spec, const std::string& task);

// "unknown key 'x'; did you mean 'y'? (`attnsweep keys` lists every key)".
std::string UnknownKeyMessage(const std::string& key);

// The closest known name to `word` among `candidates`, or "" when none is close enough.
std::string ClosestName(const std::string& word, const std::vector<std::string>& candidates);

// Every name in `names`, comma-separated: for messages.
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace attnsweep
