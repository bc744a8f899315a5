#include "store/attempt_outcomes.h"

#include <array>

namespace attnsweep {
namespace {
constexpr std::array<const char*, 5> kCounted = {"crash", "timeout", "killed", "lost", "rank_died"};
constexpr std::array<const char*, 2> kFree = {"interrupted", "abandoned"};

template <size_t N>
bool In(const std::array<const char*, N>& list, const std::string& outcome) {
  for (const char* name : list) {
    if (outcome == name) return true;
  }
  return false;
}
}  // namespace

bool CountsAgainstAttempts(const std::string& outcome) { return In(kCounted, outcome); }

bool MayRunAgainAfter(const std::string& outcome) {
  return In(kCounted, outcome) || In(kFree, outcome);
}

std::string CountedOutcomesSql() {
  std::string sql = "(";
  for (const char* name : kCounted) sql += std::string(sql.size() > 1 ? ", '" : "'") + name + "'";
  return sql + ")";
}

}  // namespace attnsweep
