// Properties of the heuristic models over random journeys (rapidcheck; RC_PARAMS sets the
// number of journeys, 10,000 in ctest).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "attrib/attribution.h"

namespace attrib {
namespace {

constexpr Micros kConversion = 1'800'000'000'000'000;
constexpr Micros kDay = 86'400'000'000;

// A random journey of 1–40 touchpoints over 8 channels (0 and 1 direct) in the 30 days before
// the conversion, ordered by time.
rc::Gen<std::vector<Touchpoint>> Journeys() {
  return rc::gen::map(
      rc::gen::container<std::vector<std::pair<uint32_t, Micros>>>(
          rc::gen::pair(rc::gen::inRange<uint32_t>(0, 8), rc::gen::inRange<Micros>(0, 30 * kDay))),
      [](std::vector<std::pair<uint32_t, Micros>> raw) {
        if (raw.empty()) raw.push_back({2, kDay});
        if (raw.size() > 40) raw.resize(40);
        std::vector<Touchpoint> tps;
        for (const auto& [channel, ago] : raw)
          tps.push_back({channel, channel < 2, kConversion - ago});
        std::stable_sort(tps.begin(), tps.end(),
                         [](const Touchpoint& a, const Touchpoint& b) { return a.at < b.at; });
        return tps;
      });
}

RC_GTEST_PROP(HeuristicModels, CreditsAreSharesOfOneConversion, ()) {
  const std::vector<Touchpoint> tps = *Journeys();
  std::set<uint32_t> channels;
  for (const Touchpoint& t : tps) channels.insert(t.channel);
  for (int m = 0; m < kHeuristicModelCount; ++m) {
    const auto model = static_cast<Model>(m);
    std::vector<double> credits(tps.size(), -1), again(tps.size(), -2);
    CreditJourney(model, tps, kConversion, HeuristicOptions{}, credits);
    CreditJourney(model, tps, kConversion, HeuristicOptions{}, again);
    RC_ASSERT(credits == again);  // deterministic, bit for bit
    double sum = 0;
    for (double c : credits) {
      RC_ASSERT(c >= 0.0);
      RC_ASSERT(std::isfinite(c));
      sum += c;
    }
    const double expected =
        model == Model::kParticipation ? static_cast<double>(channels.size()) : 1.0;
    RC_ASSERT(std::abs(sum - expected) <= 1e-9);
  }
}

RC_GTEST_PROP(HeuristicModels, PositionalModelsFavourTheEnds, ()) {
  const std::vector<Touchpoint> tps = *Journeys();
  const size_t n = tps.size();
  std::vector<double> c(n);
  CreditJourney(Model::kUShaped, tps, kConversion, HeuristicOptions{}, c);
  for (size_t i = 1; i + 1 < n; ++i) RC_ASSERT(c[0] >= c[i] && c[n - 1] >= c[i]);
  CreditJourney(Model::kTimeDecay, tps, kConversion, HeuristicOptions{}, c);
  for (size_t i = 1; i < n; ++i) RC_ASSERT(c[i] >= c[i - 1]);  // newer weighs at least as much
  CreditJourney(Model::kLastNonDirect, tps, kConversion, HeuristicOptions{}, c);
  const auto winner = static_cast<size_t>(std::max_element(c.begin(), c.end()) - c.begin());
  const bool any_non_direct =
      std::any_of(tps.begin(), tps.end(), [](auto& t) { return !t.direct; });
  const bool right_pick = any_non_direct ? !tps[winner].direct : winner == n - 1;
  RC_ASSERT(right_pick);
  for (size_t i = winner + 1; i < n; ++i) RC_ASSERT(tps[i].direct);
}

RC_GTEST_PROP(HeuristicModels, AllAtOnceEqualsOneByOne, ()) {
  const std::vector<Touchpoint> tps = *Journeys();
  std::vector<double> all[kHeuristicModelCount];
  std::span<double> spans[kHeuristicModelCount];
  for (int m = 0; m < kHeuristicModelCount; ++m) {
    all[m].assign(tps.size(), -1);
    spans[m] = all[m];
  }
  CreditJourneyAllModels(tps, kConversion, HeuristicOptions{}, spans);
  for (int m = 0; m < kHeuristicModelCount; ++m) {
    std::vector<double> one(tps.size(), -2);
    CreditJourney(static_cast<Model>(m), tps, kConversion, HeuristicOptions{}, one);
    RC_ASSERT(one == all[m]);
  }
}

TEST(Models, NamesRoundTrip) {
  for (int m = 0; m < kModelCount; ++m) {
    EXPECT_EQ(ParseModel(ToString(static_cast<Model>(m))), static_cast<Model>(m));
    EXPECT_EQ(IsDataDriven(static_cast<Model>(m)), m >= kHeuristicModelCount);
  }
  EXPECT_EQ(ParseModel("markov"), Model::kMarkov);
  EXPECT_EQ(ParseModel("shapley_simplified"), Model::kShapleySimplified);
  EXPECT_FALSE(ParseModel("Markov").has_value());
  EXPECT_FALSE(ParseModel("").has_value());
}

TEST(HeuristicModels, EmptyJourneyGetsNothing) {
  std::vector<double> credits;
  CreditJourney(Model::kLinear, {}, kConversion, HeuristicOptions{}, credits);
  EXPECT_TRUE(credits.empty());
}

}  // namespace
}  // namespace attrib
