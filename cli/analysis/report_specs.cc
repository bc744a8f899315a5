#include "cli/analysis/report_specs.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace attnsweep {
namespace {

nlohmann::json Scale(bool log, bool x) {
  if (log) return {{"type", "log"}, {"base", x ? 2 : 10}};
  return {{"type", "linear"}, {"zero", false}};
}

// Turns the layers {line, bars, points} of a plot of one line per job into a line per job (the
// `line` field), stopped jobs faint, the chosen configuration's jobs thick and drawn over the
// others, and each tooltip naming its job, its configuration and how it ended. Its points stay one
// mark per cell ("points"), small: a search draws hundreds of lines.
void PerJobLines(nlohmann::json* layers) {
  nlohmann::json& line = (*layers)[0];
  nlohmann::json& points = (*layers)[2];
  const nlohmann::json faded = {{"condition", {{"test", "datum.faded"}, {"value", 0.25}}},
                                {"value", 0.85}};
  nlohmann::json tooltip = nlohmann::json::array();
  for (const auto& field : points["encoding"]["tooltip"]) {
    const std::string name = field["field"];
    if (name == "series" || name == "at" || name == "y") tooltip.push_back(field);
  }
  const nlohmann::json note = {{"field", "note"}, {"title", "job"}};
  tooltip.insert(tooltip.begin() + 1, note);
  line["mark"]["strokeWidth"] = 1;
  line["encoding"]["detail"] = {{"field", "line"}, {"type", "nominal"}};
  line["encoding"]["opacity"] = faded;
  line["encoding"]["tooltip"] = tooltip;
  nlohmann::json chosen = line;
  line["transform"][0]["filter"] = "datum.status === 'measured' && !datum.emphasised";
  chosen["mark"]["strokeWidth"] = 3.5;
  chosen["transform"][0]["filter"] = "datum.status === 'measured' && datum.emphasised";
  points["mark"]["size"] = 14;
  points["encoding"]["shape"]["legend"] = nullptr;  // every point is measured
  points["encoding"]["opacity"] = faded;
  points["encoding"]["tooltip"] = tooltip;
  layers->insert(layers->begin() + 2, chosen);  // over the other lines, under the points
}

}  // namespace

nlohmann::json VegaLiteSpec(const Plot& plot) {
  // Series side by side at each x (a few per cent apart) where bars would hide each other.
  std::vector<std::string> series;
  for (const PlotPoint& p : plot.points) {
    if (std::find(series.begin(), series.end(), p.series) == series.end())
      series.push_back(p.series);
  }
  auto drawn_x = [&](const PlotPoint& p) {
    if (!plot.dodge || series.size() < 2) return p.x;
    const double index = std::find(series.begin(), series.end(), p.series) - series.begin();
    const double offset = (index - (series.size() - 1) / 2.0) * 0.25 / series.size();
    return plot.log_x ? p.x * std::pow(2.0, offset) : p.x + offset;
  };
  nlohmann::json values = nlohmann::json::array();
  std::set<double> xs;
  std::set<std::string> statuses;
  // A log axis cannot place zero or less: one such value collapses the whole chart (no ticks,
  // every point along one edge). A bar that would need one is not drawn.
  auto drawable = [&](const nlohmann::json& bound) {
    return bound.is_number() && (!plot.log_y || bound.get<double>() > 0);
  };
  // A plot of one line per job (a search's curves) carries each point's line and its marks; the
  // other plots' specifications stay as they were.
  const bool per_job = std::any_of(plot.points.begin(), plot.points.end(),
                                   [](const PlotPoint& p) { return !p.line.empty(); });
  for (const PlotPoint& p : plot.points) {
    const bool bar = drawable(p.lo) && drawable(p.hi);
    values.push_back({{"series", p.series},
                      {"x", drawn_x(p)},
                      {"at", p.x},
                      {"y", p.y},
                      {"lo", bar ? p.lo : nlohmann::json()},
                      {"hi", bar ? p.hi : nlohmann::json()},
                      {"n", p.n},
                      {"status", p.status},
                      {"noisy", p.noisy}});
    if (per_job) {
      values.back().update(
          {{"line", p.line}, {"note", p.note}, {"faded", p.faded}, {"emphasised", p.emphasised}});
    }
    xs.insert(p.x);
    statuses.insert(p.status);
  }
  // Measured points are dots; every failure kind gets its own cross-like shape.
  nlohmann::json shape_domain = {"measured"};
  nlohmann::json shape_range = {"circle"};
  const char* failure_shapes[] = {"cross", "triangle-down", "diamond", "square", "triangle-up"};
  size_t next_shape = 0;
  for (const auto& status : statuses) {
    if (status == "measured") continue;
    shape_domain.push_back(status);
    shape_range.push_back(failure_shapes[next_shape++ % 5]);
  }
  nlohmann::json x = {{"field", "x"},
                      {"type", "quantitative"},
                      {"title", plot.x_title},
                      {"scale", Scale(plot.log_x, true)}};
  if (plot.log_x) {
    x["axis"] = {{"values", nlohmann::json(std::vector<double>(xs.begin(), xs.end()))},
                 {"format", "d"}};
  } else {
    x["axis"] = {{"tickMinStep", 1}, {"format", "d"}};
  }
  const nlohmann::json y = {{"field", "y"},
                            {"type", "quantitative"},
                            {"title", plot.y_title},
                            {"scale", Scale(plot.log_y, false)}};
  const nlohmann::json color = {
      {"field", "series"},
      {"type", "nominal"},
      {"title", plot.series_title},
      {"sort", nullptr},
      {"legend", {{"labelLimit", 420}, {"titleLimit", 420}, {"orient", "right"}}}};
  const nlohmann::json tooltip =
      nlohmann::json::array({{{"field", "series"}, {"title", plot.series_title}},
                             {{"field", "at"}, {"title", plot.x_title}},
                             {{"field", "y"}, {"title", plot.y_title}, {"format", ".4~g"}},
                             {{"field", "lo"}, {"title", "bar from"}, {"format", ".4~g"}},
                             {{"field", "hi"}, {"title", "bar to"}, {"format", ".4~g"}},
                             {{"field", "n"}, {"title", "jobs"}},
                             {{"field", "status"}},
                             {{"field", "noisy"}}});
  nlohmann::json line = {{"mark", {{"type", "line"}, {"strokeWidth", 1.5}}},
                         {"transform", {{{"filter", "datum.status === 'measured'"}}}},
                         {"encoding", {{"x", x}, {"y", y}, {"color", color}}}};
  nlohmann::json bars = {
      {"mark", {{"type", "rule"}, {"strokeWidth", 1}}},
      {"transform", {{{"filter", "isValid(datum.lo) && isValid(datum.hi)"}}}},
      {"encoding",
       {{"x", x},
        {"y", {{"field", "lo"}, {"type", "quantitative"}, {"scale", Scale(plot.log_y, false)}}},
        {"y2", {{"field", "hi"}}},
        {"color", color}}}};
  nlohmann::json points = {
      {"name", "points"},
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 70}, {"strokeWidth", 1.5}}},
      {"encoding",
       {{"x", x},
        {"y", y},
        {"color", color},
        // Noisy cells hollow: a ring of the series' colour.
        {"fillOpacity", {{"condition", {{"test", "datum.noisy"}, {"value", 0}}}, {"value", 0.9}}},
        {"stroke", color},
        {"shape",
         {{"field", "status"},
          {"type", "nominal"},
          {"title", "cell"},
          {"scale", {{"domain", shape_domain}, {"range", shape_range}}}}},
        {"tooltip", tooltip}}}};
  nlohmann::json layers = {line, bars, points};
  if (per_job) PerJobLines(&layers);
  if (plot.zero_rule) {
    nlohmann::json zero = nlohmann::json::object();
    zero["mark"] = {{"type", "rule"}, {"color", "#888"}, {"strokeDash", {4, 3}}};
    zero["encoding"] = {{"y", {{"datum", 0}}}};
    layers.insert(layers.begin(), zero);
  }
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"width", 560},
          {"height", 320},
          {"data", {{"values", values}}},
          {"layer", layers},
          {"background", "white"},
          {"config", {{"font", "system-ui, sans-serif"}}}};
}

}  // namespace attnsweep
