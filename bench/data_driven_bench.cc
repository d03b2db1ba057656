// The data-driven models on 1,000,000 raw journeys over 15 channels (path_data.h), one core
// (BLUEPRINT §8: Markov order 1 ≤ 0.2 s, order 3 ≤ 1.5 × order 1, exact Shapley ≤ 0.25 s), and
// Markov on the same journeys aggregated into one row per distinct path (≤ 30 ms).
#include <benchmark/benchmark.h>

#include "attribution/markov.h"
#include "attribution/shapley.h"
#include "path_data.h"

namespace attrib {
namespace {

using bench::AggregatedRows;
using bench::RawJourneys;

void RunMarkov(benchmark::State& state, const PathTable& table) {
  const MarkovOptions options{.order = static_cast<int>(state.range(0))};
  for (auto _ : state) {
    Result<MarkovResult> r = Markov(table, options);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["rows"] = static_cast<double>(table.size());
}

void BM_MarkovRawJourneys(benchmark::State& state) { RunMarkov(state, RawJourneys()); }
void BM_MarkovAggregatedRows(benchmark::State& state) { RunMarkov(state, AggregatedRows()); }

void BM_ShapleyRawJourneys(benchmark::State& state) {
  const PathTable& table = RawJourneys();
  for (auto _ : state) {
    Result<ShapleyResult> r = Shapley(table, ShapleyOptions{});
    if (!r.ok() || r->sampled_sets != 0) state.SkipWithError("not exact");
    benchmark::DoNotOptimize(r);
  }
}

void BM_ShapleySimplifiedRawJourneys(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ShapleySimplified(RawJourneys()));
}

BENCHMARK(BM_MarkovRawJourneys)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MarkovAggregatedRows)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ShapleyRawJourneys)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ShapleySimplifiedRawJourneys)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace attrib
