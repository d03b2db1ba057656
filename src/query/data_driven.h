// The data-driven models (Markov, Shapley, simplified Shapley) over journeys' paths of groups,
// for batch analysis and store reports alike. Whoever gathered the paths, the models see one
// canonical table — the groups the paths use, numbered in key order, and the rows sorted by
// path — so the same journeys give the same credits, bit for bit.
#pragma once

#include <array>
#include <vector>

#include "attrib/attribution.h"
#include "attrib/store.h"
#include "attribution/paths.h"
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

}  // namespace attrib::query
