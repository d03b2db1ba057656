#include "query/path_index.h"

#include <algorithm>
#include <string_view>

#include "attribution/fixed.h"
#include "query/store_report.h"

namespace attrib::query {
namespace {

std::string_view Bytes(const std::vector<uint32_t>& ids) {
  return std::string_view(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(uint32_t));
}

// Keys of the filters: the paths every filter shares, all conversion events, one of them.
int32_t FilterKey(std::optional<uint32_t> kind, bool shared) {
  return shared ? -1 : kind ? static_cast<int32_t>(*kind) + 1 : 0;
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

Status PathIndex::CatchUp(Store& store, GroupBy by, Dim& dim, std::optional<uint32_t> kind,
                          bool shared) {
  Filter& filter = dim.filters[FilterKey(kind, shared)];
  ATTRIB_ASSIGN_OR_RETURN(PathDays read, store.ReadPathDays(PathDaysQuery{
                                             static_cast<int>(by), kind, shared, filter.stamp}));
  filter.stamp = read.stamp;
  if (read.days.empty()) return Status::Ok();
  bool renamed = false;
  for (auto& [id, value] : read.group_values) {
    if (id >= dim.named.size()) {
      dim.named.resize(id + 1, false);
      dim.values.resize(id + 1);
    }
    if (dim.named[id] && dim.values[id] == value) continue;
    dim.named[id] = true;
    dim.values[id] = std::move(value);
    renamed = true;
  }
  if (renamed) {
    std::vector<std::pair<std::vector<std::string>, uint32_t>> keys;
    for (uint32_t id = 0; id < dim.named.size(); ++id) {
      if (dim.named[id]) keys.emplace_back(GroupKey(dim.values[id], by), id);
    }
    std::sort(keys.begin(), keys.end());
    dim.by_key.clear();
    for (const auto& k : keys) dim.by_key.push_back(k.second);
  }
  for (PathDays::Day& day : read.days) {
    std::vector<Row>& rows = filter.days[day.day];
    rows.clear();
    for (const GroupPath& p : day.paths) {
      if (p.groups.empty()) continue;
      for (const uint32_t g : p.groups) {
        if (g >= dim.named.size() || !dim.named[g]) {
          return Status::Internal("store: a journey path names no group");
        }
      }
      rows.push_back(
          Row{InternPath(dim, p.groups), p.conversions, p.nulls, static_cast<int64_t>(p.revenue)});
    }
    if (rows.empty()) filter.days.erase(day.day);
  }
  return Status::Ok();
}

Result<PathIndex::Window> PathIndex::Learn(Store& store, GroupBy by, std::optional<uint32_t> kind,
                                           std::optional<int32_t> from_day,
                                           std::optional<int32_t> to_day) {
  std::lock_guard lock(mu_);
  Dim& dim = dims_[by];
  ATTRIB_RETURN_IF_ERROR(CatchUp(store, by, dim, kind, true));
  ATTRIB_RETURN_IF_ERROR(CatchUp(store, by, dim, kind, false));

  // 1. Each path's journeys in the window: its rows under both filters, every day.
  struct Sums {
    uint64_t conversions = 0, nulls = 0;
    Fixed revenue = 0;
    void Add(uint64_t c, uint64_t n, Fixed r) {
      conversions += c;
      nulls += n;
      revenue += r;
    }
  };
  std::vector<Sums> path_sums(dim.last.size());
  std::vector<uint32_t> touched;
  for (const int32_t key : {FilterKey(kind, true), FilterKey(kind, false)}) {
    const Filter& filter = dim.filters[key];
    auto day = from_day ? filter.days.lower_bound(*from_day) : filter.days.begin();
    const auto end = to_day ? filter.days.lower_bound(*to_day) : filter.days.end();
    for (; day != end; ++day) {
      for (const Row& r : day->second) {
        Sums& s = path_sums[r.path];
        if (s.conversions == 0 && s.nulls == 0) touched.push_back(r.path);
        s.Add(r.conversions, r.nulls, r.revenue);
      }
    }
  }

  // 2. … into the chain's steps, the groups where journeys end, and the channel sets.
  std::vector<uint64_t> step_counts(dim.step_ends.size(), 0);
  std::vector<Sums> ended(dim.named.size()), set_sums(dim.set_begin.size() - 1);
  Window w;
  for (const uint32_t p : touched) {
    const Sums& s = path_sums[p];
    if (s.conversions == 0 && s.nulls == 0) continue;
    ++w.learnt.distinct_paths;
    for (uint32_t k = dim.step_begin[p]; k < dim.step_begin[p + 1]; ++k) {
      step_counts[dim.steps[k]] += s.conversions + s.nulls;
    }
    ended[dim.last[p]].Add(s.conversions, s.nulls, s.revenue);
    set_sums[dim.set_of[p]].Add(s.conversions, s.nulls, s.revenue);
  }

  // 3. The groups used, numbered in key order.
  std::vector<uint32_t> number(dim.named.size(), kNoGroup);
  for (uint32_t set = 0; set < set_sums.size(); ++set) {
    if (set_sums[set].conversions == 0 && set_sums[set].nulls == 0) continue;
    for (uint32_t k = dim.set_begin[set]; k < dim.set_begin[set + 1]; ++k) {
      number[dim.set_members[k]] = 0;
    }
  }
  for (const uint32_t g : dim.by_key) {
    if (number[g] == kNoGroup) continue;
    number[g] = static_cast<uint32_t>(w.values.size());
    w.values.push_back(dim.values[g]);
  }
  const auto channels = static_cast<uint32_t>(w.values.size());

  // 4. The chain, as OrderOneChain (data_driven.cc) makes it from the same journeys.
  MarkovChain& chain = w.learnt.chain;
  chain.channels = channels;
  chain.states.resize(3 + channels);
  for (uint32_t c = 0; c < channels; ++c) chain.states[3 + c] = {c};
  for (uint32_t t = 0; t < step_counts.size(); ++t) {
    if (step_counts[t] == 0) continue;
    const auto [from, to] = dim.step_ends[t];
    chain.transitions.push_back(MarkovTransition{from == kNoGroup ? kStartState : 3 + number[from],
                                                 3 + number[to],
                                                 static_cast<double>(step_counts[t]), 0});
  }
  chain.ended_conversions.assign(3 + channels, 0.0);
  chain.ended_value.assign(3 + channels, 0.0);
  Sums totals;
  for (uint32_t g = 0; g < ended.size(); ++g) {
    const Sums& e = ended[g];
    if (e.conversions == 0 && e.nulls == 0) continue;
    const uint32_t state = 3 + number[g];
    if (e.conversions != 0) {
      chain.transitions.push_back(
          MarkovTransition{state, kConversionState, static_cast<double>(e.conversions), 0});
    }
    if (e.nulls != 0) {
      chain.transitions.push_back(
          MarkovTransition{state, kNullState, static_cast<double>(e.nulls), 0});
    }
    chain.ended_conversions[state] = static_cast<double>(e.conversions);
    chain.ended_value[state] = FromFixed(e.revenue, kRevenueScale);
    totals.Add(e.conversions, e.nulls, e.revenue);
  }
  std::sort(chain.transitions.begin(), chain.transitions.end(),
            [](const MarkovTransition& a, const MarkovTransition& b) {
              return a.from != b.from ? a.from < b.from : a.to < b.to;
            });
  chain.totals =
      PathOutcome{static_cast<double>(totals.conversions), FromFixed(totals.revenue, kRevenueScale),
                  static_cast<double>(totals.nulls)};

  // 5. The channel sets, in channel numbers, sorted by their members.
  std::vector<std::pair<std::vector<uint32_t>, uint32_t>> sets;
  for (uint32_t set = 0; set < set_sums.size(); ++set) {
    if (set_sums[set].conversions == 0 && set_sums[set].nulls == 0) continue;
    std::vector<uint32_t> members;
    for (uint32_t k = dim.set_begin[set]; k < dim.set_begin[set + 1]; ++k) {
      members.push_back(number[dim.set_members[k]]);
    }
    std::sort(members.begin(), members.end());
    sets.emplace_back(std::move(members), set);
  }
  std::sort(sets.begin(), sets.end());
  for (const auto& [members, set] : sets) {
    const Sums& s = set_sums[set];
    w.learnt.sets.Add(
        members, PathOutcome{static_cast<double>(s.conversions),
                             FromFixed(s.revenue, kRevenueScale), static_cast<double>(s.nulls)});
  }
  w.learnt.sets.channels = channels;
  return w;
}

}  // namespace attrib::query
