// The data-driven models (Markov, Shapley, simplified Shapley) over journeys' paths of groups,
// for batch analysis and store reports alike. Whoever gathered the paths, the models see one
// canonical input — the groups the paths use, numbered in key order; the chain's steps and the
// channel sets in order — so the same journeys give the same credits, bit for bit.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/store.h"
#include "attribution/fixed.h"
#include "attribution/markov.h"
#include "attribution/paths.h"
#include "attribution/shapley.h"
#include "query/batch.h"

namespace attrib::query {

inline constexpr int kDataDrivenModelCount = kModelCount - kHeuristicModelCount;

// Per group: each data-driven model's credit (Model order after the heuristics), and the
// Markov removal effect.
struct DataDrivenCredits {
  std::array<std::vector<ChannelCredit>, kDataDrivenModelCount> credits;
  std::vector<double> removal_effect;
};

// `paths`' group ids are below `groups` and ordered as the groups' keys are. Each result
// vector has `groups` entries (0 for a group no path uses); `summary` gets the models' facts.
Result<DataDrivenCredits> CreditDataDriven(std::vector<GroupPath> paths, size_t groups,
                                           const AnalysisOptions& options,
                                           DataDrivenSummary* summary);

// What the models learn from the paths: the chain (at order 1 without repeats, state 3 + g for
// channel g) and the channel sets sorted by their members, channels being the groups the paths
// use numbered in key order. The same journeys give the same
// input, to the last bit, however they were gathered.
struct LearntPaths {
  MarkovChain chain;
  ChannelSets sets;
  uint64_t distinct_paths = 0;
};
// Journeys' outcomes summed in whole numbers and fixed point: the same sums in any order.
struct JourneySums {
  uint64_t conversions = 0, nulls = 0;
  Fixed revenue = 0;
  void Add(uint64_t c, uint64_t n, Fixed r) {
    conversions += c;
    nulls += n;
    revenue += r;
  }
  bool empty() const { return conversions == 0 && nulls == 0; }
};
// The order-1 chain over `channels` (state 3 + c for channel c) from its steps between states
// (any order, no pair twice) and, by channel, the journeys that ended there: their steps to
// (conversion) and (null), the value ending in each state and the chain's totals.
MarkovChain OrderOneChain(uint32_t channels, std::vector<MarkovTransition> steps,
                          std::span<const JourneySums> ended);

// True when `options` let the models learn from LearntPaths.
bool LearnsFromOrderOne(const AnalysisOptions& options);
// The models over it; the result's vectors are indexed by channel.
Result<DataDrivenCredits> CreditLearnt(LearntPaths learnt, const AnalysisOptions& options,
                                       DataDrivenSummary* summary);

}  // namespace attrib::query
