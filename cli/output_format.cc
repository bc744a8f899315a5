#include "cli/output_format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "experiments/base/label_rules.h"

namespace attnsweep {

const std::vector<std::string>& OutputFormatNames() {
  static const std::vector<std::string> names = {"table", "csv", "json", "markdown"};
  return names;
}

OutputFormat ParseOutputFormat(const std::string& name) {
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  if (name == "markdown") return OutputFormat::kMarkdown;
  return OutputFormat::kTable;
}

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  char text[64];
  const double magnitude = std::fabs(value);
  if (value == std::floor(value) && magnitude < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else if (magnitude >= 1e4 && magnitude < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else if (magnitude >= 1e-3 || magnitude == 0) {
    std::snprintf(text, sizeof(text), "%.4g", value);
  } else {
    std::snprintf(text, sizeof(text), "%.3e", value);
  }
  return text;
}

namespace {

std::string CellText(const nlohmann::json& cell) {
  if (cell.is_null()) return "";
  if (cell.is_string()) return cell.get<std::string>();
  if (cell.is_number_integer()) return std::to_string(cell.get<int64_t>());
  if (cell.is_number()) return FormatNumber(cell.get<double>());
  if (cell.is_boolean()) return cell.get<bool>() ? "true" : "false";
  return cell.dump();
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string CsvCell(const nlohmann::json& cell) {
  // Full precision for machines (CSV is read back by pandas and spreadsheets), in the shortest
  // spelling that reads back as the same double: 0.1, not 0.10000000000000001; a whole number
  // without ".0", as before.
  if (cell.is_number_float()) {
    std::string text = cell.dump();
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0)
      text.resize(text.size() - 2);
    return text;
  }
  return CsvField(CellText(cell));
}

std::string RenderText(const Table& table, bool markdown) {
  const size_t n = table.columns.size();
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width(n);
  std::vector<bool> numeric(n, true);
  std::vector<std::string> heads;
  for (size_t c = 0; c < n; ++c) {
    heads.push_back(EscapeControlCharacters(table.columns[c]));
    width[c] = std::max<size_t>(heads[c].size(), markdown ? 3 : 1);
  }
  for (const auto& row : table.rows) {
    std::vector<std::string> texts;
    for (size_t c = 0; c < n; ++c) {
      const nlohmann::json& cell = c < row.size() ? row[c] : nlohmann::json();
      // Stored text (names, tags, errors) may hold control characters: shown escaped, so that
      // none reaches the terminal or splits a row (CSV quotes its fields, JSON escapes them).
      std::string text = EscapeControlCharacters(CellText(cell));
      if (markdown) {
        std::string escaped;
        for (char ch : text) escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
        text = escaped;
      }
      // "12.5 ± 0.3" reads as a number too: right-align columns of figures.
      const bool figure =
          cell.is_number() || (cell.is_string() && !text.empty() &&
                               (std::isdigit(static_cast<unsigned char>(text[0])) ||
                                ((text[0] == '-' || text[0] == '.') && text.size() > 1 &&
                                 std::isdigit(static_cast<unsigned char>(text[1])))));
      if (!figure && !cell.is_null()) numeric[c] = false;
      // Width in characters, counting each UTF-8 sequence (such as "±") once.
      width[c] = std::max(width[c], CharacterCount(text));
      texts.push_back(std::move(text));
    }
    cells.push_back(std::move(texts));
  }
  auto pad = [](const std::string& text, size_t w, bool right) {
    const size_t chars = CharacterCount(text);
    const std::string fill(w > chars ? w - chars : 0, ' ');
    return right ? fill + text : text + fill;
  };
  std::ostringstream out;
  const std::string sep = markdown ? " | " : "  ";
  auto line = [&](const std::vector<std::string>& texts, bool header) {
    std::string line_text = markdown ? "| " : "";
    for (size_t c = 0; c < n; ++c) {
      if (c) line_text += sep;
      line_text += pad(texts[c], width[c], numeric[c] && !header);
    }
    if (markdown) {
      line_text += " |";
    } else {
      line_text.erase(line_text.find_last_not_of(' ') + 1);
    }
    out << line_text << "\n";
  };
  line(heads, true);
  std::vector<std::string> rule;
  for (size_t c = 0; c < n; ++c) {
    std::string dashes(std::max<size_t>(width[c], markdown ? 3 : 1), '-');
    if (markdown && numeric[c]) dashes.back() = ':';
    rule.push_back(dashes);
  }
  line(rule, true);
  for (const auto& texts : cells) line(texts, false);
  return out.str();
}

}  // namespace

std::string RenderTable(const Table& table, OutputFormat format) {
  switch (format) {
    case OutputFormat::kCsv: {
      std::ostringstream out;
      for (size_t c = 0; c < table.columns.size(); ++c) {
        out << (c ? "," : "") << CsvField(table.columns[c]);
      }
      out << "\n";
      for (const auto& row : table.rows) {
        for (size_t c = 0; c < row.size(); ++c) out << (c ? "," : "") << CsvCell(row[c]);
        out << "\n";
      }
      return out.str();
    }
    case OutputFormat::kJson: {
      // Written by hand to keep the column order (nlohmann::json objects sort their keys).
      std::ostringstream out;
      out << "[";
      for (size_t r = 0; r < table.rows.size(); ++r) {
        out << (r ? ",\n  {" : "\n  {");
        for (size_t c = 0; c < table.columns.size() && c < table.rows[r].size(); ++c) {
          out << (c ? ", " : "") << nlohmann::json(table.columns[c]).dump() << ": "
              << table.rows[r][c].dump();
        }
        out << "}";
      }
      out << (table.rows.empty() ? "]\n" : "\n]\n");
      return out.str();
    }
    case OutputFormat::kMarkdown:
      return RenderText(table, true);
    case OutputFormat::kTable:
      return RenderText(table, false);
  }
  return {};
}

}  // namespace attnsweep
