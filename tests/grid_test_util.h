// What the grid suites share: parsing a grid that must be valid.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "experiments/grid.h"

namespace attnsweep {

// The grid of `yaml`; a test failure listing every problem when it has any.
inline Grid MustParse(const std::string& yaml) {
  GridParseResult result = ParseGrid(yaml, "test");
  std::string errors;
  for (const auto& e : result.errors) errors += FormatGridIssue("grid.yaml", e) + "\n";
  EXPECT_TRUE(result.ok()) << errors;
  return result.grid;
}

}  // namespace attnsweep
