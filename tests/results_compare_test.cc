// `results --compare`: which jobs are paired, and the figures against values worked by hand (the
// AUC statistics themselves are checked against a direct DeLong in paired_auc_test.cc).
#include "cli/analysis/results_compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace attnsweep {
namespace {

JobRecord Trained(int64_t id, const std::string& variant, int seed,
                  std::map<std::string, double> metrics, int length = 128) {
  JobRecord job;
  job.id = id;
  job.status = "done";
  job.config = nlohmann::json{{"task", "train"},
                              {"seed", seed},
                              {"model", {{"attention", variant}}},
                              {"data", {{"max_len", length}}}}
                   .dump();
  job.metrics = std::move(metrics);
  return job;
}

const std::vector<std::string> kByVariant = {"model.attention"};
const std::set<std::string> kScored = {"test_auc"};  // train's scored_metric

CompareBaseline Baseline(const std::string& text) {
  std::string error;
  return *ParseCompareBaseline(text, &error);
}

TEST(ResultsCompare, ParsesTheBaseline) {
  std::string error;
  EXPECT_EQ(ParseCompareBaseline("data.max_len=128", &error)->value, 128);
  EXPECT_EQ(ParseCompareBaseline("model.attention=gru", &error)->value, "gru");
  EXPECT_FALSE(ParseCompareBaseline("model.attention", &error));
  EXPECT_NE(error.find("KEY=VALUE"), std::string::npos);
  EXPECT_FALSE(ParseCompareBaseline("=gru", &error));
}

TEST(ResultsCompare, AucPairsEachSeedWithTheBaselinesSameSeed) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  std::map<int64_t, std::vector<ScoredExample>> scores;
  auto scored = [&](int64_t job, double signal) {
    for (int64_t id = 0; id < 120; ++id) {
      const int label = id % 3 == 0;
      scores[job].push_back({id, label, signal * label + noise(rng)});
    }
  };
  std::vector<JobRecord> jobs;
  // gru seeds 1, 2, 3; softmax seeds 2, 1 (stored in another order) and no 3.
  for (auto [id, variant, seed, signal] :
       std::vector<std::tuple<int64_t, std::string, int, double>>{{1, "gru", 1, 1.5},
                                                                  {2, "gru", 2, 1.4},
                                                                  {3, "gru", 3, 1.6},
                                                                  {4, "softmax", 2, 1.0},
                                                                  {5, "softmax", 1, 1.1}}) {
    jobs.push_back(Trained(id, variant, seed, {{"test_auc", 0.7}}));
    scored(id, signal);
  }
  const auto rows = CompareGroups(jobs, kByVariant, Baseline("model.attention=softmax"),
                                  {"test_auc"}, kScored, [&](int64_t id) { return scores[id]; });
  ASSERT_EQ(rows.size(), 1u);  // gru; the baseline has no row of its own
  const Comparison& row = rows[0];
  EXPECT_EQ(row.key_values[0], "gru");
  EXPECT_EQ(row.pairs, 2);
  EXPECT_EQ(row.method, "DeLong, paired customers");
  const AucComparison expected =
      CompareAucsPaired({{scores[1], scores[5]}, {scores[2], scores[4]}});
  EXPECT_DOUBLE_EQ(row.effect, expected.difference);
  EXPECT_DOUBLE_EQ(row.lo, expected.lo);
  EXPECT_DOUBLE_EQ(row.hi, expected.hi);
  EXPECT_DOUBLE_EQ(row.p_value, expected.p_value);
  EXPECT_GT(row.effect, 0);
  // Without stored scores, no test, and it says why.
  const auto bare =
      CompareGroups(jobs, kByVariant, Baseline("model.attention=softmax"), {"test_auc"}, kScored,
                    [](int64_t) { return std::vector<ScoredExample>{}; });
  EXPECT_TRUE(std::isnan(bare[0].p_value));
  EXPECT_NE(bare[0].note.find("no per-customer test scores"), std::string::npos);
}

TEST(ResultsCompare, TimesAsRatiosWithTheSeedsSpread) {
  // 20 and 22 ms against 10 and 10: log ratios ln 2 and ln 2.2, no interval of their own.
  const std::vector<JobRecord> jobs = {
      Trained(1, "performer", 1, {{"epoch_s", 20}}), Trained(2, "performer", 2, {{"epoch_s", 22}}),
      Trained(3, "softmax", 1, {{"epoch_s", 10}}), Trained(4, "softmax", 2, {{"epoch_s", 10}})};
  const auto rows =
      CompareGroups(jobs, kByVariant, Baseline("model.attention=softmax"), {"epoch_s"}, kScored,
                    [](int64_t) { return std::vector<ScoredExample>{}; });
  ASSERT_EQ(rows.size(), 1u);
  const Comparison& row = rows[0];
  EXPECT_TRUE(row.ratio);
  const double mean = (std::log(2.0) + std::log(2.2)) / 2;
  const double se = (std::log(2.2) - std::log(2.0)) / 2;  // sqrt(s^2 / 2), s^2 = (a - b)^2 / 2
  const double t_1_df = 12.706204736;                     // Student's t, 97.5 %, 1 df (tables)
  EXPECT_NEAR(row.effect, std::sqrt(4.4), 1e-12);
  EXPECT_NEAR(row.lo, std::exp(mean - t_1_df * se), 1e-6);
  EXPECT_NEAR(row.hi, std::exp(mean + t_1_df * se), 1e-6);
  // t = mean / se with 1 df: p = 1 - 2 atan(t) / pi (Cauchy).
  EXPECT_NEAR(row.p_value, 1 - 2 * std::atan(mean / se) / M_PI, 1e-9);
  EXPECT_DOUBLE_EQ(row.value, 21);
  EXPECT_DOUBLE_EQ(row.baseline, 10);
}

TEST(ResultsCompare, OtherFiguresAsPairedDifferencesWithStudentsT) {
  const std::vector<JobRecord> jobs = {Trained(1, "gru", 1, {{"test_accuracy", 0.70}}),
                                       Trained(2, "gru", 2, {{"test_accuracy", 0.80}}),
                                       Trained(3, "gru", 3, {{"test_accuracy", 0.75}}),
                                       Trained(4, "softmax", 1, {{"test_accuracy", 0.60}}),
                                       Trained(5, "softmax", 2, {{"test_accuracy", 0.65}}),
                                       Trained(6, "softmax", 3, {{"test_accuracy", 0.70}})};
  const auto rows =
      CompareGroups(jobs, kByVariant, Baseline("model.attention=softmax"), {"test_accuracy"},
                    kScored, [](int64_t) { return std::vector<ScoredExample>{}; });
  ASSERT_EQ(rows.size(), 1u);
  const Comparison& row = rows[0];
  // Differences 0.10, 0.15, 0.05: mean 0.1, sd 0.05, se 0.05 / sqrt(3).
  const double se = 0.05 / std::sqrt(3.0);
  EXPECT_NEAR(row.effect, 0.1, 1e-12);
  EXPECT_NEAR(row.lo, 0.1 - 4.302652730 * se, 1e-8);  // t, 97.5 %, 2 df (tables)
  EXPECT_NEAR(row.hi, 0.1 + 4.302652730 * se, 1e-8);
  // With 2 df the t law's CDF is 1/2 + t / (2 sqrt(2 + t^2)).
  const double t = 0.1 / se;
  EXPECT_NEAR(row.p_value, 2 * (0.5 - t / (2 * std::sqrt(2 + t * t))), 1e-9);
}

TEST(ResultsCompare, AVariantsOwnKeysDoNotKeepItFromTheBaseline) {
  // Performer at two feature counts against softmax, which has no model.performer.features.
  std::vector<JobRecord> jobs;
  int64_t id = 0;
  for (int features : {16, 64}) {
    for (int seed = 1; seed <= 2; ++seed) {
      JobRecord job = Trained(++id, "performer", seed, {{"epoch_s", 2.0 * seed}});
      auto config = nlohmann::json::parse(job.config);
      config["model"]["performer"] = {{"features", features}};
      job.config = config.dump();
      jobs.push_back(job);
    }
  }
  for (int seed = 1; seed <= 2; ++seed)
    jobs.push_back(Trained(++id, "softmax", seed, {{"epoch_s", 1.0 * seed}}));
  const std::vector<std::string> by = {"model.attention", "model.performer.features"};
  const auto rows = CompareGroups(jobs, by, Baseline("model.attention=softmax"), {"epoch_s"},
                                  kScored, [](int64_t) { return std::vector<ScoredExample>{}; });
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.pairs, 2) << row.note;
    EXPECT_NEAR(row.effect, 2.0, 1e-12);  // every seed's ratio is 2
  }
}

TEST(ResultsCompare, HolmAdjustsAcrossRowsAndAMissingBaselineSaysSo) {
  std::vector<JobRecord> jobs;
  int64_t id = 0;
  // Three variants against softmax at length 128, with differing strength; at 256 no softmax.
  const std::map<std::string, std::vector<double>> accuracy = {
      {"softmax", {0.60, 0.62, 0.61, 0.63}},
      {"gru", {0.70, 0.69, 0.72, 0.71}},
      {"bag", {0.61, 0.64, 0.60, 0.66}},
      {"performer", {0.63, 0.66, 0.62, 0.64}}};
  for (const auto& [variant, values] : accuracy) {
    for (int seed = 1; seed <= 4; ++seed)
      jobs.push_back(Trained(++id, variant, seed, {{"test_accuracy", values[seed - 1]}}));
  }
  jobs.push_back(Trained(++id, "gru", 1, {{"test_accuracy", 0.7}}, 256));
  const std::vector<std::string> by = {"model.attention", "data.max_len"};
  const auto rows = CompareGroups(jobs, by, Baseline("model.attention=softmax"), {"test_accuracy"},
                                  kScored, [](int64_t) { return std::vector<ScoredExample>{}; });
  ASSERT_EQ(rows.size(), 4u);
  // A figure no job of a group has (another task's, fwd_ms here) gives no row.
  EXPECT_EQ(
      CompareGroups(jobs, by, Baseline("model.attention=softmax"), {"test_accuracy", "fwd_ms"},
                    kScored, [](int64_t) { return std::vector<ScoredExample>{}; })
          .size(),
      4u);
  std::vector<double> p;
  for (const auto& row : rows) {
    if (!std::isnan(row.p_value)) p.push_back(row.p_value);
  }
  ASSERT_EQ(p.size(), 3u);
  std::vector<double> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  // Holm by hand: min(1, 3 p(1)), then the running maximum of min(1, 2 p(2)), min(1, p(3)).
  std::vector<double> holm = {std::min(1.0, 3 * sorted[0])};
  holm.push_back(std::max(holm[0], std::min(1.0, 2 * sorted[1])));
  holm.push_back(std::max(holm[1], std::min(1.0, sorted[2])));
  for (const auto& row : rows) {
    if (std::isnan(row.p_value)) continue;
    const size_t rank = std::find(sorted.begin(), sorted.end(), row.p_value) - sorted.begin();
    EXPECT_DOUBLE_EQ(row.p_holm, holm[rank]);
  }
  const Comparison& orphan = rows.back();
  EXPECT_EQ(orphan.key_values[1], 256);
  EXPECT_EQ(orphan.pairs, 0);
  EXPECT_NE(orphan.note.find("no model.attention=softmax jobs"), std::string::npos);
}

}  // namespace
}  // namespace attnsweep
