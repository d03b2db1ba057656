#include "query/data_driven.h"

#include <algorithm>

#include "attribution/fixed.h"
#include "attribution/markov.h"
#include "attribution/shapley.h"

namespace attrib::query {

Result<DataDrivenCredits> CreditDataDriven(std::vector<GroupPath> paths, size_t groups,
                                           const AnalysisOptions& options,
                                           DataDrivenSummary* summary) {
  std::erase_if(paths, [](const GroupPath& p) { return p.conversions == 0 && p.nulls == 0; });
  // The groups the paths use, numbered 0, 1, … in the order of their ids (their keys' order).
  std::vector<uint32_t> number(groups, 0);  // 1 + the group's number; 0: unused
  for (const GroupPath& p : paths) {
    for (const uint32_t g : p.groups) number[g] = 1;
  }
  std::vector<uint32_t> used;  // by number: the group
  for (uint32_t g = 0; g < groups; ++g) {
    if (number[g] == 0) continue;
    used.push_back(g);
    number[g] = static_cast<uint32_t>(used.size());
  }
  for (GroupPath& p : paths) {
    for (uint32_t& g : p.groups) g = number[g] - 1;
  }
  std::sort(paths.begin(), paths.end(),
            [](const GroupPath& a, const GroupPath& b) { return a.groups < b.groups; });
  PathTable table;
  for (const GroupPath& p : paths) {
    table.Add(p.groups,
              PathOutcome{static_cast<double>(p.conversions), FromFixed(p.revenue, kRevenueScale),
                          static_cast<double>(p.nulls)});
  }

  ATTRIB_ASSIGN_OR_RETURN(MarkovResult markov, Markov(table, options.markov));
  ATTRIB_ASSIGN_OR_RETURN(ShapleyResult shapley, Shapley(table, options.shapley));
  std::array<std::vector<ChannelCredit>, kDataDrivenModelCount> dense;
  const auto index = [](Model m) { return static_cast<int>(m) - kHeuristicModelCount; };
  dense[index(Model::kMarkov)] = std::move(markov.credits);
  dense[index(Model::kShapley)] = std::move(shapley.credits);
  dense[index(Model::kShapleySimplified)] = ShapleySimplified(table);

  DataDrivenCredits out;
  for (int m = 0; m < kDataDrivenModelCount; ++m) {
    out.credits[m].resize(groups);
    for (size_t i = 0; i < dense[m].size() && i < used.size(); ++i) {
      out.credits[m][used[i]] = dense[m][i];
    }
  }
  out.removal_effect.resize(groups);
  for (size_t i = 0; i < markov.removal_effect.size() && i < used.size(); ++i) {
    out.removal_effect[used[i]] = markov.removal_effect[i];
  }
  summary->distinct_paths = table.size();
  summary->conversion_probability = markov.conversion_probability;
  summary->markov_states = markov.states.size() - 3;
  summary->shapley_exact_sets = shapley.exact_sets;
  summary->shapley_sampled_sets = shapley.sampled_sets;
  summary->shapley_max_error = shapley.max_error;
  return out;
}

}  // namespace attrib::query
