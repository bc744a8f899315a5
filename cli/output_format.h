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
};

std::string RenderTable(const Table& table, OutputFormat format);

// Four significant digits, without exponent for values a person reads as plain numbers.
std::string FormatNumber(double value);

}  // namespace attnsweep
