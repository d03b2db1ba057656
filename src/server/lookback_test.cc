// Answers at another lookback than the project's (Store::AtLookback, the query API's
// lookback_days): they must be what a store that derived the same events with that lookback
// answers, report for report and byte for byte.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>

#include "common/rng.h"
#include "common/time.h"
#include "query/journey_json.h"
#include "query/path_index.h"
#include "query/report_rows.h"
#include "query/store_report.h"
#include "server/api.h"
#include "server/server_fixture.h"
#include "storage/ingest_rows.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::server {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the fixture and its client

constexpr Micros kDay = journey::kDay;

class LookbackTest : public ServerTest {
 protected:
  // A store of its own for the project `name` derived with `lookback`.
  std::unique_ptr<Store> OpenAt(const std::string& file, Micros lookback) {
    const query::AnalysisOptions defaults;
    StoreOptions so;
    so.project = "shop";
    so.settings.person =
        PersonOptions{defaults.sessions, defaults.conversions, defaults.heuristics};
    so.settings.person.conversions.lookback = lookback;
    Result<std::unique_ptr<Store>> store =
        OpenSqliteStore(dir_ + "/" + file, so, *classifier_, clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Appends a /v1/batch document to `store` as the server takes it, and derives.
  void Append(Store& store, const std::string& batch, Micros lookback) {
    const query::AnalysisOptions d;
    PersonOptions person{d.sessions, d.conversions, d.heuristics};
    person.conversions.lookback = lookback;
    storage::RowBuilder builder(*classifier_, person, kNow);
    const std::string padded = batch + std::string(simdjson::SIMDJSON_PADDING, ' ');
    const IngestBatch parsed =
        ParseIngest(builder, "/v1/batch", kNow, std::string_view(padded.data(), batch.size()));
    ASSERT_EQ(parsed.bad_rows.size(), 0u);
    ASSERT_TRUE(store.Append(std::span(&parsed, 1)).ok());
    ASSERT_TRUE(store.Derive({}).ok());
  }
};

// Every report of `a` equals `b`'s: each dimension, window and conversion filter, every model
// (the data-driven ones learnt from each side's own path index), the commonest paths, and the
// heuristic models per week.
void ExpectSameReports(AggregateReader& a, query::PathIndex& a_paths, AggregateReader& b,
                       query::PathIndex& b_paths) {
  const query::AnalysisOptions defaults;
  std::vector<Model> all;
  for (int m = 0; m < kModelCount; ++m) all.push_back(static_cast<Model>(m));
  const Micros nov = *ParseIsoTime("2026-11-01T00:00:00Z");
  int rows = 0;
  for (int by = 0; by < storage::kDimCount; ++by) {
    for (const auto& [from, to] : std::vector<std::pair<int, int>>{{-1, -1}, {4, 12}, {10, 18}}) {
      for (const std::string event : {"", "Order Completed", "Signed Up"}) {
        SCOPED_TRACE(testing::Message()
                     << "by " << by << " days " << from << "–" << to << " " << event);
        query::AnalysisOptions o;
        o.group_by = static_cast<query::GroupBy>(by);
        o.data_driven = true;
        if (from >= 0) o.from = nov + from * kDay, o.to = nov + to * kDay;
        if (!event.empty()) o.only_conversions = {event};
        const Result<query::AnalysisResult> x = query::AnalyzeStore(a, o, &a_paths);
        const Result<query::AnalysisResult> y = query::AnalyzeStore(b, o, &b_paths);
        ASSERT_TRUE(x.ok() && y.ok());
        EXPECT_EQ(x->data_driven.error, "");
        EXPECT_EQ(query::ReportRowsJson(*x, all, o.group_by),
                  query::ReportRowsJson(*y, all, o.group_by));
        rows += static_cast<int>(x->rows.size());
        // … and without the path indexes: the paths read for the report.
        const Result<query::AnalysisResult> read = query::AnalyzeStore(a, o);
        ASSERT_TRUE(read.ok());
        EXPECT_EQ(query::ReportRowsJson(*read, all, o.group_by),
                  query::ReportRowsJson(*y, all, o.group_by));

        query::PathsOptions po;
        po.by = o.group_by;
        po.from = o.from;
        po.to = o.to;
        po.limit = 1000;
        if (!event.empty()) po.conversion = event;
        for (query::PathIndex* index : {&a_paths, static_cast<query::PathIndex*>(nullptr)}) {
          const Result<query::PathsResult> p =
              query::StorePaths(a, po, defaults.conversions, index);
          const Result<query::PathsResult> q =
              query::StorePaths(b, po, defaults.conversions, &b_paths);
          ASSERT_TRUE(p.ok() && q.ok());
          EXPECT_EQ(p->journeys, q->journeys);
          EXPECT_EQ(p->conversions, q->conversions);
          EXPECT_EQ(p->revenue, q->revenue);
          EXPECT_EQ(p->distinct_paths, q->distinct_paths);
          ASSERT_EQ(p->paths.size(), q->paths.size());
          for (size_t i = 0; i < p->paths.size(); ++i) {
            EXPECT_EQ(p->paths[i].steps, q->paths[i].steps) << i;
            EXPECT_EQ(p->paths[i].journeys, q->paths[i].journeys) << i;
            EXPECT_EQ(p->paths[i].conversions, q->paths[i].conversions) << i;
          }
        }
        if (by % 3 == 0) {
          o.data_driven = false;
          const Result<std::vector<query::PeriodRows>> pa =
              query::AnalyzeStoreByPeriod(a, o, Interval::kWeek);
          const Result<std::vector<query::PeriodRows>> pb =
              query::AnalyzeStoreByPeriod(b, o, Interval::kWeek);
          ASSERT_TRUE(pa.ok() && pb.ok());
          const std::vector<Model> heuristic(all.begin(), all.begin() + kHeuristicModelCount);
          EXPECT_EQ(query::PeriodRowsJson(*pa, heuristic, o.group_by),
                    query::PeriodRowsJson(*pb, heuristic, o.group_by));
        }
      }
    }
  }
  EXPECT_GT(rows, 200);
}

TEST_F(LookbackTest, AnswersAtAnotherLookbackAreThoseOfAStoreDerivedWithIt) {
  StartServer();
  // Visitors who come back over three weeks, from a few channels, and buy or sign up: a week's
  // lookback leaves out much of what a month's takes in.
  const char* referrers[] = {"https://www.google.com/", "https://m.facebook.com/", "",
                             "https://news.ycombinator.com/", "https://duckduckgo.com/"};
  Rng rng(7);
  int sent = 0;
  const auto traffic = [&](int visitors, const std::string& prefix) {
    std::vector<std::string> messages;
    for (int v = 0; v < visitors; ++v) {
      const std::string visitor = fmt::format("{}{}", prefix, v);
      int day = 1 + static_cast<int>(rng.Below(6));
      const int visits = 1 + static_cast<int>(rng.Below(5));
      for (int i = 0; i < visits && day < 18; ++i, day += 1 + static_cast<int>(rng.Below(6))) {
        const int referrer = static_cast<int>(rng.Below(std::size(referrers)));
        messages.push_back(Page(fmt::format("m{}", sent++), visitor,
                                fmt::format("https://shop.example/?utm_campaign=c{}", referrer),
                                referrers[referrer],
                                fmt::format("2026-11-{:02}T{:02}:00:00Z", day, 10 + i)));
        if (i == 1 && rng.Chance(0.3)) {
          messages.push_back(nlohmann::json({{"type", "track"},
                                             {"event", "Signed Up"},
                                             {"messageId", fmt::format("m{}", sent++)},
                                             {"anonymousId", visitor},
                                             {"timestamp", fmt::format("2026-11-{:02}T{:02}:30:00Z",
                                                                       day, 10 + i)}})
                                 .dump());
        }
      }
      if (rng.Chance(0.6)) {
        messages.push_back(Order(fmt::format("m{}", sent++), visitor,
                                 10 + static_cast<double>(rng.Below(90)),
                                 fmt::format("2026-11-{:02}T23:00:00Z", std::min(day, 17))));
      }
    }
    std::string batch = R"({"batch":[)";
    for (size_t i = 0; i < messages.size(); ++i) batch += (i ? "," : "") + messages[i];
    return batch + "]}";
  };
  const std::string first = traffic(120, "v");
  ASSERT_EQ(Post("/v1/batch", first, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  const Reply stats = GetUntil("/v1/stats", a_.read_key, [&](const Reply& x) {
    return x.status == 200 && x.json()["conversions"].get<int>() > 60;
  });
  ASSERT_GT(stats.json()["conversions"].get<int>(), 60) << stats.body;

  // The server's store (a month's lookback), and stores that derived the same events with a
  // week's and with 60 days'.
  std::unique_ptr<Store> month = OpenAt("store.db", 30 * kDay);
  std::unique_ptr<Store> week = OpenAt("week.db", 7 * kDay);
  std::unique_ptr<Store> sixty = OpenAt("sixty.db", 60 * kDay);
  ASSERT_TRUE(month && week && sixty);
  Append(*week, first, 7 * kDay);
  Append(*sixty, first, 60 * kDay);

  {
    SCOPED_TRACE("a week's view of the month's store");
    Result<std::unique_ptr<AggregateReader>> view = month->AtLookback(7 * kDay);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    query::PathIndex view_paths, week_paths;
    ExpectSameReports(**view, view_paths, *week, week_paths);
  }
  {
    SCOPED_TRACE("the month's own lookback, as a view");
    Result<std::unique_ptr<AggregateReader>> view = month->AtLookback(30 * kDay);
    ASSERT_TRUE(view.ok());
    query::PathIndex view_paths, month_paths;
    ExpectSameReports(**view, view_paths, *month, month_paths);
  }
  {
    SCOPED_TRACE("longer than the store's: from a week's store to the month's and to 60 days");
    Result<std::unique_ptr<AggregateReader>> to_month = week->AtLookback(30 * kDay);
    Result<std::unique_ptr<AggregateReader>> to_sixty = week->AtLookback(60 * kDay);
    ASSERT_TRUE(to_month.ok() && to_sixty.ok());
    query::PathIndex a, b, c, d;
    ExpectSameReports(**to_month, a, *month, b);
    ExpectSameReports(**to_sixty, c, *sixty, d);
  }
  // The lookback matters here: a week's linear credits are not a month's.
  query::AnalysisOptions o;
  o.data_driven = true;
  const Result<query::AnalysisResult> by_week = query::AnalyzeStore(*week, o);
  const Result<query::AnalysisResult> by_month = query::AnalyzeStore(*month, o);
  ASSERT_TRUE(by_week.ok() && by_month.ok());
  std::vector<Model> all;
  for (int m = 0; m < kModelCount; ++m) all.push_back(static_cast<Model>(m));
  EXPECT_NE(query::ReportRowsJson(*by_week, all, o.group_by),
            query::ReportRowsJson(*by_month, all, o.group_by));
  Result<std::unique_ptr<AggregateReader>> a_day = month->AtLookback(kDay);
  EXPECT_TRUE(a_day.ok());
  for (const Micros bad : {Micros{0}, 366 * kDay, kDay + 1}) {
    EXPECT_EQ(month->AtLookback(bad).status().code(), ErrorCode::kInvalidArgument);
  }

  // The query API: lookback_days answers as the week's store does.
  EXPECT_EQ(Get("/v1/attribution/compare?lookback_days=7", a_.read_key).body,
            query::ReportRowsJson(*by_week, all, o.group_by));
  EXPECT_EQ(Get("/v1/attribution/compare?lookback_days=30", a_.read_key).body,
            query::ReportRowsJson(*by_month, all, o.group_by));
  {
    query::AnalysisOptions weekly;
    weekly.data_driven = false;
    weekly.group_by = query::GroupBy::kSourceMedium;
    const Result<std::vector<query::PeriodRows>> periods =
        query::AnalyzeStoreByPeriod(*week, weekly, Interval::kDay);
    ASSERT_TRUE(periods.ok());
    const Model first_touch[] = {Model::kFirstTouch};
    EXPECT_EQ(Get("/v1/attribution?model=first_touch&by=source_medium&interval=day&lookback_days=7",
                  a_.read_key)
                  .body,
              query::PeriodRowsJson(*periods, first_touch, weekly.group_by));
  }
  {
    const nlohmann::json paths = Get("/v1/paths?lookback_days=7&limit=1000", a_.read_key).json();
    query::PathsOptions po;
    po.limit = 1000;
    const Result<query::PathsResult> expected =
        query::StorePaths(*week, po, query::AnalysisOptions().conversions);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(paths["distinct_paths"], expected->distinct_paths);
    ASSERT_EQ(paths["paths"].size(), expected->paths.size());
    for (size_t i = 0; i < expected->paths.size(); ++i) {
      EXPECT_EQ(paths["paths"][i]["steps"], expected->paths[i].steps);
      EXPECT_EQ(paths["paths"][i]["journeys"], expected->paths[i].journeys);
    }
  }
  // A person's trail: each conversion's touchpoints and credits as the week's store has them.
  int longer = 0;
  for (int v = 0; v < 120; ++v) {
    const std::string id = fmt::format("v{}", v);
    const Result<PersonJourney> expected = week->ReadJourney(id, false);
    const Result<PersonJourney> own = month->ReadJourney(id, false);
    ASSERT_TRUE(expected.ok() && own.ok());
    EXPECT_EQ(Get("/v1/journeys?lookback_days=7&anonymous_id=" + id, a_.read_key).body,
              query::JourneyJson(*expected).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace))
        << id;
    for (size_t c = 0; c < own->conversions.size(); ++c) {
      longer +=
          own->conversions[c].touchpoints.size() > expected->conversions[c].touchpoints.size();
    }
  }
  EXPECT_GT(longer, 10);  // journeys the week cuts short

  // Bad values are named; endpoints the lookback does not change do not take it.
  for (const std::string bad : {"0", "366", "7.5", "-7", "week", "07x"}) {
    const Reply r = Get("/v1/attribution?lookback_days=" + bad, a_.read_key);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_NE(r.json()["message"].get<std::string>().find("lookback_days"), std::string::npos);
  }
  EXPECT_EQ(Get("/v1/stats?lookback_days=7", a_.read_key).status, 400u);
  EXPECT_EQ(Get("/v1/sources?lookback_days=7", a_.read_key).status, 400u);

  // More traffic: the view is made again, and answers as the week's store with it.
  const std::string second = traffic(60, "w");
  ASSERT_EQ(Post("/v1/batch", second, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  Append(*week, second, 7 * kDay);
  const Result<query::AnalysisResult> after = query::AnalyzeStore(*week, o);
  ASSERT_TRUE(after.ok());
  const std::string expected_after = query::ReportRowsJson(*after, all, o.group_by);
  EXPECT_NE(expected_after, query::ReportRowsJson(*by_week, all, o.group_by));
  EXPECT_EQ(GetUntil("/v1/attribution/compare?lookback_days=7", a_.read_key,
                     [&](const Reply& r) { return r.body == expected_after; })
                .body,
            expected_after);
  // Made for the first query at a week, then again after the change (not for each query).
  const std::string metrics = MetricsWith({}).body;
  const std::string line = "\nattrib_lookback_views_made_total ";
  const size_t made = metrics.find(line);
  ASSERT_NE(made, std::string::npos);
  const int views = std::atoi(metrics.c_str() + made + line.size());
  EXPECT_GE(views, 2);
  EXPECT_LE(views, 3);
}

}  // namespace
}  // namespace attrib::server
