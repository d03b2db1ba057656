// The Markov model against the worked example of the literature and against an independent
// dense reference: the chain built again from the paths with ordered maps, and solved for
// P(conversion) by Gaussian elimination with partial pivoting, once per removed channel.
#include "attribution/markov.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "attribution/test_util.h"
#include "common/rng.h"

namespace attrib {
namespace {

using test::DenseSolve;
using test::Row;
using test::Table;

// The model as docs/models.md states it, computed the plain way.
struct Reference {
  std::vector<double> removal_effect, value_removal_effect, conversions, value;
};

Reference DenseReference(const std::vector<Row>& rows, uint32_t channels, int order,
                         bool keep_repeats) {
  std::map<std::vector<uint32_t>, int> ids;  // state → index; 0 is (start)
  std::map<std::pair<int, int>, double> count;
  std::map<int, double> to_conversion, to_null, ended_conversions, ended_value;
  const auto id = [&ids](const std::vector<uint32_t>& s) {
    return ids.emplace(s, static_cast<int>(ids.size()) + 1).first->second;
  };
  double total_conversions = 0, total_value = 0;
  for (const Row& r : rows) {
    total_conversions += r.conversions;
    total_value += r.value;
    const double w = r.conversions + r.nulls;
    if (w <= 0) continue;
    std::vector<uint32_t> p;
    for (uint32_t c : r.path) {
      if (keep_repeats || p.empty() || p.back() != c) p.push_back(c);
    }
    std::vector<std::vector<uint32_t>> states;
    if (p.size() <= static_cast<size_t>(order)) {
      states.push_back(p);
    } else {
      for (size_t i = 0; i + order <= p.size(); ++i) {
        states.emplace_back(p.begin() + i, p.begin() + i + order);
      }
    }
    int prev = 0;
    for (const auto& s : states) {
      const int next = id(s);
      count[{prev, next}] += w;
      prev = next;
    }
    to_conversion[prev] += r.conversions;
    to_null[prev] += r.nulls;
    ended_conversions[prev] += r.conversions;
    ended_value[prev] += r.value;
  }
  const size_t n = ids.size() + 1;
  std::vector<double> out(n, 0.0);
  for (const auto& [edge, c] : count) out[edge.first] += c;
  for (const auto& [s, c] : to_conversion) out[s] += c;
  for (const auto& [s, c] : to_null) out[s] += c;
  // Expected conversions (or value) from each state: x = Q x + r, with removed states 0.
  const auto solve = [&](const std::set<int>& removed, bool value) {
    std::vector<std::vector<double>> a(n, std::vector<double>(n, 0.0));
    std::vector<double> b(n, 0.0);
    for (size_t s = 0; s < n; ++s) {
      a[s][s] = 1;
      if (removed.count(static_cast<int>(s)) || out[s] == 0) continue;
      const auto conv = to_conversion.find(static_cast<int>(s));
      if (conv != to_conversion.end() && conv->second > 0) {
        b[s] = conv->second / out[s];
        if (value) b[s] *= ended_value[s] / ended_conversions[s];
      }
    }
    for (const auto& [edge, c] : count) {
      if (removed.count(edge.first) || removed.count(edge.second)) continue;
      a[edge.first][edge.second] -= c / out[edge.first];
    }
    return DenseSolve(a, b)[0];
  };
  Reference ref;
  ref.removal_effect.assign(channels, 0.0);
  ref.value_removal_effect.assign(channels, 0.0);
  ref.conversions.assign(channels, 0.0);
  ref.value.assign(channels, 0.0);
  const double p = solve({}, false), ev = solve({}, true);
  if (p <= 0) return ref;
  for (uint32_t c = 0; c < channels; ++c) {
    std::set<int> removed;
    for (const auto& [state, i] : ids) {
      if (std::find(state.begin(), state.end(), c) != state.end()) removed.insert(i);
    }
    if (removed.empty()) continue;
    ref.removal_effect[c] = std::clamp(1 - solve(removed, false) / p, 0.0, 1.0);
    if (ev > 0) ref.value_removal_effect[c] = std::clamp(1 - solve(removed, true) / ev, 0.0, 1.0);
  }
  const double sum = std::accumulate(ref.removal_effect.begin(), ref.removal_effect.end(), 0.0);
  const double vsum =
      std::accumulate(ref.value_removal_effect.begin(), ref.value_removal_effect.end(), 0.0);
  for (uint32_t c = 0; c < channels; ++c) {
    ref.conversions[c] = ref.removal_effect[c] / sum * total_conversions;
    if (vsum > 0) ref.value[c] = ref.value_removal_effect[c] / vsum * total_value;
  }
  return ref;
}

// Random path tables: up to `channels` channels (at least two), paths of 1–`max_length`
// channels with runs of repeats, whole and fractional counts, some rows never converting.
std::vector<Row> RandomRows(Rng& rng, uint32_t channels, size_t rows, size_t max_length) {
  std::vector<Row> out(rows);
  for (Row& r : out) {
    const size_t n = 1 + rng.Below(max_length);
    for (size_t i = 0; i < n; ++i) {
      const bool repeat = !r.path.empty() && rng.Chance(0.2);
      r.path.push_back(repeat ? r.path.back() : static_cast<uint32_t>(rng.Below(channels)));
    }
    r.conversions = rng.Chance(0.4) ? 0 : static_cast<double>(rng.Below(20));
    r.nulls = static_cast<double>(rng.Below(50)) + (rng.Chance(0.2) ? 0.5 : 0);
    r.value = r.conversions * static_cast<double>(1 + rng.Below(200));
  }
  return out;
}

TEST(Markov, ReproducesTheThreePathExampleOfTheLiterature) {
  // C1 > C2 > C3 converts; C1 and C2 > C3 do not (the example common to the literature and
  // tutorials of Markov attribution). P(conversion) = 1/3; removing C1 halves it,
  // removing C2 or C3 leaves none: removal effects 0.5, 1, 1 → credits 0.2, 0.4, 0.4.
  const PathTable t = Table({{{0, 1, 2}, 1, 100, 0}, {{0}, 0, 0, 1}, {{1, 2}, 0, 0, 1}});
  const Result<MarkovResult> r = Markov(t, MarkovOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->conversion_probability, 1.0 / 3, 1e-15);
  EXPECT_NEAR(r->removal_effect[0], 0.5, 1e-15);
  EXPECT_NEAR(r->removal_effect[1], 1.0, 1e-15);
  EXPECT_NEAR(r->removal_effect[2], 1.0, 1e-15);
  EXPECT_NEAR(r->credits[0].conversions, 0.2, 1e-15);
  EXPECT_NEAR(r->credits[1].conversions, 0.4, 1e-15);
  EXPECT_NEAR(r->credits[2].conversions, 0.4, 1e-15);
  EXPECT_NEAR(r->credits[0].value, 20, 1e-12);
  EXPECT_NEAR(r->credits[1].value, 40, 1e-12);
  // The transition matrix: (start) → C1 2/3, → C2 1/3; C1 → C2 ½, → (null) ½; C2 → C3 1;
  // C3 → (conversion) ½, → (null) ½.
  std::map<std::pair<std::vector<uint32_t>, std::vector<uint32_t>>, double> p;
  for (const MarkovTransition& tr : r->transitions) {
    p[{r->states[tr.from], r->states[tr.to]}] = tr.probability;
  }
  const std::vector<uint32_t> none, c1{0}, c2{1}, c3{2};
  EXPECT_EQ(r->transitions.size(), 7u);
  EXPECT_NEAR((p[{none, c1}]), 2.0 / 3, 1e-15);
  EXPECT_NEAR((p[{none, c2}]), 1.0 / 3, 1e-15);
  EXPECT_NEAR((p[{c1, c2}]), 0.5, 1e-15);
  EXPECT_NEAR((p[{c2, c3}]), 1.0, 1e-15);
  EXPECT_EQ(r->transitions.front().from, kStartState);
  for (size_t i = 1; i < r->transitions.size(); ++i) {
    const MarkovTransition &a = r->transitions[i - 1], &b = r->transitions[i];
    EXPECT_TRUE(a.from < b.from || (a.from == b.from && a.to < b.to));
  }
}

TEST(Markov, HigherOrderStatesAreWindowsAndShortPathsOneState) {
  // Order 2: A > B > C visits "A B" then "B C"; the one-channel path A is the state "A".
  const PathTable t = Table({{{0, 1, 2}, 1, 0, 0}, {{0}, 0, 0, 1}});
  const Result<MarkovResult> r = Markov(t, MarkovOptions{.order = 2});
  ASSERT_TRUE(r.ok());
  std::set<std::vector<uint32_t>> states(r->states.begin() + 3, r->states.end());
  EXPECT_EQ(states, (std::set<std::vector<uint32_t>>{{0, 1}, {1, 2}, {0}}));
  // Removing B removes both windows of the converting path: all conversions are lost. A's
  // state "A B" is also lost; C's only through "B C".
  EXPECT_DOUBLE_EQ(r->removal_effect[0], 1.0);
  EXPECT_DOUBLE_EQ(r->removal_effect[1], 1.0);
  EXPECT_DOUBLE_EQ(r->removal_effect[2], 1.0);
}

TEST(Markov, RepeatsCollapseUnlessKept) {
  const PathTable t = Table({{{0, 0, 1}, 1, 0, 1}, {{1, 1}, 0, 0, 2}});
  const Result<MarkovResult> collapsed = Markov(t, MarkovOptions{});
  const Result<MarkovResult> kept = Markov(t, MarkovOptions{.keep_repeats = true});
  ASSERT_TRUE(collapsed.ok() && kept.ok());
  const auto self_loops = [](const MarkovResult& r) {
    int n = 0;
    for (const MarkovTransition& tr : r.transitions) n += tr.from == tr.to;
    return n;
  };
  EXPECT_EQ(self_loops(*collapsed), 0);
  EXPECT_EQ(self_loops(*kept), 2);
  // A self-loop only delays: the conversion probability is the same either way.
  EXPECT_NEAR(kept->conversion_probability, collapsed->conversion_probability, 1e-15);
}

TEST(Markov, DegenerateInputsGiveDefinedResults) {
  // No conversions at all.
  Result<MarkovResult> r = Markov(Table({{{0, 1}, 0, 0, 5}, {{1}, 0, 0, 2}}), MarkovOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->conversion_probability, 0);
  for (uint32_t c = 0; c < 2; ++c) {
    EXPECT_EQ(r->removal_effect[c], 0);
    EXPECT_EQ(r->credits[c].conversions, 0);
    EXPECT_EQ(r->credits[c].value, 0);
  }
  // One channel: all of it.
  r = Markov(Table({{{0}, 3, 30, 7}, {{0, 0}, 1, 10, 0}}), MarkovOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->removal_effect[0], 1.0);
  EXPECT_DOUBLE_EQ(r->credits[0].conversions, 4.0);
  EXPECT_DOUBLE_EQ(r->credits[0].value, 40.0);
  // Channel ids no journey uses, rows without weight, conversions without value, and no
  // journeys at all.
  r = Markov(Table({{{3, 1}, 2, 0, 0}, {{5}, 0, 0, 0}}), MarkovOptions{.order = 3});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->credits.size(), 6u);
  for (uint32_t c : {0, 2, 4, 5}) EXPECT_EQ(r->credits[c].conversions, 0) << c;
  EXPECT_DOUBLE_EQ(r->credits[1].conversions + r->credits[3].conversions, 2.0);
  for (const ChannelCredit& c : r->credits) EXPECT_EQ(c.value, 0);
  r = Markov(PathTable{}, MarkovOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->credits.empty());
  EXPECT_EQ(r->states.size(), 3u);
}

TEST(Markov, LongAndCyclingPathsAreSolvedExactly) {
  // One converting journey through 2,000 distinct channels: each is indispensable.
  std::vector<uint32_t> long_path(2000);
  std::iota(long_path.begin(), long_path.end(), 0);
  Result<MarkovResult> r = Markov(Table({{long_path, 1, 10, 0}}), MarkovOptions{.order = 2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (uint32_t c = 0; c < 2000; ++c) {
    ASSERT_DOUBLE_EQ(r->removal_effect[c], 1.0);
    ASSERT_NEAR(r->credits[c].conversions, 1.0 / 2000, 1e-15);
  }
  // 20 channels cycled 30 times, and a short path: one cycle through every state.
  std::vector<Row> rows = {{{}, 3, 30, 5}, {{4, 9}, 0, 0, 2}};
  for (int i = 0; i < 600; ++i) rows[0].path.push_back(static_cast<uint32_t>(i % 20));
  r = Markov(Table(rows), MarkovOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Reference ref = DenseReference(rows, 20, 1, false);
  for (uint32_t c = 0; c < 20; ++c) {
    EXPECT_NEAR(r->removal_effect[c], ref.removal_effect[c], 1e-9);
    EXPECT_NEAR(r->credits[c].conversions, ref.conversions[c], 1e-9);
  }
}

TEST(Markov, OrderIsValidated) {
  for (int order : {0, 5, -1}) {
    const Result<MarkovResult> r = Markov(PathTable{}, MarkovOptions{.order = order});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("between 1 and 4"), std::string::npos);
  }
}

TEST(Markov, MatchesTheDenseReferenceOnRandomChains) {
  Rng rng(20261123);
  for (int order = 1; order <= 3; ++order) {
    for (int i = 0; i < 60; ++i) {
      const auto channels = static_cast<uint32_t>(2 + rng.Below(19));  // up to 20
      const std::vector<Row> rows = RandomRows(rng, channels, order == 1 ? 200 : 40, 7);
      const bool keep = rng.Chance(0.3);
      const Result<MarkovResult> r =
          Markov(Table(rows), MarkovOptions{.order = order, .keep_repeats = keep});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const uint32_t n = r->credits.size();
      const Reference ref = DenseReference(rows, n, order, keep);
      for (uint32_t c = 0; c < n; ++c) {
        SCOPED_TRACE(testing::Message() << "order " << order << " case " << i << " channel " << c);
        EXPECT_NEAR(r->removal_effect[c], ref.removal_effect[c], 1e-9);
        EXPECT_NEAR(r->value_removal_effect[c], ref.value_removal_effect[c], 1e-9);
        EXPECT_NEAR(r->credits[c].conversions, ref.conversions[c], 1e-9);
        EXPECT_NEAR(r->credits[c].value, ref.value[c], 1e-9 * std::max(1.0, ref.value[c]));
      }
    }
  }
}

TEST(Markov, ChannelsOutsideCyclesMatchTheDenseReference) {
  // Journeys shaped like a month by campaign: most channels come once, in one order, before
  // a few that cycle among themselves. The once-only channels' removal effects are computed
  // without a solve of their own (markov.cc); they must be the solves' answers.
  Rng rng(20261124);
  for (int i = 0; i < 60; ++i) {
    const auto channels = static_cast<uint32_t>(3 + rng.Below(18));
    const uint32_t cycling = 1 + static_cast<uint32_t>(rng.Below(channels / 2));
    std::vector<Row> rows = RandomRows(rng, cycling, 150, 5);
    for (Row& r : rows) {
      std::vector<uint32_t> once;
      for (uint32_t c = cycling; c < channels; ++c) {
        if (rng.Chance(0.3)) once.push_back(c);
      }
      if (rng.Chance(0.3)) r.path.clear();
      r.path.insert(r.path.begin(), once.begin(), once.end());
      if (r.path.empty()) r.path.push_back(channels - 1);
    }
    const Result<MarkovResult> r = Markov(Table(rows), MarkovOptions{});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Reference ref = DenseReference(rows, channels, 1, false);
    for (uint32_t c = 0; c < channels; ++c) {
      SCOPED_TRACE(testing::Message() << "case " << i << " channel " << c);
      EXPECT_NEAR(r->removal_effect[c], ref.removal_effect[c], 1e-9);
      EXPECT_NEAR(r->value_removal_effect[c], ref.value_removal_effect[c], 1e-9);
      EXPECT_NEAR(r->credits[c].conversions, ref.conversions[c], 1e-9);
      EXPECT_NEAR(r->credits[c].value, ref.value[c], 1e-9 * std::max(1.0, ref.value[c]));
    }
  }
}

// Random small tables for the properties: up to 8 channels, 1–30 rows.
rc::Gen<std::vector<Row>> Rows() {
  return rc::gen::map(rc::gen::pair(rc::gen::arbitrary<uint64_t>(), rc::gen::inRange(1, 30)),
                      [](const std::pair<uint64_t, int>& p) {
                        Rng rng(p.first);
                        return RandomRows(rng, 8, static_cast<size_t>(p.second), 6);
                      });
}

RC_GTEST_PROP(Markov, CreditsAreSharesOfTheConversions, ()) {
  const std::vector<Row> rows = *Rows();
  const int order = *rc::gen::inRange(1, 4);
  const PathTable t = Table(rows);
  const Result<MarkovResult> r = Markov(t, MarkovOptions{.order = order});
  RC_ASSERT(r.ok());
  double conversions = 0, value = 0;
  for (uint32_t c = 0; c < r->credits.size(); ++c) {
    RC_ASSERT(r->removal_effect[c] >= 0.0 && r->removal_effect[c] <= 1.0);
    RC_ASSERT(r->value_removal_effect[c] >= 0.0 && r->value_removal_effect[c] <= 1.0);
    RC_ASSERT(std::isfinite(r->credits[c].conversions) && std::isfinite(r->credits[c].value));
    conversions += r->credits[c].conversions;
    value += r->credits[c].value;
  }
  if (r->conversion_probability > 0) {
    RC_ASSERT(std::abs(conversions - t.totals().conversions) <= 1e-9 * t.totals().conversions);
    RC_ASSERT(std::abs(value - t.totals().value) <= 1e-9 * t.totals().value);
  } else {
    RC_ASSERT(conversions == 0.0);
  }
}

RC_GTEST_PROP(Markov, RelabellingChannelsPermutesTheCredits, ()) {
  std::vector<Row> rows = *Rows();
  const int order = *rc::gen::inRange(1, 4);
  std::vector<uint32_t> relabel(8);
  std::iota(relabel.begin(), relabel.end(), 0);
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  for (size_t i = relabel.size() - 1; i > 0; --i) std::swap(relabel[i], relabel[rng.Below(i + 1)]);
  const Result<MarkovResult> a = Markov(Table(rows), MarkovOptions{.order = order});
  for (Row& r : rows) {
    for (uint32_t& c : r.path) c = relabel[c];
  }
  const Result<MarkovResult> b = Markov(Table(rows), MarkovOptions{.order = order});
  RC_ASSERT(a.ok() && b.ok());
  const auto at = [](const std::vector<double>& v, uint32_t i) { return i < v.size() ? v[i] : 0; };
  const auto credit = [](const MarkovResult& r, uint32_t i) {
    return i < r.credits.size() ? r.credits[i].conversions : 0;
  };
  for (uint32_t c = 0; c < 8; ++c) {
    RC_ASSERT(std::abs(at(a->removal_effect, c) - at(b->removal_effect, relabel[c])) <= 1e-12);
    RC_ASSERT(std::abs(credit(*a, c) - credit(*b, relabel[c])) <= 1e-9);
  }
}

}  // namespace
}  // namespace attrib
