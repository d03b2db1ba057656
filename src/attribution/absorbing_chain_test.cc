// The chain solver against dense Gaussian elimination of the forward equations x = Q x + r, on
// chains shaped to take each of its paths: acyclic (forward substitution), small cycles
// (dense LU) and cycles larger than kDenseLimit (GMRES), with and without removed states; and
// each state's expected visits from itself (SelfVisits) against the dense inverse.
#include "attribution/absorbing_chain.h"

#include <gtest/gtest.h>

#include <cmath>

#include "attribution/test_util.h"
#include "common/rng.h"

namespace attrib {
namespace {

struct Chain {
  uint32_t n = 0;
  std::vector<AbsorbingChain::Step> steps;
  std::vector<double> reward, value;
};

// x(s) = Σ_t Q(s, t) x(t) + reward(s), x = 0 on removed states, solved densely.
std::vector<double> ReferenceFromEach(const Chain& c, const std::vector<double>& pay,
                                      const std::vector<bool>& removed) {
  const size_t n = c.n;
  std::vector<std::vector<double>> a(n, std::vector<double>(n, 0.0));
  std::vector<double> b(n, 0.0);
  for (size_t s = 0; s < n; ++s) {
    a[s][s] = 1;
    if (removed.empty() || !removed[s]) b[s] = pay[s];
  }
  for (const AbsorbingChain::Step& st : c.steps) {
    if (!removed.empty() && (removed[st.from] || removed[st.to])) continue;
    a[st.from][st.to] -= st.probability;
  }
  return test::DenseSolve(std::move(a), std::move(b));
}

// … its x(entry).
double Reference(const Chain& c, const std::vector<double>& pay, uint32_t entry,
                 const std::vector<bool>& removed) {
  return ReferenceFromEach(c, pay, removed)[entry];
}

// n states; each steps to `degree` others (a ring step keeps it one big cycle when `ring`),
// with self-loops sometimes; what is left of each row is absorbed, part of it rewarded.
Chain Random(Rng& rng, uint32_t n, int degree, bool ring) {
  Chain c;
  c.n = n;
  for (uint32_t s = 0; s < n; ++s) {
    std::vector<uint32_t> to;
    if (ring) to.push_back((s + 1) % n);
    for (int d = 0; d < degree; ++d) {
      const auto t = static_cast<uint32_t>(rng.Below(n));
      if (ring || t > s || rng.Chance(0.1)) to.push_back(t);
    }
    std::sort(to.begin(), to.end());
    to.erase(std::unique(to.begin(), to.end()), to.end());
    const double leave = 0.05 + 0.5 * rng.Uniform();
    double left = 1 - leave;
    for (const uint32_t t : to) {
      const double p = left * rng.Uniform() / 2;
      c.steps.push_back({s, t, p});
      left -= p;
    }
    const double absorbed = 1 - (1 - leave - left);
    c.reward.push_back(absorbed * rng.Uniform());
    c.value.push_back(c.reward.back() * (1 + static_cast<double>(rng.Below(100))));
  }
  return c;
}

void ExpectMatches(const Chain& c, Rng& rng) {
  AbsorbingChain solver(c.n, c.steps, c.reward, c.value);
  for (int round = 0; round < 4; ++round) {
    std::vector<bool> removed;
    if (round > 0) {
      removed.assign(c.n, false);
      for (uint32_t s = 1; s < c.n; ++s) removed[s] = rng.Chance(0.1 * round);
    }
    const Result<AbsorbingChain::Outcome> got = solver.Solve(0, removed);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_NEAR(got->reward, Reference(c, c.reward, 0, removed), 1e-9) << "round " << round;
    const double value = Reference(c, c.value, 0, removed);
    EXPECT_NEAR(got->value, value, 1e-9 * std::max(1.0, value)) << "round " << round;
  }
  // Absorption from every state at once (the transposed system).
  std::vector<double> reward, value;
  ASSERT_TRUE(solver.SolveFromEach(&reward, &value).ok());
  const std::vector<double> want_reward = ReferenceFromEach(c, c.reward, {});
  const std::vector<double> want_value = ReferenceFromEach(c, c.value, {});
  for (uint32_t s = 0; s < c.n; ++s) {
    EXPECT_NEAR(reward[s], want_reward[s], 1e-9) << "state " << s;
    EXPECT_NEAR(value[s], want_value[s], 1e-9 * std::max(1.0, want_value[s])) << "state " << s;
  }
}

// Expected visits of each state starting there, (I − Q)⁻¹(s, s), with a stay by self-loops
// counted once (× (1 − stay)): the dense inverse, by Gauss–Jordan elimination.
std::vector<double> ReferenceSelfVisits(const Chain& c) {
  const size_t n = c.n;
  std::vector<std::vector<double>> a(n, std::vector<double>(2 * n, 0.0));
  std::vector<double> stay(n, 0.0), self(n);
  for (size_t s = 0; s < n; ++s) a[s][s] = a[s][n + s] = 1;
  for (const AbsorbingChain::Step& st : c.steps) {
    a[st.from][st.to] -= st.probability;
    if (st.from == st.to) stay[st.from] = st.probability;
  }
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < n; ++r) {
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    }
    std::swap(a[col], a[pivot]);
    const double scale = 1 / a[col][col];
    for (double& x : a[col]) x *= scale;
    for (size_t r = 0; r < n; ++r) {
      const double f = a[r][col];
      if (r == col || f == 0) continue;
      for (size_t j = col; j < 2 * n; ++j) a[r][j] -= f * a[col][j];
    }
  }
  for (size_t s = 0; s < n; ++s) self[s] = a[s][n + s] * (1 - stay[s]);
  return self;
}

void ExpectSelfVisitsMatch(const Chain& c) {
  const std::vector<double> got = AbsorbingChain(c.n, c.steps, c.reward, c.value).SelfVisits();
  const std::vector<double> want = ReferenceSelfVisits(c);
  for (uint32_t s = 0; s < c.n; ++s) EXPECT_NEAR(got[s], want[s], 1e-9 * want[s]) << s;
}

TEST(AbsorbingChain, AcyclicChainsBySubstitution) {
  Rng rng(1);
  for (int i = 0; i < 20; ++i) ExpectMatches(Random(rng, 2 + rng.Below(300), 3, false), rng);
}

TEST(AbsorbingChain, SmallCyclesByDenseLu) {
  Rng rng(2);
  for (int i = 0; i < 20; ++i) {
    ExpectMatches(Random(rng, 2 + rng.Below(AbsorbingChain::kDenseLimit - 2), 4, true), rng);
  }
}

TEST(AbsorbingChain, LargeCyclesByGmres) {
  Rng rng(3);
  for (int i = 0; i < 4; ++i) {
    const auto n = static_cast<uint32_t>(AbsorbingChain::kDenseLimit + 1 + rng.Below(300));
    ExpectMatches(Random(rng, n, 3, true), rng);
  }
}

TEST(AbsorbingChain, SelfVisitsOfSmallCycles) {
  Rng rng(4);
  for (int i = 0; i < 20; ++i) {
    ExpectSelfVisitsMatch(
        Random(rng, 2 + rng.Below(60), 1 + static_cast<int>(rng.Below(5)), rng.Chance(0.5)));
  }
}

TEST(AbsorbingChain, SelfVisitsOfALargeCycleThroughHubs) {
  // Like journeys by campaign: hundreds of states, each stepping on to later ones, to the
  // absorbing states, or back to one of a few hubs (0–4), which step to everything.
  Rng rng(5);
  for (int i = 0; i < 3; ++i) {
    Chain c;
    c.n = static_cast<uint32_t>(AbsorbingChain::kDenseLimit + 50 + rng.Below(150));
    for (uint32_t s = 0; s < c.n; ++s) {
      std::vector<uint32_t> to = {static_cast<uint32_t>(rng.Below(5))};
      for (int d = 0; d < (s < 5 ? 40 : 2); ++d) {
        const auto t = static_cast<uint32_t>(rng.Below(c.n));
        if (s < 5 || t > s) to.push_back(t);
      }
      std::sort(to.begin(), to.end());
      to.erase(std::unique(to.begin(), to.end()), to.end());
      double left = 0.9;
      for (const uint32_t t : to) {
        const double p = left * rng.Uniform() / 2;
        c.steps.push_back({s, t, p});
        left -= p;
      }
      c.reward.push_back(0.05);
      c.value.push_back(1);
    }
    ExpectSelfVisitsMatch(c);
  }
}

TEST(AbsorbingChain, SelfVisitsGiveUpOnACycleThatNeedsTooManyCuts) {
  // A ring of states each in a two-state cycle with a partner of its own: every partnership
  // is a cycle, so more than kDenseLimit states must be cut. The ring's states get 0; the
  // state before the ring, outside every cycle, 1.
  const auto pairs = static_cast<uint32_t>(AbsorbingChain::kDenseLimit + 1);
  Chain c;
  c.n = 1 + 2 * pairs;
  c.steps.push_back({0, 1, 0.5});
  for (uint32_t i = 0; i < pairs; ++i) {
    const uint32_t ring = 1 + i, partner = 1 + pairs + i;
    c.steps.push_back({ring, 1 + (i + 1) % pairs, 0.4});
    c.steps.push_back({ring, partner, 0.4});
    c.steps.push_back({partner, ring, 0.5});
  }
  c.reward.assign(c.n, 0.1);
  c.value.assign(c.n, 0.1);
  const std::vector<double> self = AbsorbingChain(c.n, c.steps, c.reward, c.value).SelfVisits();
  EXPECT_EQ(self[0], 1.0);
  for (uint32_t s = 1; s < c.n; ++s) EXPECT_EQ(self[s], 0.0) << s;
  // Fewer pairs: the same shape is cut and solved.
  c.n = 1 + 2 * 50;
  c.steps.clear();
  c.steps.push_back({0, 1, 0.5});
  for (uint32_t i = 0; i < 50; ++i) {
    c.steps.push_back({1 + i, 1 + (i + 1) % 50, 0.4});
    c.steps.push_back({1 + i, 51 + i, 0.4});
    c.steps.push_back({51 + i, 1 + i, 0.5});
  }
  c.reward.assign(c.n, 0.1);
  c.value.assign(c.n, 0.1);
  ExpectSelfVisitsMatch(c);
}

TEST(AbsorbingChain, AVeryDeepChainIsSolvedExactly) {
  // 20,000 states one after the other, each continuing with probability 0.9999.
  Chain c;
  c.n = 20'000;
  for (uint32_t s = 0; s + 1 < c.n; ++s) c.steps.push_back({s, s + 1, 0.9999});
  c.reward.assign(c.n, 0.0);
  c.reward.back() = 1.0;
  c.value.assign(c.n, 0.0);
  AbsorbingChain solver(c.n, c.steps, c.reward, c.value);
  const Result<AbsorbingChain::Outcome> r = solver.Solve(0, {});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->reward, std::pow(0.9999, c.n - 1), 1e-12);
}

}  // namespace
}  // namespace attrib
