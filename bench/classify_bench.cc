// Classifier throughput on one core (BLUEPRINT §8: ≥ 5 M classifications/s). Inputs are the
// demo shop's traffic: every page view of 50,000 sessions (most with an internal referrer, as
// on a real site), or only the sessions' entry page views (all external: the harder mix).
#include <benchmark/benchmark.h>

#include "attrib/classify.h"
#include "common/url.h"
#include "demo/traffic.h"

namespace attrib {
namespace {

// Visits laid out back to back in one buffer, read in order, as a batch job reads its input.
struct Visits {
  std::string arena;
  std::vector<std::pair<size_t, size_t>> url, referrer;  // offset, size
  size_t size() const { return url.size(); }
  std::string_view Url(size_t i) const {
    return std::string_view(arena).substr(url[i].first, url[i].second);
  }
  std::string_view Referrer(size_t i) const {
    return std::string_view(arena).substr(referrer[i].first, referrer[i].second);
  }
  void Add(const demo::PageView& v) {
    url.emplace_back(arena.size(), v.url.size());
    arena += v.url;
    referrer.emplace_back(arena.size(), v.referrer.size());
    arena += v.referrer;
  }
};

struct Mix {
  Visits all, entries;
};

const Mix& TheMix() {
  static const Mix* mix = [] {
    auto* m = new Mix;
    demo::TrafficGenerator traffic(1);
    std::vector<demo::PageView> session;
    for (int i = 0; i < 50000; ++i) {
      session.clear();
      traffic.NextSession(&session);
      m->entries.Add(session.front());
      for (const auto& v : session) m->all.Add(v);
    }
    return m;
  }();
  return *mix;
}

void Classify(benchmark::State& state, const Visits& views) {
  const auto classifier = Classifier::Create();
  if (!classifier.ok()) {
    state.SkipWithError(classifier.status().ToString().c_str());
    return;
  }
  Classification out;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(classifier->Classify({views.Url(i), views.Referrer(i), ""}, &out));
    if (++i == views.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_ClassifyPageViews(benchmark::State& state) { Classify(state, TheMix().all); }
void BM_ClassifySessionEntries(benchmark::State& state) { Classify(state, TheMix().entries); }

void BM_SplitUrl(benchmark::State& state) {
  const auto& views = TheMix().all;
  UrlParts parts;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(SplitUrl(views.Url(i), &parts));
    if (++i == views.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK(BM_ClassifyPageViews);
BENCHMARK(BM_ClassifySessionEntries);
BENCHMARK(BM_SplitUrl);

}  // namespace
}  // namespace attrib
