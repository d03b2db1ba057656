// Journeys: the lookback window at its edges, the counting modes, the non-converting journey,
// and a property against a direct (quadratic) reading of the definitions; revenue extraction
// and option validation.
#include "journey/journey.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace attrib::journey {
namespace {

using sessionize::Session;

constexpr Micros kT0 = 1'700'000'000'000'000;
constexpr Micros kHour = 3'600'000'000;
constexpr Micros kMinute = 60'000'000;

Micros Day(int d) { return kT0 + d * kDay; }
Session At(Micros start) { return Session{start, start + kMinute, 0, 0, 1}; }
Conversion Conv(Micros at, uint32_t kind = 0) { return Conversion{at, kind, 0, 0}; }

// Each journey as text: "c<conversion index>[<session indices>]", or "-[…]" when it has not
// converted.
std::vector<std::string> Build(const std::vector<Session>& sessions,
                               const std::vector<Conversion>& conversions,
                               const std::vector<Counting>& counting_by_kind,
                               Micros lookback = 30 * kDay) {
  ConversionOptions options;
  options.lookback = lookback;
  std::vector<std::string> out;
  BuildJourneys(sessions, conversions, options, counting_by_kind, [&](const Journey& j) {
    std::string text = j.conversion ? fmt::format("c{}", j.conversion - conversions.data()) : "-";
    text += '[';
    for (size_t i = 0; i < j.sessions.size(); ++i) {
      text += fmt::format("{}{}", i ? "," : "", &j.sessions[i] - sessions.data());
    }
    text += ']';
    out.push_back(text);
  });
  return out;
}

using Texts = std::vector<std::string>;
const std::vector<Counting> kOncePerUser(16, Counting::kOncePerUser);
const std::vector<Counting> kOncePerSession(16, Counting::kOncePerSession);
const std::vector<Counting> kEveryEvent(16, Counting::kEveryEvent);

TEST(JourneyBuild, LookbackWindowEdges) {
  const Micros t = Day(40);
  const std::vector<Session> sessions = {
      At(t - 30 * kDay - 1),  // 1 µs before the window: out
      At(t - 30 * kDay),      // exactly at converted_at − lookback: in
      At(t - 1),
      At(t),      // starts at the conversion itself: in
      At(t + 1),  // after it: the next, non-converting journey
  };
  EXPECT_EQ(Build(sessions, {Conv(t)}, kOncePerUser), (Texts{"c0[1,2,3]", "-[4]"}));
}

TEST(JourneyBuild, CustomLookback) {
  const Micros t = Day(40);
  const std::vector<Session> sessions = {At(t - 7 * kDay - 1), At(t - 7 * kDay), At(t - kHour)};
  EXPECT_EQ(Build(sessions, {Conv(t)}, kOncePerUser, 7 * kDay), (Texts{"c0[1,2]"}));
  EXPECT_EQ(Build(sessions, {Conv(t)}, kOncePerUser, 8 * kDay), (Texts{"c0[0,1,2]"}));
}

TEST(JourneyBuild, ConversionWithoutAnEarlierSessionGetsAnEmptyJourney) {
  EXPECT_EQ(Build({At(Day(5)), At(Day(6))}, {Conv(Day(1))}, kOncePerUser),
            (Texts{"c0[]", "-[0,1]"}));
  EXPECT_EQ(Build({}, {Conv(Day(1))}, kOncePerUser), (Texts{"c0[]"}));
  // The conversion's own session (the last one started before it) is always in its journey,
  // however long ago it started; earlier ones outside the window are not.
  EXPECT_EQ(Build({At(Day(0))}, {Conv(Day(31))}, kOncePerUser), (Texts{"c0[0]"}));
  EXPECT_EQ(Build({At(Day(0)), At(Day(0) + kHour)}, {Conv(Day(31))}, kOncePerUser),
            (Texts{"c0[1]"}));
}

TEST(JourneyBuild, NothingForNothing) { EXPECT_TRUE(Build({}, {}, kOncePerUser).empty()); }

TEST(JourneyBuild, OncePerUserCountsTheFirstOfEachKind) {
  const std::vector<Session> sessions = {At(Day(0)), At(Day(2))};
  const std::vector<Conversion> conversions = {Conv(Day(0) + kHour, 0), Conv(Day(0) + 2 * kHour, 1),
                                               Conv(Day(2) + kHour, 0), Conv(Day(2) + 2 * kHour, 1),
                                               Conv(Day(2) + 3 * kHour, 2)};
  EXPECT_EQ(Build(sessions, conversions, kOncePerUser), (Texts{"c0[0]", "c1[0]", "c4[0,1]"}));
  // The repeat purchase on day 2 does not count, but its session did convert: no journey that
  // has not converted.
  EXPECT_EQ(Build(sessions, {conversions[0], conversions[1], conversions[2]}, kOncePerUser),
            (Texts{"c0[0]", "c1[0]"}));
}

TEST(JourneyBuild, OncePerSessionCountsOnePerSessionAndKind) {
  const std::vector<Session> sessions = {At(Day(0)), At(Day(2))};
  const std::vector<Conversion> conversions = {
      Conv(Day(0) + 10 * kMinute, 0),  // counts
      Conv(Day(0) + 20 * kMinute, 0),  // same session, same kind: no
      Conv(Day(0) + 30 * kMinute, 1),  // another kind: counts
      Conv(Day(2) + 5 * kMinute, 0),   // the next session: counts
      Conv(Day(2) + 6 * kMinute, 0),   // no
  };
  EXPECT_EQ(Build(sessions, conversions, kOncePerSession), (Texts{"c0[0]", "c2[0]", "c3[0,1]"}));
}

TEST(JourneyBuild, EveryEventCountsAll) {
  const std::vector<Session> sessions = {At(Day(0)), At(Day(2))};
  const std::vector<Conversion> conversions = {
      Conv(Day(0) + 10 * kMinute, 0), Conv(Day(0) + 20 * kMinute, 0),
      Conv(Day(0) + 30 * kMinute, 1), Conv(Day(2) + 5 * kMinute, 0), Conv(Day(2) + 6 * kMinute, 0)};
  EXPECT_EQ(Build(sessions, conversions, kEveryEvent),
            (Texts{"c0[0]", "c1[0]", "c2[0]", "c3[0,1]", "c4[0,1]"}));
}

TEST(JourneyBuild, CountingByEventOverridesPerKind) {
  ConversionOptions options;
  options.events = {"Signed Up", "Order Completed", "Trial Started"};
  options.counting = Counting::kOncePerUser;
  options.counting_by_event = {{"Order Completed", Counting::kEveryEvent},
                               {"Trial Started", Counting::kOncePerSession}};
  std::vector<Counting> counting_by_kind;
  for (const std::string& e : options.events) counting_by_kind.push_back(options.CountingOf(e));
  ASSERT_EQ(counting_by_kind, (std::vector<Counting>{Counting::kOncePerUser, Counting::kEveryEvent,
                                                     Counting::kOncePerSession}));
  const std::vector<Session> sessions = {At(Day(0)), At(Day(1))};
  const std::vector<Conversion> conversions = {
      Conv(Day(0) + 1, 0), Conv(Day(0) + 2, 1), Conv(Day(0) + 3, 2),
      Conv(Day(0) + 4, 0), Conv(Day(0) + 5, 1), Conv(Day(0) + 6, 2),
      Conv(Day(1) + 1, 0), Conv(Day(1) + 2, 1), Conv(Day(1) + 3, 2)};
  EXPECT_EQ(Build(sessions, conversions, counting_by_kind),
            (Texts{"c0[0]", "c1[0]", "c2[0]", "c4[0]", "c7[0,1]", "c8[0,1]"}));
}

TEST(JourneyBuild, MoreThanEightKinds) {
  const std::vector<Session> sessions = {At(Day(0)), At(Day(2))};
  std::vector<Conversion> conversions;
  for (const Micros round : {Day(0) + kMinute, Day(0) + kHour, Day(2) + kMinute}) {
    for (uint32_t kind = 0; kind < 12; ++kind) conversions.push_back(Conv(round + kind, kind));
  }
  Texts once_per_user, once_per_session, every_event;
  for (size_t i = 0; i < conversions.size(); ++i) {
    const std::string text = fmt::format("c{}[{}]", i, i < 24 ? "0" : "0,1");
    if (i < 12) once_per_user.push_back(text);
    if (i < 12 || i >= 24) once_per_session.push_back(text);
    every_event.push_back(text);
  }
  EXPECT_EQ(Build(sessions, conversions, kOncePerUser), once_per_user);
  EXPECT_EQ(Build(sessions, conversions, kOncePerSession), once_per_session);
  EXPECT_EQ(Build(sessions, conversions, kEveryEvent), every_event);
}

TEST(JourneyBuild, NonConvertingJourneyIsTheLookbackBeforeTheLastSession) {
  // After the conversion on day 1: sessions on days 5 − 1 µs, 5 and 35. The window ends at the
  // last session's start (day 35) and reaches back 30 days, to day 5 exactly.
  const std::vector<Session> sessions = {At(Day(0)), At(Day(5) - 1), At(Day(5)), At(Day(35))};
  EXPECT_EQ(Build(sessions, {Conv(Day(0) + kHour)}, kOncePerUser), (Texts{"c0[0]", "-[2,3]"}));
}

TEST(JourneyBuild, UncountedConversionsEndTheNonConvertingJourneyToo) {
  // A repeat purchase on day 10 does not count once per user, but the sessions before it did
  // convert: the journey that has not converted starts after it.
  const std::vector<Session> sessions = {At(Day(0)), At(Day(10)), At(Day(12))};
  EXPECT_EQ(Build(sessions, {Conv(Day(0) + kHour), Conv(Day(10) + kHour)}, kOncePerUser),
            (Texts{"c0[0]", "-[2]"}));
}

TEST(JourneyBuild, NoNonConvertingJourneyWhenTheLastSessionConverted) {
  const std::vector<Session> sessions = {At(Day(0)), At(Day(1))};
  EXPECT_EQ(Build(sessions, {Conv(Day(1) + 10 * kMinute)}, kOncePerUser), (Texts{"c0[0,1]"}));
  EXPECT_EQ(Build(sessions, {Conv(Day(1))}, kOncePerUser), (Texts{"c0[0,1]"}));
}

TEST(JourneyBuild, PersonWithoutConversionsHasOneJourneyInsideTheWindow) {
  const std::vector<Session> sessions = {At(Day(0)), At(Day(15) - 1), At(Day(15)), At(Day(40)),
                                         At(Day(45))};
  EXPECT_EQ(Build(sessions, {}, kOncePerUser), (Texts{"-[2,3,4]"}));
  EXPECT_EQ(Build({At(Day(3))}, {}, kOncePerUser), (Texts{"-[0]"}));
}

// A direct reading of the definitions, for the property below.
Texts Reference(const std::vector<Session>& sessions, const std::vector<Conversion>& conversions,
                const std::vector<Counting>& counting_by_kind, Micros lookback) {
  Texts out;
  const auto session_of = [&](Micros at) {  // 1-based index of the session holding `at`
    size_t n = 0;
    while (n < sessions.size() && sessions[n].start <= at) ++n;
    return n;
  };
  const auto journey = [&](std::string text, Micros from, Micros to, Micros after) {
    text += '[';
    bool any = false;
    for (size_t i = 0; i < sessions.size(); ++i) {
      const Micros s = sessions[i].start;
      if (s >= from && s <= to && s > after) {
        text += fmt::format("{}{}", any ? "," : "", i);
        any = true;
      }
    }
    out.push_back(text + ']');
  };
  std::vector<size_t> counted;
  for (size_t i = 0; i < conversions.size(); ++i) {
    const Conversion& c = conversions[i];
    bool counts = true;
    for (const size_t j : counted) {
      if (conversions[j].kind != c.kind) continue;
      switch (counting_by_kind[c.kind]) {
        case Counting::kOncePerUser:
          counts = false;
          break;
        case Counting::kOncePerSession:
          counts = counts && session_of(conversions[j].at) != session_of(c.at);
          break;
        case Counting::kEveryEvent:
          break;
      }
    }
    if (!counts) continue;
    counted.push_back(i);
    journey(fmt::format("c{}", i), c.at - lookback, c.at, std::numeric_limits<Micros>::min());
    // … and always the conversion's own session (the last one started by then).
    const size_t own = session_of(c.at);
    if (own > 0 && sessions[own - 1].start < c.at - lookback) {
      out.back().back() = ',';
      if (out.back().ends_with("[,")) out.back().pop_back();
      out.back() += fmt::format("{}]", own - 1);
    }
  }
  // The journey that has not converted starts after the last conversion event, counted or not.
  const Micros after =
      conversions.empty() ? std::numeric_limits<Micros>::min() : conversions.back().at;
  if (!sessions.empty() && sessions.back().start > after) {
    const Micros end = sessions.back().start;
    journey("-", end - lookback, end, after);
  }
  return out;
}

RC_GTEST_PROP(JourneyBuild, MatchesTheDefinitions, ()) {
  // Whole hours over 20 days and a lookback of whole days: the window's edges are often hit
  // exactly; sessions and conversions often start at the same instant.
  const auto hours = [](int n) {
    return rc::gen::map(rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 20 * 24)),
                        [n](std::vector<int> v) {
                          if (v.size() > static_cast<size_t>(n)) v.resize(n);
                          std::sort(v.begin(), v.end());
                          return v;
                        });
  };
  std::vector<Session> sessions;
  for (const int h : *hours(30)) sessions.push_back(At(kT0 + h * kHour));
  std::vector<Conversion> conversions;
  for (const int h : *hours(12)) {
    conversions.push_back(Conv(kT0 + h * kHour, *rc::gen::inRange<uint32_t>(0, 10)));
  }
  std::vector<Counting> counting_by_kind;
  for (int k = 0; k < 10; ++k) {
    counting_by_kind.push_back(static_cast<Counting>(*rc::gen::inRange(0, 3)));
  }
  const Micros lookback = *rc::gen::inRange(1, 6) * kDay;
  RC_ASSERT(Build(sessions, conversions, counting_by_kind, lookback) ==
            Reference(sessions, conversions, counting_by_kind, lookback));
}

// Each journey as text, its conversion by time and kind: "<at>/<kind>[<session indices>]".
template <class BuildFn>
std::vector<std::string> JourneyTexts(const std::vector<Session>& sessions, BuildFn build) {
  std::vector<std::string> out;
  build([&](const Journey& j) {
    std::string text =
        j.conversion ? fmt::format("{}/{}", j.conversion->at, j.conversion->kind) : "-";
    for (size_t i = 0; i < j.sessions.size(); ++i) {
      text += fmt::format("{}{}", i ? "," : "[", &j.sessions[i] - sessions.data());
    }
    out.push_back(text + "]");
  });
  return out;
}

// What the store keeps of a person — the conversions that counted and when their last
// conversion event was — builds their journeys again, for every conversion filter it keeps.
RC_GTEST_PROP(JourneyBuild, CountedConversionsBuildTheSameJourneys, ()) {
  std::vector<Session> sessions;
  for (const int h : *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 20 * 24))) {
    sessions.push_back(At(kT0 + h * kHour));
  }
  std::sort(sessions.begin(), sessions.end(),
            [](const Session& a, const Session& b) { return a.start < b.start; });
  std::vector<Conversion> conversions;
  for (const int h : *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 20 * 24))) {
    conversions.push_back(Conv(kT0 + h * kHour, *rc::gen::inRange<uint32_t>(0, 3)));
  }
  std::sort(conversions.begin(), conversions.end(),
            [](const Conversion& a, const Conversion& b) { return a.at < b.at; });
  std::vector<Counting> counting_by_kind;
  for (int k = 0; k < 3; ++k) {
    counting_by_kind.push_back(static_cast<Counting>(*rc::gen::inRange(0, 3)));
  }
  ConversionOptions options;
  options.lookback = *rc::gen::inRange(1, 6) * kDay;
  const auto expected = JourneyTexts(sessions, [&](auto f) {
    BuildJourneys(sessions, conversions, options, counting_by_kind, f);
  });
  std::vector<Conversion> counted;
  BuildJourneys(sessions, conversions, options, counting_by_kind, [&](const Journey& j) {
    if (j.conversion != nullptr) counted.push_back(*j.conversion);
  });
  const std::optional<Micros> last =
      conversions.empty() ? std::nullopt : std::optional<Micros>(conversions.back().at);
  RC_ASSERT(expected == JourneyTexts(sessions, [&](auto f) {
              BuildCountedJourneys(sessions, counted, last, options, f);
            }));
}

// ExtractRevenue over a JSON object; the currency copied out of the parser's buffer.
std::pair<double, std::string> Extract(std::string_view json,
                                       const ConversionOptions& options = ConversionOptions{}) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get(object)) {
    ADD_FAILURE() << "not a JSON object: " << json;
    return {};
  }
  const Revenue r = ExtractRevenue(object, options);
  return {r.amount, std::string(r.currency)};
}

using Money = std::pair<double, std::string>;

TEST(JourneyRevenue, NumbersAndNumericStrings) {
  EXPECT_EQ(Extract(R"({"revenue":19.99,"currency":"EUR"})"), (Money{19.99, "EUR"}));
  EXPECT_EQ(Extract(R"({"revenue":42})"), (Money{42, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":0})"), (Money{0, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":1e12})"), (Money{1e12, "USD"}));       // kMaxRevenue
  EXPECT_EQ(Extract(R"({"revenue":1.0000001e12})"), (Money{0, "USD"}));  // implausible
  EXPECT_EQ(Extract(R"({"revenue":18446744073709551615})"), (Money{0, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":"19.99"})"), (Money{19.99, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":" 5 "})"), (Money{5, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":"1e3"})"), (Money{1000, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":1.5e2})"), (Money{150, "USD"}));
}

TEST(JourneyRevenue, PropertiesAreTriedInTheConfiguredOrder) {
  EXPECT_EQ(Extract(R"({"total":9,"value":7,"revenue":3})"), (Money{3, "USD"}));
  EXPECT_EQ(Extract(R"({"total":9,"value":7})"), (Money{7, "USD"}));
  EXPECT_EQ(Extract(R"({"total":9})"), (Money{9, "USD"}));
  EXPECT_EQ(Extract(R"({"price":9})"), (Money{0, "USD"}));
  ConversionOptions options;
  options.revenue_properties = {"total", "value"};
  EXPECT_EQ(Extract(R"({"total":9,"value":7,"revenue":3})", options), (Money{9, "USD"}));
  EXPECT_EQ(Extract(R"({"value":7,"revenue":3})", options), (Money{7, "USD"}));
  options.revenue_properties.clear();
  EXPECT_EQ(Extract(R"({"revenue":3})", options), (Money{0, "USD"}));
}

TEST(JourneyRevenue, UnusableValuesAreIgnored) {
  for (const char* json :
       {R"({"revenue":-5})", R"({"revenue":-0.01})", R"({"revenue":"-5"})", R"({"revenue":"NaN"})",
        R"({"revenue":"nan"})", R"({"revenue":"inf"})", R"({"revenue":"1e999"})",
        R"({"revenue":"abc"})", R"({"revenue":"5 EUR"})", R"({"revenue":"$5"})",
        R"({"revenue":"1,000"})", R"({"revenue":""})", R"({"revenue":"  "})", R"({"revenue":true})",
        R"({"revenue":null})", R"({"revenue":[5]})", R"({"revenue":{"amount":5}})", R"({})"}) {
    SCOPED_TRACE(json);
    EXPECT_EQ(Extract(json), (Money{0, "USD"}));
  }
  // An unusable value is skipped for the next property in the list.
  EXPECT_EQ(Extract(R"({"revenue":-5,"value":"8"})"), (Money{8, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":"n/a","total":2.5})"), (Money{2.5, "USD"}));
}

TEST(JourneyRevenue, Currency) {
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":" eur "})"), (Money{1, "eur"}));  // trimmed only
  EXPECT_EQ(Extract(R"({"currency":"GBP"})"), (Money{0, "GBP"}));
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":""})"), (Money{1, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":"   "})"), (Money{1, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":978})"), (Money{1, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":null})"), (Money{1, "USD"}));
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":"ABCDEFGHIJKLMNOP"})"),
            (Money{1, "ABCDEFGHIJKLMNOP"}));  // 16 bytes: kept
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":"ABCDEFGHIJKLMNOPQ"})"),
            (Money{1, "USD"}));  // 17: not a currency
  ConversionOptions options;
  options.default_currency = "CHF";
  options.currency_property = "cur";
  EXPECT_EQ(Extract(R"({"revenue":1,"currency":"EUR"})", options), (Money{1, "CHF"}));
  EXPECT_EQ(Extract(R"({"revenue":1,"cur":"EUR"})", options), (Money{1, "EUR"}));
}

TEST(JourneyOptions, Counting) {
  for (const Counting c :
       {Counting::kOncePerUser, Counting::kOncePerSession, Counting::kEveryEvent}) {
    EXPECT_EQ(ParseCounting(ToString(c)), c);
  }
  EXPECT_EQ(ToString(Counting::kOncePerUser), "once_per_user");
  EXPECT_EQ(ToString(Counting::kOncePerSession), "once_per_session");
  EXPECT_EQ(ToString(Counting::kEveryEvent), "every_event");
  EXPECT_FALSE(ParseCounting("all_events").has_value());
  EXPECT_FALSE(ParseCounting("").has_value());

  ConversionOptions options;
  EXPECT_EQ(options.CountingOf("Order Completed"), Counting::kOncePerUser);
  options.counting = Counting::kEveryEvent;
  options.counting_by_event["Signed Up"] = Counting::kOncePerUser;
  EXPECT_EQ(options.CountingOf("Order Completed"), Counting::kEveryEvent);
  EXPECT_EQ(options.CountingOf("Signed Up"), Counting::kOncePerUser);
  EXPECT_EQ(options.CountingOf("signed up"), Counting::kEveryEvent);  // names are exact
}

TEST(JourneyOptions, DefaultsAreValid) {
  ConversionOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.lookback = kDay;
  EXPECT_TRUE(options.Validate().ok());
  options.lookback = 365 * kDay;
  EXPECT_TRUE(options.Validate().ok());
}

TEST(JourneyOptions, ErrorsNameTheKey) {
  const auto expect_error = [](const ConversionOptions& options, std::string_view key) {
    const Status status = options.Validate();
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(status.message().find(key), std::string::npos) << status.message();
  };
  ConversionOptions options;
  options.events.clear();
  expect_error(options, "conversions.events");
  options.events = {"purchase", " "};
  expect_error(options, "conversions.events");
  options = ConversionOptions{};
  for (const Micros lookback : {Micros{0}, kDay - 1, 365 * kDay + 1, -kDay}) {
    SCOPED_TRACE(lookback);
    options.lookback = lookback;
    expect_error(options, "conversions.lookback_days");
  }
  options = ConversionOptions{};
  options.default_currency.clear();
  expect_error(options, "conversions.default_currency");
}

}  // namespace
}  // namespace attrib::journey
