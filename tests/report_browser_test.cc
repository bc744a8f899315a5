// The HTML report in a real browser: Debian's Chromium, headless and offline, loads the file
// `attnsweep report` wrote, runs its scripts, and hands back the DOM they built. Every plot must be
// drawn without error, and draw exactly one point per (series, x) cell of the store — failed cells
// included. Run by `make test-report`, which installs chromium.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>

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
};

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
  }
  return plots;
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
  const auto drawn = DrawnPlots(dom);
  ASSERT_EQ(drawn.size(), expected.size()) << "plots in the page";
  for (const auto& [id, cells] : expected) {
    ASSERT_TRUE(drawn.count(id)) << id;
    const DrawnPlot& plot = drawn.at(id);
    EXPECT_TRUE(plot.rendered) << id;
    EXPECT_EQ(plot.error, "") << id;
    EXPECT_EQ(plot.points, cells) << id;
    EXPECT_EQ(plot.cells_attribute, cells) << id;
  }
  // The failed jobs' table lists both.
  EXPECT_NE(dom.find("out of memory: tried to allocate 64 GiB"), std::string::npos);
  EXPECT_NE(dom.find("fault job: thrown on purpose"), std::string::npos);
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
