// The report's pieces without a browser: the log-log fit, the embedded libraries made safe to
// inline, JSON that cannot end a <script>, and the plots' cells from a store of known content.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>

#include "cli/analysis/loglog_fit.h"
#include "cli/analysis/report_bundles.h"
#include "cli/analysis/report_page.h"
#include "cli/analysis/report_plots.h"
#include "tests/comparison_store.h"

namespace attnsweep {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

TEST(LogLogSlope, IsTheExponentOfAPowerLaw) {
  std::vector<std::pair<double, double>> points;
  for (double x : {64.0, 128.0, 1000.0, 4096.0}) points.push_back({x, 0.3 * std::pow(x, 1.7)});
  ASSERT_TRUE(LogLogSlope(points));
  EXPECT_NEAR(*LogLogSlope(points), 1.7, 1e-12);
  // Points with no logarithm are left out; one x alone fits nothing.
  points.push_back({512, 0});
  EXPECT_NEAR(*LogLogSlope(points), 1.7, 1e-12);
  EXPECT_FALSE(LogLogSlope({{64, 1}, {64, 2}}));
  EXPECT_FALSE(LogLogSlope({{64, 1}}));
}

TEST(ReportBundles, EmbeddedLibrariesAreWholeAndSafeToInline) {
  size_t count = 0;
  const ScriptBundle* bundles = ScriptBundles(&count);
  ASSERT_EQ(count, 3u);
  const char* names[] = {"vega", "vega-lite", "vega-embed"};
  const char* globals[] = {".vega=", ".vegaLite=", ".vegaEmbed="};
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(bundles[i].name, names[i]);
    EXPECT_GT(bundles[i].source.size(), 50000u) << names[i];
    const std::string inlined = InlineScript(bundles[i].source);
    EXPECT_EQ(Lower(inlined).find("</script"), std::string::npos) << names[i];
    EXPECT_EQ(inlined.find("sourceMappingURL"), std::string::npos) << names[i];
    // The UMD wrapper that defines the global the page uses is there.
    EXPECT_NE(inlined.find(globals[i]), std::string::npos) << names[i];
  }
}

TEST(ReportBundles, InlineScriptEscapesTheEndOfTheElementAndDropsTheMapComment) {
  EXPECT_EQ(InlineScript("a='</script>';b='</SCRIPT '\n//# sourceMappingURL=x.map\nc=1"),
            "a='<\\/script>';b='<\\/SCRIPT '\nc=1");
  EXPECT_EQ(InlineScript("if(a</b/.test(c))d()"), "if(a</b/.test(c))d()");
}

TEST(ReportPage, JsonInAScriptHasNoAngleBracketYetReadsBackTheSame) {
  const nlohmann::json value = {{"name", "</script><!-- x"}, {"n", 3}};
  const std::string safe = ScriptSafeJson(value);
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(safe), value);
  EXPECT_EQ(EscapeHtml("<b a=\"1\">&'"), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
}

TEST(ReportPlots, EveryCellIsAPointFailuresMarkedAndSlopesInTheLegend) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("attnsweep_report_test_" + std::to_string(::getpid()) + ".db"))
                               .string();
  const testing::ComparisonStore written = testing::WriteComparisonStore(path);
  ResultStore store = ResultStore::OpenReadOnly(path);
  const auto jobs = store.JobsWithMetrics(written.batch_id);
  std::vector<int64_t> ids;
  for (const auto& job : jobs) ids.push_back(job.id);
  const std::vector<Plot> plots = BuildPlots(jobs, store.Curves(ids));
  std::map<std::string, const Plot*> by_id;
  for (const Plot& plot : plots) by_id[plot.id] = &plot;
  ASSERT_EQ(plots.size(), 8u);
  auto failed = [](const Plot& plot) {
    return std::count_if(plot.points.begin(), plot.points.end(),
                         [](const PlotPoint& p) { return p.status != "measured"; });
  };
  EXPECT_EQ(by_id.at("fwd_ms")->points.size(), static_cast<size_t>(written.length_cells));
  EXPECT_EQ(failed(*by_id.at("fwd_ms")), 1);     // softmax at 4096
  EXPECT_EQ(failed(*by_id.at("fwdbwd_ms")), 2);  // and performer's backward pass
  EXPECT_EQ(by_id.at("test_auc")->points.size(), static_cast<size_t>(written.auc_cells));
  EXPECT_EQ(by_id.at("rel_error-features")->points.size(),
            static_cast<size_t>(written.approximation_cells));
  EXPECT_EQ(by_id.at("val_auc")->points.size(), static_cast<size_t>(written.curve_cells));
  const Plot& fwd = *by_id.at("fwd_ms");
  double highest = 0;
  for (const PlotPoint& p : fwd.points) {
    if (p.status == "measured")
      highest = std::max(highest, p.hi.is_number() ? p.hi.get<double>() : p.y);
  }
  for (const PlotPoint& p : fwd.points) {
    if (p.series.rfind("softmax", 0) == 0) {
      EXPECT_EQ(p.series, "softmax (slope 2)");
    }
    if (p.series.rfind("performer", 0) == 0) {
      EXPECT_EQ(p.series, "performer (slope 1)");
    }
    if (p.status == "OOM") {
      EXPECT_GT(p.y, highest);  // drawn above every measurement
    }
  }
  // AUC: mean and ±1 std over the three seeds.
  for (const PlotPoint& p : by_id.at("test_auc")->points) {
    EXPECT_EQ(p.n, 3);
    EXPECT_NEAR(p.hi.get<double>() - p.y, 0.01, 1e-9);
  }
  std::filesystem::remove(path);
}

TEST(ReportPlots, NextEventCurvesArePlottedPerVariant) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("attnsweep_next_event_test_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::vector<NewJob> jobs;
  for (const char* attention : {"softmax", "performer"}) {
    for (int seed : {1, 2}) {
      const nlohmann::json config = {{"task", "next_event"},
                                     {"seed", seed},
                                     {"model", {{"attention", attention}}},
                                     {"data", {{"max_len", 128}}}};
      jobs.push_back({"next-event", std::string(attention) + std::to_string(seed), config.dump()});
    }
  }
  std::vector<JobRecord> records;
  std::map<int64_t, std::vector<CurvePoint>> curves;
  {
    ResultStore store = ResultStore::OpenForWriting(path);
    const int64_t batch = store.CreateBatch({"next", "experiments: []"}, jobs);
    for (const JobRecord& job : store.PendingJobs(batch)) {
      const int attempt = store.StartAttempt(job.id, {1, "host", "cpu", 1, "process"});
      std::vector<CurvePoint> points;
      for (int64_t epoch : {1, 2, 3}) {
        points.push_back({epoch, "train_loss", 3.0 - 0.1 * epoch});
        points.push_back({epoch, "val_next_mcc_logloss", 2.5 - 0.1 * epoch});
        points.push_back({epoch, "val_next_mcc_accuracy", 0.2 + 0.01 * epoch});
      }
      store.CommitResult(job.id, attempt, {{"next_mcc_logloss", 2.2}}, points);
    }
    records = store.JobsWithMetrics(batch);
    std::vector<int64_t> ids;
    for (const auto& job : records) ids.push_back(job.id);
    curves = store.Curves(ids);
  }
  std::map<std::string, const Plot*> by_id;
  const std::vector<Plot> plots = BuildPlots(records, curves);
  for (const Plot& plot : plots) by_id[plot.id] = &plot;
  ASSERT_EQ(plots.size(), 3u);
  const Plot& loss = *by_id.at("next_event-val_next_mcc_logloss");
  EXPECT_EQ(loss.points.size(), 6u);  // two variants, three epochs, seeds averaged
  for (const PlotPoint& p : loss.points) EXPECT_EQ(p.n, 2);
  EXPECT_EQ(by_id.at("next_event-val_next_mcc_accuracy")->points.size(), 6u);
  EXPECT_EQ(by_id.count("val_auc"), 0u);
  std::filesystem::remove(path);
}

TEST(ReportPlots, KeysThatFollowTheLengthDoNotSplitASeries) {
  // The quality grid of docs/train.md: the ∞-former in an experiment of its own, its segment
  // zipped with the length. Its points belong to one line, "infinity", not one per segment.
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("attnsweep_series_test_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::vector<NewJob> jobs;
  for (int length : {64, 256}) {
    for (int seed : {1, 2}) {
      nlohmann::json softmax = {{"task", "train"},
                                {"seed", seed},
                                {"model", {{"attention", "softmax"}}},
                                {"data", {{"max_len", length}}}};
      nlohmann::json infinity = softmax;
      infinity["model"] = {{"attention", "infinity"}, {"infinity", {{"segment", length / 4}}}};
      jobs.push_back({"quality", "s" + std::to_string(length * 10 + seed), softmax.dump()});
      jobs.push_back(
          {"quality-infinity", "i" + std::to_string(length * 10 + seed), infinity.dump()});
    }
  }
  std::vector<JobRecord> records;
  {
    ResultStore store = ResultStore::OpenForWriting(path);
    const int64_t batch = store.CreateBatch({"series", "experiments: []"}, jobs);
    for (const JobRecord& job : store.PendingJobs(batch)) {
      const int attempt = store.StartAttempt(job.id, {1, "host", "cpu", 1, "process"});
      store.CommitResult(job.id, attempt, {{"test_auc", 0.7}}, {});
    }
    records = store.JobsWithMetrics(batch);
  }
  const std::vector<Plot> plots = BuildPlots(records, {});
  ASSERT_EQ(plots.size(), 1u);
  std::set<std::string> series;
  for (const PlotPoint& p : plots[0].points) series.insert(p.series);
  EXPECT_EQ(series, (std::set<std::string>{"softmax", "infinity"}));
  EXPECT_EQ(plots[0].points.size(), 4u);
  EXPECT_EQ(plots[0].series_title, "model.attention");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace attnsweep
