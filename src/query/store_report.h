// Reports from the store: the AnalysisResult that batch analysis computes from files, made from
// the store's daily aggregates (docs/storage.md), so `--db` and `--input` print the same report
// for the same events.
#pragma once

#include <map>

#include "attrib/store.h"
#include "query/batch.h"

namespace attrib::query {

class PathIndex;  // path_index.h

// `options` must be the settings the store derived with (the store checks them when opened).
// The store keeps whole UTC days: `from` and `to` must be midnights. At most one conversion
// event may be named. The data-driven models learn from `index` when given (and they are of
// order 1 without repeats), else from the paths read for the report.
Result<AnalysisResult> AnalyzeStore(AggregateReader& store, const AnalysisOptions& options,
                                    PathIndex* index = nullptr);

// The heuristic models' report split by `interval` (not kNone): for each period with sessions
// or credits, its rows as AnalyzeStore gives them for a window of that period alone (a period
// cut by the window is only the window's part of it). The periods in order.
Result<std::vector<PeriodRows>> AnalyzeStoreByPeriod(AggregateReader& store,
                                                     const AnalysisOptions& options,
                                                     Interval interval);

// The journeys' most common paths of groups (the query API's /v1/paths): of the journeys whose
// conversion (or, without one, last session) falls in the window, under one conversion event or
// all, by path with consecutive repeats taken as one step. The paths that converted most first,
// then the most taken, then by their groups' values; at most `limit` of them.
struct PathsOptions {
  GroupBy by = GroupBy::kChannel;
  std::optional<Micros> from, to;  // whole UTC days
  std::optional<std::string> conversion;
  size_t limit = 20;
};
struct PathRow {
  std::vector<std::string> steps;  // each a group's value (source_medium: "source / medium")
  uint64_t journeys = 0, conversions = 0;
  double revenue = 0;
};
struct PathsResult {
  uint64_t journeys = 0, conversions = 0;  // of every path in the window
  double revenue = 0;
  uint64_t distinct_paths = 0;
  std::vector<PathRow> paths;
};
// From `index` when given, else from the paths read for the answer.
Result<PathsResult> StorePaths(AggregateReader& store, const PathsOptions& options,
                               const journey::ConversionOptions& conversions,
                               PathIndex* index = nullptr);

// A person's trail (Store::ReadJourney) with each conversion's touchpoints and credits taken
// again over `lookback` instead of the project's, from the person's sessions.
void CreditAtLookback(Micros lookback, const HeuristicOptions& heuristics, PersonJourney* journey);

// A group's key (GroupRow::key) from its stored value.
std::vector<std::string> GroupKey(std::string_view value, GroupBy by);

// Where visits come from (the query API's /v1/sources): per group of `by`, the sessions it
// started (events), the distinct visitors they were (uniques) and the share of them from a paid
// channel, counting only sessions of at least `min_confidence`. Sorted by events, most first.
struct SourcesOptions {
  GroupBy by = GroupBy::kSourceMedium;
  std::optional<Micros> from, to;  // whole UTC days
  Confidence min_confidence = Confidence::kLow;
};
struct SourceRow {
  std::vector<std::string> key;  // one value per GroupFields(by)
  int64_t events = 0, uniques = 0;
  double paid_share = 0;
};
Result<std::vector<SourceRow>> StoreSources(AggregateReader& store, const SourcesOptions& options);

// The window's totals (the query API's /v1/stats): sessions, those of a paid channel, counted
// conversions and their revenue (of one conversion event when `conversion` names one of
// `conversions.events`).
struct StoreStatsResult {
  int64_t sessions = 0, paid_sessions = 0;
  uint64_t conversions = 0;
  double revenue = 0;
  std::vector<std::string> currencies;
};
Result<StoreStatsResult> StoreStats(AggregateReader& store, std::optional<Micros> from,
                                    std::optional<Micros> to,
                                    const journey::ConversionOptions& conversions,
                                    std::optional<std::string> conversion = std::nullopt);

// Sessions per rule that classified their entry, in the window (the query API's /v1/rules).
Result<std::map<std::string, SourceRow>> StoreRuleCounts(AggregateReader& store,
                                                         std::optional<Micros> from,
                                                         std::optional<Micros> to);

}  // namespace attrib::query
