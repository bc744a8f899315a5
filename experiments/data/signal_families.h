// The synthetic data's label families besides `mix` (data.signal_kind, docs/data.md). Each plants
// the evidence of a customer's label in the last `window` events of its history — the label
// reaching it through a noisy channel, so that even a perfect reader errs — and computes the
// posterior that evidence leaves: the Bayes-optimal score, from which a job's oracle_test_auc
// comes. What is planted:
//   order   an event of category P whose next event is of category Q (z = 1), or no such pair
//           (z = 0); both categories occur as often either way, so a bag of counts sees nothing;
//   recall  a unique cue C in the first quarter of the window, and after it the carrier: category A
//           (z = 1) or B (z = 0), among distractor A and B events anywhere in the window;
//   rhythm  the gaps between events: log-normal and regular (sigma 0.25, z = 1) or irregular
//           (sigma 1.0, z = 0), of the same mean, the categories untouched;
//   count   events of category K: Poisson with mean 6 (z = 1) or 3 (z = 0) in the window.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace attnsweep {

// One event as a family sees it: when (seconds from the data's first day; strictly increasing
// along a history, at least kLeastGapSeconds apart) and its category.
struct PlantedEvent {
  int64_t time = 0;
  int32_t mcc = 0;
};

// Events never closer than this: a reader that rounds a time by a second still sees their order.
constexpr int64_t kLeastGapSeconds = 2;

struct SignalFamily {
  std::string kind;     // order, recall, rhythm, count
  double strength = 1;  // data.signal: the channel's agreement is ChannelAgreement(strength)
  int64_t window = 0;   // the events a model sees (data.max_len); 0: the whole history
};

// P(z = label): 1 / (1 + e^(-2 strength)); 0.88 at the default strength 1, 0.5 at 0 (no signal).
double ChannelAgreement(double strength);

// The categories `kind` plants (none for rhythm): a customer's own mix never draws them.
std::vector<int32_t> ReservedCategories(const std::string& kind);

// Plants the evidence of `label` (0 or 1; P(label = 1) = prior) in `events` and returns
// P(label = 1 | the last `window` events). rhythm rewrites the times after the first (the order
// kept); the others rewrite categories, listing the indices in `changed` (the caller draws their
// types and amounts again). A window too short to hold the evidence gets none: the prior.
double PlantSignal(const SignalFamily& family, int label, double prior,
                   std::vector<PlantedEvent>* events, std::vector<size_t>* changed,
                   std::mt19937_64* rng);

}  // namespace attnsweep
