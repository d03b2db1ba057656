// An absorbing Markov chain with one entry state and two rewards, solved exactly with sparse
// linear algebra: the probability of reaching the rewarding absorbing state, optionally with
// a set of states turned into dead ends. The Markov model's engine (markov.h).
//
// The states are split into strongly connected components, taken in topological order: the
// expected visits of a component depend only on those before it, so a chain without cycles
// is solved by forward substitution, a small cycle by a dense LU, and only a large one by an
// iterative solver (GMRES).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "attrib/status.h"

namespace attrib {

class AbsorbingChain {
 public:
  struct Step {
    uint32_t from = 0;
    uint32_t to = 0;
    double probability = 0;
  };

  // States 0 … state_count − 1 are transient; `steps` are the probabilities between them
  // (no pair twice). Leaving state s for good, absorbed, has probability 1 − Σ steps out of
  // s, of which reward[s] and value[s] are what absorption pays (reward[s] ≤ that share).
  // Every state must be absorbed eventually: from each state some path leaves the chain.
  AbsorbingChain(uint32_t state_count, std::span<const Step> steps, std::vector<double> reward,
                 std::vector<double> value);

  struct Outcome {
    double reward = 0;  // Σ over absorptions of reward, expected, starting in `entry`
    double value = 0;   // the same for value
  };

  // Starting in `entry`, with the states where removed[s] is true absorbing and paying
  // nothing (they must not include `entry`; empty: none removed).
  Result<Outcome> Solve(uint32_t entry, const std::vector<bool>& removed);

  // Per state s, the expected reward and value of absorption starting in s, nothing removed
  // (the transposed system, (I − Q) x = reward, solved sinks first).
  Status SolveFromEach(std::vector<double>* reward, std::vector<double>* value);

  // Per state s, the expected visits of s starting in s, nothing removed: 1 when s is visited
  // at most once, 1 / (1 − P(returning to s)) on a cycle (a stay by self-loops counts once, as
  // in visits()). Computed for a cycle when cutting
  // at most kDenseLimit of its states leaves no cycle (journey data's cycles run through a few
  // hubs); 0 for the states of a cycle that is not (or whose cut would take too much memory).
  std::vector<double> SelfVisits();

  // The expected visits of each state in the last Solve(entry, {}) (empty before one).
  const std::vector<double>& visits() const { return visits_; }
  // Components of more states than this are solved iteratively; smaller ones by dense LU.
  static constexpr size_t kDenseLimit = 200;

 private:
  // The expected visits n of component c's kept states: (I − Q_ccᵀ) n = inflow there; or,
  // when transposed_, the expected absorption x: (I − Q_cc) x = inflow.
  Status SolveComponent(uint32_t c, const std::vector<bool>& removed,
                        std::span<const double> inflow, std::span<double> visits);
  Status SolveDense(uint32_t c, std::span<const uint32_t> states, const std::vector<bool>& removed,
                    std::span<const double> inflow, std::span<double> visits);
  Status SolveIteratively(uint32_t c, std::span<const uint32_t> states,
                          const std::vector<bool>& removed, std::span<const double> inflow,
                          std::span<double> visits);
  // SelfVisits of component c's states into `self`; false when its cut is too large.
  bool SelfVisitsOfComponent(uint32_t c, std::vector<double>& self);
  void FindComponents();
  bool Kept(uint32_t s, const std::vector<bool>& removed) const {
    return removed.empty() || !removed[s];
  }

  uint32_t n_;
  // Q by rows (CSR), self-loops folded into the rest of the row.
  std::vector<uint64_t> row_begin_;
  std::vector<uint32_t> column_;
  std::vector<double> probability_;
  std::vector<double> reward_, value_;
  // Strongly connected components in topological order (steps never go to an earlier one):
  // component c holds members_[component_begin_[c] … component_begin_[c + 1]).
  std::vector<uint32_t> members_, component_begin_, component_of_;
  // The expected visits of the last unrestricted solve: the components before the first
  // with a removed state keep them, and iterative solves start from them.
  std::vector<double> visits_;
  uint32_t visits_entry_ = UINT32_MAX;
  std::vector<uint32_t> local_;   // state → index within the component being solved
  std::vector<uint32_t> states_;  // … its kept states
  bool transposed_ = false;       // SolveFromEach's system is being solved
  std::vector<double> basis_;     // room for GMRES's Krylov vectors, reused by each solve
};

}  // namespace attrib
