#include "cli/analysis/report_page.h"

#include <algorithm>

#include <sstream>

#include "cli/analysis/report_bundles.h"
#include "cli/analysis/report_specs.h"

namespace attnsweep {
namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 13px; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 10px; text-align: left; }
th { background: #f5f5f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plot { margin: 0.4em 0 0.2em; min-height: 340px; }
.caption { color: #555; max-width: 60em; margin: 0 0 1.4em; }
.plot-error { color: #a00; font-weight: 600; }
.tag { background: #eef; border-radius: 3px; padding: 0 5px; margin-right: 3px;
       white-space: nowrap; }
td.fail { color: #a00; font-weight: 600; }
td.nowrap { white-space: nowrap; }
.scroll { overflow-x: auto; }
/* A table with prose (errors): the short cells keep to one line and the prose keeps a width a
   sentence reads in; a table wider than the page scrolls instead of squeezing it. */
table.with-prose td { white-space: nowrap; }
table.with-prose td.prose { white-space: normal; min-width: 24em; }
nav a { margin-right: 1em; }
)css";

// What the page runs once the libraries are loaded: each plot into its own element, and a record of
// how it went on the element (data-rendered, or data-error with the reason), which tests read.
constexpr const char* kRenderScript = R"js(
(function () {
  const specs = JSON.parse(document.getElementById('attnsweep-specs').textContent);
  const drawn = specs.map(function (item) {
    const element = document.getElementById(item.id);
    if (!element) return Promise.resolve();
    // A plot that fails, even at once, is reported in its place; the others are still drawn.
    return Promise.resolve()
      .then(function () { return vegaEmbed(element, item.spec, {renderer: 'svg', actions: false}); })
      .then(function () { element.setAttribute('data-rendered', 'true'); })
      .catch(function (error) {
        element.setAttribute('data-error', String(error));
        element.innerHTML = '';
        const message = document.createElement('p');
        message.className = 'plot-error';
        message.textContent = 'This plot could not be drawn: ' + error;
        element.appendChild(message);
      });
  });
  Promise.all(drawn).then(function () { document.body.setAttribute('data-plots-done', 'true'); });
})();
)js";

std::string CellHtml(const nlohmann::json& cell) {
  if (cell.is_null()) return "<td></td>";
  if (cell.is_number_integer())
    return "<td class=\"num\">" + std::to_string(cell.get<int64_t>()) + "</td>";
  if (cell.is_number()) return "<td class=\"num\">" + FormatNumber(cell.get<double>()) + "</td>";
  const std::string text = cell.is_string() ? cell.get<std::string>() : cell.dump();
  // A failure kind where a figure would be ("OOM", "TIMEOUT,ERROR").
  if (!text.empty() && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ,") == std::string::npos)
    return "<td class=\"fail\">" + EscapeHtml(text) + "</td>";
  const bool figure = !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) ||
                                        text.find(" ± ") != std::string::npos);
  return std::string(figure ? "<td class=\"num\">" : "<td>") + EscapeHtml(text) + "</td>";
}

std::string TableHtml(const Table& table) {
  std::ostringstream out;
  const bool prose = !table.wrap_columns.empty();
  out << (prose ? "<div class=\"scroll\"><table class=\"with-prose\">" : "<table>")
      << "<thead><tr>";
  for (const auto& column : table.columns) out << "<th>" << EscapeHtml(column) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& row : table.rows) {
    out << "<tr>";
    for (size_t c = 0; c < row.size(); ++c) {
      const bool wraps = std::find(table.wrap_columns.begin(), table.wrap_columns.end(), c) !=
                         table.wrap_columns.end();
      out << (wraps ? "<td class=\"prose\">" + EscapeHtml(CellText(row[c])) + "</td>"
                    : CellHtml(row[c]));
    }
    out << "</tr>\n";
  }
  out << "</tbody></table>" << (prose ? "</div>" : "") << "\n";
  return out.str();
}

std::string BatchesHtml(const std::vector<BatchSummary>& batches) {
  std::ostringstream out;
  out << "<table><thead><tr><th>batch</th><th>name</th><th>status</th><th>jobs</th><th>done</th>"
         "<th>failed</th><th>created</th><th>host</th><th>git</th><th>tags</th>"
         "<th>description</th></tr></thead><tbody>\n";
  for (const BatchSummary& b : batches) {
    out << "<tr><td class=\"num\">" << b.id << "</td><td class=\"nowrap\">" << EscapeHtml(b.name)
        << "</td><td>" << EscapeHtml(b.status) << "</td><td class=\"num\">" << b.total
        << "</td><td class=\"num\">" << b.done << "</td><td class=\"num\">" << b.failed
        << "</td><td>" << EscapeHtml(b.created_at) << "</td><td>" << EscapeHtml(b.host)
        << "</td><td>" << EscapeHtml(b.git_rev) << "</td><td>";
    for (const auto& tag : b.tags) out << "<span class=\"tag\">" << EscapeHtml(tag) << "</span>";
    out << "</td><td>" << EscapeHtml(b.description) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  return out.str();
}

}  // namespace

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ScriptSafeJson(const nlohmann::json& value) {
  const std::string text = value.dump();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderReportHtml(const ReportContent& content) {
  std::ostringstream out;
  std::string names;
  for (const auto& b : content.batches) names += (names.empty() ? "" : ", ") + b.name;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>attnsweep report: " << EscapeHtml(names) << "</title>\n<style>" << kStyle
      << "</style>\n";
  size_t bundle_count = 0;
  const ScriptBundle* bundles = ScriptBundles(&bundle_count);
  for (size_t i = 0; i < bundle_count; ++i) {
    out << "<script>/* " << bundles[i].name << " " << bundles[i].version
        << " (BSD-3-Clause), from the npm registry */\n"
        << InlineScript(bundles[i].source) << "\n</script>\n";
  }
  out << "</head><body>\n<h1>attnsweep report: " << EscapeHtml(names) << "</h1>\n"
      << "<p class=\"meta\">" << EscapeHtml(content.generated) << "</p>\n<nav>";
  if (!content.tables.empty()) out << "<a href=\"#tables\">tables</a>";
  for (const Plot& plot : content.plots)
    out << "<a href=\"#section-" << EscapeHtml(plot.id) << "\">" << EscapeHtml(plot.title)
        << "</a>";
  if (!content.failures.rows.empty()) out << "<a href=\"#failures\">failures</a>";
  out << "</nav>\n<h2>Batches</h2>\n" << BatchesHtml(content.batches);
  if (!content.tables.empty()) out << "<h2 id=\"tables\">Results</h2>\n";
  for (const TitledTable& table : content.tables) {
    out << "<h3>" << EscapeHtml(table.title) << "</h3>\n" << TableHtml(table.table);
  }
  nlohmann::json specs = nlohmann::json::array();
  for (const Plot& plot : content.plots) {
    const std::string element = "plot-" + plot.id;
    out << "<h2 id=\"section-" << EscapeHtml(plot.id) << "\">" << EscapeHtml(plot.title)
        << "</h2>\n<div class=\"plot\" id=\"" << EscapeHtml(element) << "\" data-cells=\""
        << plot.points.size() << "\"></div>\n<p class=\"caption\">" << EscapeHtml(plot.caption)
        << "</p>\n";
    specs.push_back({{"id", element}, {"spec", VegaLiteSpec(plot)}});
  }
  if (content.plots.empty()) {
    out << "<p>No plots: no job in these batches has finished with figures to draw yet.</p>\n";
  }
  if (!content.failures.rows.empty()) {
    out << "<h2 id=\"failures\">Failed jobs</h2>\n<p class=\"caption\">`attnsweep logs JOB` "
           "prints a job's own output; `attnsweep resume --retry-failed` runs them again.</p>\n"
        << TableHtml(content.failures);
  }
  out << "<script type=\"application/json\" id=\"attnsweep-specs\">" << ScriptSafeJson(specs)
      << "</script>\n<script>" << kRenderScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace attnsweep
