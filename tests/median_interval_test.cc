// The median interval against binomial coverages worked by hand for small n and, for large n,
// against an independent long-double binomial tail and the normal approximation of the rank.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "experiments/median_interval.h"

namespace attnsweep {
namespace {

// Values 10, 20, ..., 10 n in a shuffled order: the k-th order statistic is 10 k, so the
// interval's ends give away the ranks chosen, and the input is not sorted.
std::vector<double> ShuffledRanks(size_t n, unsigned seed = 1) {
  std::vector<double> values;
  for (size_t k = 1; k <= n; ++k) values.push_back(10.0 * k);
  std::mt19937 rng(seed);
  std::shuffle(values.begin(), values.end(), rng);
  return values;
}

// P(Binom(n, 1/2) <= k) by the recurrence pmf(i + 1) = pmf(i) (n - i) / (i + 1) from
// pmf(0) = 2^-n, in long double: a different route from the function's lgamma.
long double BinomialHalfCdf(int n, int k) {
  long double pmf = std::pow(2.0L, -n), cdf = 0;
  for (int i = 0; i <= k; ++i) {
    cdf += pmf;
    pmf = pmf * (n - i) / (i + 1);
  }
  return cdf;
}

TEST(MedianInterval, FiveValuesCannotReachNinetyFivePercent) {
  const MedianInterval m = MedianWithInterval({3, 1, 5, 2, 4});
  EXPECT_EQ(m.median, 3);
  EXPECT_FALSE(m.reaches_confidence);
  EXPECT_EQ(m.lo, 1);
  EXPECT_EQ(m.hi, 5);
  EXPECT_NEAR(m.coverage, 1 - 2.0 / 32, 1e-12);  // 0.9375
}

TEST(MedianInterval, SixValuesTakeTheExtremes) {
  const MedianInterval m = MedianWithInterval(ShuffledRanks(6));
  EXPECT_EQ(m.median, 35);
  EXPECT_TRUE(m.reaches_confidence);
  EXPECT_EQ(m.lo, 10);                           // rank 1
  EXPECT_EQ(m.hi, 60);                           // rank 6
  EXPECT_NEAR(m.coverage, 1 - 2.0 / 64, 1e-12);  // 0.96875
  // Asking for exactly that coverage still gets it; asking for a hair more does not.
  EXPECT_TRUE(MedianWithInterval(ShuffledRanks(6), 0.96875).reaches_confidence);
  EXPECT_FALSE(MedianWithInterval(ShuffledRanks(6), 0.969).reaches_confidence);
}

TEST(MedianInterval, TenValuesTakeRanksTwoAndNine) {
  const MedianInterval m = MedianWithInterval(ShuffledRanks(10, 2));
  EXPECT_EQ(m.median, 55);
  EXPECT_TRUE(m.reaches_confidence);
  EXPECT_EQ(m.lo, 20);
  EXPECT_EQ(m.hi, 90);
  // P(B <= 1) = (1 + 10) / 1024; rank 3 would give 1 - 2 * 56 / 1024 = 0.89.
  EXPECT_NEAR(m.coverage, 1 - 2 * 11.0 / 1024, 1e-12);
}

TEST(MedianInterval, TwentyValuesTakeRanksSixAndFifteen) {
  // P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20 = 21700 / 1048576 = 0.0207, and
  // P(B <= 6) adds 38760: 0.0577 > 0.025.
  const MedianInterval m = MedianWithInterval(ShuffledRanks(20, 3));
  EXPECT_TRUE(m.reaches_confidence);
  EXPECT_EQ(m.lo, 60);
  EXPECT_EQ(m.hi, 150);
  EXPECT_NEAR(m.coverage, 1 - 2 * 21700.0 / 1048576, 1e-12);
  // At 80 % rank 7 qualifies (1 - 2 * 60460 / 2^20 = 0.885) and rank 8 does not (0.737).
  const MedianInterval loose = MedianWithInterval(ShuffledRanks(20, 3), 0.8);
  EXPECT_EQ(loose.lo, 70);
  EXPECT_EQ(loose.hi, 140);
}

TEST(MedianInterval, LargeSamplesMatchTheBinomialTailAndTheNormalRank) {
  for (int n : {1000, 4001}) {
    const MedianInterval m = MedianWithInterval(ShuffledRanks(n, n));
    const int j = static_cast<int>(std::lround(m.lo / 10));
    EXPECT_EQ(std::lround(m.hi / 10), n + 1 - j);
    // j is the largest rank whose tail P(B <= j - 1) stays within 2.5 %.
    EXPECT_LE(BinomialHalfCdf(n, j - 1), 0.025L + 1e-15L);
    EXPECT_GT(BinomialHalfCdf(n, j), 0.025L);
    EXPECT_NEAR(m.coverage, static_cast<double>(1 - 2 * BinomialHalfCdf(n, j - 1)), 1e-10);
    // Normal approximation with continuity correction: j - 1/2 ~ n/2 - 1.96 sqrt(n) / 2.
    const double normal_rank = n / 2.0 - 1.959963984540054 * std::sqrt(n) / 2 + 0.5;
    EXPECT_NEAR(j, normal_rank, 1.0) << n;
  }
}

TEST(MedianInterval, HundredThousandValuesStayFinite) {
  const int n = 100000;
  const MedianInterval m = MedianWithInterval(ShuffledRanks(n, 4));
  EXPECT_TRUE(m.reaches_confidence);
  EXPECT_NEAR(m.coverage, 0.95, 0.005);
  const double normal_rank = n / 2.0 - 1.959963984540054 * std::sqrt(n) / 2 + 0.5;
  EXPECT_NEAR(m.lo / 10, normal_rank, 1.0);
}

TEST(MedianInterval, DegenerateInputs) {
  const MedianInterval one = MedianWithInterval({7});
  EXPECT_EQ(one.median, 7);
  EXPECT_EQ(one.lo, 7);
  EXPECT_EQ(one.hi, 7);
  EXPECT_FALSE(one.reaches_confidence);
  EXPECT_EQ(MedianWithInterval({4, 1}).median, 2.5);
  EXPECT_THROW(MedianWithInterval({}), std::invalid_argument);
  EXPECT_THROW(MedianWithInterval({1, NAN}), std::invalid_argument);
  EXPECT_THROW(MedianWithInterval({1, 2}, 1.0), std::invalid_argument);
}

TEST(MedianAbsoluteDeviation, HandExampleAndOutlier) {
  // Median 2; deviations 1 1 0 0 2 4 7 sort to 0 0 1 1 2 4 7, median 1.
  EXPECT_EQ(MedianAbsoluteDeviation({9, 1, 2, 6, 1, 4, 2}), 1);
  // The 9 becoming 1e9 moves the deviation 7 to 1e9 but not the median of the deviations.
  EXPECT_EQ(MedianAbsoluteDeviation({1e9, 1, 2, 6, 1, 4, 2}), 1);
  // Even n: median 2.5 of {1, 2, 3, 10}; deviations 1.5 0.5 0.5 7.5, median (0.5 + 1.5) / 2.
  EXPECT_EQ(MedianAbsoluteDeviation({10, 3, 1, 2}), 1);
  EXPECT_EQ(MedianAbsoluteDeviation({5}), 0);
  EXPECT_THROW(MedianAbsoluteDeviation({}), std::invalid_argument);
}

}  // namespace
}  // namespace attnsweep
