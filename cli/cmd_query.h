// `attnsweep query "SELECT ..."`: read-only SQL on the store.
#pragma once

#include <string>

#include "store/readonly_query.h"

namespace CLI {
class App;
}

namespace attnsweep {

struct QueryOptions {
  std::string sql;
  std::string db = "attnsweep.db";
  std::string format = "table";
  QueryLimits limits;
};

CLI::App* SetupQueryCommand(CLI::App& app, QueryOptions* options);
int RunQueryCommand(const QueryOptions& options);

}  // namespace attnsweep
