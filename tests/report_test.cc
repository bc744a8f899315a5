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
#include "cli/analysis/report_specs.h"
#include "experiments/job_plan.h"
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
  // One configuration per variant and length: nothing was searched.
  EXPECT_EQ(by_id.count("search-train"), 0u);
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
  EXPECT_EQ(by_id.count("search-next_event"), 0u);  // one configuration per variant
  std::filesystem::remove(path);
}

// A search of three learning rates for two variants, two seeds each, 9 epochs at most. A job's
// validation AUC climbs 0.02 an epoch to its best at its last epoch; `stopped` is the epoch a
// scheduler stopped it at (0: it ran all 9).
struct SearchJob {
  std::string attention;
  double lr;
  int seed;
  double best;
  int stopped;
};

std::vector<SearchJob> SearchJobs() {
  // softmax: lr 0.01 holds the single best job (0.76) but the best mean over seeds is lr 0.001's;
  // performer: lr 0.1's, whose jobs both ran to the end.
  return {{"softmax", 0.001, 1, 0.70, 0},   {"softmax", 0.001, 2, 0.72, 0},
          {"softmax", 0.01, 1, 0.76, 0},    {"softmax", 0.01, 2, 0.60, 1},
          {"softmax", 0.1, 1, 0.65, 3},     {"softmax", 0.1, 2, 0.66, 3},
          {"performer", 0.001, 1, 0.58, 1}, {"performer", 0.001, 2, 0.59, 1},
          {"performer", 0.01, 1, 0.66, 3},  {"performer", 0.01, 2, 0.70, 0},
          {"performer", 0.1, 1, 0.69, 0},   {"performer", 0.1, 2, 0.69, 0}};
}

constexpr int kSearchEpochs = 9;

// The search's jobs in a store, with a scheduler's plan (asha, per model.attention) or, without
// one, as a plain random search whose jobs all ran 9 epochs. `job_of` receives each stored job's
// index in SearchJobs().
struct SearchStore {
  std::vector<JobRecord> jobs;
  std::map<int64_t, std::vector<CurvePoint>> curves;
  std::map<int64_t, size_t> job_of;
};

SearchStore WriteSearchStore(const std::string& path, bool scheduled) {
  const std::vector<SearchJob> planned = SearchJobs();
  std::vector<NewJob> jobs;
  for (size_t i = 0; i < planned.size(); ++i) {
    const nlohmann::json config = {{"task", "train"},
                                   {"seed", planned[i].seed},
                                   {"model", {{"attention", planned[i].attention}}},
                                   {"data", {{"max_len", 256}}},
                                   {"train", {{"lr", planned[i].lr}, {"epochs", kSearchEpochs}}}};
    JobPlan plan;
    plan.task = "train";
    if (scheduled) {
      EarlyStopping stopping;
      stopping.rule = {RungRule::Type::kAsha, true, 1, kSearchEpochs, 3};
      stopping.metric = "val_auc";
      stopping.per = {"model.attention"};
      stopping.group = "tune: model.attention=" + planned[i].attention;
      plan.early_stopping = stopping;
    }
    jobs.push_back({"tune", std::to_string(i), config.dump(), 1, "{}", plan.ToJson().dump()});
  }
  SearchStore out;
  ResultStore store = ResultStore::OpenForWriting(path);
  const int64_t batch = store.CreateBatch({"search", "experiments: []"}, jobs);
  for (const JobRecord& job : store.PendingJobs(batch)) {
    const SearchJob& planned_job = planned[std::stoul(job.job_key)];
    const int stopped = scheduled ? planned_job.stopped : 0;
    const int epochs = stopped > 0 ? stopped : kSearchEpochs;
    std::vector<CurvePoint> curve;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      curve.push_back({epoch, "val_auc", planned_job.best - 0.02 * (epochs - epoch)});
      curve.push_back({epoch, "train_loss", 0.7 - 0.01 * epoch});
    }
    std::vector<Metric> metrics = {{"best_val_auc", planned_job.best},
                                   {"test_auc", planned_job.best - 0.01},
                                   {"epochs", static_cast<double>(epochs)}};
    if (stopped > 0) metrics.push_back({"stopped_at_epoch", static_cast<double>(stopped)});
    const int attempt = store.StartAttempt(job.id, {1, "host", "cpu", 1, "process"});
    store.CommitResult(job.id, attempt, metrics, curve);
    out.job_of[job.id] = std::stoul(job.job_key);
  }
  out.jobs = store.JobsWithMetrics(batch);
  std::vector<int64_t> ids;
  for (const auto& job : out.jobs) ids.push_back(job.id);
  out.curves = store.Curves(ids);
  return out;
}

// Each variant's learning rate with the best mean best_val_auc over its seeds.
std::map<std::string, double> BestLearningRates(const std::vector<SearchJob>& planned) {
  std::map<std::pair<std::string, double>, std::vector<double>> figures;
  for (const SearchJob& job : planned) figures[{job.attention, job.lr}].push_back(job.best);
  std::map<std::string, std::pair<double, double>> best;  // variant -> (mean, lr)
  for (const auto& [configuration, values] : figures) {
    double sum = 0;
    for (double v : values) sum += v;
    const double mean = sum / values.size();
    auto [at, added] =
        best.emplace(configuration.first, std::make_pair(mean, configuration.second));
    if (!added && mean > at->second.first) at->second = {mean, configuration.second};
  }
  std::map<std::string, double> lrs;
  for (const auto& [variant, chosen] : best) lrs[variant] = chosen.second;
  return lrs;
}

const Plot* FindPlot(const std::vector<Plot>& plots, const std::string& id) {
  for (const Plot& plot : plots) {
    if (plot.id == id) return &plot;
  }
  return nullptr;
}

// Every job's line equals its stored val_auc curve, in the variant's colour; faded where the
// scheduler stopped it (with `scheduled`); thick for the jobs of each variant's configuration of
// best mean validation figure.
void ExpectOneLinePerJob(const SearchStore& store, const Plot& plot, bool scheduled) {
  const std::vector<SearchJob> planned = SearchJobs();
  const std::map<std::string, double> best_lr = BestLearningRates(planned);
  ASSERT_EQ(best_lr, (std::map<std::string, double>{{"softmax", 0.001}, {"performer", 0.1}}));
  std::map<std::string, std::vector<const PlotPoint*>> lines;
  for (const PlotPoint& p : plot.points) lines[p.line].push_back(&p);
  ASSERT_EQ(lines.size(), planned.size());
  for (const JobRecord& job : store.jobs) {
    const SearchJob& expected = planned[store.job_of.at(job.id)];
    SCOPED_TRACE("job " + std::to_string(job.id));
    ASSERT_TRUE(lines.count(std::to_string(job.id)));
    const auto& line = lines.at(std::to_string(job.id));
    std::vector<std::pair<double, double>> drawn, stored;
    for (const PlotPoint* p : line) drawn.push_back({p->x, p->y});
    for (const CurvePoint& c : store.curves.at(job.id)) {
      if (c.name == "val_auc") stored.push_back({static_cast<double>(c.step), c.value});
    }
    EXPECT_EQ(drawn, stored);
    const bool stopped = scheduled && expected.stopped > 0;
    const bool chosen = best_lr.at(expected.attention) == expected.lr;
    EXPECT_EQ(drawn.size(), static_cast<size_t>(stopped ? expected.stopped : kSearchEpochs));
    for (const PlotPoint* p : line) {
      EXPECT_EQ(p->series, expected.attention);
      EXPECT_EQ(p->faded, stopped);
      EXPECT_EQ(p->emphasised, chosen);
      EXPECT_EQ(p->n, 1);
      EXPECT_EQ(p->note, line.front()->note);
    }
    const std::string& note = line.front()->note;
    EXPECT_EQ(note.rfind("job " + std::to_string(job.id) + ": lr=", 0), 0u) << note;
    EXPECT_NE(note.find("seed=" + std::to_string(expected.seed)), std::string::npos) << note;
    EXPECT_NE(note.find(stopped ? "stopped at epoch " + std::to_string(expected.stopped)
                                : "ran all 9 epochs"),
              std::string::npos)
        << note;
    EXPECT_EQ(note.find("chosen on validation") != std::string::npos, chosen) << note;
  }
  EXPECT_EQ(plot.series_title, "model.attention");
}

TEST(ReportPlots, AScheduledSearchDrawsEveryJobStoppedOnesFadedAndTheBestThick) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("attnsweep_search_test_" + std::to_string(::getpid()) + ".db"))
                               .string();
  const SearchStore store = WriteSearchStore(path, /*scheduled=*/true);
  const std::vector<Plot> plots = BuildPlots(store.jobs, store.curves);
  const Plot* search = FindPlot(plots, "search-train");
  ASSERT_NE(search, nullptr);
  ExpectOneLinePerJob(store, *search, /*scheduled=*/true);
  EXPECT_NE(search->caption.find("results --best --by model.attention"), std::string::npos);
  // The mean curves are still drawn beside it, as for any train jobs.
  EXPECT_NE(FindPlot(plots, "val_auc"), nullptr);
  EXPECT_NE(FindPlot(plots, "train_loss"), nullptr);
  // Its specification draws a line per job, stopped ones faint, the chosen ones over the others.
  const nlohmann::json spec = VegaLiteSpec(*search);
  const nlohmann::json& layers = spec["layer"];
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[0]["encoding"]["detail"]["field"], "line");
  EXPECT_EQ(layers[0]["encoding"]["opacity"]["condition"]["test"], "datum.faded");
  EXPECT_EQ(layers[2]["transform"][0]["filter"], "datum.status === 'measured' && datum.emphasised");
  EXPECT_GT(layers[2]["mark"]["strokeWidth"], layers[0]["mark"]["strokeWidth"]);
  EXPECT_EQ(layers[3]["name"], "points");
  // Each point's tooltip names its job.
  const nlohmann::json note = {{"field", "note"}, {"title", "job"}};
  for (size_t layer : {0, 2, 3}) {
    const nlohmann::json& tooltip = layers[layer]["encoding"]["tooltip"];
    EXPECT_NE(std::find(tooltip.begin(), tooltip.end(), note), tooltip.end()) << tooltip.dump();
  }
  const nlohmann::json& values = spec["data"]["values"];
  ASSERT_EQ(values.size(), search->points.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(values[i]["line"], search->points[i].line);
    EXPECT_EQ(values[i]["faded"], search->points[i].faded);
    EXPECT_EQ(values[i]["emphasised"], search->points[i].emphasised);
  }
  std::filesystem::remove(path);
}

TEST(ReportPlots, ARandomSearchWithoutASchedulerIsDrawnToo) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("attnsweep_random_search_test_" + std::to_string(::getpid()) + ".db"))
                               .string();
  const SearchStore store = WriteSearchStore(path, /*scheduled=*/false);
  const std::vector<Plot> plots = BuildPlots(store.jobs, store.curves);
  const Plot* search = FindPlot(plots, "search-train");
  ASSERT_NE(search, nullptr);
  ExpectOneLinePerJob(store, *search, /*scheduled=*/false);
  // Only one learning rate per variant left: one configuration each, nothing searched.
  std::vector<JobRecord> one_each;
  for (const JobRecord& job : store.jobs) {
    if (SearchJobs()[store.job_of.at(job.id)].lr == 0.01) one_each.push_back(job);
  }
  EXPECT_EQ(FindPlot(BuildPlots(one_each, store.curves), "search-train"), nullptr);
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
