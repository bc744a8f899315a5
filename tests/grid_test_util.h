// What the grid suites share: parsing a grid that must be valid, the problems of one that is not,
// and the suite that tables of refused grids instantiate.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

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

// Every problem of `yaml`, in order, as `attnsweep` prints them for a grid file g.yaml.
inline std::vector<std::string> Problems(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& e : ParseGrid(yaml, "t").errors) out.push_back(FormatGridIssue("g.yaml", e));
  return out;
}

inline std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// A grid and every problem it is refused with, in order (none: it is valid). `name` names the case
// in gtest's output: letters, digits and underscores.
struct GridProblemCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> problems;
};

inline void PrintTo(const GridProblemCase& c, std::ostream* os) {
  *os << c.name << ":\n" << c.yaml;
}

inline std::string GridProblemCaseName(const ::testing::TestParamInfo<GridProblemCase>& info) {
  return info.param.name;
}

// The suite of refused grids: its one test, in grid_validation_test.cc, expects every case's
// problems to the letter; each file with a table of cases instantiates it with its own.
class GridProblems : public ::testing::TestWithParam<GridProblemCase> {};

}  // namespace attnsweep
