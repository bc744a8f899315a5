#include "experiments/data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <unordered_set>
#include <vector>

#include <unistd.h>

#include "experiments/data/data_error.h"
#include "experiments/data/signal_families.h"

namespace attnsweep {
namespace {

constexpr int kDays = 457;
constexpr double kLabelOnePrior = 0.45;  // P(gender 1), as in the real labels

// Merchant categories: code, share of all transactions in the real data (the leaders as
// published, the rest a long tail), and a description.
struct Category {
  int32_t code;
  double share;
  const char* description;
};

const std::vector<Category>& NamedCategories() {
  static const std::vector<Category> categories = {
      {6011, 0.21, "ATM cash withdrawal"},
      {6010, 0.15, "manual cash disbursement"},
      {4814, 0.14, "telecom services"},
      {5411, 0.14, "grocery stores, supermarkets"},
      {4829, 0.09, "money transfer"},
      {5499, 0.035, "food stores"},
      {5541, 0.02, "service stations"},
      {5912, 0.015, "pharmacies"},
      {5812, 0.012, "restaurants"},
      {5331, 0.01, "variety stores"},
      {5311, 0.009, "department stores"},
      {5691, 0.008, "clothing stores"},
      {5814, 0.008, "fast food"},
      {5999, 0.007, "miscellaneous retail"},
      {5977, 0.006, "cosmetics stores"},
      {4900, 0.006, "utilities"},
      {5732, 0.005, "electronics stores"},
      {4111, 0.005, "commuter transport"},
      {5661, 0.005, "shoe stores"},
      {5200, 0.004, "home supply stores"},
      {5651, 0.004, "family clothing"},
      {5641, 0.003, "children's wear"},
      {5921, 0.003, "liquor stores"},
      {5211, 0.003, "building materials"},
      {5533, 0.003, "auto parts"},
      {5992, 0.002, "florists"},
      {7011, 0.002, "hotels"},
      {5511, 0.0015, "car dealers"},
      {7995, 0.0008, "betting, gambling"},
      {5094, 0.0008, "jewellery, precious stones"},
  };
  return categories;
}

// Further real MCC codes for the long tail (184 codes in all, as in the real data).
const int32_t kTailCodes[] = {
    742,  763,  780,  1520, 1711, 1731, 1740, 1750, 1761, 1771, 1799, 2741, 2791, 2842, 4011,
    4112, 4121, 4131, 4214, 4215, 4225, 4411, 4457, 4468, 4511, 4582, 4722, 4784, 4789, 4812,
    4816, 4821, 4899, 5013, 5021, 5039, 5044, 5045, 5046, 5047, 5051, 5065, 5072, 5074, 5085,
    5099, 5111, 5122, 5131, 5137, 5139, 5169, 5172, 5192, 5193, 5198, 5199, 5231, 5251, 5261,
    5271, 5300, 5309, 5310, 5399, 5422, 5441, 5451, 5462, 5521, 5531, 5532, 5542, 5551, 5561,
    5571, 5592, 5598, 5599, 5611, 5621, 5631, 5655, 5681, 5697, 5698, 5699, 5712, 5713, 5714,
    5718, 5719, 5722, 5733, 5734, 5735, 5811, 5813, 5931, 5932, 5933, 5935, 5937, 5940, 5941,
    5942, 5943, 5944, 5945, 5946, 5947, 5948, 5949, 5950, 5960, 5962, 5963, 5964, 5965, 5966,
    5967, 5968, 5969, 5970, 5971, 5972, 5973, 5975, 5976, 5978, 5983, 5993, 5994, 5995, 5996,
    5997, 5998, 6012, 6051, 6211, 6300, 7210, 7230, 7298, 7299, 7311, 7338, 7399, 7512, 7523,
    7832, 7841, 7922, 7991, 7997, 8011, 8021, 8043, 8062, 8071, 8099, 8220, 8299, 8398};
constexpr int kCategoryCount = 184;

// The gender signal. Local: a spending mix that differs by gender, visible in any window.
// Long-range: rare categories whose rate differs (a few per thousand events) and florists around
// 14 February and 8 March, which a short window of recent events almost never holds.
const int32_t kLocalOne[] = {5977, 5661, 5691, 5912, 5641, 5651};
const int32_t kLocalZero[] = {5541, 5533, 5511, 5812, 5814, 5732};
const int32_t kRareOne[] = {5094};
const int32_t kRareZero[] = {7995};
const int kFlowerDays[] = {44, 66};  // 14 February and 8 March of the first year

struct TransactionType {
  int32_t code;
  bool credit;
  const char* description;
};

// 77 types; the family (first digit) sets the sign: 1, 2, 4 spend; 6, 7, 8 credit.
std::vector<TransactionType> Types() {
  const int32_t spend[] = {1010, 1030, 1110, 1100, 1200, 1210, 1310, 1410, 1510, 2010, 2011,
                           2020, 2021, 2110, 2210, 2320, 2330, 2370, 2371, 2440, 2456, 2460,
                           4010, 4011, 4020, 4021, 4035, 4041, 4045, 4051, 4071, 4090, 4096,
                           4097, 4100, 4110, 4200, 4210, 4500, 1000, 1020, 1040, 1050, 1060};
  const int32_t credit[] = {7070, 7010, 7011, 7014, 7015, 7020, 7021, 7024, 7025, 7030, 7031,
                            7034, 7035, 7040, 7041, 7044, 7071, 7074, 7075, 6000, 6010, 6100,
                            6110, 6200, 6210, 8100, 8145, 8146, 8000, 8010, 8020, 8030, 8040};
  std::vector<TransactionType> types;
  for (int32_t code : spend) types.push_back({code, false, "debit"});
  for (int32_t code : credit) types.push_back({code, true, "credit"});
  return types;  // 44 + 33 = 77
}

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path), file_(fopen(path.c_str(), "wb")) {
    if (!file_) throw DataError(path, 0, 0, std::string("cannot write: ") + std::strerror(errno));
    buffer_.reserve(kFlushAt + 256);
  }
  ~Writer() {
    if (file_) fclose(file_);
  }
  Writer& operator<<(const char* text) {
    buffer_ += text;
    return *this;
  }
  Writer& operator<<(char c) {
    buffer_ += c;
    return *this;
  }
  Writer& operator<<(int64_t value) {
    char text[24];
    const int n = std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
    buffer_.append(text, static_cast<size_t>(n));
    return *this;
  }
  // A signed amount with two decimals, from whole cents (no float formatting on the hot path).
  void Cents(int64_t cents) {
    if (cents < 0) buffer_ += '-';
    const int64_t magnitude = cents < 0 ? -cents : cents;
    *this << magnitude / 100;
    buffer_ += '.';
    buffer_ += static_cast<char>('0' + magnitude % 100 / 10);
    buffer_ += static_cast<char>('0' + magnitude % 10);
  }
  void EndLine() {
    buffer_ += '\n';
    if (buffer_.size() >= kFlushAt) Flush();
  }
  int64_t Close() {
    Flush();
    const bool failed = fclose(file_) != 0;
    file_ = nullptr;
    if (failed) throw DataError(path_, 0, 0, "write failed (disk full?)");
    return written_;
  }

 private:
  static constexpr size_t kFlushAt = size_t{1} << 20;
  void Flush() {
    if (fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      throw DataError(path_, 0, 0, "write failed (disk full?)");
    }
    written_ += static_cast<int64_t>(buffer_.size());
    buffer_.clear();
  }
  std::string path_;
  FILE* file_;
  std::string buffer_;
  int64_t written_ = 0;
};

template <typename Array>
bool Contains(const Array& codes, int32_t code) {
  return std::find(std::begin(codes), std::end(codes), code) != std::end(codes);
}

struct Event {
  int32_t day, second, mcc, type;
  int64_t cents;
};

// The chain's parameters (markov_v1), the same for every customer of a seed.
constexpr double kFollowShare = 0.5;  // next category from the current one's successors
// Spread (sigma of the log) of a customer's personal taste: 0.4 for independent events; wider
// under the chain, so that the half of the next events drawn from the customer's own mix is
// worth reading the history for (with 0.4, a model of the current event alone came within 0.05
// nats of the oracle's log loss, and no mixer did better than it).
constexpr double kTasteSpread = 0.4, kChainTasteSpread = 1.2;
constexpr double kSuccessorWeights[] = {0.5, 0.3, 0.2};
constexpr double kGapSpread = 0.35;  // sigma of the log gap around the period
constexpr double kPeriodDays[] = {0.02, 0.1, 0.5, 1, 3};
constexpr double kPeriodShares[] = {0.15, 0.3, 0.3, 0.15, 0.1};

// The categories' codes and base shares: the named ones, then a Zipf tail sharing what is left.
void Categories(std::vector<int32_t>* codes, std::vector<double>* base) {
  double named_total = 0;
  for (const auto& c : NamedCategories()) {
    codes->push_back(c.code);
    base->push_back(c.share);
    named_total += c.share;
  }
  const int tail = kCategoryCount - static_cast<int>(codes->size());
  double zipf_total = 0;
  for (int i = 0; i < tail; ++i) zipf_total += 1.0 / (i + 2);
  for (int i = 0; i < tail; ++i) {
    codes->push_back(kTailCodes[i]);
    base->push_back((1.0 - named_total) * (1.0 / (i + 2)) / zipf_total);
  }
}

// Index drawn with probability proportional to `weights` (their running sums in `cumulative`).
size_t Draw(const std::vector<double>& cumulative, double u) {
  const auto k = static_cast<size_t>(
      std::upper_bound(cumulative.begin(), cumulative.end(), u * cumulative.back()) -
      cumulative.begin());
  return std::min(k, cumulative.size() - 1);
}

// Each category's three successors (drawn by base share) and its gap period, from the seed alone.
void ChainOf(uint64_t seed, const std::vector<double>& base,
             std::vector<std::vector<std::pair<int, double>>>* successors,
             std::vector<double>* periods) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + 29);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> cumulative(base.size());
  std::partial_sum(base.begin(), base.end(), cumulative.begin());
  std::vector<double> period_cumulative(std::begin(kPeriodShares), std::end(kPeriodShares));
  std::partial_sum(period_cumulative.begin(), period_cumulative.end(), period_cumulative.begin());
  for (size_t k = 0; k < base.size(); ++k) {
    std::vector<std::pair<int, double>> next;
    for (double weight : kSuccessorWeights) {
      next.emplace_back(static_cast<int>(Draw(cumulative, uniform(rng))), weight);
    }
    successors->push_back(next);
    periods->push_back(kPeriodDays[Draw(period_cumulative, uniform(rng))]);
  }
}

// A customer's gender and category weights: base shares, a personal taste, and the signal.
// `normal` is passed in: it keeps half of each pair it draws for the next call, so the
// independent-events generator (which shares one with everything else) writes the bytes it
// always wrote.
int TasteOf(const SyntheticOptions& options, const std::vector<int32_t>& codes,
            const std::vector<double>& base, double spread, std::mt19937_64& rng,
            std::normal_distribution<double>& normal, std::vector<double>* weights) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const double local = options.signal * (1.0 - options.reach);
  const double rare = options.signal * options.reach;
  const int gender = uniform(rng) < kLabelOnePrior ? 1 : 0;
  const double sign = gender == 1 ? 1.0 : -1.0;
  for (size_t k = 0; k < codes.size(); ++k) {
    double w = base[k] * std::exp(spread * normal(rng));
    if (Contains(kLocalOne, codes[k])) w *= std::exp(0.4 * local * sign);
    if (Contains(kLocalZero, codes[k])) w *= std::exp(-0.4 * local * sign);
    if (Contains(kRareOne, codes[k])) w *= std::exp(1.2 * rare * sign);
    if (Contains(kRareZero, codes[k])) w *= std::exp(-1.2 * rare * sign);
    (*weights)[k] = w;
  }
  return gender;
}

// The random stream of one customer's taste under markov_v1: from the seed and the customer's id,
// so the oracle can draw it again.
std::mt19937_64 TasteStream(uint64_t seed, int64_t customer_id) {
  return std::mt19937_64(seed * 0x9E3779B97F4A7C15ULL ^
                         (static_cast<uint64_t>(customer_id) * 0xBF58476D1CE4E5B9ULL + 31));
}

}  // namespace

const std::vector<std::string>& SignalKinds() {
  static const std::vector<std::string> kinds = {"mix", "order", "recall", "rhythm", "count"};
  return kinds;
}

const std::vector<std::string>& SyntheticSequences() {
  static const std::vector<std::string> names = {"none", "markov_v1"};
  return names;
}

SyntheticSequenceOracle::SyntheticSequenceOracle(const SyntheticOptions& options)
    : options_(options) {
  if (options.sequence != "markov_v1") {
    throw std::invalid_argument(
        "the synthetic data's next events follow a chain only with "
        "data.sequence markov_v1, not '" +
        options.sequence + "'");
  }
  Categories(&codes_, &base_);
  ChainOf(options.seed, base_, &successors_, &periods_);
}

std::vector<double> SyntheticSequenceOracle::NextCategory(int64_t customer_id, int32_t code) const {
  const auto at = std::find(codes_.begin(), codes_.end(), code);
  if (at == codes_.end()) return {};
  auto mix = mixes_.find(customer_id);
  if (mix == mixes_.end()) {
    std::vector<double> weights(codes_.size());
    auto stream = TasteStream(options_.seed, customer_id);
    std::normal_distribution<double> normal(0.0, 1.0);
    TasteOf(options_, codes_, base_, kChainTasteSpread, stream, normal, &weights);
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (double& w : weights) w /= total;
    mix = mixes_.emplace(customer_id, std::move(weights)).first;
  }
  std::vector<double> p(codes_.size());
  for (size_t k = 0; k < p.size(); ++k) p[k] = (1 - kFollowShare) * mix->second[k];
  for (const auto& [next, weight] : successors_[static_cast<size_t>(at - codes_.begin())]) {
    p[static_cast<size_t>(next)] += kFollowShare * weight;
  }
  return p;
}

double SyntheticSequenceOracle::MedianGapDays(int32_t code) const {
  const auto at = std::find(codes_.begin(), codes_.end(), code);
  return at == codes_.end() ? 0.0 : periods_[static_cast<size_t>(at - codes_.begin())];
}

SyntheticSummary GenerateSynthetic(const SyntheticOptions& options, const std::string& folder) {
  namespace fs = std::filesystem;
  fs::create_directories(folder);
  std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ULL + 17);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  if (std::find(SyntheticSequences().begin(), SyntheticSequences().end(), options.sequence) ==
      SyntheticSequences().end()) {
    throw std::invalid_argument("unknown synthetic sequence '" + options.sequence +
                                "' (none or markov_v1)");
  }
  if (std::find(SignalKinds().begin(), SignalKinds().end(), options.signal_kind) ==
      SignalKinds().end()) {
    throw std::invalid_argument("unknown synthetic signal kind '" + options.signal_kind + "'");
  }
  // A planted family: the label reaches the history only through it (the mix carries nothing).
  std::optional<SignalFamily> family;
  SyntheticOptions quiet = options;
  if (options.signal_kind != "mix") {
    if (options.sequence != "none") {
      throw std::invalid_argument("data.signal_kind " + options.signal_kind +
                                  " plants its signal in independent events: leave "
                                  "data.sequence at none");
    }
    family = SignalFamily{options.signal_kind, options.signal, options.window};
    quiet.signal = 0;
  }
  std::vector<double> posteriors;
  const bool chain = options.sequence == "markov_v1";
  std::vector<int32_t> codes;
  std::vector<double> base;
  Categories(&codes, &base);
  std::vector<std::vector<std::pair<int, double>>> successors;
  std::vector<double> periods;
  if (chain) ChainOf(options.seed, base, &successors, &periods);
  const std::vector<TransactionType> types = Types();
  auto type_index = [&](int32_t code) {
    for (size_t i = 0; i < types.size(); ++i) {
      if (types[i].code == code) return i;
    }
    return size_t{0};
  };
  // Purchases take one of the common debit types, and sometimes a refund (a credit).
  const std::vector<std::pair<int32_t, double>> purchase_types = {
      {1010, 0.40}, {1110, 0.25}, {1030, 0.24}, {1100, 0.02}, {1200, 0.02},
      {4010, 0.01}, {4071, 0.01}, {6110, 0.04}, {6010, 0.01}};

  const double rare = options.signal * options.reach;

  // Customer ids: distinct 8-digit numbers.
  std::unordered_set<int64_t> used;
  std::vector<int64_t> ids;
  while (static_cast<int64_t>(ids.size()) < options.customers) {
    const int64_t id = 10000000 + static_cast<int64_t>(uniform(rng) * 89999999);
    if (used.insert(id).second) ids.push_back(id);
  }

  SyntheticSummary summary;
  summary.customers = options.customers;
  const std::string tmp_suffix = ".tmp" + std::to_string(getpid());
  const fs::path transactions_path = fs::path(folder) / "transactions.csv";
  Writer out(transactions_path.string() + tmp_suffix);
  out << "customer_id,tr_datetime,mcc_code,tr_type,amount,term_id";
  out.EndLine();
  std::vector<int8_t> genders(ids.size());
  std::vector<double> weights(codes.size()), cumulative(codes.size());
  std::vector<Event> events;
  for (size_t c = 0; c < ids.size(); ++c) {
    int gender;
    if (chain) {
      auto stream = TasteStream(options.seed, ids[c]);
      std::normal_distribution<double> own_normal(0.0, 1.0);
      gender = TasteOf(options, codes, base, kChainTasteSpread, stream, own_normal, &weights);
    } else {
      gender = TasteOf(quiet, codes, base, kTasteSpread, rng, normal, &weights);
    }
    genders[c] = static_cast<int8_t>(gender);
    if (family) {
      for (int32_t reserved : ReservedCategories(family->kind)) {
        weights[static_cast<size_t>(std::find(codes.begin(), codes.end(), reserved) -
                                    codes.begin())] = 0;
      }
    }
    std::partial_sum(weights.begin(), weights.end(), cumulative.begin());
    // Lengths: log-normal around a median of 330 events, with the real data's tails: some
    // customers with a handful of events, a few with tens of thousands.
    int64_t length = static_cast<int64_t>(std::exp(std::log(330.0) + 0.75 * normal(rng)));
    const double tail = uniform(rng);
    if (tail < 0.02) length = 1 + static_cast<int64_t>(uniform(rng) * 20);
    if (tail > 0.998) length *= 10;
    length = std::clamp<int64_t>(length, 1, 30000);
    const int span = std::clamp(static_cast<int>(length * (0.6 + uniform(rng))), 20, kDays);
    const int start = static_cast<int>(uniform(rng) * (kDays - span + 1));
    events.clear();
    // The type follows the category; the sign of the amount follows the type's family.
    auto dress = [&](Event& e) {
      const int32_t mcc = e.mcc;
      int32_t type;
      double median, spread;
      if (mcc == 6011) {
        type = uniform(rng) < 0.8 ? 2010 : 7010;
        median = 8000, spread = 1.1;
      } else if (mcc == 6010) {
        type = uniform(rng) < 0.6 ? 7070 : 2011;
        median = 20000, spread = 1.2;
      } else if (mcc == 4829) {
        const double u = uniform(rng);
        type = u < 0.5 ? 2370 : u < 0.75 ? 7030 : 4041;
        median = 15000, spread = 1.5;
      } else {
        double u = uniform(rng);
        type = purchase_types.back().first;
        for (const auto& [code, share] : purchase_types) {
          if ((u -= share) < 0) {
            type = code;
            break;
          }
        }
        median = mcc == 4814 ? 500 : mcc == 5511 ? 300000 : 1800, spread = 1.0;
      }
      // A few rows of any type, so every type occurs, as in the real data.
      if (uniform(rng) < 0.02) type = types[static_cast<size_t>(uniform(rng) * types.size())].code;
      e.type = type;
      double magnitude = median * std::exp(spread * normal(rng));
      if (uniform(rng) < 0.003) magnitude *= std::pow(10.0, 1.0 + 2.0 * uniform(rng));
      magnitude = std::min(magnitude, 1.5e8);
      const bool credit = types[type_index(type)].credit;
      e.cents = static_cast<int64_t>(std::llround(magnitude * 100)) * (credit ? 1 : -1);
    };
    // second < 0: a time of day drawn as the real data's spread them.
    auto add_event = [&](int day, int32_t mcc, int32_t second) {
      Event e;
      e.day = day;
      const double clock = second < 0 ? uniform(rng) : 1.0;
      if (second >= 0) {
        e.second = second;
      } else if (clock < 0.01) {
        e.second = 0;  // date only, as some real rows
      } else {
        const double hour = uniform(rng) < 0.75 ? std::clamp(14.0 + 4.0 * normal(rng), 6.0, 23.9)
                                                : 24.0 * uniform(rng);
        e.second = static_cast<int32_t>(hour * 3600);
      }
      e.mcc = mcc;
      dress(e);
      events.push_back(e);
    };
    if (chain) {
      // One event after another: the gap from the current category's period, the next category
      // from its successors or the customer's mix; the history ends at the last day.
      double seconds = start * 86400.0 + uniform(rng) * 86400.0;
      size_t k = Draw(cumulative, uniform(rng));
      for (int64_t i = 0; i < length; ++i) {
        const int day = static_cast<int>(seconds / 86400.0);
        if (day >= kDays) break;
        add_event(day, codes[k], static_cast<int32_t>(seconds - day * 86400.0));
        seconds += std::max(60.0, periods[k] * 86400.0 * std::exp(kGapSpread * normal(rng)));
        if (uniform(rng) < kFollowShare) {
          double u = uniform(rng);
          for (const auto& [next, weight] : successors[k]) {
            k = static_cast<size_t>(next);
            if ((u -= weight) < 0) break;
          }
        } else {
          k = Draw(cumulative, uniform(rng));
        }
      }
    } else {
      for (int64_t i = 0; i < length; ++i) {
        // A weekly rhythm: more on two days of the week.
        int day;
        do {
          day = start + static_cast<int>(uniform(rng) * span);
        } while (day % 7 < 5 && uniform(rng) < 0.2);
        add_event(day, codes[Draw(cumulative, uniform(rng))], -1);
      }
    }
    // Florists on the two holidays, within the customer's history (the mix's long-range part).
    const double flower_chance = gender == 0 ? std::min(1.0, 0.1 + 0.8 * rare) : 0.1;
    for (int holiday : kFlowerDays) {
      if (!family && holiday >= start && holiday < start + span && uniform(rng) < flower_chance) {
        add_event(holiday - static_cast<int>(uniform(rng) * 3), 5992, -1);
      }
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return a.day != b.day ? a.day < b.day : a.second < b.second;
    });
    if (family) {
      // Times strictly increasing, so that the order the family plants is the order read back.
      std::vector<PlantedEvent> planted(events.size());
      int64_t last = std::numeric_limits<int64_t>::min() / 2;
      for (size_t i = 0; i < events.size(); ++i) {
        const int64_t time =
            std::max(int64_t{events[i].day} * 86400 + events[i].second, last + kLeastGapSeconds);
        planted[i] = {time, events[i].mcc};
        last = time;
      }
      std::vector<size_t> changed;
      posteriors.push_back(PlantSignal(*family, gender, kLabelOnePrior, &planted, &changed, &rng));
      for (size_t i = 0; i < events.size(); ++i) {
        events[i].day = static_cast<int32_t>(planted[i].time / 86400);
        events[i].second = static_cast<int32_t>(planted[i].time % 86400);
      }
      for (size_t i : changed) {
        events[i].mcc = planted[i].mcc;
        dress(events[i]);
      }
    }
    // The files are not sorted by time: swap a few neighbours, so readers must sort.
    for (size_t i = 1; i < events.size(); ++i) {
      if (uniform(rng) < 0.05) std::swap(events[i - 1], events[i]);
    }
    for (const Event& e : events) {
      out << ids[c] << ',' << static_cast<int64_t>(e.day) << ' ';
      int second = e.second;
      const bool sixty = second % 60 == 59 && uniform(rng) < 0.5;  // real rows carry :60 seconds
      const int h = second / 3600, m = second / 60 % 60, s = sixty ? 60 : second % 60;
      char clock[16];
      std::snprintf(clock, sizeof clock, "%02d:%02d:%02d", h, m, s);
      out << clock << ',' << static_cast<int64_t>(e.mcc) << ',' << static_cast<int64_t>(e.type)
          << ',';
      out.Cents(e.cents);
      out << ',';
      if (uniform(rng) < 0.4)
        out << static_cast<int64_t>(10000000 + (ids[c] * 7 + e.mcc) % 89999999);
      out.EndLine();
      ++summary.rows;
    }
  }
  summary.bytes = out.Close();

  // Labels for a random subset of the customers, in random order.
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t labelled = static_cast<size_t>(std::llround(options.labelled_fraction * ids.size()));
  const fs::path labels_path = fs::path(folder) / "gender_train.csv";
  Writer labels(labels_path.string() + tmp_suffix);
  labels << "customer_id,gender";
  labels.EndLine();
  for (size_t i = 0; i < labelled && i < order.size(); ++i) {
    labels << ids[order[i]] << ',' << static_cast<int64_t>(genders[order[i]]);
    labels.EndLine();
  }
  labels.Close();
  summary.labelled = static_cast<int64_t>(std::min(labelled, order.size()));
  std::vector<fs::path> written;
  if (family) {
    const fs::path oracle_path = fs::path(folder) / kOraclePosteriorFile;
    Writer oracle(oracle_path.string() + tmp_suffix);
    oracle << "customer_id,posterior";
    oracle.EndLine();
    char text[32];
    for (size_t c = 0; c < ids.size(); ++c) {
      std::snprintf(text, sizeof text, "%.17g", posteriors[c]);
      oracle << ids[c] << ',' << text;
      oracle.EndLine();
    }
    oracle.Close();
    written.push_back(oracle_path);
  }

  const fs::path mcc_path = fs::path(folder) / "tr_mcc_codes.csv";
  Writer mcc(mcc_path.string() + tmp_suffix);
  mcc << "mcc_code;mcc_description";
  mcc.EndLine();
  for (size_t k = 0; k < codes.size(); ++k) {
    mcc << static_cast<int64_t>(codes[k]) << ';'
        << (k < NamedCategories().size() ? NamedCategories()[k].description : "other merchants");
    mcc.EndLine();
  }
  mcc.Close();
  const fs::path types_path = fs::path(folder) / "tr_types.csv";
  Writer type_file(types_path.string() + tmp_suffix);
  type_file << "tr_type;tr_description";
  type_file.EndLine();
  for (const auto& t : types) {
    type_file << static_cast<int64_t>(t.code) << ';' << t.description;
    type_file.EndLine();
  }
  type_file.Close();
  // Renamed into place only when all are complete: a reader never sees half a file.
  for (const fs::path& path : {transactions_path, labels_path, mcc_path, types_path}) {
    written.push_back(path);
  }
  for (const fs::path& path : written) fs::rename(path.string() + tmp_suffix, path);
  return summary;
}

}  // namespace attnsweep
