// Shapley values: the axioms on random games, the definition (the mean marginal contribution
// over every ordering of the players), a worked example, and the model's properties.
#include "attribution/shapley.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "attribution/test_util.h"
#include "common/rng.h"

namespace attrib {
namespace {

using test::Row;
using test::Table;

// A random game on n players: each coalition's value in [0, 1), some 0, v(∅) = 0.
rc::Gen<std::vector<double>> Game(int n) {
  return rc::gen::map(rc::gen::arbitrary<uint64_t>(), [n](uint64_t seed) {
    Rng rng(seed);
    std::vector<double> v(size_t{1} << n);
    for (size_t m = 1; m < v.size(); ++m) v[m] = rng.Chance(0.3) ? 0.0 : rng.Uniform();
    return v;
  });
}

// The definition: the mean over all n! orderings of each player's marginal contribution.
std::vector<double> ByOrderings(const std::vector<double>& v, int n) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> phi(n, 0.0);
  double orderings = 0;
  do {
    uint32_t mask = 0;
    for (const int p : order) {
      phi[p] += v[mask | (1u << p)] - v[mask];
      mask |= 1u << p;
    }
    ++orderings;
  } while (std::next_permutation(order.begin(), order.end()));
  for (double& p : phi) p /= orderings;
  return phi;
}

RC_GTEST_PROP(ShapleyValues, EqualTheMeanMarginalContributionOverOrderings, ()) {
  const int n = *rc::gen::inRange(1, 7);
  const std::vector<double> v = *Game(n);
  const std::vector<double> phi = ShapleyValues(v, n), expected = ByOrderings(v, n);
  for (int i = 0; i < n; ++i) RC_ASSERT(std::abs(phi[i] - expected[i]) <= 1e-12);
}

RC_GTEST_PROP(ShapleyValues, AreEfficientAndSymmetric, ()) {
  const int n = *rc::gen::inRange(2, 13);
  std::vector<double> v = *Game(n);
  // Make players 0 and 1 interchangeable: v(S ∪ {1}) = v(S ∪ {0}) for S without both.
  for (uint32_t m = 0; m < v.size(); ++m) {
    if ((m & 3u) == 2u) v[m] = v[(m & ~3u) | 1u];
  }
  const std::vector<double> phi = ShapleyValues(v, n);
  const double sum = std::accumulate(phi.begin(), phi.end(), 0.0);
  RC_ASSERT(std::abs(sum - (v.back() - v[0])) <= 1e-12);  // efficiency
  RC_ASSERT(std::abs(phi[0] - phi[1]) <= 1e-12);          // symmetry
}

RC_GTEST_PROP(ShapleyValues, GiveANullPlayerNothing, ()) {
  const int n = *rc::gen::inRange(2, 11);
  std::vector<double> v = *Game(n);
  for (uint32_t m = 0; m < v.size(); ++m) {  // the last player adds nothing to any coalition
    if (m >> (n - 1)) v[m] = v[m & ~(1u << (n - 1))];
  }
  RC_ASSERT(std::abs(ShapleyValues(v, n)[n - 1]) <= 1e-12);
}

TEST(Shapley, WorkedExample) {
  // v({A}) = 1/10, v({B}) = 2/10, v({A, B}) = 3/5. For a journey over {A, B}:
  // φ_A = ½·v(A) + ½·(v(AB) − v(B)) = 0.25, φ_B = ½·v(B) + ½·(v(AB) − v(A)) = 0.35,
  // shares 5/12 and 7/12 of its 3 conversions. A: 1 + 1.25, B: 2 + 1.75.
  const PathTable t = Table({{{0}, 1, 10, 9}, {{1}, 2, 20, 8}, {{0, 1, 0}, 3, 60, 2}});
  const Result<ShapleyResult> r = Shapley(t, ShapleyOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->credits[0].conversions, 2.25, 1e-12);
  EXPECT_NEAR(r->credits[1].conversions, 3.75, 1e-12);
  EXPECT_NEAR(r->credits[0].value, 10 + 60 * 5.0 / 12, 1e-9);
  EXPECT_NEAR(r->credits[1].value, 20 + 60 * 7.0 / 12, 1e-9);
  EXPECT_EQ(r->exact_sets, 3u);
  EXPECT_EQ(r->sampled_sets, 0u);
}

TEST(Shapley, NegativeValuesAreCutToZero) {
  // B alone never converts and with A lowers the rate: φ_B = ½·0 + ½·(0.1 − 0.5) < 0, so
  // the journey over {A, B} credits A alone.
  const PathTable t = Table({{{0}, 5, 0, 5}, {{1}, 0, 0, 10}, {{0, 1}, 1, 0, 9}});
  const Result<ShapleyResult> r = Shapley(t, ShapleyOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->credits[0].conversions, 6.0);
  EXPECT_DOUBLE_EQ(r->credits[1].conversions, 0.0);
}

TEST(ShapleySimplified, SplitsEachJourneyEquallyAmongItsChannels) {
  const PathTable t = Table({{{0, 1, 0, 2}, 3, 30, 1}, {{1}, 1, 5, 0}, {{2, 0}, 0, 0, 4}});
  const std::vector<ChannelCredit> c = ShapleySimplified(t);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_DOUBLE_EQ(c[0].conversions, 1.0);
  EXPECT_DOUBLE_EQ(c[1].conversions, 2.0);
  EXPECT_DOUBLE_EQ(c[2].conversions, 1.0);
  EXPECT_DOUBLE_EQ(c[1].value, 15.0);
}

// Zhao et al.'s game: v(S) = conversions of the journeys whose channel set lies within S.
// Its Shapley values are the simplified model's credits ("Shapley Meets Uniform").
RC_GTEST_PROP(ShapleySimplified, IsTheShapleyValueOfTheCoverageGame, ()) {
  const int n = *rc::gen::inRange(1, 9);
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  std::vector<Row> rows(1 + rng.Below(20));
  std::vector<double> v(size_t{1} << n, 0.0);
  for (Row& r : rows) {
    const size_t length = 1 + rng.Below(6);
    uint32_t mask = 0;
    for (size_t i = 0; i < length; ++i) {
      r.path.push_back(static_cast<uint32_t>(rng.Below(n)));
      mask |= 1u << r.path.back();
    }
    r.conversions = static_cast<double>(rng.Below(5));
    for (uint32_t s = 0; s < v.size(); ++s) {
      if ((s & mask) == mask) v[s] += r.conversions;
    }
  }
  const std::vector<ChannelCredit> simplified = ShapleySimplified(Table(rows));
  const std::vector<double> phi = ShapleyValues(v, n);
  for (int i = 0; i < n; ++i) {
    const double credit =
        static_cast<size_t>(i) < simplified.size() ? simplified[i].conversions : 0;
    RC_ASSERT(std::abs(credit - phi[i]) <= 1e-9);
  }
}

// Random path tables over `channels` channels with journeys of up to `max_length`.
std::vector<Row> RandomRows(Rng& rng, uint32_t channels, size_t rows, size_t max_length) {
  std::vector<Row> out(rows);
  for (Row& r : out) {
    const size_t n = 1 + rng.Below(max_length);
    for (size_t i = 0; i < n; ++i) r.path.push_back(static_cast<uint32_t>(rng.Below(channels)));
    r.conversions = rng.Chance(0.5) ? 0 : static_cast<double>(rng.Below(10));
    r.nulls = static_cast<double>(rng.Below(30));
    r.value = r.conversions * static_cast<double>(rng.Below(100));
  }
  return out;
}

RC_GTEST_PROP(Shapley, CreditsAreSharesOfTheConversionsAndFollowTheLabels, ()) {
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  std::vector<Row> rows = RandomRows(rng, 10, 1 + rng.Below(40), 8);
  const PathTable t = Table(rows);
  const Result<ShapleyResult> a = Shapley(t, ShapleyOptions{});
  RC_ASSERT(a.ok());
  double sum = 0;
  for (const ChannelCredit& c : a->credits) {
    RC_ASSERT(c.conversions >= 0.0 && std::isfinite(c.conversions));
    sum += c.conversions;
  }
  RC_ASSERT(std::abs(sum - t.totals().conversions) <= 1e-9 * std::max(1.0, sum));
  // Relabelled channels: the same credits under the new labels.
  std::vector<uint32_t> relabel(10);
  std::iota(relabel.begin(), relabel.end(), 0);
  for (size_t i = relabel.size() - 1; i > 0; --i) std::swap(relabel[i], relabel[rng.Below(i + 1)]);
  for (Row& r : rows) {
    for (uint32_t& c : r.path) c = relabel[c];
  }
  const Result<ShapleyResult> b = Shapley(Table(rows), ShapleyOptions{});
  RC_ASSERT(b.ok());
  for (uint32_t c = 0; c < a->credits.size(); ++c) {
    const double other = relabel[c] < b->credits.size() ? b->credits[relabel[c]].conversions : 0.0;
    RC_ASSERT(std::abs(a->credits[c].conversions - other) <= 1e-9);
  }
}

// The model computed the plain way: v from an ordered map of channel sets, each converting
// set's values by enumerating orderings. The sets come in the rows' order and, as the models
// learn them, in lexicographic order (where each set reuses the subsets it shares with the one
// before).
RC_GTEST_PROP(Shapley, MatchesABruteForceComputation, ()) {
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  const std::vector<Row> rows = RandomRows(rng, 6, 1 + rng.Below(30), 7);
  std::map<std::vector<uint32_t>, std::pair<double, double>> by_set;  // conversions, nulls
  std::map<std::vector<uint32_t>, double> value;
  for (const Row& r : rows) {
    std::vector<uint32_t> set = r.path;
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    by_set[set].first += r.conversions;
    by_set[set].second += r.nulls;
    value[set] += r.value;
  }
  std::vector<double> expected(6, 0.0);
  for (const auto& [t, counts] : by_set) {
    if (counts.first <= 0) continue;
    const int n = static_cast<int>(t.size());
    std::vector<double> v(size_t{1} << n, 0.0);
    for (uint32_t m = 1; m < v.size(); ++m) {
      std::vector<uint32_t> s;
      for (int i = 0; i < n; ++i) {
        if (m >> i & 1) s.push_back(t[i]);
      }
      const auto it = by_set.find(s);
      if (it != by_set.end() && it->second.first + it->second.second > 0) {
        v[m] = it->second.first / (it->second.first + it->second.second);
      }
    }
    std::vector<double> phi = ByOrderings(v, n);
    double sum = 0;
    for (double& p : phi) sum += (p = std::max(p, 0.0));
    for (int i = 0; i < n; ++i) expected[t[i]] += (sum > 0 ? phi[i] / sum : 1.0 / n) * counts.first;
  }
  ChannelSets sorted;
  for (const auto& [t, counts] : by_set) {
    sorted.Add(t, PathOutcome{counts.first, value[t], counts.second});
  }
  sorted.channels = 6;
  for (const Result<ShapleyResult>& r :
       {Shapley(Table(rows), ShapleyOptions{}), Shapley(sorted, ShapleyOptions{})}) {
    RC_ASSERT(r.ok());
    for (uint32_t c = 0; c < 6; ++c) {
      const double got = c < r->credits.size() ? r->credits[c].conversions : 0.0;
      RC_ASSERT(std::abs(got - expected[c]) <= 1e-9);
    }
  }
}

TEST(Shapley, SamplesLargeSetsWithinTheStatedBoundAndRepeatably) {
  Rng rng(5);
  const std::vector<Row> rows = RandomRows(rng, 9, 3000, 12);
  const PathTable t = Table(rows);
  const Result<ShapleyResult> exact = Shapley(t, ShapleyOptions{});
  ShapleyOptions options;
  options.max_exact_channels = 5;
  options.samples = 4000;
  const Result<ShapleyResult> sampled = Shapley(t, options);
  const Result<ShapleyResult> again = Shapley(t, options);
  ASSERT_TRUE(exact.ok() && sampled.ok() && again.ok());
  EXPECT_EQ(exact->sampled_sets, 0u);
  EXPECT_GT(sampled->sampled_sets, 100u);
  EXPECT_GT(sampled->max_error, 0.0);
  double sum = 0;
  for (size_t c = 0; c < exact->credits.size(); ++c) {
    EXPECT_EQ(sampled->credits[c].conversions, again->credits[c].conversions);  // seeded
    // Shares move by no more than the values' error allows; over many journeys the errors
    // average out, so the totals are far closer than the per-journey bound.
    EXPECT_NEAR(sampled->credits[c].conversions, exact->credits[c].conversions,
                0.02 * exact->credits[c].conversions);
    sum += sampled->credits[c].conversions;
  }
  EXPECT_NEAR(sum, t.totals().conversions, 1e-9 * sum);
  // Each set's estimate depends on the seed and the set alone, not on the order of the rows.
  std::vector<Row> reversed(rows.rbegin(), rows.rend());
  const Result<ShapleyResult> reordered = Shapley(Table(reversed), options);
  ASSERT_TRUE(reordered.ok());
  for (size_t c = 0; c < exact->credits.size(); ++c) {
    EXPECT_NEAR(reordered->credits[c].conversions, sampled->credits[c].conversions, 1e-9);
  }
}

TEST(Shapley, OptionsAreValidated) {
  EXPECT_FALSE(Shapley(PathTable{}, ShapleyOptions{.max_exact_channels = 0}).ok());
  EXPECT_FALSE(Shapley(PathTable{}, ShapleyOptions{.max_exact_channels = 25}).ok());
  EXPECT_FALSE(Shapley(PathTable{}, ShapleyOptions{.samples = 0}).ok());
  EXPECT_TRUE(Shapley(PathTable{}, ShapleyOptions{.max_exact_channels = 24}).ok());
}

}  // namespace
}  // namespace attrib
