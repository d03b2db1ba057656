// The whole batch pipeline on small hand-made Segment streams: messages in, report rows out.
// Each test states a situation a marketer meets and the credits attrib must give for it.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>

#include "common/rng.h"
#include "common/time.h"
#include "query/batch.h"

namespace attrib::query {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr Micros kMinute = 60'000'000;
constexpr Micros kDay = 1440 * kMinute;
const Micros kT0 = *ParseIsoTime("2026-10-01T12:00:00Z");
const Micros kNow = *ParseIsoTime("2026-11-01T00:00:00Z");

std::string Iso(Micros t) { return FormatIsoTime(t); }

// One Segment message as a JSON line. Optional parts are left out when empty.
struct Msg {
  std::string type = "page";
  std::string id;
  std::string anonymous;
  std::string user;
  Micros at = 0;
  std::string url;
  std::string referrer;
  std::string event;
  double revenue = -1;
  std::string extra;  // more top-level fields, with a leading comma

  std::string Json() const {
    std::string s =
        fmt::format(R"({{"type":"{}","messageId":"{}","timestamp":"{}")", type, id, Iso(at));
    if (!anonymous.empty()) s += fmt::format(R"(,"anonymousId":"{}")", anonymous);
    if (!user.empty()) s += fmt::format(R"(,"userId":"{}")", user);
    if (!event.empty()) s += fmt::format(R"(,"event":"{}")", event);
    if (revenue >= 0) s += fmt::format(R"(,"properties":{{"revenue":{}}})", revenue);
    if (!url.empty()) {
      s += fmt::format(R"(,"context":{{"page":{{"url":"{}","referrer":"{}"}}}})", url, referrer);
    }
    return s + extra + "}";
  }
};

int next_id = 0;
Msg Page(std::string anonymous, Micros at, std::string url, std::string referrer = "") {
  Msg m;
  m.id = fmt::format("m{}", ++next_id);
  m.anonymous = std::move(anonymous);
  m.at = at;
  m.url = std::move(url);
  m.referrer = std::move(referrer);
  return m;
}
Msg Order(std::string anonymous, Micros at, double revenue, std::string user = "") {
  Msg m =
      Page(std::move(anonymous), at, "https://shop.example/thanks", "https://shop.example/cart");
  m.type = "track";
  m.user = std::move(user);
  m.event = "Order Completed";
  m.revenue = revenue;
  return m;
}
Msg Identify(std::string anonymous, std::string user, Micros at) {
  Msg m = Page(std::move(anonymous), at, "");
  m.type = "identify";
  m.user = std::move(user);
  return m;
}

std::string Lines(const std::vector<Msg>& msgs) {
  std::string s;
  for (const Msg& m : msgs) s += m.Json() + "\n";
  return s;
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : classifier_(Classifier::Create().value()) {}

  // Analyses `text` fed in blocks of `lines_per_block` lines.
  AnalysisResult Run(const std::string& text, int lines_per_block = 1000) {
    std::vector<std::string> lines;
    for (std::string_view rest = text; !rest.empty();) {
      const size_t nl = rest.find('\n');
      lines.emplace_back(rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    size_t next = 0;
    Result<AnalysisResult> r = Analyze(classifier_, options, kNow, [&](InputBlock* block) {
      if (next >= lines.size()) return false;
      std::string text;
      for (int i = 0; i < lines_per_block && next < lines.size(); ++i) text += lines[next++];
      block->source = 0;
      block->Assign(text);
      return true;
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *std::move(r) : AnalysisResult{};
  }

  // Credits of `model` by group key ("organic_search", …), groups with any credit.
  static std::map<std::string, double> Credits(const AnalysisResult& r, Model model) {
    std::map<std::string, double> out;
    for (const GroupRow& row : r.rows) {
      const double c = row.conversions[static_cast<int>(model)];
      if (c != 0) out[row.key[0]] = c;
    }
    return out;
  }

  static const GroupRow* Row(const AnalysisResult& r, const std::string& key) {
    for (const GroupRow& row : r.rows) {
      if (row.key[0] == key) return &row;
    }
    return nullptr;
  }

  AnalysisOptions options;
  Classifier classifier_;
};

TEST_F(PipelineTest, LateIdentifyJoinsEarlierAnonymousSessionsToTheBuyersJourney) {
  const std::vector<Msg> msgs = {
      Page("laptop", kT0, "https://shop.example/", "https://www.google.com/"),
      Page("phone", kT0 + 2 * kDay, "https://shop.example/?utm_source=newsletter&utm_medium=email"),
      Order("phone", kT0 + 2 * kDay + 5 * kMinute, 80, "ann"),
      // The laptop is identified a week later: its first visit now belongs to Ann.
      Identify("laptop", "ann", kT0 + 9 * kDay),
  };
  const AnalysisResult r = Run(Lines(msgs));
  EXPECT_EQ(r.people, 1u);
  EXPECT_EQ(r.sessions, 2u);
  EXPECT_EQ(r.conversions, 1u);
  EXPECT_THAT(Credits(r, Model::kFirstTouch), ElementsAre(Pair("organic_search", 1.0)));
  EXPECT_THAT(Credits(r, Model::kLastTouch), ElementsAre(Pair("email", 1.0)));
  EXPECT_THAT(Credits(r, Model::kLinear),
              ElementsAre(Pair("email", 0.5), Pair("organic_search", 0.5)));
  EXPECT_DOUBLE_EQ(Row(r, "email")->revenue[static_cast<int>(Model::kLinear)], 40.0);

  // Without the identify the laptop is someone else, and the phone's visit has all the credit.
  const AnalysisResult alone = Run(Lines({msgs[0], msgs[1], msgs[2]}));
  EXPECT_EQ(alone.people, 2u);
  EXPECT_THAT(Credits(alone, Model::kFirstTouch), ElementsAre(Pair("email", 1.0)));
}

TEST_F(PipelineTest, UserIdStampedBeforeTheIdentifyStillStitches) {
  // The SDK put userId on the order before the identify that links the device arrived.
  const AnalysisResult r = Run(Lines({
      Identify("phone", "bob", kT0 + 3 * kDay),
      Order("", kT0 + kDay, 10, "bob"),
      Page("phone", kT0, "https://shop.example/", "https://www.bing.com/"),
  }));
  EXPECT_EQ(r.people, 1u);
  EXPECT_THAT(Credits(r, Model::kFirstTouch), ElementsAre(Pair("organic_search", 1.0)));
}

TEST_F(PipelineTest, InactivityLongerThanTheTimeoutStartsANewSession) {
  const auto run = [&](Micros gap) {
    return Run(Lines({
        Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
        Page("a", kT0 + gap, "https://shop.example/p", "https://shop.example/"),
        Order("a", kT0 + gap + kMinute, 5),
    }));
  };
  const AnalysisResult within = run(29 * kMinute);
  EXPECT_EQ(within.sessions, 1u);
  EXPECT_THAT(Credits(within, Model::kLastTouch), ElementsAre(Pair("organic_search", 1.0)));
  const AnalysisResult beyond = run(31 * kMinute);
  EXPECT_EQ(beyond.sessions, 2u);  // the second session came from the site itself
  EXPECT_THAT(Credits(beyond, Model::kLastTouch), ElementsAre(Pair("internal", 1.0)));
  EXPECT_THAT(Credits(beyond, Model::kLastNonDirect), ElementsAre(Pair("organic_search", 1.0)));

  options.sessions.timeout = 60 * kMinute;
  EXPECT_EQ(run(31 * kMinute).sessions, 1u);
}

TEST_F(PipelineTest, ConversionAtTheSessionBoundaryOpensItsOwnSession) {
  const AnalysisResult r = Run(Lines({
      Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
      Order("a", kT0 + 30 * kMinute + 1000, 5),  // 30 minutes and 1 ms after the last event
  }));
  EXPECT_EQ(r.sessions, 2u);
  EXPECT_THAT(Credits(r, Model::kLinear),
              ElementsAre(Pair("internal", 0.5), Pair("organic_search", 0.5)));
  const AnalysisResult same = Run(Lines({
      Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
      Order("a", kT0 + 30 * kMinute, 5),  // exactly the timeout: still the same session
  }));
  EXPECT_EQ(same.sessions, 1u);
}

TEST_F(PipelineTest, ANewCampaignStartsANewSession) {
  const std::string email = "https://shop.example/?utm_source=newsletter&utm_medium=email";
  const auto run = [&](const std::string& second_url) {
    return Run(Lines({
        Page("a", kT0, email),
        Page("a", kT0 + 5 * kMinute, second_url, "https://www.google.com/"),
        Order("a", kT0 + 6 * kMinute, 5),
    }));
  };
  const AnalysisResult ad = run("https://shop.example/?gclid=abc");
  EXPECT_EQ(ad.sessions, 2u);
  EXPECT_THAT(Credits(ad, Model::kLastTouch), ElementsAre(Pair("paid_search", 1.0)));
  EXPECT_EQ(run(email).sessions, 1u);  // the same tags again: the same session
  // An organic referrer is not a campaign: the session goes on.
  EXPECT_EQ(run("https://shop.example/p").sessions, 1u);

  options.sessions.split_on_campaign = false;
  EXPECT_EQ(run("https://shop.example/?gclid=abc").sessions, 1u);
}

TEST_F(PipelineTest, PaymentProviderReturnDoesNotStartOrClassifyASession) {
  const auto run = [&] {
    return Run(Lines({
        Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
        // Back from PayPal 40 minutes later.
        Page("a", kT0 + 40 * kMinute, "https://shop.example/thanks", "https://www.paypal.com/"),
        Order("a", kT0 + 41 * kMinute, 30),
    }));
  };
  const AnalysisResult excluded = run();
  EXPECT_EQ(excluded.sessions, 1u);
  EXPECT_THAT(Credits(excluded, Model::kLastTouch), ElementsAre(Pair("organic_search", 1.0)));

  options.sessions.referral_exclusions.clear();
  const AnalysisResult counted = run();
  EXPECT_EQ(counted.sessions, 2u);
  EXPECT_THAT(Credits(counted, Model::kLastTouch), ElementsAre(Pair("referral", 1.0)));
}

TEST_F(PipelineTest, CountingModes) {
  const std::vector<Msg> msgs = {
      Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
      Order("a", kT0 + kMinute, 10),
      Order("a", kT0 + 2 * kMinute, 20),  // same session
      Page("a", kT0 + kDay, "https://shop.example/?utm_source=newsletter&utm_medium=email"),
      Order("a", kT0 + kDay + kMinute, 40),
  };
  const auto count = [&](journey::Counting c) {
    options.conversions.counting = c;
    const AnalysisResult r = Run(Lines(msgs));
    return std::pair(r.conversions, r.revenue);
  };
  EXPECT_EQ(count(journey::Counting::kOncePerUser), std::pair(uint64_t{1}, 10.0));
  EXPECT_EQ(count(journey::Counting::kOncePerSession), std::pair(uint64_t{2}, 50.0));
  EXPECT_EQ(count(journey::Counting::kEveryEvent), std::pair(uint64_t{3}, 70.0));

  options.conversions.counting = journey::Counting::kOncePerUser;
  options.conversions.counting_by_event["Order Completed"] = journey::Counting::kEveryEvent;
  EXPECT_EQ(Run(Lines(msgs)).conversions, 3u);
}

TEST_F(PipelineTest, LookbackWindowBoundsTheJourney) {
  options.conversions.counting = journey::Counting::kEveryEvent;
  const AnalysisResult r = Run(Lines({
      Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
      Page("a", kT0 + 20 * kDay, "https://shop.example/?utm_source=newsletter&utm_medium=email"),
      Order("a", kT0 + 30 * kDay, 10),         // both sessions are inside 30 days
      Order("a", kT0 + 30 * kDay + 1000, 10),  // the first one is now 1 ms too old
  }));
  EXPECT_THAT(Credits(r, Model::kFirstTouch),
              ElementsAre(Pair("email", 1.0), Pair("organic_search", 1.0)));
}

TEST_F(PipelineTest, ClockSkewIsCorrectedFromSentAtAndReceivedAt) {
  // The phone's clock is two hours slow; the server received the order at kT0 + 1 s.
  Msg order = Order("a", kT0 - 120 * kMinute, 10);
  order.extra = fmt::format(R"(,"sentAt":"{}","receivedAt":"{}")",
                            Iso(kT0 - 120 * kMinute + 1'000'000), Iso(kT0 + 1'000'000));
  const std::vector<Msg> msgs = {
      Page("a", kT0 - 10 * kMinute, "https://shop.example/", "https://www.google.com/"), order};
  const AnalysisResult r = Run(Lines(msgs));
  EXPECT_EQ(r.ingest.skew_corrected, 1u);
  EXPECT_EQ(r.sessions, 1u);  // the order lands 10 minutes after the visit, not before it
  EXPECT_THAT(Credits(r, Model::kLastTouch), ElementsAre(Pair("organic_search", 1.0)));
  options.from = kT0;  // and inside a window that starts at the real time
  EXPECT_EQ(Run(Lines(msgs)).conversions, 1u);
}

TEST_F(PipelineTest, DuplicateMessagesCountOnce) {
  const Msg page = Page("a", kT0, "https://shop.example/", "https://www.google.com/");
  const Msg order = Order("a", kT0 + kMinute, 25);
  const std::string text = Lines({page, order, order, page}) +
                           fmt::format(R"({{"batch":[{},{}]}})", order.Json(), page.Json()) + "\n";
  options.conversions.counting = journey::Counting::kEveryEvent;
  const AnalysisResult r = Run(text);
  EXPECT_EQ(r.ingest.received, 6u);
  EXPECT_EQ(r.ingest.accepted, 2u);
  EXPECT_EQ(r.ingest.duplicates, 4u);
  EXPECT_EQ(r.conversions, 1u);
  EXPECT_DOUBLE_EQ(r.revenue, 25.0);
}

TEST_F(PipelineTest, EveryInvalidMessageIsReportedWithItsLineAndTheRestIsAnalysed) {
  const std::string good =
      Lines({Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
             Order("a", kT0 + kMinute, 10)});
  const std::string text = "{\"type\":\"page\"\n" + good +  // line 1: cut short
                           "[1,2]\n" +                      // line 4: not an object
                           R"({"type":"track","anonymousId":"x","timestamp":"2026-10-01"})" +
                           "\n" +  // line 5: no event
                           R"({"batch":[{"type":"page","anonymousId":"y","timestamp":"x"},)" +
                           Page("z", kT0, "https://shop.example/").Json() + "]}\n";
  const AnalysisResult r = Run(text, 2);
  EXPECT_EQ(r.ingest.received, 7u);
  EXPECT_EQ(r.ingest.accepted, 3u);
  EXPECT_EQ(r.ingest.rejected, 4u);
  EXPECT_EQ(r.ingest.received, r.ingest.accepted + r.ingest.duplicates + r.ingest.rejected);
  ASSERT_EQ(r.rejections.size(), 4u);
  const auto at = [&](size_t i) {
    const RejectedMessage& m = r.rejections[i];
    return fmt::format("{}:{}:{}:{}", m.line, m.in_batch, m.index, ingest::ToString(m.reason));
  };
  EXPECT_EQ(at(0), "1:false:0:invalid_json");
  EXPECT_EQ(at(1), "4:false:0:not_an_object");
  EXPECT_EQ(at(2), "5:false:0:missing_event");
  EXPECT_EQ(at(3), "6:true:0:invalid_timestamp");
  EXPECT_EQ(r.conversions, 1u);
}

TEST_F(PipelineTest, ServerSideConversionWithoutAPageIsADirectSession) {
  Msg order = Order("a", kT0, 10);
  order.url.clear();  // a server-side event: no page
  const AnalysisResult r = Run(Lines({order}));
  EXPECT_EQ(r.conversions, 1u);
  // The order itself is the activity: a session without a page URL counts as direct.
  EXPECT_THAT(Credits(r, Model::kLastTouch), ElementsAre(Pair("direct", 1.0)));
}

// Same messages in any order, fed in any blocks, on any number of threads: the same report,
// to the last bit.
TEST_F(PipelineTest, ResultDoesNotDependOnInputOrderOrThreads) {
  std::vector<Msg> msgs;
  Rng rng(7);
  const char* refs[] = {"https://www.google.com/", "https://m.facebook.com/", "",
                        "https://news.ycombinator.com/"};
  for (int p = 0; p < 300; ++p) {
    const std::string anon = fmt::format("anon{}", p);
    Micros t = kT0 + static_cast<Micros>(rng.Below(10 * kDay));
    for (int s = 0, n = 1 + static_cast<int>(rng.Below(4)); s < n; ++s) {
      msgs.push_back(Page(anon, t, "https://shop.example/", refs[rng.Below(4)]));
      if (rng.Chance(0.3)) msgs.push_back(Order(anon, t + kMinute, 1 + rng.Below(100)));
      t += static_cast<Micros>(rng.Below(3 * kDay)) + kDay;
    }
    if (rng.Chance(0.2)) msgs.push_back(Identify(anon, fmt::format("user{}", p / 2), t));
  }
  options.conversions.counting = journey::Counting::kEveryEvent;
  options.threads = 1;
  const AnalysisResult a = Run(Lines(msgs), 1000);
  for (size_t i = msgs.size() - 1; i > 0; --i) std::swap(msgs[i], msgs[rng.Below(i + 1)]);
  options.threads = 3;
  const AnalysisResult b = Run(Lines(msgs), 7);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  EXPECT_GT(a.conversions, 50u);
  EXPECT_EQ(a.conversions, b.conversions);
  EXPECT_EQ(a.people, b.people);
  EXPECT_EQ(a.sessions, b.sessions);
  for (size_t i = 0; i < a.rows.size(); ++i) {
    EXPECT_EQ(a.rows[i].key, b.rows[i].key);
    EXPECT_EQ(a.rows[i].touchpoints, b.rows[i].touchpoints);
    EXPECT_EQ(a.rows[i].visitors, b.rows[i].visitors);
    EXPECT_EQ(a.rows[i].conversions, b.rows[i].conversions);  // bit for bit, every model
    EXPECT_EQ(a.rows[i].revenue, b.rows[i].revenue);
    EXPECT_EQ(a.rows[i].removal_effect, b.rows[i].removal_effect);
  }
  EXPECT_EQ(a.data_driven.distinct_paths, b.data_driven.distinct_paths);
  EXPECT_EQ(a.data_driven.conversion_probability, b.data_driven.conversion_probability);
}

// The data-driven models learn from every journey's path of groups, converting or not.
TEST_F(PipelineTest, DataDrivenModelsLearnFromConvertingAndOtherJourneys) {
  const std::string google = "https://www.google.com/", facebook = "https://m.facebook.com/";
  const AnalysisResult r = Run(Lines({
      Page("a", kT0, "https://shop.example/", google),
      Order("a", kT0 + kMinute, 10),
      Page("b", kT0, "https://shop.example/", facebook),
      Page("b", kT0 + kDay, "https://shop.example/", google),
      Order("b", kT0 + kDay + kMinute, 20),
      Page("c", kT0, "https://shop.example/", facebook),
      Page("d", kT0, "https://shop.example/", google),
  }));
  // Groups sorted by key: organic_search = 0, organic_social = 1.
  PathTable expected;
  expected.Add(std::vector<uint32_t>{0}, PathOutcome{1, 10, 1});
  expected.Add(std::vector<uint32_t>{1}, PathOutcome{0, 0, 1});
  expected.Add(std::vector<uint32_t>{1, 0}, PathOutcome{1, 20, 0});
  EXPECT_EQ(r.data_driven.distinct_paths, 3u);
  EXPECT_EQ(r.non_converting_journeys, 2u);
  const Result<MarkovResult> markov = Markov(expected, MarkovOptions{});
  const Result<ShapleyResult> shapley = Shapley(expected, ShapleyOptions{});
  ASSERT_TRUE(markov.ok() && shapley.ok());
  const std::vector<ChannelCredit> simplified = ShapleySimplified(expected);
  ASSERT_EQ(r.rows.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    const GroupRow& row = r.rows[g];
    EXPECT_EQ(row.key[0], g == 0 ? "organic_search" : "organic_social");
    EXPECT_DOUBLE_EQ(row.conversions[static_cast<int>(Model::kMarkov)],
                     markov->credits[g].conversions);
    EXPECT_DOUBLE_EQ(row.revenue[static_cast<int>(Model::kMarkov)], markov->credits[g].value);
    EXPECT_DOUBLE_EQ(row.removal_effect, markov->removal_effect[g]);
    EXPECT_DOUBLE_EQ(row.conversions[static_cast<int>(Model::kShapley)],
                     shapley->credits[g].conversions);
    EXPECT_DOUBLE_EQ(row.revenue[static_cast<int>(Model::kShapleySimplified)], simplified[g].value);
  }
  // Search alone converts half the time, social alone never, both together always: social's
  // removal leaves only search's paths; search's removal leaves none that convert.
  EXPECT_DOUBLE_EQ(r.rows[0].removal_effect, 1.0);
  EXPECT_GT(r.rows[1].removal_effect, 0.0);
  EXPECT_LT(r.rows[1].removal_effect, 1.0);
}

// When the data-driven models cannot run (here: more groups than an order-4 chain can key),
// the heuristic report stands and the reason is given.
TEST_F(PipelineTest, ADataDrivenFailureLeavesTheHeuristicReport) {
  options.group_by = GroupBy::kCampaign;
  options.markov.order = 4;
  std::vector<Msg> msgs;
  for (int i = 0; i <= 65'535; ++i) {
    msgs.push_back(Page(fmt::format("v{}", i), kT0,
                        fmt::format("https://shop.example/?utm_source=x&utm_campaign=c{}", i)));
  }
  msgs.push_back(Order("v1", kT0 + kMinute, 10));
  const AnalysisResult r = Run(Lines(msgs), 5000);
  EXPECT_THAT(r.data_driven.error, ::testing::HasSubstr("order 4 takes at most 65535 channels"));
  EXPECT_EQ(r.conversions, 1u);
  EXPECT_EQ(Credits(r, Model::kLinear), (std::map<std::string, double>{{"c1", 1.0}}));
  EXPECT_TRUE(Credits(r, Model::kMarkov).empty());
  options.data_driven = false;  // not asked for: not run, no error
  const AnalysisResult heuristic = Run(Lines(msgs), 5000);
  EXPECT_TRUE(heuristic.data_driven.error.empty());
  EXPECT_EQ(heuristic.data_driven.distinct_paths, 0u);
}

// A bot's journey of more sessions than any person makes: the data-driven models learn from
// its last kMaxPathLength touchpoints; the heuristics still credit all of them.
TEST_F(PipelineTest, TheDataDrivenModelsSeeTheLastTenThousandTouchpointsOfAJourney) {
  options.group_by = GroupBy::kCampaign;
  std::vector<Msg> msgs;
  for (int i = 0; i <= 10'000; ++i) {  // each page a new campaign: a new session
    msgs.push_back(Page("bot", kT0 + Micros{i} * 1'000'000,
                        fmt::format("https://shop.example/?utm_source=x&utm_campaign=c{}", i)));
  }
  msgs.push_back(Order("bot", kT0 + 10'001 * 1'000'000LL, 10));
  const AnalysisResult r = Run(Lines(msgs), 5000);
  ASSERT_TRUE(r.data_driven.error.empty()) << r.data_driven.error;
  EXPECT_EQ(r.sessions, 10'001u);
  EXPECT_EQ(r.data_driven.markov_states, kMaxPathLength);
  const std::map<std::string, double> markov = Credits(r, Model::kMarkov);
  EXPECT_EQ(markov.size(), kMaxPathLength);
  EXPECT_EQ(markov.count("c0"), 0u);  // the first one is left out
  EXPECT_EQ(Credits(r, Model::kLinear).size(), 10'001u);
}

// A journey without a conversion counts for the window its last session is in.
TEST_F(PipelineTest, JourneysWithoutAConversionFollowTheReportWindow) {
  options.from = kT0 + 5 * kDay;
  const AnalysisResult r = Run(Lines({
      Page("early", kT0, "https://shop.example/", "https://www.google.com/"),
      Page("late", kT0 + 2 * kDay, "https://shop.example/", "https://www.google.com/"),
      Page("late", kT0 + 6 * kDay, "https://shop.example/", "https://m.facebook.com/"),
  }));
  EXPECT_EQ(r.non_converting_journeys, 1u);
  EXPECT_EQ(r.data_driven.distinct_paths, 1u);
}

TEST_F(PipelineTest, AConversionsOwnSessionIsInItsJourneyHoweverLongItLasts) {
  // One visit kept alive for 31 days by an app's heartbeat, then an order.
  std::vector<Msg> msgs = {
      Page("a", kT0, "https://shop.example/?utm_source=google&utm_medium=cpc")};
  for (Micros t = kT0 + 20 * kMinute; t < kT0 + 31 * kDay; t += 20 * kMinute) {
    Msg beat = Page("a", t, "");
    beat.type = "track";
    beat.event = "Heartbeat";
    msgs.push_back(beat);
  }
  msgs.push_back(Order("a", kT0 + 31 * kDay, 100));
  const AnalysisResult r = Run(Lines(msgs));
  EXPECT_EQ(r.sessions, 1u);
  EXPECT_THAT(Credits(r, Model::kLinear), ElementsAre(Pair("paid_search", 1.0)));
}

TEST_F(PipelineTest, MessageIdsWhoseShortFingerprintsCollideAreNotDuplicates) {
  // These two ids share the 32 bits of hash an event record keeps.
  Msg page = Page("a", kT0, "https://shop.example/", "https://www.google.com/");
  page.id = "m-33335";
  Msg order = Order("a", kT0 + kMinute, 10);
  order.id = "m-70440";
  const AnalysisResult r = Run(Lines({page, order}));
  EXPECT_EQ(r.ingest.accepted, 2u);
  EXPECT_EQ(r.ingest.duplicates, 0u);
  EXPECT_THAT(Credits(r, Model::kLinear), ElementsAre(Pair("organic_search", 1.0)));
}

TEST_F(PipelineTest, ImplausibleRevenueIsIgnoredNotOverflowed) {
  options.conversions.counting = journey::Counting::kEveryEvent;
  std::vector<Msg> msgs = {Page("a", kT0, "https://shop.example/", "https://www.google.com/")};
  for (int i = 0; i < 3; ++i) msgs.push_back(Order("a", kT0 + (i + 1) * kMinute, 1e26));
  msgs.push_back(Order("a", kT0 + 5 * kMinute, 25));
  const AnalysisResult r = Run(Lines(msgs));
  EXPECT_EQ(r.conversions, 4u);
  EXPECT_DOUBLE_EQ(r.revenue, 25.0);
}

TEST_F(PipelineTest, EventsAtTheSameInstantGiveTheSameSessionsInAnyOrder) {
  Msg ad = Page("a", kT0, "https://shop.example/?utm_source=google&utm_medium=cpc");
  Msg social = Page("a", kT0, "https://shop.example/", "https://m.facebook.com/");
  ad.id = social.id = "";  // no messageIds: nothing to tell them apart by but their content
  const Msg order = Order("a", kT0 + kMinute, 10);
  const AnalysisResult one = Run(Lines({ad, social, order}));
  const AnalysisResult other = Run(Lines({social, ad, order}));
  EXPECT_EQ(one.sessions, other.sessions);
  EXPECT_EQ(Credits(one, Model::kLinear), Credits(other, Model::kLinear));
}

TEST_F(PipelineTest, CampaignOfAnEventWithoutAPageClassifiesItsSession) {
  Msg open = Page("a", kT0, "");
  open.type = "track";
  open.event = "Application Opened";
  open.extra = R"(,"context":{"campaign":{"source":"newsletter","medium":"email"}})";
  Msg order = Order("a", kT0 + kMinute, 10);
  order.url.clear();
  const AnalysisResult r = Run(Lines({open, order}));
  EXPECT_THAT(Credits(r, Model::kLastTouch), ElementsAre(Pair("email", 1.0)));
}

TEST_F(PipelineTest, ReachAndConversionRateInputs) {
  // Two people reached by google (one twice), one converts.
  const AnalysisResult r = Run(Lines({
      Page("a", kT0, "https://shop.example/", "https://www.google.com/"),
      Page("a", kT0 + kDay, "https://shop.example/", "https://www.google.com/"),
      Page("b", kT0, "https://shop.example/", "https://www.google.com/"),
      Order("b", kT0 + kMinute, 10),
  }));
  const GroupRow* google = Row(r, "organic_search");
  ASSERT_NE(google, nullptr);
  EXPECT_EQ(google->touchpoints, 3u);
  EXPECT_EQ(google->visitors, 2u);
  EXPECT_EQ(google->conversions[static_cast<int>(Model::kLinear)], 1.0);
  EXPECT_EQ(r.non_converting_journeys, 1u);  // a's
}

TEST_F(PipelineTest, GroupsBySourceMedium) {
  options.group_by = GroupBy::kSourceMedium;
  const AnalysisResult r = Run(Lines({
      Page("a", kT0, "https://shop.example/?utm_source=newsletter&utm_medium=email"),
      Order("a", kT0 + kMinute, 10),
  }));
  ASSERT_FALSE(r.rows.empty());
  bool found = false;
  for (const GroupRow& row : r.rows) {
    if (row.key == std::vector<std::string>{"newsletter", "email"}) {
      found = true;
      EXPECT_EQ(row.conversions[static_cast<int>(Model::kFirstTouch)], 1.0);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace attrib::query
