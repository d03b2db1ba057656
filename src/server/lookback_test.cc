// Answers at another lookback than the project's (Store::AtLookback, the query API's
// lookback_days): they must be what a store that derived the same events with that lookback
// answers, report for report and byte for byte.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <thread>

#include "common/rng.h"
#include "common/time.h"
#include "query/journey_json.h"
#include "query/path_index.h"
#include "query/report_rows.h"
#include "query/store_report.h"
#include "server/api.h"
#include "server/limits.h"
#include "server/server_fixture.h"
#include "storage/ingest_rows.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::server {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the fixture and its client

constexpr Micros kDay = journey::kDay;

// The configuration's settings, with `lookback`.
PersonOptions PersonAt(Micros lookback) {
  const query::AnalysisOptions d;
  PersonOptions person{d.sessions, d.conversions, d.heuristics};
  person.conversions.lookback = lookback;
  return person;
}

class LookbackTest : public ServerTest {
 protected:
  // A store of its own (a file in the test's directory) for the project "shop", deriving with
  // `person`.
  std::unique_ptr<Store> OpenAt(const std::string& file, const PersonOptions& person) {
    StoreOptions so;
    so.project = "shop";
    so.settings.person = person;
    Result<std::unique_ptr<Store>> store =
        OpenSqliteStore(dir_ + "/" + file, so, *classifier_, clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Appends a /v1/batch document to `store` as the server takes it, and derives.
  void Append(Store& store, const std::string& batch, const PersonOptions& person) {
    storage::RowBuilder builder(*classifier_, person, kNow);
    const std::string padded = batch + std::string(simdjson::SIMDJSON_PADDING, ' ');
    const IngestBatch parsed =
        ParseIngest(builder, "/v1/batch", kNow, std::string_view(padded.data(), batch.size()));
    ASSERT_EQ(parsed.bad_rows.size(), 0u);
    ASSERT_TRUE(store.Append(std::span(&parsed, 1)).ok());
    ASSERT_TRUE(store.Derive({}).ok());
  }
  // Sends a batch to the server's project "shop" and waits until it is credited.
  void Send(const std::string& batch, int at_least_conversions) {
    ASSERT_EQ(Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
    const Reply stats = GetUntil("/v1/stats", a_.read_key, [&](const Reply& x) {
      return x.status == 200 && x.json()["conversions"].get<int>() >= at_least_conversions;
    });
    ASSERT_GE(stats.json()["conversions"].get<int>(), at_least_conversions) << stats.body;
  }
  int ViewsMade() {
    const std::string metrics = MetricsWith({}).body;
    const std::string line = "\nattrib_lookback_views_made_total ";
    const size_t at = metrics.find(line);
    return at == std::string::npos ? -1 : std::atoi(metrics.c_str() + at + line.size());
  }
};

// Visitors who come back over three weeks, from a few channels, and buy or sign up: a week's
// lookback leaves out much of what a month's takes in. With `repeats`, some buy again days
// later, and some sign up and buy at the same instant.
class Traffic {
 public:
  std::string Batch(int visitors, const std::string& prefix, bool repeats = false) {
    static constexpr const char* kReferrers[] = {
        "https://www.google.com/", "https://m.facebook.com/", "", "https://news.ycombinator.com/",
        "https://duckduckgo.com/"};
    std::vector<std::string> messages;
    const auto signup = [&](const std::string& visitor, const std::string& at) {
      messages.push_back(nlohmann::json({{"type", "track"},
                                         {"event", "Signed Up"},
                                         {"messageId", fmt::format("m{}", sent_++)},
                                         {"anonymousId", visitor},
                                         {"timestamp", at}})
                             .dump());
    };
    const auto order = [&](const std::string& visitor, const std::string& at) {
      messages.push_back(Order(fmt::format("m{}", sent_++), visitor,
                               10 + static_cast<double>(rng_.Below(90)), at));
    };
    for (int v = 0; v < visitors; ++v) {
      const std::string visitor = fmt::format("{}{}", prefix, v);
      int day = 1 + static_cast<int>(rng_.Below(6));
      const int visits = 1 + static_cast<int>(rng_.Below(5));
      for (int i = 0; i < visits && day < 18; ++i, day += 1 + static_cast<int>(rng_.Below(6))) {
        const int referrer = static_cast<int>(rng_.Below(std::size(kReferrers)));
        messages.push_back(Page(fmt::format("m{}", sent_++), visitor,
                                fmt::format("https://shop.example/?utm_campaign=c{}", referrer),
                                kReferrers[referrer],
                                fmt::format("2026-11-{:02}T{:02}:00:00Z", day, 10 + i)));
        if (i == 1 && rng_.Chance(0.3)) {
          signup(visitor, fmt::format("2026-11-{:02}T{:02}:30:00Z", day, 10 + i));
        }
        if (repeats && i >= 1 && rng_.Chance(0.3)) {  // again, in the visit's session
          order(visitor, fmt::format("2026-11-{:02}T{:02}:10:00Z", day, 10 + i));
          order(visitor, fmt::format("2026-11-{:02}T{:02}:20:00Z", day, 10 + i));
        }
      }
      if (rng_.Chance(0.6)) {
        const std::string at = fmt::format("2026-11-{:02}T23:00:00Z", std::min(day, 17));
        order(visitor, at);
        if (repeats && rng_.Chance(0.3)) signup(visitor, at);  // the same instant
      }
    }
    std::string batch = R"({"batch":[)";
    for (size_t i = 0; i < messages.size(); ++i) batch += (i ? "," : "") + messages[i];
    return batch + "]}";
  }

 private:
  Rng rng_{7};
  int sent_ = 0;
};

// Every report of `a` equals `b`'s: each dimension, window and conversion filter, every model
// (the data-driven ones learnt from each side's own path index), the commonest paths, and the
// heuristic models per week.
void ExpectSameReports(AggregateReader& a, query::PathIndex& a_paths, AggregateReader& b,
                       query::PathIndex& b_paths) {
  const query::AnalysisOptions defaults;
  const std::vector<Model> all = AllModels();
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
          ExpectSamePaths(*p, *q);
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

// `from`'s view at `lookback` answers as `derived`, a store derived at it, does.
void ExpectViewIs(Store& from, Micros lookback, Store& derived) {
  SCOPED_TRACE(testing::Message() << "a view at " << lookback / kDay << " days");
  Result<std::unique_ptr<AggregateReader>> view = from.AtLookback(lookback);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  query::PathIndex view_paths, derived_paths;
  ExpectSameReports(**view, view_paths, derived, derived_paths);
}

TEST_F(LookbackTest, AnswersAtAnotherLookbackAreThoseOfAStoreDerivedWithIt) {
  StartServer();
  Traffic traffic;
  const std::string first = traffic.Batch(120, "v");
  Send(first, 61);

  // The server's store (a month's lookback), and stores that derived the same events with a
  // week's and with 60 days'.
  std::unique_ptr<Store> month = OpenAt("store.db", PersonAt(30 * kDay));
  std::unique_ptr<Store> week = OpenAt("week.db", PersonAt(7 * kDay));
  std::unique_ptr<Store> sixty = OpenAt("sixty.db", PersonAt(60 * kDay));
  ASSERT_TRUE(month && week && sixty);
  Append(*week, first, PersonAt(7 * kDay));
  Append(*sixty, first, PersonAt(60 * kDay));

  // A week's view of the month's store; the month's own lookback as a view; longer than the
  // store's, from a week's store to a month and to 60 days.
  ExpectViewIs(*month, 7 * kDay, *week);
  ExpectViewIs(*month, 30 * kDay, *month);
  ExpectViewIs(*week, 30 * kDay, *month);
  ExpectViewIs(*week, 60 * kDay, *sixty);
  // The lookback matters here: a week's linear credits are not a month's.
  query::AnalysisOptions o;
  o.data_driven = true;
  const Result<query::AnalysisResult> by_week = query::AnalyzeStore(*week, o);
  const Result<query::AnalysisResult> by_month = query::AnalyzeStore(*month, o);
  ASSERT_TRUE(by_week.ok() && by_month.ok());
  const std::vector<Model> all = AllModels();
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
  const std::string second = traffic.Batch(60, "w");
  ASSERT_EQ(Post("/v1/batch", second, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  Append(*week, second, PersonAt(7 * kDay));
  const Result<query::AnalysisResult> after = query::AnalyzeStore(*week, o);
  ASSERT_TRUE(after.ok());
  const std::string expected_after = query::ReportRowsJson(*after, all, o.group_by);
  EXPECT_NE(expected_after, query::ReportRowsJson(*by_week, all, o.group_by));
  EXPECT_EQ(GetUntil("/v1/attribution/compare?lookback_days=7", a_.read_key,
                     [&](const Reply& r) { return r.body == expected_after; })
                .body,
            expected_after);
  // Made for the first query at a week, then again after the change (not for each query).
  const int views = ViewsMade();
  EXPECT_GE(views, 2);
  EXPECT_LE(views, 3);
}

TEST_F(LookbackTest, EveryCountingModeAndConversionsAtOneInstant) {
  // Every order counts (repeat purchases, some in one session), a signup once per session, and
  // some people sign up and buy at the same instant.
  const auto person = [](Micros lookback) {
    PersonOptions p = PersonAt(lookback);
    p.conversions.counting_by_event = {{"Order Completed", journey::Counting::kEveryEvent},
                                       {"Signed Up", journey::Counting::kOncePerSession}};
    return p;
  };
  Traffic traffic;
  const std::string batch = traffic.Batch(150, "v", true);
  std::unique_ptr<Store> month = OpenAt("month.db", person(30 * kDay));
  std::unique_ptr<Store> week = OpenAt("week.db", person(7 * kDay));
  ASSERT_TRUE(month && week);
  Append(*month, batch, person(30 * kDay));
  Append(*week, batch, person(7 * kDay));
  const Result<query::StoreStatsResult> orders = query::StoreStats(
      *month, std::nullopt, std::nullopt, person(30 * kDay).conversions, "Order Completed");
  ASSERT_TRUE(orders.ok());
  EXPECT_GT(orders->conversions, 130u);  // ~90 buyers, many of them more than once
  ExpectViewIs(*month, 7 * kDay, *week);
  ExpectViewIs(*week, 30 * kDay, *month);
  ExpectViewIs(*month, 30 * kDay, *month);
}

TEST_F(LookbackTest, ViewsAreMadeOnceAndTheLeastRecentlyUsedGoes) {
  StartServer();
  Traffic traffic;
  const std::string batch = traffic.Batch(100, "v");
  Send(batch, 50);
  std::unique_ptr<Store> store = OpenAt("store.db", PersonAt(30 * kDay));
  ASSERT_TRUE(store);
  const std::vector<Model> all = AllModels();
  std::map<int, std::string> expected;  // compare's answer, by lookback
  for (int days = 2; days <= 12; ++days) {
    Result<std::unique_ptr<AggregateReader>> view = store->AtLookback(days * kDay);
    ASSERT_TRUE(view.ok());
    query::AnalysisOptions o;
    o.data_driven = true;
    const Result<query::AnalysisResult> r = query::AnalyzeStore(**view, o);
    ASSERT_TRUE(r.ok());
    expected[days] = query::ReportRowsJson(*r, all, o.group_by);
  }
  const auto compare = [&](int days) {
    return Get(fmt::format("/v1/attribution/compare?lookback_days={}", days), a_.read_key);
  };
  // Queries at three new lookbacks side by side, with others: each view made once, every
  // answer its lookback's.
  std::atomic<int> wrong = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        const int days = 5 + (t + i) % 3;
        const Reply r = compare(days);
        wrong += r.status != 200 || r.body != expected[days];
        wrong += Get("/v1/stats", a_.read_key).status != 200;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(ViewsMade(), 3);
  // Up to kMaxLookbackViews are kept, the least recently used going first. (Each call asks
  // something new: a kept answer would not read the view.)
  int calls = 0;
  const auto use = [&](int days) {
    return Get(fmt::format("/v1/paths?lookback_days={}&limit={}", days, ++calls), a_.read_key)
        .status;
  };
  for (const int days : {5, 6, 7}) EXPECT_EQ(use(days), 200u);  // 7 the most recently used
  EXPECT_EQ(ViewsMade(), 3);
  int next = 8;
  for (; 3 + (next - 8) < static_cast<int>(kMaxLookbackViews); ++next) {
    EXPECT_EQ(compare(next).body, expected[next]);
  }
  EXPECT_EQ(ViewsMade(), static_cast<int>(kMaxLookbackViews));
  EXPECT_EQ(compare(next).body, expected[next]);  // one more: 5, the least recently used, goes
  EXPECT_EQ(ViewsMade(), static_cast<int>(kMaxLookbackViews) + 1);
  EXPECT_EQ(use(6), 200u);  // kept
  EXPECT_EQ(ViewsMade(), static_cast<int>(kMaxLookbackViews) + 1);
  EXPECT_EQ(use(5), 200u);  // made again
  EXPECT_EQ(ViewsMade(), static_cast<int>(kMaxLookbackViews) + 2);
  // The project's own lookback reads the store itself.
  EXPECT_EQ(Get("/v1/attribution/compare?lookback_days=30", a_.read_key).body,
            Get("/v1/attribution/compare", a_.read_key).body);
  EXPECT_EQ(ViewsMade(), static_cast<int>(kMaxLookbackViews) + 2);
}

}  // namespace
}  // namespace attrib::server
