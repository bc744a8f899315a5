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

std::string CellText(const nlohmann::json& cell) {
  if (cell.is_null()) return "";
  if (cell.is_string()) return cell.get<std::string>();
  if (cell.is_number_integer()) return std::to_string(cell.get<int64_t>());
  if (cell.is_number()) return FormatNumber(cell.get<double>());
  if (cell.is_boolean()) return cell.get<bool>() ? "true" : "false";
  return cell.dump();
}

namespace {

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

// The byte length of the first `count` characters of UTF-8 `text` (all of it when shorter).
size_t BytesOfCharacters(const std::string& text, size_t count) {
  size_t bytes = 0;
  for (size_t chars = 0; bytes < text.size() && chars < count; ++chars) {
    ++bytes;
    while (bytes < text.size() && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) ++bytes;
  }
  return bytes;
}

// Narrows the wrap columns, widest first, until the lines fit `limit` or none can narrow more.
// First none below its longest word (a word cut in two reads worse than a line broken between
// words); where that is not enough, down to kNarrowestWrap, cutting words.
void NarrowToFit(const std::vector<size_t>& wrap_columns, size_t limit,
                 const std::vector<std::vector<std::string>>& cells, std::vector<size_t>* width) {
  std::vector<size_t> whole_words(width->size(), 0);
  for (size_t c : wrap_columns) {
    if (c >= width->size()) continue;
    whole_words[c] = std::min((*width)[c], kNarrowestWrap);
    for (const auto& row : cells) {
      std::istringstream words(row[c]);
      for (std::string word; words >> word;) {
        whole_words[c] = std::max(whole_words[c], std::min(CharacterCount(word), (*width)[c]));
      }
    }
  }
  size_t total = 2 * (width->size() - 1);
  for (size_t w : *width) total += w;
  // A table too wide even with its prose as narrow as it goes is left as it is: its rows split
  // over several lines would not make it fit (a pager's horizontal scroll reads it better).
  size_t narrowest = total;
  for (size_t c : wrap_columns) {
    if (c < width->size()) narrowest -= (*width)[c] - std::min((*width)[c], kNarrowestWrap);
  }
  if (narrowest > limit) return;
  for (const bool cut_words : {false, true}) {
    while (total > limit) {
      size_t widest = width->size();
      for (size_t c : wrap_columns) {
        const size_t floor = cut_words ? std::min((*width)[c], kNarrowestWrap) : whole_words[c];
        if (c < width->size() && (*width)[c] > floor &&
            (widest == width->size() || (*width)[c] > (*width)[widest])) {
          widest = c;
        }
      }
      if (widest == width->size()) break;
      --(*width)[widest];
      --total;
    }
  }
}

std::string RenderText(const Table& table, bool markdown, size_t limit) {
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
  if (!markdown && limit > 0 && !table.wrap_columns.empty()) {
    NarrowToFit(table.wrap_columns, limit, cells, &width);
  }
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
  for (const auto& texts : cells) {
    // A wrapped cell's further lines go under it, the row's other cells blank beside them.
    std::vector<std::vector<std::string>> parts(n);
    size_t lines = 1;
    for (size_t c = 0; c < n; ++c) {
      const bool wraps = std::find(table.wrap_columns.begin(), table.wrap_columns.end(), c) !=
                         table.wrap_columns.end();
      parts[c] = wraps && !markdown && CharacterCount(texts[c]) > width[c]
                     ? WrapText(texts[c], width[c])
                     : std::vector<std::string>{texts[c]};
      lines = std::max(lines, parts[c].size());
    }
    for (size_t l = 0; l < lines; ++l) {
      std::vector<std::string> one(n);
      for (size_t c = 0; c < n; ++c) one[c] = l < parts[c].size() ? parts[c][l] : "";
      line(one, false);
    }
  }
  return out.str();
}

}  // namespace

std::vector<std::string> WrapText(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string current;
  auto flush = [&]() {
    if (!current.empty()) lines.push_back(current);
    current.clear();
  };
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    while (CharacterCount(word) > width) {  // a word longer than a line: cut it
      flush();
      const size_t cut = BytesOfCharacters(word, width);
      lines.push_back(word.substr(0, cut));
      word = word.substr(cut);
    }
    if (word.empty()) continue;
    const size_t needed =
        CharacterCount(current) + (current.empty() ? 0 : 1) + CharacterCount(word);
    if (needed > width) flush();
    current += (current.empty() ? "" : " ") + word;
  }
  flush();
  if (lines.empty()) lines.push_back("");
  return lines;
}

std::string RenderTable(const Table& table, OutputFormat format, size_t width) {
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
      return RenderText(table, true, 0);
    case OutputFormat::kTable:
      return RenderText(table, false, width);
  }
  return {};
}

}  // namespace attnsweep
