// The store's daily aggregates: what a person's derived state adds to them, so that deriving a
// person again subtracts the old terms and adds the new ones (docs/storage.md).
//
// reach   (group, day, prev_day) → visitors, touchpoints. A person with sessions of a group on
//         a day adds one visitor to the row whose prev_day is the previous day they had one
//         (kNoDay if none). The distinct visitors of days [a, b) are then the visitors of rows
//         with a ≤ day < b and prev_day < a: exact, from aggregates.
// credits (group, kind, day of the conversion) → each heuristic model's credit and revenue.
// totals  (kind, day, currency) → conversions and their revenue.
// Credits and revenue are fixed point (attribution/fixed.h), so sums are exact and order-free.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/clock.h"

namespace attrib::storage {

// X(enumerator, stable name): the dimensions touchpoints are grouped by, in reports
// (query::GroupBy) and in the daily aggregates.
#define ATTRIB_GROUP_BYS(X)         \
  X(kChannel, "channel")            \
  X(kSource, "source")              \
  X(kMedium, "medium")              \
  X(kSourceMedium, "source_medium") \
  X(kCampaign, "campaign")          \
  X(kRule, "rule")                  \
  X(kConfidence, "confidence")

enum class GroupBy : uint8_t {
#define ATTRIB_X(name, text) name,
  ATTRIB_GROUP_BYS(ATTRIB_X)
#undef ATTRIB_X
};
inline constexpr std::string_view kDimNames[] = {
#define ATTRIB_X(name, text) text,
    ATTRIB_GROUP_BYS(ATTRIB_X)
#undef ATTRIB_X
};
inline constexpr int kDimCount = static_cast<int>(std::size(kDimNames));
inline std::string_view ToString(GroupBy g) { return kDimNames[static_cast<int>(g)]; }
std::optional<GroupBy> ParseGroupBy(std::string_view s);
inline constexpr int32_t kNoDay = INT32_MIN;

// What a classification's groups are made of.
struct ClassFields {
  std::string_view source, medium, campaign, rule_id, channel, confidence;
};
// Its group in dimension `dim`: one value per field of the dimension (source_medium: two).
std::vector<std::string> GroupKey(GroupBy dim, const ClassFields& c);
// … as one string, the way the store keeps it ("source\x1fmedium").
std::string GroupValue(GroupBy dim, const ClassFields& c);

int32_t DayOf(Micros t);  // days since 1970-01-01, UTC

using GroupIds = std::array<uint32_t, kDimCount>;  // a classification's group per dimension

struct ReachKey {
  uint32_t group;
  int32_t day, prev_day;
  auto operator<=>(const ReachKey&) const = default;
};
struct ReachSums {
  int64_t visitors = 0, touchpoints = 0;
};

struct CreditKey {
  uint32_t group, kind;
  int32_t day;
  auto operator<=>(const CreditKey&) const = default;
};
struct CreditSums {
  std::array<int64_t, kHeuristicModelCount> credit{}, revenue{};
};

struct TotalKey {
  uint32_t kind;
  int32_t day;
  std::string currency;
  auto operator<=>(const TotalKey&) const = default;
};
struct TotalSums {
  int64_t conversions = 0, revenue = 0;
};

// One session as the aggregates see it.
struct SessionTerm {
  Micros start;
  uint32_t class_id;
};
// One touchpoint of a credited conversion.
struct TouchTerm {
  uint32_t class_id;
  std::array<double, kHeuristicModelCount> credit;
};

// Sums of terms, by key, each added (sign +1) or taken away (−1).
class AggregateDelta {
 public:
  // `groups[class_id]`: the class's group in each dimension.
  explicit AggregateDelta(const std::vector<GroupIds>& groups) : groups_(groups) {}

  // A person's sessions, ordered by start.
  void AddSessions(std::span<const SessionTerm> sessions, int sign);
  void AddConversion(uint32_t kind, Micros at, double revenue, const std::string& currency,
                     std::span<const TouchTerm> touchpoints, int sign);

  bool empty() const { return reach.empty() && credits.empty() && totals.empty(); }
  void clear() {
    reach.clear();
    credits.clear();
    totals.clear();
  }

  std::map<ReachKey, ReachSums> reach;
  std::map<CreditKey, CreditSums> credits;
  std::map<TotalKey, TotalSums> totals;

 private:
  const std::vector<GroupIds>& groups_;
  struct Seen {
    uint32_t group;
    int32_t day, prev_day;  // of the group's last session, and the day before that one's
  };
  std::vector<Seen> seen_;
};

}  // namespace attrib::storage
