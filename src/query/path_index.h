// The journeys' paths of one project's store, kept in memory for the data-driven models: by
// dimension, conversion filter and day, caught up with the days the store changed before each
// use (Store::ReadPathDays). Each distinct path is parsed once, with the order-1 chain's steps
// and the channel set it adds to; a window's models then sum those per path instead of reading
// and hashing every path again. Safe to share between threads.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "attrib/store.h"
#include "common/flat_map.h"
#include "common/u64_map.h"
#include "query/batch.h"
#include "query/data_driven.h"

namespace attrib::query {

// A window's journeys summed by their steps: their paths of groups with a group repeated in a
// row taken as one, in no particular order.
struct StepPaths {
  std::vector<uint32_t> groups;     // every path's groups, one path after another
  std::vector<uint32_t> begin{0};   // path i: groups[begin[i], begin[i + 1])
  std::vector<JourneySums> sums;    // by path
  std::vector<std::string> values;  // the groups' values, by the ids in `groups`
};

class PathIndex {
 public:
  // What the window's paths teach (data_driven.h), and the values of the groups they use, by
  // channel number (key order).
  struct Window {
    LearntPaths learnt;
    std::vector<std::string> values;
  };
  // Days [from_day, to_day) (open ends: every day), under one conversion event or all.
  Result<Window> Learn(AggregateReader& store, GroupBy by, std::optional<uint32_t> kind,
                       std::optional<int32_t> from_day, std::optional<int32_t> to_day);
  // The same window's journeys by their steps.
  Result<StepPaths> Steps(AggregateReader& store, GroupBy by, std::optional<uint32_t> kind,
                          std::optional<int32_t> from_day, std::optional<int32_t> to_day);

 private:
  struct Row {
    uint32_t path = 0;
    uint64_t conversions = 0, nulls = 0;
    int64_t revenue = 0;  // fixed point
  };
  struct Filter {
    int64_t stamp = 0;  // of the store's last change read
    std::map<int32_t, std::vector<Row>> days;
  };
  // A dimension's distinct paths, steps and sets, and its filters' days. Groups are the
  // store's group ids.
  struct Dim {
    FlatStringMap<uint32_t> path_ids;  // the path's group ids, as bytes → 1 + path id
    std::vector<uint32_t> step_begin = {0}, steps;         // per path: its chain steps' ids
    std::vector<uint32_t> last, set_of;                    // per path: its last group, its set
    std::vector<std::pair<uint32_t, uint32_t>> step_ends;  // per step id: from, to (kNoGroup:
    U64Map<uint32_t> step_ids;                             // (start)); MixBits(from, to) → 1 + id
    FlatStringMap<uint32_t> set_ids;                       // sorted group ids → 1 + set id
    std::vector<uint32_t> set_begin = {0}, set_members;
    std::vector<std::string> values;  // by group id
    std::vector<bool> named;          // … whether the store named it yet
    std::vector<uint32_t> by_key;     // the group ids named, in key order
    std::vector<uint32_t> rank;       // by group id: its place in by_key
    // The sets in the order of their members' ranks (which is the order of their channel
    // numbers in any window): each set's members' ranks, ascending (ranked_members follows
    // set_begin); each set's place in that order, and the members' ranks by place. Redone
    // when sets come or ranks change.
    std::vector<uint32_t> ranked_members, position, ordered_begin, ordered_ranks;
    size_t sets_in_order = 0;
    std::map<int32_t, Filter> filters;
  };
  // Per path, set (by place), group and step of a dimension: a window's sums.
  struct Scratch {
    std::vector<JourneySums> path_sums, set_sums, ended;
    std::vector<uint64_t> step_counts;
  };
  static constexpr uint32_t kNoGroup = UINT32_MAX;

  // Reads the filter's days changed since it last did; the project's stamp then, or 0 when the
  // store's stamps went back (a file put in its place): `dim` is then emptied, to read anew.
  Result<int64_t> CatchUp(AggregateReader& store, GroupBy by, Dim& dim,
                          std::optional<uint32_t> kind, bool shared);
  uint32_t InternPath(Dim& dim, const std::vector<uint32_t>& groups);
  static void OrderSets(Dim& dim, bool reranked);

  // `read(dim)` of the dimension caught up with the store, under a shared lock.
  template <typename Read>
  auto CaughtUp(AggregateReader& store, GroupBy by, std::optional<uint32_t> kind,
                std::optional<int32_t> from_day, std::optional<int32_t> to_day, Read read)
      -> Result<decltype(read(std::declval<const Dim&>()))>;
  static Scratch& ThreadScratch();
  // Each path's journeys in the window into scratch.path_sums; the paths touched.
  static std::vector<uint32_t> SumPaths(const Dim& dim, std::optional<uint32_t> kind,
                                        std::optional<int32_t> from_day,
                                        std::optional<int32_t> to_day, Scratch& scratch);
  // The window's sums from a dimension caught up.
  static Window Sum(const Dim& dim, std::optional<uint32_t> kind, std::optional<int32_t> from_day,
                    std::optional<int32_t> to_day);

  struct Slot {
    std::shared_mutex mu;  // guards dim: caught up alone, summed side by side
    Dim dim;
    uint64_t resets = 0;  // times dim was emptied
  };
  std::mutex mu_;  // guards dims_ (never erased: its slots stay put)
  std::map<GroupBy, Slot> dims_;
};

}  // namespace attrib::query
