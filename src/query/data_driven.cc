#include "query/data_driven.h"

#include <algorithm>

#include "attribution/fixed.h"
#include "common/flat_map.h"
#include "common/u64_map.h"

namespace attrib::query {

namespace {

// The order-1 chain of the paths (repeats collapsed), with state 3 + g for group g: the same
// for the same journeys in any order, to the last bit.
MarkovChain ChainOfPaths(std::span<const GroupPath> paths, uint32_t groups) {
  std::vector<MarkovTransition> steps;
  U64Map<uint32_t> index;  // (from, to) → 1 + index in steps
  std::vector<JourneySums> ended(groups);
  for (const GroupPath& p : paths) {
    if (p.groups.empty()) continue;  // (no journey has none; the store keeps none)
    const uint64_t weight = p.conversions + p.nulls;
    uint32_t state = kStartState;
    for (const uint32_t g : p.groups) {
      if (state == 3 + g) continue;                                   // a repeat
      uint32_t& i = index[MixBits(uint64_t{state} << 32 | (3 + g))];  // never 0: from ≠ to
      if (i == 0) {
        steps.push_back(MarkovTransition{state, 3 + g, 0, 0});
        i = static_cast<uint32_t>(steps.size());
      }
      steps[i - 1].count += static_cast<double>(weight);
      state = 3 + g;
    }
    ended[state - 3].Add(p.conversions, p.nulls, p.revenue);
  }
  return OrderOneChain(groups, std::move(steps), ended);
}

// The paths' channel sets, sorted by their members, their outcomes summed in fixed point:
// the same for the same journeys in any order.
ChannelSets SortedChannelSets(std::span<const GroupPath> paths, uint32_t groups) {
  FlatStringMap<uint32_t> ids;  // sorted groups → 1 + index in `sums`
  std::vector<std::vector<uint32_t>> members;
  std::vector<JourneySums> sums;
  std::vector<uint32_t> set;
  for (const GroupPath& p : paths) {
    set = p.groups;
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    uint32_t& id = ids[std::string_view(reinterpret_cast<const char*>(set.data()),
                                        set.size() * sizeof(uint32_t))];
    if (id == 0) {
      members.push_back(set);
      sums.emplace_back();
      id = static_cast<uint32_t>(sums.size());
    }
    sums[id - 1].Add(p.conversions, p.nulls, p.revenue);
  }
  std::vector<uint32_t> order(sums.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&members](uint32_t a, uint32_t b) { return members[a] < members[b]; });
  ChannelSets sets;
  for (const uint32_t i : order) {
    sets.Add(members[i], PathOutcome{static_cast<double>(sums[i].conversions),
                                     FromFixed(sums[i].revenue, kRevenueScale),
                                     static_cast<double>(sums[i].nulls)});
  }
  sets.channels = groups;
  return sets;
}

}  // namespace

MarkovChain OrderOneChain(uint32_t channels, std::vector<MarkovTransition> steps,
                          std::span<const JourneySums> ended) {
  MarkovChain chain;
  chain.channels = channels;
  chain.states.resize(3 + channels);
  for (uint32_t c = 0; c < channels; ++c) chain.states[3 + c] = {c};
  chain.transitions = std::move(steps);
  chain.ended_conversions.assign(3 + channels, 0.0);
  chain.ended_value.assign(3 + channels, 0.0);
  JourneySums totals;
  for (uint32_t c = 0; c < channels; ++c) {
    const JourneySums& e = ended[c];
    const uint32_t state = 3 + c;
    if (e.conversions != 0) {
      chain.transitions.push_back(
          MarkovTransition{state, kConversionState, static_cast<double>(e.conversions), 0});
    }
    if (e.nulls != 0) {
      chain.transitions.push_back(
          MarkovTransition{state, kNullState, static_cast<double>(e.nulls), 0});
    }
    chain.ended_conversions[state] = static_cast<double>(e.conversions);
    chain.ended_value[state] = FromFixed(e.revenue, kRevenueScale);
    totals.Add(e.conversions, e.nulls, e.revenue);
  }
  SortTransitions(chain.transitions);
  chain.totals =
      PathOutcome{static_cast<double>(totals.conversions), FromFixed(totals.revenue, kRevenueScale),
                  static_cast<double>(totals.nulls)};
  return chain;
}

bool LearnsFromOrderOne(const AnalysisOptions& options) {
  return options.markov.order == 1 && !options.markov.keep_repeats;
}

Result<DataDrivenCredits> CreditLearnt(LearntPaths learnt, const AnalysisOptions& options,
                                       DataDrivenSummary* summary) {
  const uint32_t channels = learnt.sets.channels;
  ATTRIB_ASSIGN_OR_RETURN(MarkovResult markov, Markov(std::move(learnt.chain)));
  ATTRIB_ASSIGN_OR_RETURN(ShapleyResult shapley, Shapley(learnt.sets, options.shapley));
  DataDrivenCredits out;
  const auto index = [](Model m) { return static_cast<int>(m) - kHeuristicModelCount; };
  out.credits[index(Model::kMarkov)] = std::move(markov.credits);
  out.credits[index(Model::kShapley)] = std::move(shapley.credits);
  out.credits[index(Model::kShapleySimplified)] = ShapleySimplified(learnt.sets);
  for (std::vector<ChannelCredit>& c : out.credits) c.resize(channels);
  out.removal_effect = std::move(markov.removal_effect);
  out.removal_effect.resize(channels);
  summary->distinct_paths = learnt.distinct_paths;
  summary->conversion_probability = markov.conversion_probability;
  summary->markov_states = markov.states.size() - 3;
  summary->shapley_exact_sets = shapley.exact_sets;
  summary->shapley_sampled_sets = shapley.sampled_sets;
  summary->shapley_max_error = shapley.max_error;
  return out;
}

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
  const auto channels = static_cast<uint32_t>(used.size());
  ATTRIB_RETURN_IF_ERROR(options.markov.Validate());
  LearntPaths learnt;
  learnt.distinct_paths = paths.size();
  if (LearnsFromOrderOne(options)) {
    learnt.chain = ChainOfPaths(paths, channels);
  } else {  // higher orders number their states as the paths, sorted, reach them
    std::sort(paths.begin(), paths.end(),
              [](const GroupPath& a, const GroupPath& b) { return a.groups < b.groups; });
    PathTable table;
    for (const GroupPath& p : paths) {
      table.Add(p.groups,
                PathOutcome{static_cast<double>(p.conversions), FromFixed(p.revenue, kRevenueScale),
                            static_cast<double>(p.nulls)});
    }
    ATTRIB_ASSIGN_OR_RETURN(learnt.chain, LearnMarkovChain(table, options.markov));
  }
  learnt.sets = SortedChannelSets(paths, channels);
  ATTRIB_ASSIGN_OR_RETURN(DataDrivenCredits dense,
                          CreditLearnt(std::move(learnt), options, summary));
  DataDrivenCredits out;
  for (int m = 0; m < kDataDrivenModelCount; ++m) {
    out.credits[m].resize(groups);
    for (size_t i = 0; i < used.size(); ++i) out.credits[m][used[i]] = dense.credits[m][i];
  }
  out.removal_effect.resize(groups);
  for (size_t i = 0; i < used.size(); ++i) out.removal_effect[used[i]] = dense.removal_effect[i];
  return out;
}

}  // namespace attrib::query
