#include "experiments/base/label_rules.h"

#include <cstdio>

namespace attnsweep {
namespace {

// Characters, counting each UTF-8 sequence once.
size_t CharacterCount(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

// The first control character of `text` (C0, DEL, or a C1 in UTF-8 as 0xC2 0x80-0x9F), escaped;
// "" when there is none.
std::string FirstControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xC2 && i + 1 < text.size() &&
                    static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F || c1) return EscapeControlCharacters(text.substr(i, c1 ? 2 : 1));
  }
  return "";
}

}  // namespace

std::string NameProblem(std::string_view name) {
  if (name.empty()) return "a name cannot be empty";
  if (CharacterCount(name) > kLongestName) {
    return "a name has at most " + std::to_string(kLongestName) + " characters, this one " +
           std::to_string(CharacterCount(name));
  }
  if (const std::string control = FirstControlCharacter(name); !control.empty()) {
    return "a name cannot hold control characters (it has " + control + ")";
  }
  return "";
}

std::string TagProblem(std::string_view tag) {
  if (tag.empty()) return "a tag cannot be empty";
  if (CharacterCount(tag) > kLongestTag) {
    return "a tag has at most " + std::to_string(kLongestTag) + " characters";
  }
  if (const std::string control = FirstControlCharacter(tag); !control.empty()) {
    return "a tag cannot hold control characters (it has " + control + ")";
  }
  if (tag.find_first_of(" ,") != std::string_view::npos) {
    return "a tag is one word (no blanks or commas)";
  }
  return "";
}

std::string EscapeControlCharacters(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        char escaped[8];
        std::snprintf(escaped, sizeof(escaped), "\\u%04x", next);
        out += escaped;
        ++i;
        continue;
      }
    }
    if (c >= 0x20 && c != 0x7F) {
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += keep_newlines ? "\n" : "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == 0x1B) {
      out += "\\e";
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      out += escaped;
    }
  }
  return out;
}

}  // namespace attnsweep
