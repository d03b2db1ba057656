#include "common/time.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace attrib {
namespace {

Micros Parse(std::string_view s) {
  auto r = ParseIsoTime(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : 0;
}

// The form SDKs send ("…T12:30:00.123Z") has a fast path of its own; it must agree with the
// general parser, which reads the same instant written with an explicit offset.
RC_GTEST_PROP(IsoTime, FastPathAgreesWithTheGeneralParser, ()) {
  const int year = *rc::gen::inRange(1, 10000);
  const int month = *rc::gen::inRange(1, 13);
  const int day = *rc::gen::inRange(1, 32);  // some invalid: both must refuse them
  const int hour = *rc::gen::inRange(0, 25), minute = *rc::gen::inRange(0, 61);
  const int second = *rc::gen::inRange(0, 61), millis = *rc::gen::inRange(0, 1000);
  const std::string body =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", year, month, day, hour, minute, second);
  for (const std::string& fraction : {fmt::format(".{:03}", millis), std::string()}) {
    const Result<Micros> fast = ParseIsoTime(body + fraction + "Z");
    const Result<Micros> general = ParseIsoTime(body + fraction + "+00:00");
    RC_ASSERT(fast.ok() == general.ok());
    if (fast.ok()) RC_ASSERT(*fast == *general);
  }
}

// Any byte of the SDK form changed to anything: the fast path and the general parser still agree.
RC_GTEST_PROP(IsoTime, FastPathAgreesOnMangledText, ()) {
  std::string text = *rc::gen::element<std::string>("2026-05-01T12:30:59.123Z",
                                                    "1999-12-31T23:59:59Z", "0001-01-01T00:00:00Z");
  const size_t at = *rc::gen::inRange<size_t>(0, text.size());
  text[at] = *rc::gen::element('0', '9', '/', ':', '-', '.', 'T', 'Z', ' ', '\x80', 'A', 'z');
  const Result<Micros> fast = ParseIsoTime(text);
  std::string explicit_offset = text;
  if (explicit_offset.back() == 'Z')
    explicit_offset.replace(explicit_offset.size() - 1, 1, "+00:00");
  const Result<Micros> general = ParseIsoTime(explicit_offset);
  RC_ASSERT(fast.ok() == general.ok());
  if (fast.ok()) RC_ASSERT(*fast == *general);
}

TEST(IsoTime, ParsesTheUsualForms) {
  const Micros base = 1'777'638'600'000'000;  // 2026-05-01T12:30:00Z
  EXPECT_EQ(Parse("2026-05-01T12:30:00Z"), base);
  EXPECT_EQ(Parse("2026-05-01T12:30:00.250Z"), base + 250'000);
  EXPECT_EQ(Parse("2026-05-01T12:30:00.123456789Z"), base + 123'456);
  EXPECT_EQ(Parse("2026-05-01T14:30:00+02:00"), base);
  EXPECT_EQ(Parse("2026-05-01T07:30:00-0500"), base);
  EXPECT_EQ(Parse("2026-05-01 12:30:00"), base);
  EXPECT_EQ(Parse("2026-05-01t12:30z"), base);
  EXPECT_EQ(Parse("2026-05-01"), base - (12 * 3600 + 30 * 60) * 1'000'000LL);
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Parse("1969-12-31T23:59:59Z"), -1'000'000);
  EXPECT_EQ(Parse("2024-02-29T00:00:00Z"), 1'709'164'800'000'000);
  EXPECT_EQ(Parse("2016-12-31T23:59:60Z"), Parse("2016-12-31T23:59:59Z"));
}

TEST(IsoTime, RefusesWithAReason) {
  EXPECT_EQ(ParseIsoTime("2026-13-01").status().message(),
            "invalid timestamp \"2026-13-01\": month out of range");
  EXPECT_EQ(ParseIsoTime("2025-02-29").status().message(),
            "invalid timestamp \"2025-02-29\": day out of range");
  EXPECT_FALSE(ParseIsoTime("").ok());
  EXPECT_FALSE(ParseIsoTime("yesterday").ok());
  EXPECT_FALSE(ParseIsoTime("2026-05-01T25:00:00Z").ok());
  EXPECT_FALSE(ParseIsoTime("2026-05-01T12:30:00Zjunk").ok());
  EXPECT_FALSE(ParseIsoTime("2026-05-01T12:30:00.Z").ok());
  EXPECT_FALSE(ParseIsoTime("2026-05-01T12:30:00+2").ok());
  EXPECT_FALSE(ParseIsoTime("2026-5-1").ok());
  EXPECT_EQ(ParseIsoTime("9999-12-31T23:59:60-01").status().message(),
            "invalid timestamp \"9999-12-31T23:59:60-01\": outside the years 0001-9999 in UTC");
  EXPECT_FALSE(ParseIsoTime("0001-01-01T00:30:00+01:00").ok());
  EXPECT_TRUE(ParseIsoTime("0001-01-01T00:00:00Z").ok());
  EXPECT_TRUE(ParseIsoTime("9999-12-31T23:59:59Z").ok());
}

TEST(IsoTime, FormatsAndRoundTrips) {
  EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoTime(-1), "1969-12-31T23:59:59.999Z");
  for (Micros t :
       {Micros{1'777'638'600'250'000}, Micros{951'782'400'000'000}, Micros{-86'400'000'000}}) {
    EXPECT_EQ(Parse(FormatIsoTime(t)), t) << FormatIsoTime(t);
  }
}

TEST(IsoDate, WeeksStartOnMondayAndMonthsOnTheFirst) {
  const auto day = [](std::string_view date) {
    return static_cast<int32_t>(Parse(date) / 86'400'000'000);
  };
  EXPECT_EQ(FormatIsoDate(0), "1970-01-01");
  EXPECT_EQ(FormatIsoDate(-1), "1969-12-31");
  // 2026-11-24 is a Tuesday; 1970-01-01 a Thursday; 1969-12-29 the Monday before it.
  EXPECT_EQ(FormatIsoDate(WeekStart(day("2026-11-24"))), "2026-11-23");
  EXPECT_EQ(FormatIsoDate(WeekStart(day("2026-11-23"))), "2026-11-23");
  EXPECT_EQ(FormatIsoDate(WeekStart(day("2026-11-29"))), "2026-11-23");
  EXPECT_EQ(FormatIsoDate(WeekStart(0)), "1969-12-29");
  EXPECT_EQ(FormatIsoDate(WeekStart(-4)), "1969-12-22");
  EXPECT_EQ(FormatIsoDate(MonthStart(day("2024-02-29"))), "2024-02-01");
  EXPECT_EQ(FormatIsoDate(MonthStart(day("2026-12-31"))), "2026-12-01");
  EXPECT_EQ(FormatIsoDate(MonthStart(-1)), "1969-12-01");
  for (int32_t d = -800; d < 800; ++d) {
    EXPECT_EQ(d - WeekStart(d), (d + 3 + 7000) % 7) << d;
    EXPECT_EQ(FormatIsoDate(MonthStart(d)).substr(0, 7), FormatIsoDate(d).substr(0, 7)) << d;
    EXPECT_EQ(FormatIsoDate(MonthStart(d)).substr(8), "01") << d;
  }
}

}  // namespace
}  // namespace attrib
