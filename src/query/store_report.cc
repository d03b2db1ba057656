#include "query/store_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "attribution/fixed.h"
#include "common/time.h"
#include "query/data_driven.h"
#include "query/path_index.h"

namespace attrib::query {
namespace {

constexpr Micros kMicrosPerDay = 86'400'000'000;

Result<std::optional<int32_t>> DayArg(const std::optional<Micros>& t, std::string_view name) {
  if (!t) return std::optional<int32_t>();
  if (*t % kMicrosPerDay != 0) {
    return Status::InvalidArgument(
        fmt::format("{} {}: the store keeps whole UTC days; give a date (or a time at 00:00:00Z)",
                    name, FormatIsoTime(*t)));
  }
  return std::optional<int32_t>(static_cast<int32_t>(*t / kMicrosPerDay));
}

// The data-driven models' credits into `result`'s rows (sorted by key): `credited` is by
// channel, `keys` the channels' keys.
void MergeCredits(Result<DataDrivenCredits> credited, std::vector<std::vector<std::string>> keys,
                  AnalysisResult* result) {
  if (!credited.ok()) {
    result->data_driven.error = credited.status().message();
    return;
  }
  std::vector<GroupRow>& rows = result->rows;
  for (uint32_t r = 0; r < keys.size(); ++r) {
    std::vector<std::string>& key = keys[r];
    auto row = std::lower_bound(
        rows.begin(), rows.end(), key,
        [](const GroupRow& a, const std::vector<std::string>& k) { return a.key < k; });
    bool any = false;
    for (int m = 0; m < kDataDrivenModelCount; ++m) {
      any = any || credited->credits[m][r].conversions != 0;
    }
    if (row == rows.end() || row->key != key) {
      if (!any) continue;  // a group of paths that did not convert only
      row = rows.insert(row, GroupRow{});
      row->key = std::move(key);
    }
    for (int m = 0; m < kDataDrivenModelCount; ++m) {
      row->conversions[kHeuristicModelCount + m] = credited->credits[m][r].conversions;
      row->revenue[kHeuristicModelCount + m] = credited->credits[m][r].value;
    }
    row->removal_effect = credited->removal_effect[r];
  }
}

// … from the paths read.
void CreditPaths(AggregateResult sums, const AnalysisOptions& options, AnalysisResult* result) {
  // The paths' groups in key order, as batch analysis numbers them.
  std::vector<std::vector<std::string>> keys;
  for (const std::string& value : sums.path_groups) {
    keys.push_back(GroupKey(value, options.group_by));
  }
  std::vector<uint32_t> order(keys.size()), rank(keys.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&keys](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  for (uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  for (GroupPath& p : sums.paths) {
    for (uint32_t& g : p.groups) g = rank[g];
  }
  std::vector<std::vector<std::string>> ranked(keys.size());
  for (uint32_t r = 0; r < order.size(); ++r) ranked[r] = std::move(keys[order[r]]);
  Result<DataDrivenCredits> credited =
      CreditDataDriven(std::move(sums.paths), ranked.size(), options, &result->data_driven);
  MergeCredits(std::move(credited), std::move(ranked), result);
}

// The aggregates' query for a report of `options`.
Result<AggregateQuery> ReportQuery(const AnalysisOptions& options) {
  AggregateQuery q;
  q.dim = static_cast<int>(options.group_by);
  ATTRIB_ASSIGN_OR_RETURN(q.from_day, DayArg(options.from, "from"));
  ATTRIB_ASSIGN_OR_RETURN(q.to_day, DayArg(options.to, "to"));
  if (q.from_day && q.to_day && *q.from_day >= *q.to_day) {
    return Status::InvalidArgument("the window is empty: from is not before to");
  }
  if (options.only_conversions.size() > 1) {
    return Status::InvalidArgument(
        "the store reports one conversion event or all of them: give one conversion");
  }
  if (options.only_conversions.size() == 1) {
    const std::vector<std::string>& events = options.conversions.events;
    const auto it = std::find(events.begin(), events.end(), options.only_conversions[0]);
    if (it == events.end()) {
      return Status::InvalidArgument(fmt::format(
          "conversion \"{}\": the store credits only the events of conversions.events ({})",
          options.only_conversions[0], fmt::join(events, ", ")));
    }
    q.kind = static_cast<uint32_t>(it - events.begin());
  }
  return q;
}

// A group's row of the heuristic models; nullopt when it has neither sessions nor credit.
std::optional<GroupRow> HeuristicRow(const GroupSums& g, GroupBy by) {
  GroupRow row;
  row.touchpoints = static_cast<uint64_t>(g.touchpoints);
  row.visitors = static_cast<uint64_t>(g.visitors);
  bool any = row.touchpoints != 0;
  for (int m = 0; m < kHeuristicModelCount; ++m) {
    row.conversions[m] = FromFixed(g.credit[m], kCreditScale);
    row.revenue[m] = FromFixed(g.revenue[m], kRevenueScale);
    any = any || g.credit[m] != 0;
  }
  if (!any) return std::nullopt;
  row.key = GroupKey(g.value, by);
  return row;
}

void SortByKey(std::vector<GroupRow>* rows) {
  // Mostly in order already: the store gives the groups by value.
  const auto by_key = [](const GroupRow& a, const GroupRow& b) { return a.key < b.key; };
  if (!std::is_sorted(rows->begin(), rows->end(), by_key)) {
    std::sort(rows->begin(), rows->end(), by_key);
  }
}

}  // namespace

void CreditAtLookback(Micros lookback, const HeuristicOptions& heuristics, PersonJourney* journey) {
  // The sessions by start (as stored), each touching its own channel; the conversions by time.
  std::vector<sessionize::Session> sessions;
  std::vector<TouchChannel> touch;
  for (const PersonJourney::Session& s : journey->sessions) {
    sessions.push_back(
        sessionize::Session{.start = s.start, .touch = static_cast<uint32_t>(sessions.size())});
    touch.push_back(ChannelOf(ParseChannel(s.classification.channel).value_or(Channel::kDirect)));
  }
  std::vector<journey::Conversion> conversions;
  for (const PersonJourney::Conversion& c : journey->conversions) {
    conversions.push_back(journey::Conversion{.at = c.at, .ref = conversions.size()});
  }
  journey::ConversionOptions options;
  options.lookback = lookback;
  std::vector<Touchpoint> touchpoints;
  std::vector<double> credits;
  journey::BuildCountedJourneys(
      sessions, conversions, std::nullopt, options, [&](const journey::Journey& j) {
        if (j.conversion == nullptr) return;
        const size_t n = j.sessions.size();
        CreditSessions(j.sessions, touch, j.conversion->at, heuristics, &touchpoints, &credits);
        std::vector<PersonJourney::Touchpoint>& out =
            journey->conversions[j.conversion->ref].touchpoints;
        out.clear();
        for (size_t i = 0; i < n; ++i) {
          PersonJourney::Touchpoint& t = out.emplace_back();
          t.session_start = j.sessions[i].start;
          t.classification = journey->sessions[j.sessions[i].touch].classification;
          for (int m = 0; m < kHeuristicModelCount; ++m) t.credit[m] = credits[m * n + i];
        }
      });
}

std::vector<std::string> GroupKey(std::string_view value, GroupBy by) {
  if (by != GroupBy::kSourceMedium) return {std::string(value)};
  const size_t sep = value.find('\x1f');
  return {std::string(value.substr(0, sep)),
          sep == std::string_view::npos ? std::string() : std::string(value.substr(sep + 1))};
}

Result<AnalysisResult> AnalyzeStore(AggregateReader& store, const AnalysisOptions& options,
                                    PathIndex* index) {
  ATTRIB_ASSIGN_OR_RETURN(AggregateQuery q, ReportQuery(options));
  const bool indexed = options.data_driven && index != nullptr && LearnsFromOrderOne(options);
  q.paths = options.data_driven && !indexed;
  ATTRIB_ASSIGN_OR_RETURN(AggregateResult sums, store.ReadAggregates(q));

  AnalysisResult result;
  result.conversions = sums.conversions;
  result.revenue = FromFixed(sums.revenue, kRevenueScale);
  result.currencies = std::move(sums.currencies);
  for (const GroupSums& g : sums.groups) {
    if (std::optional<GroupRow> row = HeuristicRow(g, options.group_by)) {
      result.rows.push_back(std::move(*row));
    }
  }
  SortByKey(&result.rows);
  if (indexed) {
    ATTRIB_ASSIGN_OR_RETURN(PathIndex::Window w,
                            index->Learn(store, options.group_by, q.kind, q.from_day, q.to_day));
    std::vector<std::vector<std::string>> keys;
    for (const std::string& value : w.values) keys.push_back(GroupKey(value, options.group_by));
    Result<DataDrivenCredits> credited =
        CreditLearnt(std::move(w.learnt), options, &result.data_driven);
    MergeCredits(std::move(credited), std::move(keys), &result);
  } else if (options.data_driven) {
    CreditPaths(std::move(sums), options, &result);
  }
  return result;
}

Result<std::vector<PeriodRows>> AnalyzeStoreByPeriod(AggregateReader& store,
                                                     const AnalysisOptions& options,
                                                     Interval interval) {
  ATTRIB_ASSIGN_OR_RETURN(AggregateQuery q, ReportQuery(options));
  q.interval = interval;
  ATTRIB_ASSIGN_OR_RETURN(AggregateResult sums, store.ReadAggregates(q));
  std::vector<PeriodRows> periods;
  for (const GroupSums& g : sums.groups) {
    std::optional<GroupRow> row = HeuristicRow(g, options.group_by);
    if (!row) continue;
    auto p =
        std::lower_bound(periods.begin(), periods.end(), g.period,
                         [](const PeriodRows& a, int32_t start) { return a.start_day < start; });
    if (p == periods.end() || p->start_day != g.period) {
      p = periods.insert(p, PeriodRows{.start_day = g.period, .rows = {}});
    }
    p->rows.push_back(std::move(*row));
  }
  for (PeriodRows& p : periods) SortByKey(&p.rows);
  return periods;
}

Result<PathsResult> StorePaths(AggregateReader& store, const PathsOptions& options,
                               const journey::ConversionOptions& conversions, PathIndex* index) {
  AnalysisOptions report;
  report.group_by = options.by;
  report.from = options.from;
  report.to = options.to;
  report.conversions = conversions;
  if (options.conversion) report.only_conversions = {*options.conversion};
  ATTRIB_ASSIGN_OR_RETURN(AggregateQuery q, ReportQuery(report));
  StepPaths steps;
  if (index != nullptr) {
    ATTRIB_ASSIGN_OR_RETURN(steps, index->Steps(store, options.by, q.kind, q.from_day, q.to_day));
  } else {
    q.credits = false;
    q.paths = true;
    ATTRIB_ASSIGN_OR_RETURN(AggregateResult sums, store.ReadAggregates(q));
    std::map<std::vector<uint32_t>, JourneySums> by_steps;
    std::vector<uint32_t> path;
    for (const GroupPath& p : sums.paths) {
      path.clear();
      for (const uint32_t g : p.groups) {
        if (path.empty() || path.back() != g) path.push_back(g);
      }
      by_steps[path].Add(p.conversions, p.nulls, p.revenue);
    }
    for (const auto& [groups, sum] : by_steps) {
      steps.groups.insert(steps.groups.end(), groups.begin(), groups.end());
      steps.begin.push_back(static_cast<uint32_t>(steps.groups.size()));
      steps.sums.push_back(sum);
    }
    steps.values = std::move(sums.path_groups);
  }
  PathsResult result;
  result.distinct_paths = steps.sums.size();
  Fixed revenue = 0;
  for (const JourneySums& s : steps.sums) {
    result.journeys += s.conversions + s.nulls;
    result.conversions += s.conversions;
    revenue += s.revenue;
  }
  result.revenue = FromFixed(revenue, kRevenueScale);
  // The paths that converted most, then the most taken, then by their groups' values.
  const auto groups = [&steps](uint32_t p) {
    return std::span(steps.groups.data() + steps.begin[p], steps.begin[p + 1] - steps.begin[p]);
  };
  const auto first = [&](uint32_t a, uint32_t b) {
    const JourneySums &x = steps.sums[a], &y = steps.sums[b];
    if (x.conversions != y.conversions) return x.conversions > y.conversions;
    const uint64_t jx = x.conversions + x.nulls, jy = y.conversions + y.nulls;
    if (jx != jy) return jx > jy;
    const auto ga = groups(a), gb = groups(b);
    return std::lexicographical_compare(
        ga.begin(), ga.end(), gb.begin(), gb.end(),
        [&steps](uint32_t g, uint32_t h) { return steps.values[g] < steps.values[h]; });
  };
  std::vector<uint32_t> order(steps.sums.size());
  for (uint32_t p = 0; p < order.size(); ++p) order[p] = p;
  const size_t kept = std::min(options.limit, order.size());
  std::partial_sort(order.begin(), order.begin() + kept, order.end(), first);
  for (size_t i = 0; i < kept; ++i) {
    const uint32_t p = order[i];
    PathRow row;
    for (const uint32_t g : groups(p)) {
      const std::vector<std::string> key = GroupKey(steps.values[g], options.by);
      row.steps.push_back(key.size() == 2 ? key[0] + " / " + key[1] : key[0]);
    }
    row.conversions = steps.sums[p].conversions;
    row.journeys = steps.sums[p].conversions + steps.sums[p].nulls;
    row.revenue = FromFixed(steps.sums[p].revenue, kRevenueScale);
    result.paths.push_back(std::move(row));
  }
  return result;
}

Result<std::vector<SourceRow>> StoreSources(AggregateReader& store, const SourcesOptions& options) {
  AnalysisOptions report;
  report.group_by = options.by;
  report.from = options.from;
  report.to = options.to;
  ATTRIB_ASSIGN_OR_RETURN(AggregateQuery q, ReportQuery(report));
  q.min_level = static_cast<int>(options.min_confidence);
  q.credits = false;
  ATTRIB_ASSIGN_OR_RETURN(AggregateResult sums, store.ReadAggregates(q));
  std::vector<SourceRow> rows;
  for (const GroupSums& g : sums.groups) {
    if (g.touchpoints == 0) continue;
    rows.push_back(SourceRow{GroupKey(g.value, options.by), g.touchpoints, g.visitors,
                             static_cast<double>(g.paid) / static_cast<double>(g.touchpoints)});
  }
  std::sort(rows.begin(), rows.end(), [](const SourceRow& a, const SourceRow& b) {
    return a.events != b.events ? a.events > b.events : a.key < b.key;
  });
  return rows;
}

Result<StoreStatsResult> StoreStats(AggregateReader& store, std::optional<Micros> from,
                                    std::optional<Micros> to,
                                    const journey::ConversionOptions& conversions,
                                    std::optional<std::string> conversion) {
  AnalysisOptions report;
  report.group_by = GroupBy::kChannel;  // every session has one channel
  report.from = from;
  report.to = to;
  report.conversions = conversions;
  if (conversion) report.only_conversions = {std::move(*conversion)};
  ATTRIB_ASSIGN_OR_RETURN(AggregateQuery q, ReportQuery(report));
  q.credits = false;
  ATTRIB_ASSIGN_OR_RETURN(AggregateResult sums, store.ReadAggregates(q));
  StoreStatsResult out;
  for (const GroupSums& g : sums.groups) {
    out.sessions += g.touchpoints;
    out.paid_sessions += g.paid;
  }
  out.conversions = sums.conversions;
  out.revenue = FromFixed(sums.revenue, kRevenueScale);
  out.currencies = std::move(sums.currencies);
  return out;
}

Result<std::map<std::string, SourceRow>> StoreRuleCounts(AggregateReader& store,
                                                         std::optional<Micros> from,
                                                         std::optional<Micros> to) {
  SourcesOptions options;
  options.by = GroupBy::kRule;
  options.from = from;
  options.to = to;
  ATTRIB_ASSIGN_OR_RETURN(std::vector<SourceRow> rows, StoreSources(store, options));
  std::map<std::string, SourceRow> out;
  for (SourceRow& r : rows) out[r.key[0]] = std::move(r);
  return out;
}

}  // namespace attrib::query
