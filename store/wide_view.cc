#include "store/wide_view.h"

#include <cctype>
#include <vector>

#include "store/readonly_query.h"
#include "store/schema.h"

namespace attnsweep {
namespace {

struct JobColumn {
  std::string name;
  std::string expression;
};

// The job columns `export` writes first, in its order, with the batch's name after its id.
std::vector<JobColumn> ExportedJobColumns() {
  return {{"job_id", "j.id"},
          {"batch_id", "j.batch_id"},
          {"batch", "b.name"},
          {"experiment", "j.experiment"},
          {"status", "j.status"},
          {"error_kind", "j.error_kind"},
          {"attempts", "j.attempts"},
          {"rank", "j.rank"},
          {"host", "j.host"},
          {"seconds", WallSecondsSql()},
          {"reused_from", "j.reused_from"}};
}

// After the config keys and the results view's short names (schema.h: ConfigShortNames), so
// that conditions written for that view (`max_len >= 1024`) read the same here.
const JobColumn kLaterJobColumns[] = {
    {"device", "j.device"},
    {"isolation", "j.isolation"},
    {"config", "j.config"},
};

std::vector<std::string> Strings(const Database& db, const std::string& sql) {
  std::vector<std::string> values;
  Statement s(db, sql);
  while (s.Step()) values.push_back(s.Text(0));
  return values;
}

// json_tree's path of a value ("$.data.max_len", or "$.data.\"max_len\"": some SQLite versions
// quote names with underscores) as a dotted key; nullopt inside an array ("$.a.widths[0]").
std::optional<std::string> DottedKey(const std::string& path) {
  std::string key;
  size_t i = 1;  // past the "$"
  while (i < path.size()) {
    if (path[i] != '.') return std::nullopt;
    ++i;
    if (!key.empty()) key += '.';
    if (i < path.size() && path[i] == '"') {
      const size_t close = path.find('"', i + 1);
      if (close == std::string::npos) return std::nullopt;
      key += path.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const size_t end = path.find_first_of(".[", i);
      key += path.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end == std::string::npos ? path.size() : end;
    }
  }
  if (key.empty()) return std::nullopt;
  return key;
}

bool NameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool NamePart(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

WideView CreateWideView(const Database& db) {
  WideView view;
  std::string select;
  auto add = [&](const std::string& name, const std::string& expression) {
    select += (select.empty() ? "" : ", ") + expression + " AS " + QuoteIdentifier(name);
    view.columns.insert(name);
  };
  for (const JobColumn& column : ExportedJobColumns()) add(column.name, column.expression);
  // Every leaf of every stored config, as FlattenConfig names it: arrays are values, not paths.
  std::set<std::string> keys;
  for (const auto& path : Strings(db,
                                  "SELECT DISTINCT t.fullkey FROM (SELECT DISTINCT config "
                                  "FROM main.jobs) j, json_tree(j.config) t "
                                  "WHERE t.type <> 'object'")) {
    if (auto key = DottedKey(path)) keys.insert(*key);
  }
  for (const auto& key : keys) {
    view.config_keys.insert(key);
    if (view.columns.count(key) == 0) {
      add(key, ConfigValueSql(key));
    }
  }
  // `task` and `seed` are config keys already: their short names are the same columns.
  for (const ConfigShortName& short_name : ConfigShortNames()) {
    if (view.columns.count(short_name.name) == 0) {
      add(short_name.name, ConfigValueSql(short_name.key));
    }
  }
  for (const JobColumn& column : kLaterJobColumns) add(column.name, column.expression);
  for (const auto& metric : Strings(db, "SELECT DISTINCT name FROM main.metrics ORDER BY 1")) {
    const std::string name = view.columns.count(metric) ? "metric." + metric : metric;
    if (view.columns.count(name)) continue;
    add(name, FigureSql(metric));
  }
  DefineTempView(db, "CREATE TEMP VIEW wide AS SELECT " + select +
                         " FROM main.jobs j JOIN main.batches b ON b.id = j.batch_id");
  return view;
}

std::string RewriteDottedNames(
    const std::string& sql,
    const std::function<std::optional<std::string>(const std::string&)>& rename) {
  std::string out;
  size_t i = 0;
  // Copies up to and including the first `close` from `from` on (or to the end).
  auto copy_through = [&](size_t from, const std::string& close) {
    const size_t end = sql.find(close, from);
    const size_t stop = end == std::string::npos ? sql.size() : end + close.size();
    out.append(sql, i, stop - i);
    i = stop;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      // A doubled quote inside is one character: copying through each closing quote in turn
      // lands on the same end.
      copy_through(i + 1, std::string(1, c));
    } else if (c == '[') {
      copy_through(i + 1, "]");
    } else if (sql.compare(i, 2, "--") == 0) {
      copy_through(i + 2, "\n");
    } else if (sql.compare(i, 2, "/*") == 0) {
      copy_through(i + 2, "*/");
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < sql.size() &&
                std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
      // A number, with its point and exponent: never a name.
      size_t end = i + 1;
      while (end < sql.size() && (NamePart(sql[end]) || sql[end] == '.' ||
                                  ((sql[end] == '+' || sql[end] == '-') &&
                                   (sql[end - 1] == 'e' || sql[end - 1] == 'E')))) {
        ++end;
      }
      out.append(sql, i, end - i);
      i = end;
    } else if (NameStart(c)) {
      size_t end = i;
      while (end < sql.size() && NamePart(sql[end])) ++end;
      while (end + 1 < sql.size() && sql[end] == '.' && NameStart(sql[end + 1])) {
        ++end;
        while (end < sql.size() && NamePart(sql[end])) ++end;
      }
      const std::string name = sql.substr(i, end - i);
      const auto renamed = name.find('.') == std::string::npos ? std::nullopt : rename(name);
      out += renamed ? *renamed : name;
      i = end;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace attnsweep
