// An absorbing Markov chain with one entry state and two rewards, solved exactly with sparse
// linear algebra: the probability of reaching the rewarding absorbing state, optionally with
// a set of states turned into dead ends. The Markov model's engine (markov.h).
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

 private:
  // out = v − Qᵀv on the states kept (v is 0 on the removed ones and stays so).
  void Apply(std::span<const double> v, const std::vector<bool>& removed,
             std::span<double> out) const;

  uint32_t n_;
  // Q by rows (CSR), self-loops folded into the rest of the row.
  std::vector<uint64_t> row_begin_;
  std::vector<uint32_t> column_;
  std::vector<double> probability_;
  std::vector<double> reward_, value_;
  // The expected visits of the last unrestricted solve: where restricted solves start.
  std::vector<double> visits_;
  uint32_t visits_entry_ = UINT32_MAX;
};

}  // namespace attrib
