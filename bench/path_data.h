// The synthetic journeys of the data-driven benchmarks (BLUEPRINT §8), shared by
// data_driven_bench.cc and make_path_table.cc (which writes them as a ChannelAttribution file
// for `attrib paths`).
//
// 1,000,000 journeys of 1–12 touchpoints (geometric, mean 2.9) over 15 channels of unequal
// reach (channel c is picked with weight 1 / (c + 2)); the next touchpoint repeats the last
// channel with probability 0.3. Each channel lifts the odds of converting by its own factor, so
// the data carry a signal; about 5.6 % of journeys convert, at 20–300 a conversion.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "attribution/paths.h"
#include "common/flat_map.h"
#include "common/rng.h"

namespace attrib::bench {

inline constexpr uint32_t kChannels = 15;

inline PathTable MakeRawJourneys() {
  Rng rng(2026);
  double weights[kChannels], total = 0;
  for (uint32_t c = 0; c < kChannels; ++c) total += weights[c] = 1.0 / (c + 2);
  const auto pick = [&] {
    double x = rng.Uniform() * total;
    for (uint32_t c = 0; c < kChannels; ++c) {
      if ((x -= weights[c]) < 0) return c;
    }
    return kChannels - 1;
  };
  PathTable table;
  std::vector<uint32_t> path;
  for (int i = 0; i < 1'000'000; ++i) {
    path.clear();
    double odds = 0.02;
    do {
      const uint32_t c = !path.empty() && rng.Chance(0.3) ? path.back() : pick();
      path.push_back(c);
      odds *= 1.0 + 0.08 * (c % 5);
    } while (path.size() < 12 && rng.Chance(0.6));
    const bool converted = rng.Chance(odds / (1 + odds));
    table.Add(path, PathOutcome{converted ? 1.0 : 0.0,
                                converted ? 20.0 + static_cast<double>(rng.Below(281)) : 0.0,
                                converted ? 0.0 : 1.0});
  }
  return table;
}

inline const PathTable& RawJourneys() {
  static const PathTable* table = new PathTable(MakeRawJourneys());
  return *table;
}

// One row per distinct path, outcomes summed, in order of first appearance.
inline const PathTable& AggregatedRows() {
  static const PathTable* table = [] {
    const PathTable& raw = RawJourneys();
    FlatStringMap<uint32_t> ids;
    std::vector<size_t> first;
    std::vector<PathOutcome> sums;
    for (size_t row = 0; row < raw.size(); ++row) {
      const std::span<const uint32_t> p = raw.path(row);
      uint32_t& id = ids[std::string_view(reinterpret_cast<const char*>(p.data()), p.size_bytes())];
      if (id == 0) {
        first.push_back(row);
        sums.emplace_back();
        id = static_cast<uint32_t>(sums.size());
      }
      sums[id - 1].conversions += raw.outcome(row).conversions;
      sums[id - 1].value += raw.outcome(row).value;
      sums[id - 1].nulls += raw.outcome(row).nulls;
    }
    auto* t = new PathTable;
    for (size_t i = 0; i < first.size(); ++i) t->Add(raw.path(first[i]), sums[i]);
    return t;
  }();
  return *table;
}

}  // namespace attrib::bench
