// Store::AtLookback: the project's aggregates with every journey taken again over another
// lookback. Reach and the counted conversions do not depend on it, and are read as stored; each
// person's credits and paths are made again from their stored sessions and conversions, by the
// same code that derives them (journey::BuildCountedJourneys, CreditSessions,
// AggregateDelta), so at the project's own lookback the answers are the stored ones.
#include <algorithm>
#include <cstring>
#include <optional>

#include "storage/sqlite/sqlite_store_impl.h"

namespace attrib::sqlite {
namespace {

// The aggregates at another lookback, in memory. Reads change nothing: safe side by side.
class LookbackAggregates final : public AggregateReader {
 public:
  Result<AggregateResult> ReadAggregates(const AggregateQuery& q) override;
  Result<PathDays> ReadPathDays(const PathDaysQuery& q) override;

  KeptAggregates kept;
  // The journeys' paths by dimension and conversion filter (storage::PathKey), then by day.
  std::map<std::pair<int, int32_t>, std::map<int32_t, std::vector<GroupPath>>> paths;
  // Each dimension's group values by group id (none: another dimension's group).
  std::array<std::vector<std::optional<std::string>>, storage::kDimCount> values;
};

Result<AggregateResult> LookbackAggregates::ReadAggregates(const AggregateQuery& q) {
  ATTRIB_ASSIGN_OR_RETURN(const auto window, AggregateWindow(q));
  const auto [from, to] = window;
  AggregateResult result = SumKept(kept, q, from, to);
  if (!q.paths) return result;
  // As the store reads them: rows of every filter (kAnyFilter) and of the one asked for, a
  // path's rows of several days summed.
  PathSummer summer(&result);
  for (const int32_t filter :
       {storage::kAnyFilter, q.kind ? storage::KindFilter(*q.kind) : storage::kAllKinds}) {
    const auto days = paths.find({q.dim, filter});
    if (days == paths.end()) continue;
    for (auto day = days->second.lower_bound(static_cast<int32_t>(from));
         day != days->second.end() && day->first < to; ++day) {
      for (const GroupPath& p : day->second) {
        const std::string_view key(reinterpret_cast<const char*>(p.groups.data()),
                                   p.groups.size() * sizeof(uint32_t));
        GroupPath* sums = summer.Find(key);
        if (sums == nullptr) sums = &summer.Add(key, p.groups);
        sums->conversions += p.conversions;
        sums->nulls += p.nulls;
        sums->revenue += p.revenue;
      }
    }
  }
  const std::vector<uint32_t>& named = summer.group_ids();
  for (size_t place = 0; place < named.size(); ++place) {
    result.path_groups[place] = *values[q.dim][named[place]];
  }
  return result;
}

Result<PathDays> LookbackAggregates::ReadPathDays(const PathDaysQuery& q) {
  if (q.dim < 0 || q.dim >= storage::kDimCount) {
    return Status::InvalidArgument("store: no such dimension");
  }
  PathDays result;
  result.project_stamp = kept.stamp;
  result.stamp = q.since;
  if (q.since >= kept.stamp) return result;  // read already: nothing changes
  result.stamp = kept.stamp;
  const int32_t filter = q.shared ? storage::kAnyFilter
                         : q.kind ? storage::KindFilter(*q.kind)
                                  : storage::kAllKinds;
  const auto days = paths.find({q.dim, filter});
  if (days == paths.end()) return result;
  for (const auto& [day, day_paths] : days->second) {
    result.days.push_back(PathDays::Day{day, day_paths});
  }
  const std::vector<std::optional<std::string>>& dim_values = values[q.dim];
  for (uint32_t id = q.known_groups; id < dim_values.size(); ++id) {
    if (dim_values[id]) result.group_values.emplace_back(id, *dim_values[id]);
  }
  return result;
}

// One person's sessions and counted conversions, as stored.
struct StoredPerson {
  int64_t person = 0;
  std::vector<sessionize::Session> sessions;  // by start
  std::vector<journey::Conversion> counted;   // by time; ref: index into currencies
  std::vector<std::string> currencies;
  std::vector<Micros> last_of_kind;  // by conversion kind (storage::kNoTime: none)
};

}  // namespace

Result<std::unique_ptr<AggregateReader>> SqliteStore::AtLookback(Micros lookback) {
  if (lookback < journey::kDay || lookback > 365 * journey::kDay || lookback % journey::kDay != 0) {
    return Status::InvalidArgument("store: a lookback is a whole number of days from 1 to 365");
  }
  PersonOptions person = options_.settings.person;
  person.conversions.lookback = lookback;
  const std::vector<std::string>& events = person.conversions.events;
  ATTRIB_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(db_));
  ATTRIB_ASSIGN_OR_RETURN(const int64_t stamp, ProjectStamp());
  ATTRIB_ASSIGN_OR_RETURN(const ClassTables classes, ReadClasses(db_));
  auto view = std::make_unique<LookbackAggregates>();
  std::vector<std::pair<int, uint32_t>> place;  // group id → dimension, place in it
  {
    ATTRIB_ASSIGN_OR_RETURN(std::unique_ptr<KeptAggregates> kept, ReadKept(stamp, false, &place));
    view->kept = std::move(*kept);
  }
  // Stamps only grow, and 0 is "never read" to a path index.
  view->kept.stamp = std::max<int64_t>(stamp, 1);
  for (uint32_t id = 0; id < place.size(); ++id) {
    const auto [dim, at] = place[id];
    if (dim < 0) continue;
    std::vector<std::optional<std::string>>& values = view->values[dim];
    if (values.size() <= id) values.resize(id + 1);
    values[id] = view->kept.dims[dim][at].value;
  }

  // Every person's sessions and conversions, both in person order.
  storage::AggregateDelta delta(classes.groups);
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt sessions, db_.Prepare("SELECT person, start, class_id FROM sessions WHERE project_id = "
                                 "? ORDER BY person, seq"));
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt conversions,
      db_.Prepare("SELECT person, at, kind, revenue, currency, last_of_kind_at FROM conversions "
                  "WHERE project_id = ? ORDER BY person, at, event_key"));
  sessions.Bind(1, project_);
  conversions.Bind(1, project_);
  ATTRIB_ASSIGN_OR_RETURN(bool more_sessions, sessions.Step());
  ATTRIB_ASSIGN_OR_RETURN(bool more_conversions, conversions.Step());
  StoredPerson p;
  std::vector<storage::TouchTerm> touches;
  std::vector<Touchpoint> touchpoints;
  std::vector<double> credits;
  while (more_sessions || more_conversions) {
    p.person = std::min(more_sessions ? sessions.Int(0) : INT64_MAX,
                        more_conversions ? conversions.Int(0) : INT64_MAX);
    p.sessions.clear();
    p.counted.clear();
    p.currencies.clear();
    p.last_of_kind.assign(events.size(), storage::kNoTime);
    while (more_sessions && sessions.Int(0) == p.person) {
      const int64_t class_id = sessions.Int(2);
      if (class_id < 0 || static_cast<size_t>(class_id) >= classes.groups.size()) {
        return Status::Internal("store: a session names a missing classification");
      }
      p.sessions.push_back(
          sessionize::Session{.start = sessions.Int(1), .touch = static_cast<uint32_t>(class_id)});
      ATTRIB_ASSIGN_OR_RETURN(more_sessions, sessions.Step());
    }
    while (more_conversions && conversions.Int(0) == p.person) {
      ATTRIB_ASSIGN_OR_RETURN(const uint32_t kind, ConversionKind(events, conversions.Text(2)));
      p.counted.push_back(journey::Conversion{.at = conversions.Int(1),
                                              .kind = kind,
                                              .revenue = conversions.Double(3),
                                              .ref = p.currencies.size()});
      p.currencies.emplace_back(conversions.Text(4));
      p.last_of_kind[kind] = std::max(p.last_of_kind[kind], conversions.Int(5));
      ATTRIB_ASSIGN_OR_RETURN(more_conversions, conversions.Step());
    }
    if (p.sessions.empty()) continue;  // no activity: no journey (PersonPlanner::Finish)
    journey::BuildCountedJourneys(
        p.sessions, p.counted, std::nullopt, person.conversions, [&](const journey::Journey& j) {
          if (j.conversion == nullptr) return;
          const size_t n = j.sessions.size();
          CreditSessions(j.sessions, classes.channels, j.conversion->at, person.heuristics,
                         &touchpoints, &credits);
          touches.resize(n);
          for (size_t i = 0; i < n; ++i) {
            touches[i].class_id = j.sessions[i].touch;
            for (int m = 0; m < kHeuristicModelCount; ++m)
              touches[i].credit[m] = credits[m * n + i];
          }
          const journey::Conversion& c = *j.conversion;
          delta.AddConversion(c.kind, c.at, c.revenue, p.currencies[c.ref], touches, +1);
        });
    delta.AddPaths(p.sessions, p.counted, p.last_of_kind, person.conversions, +1);
  }

  // The credits into their groups (totals and reach are the stored ones), the paths by day.
  for (const auto& [key, sums] : delta.credits) {
    if (key.group >= place.size() || place[key.group].first < 0) continue;
    const auto [dim, at] = place[key.group];
    view->kept.dims[dim][at].credits.push_back(
        KeptAggregates::Credits{key.kind, key.day, sums.credit, sums.revenue});
  }
  delta.paths.ForEach([&](std::string_view key, const storage::PathSums& sums) {
    const storage::PathKey k = storage::ParsePathKey(key);
    GroupPath path{std::vector<uint32_t>(k.groups.size() / sizeof(uint32_t)),
                   static_cast<uint64_t>(sums.conversions), static_cast<uint64_t>(sums.nulls),
                   sums.revenue};
    std::memcpy(path.groups.data(), k.groups.data(), k.groups.size());
    view->paths[{k.dim, k.filter}][k.day].push_back(std::move(path));
  });
  return std::unique_ptr<AggregateReader>(std::move(view));
}

}  // namespace attrib::sqlite
