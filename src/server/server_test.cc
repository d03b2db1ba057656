// The server, really started on a loopback port and spoken to over HTTP: ingest with write
// keys, the limits of limits.h at limit + 1, content encodings, CORS and the query API reading
// back what was sent. The auth matrix over every endpoint is in openapi_test.cc.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/rng.h"
#include "common/time.h"
#include "query/path_index.h"
#include "query/report_rows.h"
#include "query/store_report.h"
#include "server/body.h"
#include "server/limits.h"
#include "server/server_fixture.h"
#include "storage/sqlite/sqlite_store.h"

namespace attrib::server {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the fixture and its client

TEST_F(ServerTest, BatchIsStoredCreditedAndReadBack) {
  StartServer();
  const std::string batch = R"({"batch":[)" +
                            Page("p1", "anon-1", "https://shop.example/?gclid=abc",
                                 "https://www.google.com/", "2026-11-17T10:00:00Z") +
                            "," + Order("o1", "anon-1", 42.5, "2026-11-17T10:05:00Z") +
                            R"(,{"type":"bogus"}]})";
  Reply r = Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 2);
  EXPECT_EQ(r.json()["rejected"], 1);
  EXPECT_EQ(r.json()["rejected_by_reason"]["unknown_type"], 1);
  EXPECT_EQ(r.json()["received"], 3);

  // Sent again (an SDK retrying): acknowledged, and stored once.
  r = Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json()["accepted"], 2);
  const std::vector<std::string> once = {"attrib_events_accepted_total 2",
                                         "attrib_events_duplicate_total 2"};
  r = MetricsWith(once);
  for (const std::string& line : once) EXPECT_NE(r.body.find(line), std::string::npos) << r.body;

  // Credited within the derive interval: last touch gives the order to paid search.
  r = GetUntil("/v1/attribution?model=last_touch&by=channel", a_.read_key,
               [](const Reply& x) { return x.status == 200 && x.json().size() == 1; });
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.json().size(), 1u) << r.body;
  EXPECT_EQ(r.json()[0]["channel"], "paid_search");
  EXPECT_DOUBLE_EQ(r.json()[0]["conversions"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r.json()[0]["revenue"].get<double>(), 42.5);

  // The audit trail names the rule.
  r = Get("/v1/journeys?anonymous_id=anon-1", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["sessions"][0]["rule_id"], "gclid");
  EXPECT_EQ(r.json()["conversions"][0]["message_id"], "o1");

  // Every model side by side, and CSV on request.
  r = Get("/v1/attribution/compare", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().size(), static_cast<size_t>(kModelCount));
  r = Send(http::verb::get, "/v1/attribution?model=linear", "",
           {{"Authorization", "Bearer " + a_.read_key}, {"Accept", "text/csv"}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body.substr(0, r.body.find('\n')),
            "model,channel,conversions,revenue,touchpoints,visitors,conversion_rate");

  // Project isolation: the other project's read key sees none of it.
  r = Get("/v1/attribution?model=last_touch", b_.read_key);
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(r.json().empty()) << r.body;
  r = Get("/v1/journeys?anonymous_id=anon-1", b_.read_key);
  EXPECT_EQ(r.status, 404u) << r.body;
}

TEST_F(ServerTest, PathsAreTheJourneysCommonestSequences) {
  StartServer();
  const std::string google = "https://www.google.com/", facebook = "https://m.facebook.com/";
  const auto at = [](const char* time) { return fmt::format("2026-11-16T{}:00Z", time); };
  const std::vector<std::string> messages = {
      // search, then direct, then an order
      Page("a1", "v1", "https://shop.example/", google, at("10:00")),
      Page("a2", "v1", "https://shop.example/", "", at("12:00")),
      Order("a3", "v1", 20, at("12:05")),
      // search twice (a step repeated is one), then an order
      Page("b1", "v2", "https://shop.example/", google, at("10:00")),
      Page("b2", "v2", "https://shop.example/", google, at("13:00")),
      Order("b3", "v2", 30, at("13:05")),
      // search and an order
      Page("c1", "v3", "https://shop.example/", google, at("10:00")),
      Order("c2", "v3", 10, at("10:05")),
      // no order
      Page("d1", "v4", "https://shop.example/", facebook, at("10:00")),
      Page("e1", "v5", "https://shop.example/", "", at("11:00")),
  };
  std::string batch = R"({"batch":[)";
  for (size_t i = 0; i < messages.size(); ++i) batch += (i ? "," : "") + messages[i];
  ASSERT_EQ(Post("/v1/batch", batch + "]}", {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  Reply r = GetUntil("/v1/paths", a_.read_key,
                     [](const Reply& x) { return x.status == 200 && x.json()["journeys"] == 5; });
  ASSERT_EQ(r.status, 200u) << r.body;
  const nlohmann::json all = r.json();
  EXPECT_EQ(all["journeys"], 5) << all;
  EXPECT_EQ(all["conversions"], 3);
  EXPECT_DOUBLE_EQ(all["revenue"].get<double>(), 60);
  EXPECT_EQ(all["distinct_paths"], 4);
  const nlohmann::json& paths = all["paths"];
  ASSERT_EQ(paths.size(), 4u) << all;
  // Most conversions first, then most journeys, then by the steps' names.
  EXPECT_EQ(paths[0]["steps"], nlohmann::json({"organic_search"}));
  EXPECT_EQ(paths[0]["conversions"], 2);
  EXPECT_EQ(paths[0]["journeys"], 2);
  EXPECT_DOUBLE_EQ(paths[0]["revenue"].get<double>(), 40);
  EXPECT_EQ(paths[1]["steps"], nlohmann::json({"organic_search", "direct"}));
  EXPECT_EQ(paths[1]["conversions"], 1);
  EXPECT_DOUBLE_EQ(paths[1]["conversion_rate"].get<double>(), 1);
  EXPECT_EQ(paths[2]["steps"], nlohmann::json({"direct"}));
  EXPECT_EQ(paths[2]["journeys"], 1);
  EXPECT_EQ(paths[2]["conversions"], 0);
  EXPECT_EQ(paths[3]["steps"][0], "organic_social") << paths[3];

  // A limit keeps the first paths and the totals of all.
  r = Get("/v1/paths?limit=1&by=source_medium", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["paths"].size(), 1u);
  EXPECT_EQ(r.json()["paths"][0]["steps"], nlohmann::json({"google / organic"})) << r.body;
  EXPECT_EQ(r.json()["journeys"], 5);
  r = Get("/v1/paths?from=2026-11-17", a_.read_key);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json()["journeys"], 0);
  EXPECT_TRUE(r.json()["paths"].empty());
  r = Send(http::verb::get, "/v1/paths?limit=2", "",
           {{"Authorization", "Bearer " + a_.read_key}, {"Accept", "text/csv"}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body,
            "path,journeys,conversions,revenue,conversion_rate\n"
            "organic_search,2,2,40,1\n"
            "organic_search > direct,1,1,20,1\n");

  // Bad parameters are named; the limit is tested at limit + 1.
  const std::vector<std::string> bad = {"limit=0",           fmt::format("limit={}", kMaxPaths + 1),
                                        "limit=ten",         "by=planet",
                                        "conversion=Refund", "interval=day"};
  for (const std::string& query : bad) {
    r = Get("/v1/paths?" + query, a_.read_key);
    EXPECT_EQ(r.status, 400u) << query;
    EXPECT_NE(r.json()["message"].get<std::string>().find(query.substr(0, query.find('='))),
              std::string::npos)
        << r.body;
  }
  r = Get(fmt::format("/v1/paths?limit={}", kMaxPaths), a_.read_key);
  EXPECT_EQ(r.status, 200u);
  r = Get("/v1/paths", b_.read_key);  // another project's
  EXPECT_EQ(r.json()["journeys"], 0);
}

// Seed 000's headline: paid Facebook told from organic Facebook, with the confidence filter.
TEST_F(ServerTest, SourcesSplitPaidFromSocialAndFilterByConfidence) {
  StartServer();
  const std::string at = "2026-11-17T10:00:00Z";
  const std::string batch =
      R"({"batch":[)" +
      Page("s1", "v1", "https://shop.example/?fbclid=a", "https://l.facebook.com/", at) + "," +
      Page("s2", "v2", "https://shop.example/", "https://m.facebook.com/", at) + "," +
      Page("s3", "v3", "https://shop.example/?fbclid=b", "", at) + "," +
      Page("s4", "v1", "https://shop.example/?fbclid=c", "https://l.facebook.com/",
           "2026-11-17T12:00:00Z") +
      "]}";
  Reply r = Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}});
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.json()["accepted"], 4);

  const auto row = [](const nlohmann::json& rows, const std::string& medium) {
    for (const nlohmann::json& x : rows) {
      if (x["source"] == "facebook" && x["medium"] == medium) return x;
    }
    return nlohmann::json();
  };
  r = GetUntil("/v1/sources?breakdown=source_medium&from=2026-11-17&to=2026-11-18", a_.read_key,
               [&](const Reply& x) { return x.status == 200 && !row(x.json(), "paid").is_null(); });
  ASSERT_EQ(r.status, 200u) << r.body;
  // Two paid sessions of v1 (high), one of v3 (medium); one social one of v2.
  EXPECT_EQ(row(r.json(), "paid")["events"], 3) << r.body;
  EXPECT_EQ(row(r.json(), "paid")["uniques"], 2);
  EXPECT_EQ(row(r.json(), "paid")["paid_share"], 1.0);
  EXPECT_EQ(row(r.json(), "social")["events"], 1);
  EXPECT_EQ(row(r.json(), "social")["paid_share"], 0.0);

  r = Get("/v1/sources?breakdown=source", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.json()[0]["source"], "facebook") << r.body;
  EXPECT_EQ(r.json()[0]["events"], 4);
  EXPECT_EQ(r.json()[0]["uniques"], 3);
  EXPECT_DOUBLE_EQ(r.json()[0]["paid_share"].get<double>(), 0.75);

  // Only high confidence: the ad clicks through Facebook's redirect.
  r = Get("/v1/sources?breakdown=source&min_confidence=high", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(r.json()[0]["source"], "facebook") << r.body;
  EXPECT_EQ(r.json()[0]["events"], 2);
  EXPECT_EQ(r.json()[0]["uniques"], 1);
  EXPECT_DOUBLE_EQ(r.json()[0]["paid_share"].get<double>(), 1.0);

  EXPECT_EQ(Get("/v1/sources?min_confidence=very", a_.read_key).status, 400u);
  EXPECT_EQ(Get("/v1/sources?breakdown=colour", a_.read_key).status, 400u);
  EXPECT_EQ(Get("/v1/sources?from=2026-11-17T10:30:00Z", a_.read_key).status, 400u);
}

TEST_F(ServerTest, StatsAndTheRuleAudit) {
  StartServer();
  const std::string batch = R"({"batch":[)" +
                            Page("r1", "v1", "https://shop.example/?gclid=a",
                                 "https://www.google.com/", "2026-11-17T10:00:00Z") +
                            "," +
                            Page("r2", "v2", "https://shop.example/", "", "2026-11-17T10:00:00Z") +
                            "," + Order("r3", "v1", 30, "2026-11-17T10:10:00Z") + "]}";
  ASSERT_EQ(Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  Reply r = GetUntil("/v1/stats", a_.read_key,
                     [](const Reply& x) { return x.status == 200 && x.json()["sessions"] == 2; });
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["sessions"], 2) << r.body;
  EXPECT_EQ(r.json()["paid_sessions"], 1);
  EXPECT_DOUBLE_EQ(r.json()["paid_share"].get<double>(), 0.5);
  EXPECT_EQ(r.json()["conversions"], 1);
  EXPECT_DOUBLE_EQ(r.json()["revenue"].get<double>(), 30);
  // One conversion event's totals; the sessions are every session's.
  r = Get("/v1/stats?conversion=Signed%20Up", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["sessions"], 2);
  EXPECT_EQ(r.json()["conversions"], 0);
  EXPECT_DOUBLE_EQ(r.json()["revenue"].get<double>(), 0);
  r = Get("/v1/stats?conversion=Order%20Completed", a_.read_key);
  EXPECT_EQ(r.json()["conversions"], 1);
  r = Get("/v1/stats?conversion=Refund", a_.read_key);
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["message"].get<std::string>().find("conversion \"Refund\""), std::string::npos)
      << r.body;
  r = Get("/v1/stats?from=2026-11-18", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["sessions"], 0);
  // An empty window is a mistake, not a quiet day.
  r = Get("/v1/stats?from=2026-11-18&to=2026-11-17", a_.read_key);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.json()["code"], "invalid_argument") << r.body;
  EXPECT_NE(r.json()["message"].get<std::string>().find("from is not before to"), std::string::npos)
      << r.body;

  // The cascade in order, each rule with what it classified.
  r = Get("/v1/rules", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  const nlohmann::json audit = r.json();
  const nlohmann::json& rules = audit["rules"];
  ASSERT_GT(rules.size(), 10u);
  std::map<std::string, int64_t> sessions;
  for (const nlohmann::json& rule : rules) sessions[rule["id"]] = rule["sessions"];
  EXPECT_EQ(sessions["gclid"], 1);
  EXPECT_EQ(sessions["direct"], 1);
  EXPECT_EQ(rules[0]["in_cascade"], true);
  EXPECT_FALSE(audit["rules_version"].get<std::string>().empty());
}

TEST_F(ServerTest, AttributionByPeriodAndItsLimitAtLimitPlusOne) {
  StartServer();
  // One visit a day for kMaxPeriods days up to 2026-11-17 (the day before the server's clock),
  // from search on even days, then an order on the last.
  const int32_t last = 20'774;  // 2026-11-17
  const auto visit = [](int32_t day) {
    return Page(fmt::format("d{}", day), fmt::format("v{}", day), "https://shop.example/",
                day % 2 == 0 ? "https://www.google.com/" : "", FormatIsoDate(day) + "T10:00:00Z");
  };
  std::string batch = R"({"batch":[)";
  for (int32_t day = last - static_cast<int32_t>(kMaxPeriods) + 1; day <= last; ++day) {
    batch += visit(day) + ",";
  }
  batch += Order("o", fmt::format("v{}", last), 40, FormatIsoDate(last) + "T10:05:00Z") + "]}";
  ASSERT_EQ(Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  Reply r = GetUntil("/v1/stats", a_.read_key, [](const Reply& x) {
    return x.status == 200 && x.json()["sessions"] == kMaxPeriods;
  });
  ASSERT_EQ(r.json()["sessions"], kMaxPeriods) << r.body;

  r = Get("/v1/attribution?interval=day&by=channel&model=last_touch", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body.substr(0, 200);
  const nlohmann::json days = r.json();
  ASSERT_EQ(days.size(), kMaxPeriods);
  for (size_t i = 0; i < days.size(); ++i) {
    const int32_t day = last - static_cast<int32_t>(kMaxPeriods) + 1 + static_cast<int32_t>(i);
    ASSERT_EQ(days[i]["period"], FormatIsoDate(day)) << days[i];
    EXPECT_EQ(days[i]["channel"], day % 2 == 0 ? "organic_search" : "direct") << days[i];
    EXPECT_EQ(days[i]["touchpoints"], 1);
    EXPECT_EQ(days[i]["visitors"], 1);
    EXPECT_EQ(days[i]["model"], "last_touch");
    EXPECT_EQ(days[i]["conversions"], day == last ? 1 : 0) << days[i];
  }
  // Weeks from Monday, cut by the window: 2026-11-11 (a Wednesday) to 2026-11-17.
  r = Get("/v1/attribution?interval=week&by=channel&from=2026-11-11&to=2026-11-18", a_.read_key);
  ASSERT_EQ(r.status, 200u) << r.body;
  nlohmann::json weeks = r.json();
  ASSERT_EQ(weeks.size(), 4u) << weeks;
  EXPECT_EQ(weeks[0]["period"], "2026-11-09");
  EXPECT_EQ(weeks[0]["touchpoints"].get<int>() + weeks[1]["touchpoints"].get<int>(), 5);
  EXPECT_EQ(weeks[2]["period"], "2026-11-16");
  EXPECT_EQ(weeks[2]["touchpoints"].get<int>() + weeks[3]["touchpoints"].get<int>(), 2);
  EXPECT_EQ(weeks[2]["channel"], "organic_search");  // the order's credit puts it first
  EXPECT_DOUBLE_EQ(weeks[2]["revenue"].get<double>(), 40);
  r = Get("/v1/attribution?interval=month&by=channel", a_.read_key);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.json()[0]["period"], FormatIsoDate(MonthStart(last - kMaxPeriods + 1)));
  r = Send(http::verb::get, "/v1/attribution?interval=day&from=2026-11-17", "",
           {{"Authorization", "Bearer " + a_.read_key}, {"Accept", "text/csv"}});
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.body.substr(0, r.body.find('\n')),
            "model,period,channel,conversions,revenue,touchpoints,visitors,conversion_rate");
  EXPECT_NE(r.body.find("\nlinear,2026-11-17,organic_search,1,40,1,1,1\n"), std::string::npos)
      << r.body;

  // What has no per-period answer says so.
  for (const char* query :
       {"interval=hour", "interval=day&model=markov", "interval=week&model=shapley"}) {
    r = Get(fmt::format("/v1/attribution?{}", query), a_.read_key);
    EXPECT_EQ(r.status, 400u) << query;
    EXPECT_NE(r.json()["message"].get<std::string>().find("interval"), std::string::npos) << r.body;
  }
  r = Get("/v1/attribution/compare?interval=day", a_.read_key);
  EXPECT_EQ(r.status, 400u);

  // One day more than an answer holds.
  batch = R"({"batch":[)" + visit(last - static_cast<int32_t>(kMaxPeriods)) + "]}";
  ASSERT_EQ(Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  r = GetUntil("/v1/stats", a_.read_key, [](const Reply& x) {
    return x.status == 200 && x.json()["sessions"] == kMaxPeriods + 1;
  });
  r = Get("/v1/attribution?interval=day", a_.read_key);
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["message"].get<std::string>().find(fmt::format("{} days", kMaxPeriods + 1)),
            std::string::npos)
      << r.body;
  r = Get("/v1/attribution?interval=week", a_.read_key);
  EXPECT_EQ(r.status, 200u);
}

TEST_F(ServerTest, AnswersAreKeptUntilTheStoreChanges) {
  StartServer();
  const auto send = [this](const std::string& visitor, double revenue) {
    const std::string batch = R"({"batch":[)" +
                              Page(visitor + "p", visitor, "https://shop.example/?gclid=a",
                                   "https://www.google.com/", "2026-11-17T10:00:00Z") +
                              "," + Order(visitor + "o", visitor, revenue, "2026-11-17T10:10:00Z") +
                              "]}";
    ASSERT_EQ(Post("/v1/batch", batch, {{"Authorization", Basic(a_.write_key)}}).status, 200u);
  };
  send("v1", 30);
  const std::string compare = "/v1/attribution/compare?by=channel";
  ASSERT_EQ(GetUntil(compare, a_.read_key,
                     [](const Reply& x) {
                       return x.status == 200 && x.body.find("paid_search") != std::string::npos;
                     })
                .status,
            200u);
  // The derivation is over (it is counted once the store has it): nothing changes now.
  ASSERT_EQ(MetricsWith({"attrib_people_derived_total 1"}).status, 200u);
  const Reply first = Get(compare, a_.read_key);
  ASSERT_EQ(first.status, 200u) << first.body;
  // Asked again with nothing new stored: the same answer, kept (the metric says so).
  const auto reused = [this] {
    const std::string body = Send(http::verb::get, "/metrics", "").body;
    const std::string name = "\nattrib_query_answers_reused_total ";
    const size_t at = body.find(name);
    return at == std::string::npos ? -1 : std::stoll(body.substr(at + name.size()));
  };
  const int64_t before = reused();
  const Reply again = Get(compare, a_.read_key);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(reused(), before + 1);
  // Another key's project, the CSV form and other parameters are other answers.
  EXPECT_EQ(Get(compare, b_.read_key).body, "[]");
  EXPECT_NE(Get(compare + "&to=2026-11-17", a_.read_key).body, first.body);
  const Reply csv = Send(http::verb::get, compare, "",
                         {{"Authorization", "Bearer " + a_.read_key}, {"Accept", "text/csv"}});
  EXPECT_TRUE(csv.body.starts_with("model,channel,")) << csv.body;
  EXPECT_EQ(reused(), before + 1);
  // Another project's events leave this project's answers kept.
  const std::string other = R"({"batch":[)" +
                            Page("w1p", "w1", "https://shop.example/", "", "2026-11-17T10:00:00Z") +
                            "]}";
  ASSERT_EQ(Post("/v1/batch", other, {{"Authorization", Basic(b_.write_key)}}).status, 200u);
  ASSERT_EQ(GetUntil("/v1/stats", b_.read_key,
                     [](const Reply& x) { return x.status == 200 && x.json()["sessions"] == 1; })
                .status,
            200u);
  const int64_t kept = reused();
  EXPECT_EQ(Get(compare, a_.read_key).body, first.body);
  EXPECT_EQ(reused(), kept + 1);
  // New events: the next answer is read from the store again and counts them.
  send("v2", 70);
  const Reply after = GetUntil(compare, a_.read_key, [&first](const Reply& x) {
    return x.status == 200 && x.body != first.body;
  });
  EXPECT_NE(after.body, first.body);
  double revenue = 0;
  for (const nlohmann::json& row : after.json()) {
    if (row["model"] == "last_touch") revenue += row["revenue"].get<double>();
  }
  EXPECT_DOUBLE_EQ(revenue, 100);
}

TEST_F(ServerTest, SingleRoutesTypeTheirMessagesAndTakeTheKeyFromTheBody) {
  StartServer();
  // analytics.js: text/plain, writeKey in the body, no type, the short route.
  const std::string track = nlohmann::json({{"writeKey", a_.write_key},
                                            {"event", "Signed Up"},
                                            {"messageId", "t1"},
                                            {"userId", "u1"},
                                            {"timestamp", "2026-11-17T10:00:00Z"}})
                                .dump();
  Reply r = Post("/v1/t", track, {{"Content-Type", "text/plain"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 1);
  const std::string identify =
      nlohmann::json({{"writeKey", a_.write_key}, {"userId", "u1"}, {"anonymousId", "an"}}).dump();
  r = Post("/v1/identify", identify, {});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 1);
  r = GetUntil("/v1/journeys?user_id=u1", a_.read_key,
               [](const Reply& x) { return x.status == 200 && x.json()["ids"].size() == 2; });
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["ids"].size(), 2u) << r.body;  // the anonymous id is linked
}

TEST_F(ServerTest, ContentEncodingsAndTheirLimits) {
  StartServer();
  const std::string one = Page("g1", "anon-g", "https://shop.example/", "", "2026-11-17T10:00:00Z");
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  Headers gzip = auth;
  gzip.emplace_back("Content-Encoding", "gzip");
  // rudder-sdk-node: gzip labelled as a form.
  gzip.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Reply r = Post("/v1/page", Gzip(one), gzip);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 1);

  // A 20 MB bomb of a few kilobytes: refused while inflating, at the limit.
  const std::string bomb = Gzip(std::string(20 << 20, ' '));
  EXPECT_LT(bomb.size(), 64u * 1024);
  r = Post("/v1/batch", bomb, gzip);
  EXPECT_EQ(r.status, 413u) << r.body;
  EXPECT_EQ(r.json()["code"], "limit_exceeded");

  // Decoded size exactly at the limit passes the limit (and is then an invalid batch of
  // spaces); one byte more does not.
  std::string at_limit(kMaxBodyBytes, ' ');
  r = Post("/v1/batch", Gzip(at_limit), gzip);
  EXPECT_EQ(r.status, 400u) << r.body;
  r = Post("/v1/batch", Gzip(at_limit + " "), gzip);
  EXPECT_EQ(r.status, 413u) << r.body;
  // Not compressed: the same limit on the body as sent.
  r = Post("/v1/batch", at_limit + " ", auth);
  EXPECT_EQ(r.status, 413u) << r.body;

  Headers br = auth;
  br.emplace_back("Content-Encoding", "br");
  r = Post("/v1/batch", one, br);
  EXPECT_EQ(r.status, 415u) << r.body;
  EXPECT_EQ(r.json()["code"], "unsupported_encoding");

  std::string truncated = Gzip(one);
  truncated.resize(truncated.size() / 2);
  r = Post("/v1/batch", truncated, gzip);
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_EQ(r.json()["code"], "invalid_body");
}

// SDKs write a whole request before they read the answer. A refused body must still be read
// (and dropped), or the client's write fails on a reset connection and it never sees the 413:
// it would retry the batch for ever.
TEST_F(ServerTest, ARefusedBodyIsReadSoTheClientSeesTheAnswer) {
  StartServer();
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  const std::string huge(8 << 20, ' ');
  for (int i = 0; i < 5; ++i) {
    Reply r;
    ASSERT_NO_THROW(r = Post("/v1/batch", huge, auth)) << "attempt " << i;
    EXPECT_EQ(r.status, 413u) << r.body;
    EXPECT_EQ(r.json()["code"], "limit_exceeded");
  }
  // Headers over their limit, with a body behind them: 431, read the same way.
  Headers big = auth;
  big.emplace_back("X-Padding", std::string(kMaxHeaderBytes, 'p'));
  Reply r;
  ASSERT_NO_THROW(r = Post("/v1/batch", huge, big));
  EXPECT_EQ(r.status, 431u) << r.body;
}

TEST_F(ServerTest, MessageAndBatchLimitsAtLimitPlusOne) {
  StartServer();
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  // A message of exactly kMaxMessageBytes is accepted; one byte more is a bad row, and the
  // rest of its batch is stored.
  const auto message = [](const std::string& id, size_t bytes) {
    std::string m = Page(id, "anon-l", "https://shop.example/", "", "2026-11-17T10:00:00Z");
    const std::string pad = R"(,"properties":{"pad":""}})";
    m.pop_back();
    m += pad;
    const size_t fill = bytes - m.size();
    m.insert(m.size() - 3, std::string(fill, 'x'));
    return m;
  };
  ASSERT_EQ(message("x", ingest::kMaxMessageBytes).size(), ingest::kMaxMessageBytes);
  Reply r = Post("/v1/batch",
                 R"({"batch":[)" + message("l1", ingest::kMaxMessageBytes) + "," +
                     message("l2", ingest::kMaxMessageBytes + 1) + "]}",
                 auth);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["accepted"], 1);
  EXPECT_EQ(r.json()["rejected_by_reason"]["message_too_large"], 1);

  // kMaxBatchMessages messages are taken; one more and the batch is refused whole, with its
  // reason.
  const auto batch = [](size_t n) {
    std::string b = R"({"batch":[)";
    for (size_t i = 0; i < n; ++i) {
      if (i != 0) b += ',';
      b += R"({"type":"track","event":"e","userId":"u","messageId":"b)" + std::to_string(i) +
           R"("})";
    }
    return b + "]}";
  };
  r = Post("/v1/batch", batch(ingest::kMaxBatchMessages), auth);
  ASSERT_EQ(r.status, 200u) << r.body.substr(0, 300);
  EXPECT_EQ(r.json()["accepted"], ingest::kMaxBatchMessages);
  r = Post("/v1/batch", batch(ingest::kMaxBatchMessages + 1), auth);
  EXPECT_EQ(r.status, 400u) << r.body.substr(0, 300);
  EXPECT_EQ(r.json()["code"], "too_many_messages");
}

// The dashboard is compiled in: its page with a policy that keeps scripts to this server, its
// files gzip-encoded when asked and revalidated by ETag, and nothing else under /assets/.
TEST_F(ServerTest, DashboardFilesAreServed) {
  StartServer();
  Reply page = Send(http::verb::get, "/", "");
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(page.headers[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/assets/app.js\" defer></script>"), std::string::npos);
  EXPECT_NE(std::string(page.headers["Content-Security-Policy"]).find("default-src 'self'"),
            std::string::npos);
  EXPECT_EQ(page.headers[http::field::cache_control], "no-cache");

  Reply plain = Send(http::verb::get, "/assets/echarts.min.js", "");
  ASSERT_EQ(plain.status, 200u);
  EXPECT_GT(plain.body.size(), 500'000u);
  EXPECT_EQ(plain.headers[http::field::content_type], "text/javascript; charset=utf-8");
  Reply zipped =
      Send(http::verb::get, "/assets/echarts.min.js", "", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_EQ(zipped.status, 200u);
  EXPECT_EQ(zipped.headers[http::field::content_encoding], "gzip");
  EXPECT_LT(zipped.body.size(), plain.body.size() / 2);
  std::string inflated;
  EXPECT_EQ(DecodeBody("gzip", zipped.body, 8 << 20, &inflated).error, BodyError::kNone);
  EXPECT_EQ(inflated, plain.body);

  const std::string etag(plain.headers[http::field::etag]);
  ASSERT_FALSE(etag.empty());
  Reply again = Send(http::verb::get, "/assets/echarts.min.js", "", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Send(http::verb::get, "/assets/app.js", "", {{"If-None-Match", etag}}).status, 200u);
  // The gzip encoding is another representation, with its own ETag.
  const std::string gz_etag(zipped.headers[http::field::etag]);
  EXPECT_NE(gz_etag, etag);
  EXPECT_EQ(Send(http::verb::get, "/assets/echarts.min.js", "",
                 {{"If-None-Match", gz_etag}, {"Accept-Encoding", "gzip"}})
                .status,
            304u);
  EXPECT_EQ(
      Send(http::verb::get, "/assets/echarts.min.js", "", {{"If-None-Match", gz_etag}}).status,
      200u);
  // A browser's request from another origin keeps Vary: Accept-Encoding beside Origin.
  Reply cors = Send(http::verb::get, "/assets/app.js", "", {{"Origin", "http://x.example"}});
  std::vector<std::string> vary;
  for (const auto& field : cors.headers) {
    if (field.name() == http::field::vary) vary.emplace_back(field.value());
  }
  EXPECT_EQ(vary, (std::vector<std::string>{"Accept-Encoding", "Origin"}));

  EXPECT_EQ(Send(http::verb::get, "/assets/", "").status, 404u);
  EXPECT_EQ(Send(http::verb::get, "/assets/../openapi.json", "").status, 404u);
  EXPECT_EQ(Send(http::verb::get, "/index.html", "").status, 404u);
}

TEST_F(ServerTest, CorsPreflightAndOrigin) {
  StartServer();
  Reply r = Send(http::verb::options, "/v1/batch", "",
                 {{"Origin", "https://shop.example"},
                  {"Access-Control-Request-Method", "POST"},
                  {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(r.status, 204u);
  EXPECT_EQ(r.headers["Access-Control-Allow-Origin"], "https://shop.example");
  EXPECT_EQ(r.headers["Access-Control-Allow-Headers"], "authorization,content-type");
  EXPECT_GE(std::stoi(std::string(r.headers["Access-Control-Max-Age"])), 3600);
  r = Post("/v1/batch", R"({"batch":[]})",
           {{"Origin", "https://shop.example"}, {"Authorization", Basic(a_.write_key)}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["Access-Control-Allow-Origin"], "https://shop.example");
}

TEST_F(ServerTest, BrowserSettingsPointAtThisServer) {
  StartServer();
  Reply r = Send(http::verb::get, "/v1/projects/" + a_.write_key + "/settings", "",
                 {{"Host", "127.0.0.1:8080"}});
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json()["integrations"]["Segment.io"]["apiKey"], a_.write_key);
  EXPECT_EQ(r.json()["integrations"]["Segment.io"]["apiHost"], "127.0.0.1:8080/v1");
  EXPECT_EQ(Send(http::verb::get, "/v1/projects/nope/settings", "").status, 404u);
  // A read key is no write key.
  EXPECT_EQ(Send(http::verb::get, "/v1/projects/" + a_.read_key + "/settings", "").status, 404u);
}

TEST_F(ServerTest, RateLimitAnswers429WithRetryAfter) {
  StartServer(/*rate_limit=*/1);
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  // A bucket of two seconds' worth: two requests pass, the third is turned away.
  EXPECT_EQ(Post("/v1/batch", R"({"batch":[]})", auth).status, 200u);
  EXPECT_EQ(Post("/v1/batch", R"({"batch":[]})", auth).status, 200u);
  const Reply r = Post("/v1/batch", R"({"batch":[]})", auth);
  EXPECT_EQ(r.status, 429u);
  EXPECT_GE(std::stoi(std::string(r.headers["Retry-After"])), 1);
  // Another key has its own bucket.
  const Reply other =
      Post("/v1/batch", R"({"batch":[]})", {{"Authorization", Basic(b_.write_key)}});
  EXPECT_EQ(other.status, 200u) << other.body;
}

TEST_F(ServerTest, BadRequestsGetClearErrors) {
  StartServer();
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  Reply r = Post("/v1/batch", "{not json", auth);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["code"], "invalid_json");
  r = Post("/v1/batch", R"({"batch":[]} {"batch":[]})", auth);  // a trailing document
  EXPECT_EQ(r.status, 400u);
  r = Send(http::verb::get, "/v1/batch", "", auth);
  EXPECT_EQ(r.status, 405u);
  r = Send(http::verb::get, "/v2/nothing", "");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.json()["code"], "not_found");
  r = Get("/v1/attribution?model=nope", a_.read_key);
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["message"].get<std::string>().find("nope"), std::string::npos);
  r = Get("/v1/attribution?color=blue", a_.read_key);
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["message"].get<std::string>().find("color"), std::string::npos);
  r = Get("/v1/attribution?from=yesterday", a_.read_key);
  EXPECT_EQ(r.status, 400u);
  // The absolute form of the target names the same resource.
  r = Send(http::verb::get, "http://127.0.0.1/livez", "");
  EXPECT_EQ(r.status, 200u);
  r = Send(http::verb::get, "http://127.0.0.1/v1/attribution?model=nope", "",
           {{"Authorization", "Bearer " + a_.read_key}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.json()["message"].get<std::string>().find("nope"), std::string::npos);
  // Headers over the limit: 431, and the server is still up.
  r = Send(http::verb::get, "/livez", "", {{"X-Big", std::string(kMaxHeaderBytes + 1, 'x')}});
  EXPECT_EQ(r.status, 431u);
  r = Send(http::verb::get, "/livez", "");
  EXPECT_EQ(r.status, 200u);
  r = Send(http::verb::get, "/readyz", "");
  EXPECT_EQ(r.status, 200u);
}

TEST_F(ServerTest, MetricsCountWhatIngestSaw) {
  StartServer();
  const Headers auth = {{"Authorization", Basic(a_.write_key)}};
  Post("/v1/batch",
       R"({"batch":[)" + Page("m1", "a", "https://shop.example/", "", "2026-11-17T10:00:00Z") +
           R"(,{"type":"page"}]})",
       auth);
  const std::vector<std::string> expected = {
      "attrib_events_received_total 2",
      "attrib_events_accepted_total 1",
      "attrib_events_rejected_total{reason=\"missing_id\"} 1",
      "attrib_inbox_commit_duration_seconds_count 1",
      "attrib_store_commit_duration_seconds_count 1",
      "attrib_inbox_backlog_requests 0"};
  const Reply r = MetricsWith(expected);
  ASSERT_EQ(r.status, 200u);
  for (const std::string& line : expected) {
    EXPECT_NE(r.body.find(line + "\n"), std::string::npos) << line << "\n" << r.body;
  }
}

// The data-driven models of the query API learn from the paths the server keeps in memory
// (query::PathIndex), caught up with the days each derivation changed. Their answers must be
// the store's own, its paths read afresh, to the last bit: after new days and after more
// journeys on days already kept.
TEST_F(ServerTest, KeptPathsAndAggregatesFollowEveryChange) {
  StartServer();
  // The last referrer (and its campaign) comes only in the second batch: new groups, ranked
  // among the others.
  const char* referrers[] = {
      "https://www.google.com/",       "https://m.facebook.com/", "",
      "https://news.ycombinator.com/", "https://www.bing.com/",   "https://duckduckgo.com/"};
  std::vector<std::string> messages;
  int sent = 0, sessions = 0;
  const auto visit = [&](const std::string& visitor, int day, int hour, int referrer) {
    messages.push_back(Page(fmt::format("m{}", sent++), visitor,
                            fmt::format("https://shop.example/?utm_campaign=c{}", referrer),
                            referrers[referrer],
                            fmt::format("2026-11-{:02}T{:02}:00:00Z", day, hour)));
    ++sessions;
  };
  const auto order = [&](const std::string& visitor, int day, double revenue) {
    messages.push_back(Order(fmt::format("m{}", sent++), visitor, revenue,
                             fmt::format("2026-11-{:02}T23:00:00Z", day)));
    ++sessions;  // an hour after the last visit: a session of its own
  };
  const auto signup = [&](const std::string& visitor, int day) {  // another conversion event
    messages.push_back(nlohmann::json({{"type", "track"},
                                       {"event", "Signed Up"},
                                       {"messageId", fmt::format("m{}", sent++)},
                                       {"anonymousId", visitor},
                                       {"timestamp", fmt::format("2026-11-{:02}T00:10:00Z", day)}})
                           .dump());
    ++sessions;  // 50 minutes before the day's first visit
  };
  const auto send = [&] {
    std::string batch = R"({"batch":[)";
    for (size_t i = 0; i < messages.size(); ++i) batch += (i ? "," : "") + messages[i];
    messages.clear();
    ASSERT_EQ(Post("/v1/batch", batch + "]}", {{"Authorization", Basic(a_.write_key)}}).status,
              200u);
    const Reply stats = GetUntil("/v1/stats", a_.read_key, [&](const Reply& x) {
      return x.status == 200 && x.json()["sessions"] == sessions;
    });
    ASSERT_EQ(stats.json()["sessions"], sessions) << stats.body;
  };
  const query::AnalysisOptions defaults;
  StoreOptions so;
  so.project = "shop";
  so.create = false;
  so.settings.person = PersonOptions{defaults.sessions, defaults.conversions, defaults.heuristics};
  // Two more readers of the store's aggregates: one keeps them in memory whenever they are
  // asked for twice between changes; the other, whose clock stands still, keeps them once and
  // then reads each change from the tables.
  FakeClock keeping_clock, frozen_clock;
  Result<std::unique_ptr<Store>> keeping = OpenSqliteStore(db_, so, *classifier_, keeping_clock);
  Result<std::unique_ptr<Store>> frozen = OpenSqliteStore(db_, so, *classifier_, frozen_clock);
  ASSERT_TRUE(keeping.ok() && frozen.ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*frozen)->ReadAggregates(AggregateQuery{}).ok());
  Rng rng(11);
  for (int v = 0; v < 40; ++v) {
    const std::string visitor = fmt::format("a{}", v);
    const int first = 12 + static_cast<int>(rng.Below(3));
    for (int day = first; day < first + 3; ++day) {
      visit(visitor, day, 1 + static_cast<int>(rng.Below(20)), static_cast<int>(rng.Below(5)));
    }
    if (rng.Chance(0.5)) order(visitor, first + 2, 10 + static_cast<double>(rng.Below(90)));
    if (rng.Chance(0.3)) signup(visitor, first + 1);
  }
  send();

  Result<std::unique_ptr<Store>> store = OpenSqliteStore(db_, so, *classifier_, clock_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  query::PathIndex kept;  // caught up by each check, as the server's is by each query
  const Micros day = 86'400'000'000, nov12 = *ParseIsoTime("2026-11-12T00:00:00Z");
  const auto check = [&] {
    int credited = 0;
    size_t paths = 0;
    for (int by = 0; by < 7; ++by) {
      for (const auto& [from, to] : std::vector<std::pair<int, int>>{{-1, -1}, {1, 3}, {3, 6}}) {
        for (const std::string event : {"", "Order Completed", "Signed Up"}) {
          query::AnalysisOptions o;
          o.group_by = static_cast<query::GroupBy>(by);
          o.data_driven = true;
          if (from >= 0) o.from = nov12 + from * day, o.to = nov12 + to * day;
          if (!event.empty()) o.only_conversions = {event};
          SCOPED_TRACE(testing::Message()
                       << "by " << by << " days " << from << "–" << to << " " << event);
          const Result<query::AnalysisResult> a = query::AnalyzeStore(**store, o, &kept);
          const Result<query::AnalysisResult> b = query::AnalyzeStore(**store, o);
          ASSERT_TRUE(a.ok() && b.ok());
          EXPECT_EQ(a->data_driven.error, "");
          EXPECT_EQ(a->data_driven.distinct_paths, b->data_driven.distinct_paths);
          EXPECT_EQ(a->data_driven.markov_states, b->data_driven.markov_states);
          EXPECT_EQ(a->data_driven.conversion_probability, b->data_driven.conversion_probability);
          ASSERT_EQ(a->rows.size(), b->rows.size());
          for (size_t i = 0; i < a->rows.size(); ++i) {
            EXPECT_EQ(a->rows[i].key, b->rows[i].key);
            EXPECT_EQ(a->rows[i].conversions, b->rows[i].conversions);  // every model
            EXPECT_EQ(a->rows[i].revenue, b->rows[i].revenue);
            EXPECT_EQ(a->rows[i].removal_effect, b->rows[i].removal_effect);
            credited += a->rows[i].conversions[static_cast<int>(Model::kMarkov)] > 0;
          }
          // The commonest paths from the kept paths are those read from the tables.
          query::PathsOptions po;
          po.by = o.group_by;
          po.limit = 1000;
          po.from = o.from;
          po.to = o.to;
          if (!event.empty()) po.conversion = event;
          const Result<query::PathsResult> pa =
              query::StorePaths(**store, po, defaults.conversions, &kept);
          const Result<query::PathsResult> pb =
              query::StorePaths(**store, po, defaults.conversions);
          ASSERT_TRUE(pa.ok() && pb.ok());
          ExpectSamePaths(*pa, *pb);
          paths += pa->paths.size();
        }
      }
    }
    EXPECT_GT(credited, 100);
    EXPECT_GT(paths, 1000u);
    // The kept aggregates sum a window as the tables do.
    for (int i = 0; i < 2; ++i) ASSERT_TRUE((*keeping)->ReadAggregates(AggregateQuery{}).ok());
    for (int by = 0; by < 7; ++by) {
      for (const auto& [from, to] : std::vector<std::pair<int, int>>{{-1, -1}, {1, 3}, {2, 6}}) {
        for (const std::optional<uint32_t> kind : {std::optional<uint32_t>(), {0u}, {1u}}) {
          for (int level = 0; level < 3; ++level) {
            AggregateQuery q;
            q.dim = by;
            q.kind = kind;
            q.credits = level != 2;
            q.min_level = level;
            q.interval = static_cast<Interval>(level + by % 2);  // each of them, now and then
            if (from >= 0) q.from_day = 20'769 + from, q.to_day = 20'769 + to;  // 2026-11-12 on
            SCOPED_TRACE(testing::Message() << "by " << by << " days " << from << "–" << to
                                            << " kind " << kind.value_or(9) << " level " << level
                                            << " interval " << static_cast<int>(q.interval));
            keeping_clock.Advance(2'000'000);
            const Result<AggregateResult> a = (*keeping)->ReadAggregates(q);
            const Result<AggregateResult> b = (*frozen)->ReadAggregates(q);
            ASSERT_TRUE(a.ok() && b.ok());
            EXPECT_EQ(a->conversions, b->conversions);
            EXPECT_TRUE(a->revenue == b->revenue);
            EXPECT_EQ(a->currencies, b->currencies);
            ASSERT_EQ(a->groups.size(), b->groups.size());
            // The tables' order may differ.
            std::map<std::pair<std::string, int32_t>, const GroupSums*> by_value;
            for (const GroupSums& g : b->groups) by_value[{g.value, g.period}] = &g;
            for (const GroupSums& g : a->groups) {
              ASSERT_TRUE(by_value.count({g.value, g.period})) << g.value << " " << g.period;
              const GroupSums& t = *by_value[{g.value, g.period}];
              EXPECT_EQ(g.touchpoints, t.touchpoints) << g.value;
              EXPECT_EQ(g.visitors, t.visitors) << g.value;
              EXPECT_EQ(g.paid, t.paid) << g.value;
              EXPECT_TRUE(g.credit == t.credit && g.revenue == t.revenue) << g.value;
            }
          }
        }
      }
    }
  };
  check();
  // Each period's rows are the report of the period alone (cut by the window).
  const auto check_periods = [&] {
    int rows = 0;
    for (const query::GroupBy by : {query::GroupBy::kChannel, query::GroupBy::kSourceMedium}) {
      for (const auto& [from, to] : std::vector<std::pair<int, int>>{{-1, -1}, {1, 3}, {-4, 19}}) {
        for (const Interval interval : {Interval::kDay, Interval::kWeek, Interval::kMonth}) {
          for (const std::string event : {"", "Signed Up"}) {
            query::AnalysisOptions o;
            o.group_by = by;
            o.data_driven = false;
            if (from != -1) o.from = nov12 + from * day, o.to = nov12 + to * day;
            if (!event.empty()) o.only_conversions = {event};
            SCOPED_TRACE(testing::Message()
                         << "by " << static_cast<int>(by) << " days " << from << "–" << to << " "
                         << event << " interval " << static_cast<int>(interval));
            const Result<std::vector<query::PeriodRows>> periods =
                query::AnalyzeStoreByPeriod(**store, o, interval);
            ASSERT_TRUE(periods.ok()) << periods.status().ToString();
            ASSERT_FALSE(periods->empty());
            // Every day from 2026-11-08 to 2026-11-21 (the data's and then some) is in one
            // period, or in none when it alone has no rows.
            size_t next = 0;
            for (int32_t d = 20'765; d < 20'779; ++d) {
              const int32_t start = interval == Interval::kDay    ? d
                                    : interval == Interval::kWeek ? WeekStart(d)
                                                                  : MonthStart(d);
              const int32_t end = interval == Interval::kDay    ? d + 1
                                  : interval == Interval::kWeek ? start + 7
                                                                : MonthStart(start + 31);
              if (d != start && d != 20'765) continue;  // a period is checked from its start
              query::AnalysisOptions alone = o;
              alone.from = std::max<Micros>(o.from.value_or(INT64_MIN), Micros{start} * day);
              alone.to = std::min<Micros>(o.to.value_or(INT64_MAX), Micros{end} * day);
              if (*alone.from >= *alone.to) continue;
              const Result<query::AnalysisResult> r = query::AnalyzeStore(**store, alone);
              ASSERT_TRUE(r.ok()) << r.status().ToString();
              if (r->rows.empty()) continue;
              ASSERT_LT(next, periods->size()) << FormatIsoDate(start);
              const query::PeriodRows& p = (*periods)[next++];
              ASSERT_EQ(p.start_day, start);
              ASSERT_EQ(p.rows.size(), r->rows.size()) << FormatIsoDate(start);
              for (size_t i = 0; i < p.rows.size(); ++i) {
                EXPECT_EQ(p.rows[i].key, r->rows[i].key);
                EXPECT_EQ(p.rows[i].touchpoints, r->rows[i].touchpoints);
                EXPECT_EQ(p.rows[i].visitors, r->rows[i].visitors);
                EXPECT_EQ(p.rows[i].conversions, r->rows[i].conversions);
                EXPECT_EQ(p.rows[i].revenue, r->rows[i].revenue);
                ++rows;
              }
            }
            EXPECT_EQ(next, periods->size());
          }
        }
      }
    }
    EXPECT_GT(rows, 300);
  };
  check_periods();
  // More journeys on the days kept, and on a new one; some visitors come back.
  for (int v = 0; v < 40; ++v) {
    const std::string visitor = fmt::format("{}{}", rng.Chance(0.3) ? "a" : "b", v);
    const int first = 13 + static_cast<int>(rng.Below(3));
    visit(visitor, first, 21, static_cast<int>(rng.Below(6)));
    visit(visitor, first + 1, 22, static_cast<int>(rng.Below(6)));
    if (visitor[0] == 'a') continue;  // (their conversions could share a session with earlier)
    if (rng.Chance(0.6)) order(visitor, first + 1, 5 + static_cast<double>(rng.Below(50)));
    if (rng.Chance(0.3)) signup(visitor, first);
  }
  send();
  check();
  check_periods();
  // Windows of one dimension learnt side by side from the kept paths, each thread with its own
  // connection, are each the window's own.
  {
    std::vector<query::AnalysisOptions> windows;
    std::vector<query::AnalysisResult> expected;
    for (int from = 0; from < 4; ++from) {
      query::AnalysisOptions o;
      o.group_by = query::GroupBy::kSource;
      o.data_driven = true;
      o.from = nov12 + from * day, o.to = nov12 + (from + 1 + from % 3) * day;
      Result<query::AnalysisResult> r = query::AnalyzeStore(**store, o);
      ASSERT_TRUE(r.ok());
      windows.push_back(o);
      expected.push_back(std::move(*r));
    }
    query::PathIndex shared;
    std::atomic<int> wrong = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        Result<std::unique_ptr<Store>> own = OpenSqliteStore(db_, so, *classifier_, clock_);
        if (!own.ok()) return void(++wrong);
        for (int i = 0; i < 1000; ++i) {
          const size_t w = (i + t) % windows.size();
          const Result<query::AnalysisResult> a = query::AnalyzeStore(**own, windows[w], &shared);
          if (!a.ok() || a->rows.size() != expected[w].rows.size()) {
            ++wrong;
            continue;
          }
          for (size_t r = 0; r < a->rows.size(); ++r) {
            wrong += a->rows[r].conversions != expected[w].rows[r].conversions;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(wrong, 0);
  }
  // The server's own answer is the store's.
  query::AnalysisOptions o;
  o.data_driven = true;
  const Result<query::AnalysisResult> fresh = query::AnalyzeStore(**store, o);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(Get("/v1/attribution/compare", a_.read_key).body,
            query::ReportRowsJson(*fresh, AllModels(), o.group_by));
}

}  // namespace
}  // namespace attrib::server
