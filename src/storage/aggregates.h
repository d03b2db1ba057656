// The store's daily aggregates: what a person's derived state adds to them, so that deriving a
// person again subtracts the old terms and adds the new ones (docs/storage.md).
//
// reach   (group, level, day, prev_day) → visitors, touchpoints, paid touchpoints. A person
//         with sessions of a group on a day adds one visitor to the row whose prev_day is the
//         previous day they had one (kNoDay if none). The distinct visitors of days [a, b) are
//         then the visitors of rows with a ≤ day < b and prev_day < a: exact, from aggregates.
//         Each level counts only sessions of that confidence or above (min_confidence).
// credits (group, kind, day of the conversion) → each heuristic model's credit and revenue.
// totals  (kind, day, currency) → conversions and their revenue.
// paths   (dimension, filter, day, path of groups) → journeys that converted, their revenue,
//         and journeys that did not: the data-driven models' input. A journey's day is its
//         conversion's, or its last session's when it has none. The filter is the conversion
//         events the journeys were built for (kAllKinds, KindFilter(kind)); a person without
//         conversion events has the same journeys under every filter and adds them once, under
//         kAnyFilter.
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
#include <unordered_map>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/clock.h"
#include "common/flat_map.h"
#include "journey/journey.h"

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
inline constexpr Micros kNoTime = INT64_MIN;

// What a classification's groups are made of.
struct ClassFields {
  std::string_view source, medium, campaign, rule_id, channel, confidence;
};
// Its group in dimension `dim`: one value per field of the dimension (source_medium: two).
std::vector<std::string> GroupKey(GroupBy dim, const ClassFields& c);
// … as one string, the way the store keeps it ("source\x1fmedium").
std::string GroupValue(GroupBy dim, const ClassFields& c);

int32_t DayOf(Micros t);  // days since 1970-01-01, UTC

// The confidence levels reach is kept at: a session of confidence c counts at every level up
// to c, so a report "at least medium" reads level 1 (Confidence's order: low, medium, high).
inline constexpr int kConfidenceLevels = 3;
// Channels that are bought: their sessions count as paid (a group's paid share).
bool IsPaidChannel(std::string_view channel);

// What a classification adds to the aggregates: its group in each dimension (indexed and
// iterated like an array of them), its confidence level and whether its channel is paid.
struct GroupIds {
  std::array<uint32_t, kDimCount> ids{};
  int32_t level = 0;
  bool paid = false;
  uint32_t& operator[](size_t dim) { return ids[dim]; }
  uint32_t operator[](size_t dim) const { return ids[dim]; }
  auto begin() const { return ids.begin(); }
  auto end() const { return ids.end(); }
};

struct ReachKey {
  uint32_t group;
  int32_t level;  // the sessions counted are of this confidence level or above
  int32_t day, prev_day;
  auto operator<=>(const ReachKey&) const = default;
};
static_assert(sizeof(ReachKey) == 16, "ReachKeyHash hashes the key's bytes: no padding");
struct ReachKeyHash {
  size_t operator()(const ReachKey& k) const {
    return HashBytes(std::string_view(reinterpret_cast<const char*>(&k), sizeof k));
  }
};
struct ReachSums {
  int64_t visitors = 0, touchpoints = 0, paid = 0;  // paid: touchpoints of a paid channel
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

// One touchpoint of a credited conversion.
struct TouchTerm {
  uint32_t class_id;
  std::array<double, kHeuristicModelCount> credit;
};

// The conversion events a path row's journeys were built for.
inline constexpr int32_t kAnyFilter = -1;  // a person without any: the same under every filter
inline constexpr int32_t kAllKinds = 0;    // every conversion event
inline int32_t KindFilter(uint32_t kind) { return static_cast<int32_t>(kind) + 1; }

struct PathSums {
  int64_t conversions = 0, revenue = 0, nulls = 0;
};
// A path row's key, as AggregateDelta::paths holds it: the dimension, filter and day, then the
// path's group ids, each 4 bytes in the machine's order.
struct PathKey {
  int dim;
  int32_t filter, day;
  std::string_view groups;  // the path's group ids, as stored
};
PathKey ParsePathKey(std::string_view key);
// A path's group ids as the store keeps them, in text: "12>5>12".
std::string PathText(std::string_view groups);
// … and back; false if `text` is not such a path.
bool ParsePathText(std::string_view text, std::vector<uint32_t>* groups);

// Sums of terms, by key, each added (sign +1) or taken away (−1).
class AggregateDelta {
 public:
  // `groups[class_id]`: the class's group in each dimension.
  explicit AggregateDelta(const std::vector<GroupIds>& groups) : groups_(groups) {}

  // A person's sessions, ordered by start.
  void AddSessions(std::span<const sessionize::Session> sessions, int sign);
  void AddConversion(uint32_t kind, Micros at, double revenue, const std::string& currency,
                     std::span<const TouchTerm> touchpoints, int sign);

  // A person's journeys under every conversion filter, built again from their sessions (by
  // start), the conversions that counted (by time) and the time of their last conversion event
  // of each kind, counted or not (kNoTime: none).
  void AddPaths(std::span<const sessionize::Session> sessions,
                std::span<const journey::Conversion> counted, std::span<const Micros> last_of_kind,
                const journey::ConversionOptions& options, int sign);

  // Every session of every person touches a reach row: hashed, not ordered.
  std::unordered_map<ReachKey, ReachSums, ReachKeyHash> reach;
  std::map<CreditKey, CreditSums> credits;
  std::map<TotalKey, TotalSums> totals;
  FlatStringMap<PathSums> paths;  // by PathKey

 private:
  const std::vector<GroupIds>& groups_;
  struct Seen {
    uint32_t group;
    int32_t level;
    int32_t day, prev_day;  // of the group's last session, and the day before that one's
  };
  std::vector<Seen> seen_;
  std::vector<journey::Conversion> counted_;
  std::string key_;
};

}  // namespace attrib::storage
