#include "cli/cmd_tag.h"

#include <algorithm>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "experiments/base/exit_codes.h"
#include "experiments/base/label_rules.h"
#include "experiments/config_schema.h"
#include "store/result_store.h"

namespace attnsweep {

CLI::App* SetupTagCommand(CLI::App& app, TagOptions* options) {
  CLI::App* command = app.add_subcommand(
      "tag", "Add or remove a batch's tags and set its description (shown by `status`)");
  command->add_option("batch", options->batch, "a batch id or name")->required();
  command->add_option("tags", options->add, "tags to add");
  command->add_option("--remove", options->remove, "tags to remove")->allow_extra_args(false);
  command->add_option("--description", options->description,
                      "the batch's description (\"\" clears it)");
  AddDbOption(command, &options->db);
  return command;
}

int RunTagCommand(const TagOptions& options) {
  if (!ExistingStore(options.db)) return kExitStoreError;
  ResultStore store = ResultStore::OpenForWriting(options.db);
  const auto batch_id = ResolveBatch(store, options.batch, options.db);
  if (!batch_id) return kExitBadInput;
  std::vector<std::string> tags = store.FindBatch(*batch_id)->tags;
  for (const auto& tag : options.add) {
    if (const std::string problem = TagProblem(tag); !problem.empty()) {
      PrintError("tag '" + EscapeControlCharacters(tag) + "': " + problem);
      return kExitBadInput;
    }
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
  }
  for (const auto& tag : options.remove)
    tags.erase(std::remove(tags.begin(), tags.end(), tag), tags.end());
  store.SetBatchLabels(*batch_id, options.description, tags);
  const BatchSummary b = *store.FindBatch(*batch_id);
  std::printf("batch %lld '%s': tags [%s]%s%s\n", static_cast<long long>(b.id),
              EscapeControlCharacters(b.name).c_str(),
              EscapeControlCharacters(JoinNames(b.tags)).c_str(), b.description.empty() ? "" : "; ",
              EscapeControlCharacters(b.description).c_str());
  return kExitOk;
}

}  // namespace attnsweep
