// Rows printed as an aligned table, CSV, JSON or Markdown: every command that prints data uses
// this.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace attnsweep {

enum class OutputFormat { kTable, kCsv, kJson, kMarkdown };

// The names accepted by --format, in order.
const std::vector<std::string>& OutputFormatNames();
OutputFormat ParseOutputFormat(const std::string& name);  // name must be one of OutputFormatNames()

struct Table {
  std::vector<std::string> columns;
  // Cells are JSON scalars: null, numbers, strings. JSON output keeps their types; text formats
  // print numbers compactly (FormatNumber) and null as empty.
  std::vector<std::vector<nlohmann::json>> rows;
  // Columns of prose (meanings, errors) that the table format may wrap onto more lines, at word
  // breaks, so that a row fits the width it is given.
  std::vector<size_t> wrap_columns;
};

// `width`: the characters a line of the table format may take (0: no limit); the wrap columns
// narrow, widest first, until the table fits: each to its longest word, and past that to
// kNarrowestWrap, cutting words, where that is not enough; not at all where even that would not
// make it fit. Other formats ignore it.
std::string RenderTable(const Table& table, OutputFormat format, size_t width = 0);
constexpr size_t kNarrowestWrap = 12;

// `text` in lines of at most `width` characters, broken at blanks (a longer word is cut).
std::vector<std::string> WrapText(const std::string& text, size_t width);

// Four significant digits, without exponent for values a person reads as plain numbers.
std::string FormatNumber(double value);

// A cell as the text formats print it: null empty, numbers by FormatNumber.
std::string CellText(const nlohmann::json& cell);

}  // namespace attnsweep
