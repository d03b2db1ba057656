#include "storage/aggregates.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace attrib::storage {
namespace {

constexpr Micros kDay = 86'400'000'000;

// A session that starts at `start` with classification `class_id`.
sessionize::Session At(Micros start, uint32_t class_id) {
  return sessionize::Session{.start = start, .touch = class_id};
}

// Distinct visitors of each group over days [from, to), from the reach rows the way the store
// sums them.
std::map<uint32_t, int64_t> VisitorsFromRows(const AggregateDelta& d, int32_t from, int32_t to) {
  std::map<uint32_t, int64_t> out;
  for (const auto& [k, v] : d.reach) {
    if (k.day >= from && k.day < to && k.prev_day < from) out[k.group] += v.visitors;
  }
  return out;
}

TEST(AggregateDelta, VisitorsOfAnyRangeFromDailyRows) {
  // Two classes: class 1 in groups 10…16, class 2 shares group 10 (the channel) only.
  const std::vector<GroupIds> groups = {
      {}, {{10, 11, 12, 13, 14, 15, 16}}, {{10, 21, 22, 23, 24, 25, 26}}};
  AggregateDelta d(groups);
  // Person A: days 0 (twice), 3; person B: day 3 (class 2), day 5.
  const std::vector<sessionize::Session> a = {At(0, 1), At(kDay / 2, 1), At(3 * kDay, 1)};
  const std::vector<sessionize::Session> b = {At(3 * kDay + 5, 2), At(5 * kDay, 1)};
  d.AddSessions(a, +1);
  d.AddSessions(b, +1);
  EXPECT_EQ(VisitorsFromRows(d, 0, 10)[10], 2);  // both, once each
  EXPECT_EQ(VisitorsFromRows(d, 1, 4)[10], 2);   // day 3: both
  EXPECT_EQ(VisitorsFromRows(d, 4, 6)[10], 1);   // day 5: B
  EXPECT_EQ(VisitorsFromRows(d, 4, 6)[11], 1);   // B's day-5 session is class 1
  EXPECT_EQ(VisitorsFromRows(d, 1, 3)[10], 0);
  int64_t touchpoints = 0;
  for (const auto& [k, v] : d.reach) {
    if (k.group == 10) touchpoints += v.touchpoints;
  }
  EXPECT_EQ(touchpoints, 5);
  // Taking a person away leaves the other's rows only.
  d.AddSessions(a, -1);
  EXPECT_EQ(VisitorsFromRows(d, 0, 10)[10], 1);
}

// Reach at a confidence level counts only sessions of that confidence or above; paid
// touchpoints are those of a paid channel.
TEST(AggregateDelta, ReachPerConfidenceLevelAndPaidTouchpoints) {
  GroupIds low{{10, 11, 12, 13, 14, 15, 16}, /*level=*/0, /*paid=*/false};
  GroupIds high_paid{{10, 21, 22, 23, 24, 25, 26}, /*level=*/2, /*paid=*/true};
  GroupIds medium{{10, 31, 32, 33, 34, 35, 36}, /*level=*/1, /*paid=*/false};
  const std::vector<GroupIds> groups = {{}, low, high_paid, medium};
  AggregateDelta d(groups);
  // A: low then high-paid on day 0; B: medium on day 0; C: high-paid on day 1.
  d.AddSessions(std::vector{At(0, 1), At(kDay / 2, 2)}, +1);
  d.AddSessions(std::vector{At(10, 3)}, +1);
  d.AddSessions(std::vector{At(kDay, 2)}, +1);
  std::map<int32_t, ReachSums> at_level;  // group 10 over days [0, 2)
  for (const auto& [k, v] : d.reach) {
    if (k.group != 10 || k.prev_day >= 0) continue;
    at_level[k.level].visitors += v.visitors;
    at_level[k.level].touchpoints += v.touchpoints;
    at_level[k.level].paid += v.paid;
  }
  EXPECT_EQ(at_level[0].touchpoints, 4);
  EXPECT_EQ(at_level[0].visitors, 3);
  EXPECT_EQ(at_level[0].paid, 2);
  EXPECT_EQ(at_level[1].touchpoints, 3);  // not A's low session
  EXPECT_EQ(at_level[1].visitors, 3);
  EXPECT_EQ(at_level[2].touchpoints, 2);  // A's and C's paid sessions
  EXPECT_EQ(at_level[2].visitors, 2);
  EXPECT_EQ(at_level[2].paid, 2);
}

// The rows give the distinct visitors of every range, as counting people directly does.
RC_GTEST_PROP(AggregateDelta, DistinctVisitorsMatchBruteForce, ()) {
  const std::vector<GroupIds> groups = {
      {}, {{1, 2, 3, 4, 5, 6, 7}}, {{1, 8, 9, 10, 11, 12, 13}}, {{14, 8, 15, 16, 17, 18, 19}}};
  AggregateDelta d(groups);
  const int people = *rc::gen::inRange(1, 8);
  std::vector<std::vector<sessionize::Session>> all(people);
  for (auto& sessions : all) {
    const int n = *rc::gen::inRange(1, 10);
    for (int i = 0; i < n; ++i) {
      sessions.push_back(At(*rc::gen::inRange<Micros>(-3 * kDay, 12 * kDay),
                            static_cast<uint32_t>(*rc::gen::inRange(1, 4))));
    }
    std::sort(sessions.begin(), sessions.end(),
              [](const sessionize::Session& x, const sessionize::Session& y) {
                return x.start < y.start;
              });
    d.AddSessions(sessions, +1);
  }
  const int32_t from = *rc::gen::inRange(-4, 13);
  const int32_t to = *rc::gen::inRange(from + 1, 14);
  const std::map<uint32_t, int64_t> got = VisitorsFromRows(d, from, to);
  for (uint32_t g = 1; g <= 19; ++g) {
    int64_t want = 0;
    for (const auto& sessions : all) {
      bool seen = false;
      for (const sessionize::Session& s : sessions) {
        const int32_t day = DayOf(s.start);
        const auto& gs = groups[s.touch];
        if (day >= from && day < to && std::find(gs.begin(), gs.end(), g) != gs.end()) seen = true;
      }
      want += seen;
    }
    const auto it = got.find(g);
    RC_ASSERT((it == got.end() ? 0 : it->second) == want);
  }
}

TEST(AggregateDelta, DaysAreUtcAndFloorBefore1970) {
  EXPECT_EQ(DayOf(0), 0);
  EXPECT_EQ(DayOf(kDay - 1), 0);
  EXPECT_EQ(DayOf(kDay), 1);
  EXPECT_EQ(DayOf(-1), -1);
}

TEST(AggregateDelta, ConversionTermsCancel) {
  const std::vector<GroupIds> groups = {{}, {{1, 2, 3, 4, 5, 6, 7}}};
  AggregateDelta d(groups);
  TouchTerm t{1, {}};
  t.credit.fill(1.0 / 3);
  d.AddConversion(0, kDay, 99.5, "EUR", std::span(&t, 1), +1);
  d.AddConversion(0, kDay, 99.5, "EUR", std::span(&t, 1), -1);
  for (const auto& [k, v] : d.credits) {
    for (int m = 0; m < kHeuristicModelCount; ++m) {
      EXPECT_EQ(v.credit[m], 0);
      EXPECT_EQ(v.revenue[m], 0);
    }
  }
  EXPECT_EQ(d.totals.begin()->second.conversions, 0);
}

}  // namespace
}  // namespace attrib::storage

namespace attrib::storage {
namespace {

// The path rows of `d` in dimension 0 (groups 10 and 20 below), as "filter day path: c r n".
std::set<std::string> PathRows(const AggregateDelta& d) {
  std::set<std::string> out;
  d.paths.ForEach([&out](std::string_view key, const PathSums& v) {
    const PathKey k = ParsePathKey(key);
    if (k.dim != 0 || (v.conversions == 0 && v.revenue == 0 && v.nulls == 0)) return;
    out.insert(std::to_string(k.filter) + " " + std::to_string(k.day) + " " + PathText(k.groups) +
               ": " + std::to_string(v.conversions) + " " + std::to_string(v.revenue) + " " +
               std::to_string(v.nulls));
  });
  return out;
}

TEST(AggregateDelta, PathsUnderEveryConversionFilter) {
  const std::vector<GroupIds> groups = {{}, {{10, 1, 1, 1, 1, 1, 1}}, {{20, 2, 2, 2, 2, 2, 2}}};
  journey::ConversionOptions options;
  options.events = {"a", "b"};
  AggregateDelta d(groups);
  const std::vector<sessionize::Session> visits = {At(0, 1), At(kDay, 2), At(3 * kDay, 1)};
  // No conversion: one journey, the same under every filter.
  d.AddPaths(visits, {}, std::vector<Micros>{kNoTime, kNoTime}, options, +1);
  EXPECT_EQ(PathRows(d), (std::set<std::string>{"-1 3 10>20>10: 0 0 1"}));
  d.AddPaths(visits, {}, std::vector<Micros>{kNoTime, kNoTime}, options, -1);
  EXPECT_EQ(PathRows(d), std::set<std::string>{});

  // An "a" on day 1 (after the second visit) counted; a later uncounted "a" on day 3 ends the
  // journey that has not converted; no "b".
  const std::vector<journey::Conversion> counted = {{.at = kDay + 5, .kind = 0, .revenue = 2}};
  d.AddPaths(visits, counted, std::vector<Micros>{3 * kDay + 9, kNoTime}, options, +1);
  EXPECT_EQ(PathRows(d), (std::set<std::string>{
                             "0 1 10>20: 1 2000000 0",  // every event: the "a" converted
                             "1 1 10>20: 1 2000000 0",  // only "a": the same
                             "2 3 10>20>10: 0 0 1",     // only "b": nothing converted
                         }));
}

TEST(AggregateDelta, PathText) {
  std::vector<uint32_t> ids;
  ASSERT_TRUE(ParsePathText("12>5>12", &ids));
  EXPECT_EQ(ids, (std::vector<uint32_t>{12, 5, 12}));
  ASSERT_TRUE(ParsePathText("7", &ids));
  EXPECT_EQ(ids, (std::vector<uint32_t>{7}));
  for (const std::string_view bad : {"", ">", "1>", ">1", "1>>2", "a", "1>x", "-1", "4294967296"}) {
    EXPECT_FALSE(ParsePathText(bad, &ids)) << bad;
  }
}

}  // namespace
}  // namespace attrib::storage
