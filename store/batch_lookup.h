// Finding the batch a command names: by id or name, else the newest one. The messages say what to
// run instead, as a command's error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/result_store.h"

namespace attnsweep {

// The batch `id_or_name` names, or with an empty one the newest batch (unfinished: the newest not
// done or failed); nullopt, with `problem` saying why and what to do, when there is none.
std::optional<int64_t> ResolveBatchId(ResultStore& store, const std::string& id_or_name,
                                      const std::string& db_path, bool unfinished,
                                      std::string* problem);

}  // namespace attnsweep
