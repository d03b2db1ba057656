// The eight heuristic models on 1,000,000 journeys, one core (BLUEPRINT §8: ≤ 0.15 s; peers:
// ChannelAttribution 1.22 s for three models). Journeys of 1–8 touchpoints (mean 3.2) over 12
// channels in the 30 days before each conversion, laid out back to back.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "attrib/attribution.h"
#include "common/rng.h"

namespace attrib {
namespace {

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kConversion = 1'800'000'000'000'000;

struct Journeys {
  std::vector<Touchpoint> touchpoints;  // all journeys, back to back
  std::vector<uint32_t> begin;          // journey i is [begin[i], begin[i + 1])
};

const Journeys& MillionJourneys() {
  static const Journeys* journeys = [] {
    auto* j = new Journeys;
    Rng rng(7);
    for (int i = 0; i < 1'000'000; ++i) {
      j->begin.push_back(static_cast<uint32_t>(j->touchpoints.size()));
      const int n = 1 + static_cast<int>(rng.Below(rng.Chance(0.7) ? 4 : 8));
      const size_t first = j->touchpoints.size();
      for (int k = 0; k < n; ++k) {
        const auto channel = static_cast<uint32_t>(rng.Below(12));
        j->touchpoints.push_back(
            {channel, channel == 0, kConversion - static_cast<Micros>(rng.Below(30 * kDay))});
      }
      std::sort(j->touchpoints.begin() + static_cast<long>(first), j->touchpoints.end(),
                [](const Touchpoint& a, const Touchpoint& b) { return a.at < b.at; });
    }
    j->begin.push_back(static_cast<uint32_t>(j->touchpoints.size()));
    return j;
  }();
  return *journeys;
}

// Journey by journey, every model at once, as the pipeline credits a conversion; each model's
// credits land in an array of their own.
void BM_EightModelsOnMillionJourneys(benchmark::State& state) {
  const Journeys& j = MillionJourneys();
  std::vector<std::vector<double>> credits(kHeuristicModelCount,
                                           std::vector<double>(j.touchpoints.size()));
  const HeuristicOptions options;
  for (auto _ : state) {
    for (size_t i = 0; i + 1 < j.begin.size(); ++i) {
      const std::span<const Touchpoint> tps(j.touchpoints.data() + j.begin[i],
                                            j.begin[i + 1] - j.begin[i]);
      std::span<double> out[kHeuristicModelCount];
      for (int m = 0; m < kHeuristicModelCount; ++m) {
        out[m] = std::span<double>(credits[m].data() + j.begin[i], tps.size());
      }
      CreditJourneyAllModels(tps, kConversion, options, out);
    }
    for (const auto& c : credits) benchmark::DoNotOptimize(c.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1'000'000);
}

BENCHMARK(BM_EightModelsOnMillionJourneys)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace attrib
