#include "experiments/base/label_rules.h"

#include <cstdio>

namespace attnsweep {
namespace {

// The bytes of the control character at text[i] (1 for C0 and DEL, 2 for a C1 in UTF-8: 0xC2
// 0x80-0x9F), or 0 when there is none there.
size_t ControlCharacterBytes(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x20 || c == 0x7F) return 1;
  const bool c1 = c == 0xC2 && i + 1 < text.size() &&
                  static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                  static_cast<unsigned char>(text[i + 1]) <= 0x9F;
  return c1 ? 2 : 0;
}

// The first control character of `text`, escaped; "" when there is none.
std::string FirstControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (const size_t bytes = ControlCharacterBytes(text, i); bytes > 0) {
      return EscapeControlCharacters(text.substr(i, bytes));
    }
  }
  return "";
}

}  // namespace

size_t CharacterCount(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

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
    const size_t bytes = ControlCharacterBytes(text, i);
    if (bytes == 2) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      out += escaped;
      ++i;
    } else if (bytes == 0) {
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
