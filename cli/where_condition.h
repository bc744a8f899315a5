// `results --where`: an SQL condition over the `wide` view (store/wide_view.h), in the grid's own
// words — `data.max_len >= 4096`, `train.lr = 0.01`, `best_val_auc > 0.8` — as well as the results
// view's short names (`max_len`).
#pragma once

#include <optional>
#include <string>

#include "store/wide_view.h"

namespace attnsweep {

// `condition` with its dotted names made SQL: a column of `view` quoted; a grid key no stored job
// has read from the config (NULL for every job). nullopt, with a message naming the name (and the
// closest known one), for a dotted name that is neither.
std::optional<std::string> WhereOverWideView(const WideView& view, const std::string& condition);

}  // namespace attnsweep
