// Small string helpers shared by every layer (plain C++, header only).
#pragma once

#include <string_view>

namespace attnsweep {

// Whether `text` ends with `suffix`.
inline bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace attnsweep
