#include "cli/where_condition.h"

#include <vector>

#include "cli/common.h"
#include "experiments/config_schema.h"

namespace attnsweep {

std::optional<std::string> WhereOverWideView(const WideView& view, const std::string& condition) {
  std::string unknown;
  const std::string rewritten =
      RewriteDottedNames(condition, [&](const std::string& name) -> std::optional<std::string> {
        if (view.columns.count(name)) return QuoteIdentifier(name);
        if (FindParam(name) != nullptr) {
          return "json_extract(config, '$." + name + "')";
        }
        if (unknown.empty()) unknown = name;
        return std::nullopt;
      });
  if (unknown.empty()) return rewritten;
  std::vector<std::string> names(view.columns.begin(), view.columns.end());
  for (const auto& spec : ConfigSchema()) names.push_back(spec.key);
  const std::string close = ClosestName(unknown, names);
  PrintError("--where: '" + unknown + "' is no config key or metric of this store" +
             (close.empty() ? "" : "; did you mean '" + close + "'?") +
             " (`attnsweep keys` lists the keys; `attnsweep query \"SELECT * FROM wide LIMIT 1\"` "
             "every column)");
  return std::nullopt;
}

}  // namespace attnsweep
