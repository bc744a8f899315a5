// The HTML report in a real browser: Debian's Chromium, headless and offline, loads the file
// `attnsweep report` wrote, runs its scripts, and hands back the DOM they built. Every plot must be
// drawn without error, and draw exactly one point per (series, x) cell of the store — failed cells
// included. Run by `make test-report`, which installs chromium.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <tuple>

#include "tests/cli_test_fixture.h"
#include "tests/comparison_store.h"

namespace attnsweep {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

class ReportBrowserTest : public CliTest {
 protected:
  // The DOM after the page's scripts ran (a virtual-time budget lets them finish).
  std::string RenderedDom(const std::string& html) {
    if (!std::filesystem::exists(kChromium)) {
      ADD_FAILURE() << kChromium << " is missing: `make test-report` installs Debian's chromium";
      return "";
    }
    const std::string profile = dir_ + "/chromium-profile";
    auto dump = testing::RunShell(
        std::string(kChromium) +
            " --headless --no-sandbox --disable-gpu --disable-background-networking "
            "--disable-component-update --disable-sync --no-first-run --disable-quic "
            "--user-data-dir=" +
            profile + " --virtual-time-budget=20000 --dump-dom file://" + dir_ + "/" + html,
        dir_);
    EXPECT_EQ(dump.exit_code, 0) << dump.err;
    return dump.out;
  }
};

struct DrawnPlot {
  bool rendered = false;
  std::string error;
  int cells_attribute = -1;
  int points = -1;  // <path> elements of the mark named "points"
  // Tick labels of each axis (Vega's role-axis-label groups), in drawing order. A log axis given a
  // value <= 0 draws no tick at all (the chart goes blank), so each must hold some.
  std::vector<int> axis_labels;
};

// The <text> elements in each group of class `role` inside `body`.
std::vector<int> TextsPerGroup(const std::string& body, const std::string& role) {
  std::vector<int> counts;
  for (size_t at = body.find(role); at != std::string::npos; at = body.find(role, at + 1)) {
    // The group's own elements end where its first closing tag that is not a <text>'s is.
    const size_t open = body.find('>', at);
    int texts = 0;
    size_t cursor = open;
    for (;;) {
      const size_t next_text = body.find("<text", cursor);
      const size_t next_close = body.find("</g>", cursor);
      if (next_text == std::string::npos || next_close < next_text) break;
      ++texts;
      cursor = body.find("</text>", next_text);
      if (cursor == std::string::npos) break;
    }
    counts.push_back(texts);
  }
  return counts;
}

// Each plot's element and what the browser drew in it.
std::map<std::string, DrawnPlot> DrawnPlots(const std::string& dom) {
  std::map<std::string, DrawnPlot> plots;
  static const std::regex kPlot(R"re(<div class="plot[^"]*" id="(plot-[^"]+)"([^>]*)>)re");
  std::vector<std::pair<std::string, size_t>> starts;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), kPlot); it != std::sregex_iterator();
       ++it) {
    DrawnPlot plot;
    const std::string attributes = (*it)[2];
    plot.rendered = attributes.find("data-rendered=\"true\"") != std::string::npos;
    std::smatch m;
    if (std::regex_search(attributes, m, std::regex(R"re(data-error="([^"]*)")re")))
      plot.error = m[1];
    if (std::regex_search(attributes, m, std::regex(R"re(data-cells="(\d+)")re")))
      plot.cells_attribute = std::stoi(m[1]);
    plots[(*it)[1]] = plot;
    starts.push_back({(*it)[1], static_cast<size_t>(it->position())});
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t end = i + 1 < starts.size() ? starts[i + 1].second : dom.size();
    const std::string body = dom.substr(starts[i].second, end - starts[i].second);
    const size_t group = body.find("points_marks\"");
    if (group == std::string::npos) continue;
    const size_t close = body.find("</g>", group);
    const std::string marks = body.substr(group, close - group);
    int paths = 0;
    for (size_t at = marks.find("<path"); at != std::string::npos; at = marks.find("<path", at + 1))
      ++paths;
    plots[starts[i].first].points = paths;
    plots[starts[i].first].axis_labels = TextsPerGroup(body, "role-axis-label");
  }
  return plots;
}

// Every plot drawn, with ticks on both axes and one point per cell of the store.
void ExpectEveryPlotDrawn(const std::map<std::string, DrawnPlot>& drawn,
                          const std::map<std::string, int>& expected) {
  ASSERT_EQ(drawn.size(), expected.size()) << "plots in the page";
  for (const auto& [id, cells] : expected) {
    ASSERT_TRUE(drawn.count(id)) << id;
    const DrawnPlot& plot = drawn.at(id);
    EXPECT_TRUE(plot.rendered) << id;
    EXPECT_EQ(plot.error, "") << id;
    EXPECT_EQ(plot.points, cells) << id;
    EXPECT_EQ(plot.cells_attribute, cells) << id;
    ASSERT_GE(plot.axis_labels.size(), 2u) << id << ": an axis is missing";
    for (int labels : plot.axis_labels) EXPECT_GE(labels, 1) << id << ": an axis without ticks";
  }
}

// Timings as a busy machine gives them: a cell whose two seeds are 1 ms and 30 ms (its standard
// deviation above its mean: mean - std < 0 blanked log axes), noisy passes, a cell that ran out of
// memory, a variant measured at one length only; and train jobs with per-customer scores, whose
// comparison is drawn.
struct NoisyStore {
  int time_cells = 0;     // per time plot
  int auc_cells = 0;      // test AUC against length
  int compare_cells = 0;  // the AUC comparison plot
};

NoisyStore WriteNoisyStore(const std::string& path) {
  ResultStore store = ResultStore::OpenForWriting(path);
  std::vector<testing::PlannedJob> planned;
  for (const char* variant : {"softmax", "performer"}) {
    for (int length : {256, 1024, 4096}) {
      for (int seed : {1, 2}) {
        testing::PlannedJob job;
        job.config = {{"task", "benchmark"},
                      {"seed", seed},
                      {"model", {{"attention", variant}}},
                      {"data", {{"max_len", length}}}};
        if (variant[0] == 's' && length == 4096) {
          job.failure = "oom";
          job.error = "out of memory";
        } else {
          const bool wild = variant[0] == 'p' && length == 1024;
          const double ms = wild ? (seed == 1 ? 1.0 : 30.0) : 0.01 * length * seed;
          job.metrics = {{"fwd_ms", ms},
                         {"fwd_ms_min", ms * 0.5},
                         {"fwd_ms_max", ms * 3},
                         {"fwd_ms_lo", ms * 0.8},
                         {"fwd_ms_hi", ms * 1.4},
                         {"fwd_ms_noisy", wild ? 1.0 : 0.0},
                         {"fwdbwd_ms", 3 * ms},
                         // performer allocating nothing at its peak: a log axis cannot place 0
                         {"peak_mb", variant[0] == 'p' ? 0.0 : length / 50.0},
                         {"fwdbwd_peak_mb", length / 100.0}};
        }
        planned.push_back(job);
      }
    }
  }
  {
    testing::PlannedJob lonely;  // a series of one point
    lonely.config = {{"task", "benchmark"},
                     {"seed", 1},
                     {"model", {{"attention", "linformer"}}},
                     {"data", {{"max_len", 1024}}}};
    lonely.metrics = {{"fwd_ms", 3}, {"fwdbwd_ms", 9}, {"peak_mb", 2}, {"fwdbwd_peak_mb", 4}};
    planned.push_back(lonely);
  }
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  for (const char* variant : {"softmax", "gru", "bag"}) {
    for (int length : {64, 256}) {
      for (int seed : {1, 2}) {
        testing::PlannedJob job;
        job.config = {{"task", "train"},
                      {"seed", seed},
                      {"model", {{"attention", variant}}},
                      {"data", {{"max_len", length}}}};
        const double signal = variant[0] == 's' ? 1.0 : variant[0] == 'g' ? 1.3 : 0.7;
        for (int64_t customer = 0; customer < 300; ++customer) {
          const int label = customer % 2;
          job.predictions.push_back(
              {1000 + customer, label, 1 / (1 + std::exp(-(signal * label + noise(rng))))});
        }
        job.metrics = {{"test_auc", 0.6 + 0.1 * signal}, {"test_accuracy", 0.6}};
        planned.push_back(job);
      }
    }
  }
  NewBatch batch;
  batch.name = "noisy";
  batch.grid_yaml = "experiments: []";
  testing::WritePlannedBatch(store, batch, planned);
  // 2 variants x 3 lengths + linformer's one; 3 variants x 2 lengths; gru and bag x 2 lengths.
  return {7, 6, 4};
}

TEST_F(ReportBrowserTest, EveryPlotDrawsOnePointPerCellOfTheStore) {
  const testing::ComparisonStore store = testing::WriteComparisonStore(dir_ + "/a.db");
  auto report = Run("report --db a.db -o report.html");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string dom = RenderedDom("report.html");
  EXPECT_NE(dom.find("data-plots-done=\"true\""), std::string::npos) << "scripts did not finish";
  const std::map<std::string, int> expected = {
      {"plot-fwd_ms", store.length_cells},
      {"plot-fwdbwd_ms", store.length_cells},
      {"plot-peak_mb", store.length_cells},
      {"plot-fwdbwd_peak_mb", store.length_cells},
      {"plot-test_auc", store.auc_cells},
      {"plot-rel_error-features", store.approximation_cells},
      {"plot-train_loss", store.curve_cells},
      {"plot-val_auc", store.curve_cells},
  };
  ExpectEveryPlotDrawn(DrawnPlots(dom), expected);
  // The failed jobs' table lists both.
  EXPECT_NE(dom.find("out of memory: tried to allocate 64 GiB"), std::string::npos);
  EXPECT_NE(dom.find("fault job: thrown on purpose"), std::string::npos);
}

TEST_F(ReportBrowserTest, NoisyTimingsZerosAndLonePointsStillDrawEveryPlot) {
  const NoisyStore store = WriteNoisyStore(dir_ + "/a.db");
  auto report = Run("report --db a.db -o report.html");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string dom = RenderedDom("report.html");
  EXPECT_NE(dom.find("data-plots-done=\"true\""), std::string::npos) << "scripts did not finish";
  ExpectEveryPlotDrawn(DrawnPlots(dom), {{"plot-fwd_ms", store.time_cells},
                                         {"plot-fwdbwd_ms", store.time_cells},
                                         {"plot-peak_mb", store.time_cells},
                                         {"plot-fwdbwd_peak_mb", store.time_cells},
                                         {"plot-test_auc", store.auc_cells},
                                         {"plot-compare-test_auc", store.compare_cells}});
}

// A search under a scheduler (tests/report_test.cc checks its lines' content): 2 variants × 2
// learning rates × 2 seeds, each job's validation AUC for the epochs it ran. Its plot draws one
// line per job, stopped jobs faded: every epoch a job ran is a point.
TEST_F(ReportBrowserTest, ASearchDrawsEveryJobsCurve) {
  // (variant, lr, seed) -> epochs run: 9 ran to the end, fewer were stopped at that rung.
  const std::vector<std::tuple<std::string, double, int, int>> searched = {
      {"softmax", 0.001, 1, 9},  {"softmax", 0.001, 2, 9},   {"softmax", 0.01, 1, 1},
      {"softmax", 0.01, 2, 3},   {"performer", 0.001, 1, 3}, {"performer", 0.001, 2, 9},
      {"performer", 0.01, 1, 1}, {"performer", 0.01, 2, 1}};
  std::vector<NewJob> jobs;
  for (size_t i = 0; i < searched.size(); ++i) {
    const auto& [attention, lr, seed, epochs] = searched[i];
    const nlohmann::json config = {{"task", "train"},
                                   {"seed", seed},
                                   {"model", {{"attention", attention}}},
                                   {"data", {{"max_len", 256}}},
                                   {"train", {{"lr", lr}, {"epochs", 9}}}};
    const nlohmann::json plan = {{"task", "train"},
                                 {"early_stopping",
                                  {{"type", "asha"},
                                   {"metric", "val_auc"},
                                   {"mode", "max"},
                                   {"grace", 1},
                                   {"max_epochs", 9},
                                   {"reduction", 3},
                                   {"per", {"model.attention"}},
                                   {"group", "tune: model.attention=" + attention}}}};
    jobs.push_back({"tune", std::to_string(i), config.dump(), 1, "{}", plan.dump()});
  }
  {
    ResultStore store = ResultStore::OpenForWriting(dir_ + "/a.db");
    const int64_t batch = store.CreateBatch({"search", "experiments: []"}, jobs);
    for (const JobRecord& job : store.PendingJobs(batch)) {
      const int epochs = std::get<3>(searched[std::stoul(job.job_key)]);
      std::vector<CurvePoint> curve;
      for (int epoch = 1; epoch <= epochs; ++epoch) {
        curve.push_back({epoch, "val_auc", 0.5 + 0.02 * epoch + 0.001 * job.id});
      }
      std::vector<Metric> metrics = {{"best_val_auc", curve.back().value},
                                     {"epochs", static_cast<double>(epochs)}};
      if (epochs < 9) metrics.push_back({"stopped_at_epoch", static_cast<double>(epochs)});
      const int attempt = store.StartAttempt(job.id, {1, "testhost", "cpu", 1, "process"});
      store.CommitResult(job.id, attempt, metrics, curve);
    }
    store.FinishBatch(batch, "done");
  }
  auto report = Run("report --db a.db -o report.html");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string dom = RenderedDom("report.html");
  EXPECT_NE(dom.find("data-plots-done=\"true\""), std::string::npos) << "scripts did not finish";
  // The mean curve: one cell per (variant, lr) and epoch any seed reached (9 + 3 + 9 + 1).
  ExpectEveryPlotDrawn(DrawnPlots(dom), {{"plot-val_auc", 22}, {"plot-search-train", 36}});
}

TEST_F(ReportBrowserTest, AVariantNamedLikeMarkupStaysText) {
  testing::WriteComparisonStore(dir_ + "/a.db");
  ASSERT_EQ(Run("report --db a.db -o report.html").exit_code, 0);
  const std::string html = testing::ReadFileText(dir_ + "/report.html");
  EXPECT_EQ(html.find(testing::kHostileVariant), std::string::npos)
      << "the variant's name is in the file unescaped";
  const std::string dom = RenderedDom("report.html");
  // Had the name ended a script, its <b id="injected"> would be an element of the page.
  // (As text it serialises as "&lt;b id=...": the "<b " below is only there for an element.)
  EXPECT_EQ(dom.find("<b id=\"injected\""), std::string::npos);
  // It is in the plots' legends, as text.
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;b id=\"injected\"&gt;x"), std::string::npos);
  EXPECT_NE(dom.find("data-plots-done=\"true\""), std::string::npos);
  EXPECT_EQ(dom.find("data-error="), std::string::npos);
}

// The failed jobs' table is wider than the page: its error column keeps a width a sentence reads
// in (the table scrolls) instead of a word a line.
TEST_F(ReportBrowserTest, TheFailedJobsErrorsKeepAReadableWidth) {
  testing::WriteComparisonStore(dir_ + "/a.db");
  {
    Database db(dir_ + "/a.db", Database::Mode::kReadWriteCreate);
    db.Exec(
        "UPDATE jobs SET error = 'out of memory: tried to allocate 64.00 GiB (GPU 0; 79.11 GiB "
        "total capacity; 12.50 GiB already allocated; 60.12 GiB free; 14.00 GiB reserved in "
        "total by PyTorch)' WHERE status = 'failed'");
  }
  ASSERT_EQ(Run("report --db a.db -o report.html").exit_code, 0);
  // The page as written, and a script that records each error cell's laid-out width.
  std::string html = testing::ReadFileText(dir_ + "/report.html");
  const std::string measure =
      "<script>addEventListener('load', function () { document.querySelectorAll('td.prose')"
      ".forEach(function (td) { td.setAttribute('data-width', "
      "Math.round(td.getBoundingClientRect().width)); }); });</script>";
  html.insert(html.rfind("</body>"), measure);
  Write("measured.html", html);
  const std::string dom = RenderedDom("measured.html");
  const std::regex width_attribute(R"re(data-width="(\d+)")re");
  int cells = 0;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), width_attribute);
       it != std::sregex_iterator(); ++it) {
    const int width = std::stoi((*it)[1]);
    // The error column's cells are at least 24em of 13 px wide; progress cells too.
    EXPECT_GE(width, 300) << (*it)[0];
    ++cells;
  }
  EXPECT_EQ(cells, 2 * 2) << "two failed jobs, their progress and error cells";
}

TEST_F(ReportBrowserTest, OpensWithoutTheNetworkOrAnyOtherFile) {
  testing::WriteComparisonStore(dir_ + "/a.db");
  ASSERT_EQ(Run("report --db a.db -o report.html").exit_code, 0);
  const std::string html = testing::ReadFileText(dir_ + "/report.html");
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("sourceMappingURL"), std::string::npos);
  // Copied elsewhere alone, it still draws.
  std::filesystem::create_directories(dir_ + "/elsewhere");
  std::filesystem::copy_file(dir_ + "/report.html", dir_ + "/elsewhere/copy.html");
  const auto drawn = DrawnPlots(RenderedDom("elsewhere/copy.html"));
  ASSERT_FALSE(drawn.empty());
  for (const auto& [id, plot] : drawn) EXPECT_TRUE(plot.rendered) << id;
}

}  // namespace
}  // namespace attnsweep
