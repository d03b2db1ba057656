// The heuristic models' golden journeys: every row of tests/golden/attribution/heuristics.tsv.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "attrib/attribution.h"
#include "common/strings.h"

namespace attrib {
namespace {

struct GoldenJourney {
  int line = 0;
  std::string model, touchpoints, credits;
};

std::vector<GoldenJourney> LoadJourneys() {
  std::ifstream in(ATTRIB_SOURCE_DIR "/tests/golden/attribution/heuristics.tsv");
  std::vector<GoldenJourney> rows;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty() || text[0] == '#') continue;
    const auto cells = Split(text, '\t');
    rows.push_back(
        {line, std::string(cells.at(0)), std::string(cells.at(1)), std::string(cells.at(2))});
  }
  return rows;
}

// "A/B" or a number.
double Value(std::string_view s) {
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::stod(std::string(s));
  return Value(s.substr(0, slash)) / Value(s.substr(slash + 1));
}

// "X*N" → N copies of X.
std::vector<std::string_view> Expand(std::string_view list, char sep) {
  std::vector<std::string_view> out;
  for (std::string_view item : Split(list, sep)) {
    const size_t star = item.rfind('*');
    const size_t copies =
        star == std::string_view::npos ? 1 : std::stoul(std::string(item.substr(star + 1)));
    for (size_t i = 0; i < copies; ++i) out.push_back(item.substr(0, star));
  }
  return out;
}

class GoldenAttribution : public testing::TestWithParam<GoldenJourney> {};

TEST_P(GoldenAttribution, MatchesHandComputedCredits) {
  const GoldenJourney& row = GetParam();
  const auto model = ParseModel(row.model);
  ASSERT_TRUE(model.has_value()) << "line " << row.line << ": unknown model " << row.model;
  constexpr Micros kConversion = 1'800'000'000'000'000;
  std::map<std::string_view, uint32_t> ids;
  std::vector<Touchpoint> tps;
  for (std::string_view tp : Expand(row.touchpoints, ' ')) {
    const size_t at = tp.find('@');
    const std::string_view channel = tp.substr(0, at);
    const double days = Value(tp.substr(at + 1));
    tps.push_back({ids.emplace(channel, static_cast<uint32_t>(ids.size())).first->second,
                   channel == "direct" || channel == "internal",
                   kConversion - static_cast<Micros>(std::llround(days * 86'400'000'000.0))});
  }
  std::vector<double> expected;
  for (std::string_view v : Expand(row.credits, ',')) expected.push_back(Value(v));
  ASSERT_EQ(expected.size(), tps.size()) << "line " << row.line;
  std::vector<double> credits(tps.size(), -1);
  CreditJourney(*model, tps, kConversion, HeuristicOptions{}, credits);
  for (size_t i = 0; i < tps.size(); ++i) {
    EXPECT_NEAR(credits[i], expected[i], 1e-12) << "line " << row.line << ", touchpoint " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Rows, GoldenAttribution, testing::ValuesIn(LoadJourneys()),
                         [](const testing::TestParamInfo<GoldenJourney>& info) {
                           return info.param.model + "_line" + std::to_string(info.param.line);
                         });

TEST(GoldenAttributionCoverage, EveryModelHasJourneysOfOneToFiveAndMore) {
  std::map<std::string, std::set<size_t>> lengths;
  for (const GoldenJourney& row : LoadJourneys()) {
    lengths[row.model].insert(Expand(row.touchpoints, ' ').size());
  }
  for (int m = 0; m < kHeuristicModelCount; ++m) {
    const std::string name(ToString(static_cast<Model>(m)));
    for (size_t n : {1, 2, 3, 4, 5, 101}) {
      EXPECT_TRUE(lengths[name].count(n)) << name << " has no golden journey of " << n;
    }
  }
}

}  // namespace
}  // namespace attrib
