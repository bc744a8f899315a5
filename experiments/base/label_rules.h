// What may name a batch or an experiment and what may tag a batch: these are printed in tables, log
// lines and terminals, and typed on command lines. And how any stored text is shown on a terminal:
// its control characters as escapes, never obeyed (an ESC sequence in a batch name would otherwise
// set the terminal's title, clear its screen or erase log lines).
#pragma once

#include <string>
#include <string_view>

namespace attnsweep {

inline constexpr size_t kLongestName = 200;
inline constexpr size_t kLongestTag = 64;

// Characters of UTF-8 `text`, counting each multi-byte sequence once (what a terminal shows).
size_t CharacterCount(std::string_view text);

// Why `name` cannot name a batch or an experiment ("" when it can): empty, longer than
// kLongestName characters, or holding a control character.
std::string NameProblem(std::string_view name);

// Why `tag` cannot tag a batch ("" when it can): a tag is one word of at most kLongestTag
// characters, without blanks, commas or control characters.
std::string TagProblem(std::string_view tag);

// `text` with each control character (C0, DEL, and C1 in UTF-8) written as an escape: \n, \t, \r,
// \e, \xHH, \u0085. With `keep_newlines`, line feeds stay (multi-line messages).
std::string EscapeControlCharacters(std::string_view text, bool keep_newlines = false);

}  // namespace attnsweep
