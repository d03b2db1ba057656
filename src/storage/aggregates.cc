#include "storage/aggregates.h"

#include <algorithm>

#include "attribution/fixed.h"
#include "common/strings.h"

namespace attrib::storage {

constexpr Micros kMicrosPerDay = 86'400'000'000;

int32_t DayOf(Micros t) {
  Micros day = t / kMicrosPerDay;
  if (t % kMicrosPerDay < 0) --day;  // floor for times before 1970
  return static_cast<int32_t>(day);
}

std::optional<GroupBy> ParseGroupBy(std::string_view s) {
  return EnumByName<GroupBy>(s, kDimNames);
}

std::vector<std::string> GroupKey(GroupBy dim, const ClassFields& c) {
  switch (dim) {
    case GroupBy::kChannel:
      return {std::string(c.channel)};
    case GroupBy::kSource:
      return {std::string(c.source)};
    case GroupBy::kMedium:
      return {std::string(c.medium)};
    case GroupBy::kSourceMedium:
      return {std::string(c.source), std::string(c.medium)};
    case GroupBy::kCampaign:
      return {c.campaign.empty() ? std::string("(none)") : std::string(c.campaign)};
    case GroupBy::kRule:
      return {std::string(c.rule_id)};
    case GroupBy::kConfidence:
      return {std::string(c.confidence)};
  }
  return {};
}

std::string GroupValue(GroupBy dim, const ClassFields& c) {
  std::vector<std::string> key = GroupKey(dim, c);
  return key.size() == 1 ? std::move(key[0]) : key[0] + '\x1f' + key[1];
}

void AggregateDelta::AddSessions(std::span<const SessionTerm> sessions, int sign) {
  // Sessions come by start, so days never go back: per group, the day of its last session and
  // the day before that.
  seen_.clear();
  for (const SessionTerm& s : sessions) {
    const int32_t day = DayOf(s.start);
    for (const uint32_t group : groups_[s.class_id]) {
      auto it = std::find_if(seen_.begin(), seen_.end(),
                             [group](const Seen& g) { return g.group == group; });
      const bool first_today = it == seen_.end() || it->day != day;
      if (it == seen_.end()) {
        it = seen_.insert(seen_.end(), Seen{group, day, kNoDay});
      } else if (it->day != day) {
        it->prev_day = it->day;
        it->day = day;
      }
      ReachSums& r = reach[ReachKey{group, day, it->prev_day}];
      r.touchpoints += sign;
      if (first_today) r.visitors += sign;
    }
  }
}

void AggregateDelta::AddConversion(uint32_t kind, Micros at, double revenue,
                                   const std::string& currency,
                                   std::span<const TouchTerm> touchpoints, int sign) {
  const int32_t day = DayOf(at);
  TotalSums& t = totals[TotalKey{kind, day, currency}];
  t.conversions += sign;
  t.revenue += sign * ToFixed(revenue, kRevenueScale);
  for (const TouchTerm& touch : touchpoints) {
    for (const uint32_t group : groups_[touch.class_id]) {
      CreditSums& c = credits[CreditKey{group, kind, day}];
      for (int m = 0; m < kHeuristicModelCount; ++m) {
        const double credit = touch.credit[m];
        if (credit == 0) continue;
        c.credit[m] += sign * ToFixed(credit, kCreditScale);
        c.revenue[m] += sign * ToFixed(credit * revenue, kRevenueScale);
      }
    }
  }
}

}  // namespace attrib::storage
