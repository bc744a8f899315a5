// Small string helpers shared by every layer (plain C++, header only).
#pragma once

#include <string>
#include <string_view>

namespace attnsweep {

// Whether `text` ends with `suffix`.
inline bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `text` without the blanks (spaces and tabs) at either end.
inline std::string TrimBlanks(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

}  // namespace attnsweep
