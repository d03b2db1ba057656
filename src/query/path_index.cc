#include "query/path_index.h"

#include <algorithm>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

#include "query/store_report.h"
#include "storage/aggregates.h"

namespace attrib::query {
namespace {

std::string_view Bytes(const std::vector<uint32_t>& ids) {
  return std::string_view(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(uint32_t));
}

// The store's filters (storage/aggregates.h): the paths every filter shares, all conversion
// events, one of them.
int32_t FilterKey(std::optional<uint32_t> kind, bool shared) {
  return shared ? storage::kAnyFilter : kind ? storage::KindFilter(*kind) : storage::kAllKinds;
}

}  // namespace

uint32_t PathIndex::InternPath(Dim& dim, const std::vector<uint32_t>& groups) {
  uint32_t& id = dim.path_ids[Bytes(groups)];
  if (id != 0) return id - 1;
  id = static_cast<uint32_t>(dim.last.size()) + 1;
  uint32_t from = kNoGroup;  // (start)
  for (const uint32_t g : groups) {
    if (g == from) continue;                                           // a repeat
    uint32_t& step = dim.step_ids[MixBits(uint64_t{from} << 32 | g)];  // never 0: from ≠ g
    if (step == 0) {
      dim.step_ends.emplace_back(from, g);
      step = static_cast<uint32_t>(dim.step_ends.size());
    }
    dim.steps.push_back(step - 1);
    from = g;
  }
  dim.step_begin.push_back(static_cast<uint32_t>(dim.steps.size()));
  dim.last.push_back(from);
  std::vector<uint32_t> set = groups;
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  uint32_t& set_id = dim.set_ids[Bytes(set)];
  if (set_id == 0) {
    dim.set_members.insert(dim.set_members.end(), set.begin(), set.end());
    dim.set_begin.push_back(static_cast<uint32_t>(dim.set_members.size()));
    set_id = static_cast<uint32_t>(dim.set_begin.size()) - 1;
  }
  dim.set_of.push_back(set_id - 1);
  return id - 1;
}

Result<int64_t> PathIndex::CatchUp(AggregateReader& store, GroupBy by, Dim& dim,
                                   std::optional<uint32_t> kind, bool shared) {
  Filter& filter = dim.filters[FilterKey(kind, shared)];
  ATTRIB_ASSIGN_OR_RETURN(PathDays read, store.ReadPathDays(PathDaysQuery{
                                             static_cast<int>(by), kind, shared, filter.stamp,
                                             static_cast<uint32_t>(dim.named.size())}));
  if (read.project_stamp < filter.stamp) {
    dim = Dim();
    return 0;
  }
  if (read.days.empty()) return read.project_stamp;
  const bool named = !read.group_values.empty();  // new groups: the ranks change
  for (auto& [id, value] : read.group_values) {
    if (id >= dim.named.size()) {
      dim.named.resize(id + 1, false);
      dim.values.resize(id + 1);
    }
    dim.named[id] = true;
    dim.values[id] = std::move(value);
  }
  if (named) {
    std::vector<std::pair<std::vector<std::string>, uint32_t>> keys;
    for (uint32_t id = 0; id < dim.named.size(); ++id) {
      if (dim.named[id]) keys.emplace_back(GroupKey(dim.values[id], by), id);
    }
    std::sort(keys.begin(), keys.end());
    dim.by_key.clear();
    dim.rank.assign(dim.named.size(), 0);
    for (const auto& k : keys) {
      dim.rank[k.second] = static_cast<uint32_t>(dim.by_key.size());
      dim.by_key.push_back(k.second);
    }
  }
  for (PathDays::Day& day : read.days) {
    std::vector<Row>& rows = filter.days[day.day];
    rows.clear();
    for (const GroupPath& p : day.paths) {
      if (p.groups.empty() || (p.conversions == 0 && p.nulls == 0)) continue;  // no journey
      for (const uint32_t g : p.groups) {
        if (g >= dim.named.size() || !dim.named[g]) {
          return Status::Internal("store: a journey path names no group");
        }
      }
      rows.push_back(
          Row{InternPath(dim, p.groups), p.conversions, p.nulls, static_cast<int64_t>(p.revenue)});
    }
    // In path order: a window's sums then walk the paths' arrays forwards.
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.path < b.path; });
    if (rows.empty()) filter.days.erase(day.day);
  }
  OrderSets(dim, named);
  filter.stamp = read.stamp;  // last: a read that failed part-way is not taken as done
  return read.project_stamp;
}

void PathIndex::OrderSets(Dim& dim, bool reranked) {
  const size_t sets = dim.set_begin.size() - 1;
  if (!reranked && dim.sets_in_order == sets) return;
  const size_t from = reranked ? 0 : dim.sets_in_order;
  dim.ranked_members.resize(dim.set_members.size());
  for (size_t set = from; set < sets; ++set) {
    const auto begin = dim.ranked_members.begin() + dim.set_begin[set];
    const auto end = dim.ranked_members.begin() + dim.set_begin[set + 1];
    for (auto m = begin; m != end; ++m) {
      *m = dim.rank[dim.set_members[m - dim.ranked_members.begin()]];
    }
    std::sort(begin, end);
  }
  std::vector<uint32_t> order(sets);
  for (uint32_t set = 0; set < sets; ++set) order[set] = set;
  const auto members = [&dim](uint32_t set) {
    return std::span(dim.ranked_members.data() + dim.set_begin[set],
                     dim.set_begin[set + 1] - dim.set_begin[set]);
  };
  std::sort(order.begin(), order.end(), [&members](uint32_t a, uint32_t b) {
    const auto x = members(a), y = members(b);
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
  });
  dim.position.resize(sets);
  dim.ordered_begin.assign(1, 0);
  dim.ordered_ranks.clear();
  for (uint32_t at = 0; at < sets; ++at) {
    dim.position[order[at]] = at;
    const auto m = members(order[at]);
    dim.ordered_ranks.insert(dim.ordered_ranks.end(), m.begin(), m.end());
    dim.ordered_begin.push_back(static_cast<uint32_t>(dim.ordered_ranks.size()));
  }
  dim.sets_in_order = sets;
}

template <typename Read>
auto PathIndex::CaughtUp(AggregateReader& store, GroupBy by, std::optional<uint32_t> kind,
                         std::optional<int32_t> from_day, std::optional<int32_t> to_day, Read read)
    -> Result<decltype(read(std::declval<const Dim&>()))> {
  if (from_day && to_day && *from_day > *to_day) {
    return Status::InvalidArgument("the window ends before it starts");
  }
  Slot& slot = [&]() -> Slot& {
    std::lock_guard lock(mu_);
    return dims_[by];
  }();
  const int32_t shared_key = FilterKey(kind, true), own_key = FilterKey(kind, false);
  const auto stamps = [&slot, shared_key, own_key] {
    const auto stamp = [&slot](int32_t key) {
      const auto f = slot.dim.filters.find(key);
      return f == slot.dim.filters.end() ? int64_t{-1} : f->second.stamp;
    };
    return std::tuple(slot.resets, stamp(shared_key), stamp(own_key));
  };
  for (;;) {
    std::tuple<uint64_t, int64_t, int64_t> caught_up;
    {
      std::unique_lock lock(slot.mu);
      // Both filters as of one state of the store: a person's first conversion moves their
      // journeys from the shared filter to the others, and must not be read on both sides.
      for (int attempt = 0;; ++attempt) {
        Result<int64_t> shared = CatchUp(store, by, slot.dim, kind, true);
        Result<int64_t> own = shared.ok() ? CatchUp(store, by, slot.dim, kind, false) : shared;
        if (!own.ok()) {
          slot.dim = Dim();  // whatever was read part-way
          ++slot.resets;
          return own.status();
        }
        if (*shared == 0 || *own == 0) ++slot.resets;
        if ((*shared == *own && *own != 0) || attempt == 4) break;
      }
      caught_up = stamps();
    }
    // Windows of the dimension are read side by side, each into its thread's scratch.
    std::shared_lock lock(slot.mu);
    if (stamps() == caught_up) return read(slot.dim);
    // Emptied, or either filter caught up further by another window: the two might no longer
    // be of one state of the store. Catch up again.
  }
}

Result<PathIndex::Window> PathIndex::Learn(AggregateReader& store, GroupBy by,
                                           std::optional<uint32_t> kind,
                                           std::optional<int32_t> from_day,
                                           std::optional<int32_t> to_day) {
  return CaughtUp(store, by, kind, from_day, to_day,
                  [&](const Dim& dim) { return Sum(dim, kind, from_day, to_day); });
}

Result<StepPaths> PathIndex::Steps(AggregateReader& store, GroupBy by, std::optional<uint32_t> kind,
                                   std::optional<int32_t> from_day, std::optional<int32_t> to_day) {
  return CaughtUp(store, by, kind, from_day, to_day, [&](const Dim& dim) {
    Scratch& scratch = ThreadScratch();
    if (scratch.path_sums.size() < dim.last.size()) scratch.path_sums.resize(dim.last.size());
    StepPaths out;
    // A path's steps (chain steps) name its groups, repeats taken as one: paths with the same
    // steps are summed together.
    FlatStringMap<uint32_t> by_steps;  // the steps' ids, as bytes → 1 + place in out.sums
    for (const uint32_t p : SumPaths(dim, kind, from_day, to_day, scratch)) {
      const JourneySums s = std::exchange(scratch.path_sums[p], JourneySums{});
      const std::span<const uint32_t> steps(dim.steps.data() + dim.step_begin[p],
                                            dim.step_begin[p + 1] - dim.step_begin[p]);
      uint32_t& place = by_steps[std::string_view(reinterpret_cast<const char*>(steps.data()),
                                                  steps.size_bytes())];
      if (place == 0) {
        for (const uint32_t step : steps) out.groups.push_back(dim.step_ends[step].second);
        out.begin.push_back(static_cast<uint32_t>(out.groups.size()));
        out.sums.emplace_back();
        place = static_cast<uint32_t>(out.sums.size());
      }
      out.sums[place - 1].Add(s.conversions, s.nulls, s.revenue);
    }
    out.values = dim.values;
    return out;
  });
}

PathIndex::Scratch& PathIndex::ThreadScratch() {
  thread_local Scratch scratch;  // all 0 between uses
  return scratch;
}

std::vector<uint32_t> PathIndex::SumPaths(const Dim& dim, std::optional<uint32_t> kind,
                                          std::optional<int32_t> from_day,
                                          std::optional<int32_t> to_day, Scratch& sc) {
  std::vector<uint32_t> touched;
  for (const int32_t key : {FilterKey(kind, true), FilterKey(kind, false)}) {
    const auto found = dim.filters.find(key);
    if (found == dim.filters.end()) continue;
    const Filter& filter = found->second;
    auto day = from_day ? filter.days.lower_bound(*from_day) : filter.days.begin();
    const auto end = to_day ? filter.days.lower_bound(*to_day) : filter.days.end();
    for (; day != end; ++day) {
      for (const Row& r : day->second) {
        JourneySums& s = sc.path_sums[r.path];
        if (s.empty()) touched.push_back(r.path);
        s.Add(r.conversions, r.nulls, r.revenue);
      }
    }
  }
  return touched;
}

PathIndex::Window PathIndex::Sum(const Dim& dim, std::optional<uint32_t> kind,
                                 std::optional<int32_t> from_day, std::optional<int32_t> to_day) {
  Scratch& sc = ThreadScratch();
  const size_t set_count = dim.set_begin.size() - 1;
  if (sc.path_sums.size() < dim.last.size()) sc.path_sums.resize(dim.last.size());
  if (sc.set_sums.size() < set_count) sc.set_sums.resize(set_count);
  if (sc.ended.size() < dim.named.size()) sc.ended.resize(dim.named.size());
  if (sc.step_counts.size() < dim.step_ends.size()) sc.step_counts.resize(dim.step_ends.size());

  // 1. Each path's journeys in the window: its rows under both filters, every day.
  const std::vector<uint32_t> touched = SumPaths(dim, kind, from_day, to_day, sc);

  // 2. … into the chain's steps, the groups where journeys end, and the channel sets: in path
  // order when the window has most paths (the arrays walked forwards), else as touched.
  Window w;
  const auto add = [&](uint32_t p) {
    JourneySums& s = sc.path_sums[p];
    if (s.empty()) return;
    ++w.learnt.distinct_paths;
    for (uint32_t k = dim.step_begin[p]; k < dim.step_begin[p + 1]; ++k) {
      sc.step_counts[dim.steps[k]] += s.conversions + s.nulls;
    }
    sc.ended[dim.last[p]].Add(s.conversions, s.nulls, s.revenue);
    sc.set_sums[dim.position[dim.set_of[p]]].Add(s.conversions, s.nulls, s.revenue);
    s = JourneySums{};
  };
  if (touched.size() * 4 >= dim.last.size()) {
    // The sets' sums are far apart (by the paths' sets): each is fetched a few paths ahead.
    constexpr uint32_t kAhead = 16;
    const auto paths = static_cast<uint32_t>(dim.last.size());
    for (uint32_t p = 0; p < paths; ++p) {
      if (p + kAhead < paths) {
        __builtin_prefetch(&sc.set_sums[dim.position[dim.set_of[p + kAhead]]], 1);
      }
      add(p);
    }
  } else {
    for (const uint32_t p : touched) add(p);
  }

  // 3. The groups used, numbered in key order.
  std::vector<uint32_t> number(dim.by_key.size(), kNoGroup);  // by rank
  for (uint32_t at = 0; at < set_count; ++at) {
    if (sc.set_sums[at].empty()) continue;
    for (uint32_t k = dim.ordered_begin[at]; k < dim.ordered_begin[at + 1]; ++k) {
      number[dim.ordered_ranks[k]] = 0;
    }
  }
  for (uint32_t r = 0; r < number.size(); ++r) {
    if (number[r] == kNoGroup) continue;
    number[r] = static_cast<uint32_t>(w.values.size());
    w.values.push_back(dim.values[dim.by_key[r]]);
  }
  const auto channels = static_cast<uint32_t>(w.values.size());
  const auto channel = [&](uint32_t group) { return number[dim.rank[group]]; };

  // 4. The chain, as from the same journeys' paths (data_driven.h).
  std::vector<MarkovTransition> steps;
  for (uint32_t t = 0; t < dim.step_ends.size(); ++t) {
    if (sc.step_counts[t] == 0) continue;
    const auto [from, to] = dim.step_ends[t];
    steps.push_back(MarkovTransition{from == kNoGroup ? kStartState : 3 + channel(from),
                                     3 + channel(to), static_cast<double>(sc.step_counts[t]), 0});
    sc.step_counts[t] = 0;
  }
  std::vector<JourneySums> ended(channels);
  for (uint32_t g = 0; g < dim.named.size(); ++g) {
    const JourneySums e = std::exchange(sc.ended[g], JourneySums{});
    if (!e.empty()) ended[channel(g)] = e;
  }
  w.learnt.chain = OrderOneChain(channels, std::move(steps), ended);

  // 5. The channel sets, in channel numbers, sorted by their members: in their order.
  std::vector<uint32_t> members;
  ChannelSets& sets = w.learnt.sets;
  sets.members.reserve(dim.ordered_ranks.size());
  sets.begin.reserve(set_count + 1);
  sets.outcomes.reserve(set_count);
  for (uint32_t at = 0; at < set_count; ++at) {
    const JourneySums s = std::exchange(sc.set_sums[at], JourneySums{});
    if (s.empty()) continue;
    members.clear();
    for (uint32_t k = dim.ordered_begin[at]; k < dim.ordered_begin[at + 1]; ++k) {
      members.push_back(number[dim.ordered_ranks[k]]);
    }
    sets.Add(members,
             PathOutcome{static_cast<double>(s.conversions), FromFixed(s.revenue, kRevenueScale),
                         static_cast<double>(s.nulls)});
  }
  w.learnt.sets.channels = channels;
  return w;
}

}  // namespace attrib::query
