// A problem found in a grid file, with the place in the YAML it points at.
#pragma once

#include <string>

namespace attnsweep {

// 1-based line and column in the YAML text; line 0 means no particular place (e.g. an unreadable
// file).
struct SourceMark {
  int line = 0;
  int column = 0;
};

struct GridIssue {
  SourceMark mark;
  std::string message;
};

// "grid.yaml:12:7: message", the form compilers use, so editors can jump to it.
std::string FormatGridIssue(const std::string& file, const GridIssue& issue);

}  // namespace attnsweep
