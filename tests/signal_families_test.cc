// The synthetic label families (data.signal_kind), each on a small generated set read back through
// the CSV reader, as a model reads it: the posterior the generator writes is what the generating
// feature gives (the signal is learnable, to the oracle), and a bag of category counts reaches it
// only on `count` (order, recall and rhythm are not bag signals).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>

#include "experiments/auc_interval.h"
#include "experiments/data/dataset.h"
#include "experiments/data/oracle_posterior.h"
#include "experiments/data/signal_families.h"
#include "experiments/data/synthetic.h"
#include "experiments/roc_auc.h"

namespace attnsweep {
namespace {

constexpr int64_t kWindow = 64;

// A family's set, the posteriors it wrote, and what a model of the last kWindow events sees.
struct FamilySet {
  TransactionDataset data;
  std::vector<double> posterior;  // per labelled customer, in the dataset's order
  std::vector<int> labels;
  // The window of customer c: event indices [first(c), offsets[c + 1]).
  int64_t first(int64_t c) const {
    return std::max(data.offsets[c], data.offsets[c + 1] - kWindow);
  }
  int32_t Code(int64_t event) const {
    const int32_t index = data.mcc[event];
    return index >= 2 ? data.mcc_codes[index - 2] : -1;
  }
};

FamilySet Generate(const std::string& kind) {
  const std::string folder =
      (std::filesystem::temp_directory_path() / ("attnsweep_family_" + kind)).string();
  std::filesystem::remove_all(folder);
  SyntheticOptions options;
  options.customers = 3000;
  options.seed = 7;
  options.signal_kind = kind;
  options.window = kWindow;
  options.labelled_fraction = 1.0;
  GenerateSynthetic(options, folder);
  FamilySet set;
  DatasetOptions read;
  read.test_fraction = 0.3;
  read.validation_fraction = 0;
  set.data = ReadCsvDataset(folder, read);
  const auto posteriors = ReadOraclePosteriors(folder);
  EXPECT_TRUE(posteriors.has_value());
  for (int64_t c = 0; c < set.data.customers(); ++c) {
    set.posterior.push_back(posteriors->at(set.data.customer_ids[c]));
    set.labels.push_back(set.data.labels[c]);
  }
  std::filesystem::remove_all(folder);
  return set;
}

// The AUC of `scores` over `customers`, with its 95 % bootstrap interval.
struct Auc {
  double value;
  AucInterval interval;
};
Auc AucOver(const FamilySet& set, const std::vector<double>& scores,
            const std::vector<int64_t>& customers) {
  std::vector<double> s;
  std::vector<int> l;
  for (int64_t c : customers) {
    s.push_back(scores[c]);
    l.push_back(set.labels[c]);
  }
  return {RocAuc(s, l), BootstrapAucInterval(s, l)};
}

std::vector<int64_t> All(const FamilySet& set) {
  std::vector<int64_t> all(set.data.customers());
  std::iota(all.begin(), all.end(), 0);
  return all;
}

// A bag of counts: logistic regression on each category's share of the window's events (and the
// window's length), fitted on the training split by gradient descent, scored on the test split.
Auc BagOfCounts(const FamilySet& set) {
  const auto& d = set.data;
  const size_t width = d.mcc_codes.size() + 3;
  std::vector<std::vector<double>> x(d.customers(), std::vector<double>(width, 0.0));
  for (int64_t c = 0; c < d.customers(); ++c) {
    const int64_t first = set.first(c), n = d.offsets[c + 1] - first;
    for (int64_t e = first; e < d.offsets[c + 1]; ++e) x[c][d.mcc[e]] += 1.0 / n;
    x[c][width - 1] = std::log(static_cast<double>(n));
  }
  const auto train = d.CustomersOf(Split::kTrain), test = d.CustomersOf(Split::kTest);
  std::vector<double> w(width, 0.0);
  double bias = 0;
  for (int step = 0; step < 400; ++step) {
    std::vector<double> grad(width, 0.0);
    double grad_bias = 0;
    for (int64_t c : train) {
      double z = bias;
      for (size_t k = 0; k < width; ++k) z += w[k] * x[c][k];
      const double error = 1 / (1 + std::exp(-z)) - set.labels[c];
      for (size_t k = 0; k < width; ++k) grad[k] += error * x[c][k];
      grad_bias += error;
    }
    for (size_t k = 0; k < width; ++k) w[k] -= 20.0 * (grad[k] / train.size() + 1e-4 * w[k]);
    bias -= 2.0 * grad_bias / train.size();
  }
  std::vector<double> scores(d.customers(), 0.0);
  for (int64_t c = 0; c < d.customers(); ++c) {
    scores[c] = bias;
    for (size_t k = 0; k < width; ++k) scores[c] += w[k] * x[c][k];
  }
  return AucOver(set, scores, test);
}

// The feature the family planted, read from the window: its AUC must be the oracle's.
void ExpectTheFeatureReachesTheOracle(const FamilySet& set, const std::vector<double>& feature) {
  const Auc oracle = AucOver(set, set.posterior, All(set));
  const Auc handed = AucOver(set, feature, All(set));
  EXPECT_GE(handed.value, oracle.interval.lo) << "the generating feature falls short of the oracle";
  EXPECT_LE(handed.value, oracle.interval.hi + 1e-12) << "a feature beats the Bayes posterior";
  // The channel lets through P(z = y) = 0.88: the oracle's AUC where the evidence is always seen.
  EXPECT_NEAR(oracle.value, ChannelAgreement(1.0), 0.04);
}

TEST(SignalFamilies, OrderIsAPairABagCannotSee) {
  const FamilySet set = Generate("order");
  std::vector<double> pair(set.data.customers(), 0.0);
  for (int64_t c = 0; c < set.data.customers(); ++c) {
    for (int64_t e = set.first(c); e + 1 < set.data.offsets[c + 1]; ++e) {
      if (set.Code(e) == 4722 && set.Code(e + 1) == 7011) pair[c] = 1;
    }
  }
  ExpectTheFeatureReachesTheOracle(set, pair);
  const Auc bag = BagOfCounts(set);
  const auto test = set.data.CustomersOf(Split::kTest);
  EXPECT_LT(bag.interval.hi, AucOver(set, set.posterior, test).value) << bag.value;
  EXPECT_LT(bag.value, 0.6);
}

TEST(SignalFamilies, RecallIsTheEventAfterAnEarlyCue) {
  const FamilySet set = Generate("recall");
  std::vector<double> carrier(set.data.customers(), 0.5);
  std::vector<int64_t> distance;
  for (int64_t c = 0; c < set.data.customers(); ++c) {
    for (int64_t e = set.first(c); e + 1 < set.data.offsets[c + 1]; ++e) {
      if (set.Code(e) != 6012) continue;
      carrier[c] = set.Code(e + 1) == 5094 ? 1.0 : 0.0;
      distance.push_back(set.data.offsets[c + 1] - e);
    }
  }
  ExpectTheFeatureReachesTheOracle(set, carrier);
  // The cue sits in the window's first quarter: for a full window, 48 to 64 events back.
  std::sort(distance.begin(), distance.end());
  EXPECT_GE(distance[distance.size() / 2], 40);
  const Auc bag = BagOfCounts(set);
  EXPECT_LT(bag.interval.hi, AucOver(set, set.posterior, set.data.CustomersOf(Split::kTest)).value)
      << bag.value;
}

TEST(SignalFamilies, RhythmIsInTheGapsAlone) {
  const FamilySet set = Generate("rhythm");
  // The spread of the window's log gaps: small for the regular customers.
  std::vector<double> regularity(set.data.customers(), 0.0);
  for (int64_t c = 0; c < set.data.customers(); ++c) {
    std::vector<double> logs;
    for (int64_t e = std::max(set.first(c), set.data.offsets[c] + 1); e < set.data.offsets[c + 1];
         ++e) {
      logs.push_back(std::log(set.data.gap_days[e]));
    }
    if (logs.size() < 2) continue;
    const double mean = std::accumulate(logs.begin(), logs.end(), 0.0) / logs.size();
    double squares = 0;
    for (double v : logs) squares += (v - mean) * (v - mean);
    regularity[c] = -squares / logs.size();
  }
  ExpectTheFeatureReachesTheOracle(set, regularity);
  const Auc bag = BagOfCounts(set);
  EXPECT_LT(bag.value, 0.6) << "categories carry nothing of the rhythm";
}

TEST(SignalFamilies, CountIsABagSignalTheBagReaches) {
  const FamilySet set = Generate("count");
  std::vector<double> count(set.data.customers(), 0.0);
  for (int64_t c = 0; c < set.data.customers(); ++c) {
    for (int64_t e = set.first(c); e < set.data.offsets[c + 1]; ++e)
      count[c] += set.Code(e) == 5912;
  }
  const Auc oracle = AucOver(set, set.posterior, All(set));
  const Auc handed = AucOver(set, count, All(set));
  EXPECT_GE(handed.value, oracle.interval.lo);
  EXPECT_LE(handed.value, oracle.interval.hi);
  // The control: what a bag of counts learns is within the oracle's interval on the same customers.
  const auto test = set.data.CustomersOf(Split::kTest);
  const Auc on_test = AucOver(set, set.posterior, test);
  const Auc bag = BagOfCounts(set);
  EXPECT_GE(bag.value, on_test.interval.lo) << bag.value << " against " << on_test.value;
}

TEST(SignalFamilies, NoSignalMeansThePriorForEveryone) {
  SignalFamily family{"recall", 0.0, 8};
  std::mt19937_64 rng(3);
  std::vector<PlantedEvent> events(20);
  for (size_t i = 0; i < events.size(); ++i) events[i] = {static_cast<int64_t>(100 * i), 5411};
  std::vector<size_t> changed;
  EXPECT_NEAR(PlantSignal(family, 1, 0.45, &events, &changed, &rng), 0.45, 1e-12);
  // Planted only in the window: the last 8 events.
  for (size_t i : changed) EXPECT_GE(i, 12u);
  EXPECT_EQ(ChannelAgreement(0), 0.5);
}

}  // namespace
}  // namespace attnsweep
