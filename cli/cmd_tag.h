// `attnsweep tag BATCH [TAG...] [--remove TAG] [--description TEXT]`: labels a batch after the fact
// (a grid's own `tags:` and `description:` are stored when it runs); `status` shows them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace attnsweep {

struct TagOptions {
  std::string batch;
  std::vector<std::string> add;
  std::vector<std::string> remove;
  std::optional<std::string> description;
  std::string db = "attnsweep.db";
};

CLI::App* SetupTagCommand(CLI::App& app, TagOptions* options);
int RunTagCommand(const TagOptions& options);

}  // namespace attnsweep
