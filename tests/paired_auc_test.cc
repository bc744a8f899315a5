// The paired AUC comparison against independent references: a small case worked by hand in exact
// fractions, and DeLong's variance straight from its definition (m n comparisons) on random data,
// single runs and runs on the same or disjoint ids.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "experiments/paired_auc.h"

namespace attnsweep {
namespace {

constexpr double kZ975 = 1.959963984540054;

// One customer as both models scored it.
struct Pair {
  int label;
  double a, b;
};

// A run over `pairs`, the k-th having id ids[k]; B's list reversed so pairing must go by id.
PairedRun MakeRun(const std::vector<Pair>& pairs, const std::vector<int64_t>& ids) {
  PairedRun run;
  for (size_t k = 0; k < pairs.size(); ++k) {
    run.a.push_back({ids[k], pairs[k].label, pairs[k].a});
    run.b.push_back({ids[k], pairs[k].label, pairs[k].b});
  }
  std::reverse(run.b.begin(), run.b.end());
  return run;
}

std::vector<int64_t> Ids(size_t count, int64_t first = 0) {
  std::vector<int64_t> ids(count);
  for (size_t k = 0; k < count; ++k) ids[k] = first + static_cast<int64_t>(k);
  return ids;
}

// Labels about 40 % positive; both models see a shared latent signal plus their own noise, so their
// scores correlate, and rounding to one decimal makes ties within and across classes.
std::vector<Pair> Correlated(std::mt19937_64& rng, size_t count, std::vector<int> labels = {}) {
  std::normal_distribution<double> normal(0, 1);
  std::bernoulli_distribution positive(0.4);
  std::vector<Pair> pairs;
  for (size_t k = 0; k < count; ++k) {
    const int label = labels.empty() ? positive(rng) : labels[k];
    const double latent = label + normal(rng);
    pairs.push_back({label, std::round((latent + 0.4 * normal(rng)) * 10) / 10,
                     std::round((latent + 0.7 * normal(rng)) * 10) / 10});
  }
  return pairs;
}

double Psi(double positive, double negative) {
  return positive > negative ? 1 : positive == negative ? 0.5 : 0;
}

// DeLong for one run from the definition: every positive against every negative.
struct BruteDeLong {
  double auc_a = 0, auc_b = 0;
  std::vector<double> phi, psi;  // V10_a - V10_b per positive, V01_a - V01_b per negative
};

BruteDeLong Brute(const std::vector<Pair>& pairs) {
  std::vector<Pair> positives, negatives;
  for (const Pair& p : pairs) (p.label == 1 ? positives : negatives).push_back(p);
  const double m = positives.size(), n = negatives.size();
  BruteDeLong result;
  for (const Pair& x : positives) {
    double a = 0, b = 0;
    for (const Pair& y : negatives) a += Psi(x.a, y.a), b += Psi(x.b, y.b);
    result.phi.push_back(a / n - b / n);
    result.auc_a += a / (m * n);
    result.auc_b += b / (m * n);
  }
  for (const Pair& y : negatives) {
    double a = 0, b = 0;
    for (const Pair& x : positives) a += Psi(x.a, y.a), b += Psi(x.b, y.b);
    result.psi.push_back(a / m - b / m);
  }
  return result;
}

// Sample variance (denominator k - 1) of the mean of `v`: S / k.
double VarianceOfMean(const std::vector<double>& v) {
  const double k = v.size();
  double mean = 0, squares = 0;
  for (double x : v) mean += x / k;
  for (double x : v) squares += (x - mean) * (x - mean);
  return squares / (k - 1) / k;
}

double DeLongVariance(const BruteDeLong& r) {
  return VarianceOfMean(r.phi) + VarianceOfMean(r.psi);
}

TEST(PairedAuc, HandWorkedExample) {
  // Positives: A scores 0.9 0.6 0.4, B 0.7 0.3 0.2. Negatives: A 0.5 0.4 0.1, B 0.8 0.3 0.1.
  //   A: V10 = 3/3, 3/3, (0 + 1/2 + 1)/3 = 1/2        V01 = 2/3, (1 + 1 + 1/2)/3 = 5/6, 3/3
  //   B: V10 = 2/3, (0 + 1/2 + 1)/3 = 1/2, 1/3        V01 = 0, (1 + 1/2 + 0)/3 = 1/2, 3/3
  //   AUC_a = 5/6, AUC_b = 1/2, d = 1/3.
  //   phi = 1/3, 1/2, 1/6: deviations 0, 1/6, -1/6, S10 = (2/36) / 2 = 1/36, S10 / m = 1/108.
  //   psi = 2/3, 1/3, 0: deviations 1/3, 0, -1/3, S01 = (2/9) / 2 = 1/9, S01 / n = 1/27.
  //   Var(d) = 1/108 + 4/108 = 5/108.
  PairedRun run;
  run.a = {{12, 0, 0.4}, {10, 1, 0.9}, {13, 0, 0.5}, {11, 1, 0.6}, {14, 0, 0.1}, {15, 1, 0.4}};
  run.b = {{14, 0, 0.1}, {15, 1, 0.2}, {13, 0, 0.8}, {10, 1, 0.7}, {12, 0, 0.3}, {11, 1, 0.3}};
  const AucComparison c = CompareAucsPaired({run});
  EXPECT_EQ(c.runs, 1);
  EXPECT_EQ(c.positives, 3);
  EXPECT_EQ(c.negatives, 3);
  EXPECT_NEAR(c.auc_a, 5.0 / 6, 1e-12);
  EXPECT_NEAR(c.auc_b, 1.0 / 2, 1e-12);
  EXPECT_NEAR(c.difference, 1.0 / 3, 1e-12);
  EXPECT_NEAR(c.std_error * c.std_error, 5.0 / 108, 1e-12);
  const double se = std::sqrt(5.0 / 108);
  EXPECT_NEAR(c.lo, 1.0 / 3 - kZ975 * se, 1e-9);
  EXPECT_NEAR(c.hi, 1.0 / 3 + kZ975 * se, 1e-9);
  EXPECT_NEAR(c.p_value, std::erfc((1.0 / 3) / se / std::sqrt(2.0)), 1e-12);
}

TEST(PairedAuc, MatchesQuadraticDeLongOnRandomData) {
  std::mt19937_64 rng(11);
  const std::vector<Pair> pairs = Correlated(rng, 200);
  const BruteDeLong brute = Brute(pairs);
  const AucComparison c = CompareAucsPaired({MakeRun(pairs, Ids(pairs.size(), 500))});
  EXPECT_EQ(c.positives, static_cast<int64_t>(brute.phi.size()));
  EXPECT_EQ(c.negatives, static_cast<int64_t>(brute.psi.size()));
  EXPECT_NEAR(c.auc_a, brute.auc_a, 1e-12);
  EXPECT_NEAR(c.auc_b, brute.auc_b, 1e-12);
  EXPECT_NEAR(c.difference, brute.auc_a - brute.auc_b, 1e-12);
  EXPECT_NEAR(c.std_error * c.std_error, DeLongVariance(brute), 1e-12);
  ASSERT_GT(c.std_error, 0);
  // The interval and the p-value tell the same story: at confidence 1 - p one end touches 0.
  EXPECT_NEAR(c.p_value, TwoSidedNormalP(c.difference / c.std_error), 1e-15);
  EXPECT_NEAR(c.hi - c.difference, kZ975 * c.std_error, 1e-9);
  EXPECT_NEAR(c.difference - c.lo, kZ975 * c.std_error, 1e-9);
  EXPECT_EQ(c.p_value<0.05, c.lo> 0 || c.hi < 0);
  const AucComparison at_p = CompareAucsPaired({MakeRun(pairs, Ids(pairs.size()))}, 1 - c.p_value);
  EXPECT_NEAR(c.difference > 0 ? at_p.lo : at_p.hi, 0, 1e-9);
}

TEST(PairedAuc, RunsOnTheSameIdsAverageTheComponents) {
  std::mt19937_64 rng(12);
  const std::vector<Pair> first = Correlated(rng, 180);
  std::vector<int> labels;
  for (const Pair& p : first) labels.push_back(p.label);
  const std::vector<Pair> second = Correlated(rng, 180, labels);  // another seed, same customers
  const BruteDeLong r1 = Brute(first), r2 = Brute(second);
  BruteDeLong mean = r1;
  for (size_t i = 0; i < mean.phi.size(); ++i) mean.phi[i] = (r1.phi[i] + r2.phi[i]) / 2;
  for (size_t j = 0; j < mean.psi.size(); ++j) mean.psi[j] = (r1.psi[j] + r2.psi[j]) / 2;
  const std::vector<int64_t> ids = Ids(180, 7);
  const AucComparison c = CompareAucsPaired({MakeRun(first, ids), MakeRun(second, ids)});
  EXPECT_EQ(c.runs, 2);
  EXPECT_EQ(c.positives + c.negatives, 180);
  EXPECT_NEAR(c.auc_a, (r1.auc_a + r2.auc_a) / 2, 1e-12);
  EXPECT_NEAR(c.difference, (r1.auc_a - r1.auc_b + r2.auc_a - r2.auc_b) / 2, 1e-12);
  EXPECT_NEAR(c.customer_std_error * c.customer_std_error, DeLongVariance(mean), 1e-12);
}

TEST(PairedAuc, TheRunsSpreadAddsToTheCustomersVariance) {
  std::mt19937_64 rng(15);
  const std::vector<Pair> first = Correlated(rng, 150);
  std::vector<int> labels;
  for (const Pair& p : first) labels.push_back(p.label);
  const std::vector<Pair> second = Correlated(rng, 150, labels);
  const std::vector<Pair> third = Correlated(rng, 150, labels);
  const std::vector<int64_t> ids = Ids(150, 3);
  const AucComparison c =
      CompareAucsPaired({MakeRun(first, ids), MakeRun(second, ids), MakeRun(third, ids)});
  ASSERT_EQ(c.run_differences.size(), 3u);
  double d[3];
  const BruteDeLong runs[3] = {Brute(first), Brute(second), Brute(third)};
  for (int r = 0; r < 3; ++r) {
    d[r] = runs[r].auc_a - runs[r].auc_b;
    EXPECT_NEAR(c.run_differences[r], d[r], 1e-12);
  }
  const double mean = (d[0] + d[1] + d[2]) / 3;
  const double spread = ((d[0] - mean) * (d[0] - mean) + (d[1] - mean) * (d[1] - mean) +
                         (d[2] - mean) * (d[2] - mean)) /
                        2;
  EXPECT_NEAR(c.std_error * c.std_error, c.customer_std_error * c.customer_std_error + spread / 3,
              1e-12);
  EXPECT_NEAR(c.hi - c.difference, kZ975 * c.std_error, 1e-9);
}

TEST(PairedAuc, RunsOnDisjointIdsAddTheirVariances) {
  std::mt19937_64 rng(13);
  const std::vector<Pair> first = Correlated(rng, 200), second = Correlated(rng, 160);
  const BruteDeLong r1 = Brute(first), r2 = Brute(second);
  const AucComparison c =
      CompareAucsPaired({MakeRun(first, Ids(200, 0)), MakeRun(second, Ids(160, 1000))});
  EXPECT_NEAR(c.difference, (r1.auc_a - r1.auc_b + r2.auc_a - r2.auc_b) / 2, 1e-12);
  // With disjoint ids a run's influences are its centred components over R m_r, so the positives'
  // part is (1/R^2) sum_r M/(M-1) (m_r-1)/m_r S10_r/m_r: each run's DeLong term scaled by
  // M/(M-1) (m_r-1)/m_r = 1 - (M - m_r) / (m_r (M - 1)), and likewise for the negatives.
  const double m1 = r1.phi.size(), m2 = r2.phi.size(), n1 = r1.psi.size(), n2 = r2.psi.size();
  const double M = m1 + m2, N = n1 + n2;
  const double exact =
      (M / (M - 1) *
           ((m1 - 1) / m1 * VarianceOfMean(r1.phi) + (m2 - 1) / m2 * VarianceOfMean(r2.phi)) +
       N / (N - 1) *
           ((n1 - 1) / n1 * VarianceOfMean(r1.psi) + (n2 - 1) / n2 * VarianceOfMean(r2.psi))) /
      4;
  EXPECT_NEAR(c.customer_std_error * c.customer_std_error, exact, 1e-12);
  // Each scale lies in (1 - 1 / min(m_r, n_r), 1], so against (var1 + var2) / 4 the relative gap
  // is below 1 / min(m_r, n_r): here under 1/60.
  const double sum = (DeLongVariance(r1) + DeLongVariance(r2)) / 4;
  const double smallest = std::min({m1, m2, n1, n2});
  EXPECT_LE(c.customer_std_error * c.customer_std_error, sum);
  EXPECT_GT(c.customer_std_error * c.customer_std_error, sum * (1 - 1 / smallest));
}

TEST(PairedAuc, IdenticalModelsAndADominantModel) {
  std::mt19937_64 rng(14);
  std::vector<Pair> pairs = Correlated(rng, 200);
  for (Pair& p : pairs) p.b = p.a;
  const AucComparison same = CompareAucsPaired({MakeRun(pairs, Ids(200))});
  EXPECT_EQ(same.difference, 0);
  EXPECT_EQ(same.std_error, 0);
  EXPECT_EQ(same.p_value, 1);
  // A separates the classes perfectly, B is the noisy model: A wins every pair B gets wrong.
  for (Pair& p : pairs) p.a = p.label + 0.01 * p.b;
  const AucComparison better = CompareAucsPaired({MakeRun(pairs, Ids(200))});
  EXPECT_NEAR(better.auc_a, 1, 1e-12);
  EXPECT_GT(better.difference, 0.1);
  EXPECT_LT(better.p_value, 1e-6);
  EXPECT_GT(better.lo, 0);
}

TEST(PairedAuc, UnpairedIdsAreLeftOutAndBadInputsThrow) {
  std::mt19937_64 rng(15);
  const std::vector<Pair> pairs = Correlated(rng, 100);
  const PairedRun clean = MakeRun(pairs, Ids(100));
  PairedRun extra = clean;
  extra.a.push_back({5000, 1, -100});  // only A scored it
  extra.b.push_back({6000, 0, 100});   // only B scored it
  extra.b.insert(extra.b.begin(), {7000, 1, -3});
  const AucComparison c = CompareAucsPaired({clean}), e = CompareAucsPaired({extra});
  EXPECT_EQ(e.positives, c.positives);
  EXPECT_EQ(e.negatives, c.negatives);
  EXPECT_DOUBLE_EQ(e.difference, c.difference);
  EXPECT_DOUBLE_EQ(e.std_error, c.std_error);

  PairedRun mismatched = clean;
  mismatched.b[3].label = 1 - mismatched.b[3].label;
  EXPECT_THROW(CompareAucsPaired({mismatched}), std::invalid_argument);
  PairedRun duplicated = clean;
  duplicated.a.push_back(duplicated.a.front());
  EXPECT_THROW(CompareAucsPaired({duplicated}), std::invalid_argument);
  PairedRun negatives_only;
  negatives_only.a = {{1, 0, 0.2}, {2, 0, 0.3}};
  negatives_only.b = negatives_only.a;
  EXPECT_THROW(CompareAucsPaired({clean, negatives_only}), std::invalid_argument);
  PairedRun relabelled = clean;  // another run calling the same customer the other class
  for (auto* list : {&relabelled.a, &relabelled.b})
    for (ScoredExample& s : *list)
      if (s.id == 0) s.label = 1 - s.label;
  EXPECT_THROW(CompareAucsPaired({clean, relabelled}), std::invalid_argument);
  EXPECT_THROW(CompareAucsPaired({}), std::invalid_argument);
  EXPECT_THROW(CompareAucsPaired({clean}, 1.0), std::invalid_argument);
}

TEST(PairedAuc, OnePositiveHasNoSampleVarianceButStillCompares) {
  PairedRun run;
  run.a = {{1, 1, 0.6}, {2, 0, 0.5}, {3, 0, 0.7}, {4, 0, 0.1}};
  run.b = {{1, 1, 0.4}, {2, 0, 0.5}, {3, 0, 0.7}, {4, 0, 0.1}};
  // V10_a = 2/3, V10_b = 1/3, d = 1/3. With m = 1, V01 is 1 or 0 per negative: A ranks the
  // positive above 0.5 and 0.1, B above 0.1 only, so psi = 1, 0, 0, deviations 2/3, -1/3, -1/3,
  // S01 = (6/9) / 2 = 1/3 and Var(d) = S01 / 3 = 1/9; the lone positive adds nothing.
  const AucComparison c = CompareAucsPaired({run});
  EXPECT_NEAR(c.difference, 2.0 / 3 - 1.0 / 3, 1e-12);
  EXPECT_TRUE(std::isfinite(c.std_error));
  EXPECT_NEAR(c.std_error * c.std_error, 1.0 / 9, 1e-12);
}

TEST(PairedAuc, LargeRunsAreNotQuadratic) {
  std::mt19937_64 rng(16);
  const std::vector<Pair> first = Correlated(rng, 5000);
  // The second run's test set overlaps the first's by half (ids 2500 to 4999), same labels there.
  std::vector<int> labels;
  std::bernoulli_distribution positive(0.4);
  for (size_t k = 0; k < 5000; ++k)
    labels.push_back(k < 2500 ? first[k + 2500].label : positive(rng));
  const std::vector<Pair> second = Correlated(rng, 5000, labels);
  const std::vector<PairedRun> runs = {MakeRun(first, Ids(5000)), MakeRun(second, Ids(5000, 2500))};
  const auto start = std::chrono::steady_clock::now();
  const AucComparison c = CompareAucsPaired(runs);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(c.positives + c.negatives, 7500);
  EXPECT_LT(seconds, 0.1);
}

TEST(NormalQuantile, KnownValuesSymmetryAndRoundTrip) {
  // References from 30-digit arithmetic (mpmath).
  EXPECT_NEAR(NormalQuantile(0.975), kZ975, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.025), -kZ975, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.999), 3.090232306167814, 1e-9);
  EXPECT_NEAR(NormalQuantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(NormalQuantile(1e-20), -9.262340089798408, 1e-9);
  EXPECT_NEAR(NormalQuantile(1e-300), -37.04709629936120, 1e-9);
  EXPECT_EQ(NormalQuantile(0.5), 0);
  for (double p = 0.001; p < 1; p += 0.0137) {
    const double x = NormalQuantile(p);
    EXPECT_NEAR(x, -NormalQuantile(1 - p), 1e-12) << p;
    EXPECT_NEAR(0.5 * std::erfc(-x / std::sqrt(2.0)), p, 1e-14) << p;
  }
  EXPECT_THROW(NormalQuantile(0), std::invalid_argument);
  EXPECT_THROW(NormalQuantile(1), std::invalid_argument);
}

TEST(TwoSidedNormalP, KnownValues) {
  EXPECT_NEAR(TwoSidedNormalP(kZ975), 0.05, 1e-12);
  EXPECT_NEAR(TwoSidedNormalP(-kZ975), 0.05, 1e-12);
  EXPECT_EQ(TwoSidedNormalP(0), 1);
  EXPECT_GT(TwoSidedNormalP(30), 0);  // no cancellation to 0 in the far tail
  EXPECT_LT(TwoSidedNormalP(30), 1e-190);
}

}  // namespace
}  // namespace attnsweep
