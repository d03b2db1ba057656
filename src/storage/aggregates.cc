#include "storage/aggregates.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "attribution/fixed.h"
#include "attribution/paths.h"
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

bool IsPaidChannel(std::string_view channel) {
  return channel == "paid_search" || channel == "paid_social" || channel == "display" ||
         channel == "affiliate" || channel == "paid_video" || channel == "paid_other";
}

void AggregateDelta::AddSessions(std::span<const sessionize::Session> sessions, int sign) {
  // Sessions come by start, so days never go back: per group and level, the day of its last
  // session and the day before that.
  seen_.clear();
  for (const sessionize::Session& s : sessions) {
    const int32_t day = DayOf(s.start);
    const GroupIds& ids = groups_[s.touch];
    for (const uint32_t group : ids) {
      for (int32_t level = 0; level <= ids.level; ++level) {
        auto it = std::find_if(seen_.begin(), seen_.end(), [group, level](const Seen& g) {
          return g.group == group && g.level == level;
        });
        const bool first_today = it == seen_.end() || it->day != day;
        if (it == seen_.end()) {
          it = seen_.insert(seen_.end(), Seen{group, level, day, kNoDay});
        } else if (it->day != day) {
          it->prev_day = it->day;
          it->day = day;
        }
        ReachSums& r = reach[ReachKey{group, level, day, it->prev_day}];
        r.touchpoints += sign;
        if (ids.paid) r.paid += sign;
        if (first_today) r.visitors += sign;
      }
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

namespace {

template <class T>
void AppendRaw(std::string* out, T v) {
  char bytes[sizeof v];
  std::memcpy(bytes, &v, sizeof v);
  out->append(bytes, sizeof v);
}

template <class T>
T ReadRaw(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}

constexpr size_t kPathKeyHeader = 1 + 2 * sizeof(int32_t);

}  // namespace

PathKey ParsePathKey(std::string_view key) {
  return PathKey{static_cast<uint8_t>(key[0]), ReadRaw<int32_t>(key, 1),
                 ReadRaw<int32_t>(key, 1 + sizeof(int32_t)), key.substr(kPathKeyHeader)};
}

std::string PathText(std::string_view groups) {
  std::string text;
  for (size_t at = 0; at < groups.size(); at += sizeof(uint32_t)) {
    if (at != 0) text.push_back('>');
    text += std::to_string(ReadRaw<uint32_t>(groups, at));
  }
  return text;
}

bool ParsePathText(std::string_view text, std::vector<uint32_t>* groups) {
  groups->clear();
  for (;;) {
    const size_t end = std::min(text.find('>'), text.size());
    uint32_t id;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, id);
    if (end == 0 || ec != std::errc() || ptr != text.data() + end) return false;
    groups->push_back(id);
    if (end == text.size()) return true;
    text.remove_prefix(end + 1);
  }
}

void AggregateDelta::AddPaths(std::span<const sessionize::Session> sessions,
                              std::span<const journey::Conversion> counted,
                              std::span<const Micros> last_of_kind,
                              const journey::ConversionOptions& options, int sign) {
  const auto add = [&](int32_t filter, std::optional<uint32_t> kind) {
    counted_.clear();
    for (const journey::Conversion& c : counted) {
      if (!kind || c.kind == *kind) counted_.push_back(c);
    }
    std::optional<Micros> last_event;
    for (uint32_t k = 0; k < last_of_kind.size(); ++k) {
      if ((kind && k != *kind) || last_of_kind[k] == kNoTime) continue;
      last_event = std::max(last_event.value_or(kNoTime), last_of_kind[k]);
    }
    journey::BuildCountedJourneys(
        sessions, counted_, last_event, options, [&](const journey::Journey& j) {
          if (j.sessions.empty()) return;  // a conversion before any activity: no path
          const journey::Conversion* c = j.conversion;
          const int32_t day = DayOf(c != nullptr ? c->at : j.sessions.back().start);
          // The last kMaxPathLength sessions, as batch analysis keeps them.
          const size_t n = j.sessions.size(), from = n > kMaxPathLength ? n - kMaxPathLength : 0;
          for (int dim = 0; dim < kDimCount; ++dim) {
            key_.clear();
            key_.push_back(static_cast<char>(dim));
            AppendRaw(&key_, filter);
            AppendRaw(&key_, day);
            for (size_t i = from; i < n; ++i) AppendRaw(&key_, groups_[j.sessions[i].touch][dim]);
            PathSums& p = paths[key_];
            if (c != nullptr) {
              p.conversions += sign;
              p.revenue += sign * ToFixed(c->revenue, kRevenueScale);
            } else {
              p.nulls += sign;
            }
          }
        });
  };
  if (counted.empty()) {
    add(kAnyFilter, std::nullopt);
    return;
  }
  add(kAllKinds, std::nullopt);
  for (uint32_t k = 0; k < last_of_kind.size(); ++k) add(KindFilter(k), k);
}

}  // namespace attrib::storage
