// Reads for reports: sums of the daily aggregates.
#include <fmt/format.h>

#include <algorithm>

#include "common/time.h"
#include "common/u64_map.h"
#include "identity/identity.h"
#include "storage/sqlite/sqlite_store_impl.h"
#include "storage/sqlite/statements.h"

namespace attrib::sqlite {

Result<int64_t> SqliteStore::PersonOf(std::string_view value, bool user) {
  const uint64_t key = user ? identity::UserKey(value) : identity::AnonymousKey(value);
  Stmt& find = st_->find_person;
  ATTRIB_ASSIGN_OR_RETURN(bool found,
                          find.Bind(1, project_).Bind(2, static_cast<int64_t>(key)).Step());
  if (!found) {
    return Status::NotFound(fmt::format("no {} \"{}\" in project \"{}\"",
                                        user ? "userId" : "anonymousId", value, options_.project));
  }
  const int64_t person = find.Int(0);
  find.Reset();
  return person;
}

namespace {

// The most often the aggregates are read whole while the store changes now and then: once a
// second, and never more than a twentieth of the time (a large project's rows take a while).
constexpr Micros kKeepInterval = 1'000'000;
constexpr int kKeepShare = 20;

int32_t PeriodStart(Interval interval, int32_t day) {
  switch (interval) {
    case Interval::kNone:
      return 0;
    case Interval::kDay:
      return day;
    case Interval::kWeek:
      return WeekStart(day);
    case Interval::kMonth:
      return MonthStart(day);
  }
  return 0;
}

// The day from which a row's visitors are new to its period: they are counted on the first day
// of the period (or window) they came in (docs/storage.md).
int64_t VisitorsFrom(Interval interval, int64_t from, int32_t period) {
  return interval == Interval::kNone ? from : std::max<int64_t>(from, period);
}

// One group's sums by period, in order of period. Its rows come by day, mostly: the period of
// the last row, or a later one, is found first.
class PeriodSums {
 public:
  explicit PeriodSums(Interval interval) : interval_(interval) {}
  GroupSums& At(int32_t day) {
    const int32_t period = PeriodStart(interval_, day);
    if (last_ < sums_.size() && sums_[last_].period == period) return sums_[last_];
    if (sums_.empty() || sums_.back().period < period) {
      last_ = sums_.size();
      sums_.push_back(GroupSums{.value = {}, .period = period});
      return sums_.back();
    }
    const auto at = std::lower_bound(sums_.begin(), sums_.end(), period,
                                     [](const GroupSums& s, int32_t p) { return s.period < p; });
    last_ = static_cast<size_t>(at - sums_.begin());
    if (at == sums_.end() || at->period != period) {
      sums_.insert(at, GroupSums{.value = {}, .period = period});
    }
    return sums_[last_];
  }
  // Appends the sums, named `value`, and starts again.
  void MoveTo(const std::string& value, std::vector<GroupSums>* out) {
    for (GroupSums& s : sums_) {
      s.value = value;
      out->push_back(std::move(s));
    }
    sums_.clear();
    last_ = 0;
  }

 private:
  Interval interval_;
  std::vector<GroupSums> sums_;  // by period
  size_t last_ = 0;              // the place of the last period asked for
};

}  // namespace

AggregateResult SumKept(const KeptAggregates& kept, const AggregateQuery& q, int64_t from,
                        int64_t to) {
  AggregateResult result;
  PeriodSums periods(q.interval);
  for (const KeptAggregates::Group& g : kept.dims[q.dim]) {
    // A row in the window, even of zeros, names its group (and period), as a stored row does.
    for (const KeptAggregates::Reach& r : g.reach) {
      if (r.level != q.min_level || r.day < from || r.day >= to) continue;
      GroupSums& sums = periods.At(r.day);
      sums.touchpoints += r.touchpoints;
      if (r.prev_day < VisitorsFrom(q.interval, from, sums.period)) sums.visitors += r.visitors;
      sums.paid += r.paid;
    }
    if (q.credits) {
      for (const KeptAggregates::Credits& c : g.credits) {
        if (c.day < from || c.day >= to || (q.kind && c.kind != *q.kind)) continue;
        GroupSums& sums = periods.At(c.day);
        for (int m = 0; m < kHeuristicModelCount; ++m) {
          sums.credit[m] += c.credit[m];
          sums.revenue[m] += c.revenue[m];
        }
      }
    }
    periods.MoveTo(g.value, &result.groups);
  }
  for (const KeptAggregates::Totals& t : kept.totals) {
    if (t.day < from || t.day >= to || (q.kind && t.kind != *q.kind)) continue;
    result.conversions += static_cast<uint64_t>(t.conversions);
    result.revenue += t.revenue;
    if (std::find(result.currencies.begin(), result.currencies.end(), t.currency) ==
        result.currencies.end()) {
      result.currencies.push_back(t.currency);
    }
  }
  std::sort(result.currencies.begin(), result.currencies.end());
  return result;
}

Result<int64_t> SqliteStore::ProjectStamp() {
  Stmt& stamp = st_->read_paths_stamp;
  ATTRIB_ASSIGN_OR_RETURN(bool found, stamp.Bind(1, project_).Step());
  if (!found) return Status::Internal("store: the project's row is missing");
  const int64_t value = stamp.Int(0);
  stamp.Reset();
  return value;
}

Result<std::unique_ptr<KeptAggregates>> SqliteStore::ReadKept(
    int64_t stamp, bool with_credits, std::vector<std::pair<int, uint32_t>>* group_places) {
  auto kept = std::make_unique<KeptAggregates>();
  kept->stamp = stamp;
  std::vector<std::pair<int, uint32_t>> own;
  std::vector<std::pair<int, uint32_t>>& place = group_places != nullptr ? *group_places : own;
  place.clear();
  Stmt& groups = st_->read_all_groups;
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, groups.Step());
    if (!row) break;
    const auto dim =
        std::find(std::begin(storage::kDimNames), std::end(storage::kDimNames), groups.Text(0));
    if (dim == std::end(storage::kDimNames)) continue;  // a dimension this build does not know
    const int d = static_cast<int>(dim - std::begin(storage::kDimNames));
    const int64_t id = groups.Int(2);
    if (id < 0 || id > INT32_MAX) {
      groups.Reset();
      return Status::Internal("store: a group id is out of range");
    }
    if (static_cast<size_t>(id) >= place.size()) place.resize(id + 1, {-1, 0});
    place[id] = {d, static_cast<uint32_t>(kept->dims[d].size())};
    kept->dims[d].push_back(KeptAggregates::Group{std::string(groups.Text(1)), {}, {}});
  }
  const auto group = [&](int64_t id) -> KeptAggregates::Group* {
    if (id < 0 || static_cast<size_t>(id) >= place.size() || place[id].first < 0) return nullptr;
    return &kept->dims[place[id].first][place[id].second];
  };
  Stmt& reach = st_->read_all_reach;
  reach.Bind(1, project_);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, reach.Step());
    if (!row) break;
    KeptAggregates::Group* g = group(reach.Int(0));
    if (g == nullptr) continue;  // as the join with the groups leaves it out
    g->reach.push_back(KeptAggregates::Reach{
        static_cast<int32_t>(reach.Int(1)), static_cast<int32_t>(reach.Int(2)),
        static_cast<int32_t>(reach.Int(3)), reach.Int(4), reach.Int(5), reach.Int(6)});
  }
  if (with_credits) {
    Stmt& credits = st_->read_all_credits;
    credits.Bind(1, project_);
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, credits.Step());
      if (!row) break;
      KeptAggregates::Group* g = group(credits.Int(0));
      if (g == nullptr) continue;
      KeptAggregates::Credits& c = g->credits.emplace_back();
      c.kind = credits.Int(1);
      c.day = static_cast<int32_t>(credits.Int(2));
      for (int m = 0; m < kHeuristicModelCount; ++m) {
        c.credit[m] = credits.Int(3 + m);
        c.revenue[m] = credits.Int(3 + kHeuristicModelCount + m);
      }
    }
  }
  Stmt& totals = st_->read_all_totals;
  totals.Bind(1, project_);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, totals.Step());
    if (!row) break;
    kept->totals.push_back(
        KeptAggregates::Totals{totals.Int(0), static_cast<int32_t>(totals.Int(1)),
                               std::string(totals.Text(2)), totals.Int(3), totals.Int(4)});
  }
  return kept;
}

Result<std::pair<int64_t, int64_t>> AggregateWindow(const AggregateQuery& q) {
  if (q.dim < 0 || q.dim >= storage::kDimCount) return Status::InvalidArgument("no such dimension");
  if (q.paths && q.interval != Interval::kNone) {
    return Status::InvalidArgument("the journeys' paths are not split by period");
  }
  return std::pair<int64_t, int64_t>(q.from_day.value_or(INT32_MIN + 1),
                                     q.to_day.value_or(INT32_MAX));
}

GroupPath* PathSummer::Find(std::string_view key) {
  const uint32_t* i = index_.Find(key);
  return i != nullptr ? &result_.paths[*i - 1] : nullptr;
}

GroupPath& PathSummer::Add(std::string_view key, std::span<const uint32_t> ids) {
  GroupPath& p = result_.paths.emplace_back();
  for (const uint32_t id : ids) {
    uint32_t& place = places_[id];
    if (place == 0) {
      group_ids_.push_back(id);
      place = static_cast<uint32_t>(group_ids_.size());
    }
    p.groups.push_back(place - 1);
  }
  index_[key] = static_cast<uint32_t>(result_.paths.size());
  result_.path_groups.resize(group_ids_.size());
  return p;
}

Result<AggregateResult> SqliteStore::ReadAggregates(const AggregateQuery& q) {
  ATTRIB_ASSIGN_OR_RETURN(const auto window, AggregateWindow(q));
  const auto [from, to] = window;
  const std::string_view dim = storage::kDimNames[q.dim];
  // One snapshot: the three tables agree with each other.
  ATTRIB_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(db_));
  // From memory when the aggregates kept are the store's; kept anew when the store stood
  // still since the last read (a dashboard's queries), but while it changes not more often
  // than kKeepInterval, nor for more than 1 / kKeepShare of the time.
  ATTRIB_ASSIGN_OR_RETURN(const int64_t now_stamp, ProjectStamp());
  if (kept_ != nullptr && kept_->stamp > now_stamp) kept_.reset();  // another file in its place
  if ((kept_ == nullptr || kept_->stamp != now_stamp) && now_stamp == last_read_stamp_) {
    const Micros now = clock_.Now();
    if (!kept_at_ || now - *kept_at_ >= std::max(kKeepInterval, kKeepShare * keeping_took_)) {
      kept_at_ = now;
      Result<std::unique_ptr<KeptAggregates>> kept = ReadKept(now_stamp, true);
      kept_ = kept.ok() ? std::move(*kept) : nullptr;  // else the tables below say what failed
      keeping_took_ = clock_.Now() - now;
    }
  }
  last_read_stamp_ = now_stamp;
  if (kept_ != nullptr && kept_->stamp == now_stamp) {
    AggregateResult result = SumKept(*kept_, q, from, to);
    if (q.paths) ATTRIB_RETURN_IF_ERROR(ReadPaths(q, from, to, &result));
    return result;
  }
  // Both statements walk the dimension's groups in the order of their values, and each
  // group's rows together.
  AggregateResult result;
  U64Map<uint32_t> place;  // group id (and period) → 1 + its place in result.groups
  std::optional<uint64_t> last_key;
  GroupSums* last = nullptr;
  const auto group = [&](Stmt& s, int32_t day) -> GroupSums& {
    const auto id = static_cast<uint64_t>(s.Int(0));
    const int32_t period = PeriodStart(q.interval, day);
    // Mixed: U64Map places a key by its low bits, which the period alone would fill.
    const uint64_t key = MixBits(id << 32 | static_cast<uint32_t>(period));
    if (key != last_key) {
      uint32_t& i = place[key];
      if (i == 0) {
        result.groups.push_back(GroupSums{.value = std::string(s.Text(1)), .period = period});
        i = static_cast<uint32_t>(result.groups.size());
      }
      last_key = key;
      last = &result.groups[i - 1];
    }
    return *last;
  };
  Stmt& reach = st_->read_reach;
  reach.Bind(1, project_).Bind(2, dim).Bind(3, from).Bind(4, to).Bind(5, int64_t{q.min_level});
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, reach.Step());
    if (!row) break;
    GroupSums& g = group(reach, static_cast<int32_t>(reach.Int(6)));
    g.touchpoints += reach.Int(2);
    if (reach.Int(5) < VisitorsFrom(q.interval, from, g.period)) g.visitors += reach.Int(3);
    g.paid += reach.Int(4);
  }
  if (q.credits) {
    last_key.reset();
    Stmt& credits = st_->read_credits;
    credits.Bind(1, project_).Bind(2, dim).Bind(3, from).Bind(4, to);
    if (q.kind) credits.Bind(5, int64_t{*q.kind});
    constexpr int kDayColumn = 2 + 2 * kHeuristicModelCount;
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, credits.Step());
      if (!row) break;
      GroupSums& g = group(credits, static_cast<int32_t>(credits.Int(kDayColumn)));
      for (int m = 0; m < kHeuristicModelCount; ++m) {
        g.credit[m] += credits.Int(2 + m);
        g.revenue[m] += credits.Int(2 + kHeuristicModelCount + m);
      }
    }
  }
  Stmt& totals = st_->read_totals;
  totals.Bind(1, project_).Bind(2, from).Bind(3, to);
  if (q.kind) totals.Bind(4, int64_t{*q.kind});
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, totals.Step());
    if (!row) break;
    result.conversions += static_cast<uint64_t>(totals.Int(1));
    result.revenue += totals.Int(2);
    const std::string_view currency = totals.Text(0);
    if (std::find(result.currencies.begin(), result.currencies.end(), currency) ==
        result.currencies.end()) {
      result.currencies.emplace_back(currency);
    }
  }
  std::sort(result.currencies.begin(), result.currencies.end());
  if (q.paths) ATTRIB_RETURN_IF_ERROR(ReadPaths(q, from, to, &result));
  return result;
}

Status SqliteStore::ReadPaths(const AggregateQuery& q, int64_t from, int64_t to,
                              AggregateResult* result) {
  // Rows of one path on several days (and filters) are summed here, by their text.
  PathSummer summer(result);
  std::vector<uint32_t> ids;
  Stmt& paths = st_->read_paths;
  paths.Bind(1, project_)
      .Bind(2, int64_t{q.dim})
      .Bind(3, int64_t{q.kind ? storage::KindFilter(*q.kind) : storage::kAllKinds})
      .Bind(4, from)
      .Bind(5, to);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, paths.Step());
    if (!row) break;
    const std::string_view text = paths.Text(0);
    GroupPath* p = summer.Find(text);
    if (p == nullptr) {
      if (!storage::ParsePathText(text, &ids)) {
        paths.Reset();
        return Status::Internal("store: a stored journey path is damaged");
      }
      p = &summer.Add(text, ids);
    }
    p->conversions += static_cast<uint64_t>(paths.Int(1));
    p->revenue += paths.Int(2);
    p->nulls += static_cast<uint64_t>(paths.Int(3));
  }
  const std::vector<uint32_t>& named = summer.group_ids();
  if (named.empty()) return Status::Ok();
  U64Map<uint32_t> place_of;  // group id → its place in path_groups
  for (uint32_t place = 0; place < named.size(); ++place) place_of[named[place]] = place;
  Stmt& values = st_->read_group_values;
  values.Bind(1, storage::kDimNames[q.dim]);
  size_t found = 0;
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, values.Step());
    if (!row) break;
    if (const uint32_t* place = place_of.Find(static_cast<uint64_t>(values.Int(0)))) {
      result->path_groups[*place] = values.Text(1);
      ++found;
    }
  }
  if (found != named.size()) return Status::Internal("store: a journey path names no group");
  return Status::Ok();
}

Result<PathDays> SqliteStore::ReadPathDays(const PathDaysQuery& q) {
  if (q.dim < 0 || q.dim >= storage::kDimCount) {
    return Status::InvalidArgument("store: no such dimension");
  }
  const int32_t filter = q.shared ? storage::kAnyFilter
                         : q.kind ? storage::KindFilter(*q.kind)
                                  : storage::kAllKinds;
  ATTRIB_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(db_));
  PathDays result;
  result.stamp = q.since;
  ATTRIB_ASSIGN_OR_RETURN(result.project_stamp, ProjectStamp());
  Stmt& days = st_->read_path_days;
  days.Bind(1, project_).Bind(2, int64_t{q.dim}).Bind(3, int64_t{filter}).Bind(4, q.since);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, days.Step());
    if (!row) break;
    result.days.push_back(PathDays::Day{static_cast<int32_t>(days.Int(0)), {}});
    result.stamp = std::max(result.stamp, days.Int(1));
  }
  if (result.days.empty()) return result;
  Stmt& paths = st_->read_day_paths;
  std::vector<uint32_t> groups;
  for (PathDays::Day& day : result.days) {
    paths.Bind(1, project_)
        .Bind(2, int64_t{q.dim})
        .Bind(3, int64_t{filter})
        .Bind(4, int64_t{day.day});
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, paths.Step());
      if (!row) break;
      if (!storage::ParsePathText(paths.Text(0), &groups)) {
        paths.Reset();
        return Status::Internal("store: a stored journey path is damaged");
      }
      day.paths.push_back(GroupPath{groups, static_cast<uint64_t>(paths.Int(1)),
                                    static_cast<uint64_t>(paths.Int(3)), paths.Int(2)});
    }
  }
  Stmt& values = st_->read_new_group_values;
  values.Bind(1, storage::kDimNames[q.dim]).Bind(2, int64_t{q.known_groups});
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, values.Step());
    if (!row) break;
    result.group_values.emplace_back(static_cast<uint32_t>(values.Int(0)), values.Text(1));
  }
  return result;
}

}  // namespace attrib::sqlite

namespace attrib::sqlite {

Result<PersonJourney> SqliteStore::ReadJourney(std::string_view value, bool user) {
  ATTRIB_ASSIGN_OR_RETURN(Transaction snapshot, Transaction::BeginRead(db_));
  ATTRIB_ASSIGN_OR_RETURN(const int64_t person, PersonOf(value, user));
  PersonJourney j;
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt ids, db_.Prepare("SELECT value, user FROM ids WHERE project_id = ?1 AND (id = ?2 OR "
                            "person = ?2) ORDER BY user DESC, value"));
  ids.Bind(1, project_).Bind(2, person);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, ids.Step());
    if (!row) break;
    j.ids.push_back(PersonJourney::Id{std::string(ids.Text(0)), ids.Int(1) != 0});
  }
  const auto class_of = [](Stmt& q, int col) {
    return StoredClass{std::string(q.Text(col)),     std::string(q.Text(col + 1)),
                       std::string(q.Text(col + 2)), std::string(q.Text(col + 3)),
                       std::string(q.Text(col + 4)), std::string(q.Text(col + 5))};
  };
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt sessions,
      db_.Prepare("SELECT s.start, s.end, s.events, c.channel, c.source, c.medium, c.campaign, "
                  "c.rule_id, c.confidence FROM sessions s JOIN classes c USING(class_id) "
                  "WHERE s.project_id = ? AND s.person = ? ORDER BY s.seq"));
  sessions.Bind(1, project_).Bind(2, person);
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, sessions.Step());
    if (!row) break;
    j.sessions.push_back(PersonJourney::Session{sessions.Int(0), sessions.Int(1), sessions.Int(2),
                                                class_of(sessions, 3)});
  }
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt conversions,
      db_.Prepare("SELECT event_key, message_id, at, kind, revenue, currency, version, "
                  "restated_at FROM conversions WHERE project_id = ? AND person = ? "
                  "ORDER BY at, event_key"));
  conversions.Bind(1, project_).Bind(2, person);
  std::vector<int64_t> keys;
  for (;;) {
    ATTRIB_ASSIGN_OR_RETURN(bool row, conversions.Step());
    if (!row) break;
    Stmt& q = conversions;
    PersonJourney::Conversion c;
    keys.push_back(q.Int(0));
    c.message_id = q.Text(1);
    c.at = q.Int(2);
    c.kind = q.Text(3);
    c.revenue = q.Double(4);
    c.currency = q.Text(5);
    c.version = q.Int(6);
    if (!q.IsNull(7)) c.restated_at = q.Int(7);
    j.conversions.push_back(std::move(c));
  }
  ATTRIB_ASSIGN_OR_RETURN(
      Stmt credits,
      db_.Prepare("SELECT r.session_start, c.channel, c.source, c.medium, c.campaign, c.rule_id, "
                  "c.confidence, r.first_touch, r.last_touch, r.last_non_direct, r.linear, "
                  "r.time_decay, r.u_shaped, r.w_shaped, r.participation FROM credits r "
                  "JOIN classes c USING(class_id) WHERE r.project_id = ? AND r.person = ? AND "
                  "r.event_key = ? ORDER BY r.touch"));
  for (size_t i = 0; i < keys.size(); ++i) {
    credits.Bind(1, project_).Bind(2, person).Bind(3, keys[i]);
    for (;;) {
      ATTRIB_ASSIGN_OR_RETURN(bool row, credits.Step());
      if (!row) break;
      PersonJourney::Touchpoint t{credits.Int(0), class_of(credits, 1), {}};
      for (int m = 0; m < kHeuristicModelCount; ++m) t.credit[m] = credits.Double(7 + m);
      j.conversions[i].touchpoints.push_back(std::move(t));
    }
  }
  return j;
}

}  // namespace attrib::sqlite
