#include "store/batch_lookup.h"

namespace attnsweep {

std::optional<int64_t> ResolveBatchId(ResultStore& store, const std::string& id_or_name,
                                      const std::string& db_path, bool unfinished,
                                      std::string* problem) {
  if (!id_or_name.empty()) {
    auto id = store.FindBatchId(id_or_name);
    if (!id) {
      *problem = "no batch '" + id_or_name + "' in '" + db_path +
                 "': `attnsweep status` lists the batches";
    }
    return id;
  }
  auto id = unfinished ? store.LatestUnfinishedBatchId() : store.LatestBatchId();
  if (!id && unfinished) {
    *problem = "no unfinished batch in '" + db_path + "': `attnsweep status` lists the batches";
  } else if (!id) {
    *problem = "store '" + db_path + "' has no batches yet: run `attnsweep run GRID.yaml`";
  }
  return id;
}

}  // namespace attnsweep
