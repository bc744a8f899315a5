// The grid's `search:` section (experiments/grid_search.h): samples drawn reproducibly, inside
// their bounds and with the distribution's shape, crossed with every point of the grid, and
// refused with the place and the reason when written wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "experiments/grid.h"
#include "experiments/grid_search.h"
#include "tests/grid_test_util.h"

namespace attnsweep {
namespace {

// The values drawn for `key`, in sample order, from a search section written as YAML.
std::vector<nlohmann::json> Drawn(const std::string& section, const std::string& key) {
  const SearchSection search = ParseSearch(YAML::Load(section));
  EXPECT_TRUE(search.errors.empty()) << search.errors.front().message;
  std::vector<nlohmann::json> values;
  for (const auto& sample : search.samples) {
    for (const SampledValue& drawn : sample) {
      if (drawn.key == key) values.push_back(drawn.value);
    }
  }
  return values;
}

TEST(GridSearch, TheSameSectionDrawsTheSameSamplesAndAKeysDrawsAreItsOwn) {
  const std::string section =
      "{samples: 20, seed: 7, train.lr: {loguniform: [0.0001, 0.1]}, "
      "model.dropout: {choice: [0.0, 0.1, 0.2]}}";
  const auto lr = Drawn(section, "train.lr");
  ASSERT_EQ(lr.size(), 20u);
  EXPECT_EQ(Drawn(section, "train.lr"), lr);
  EXPECT_EQ(std::set<nlohmann::json>(lr.begin(), lr.end()).size(), 20u) << "20 distinct rates";
  // Another seed, other samples.
  const auto other =
      Drawn("{samples: 20, seed: 8, train.lr: {loguniform: [0.0001, 0.1]}}", "train.lr");
  EXPECT_NE(other, lr);
  // Without the other key, written in another order or with a third: the same rates.
  EXPECT_EQ(Drawn("{samples: 20, seed: 7, train.lr: {loguniform: [0.0001, 0.1]}}", "train.lr"), lr);
  EXPECT_EQ(Drawn("{seed: 7, train.weight_decay: {uniform: [0, 0.1]}, samples: 20, train: {lr: "
                  "{loguniform: [0.0001, 0.1]}}}",
                  "train.lr"),
            lr);
}

TEST(GridSearch, DrawsStayInTheirBoundsWithTheirDistributionsShape) {
  const int n = 4000;
  const std::string count = "{samples: " + std::to_string(n) + ", seed: 3, ";
  // Log-uniform on [1e-4, 1e-1]: half the draws below the geometric middle, 10^-2.5.
  const auto lr = Drawn(count + "train.lr: {loguniform: [0.0001, 0.1]}}", "train.lr");
  int below = 0;
  for (const auto& v : lr) {
    ASSERT_GE(v.get<double>(), 0.0001);
    ASSERT_LE(v.get<double>(), 0.1);
    below += v.get<double>() < std::pow(10.0, -2.5) ? 1 : 0;
  }
  // Binomial(4000, 0.5): sd 0.0079; 0.04 is five of them.
  EXPECT_NEAR(below / static_cast<double>(n), 0.5, 0.04);
  // Uniform on [0.2, 0.6]: mean 0.4 (sd of the mean 0.0018), a quarter below 0.3.
  const auto dropout = Drawn(count + "model.dropout: {uniform: [0.2, 0.6]}}", "model.dropout");
  double sum = 0;
  int quarter = 0;
  for (const auto& v : dropout) {
    ASSERT_GE(v.get<double>(), 0.2);
    ASSERT_LE(v.get<double>(), 0.6);
    sum += v.get<double>();
    quarter += v.get<double>() < 0.3 ? 1 : 0;
  }
  EXPECT_NEAR(sum / n, 0.4, 0.01);
  EXPECT_NEAR(quarter / static_cast<double>(n), 0.25, 0.035);
  // Integers: both ends drawn, each value about as often; stored as integers.
  std::map<int64_t, int> epochs;
  for (const auto& v : Drawn(count + "train.epochs: {int: [2, 5]}}", "train.epochs")) {
    ASSERT_TRUE(v.is_number_integer()) << v;
    ++epochs[v.get<int64_t>()];
  }
  ASSERT_EQ(epochs.size(), 4u);
  EXPECT_EQ(epochs.begin()->first, 2);
  EXPECT_EQ(epochs.rbegin()->first, 5);
  for (const auto& [value, times] : epochs) EXPECT_NEAR(times, n / 4, n / 4 / 5) << value;
  // Choices: each of them, normalised as written values are (0 is the number 0.0).
  std::map<double, int> chosen;
  for (const auto& v : Drawn(count + "model.dropout: {choice: [0, 0.1, 0.2]}}", "model.dropout")) {
    ++chosen[v.get<double>()];
  }
  EXPECT_EQ(chosen.size(), 3u);
  // Six significant digits at most: what a table shows is the value itself.
  for (const auto& v : lr) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", v.get<double>());
    EXPECT_EQ(std::strtod(text, nullptr), v.get<double>());
  }
}

TEST(GridSearch, EveryPointOfTheGridRunsWithEverySample) {
  const Grid grid = MustParse(R"(experiments:
  - name: tune
    task: sleep
    grid: {seed: [1, 2, 3]}
    search:
      samples: 5
      seed: 1
      sleep.seconds: {uniform: [0.01, 0.05]}
)");
  EXPECT_EQ(grid.jobs.size(), 15u);
  const Grid train = MustParse(R"(defaults: {data: {customers: 40}}
experiments:
  - name: tune
    task: train
    grid: {model.attention: [softmax, performer], seed: [1, 2]}
    search:
      samples: 5
      seed: 1
      train.lr: {loguniform: [0.001, 0.1]}
      model.dropout: {choice: [0.0, 0.1]}
)");
  ASSERT_EQ(train.jobs.size(), 20u);
  // Every (variant, seed) runs the same five (lr, dropout) pairs: the samples are shared, so the
  // variants get the same chance.
  std::map<std::string, std::set<std::pair<double, double>>> by_point;
  for (const auto& job : train.jobs) {
    const auto& c = job.config;
    by_point[c.at("model").at("attention").get<std::string>() + "/" + c.at("seed").dump()].insert(
        {c.at("train").at("lr").get<double>(), c.at("model").at("dropout").get<double>()});
  }
  ASSERT_EQ(by_point.size(), 4u);
  for (const auto& [point, pairs] : by_point) {
    EXPECT_EQ(pairs.size(), 5u) << point;
    EXPECT_EQ(pairs, by_point.begin()->second) << point;
  }
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(
    GridSearch, GridProblems,
    ::testing::Values(
        GridProblemCase{"NotAMapping",
                        "experiments:\n  - {name: a, task: train, search: [1, 2]}\n",
                        {"g.yaml:2:36: 'search' takes a mapping: samples, seed, and a "
                         "distribution for each key ({uniform: [a, b]}, {loguniform: [a, b]}, "
                         "{int: [a, b]}, {choice: [...]})"}},
        GridProblemCase{"SamplesMissingAndUnknownDistribution",
                        "experiments:\n  - name: a\n    task: train\n    search:\n"
                        "      train.lr: {normal: [0, 1]}\n",
                        {"g.yaml:5:7: 'search' needs 'samples': how many values to draw for each "
                         "key",
                         "g.yaml:5:17: 'train.lr' in 'search' takes one distribution: {uniform: "
                         "[a, b]}, {loguniform: [a, b]}, {int: [a, b]} or {choice: [...]}"}},
        GridProblemCase{"BoundsOutOfRangeReversedOrNotPositive",
                        "experiments:\n  - name: a\n    task: train\n    search:\n"
                        "      samples: 3\n"
                        "      train.lr: {loguniform: [0, 0.1]}\n"
                        "      model.dropout: {uniform: [0.5, 0.2]}\n"
                        "      train.weight_decay: {uniform: [0, 11]}\n",
                        {"g.yaml:6:30: 'train.lr': loguniform needs a low above 0",
                         "g.yaml:7:32: 'model.dropout': uniform's low must be below its "
                         "high",
                         "g.yaml:8:41: 'train.weight_decay' must be between 0 and 10, got 11"}},
        GridProblemCase{"WrongKindForTheKeyAndUnknownKey",
                        "experiments:\n  - name: a\n    task: train\n    search:\n"
                        "      samples: 0\n"
                        "      train.epochs: {uniform: [1, 5]}\n"
                        "      train.lrr: {uniform: [0, 1]}\n",
                        {"g.yaml:5:16: 'search.samples' must be an integer from 1 to "
                         "10000",
                         "g.yaml:6:31: 'train.epochs' is integer: uniform draws numbers; "
                         "use int for an integer key, or choice",
                         "g.yaml:7:7: unknown key 'train.lrr'; did you mean 'train.lr'? "
                         "(`attnsweep keys` lists every key)"}},
        GridProblemCase{"DrawnAndInTheGridToo",
                        "experiments:\n  - name: a\n    task: train\n"
                        "    grid: {train.lr: [0.1, 0.2]}\n    search:\n"
                        "      samples: 2\n      train.lr: {uniform: [0.01, 0.1]}\n",
                        {"g.yaml:7:17: 'train.lr' is set by two grid dimensions"}}),
    GridProblemCaseName);

}  // namespace attnsweep
