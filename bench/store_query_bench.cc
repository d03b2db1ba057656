// Report latency from a store, in process:
// `[PROJECT=name] attrib_store_query_bench STORE [QUERIES [compare]]` opens the store and runs
// reports the way a dashboard asks for them — every dimension, whole range or a random window of
// days, all conversions or one event — and prints the latency percentiles. Reports are a heuristic
// model's; `compare` runs every model, the data-driven ones too. Each answer is written as the
// query API's JSON, as the server does. A warm-up pass runs first (the page cache, like a server
// that has been up).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/rng.h"
#include "query/path_index.h"
#include "query/report_rows.h"
#include "query/store_report.h"
#include "storage/sqlite/sqlite_store.h"

int main(int argc, char** argv) {
  using namespace attrib;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s STORE [QUERIES]\n", argv[0]);
    return 2;
  }
  const int queries = argc > 2 ? std::atoi(argv[2]) : 2000;
  Result<Classifier> classifier = Classifier::Create();
  if (!classifier.ok()) return 1;
  const SystemClock clock;
  query::AnalysisOptions options;
  StoreOptions store_options;
  store_options.settings.person =
      PersonOptions{options.sessions, options.conversions, options.heuristics};
  store_options.create = false;
  if (const char* project = std::getenv("PROJECT")) store_options.project = project;
  Result<std::unique_ptr<Store>> store =
      OpenSqliteStore(argv[1], store_options, *classifier, clock);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  options.data_driven = argc > 3 && std::string_view(argv[3]) == "compare";
  // The demo month: October 2026 and a little around it.
  constexpr Micros kDay = 86'400'000'000;
  const Micros first = 20'727 * kDay;  // 2026-10-01
  query::PathIndex index;              // as the server keeps one per project
  Rng rng(1);
  std::vector<double> ms;
  std::vector<Model> models = {Model::kLinear};  // as the server's default model
  if (options.data_driven) {
    models.clear();
    for (int m = 0; m < kModelCount; ++m) models.push_back(static_cast<Model>(m));
  }
  size_t bytes = 0;
  for (int q = -200; q < queries; ++q) {
    options.group_by = static_cast<query::GroupBy>(rng.Below(7));
    options.from.reset();
    options.to.reset();
    if (rng.Below(2) == 1) {
      const auto a = static_cast<Micros>(rng.Below(31));
      const auto b = a + 1 + static_cast<Micros>(rng.Below(31 - a));
      options.from = first + a * kDay;
      options.to = first + b * kDay;
    }
    options.only_conversions.clear();
    if (rng.Below(4) == 0) options.only_conversions.push_back("Order Completed");
    const auto start = std::chrono::steady_clock::now();
    Result<query::AnalysisResult> r = query::AnalyzeStore(**store, options, &index);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
    const std::string json = query::ReportRowsJson(*r, models, options.group_by);
    const double elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    bytes += json.size();
    if (q >= 0) ms.push_back(elapsed);
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&ms](double p) { return ms[static_cast<size_t>(p * (ms.size() - 1))]; };
  std::printf(
      "%d %s queries: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (%.0f KB of JSON "
      "each on average)\n",
      queries, options.data_driven ? "compare" : "report", at(0.5), at(0.9), at(0.99), ms.back(),
      static_cast<double>(bytes) / (queries + 200) / 1e3);
  return 0;
}
