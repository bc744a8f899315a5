#include "experiments/data/signal_families.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnsweep {
namespace {

constexpr int32_t kOrderFirst = 4722;   // travel agencies, then
constexpr int32_t kOrderSecond = 7011;  // hotels
constexpr int32_t kRecallCue = 6012;    // financial institutions
constexpr int32_t kRecallOne = 5094;    // jewellery
constexpr int32_t kRecallZero = 7995;   // betting
constexpr int32_t kCounted = 5912;      // pharmacies
constexpr double kCountMeanOne = 6, kCountMeanZero = 3;
constexpr double kRegularSpread = 0.25, kIrregularSpread = 1.0;
constexpr double kShortestGapSeconds = 60;

// The posterior of the label from that of the channel's output: P(y = 1 | e) from P(z = 1 | e).
struct Channel {
  double prior, agreement;
  double ZOnePrior() const { return prior * agreement + (1 - prior) * (1 - agreement); }
  double Posterior(double z_one) const {
    const double y_given_z1 = prior * agreement / ZOnePrior();
    const double y_given_z0 = prior * (1 - agreement) / (1 - ZOnePrior());
    return z_one * y_given_z1 + (1 - z_one) * y_given_z0;
  }
  // P(z = 1 | e) from the likelihood ratio P(e | z = 1) / P(e | z = 0), in logs.
  double ZOneGiven(double log_ratio) const {
    const double log_odds = std::log(ZOnePrior() / (1 - ZOnePrior())) + log_ratio;
    return 1 / (1 + std::exp(-log_odds));
  }
};

// `count` distinct indices of [begin, end) not in `taken`, drawn at random (fewer where fewer
// are free); they join `taken`.
std::vector<size_t> FreeIndices(size_t begin, size_t end, size_t count, std::vector<bool>* taken,
                                std::mt19937_64* rng) {
  std::vector<size_t> free;
  for (size_t i = begin; i < end; ++i) {
    if (!(*taken)[i]) free.push_back(i);
  }
  std::shuffle(free.begin(), free.end(), *rng);
  free.resize(std::min(free.size(), count));
  for (size_t i : free) (*taken)[i] = true;
  return free;
}

double LogNormalLogDensity(double x, double mu, double sigma) {
  const double z = (std::log(x) - mu) / sigma;
  return -0.5 * z * z - std::log(x * sigma * std::sqrt(2 * M_PI));
}

// log P(a gap of `seconds` | spread), gaps drawn log-normal of mean `mean` and floored at
// kShortestGapSeconds (the floor holds the mass below it).
double GapLogLikelihood(double seconds, double mean, double sigma) {
  const double mu = std::log(mean) - sigma * sigma / 2;
  if (seconds <= kShortestGapSeconds) {
    const double z = (std::log(kShortestGapSeconds) - mu) / sigma;
    return std::log(std::max(1e-300, 0.5 * std::erfc(-z / std::sqrt(2.0))));
  }
  return LogNormalLogDensity(seconds, mu, sigma);
}

// log P(N = n) for N Poisson of mean `mean`; P(N >= n) when `at_least`.
double PoissonLogProbability(int64_t n, double mean, bool at_least) {
  auto log_point = [&](int64_t k) {
    return k * std::log(mean) - mean - std::lgamma(static_cast<double>(k) + 1);
  };
  if (!at_least) return log_point(n);
  double below = 0;
  for (int64_t k = 0; k < n; ++k) below += std::exp(log_point(k));
  return std::log(std::max(1e-300, 1 - below));
}

}  // namespace

double ChannelAgreement(double strength) { return 1 / (1 + std::exp(-2 * strength)); }

std::vector<int32_t> ReservedCategories(const std::string& kind) {
  if (kind == "order") return {kOrderFirst, kOrderSecond};
  if (kind == "recall") return {kRecallCue, kRecallOne, kRecallZero};
  if (kind == "count") return {kCounted};
  return {};
}

double PlantSignal(const SignalFamily& family, int label, double prior,
                   std::vector<PlantedEvent>* events, std::vector<size_t>* changed,
                   std::mt19937_64* rng) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const Channel channel{prior, ChannelAgreement(family.strength)};
  const int z = uniform(*rng) < channel.agreement ? label : 1 - label;
  auto& e = *events;
  const size_t n = e.size();
  const size_t visible = family.window > 0 ? std::min(n, static_cast<size_t>(family.window)) : n;
  const size_t first = n - visible;
  std::vector<bool> taken(n, false);
  auto set = [&](size_t i, int32_t mcc) {
    e[i].mcc = mcc;
    changed->push_back(i);
  };

  if (family.kind == "order") {
    if (visible < 2) return prior;
    std::poisson_distribution<int> extra(1.5);
    size_t firsts = 1 + extra(*rng), seconds = 1 + extra(*rng);
    size_t pair = n;  // the planted P at pair, Q at pair + 1 (z = 1)
    if (z == 1) {
      pair = first + static_cast<size_t>(uniform(*rng) * (visible - 1));
      taken[pair] = taken[pair + 1] = true;
      set(pair, kOrderFirst);
      set(pair + 1, kOrderSecond);
      --firsts, --seconds;
    }
    // The rest anywhere in the window but never a P right before a Q: try placements until one
    // has none (a window of two or three events may need a few tries).
    for (int attempt = 0; attempt < 1000; ++attempt) {
      std::vector<bool> trial = taken;
      const auto p = FreeIndices(first, n, firsts, &trial, rng);
      const auto q = FreeIndices(first, n, seconds, &trial, rng);
      std::vector<int32_t> planted(n, 0);
      for (size_t i : p) planted[i] = kOrderFirst;
      for (size_t i : q) planted[i] = kOrderSecond;
      if (pair < n) planted[pair] = kOrderFirst, planted[pair + 1] = kOrderSecond;
      bool clean = true;
      for (size_t i = first; i + 1 < n && clean; ++i) {
        clean = !(planted[i] == kOrderFirst && planted[i + 1] == kOrderSecond && i != pair);
      }
      if (!clean) {
        // Every hundred tries, one fewer of each: a short window holds what it can.
        if (attempt % 100 == 99) {
          firsts -= firsts > 0 ? 1 : 0;
          seconds -= seconds > 0 ? 1 : 0;
        }
        continue;
      }
      for (size_t i : p) set(i, kOrderFirst);
      for (size_t i : q) set(i, kOrderSecond);
      break;
    }
    return channel.Posterior(z == 1 ? 1.0 : 0.0);
  }

  if (family.kind == "recall") {
    if (visible < 2) return prior;
    const size_t quarter = std::max<size_t>(1, visible / 4);
    const size_t cue = first + std::min(static_cast<size_t>(uniform(*rng) * quarter), visible - 2);
    taken[cue] = taken[cue + 1] = true;
    set(cue, kRecallCue);
    set(cue + 1, z == 1 ? kRecallOne : kRecallZero);
    std::poisson_distribution<int> distractors(2.0);
    for (size_t i : FreeIndices(first, n, distractors(*rng), &taken, rng)) set(i, kRecallOne);
    for (size_t i : FreeIndices(first, n, distractors(*rng), &taken, rng)) set(i, kRecallZero);
    return channel.Posterior(z == 1 ? 1.0 : 0.0);
  }

  if (family.kind == "count") {
    if (visible < 1) return prior;
    std::poisson_distribution<int64_t> drawn(z == 1 ? kCountMeanOne : kCountMeanZero);
    const int64_t wanted = drawn(*rng);
    const auto placed = FreeIndices(first, n, static_cast<size_t>(wanted), &taken, rng);
    for (size_t i : placed) set(i, kCounted);
    const auto seen = static_cast<int64_t>(placed.size());
    const bool censored = seen == static_cast<int64_t>(visible);  // a full window: N >= visible
    const double log_ratio = PoissonLogProbability(seen, kCountMeanOne, censored) -
                             PoissonLogProbability(seen, kCountMeanZero, censored);
    return channel.Posterior(channel.ZOneGiven(log_ratio));
  }

  if (family.kind == "rhythm") {
    if (n < 2) return prior;
    const double mean_gap =
        std::max(600.0, static_cast<double>(e.back().time - e.front().time) / (n - 1));
    const double sigma = z == 1 ? kRegularSpread : kIrregularSpread;
    std::normal_distribution<double> normal(std::log(mean_gap) - sigma * sigma / 2, sigma);
    for (size_t i = 1; i < n; ++i) {
      const double gap = std::max(kShortestGapSeconds, std::round(std::exp(normal(*rng))));
      e[i].time = e[i - 1].time + static_cast<int64_t>(gap);
    }
    // The gaps a model sees: each visible event's to the one before it, the first one's too
    // (batches.cc gives a window's first event its gap in the whole history).
    double log_ratio = 0;
    for (size_t i = std::max<size_t>(first, 1); i < n; ++i) {
      const auto gap = static_cast<double>(e[i].time - e[i - 1].time);
      log_ratio += GapLogLikelihood(gap, mean_gap, kRegularSpread) -
                   GapLogLikelihood(gap, mean_gap, kIrregularSpread);
    }
    return channel.Posterior(channel.ZOneGiven(log_ratio));
  }
  throw std::invalid_argument("unknown data.signal_kind '" + family.kind + "'");
}

}  // namespace attnsweep
