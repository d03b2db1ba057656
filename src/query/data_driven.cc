#include "query/data_driven.h"

#include <algorithm>

#include "attribution/fixed.h"
#include "common/flat_map.h"
#include "common/u64_map.h"

namespace attrib::query {

namespace {

// The order-1 chain of the paths (repeats collapsed), with state 3 + g for group g: the same
// for the same journeys in any order, to the last bit (counts are whole numbers and the value
// ending in each state is summed in fixed point).
MarkovChain OrderOneChain(std::span<const GroupPath> paths, uint32_t groups) {
  MarkovChain chain;
  chain.channels = groups;
  chain.states.resize(3 + groups);
  for (uint32_t g = 0; g < groups; ++g) chain.states[3 + g] = {g};
  U64Map<uint32_t> steps;  // (from, to) → 1 + index in chain.transitions
  const auto step = [&](uint32_t from, uint32_t to, uint64_t count) {
    if (count == 0) return;
    uint32_t& i = steps[MixBits(uint64_t{from} << 32 | to)];  // never 0: nothing enters (start)
    if (i == 0) {
      chain.transitions.push_back(MarkovTransition{from, to, 0, 0});
      i = static_cast<uint32_t>(chain.transitions.size());
    }
    chain.transitions[i - 1].count += static_cast<double>(count);
  };
  std::vector<uint64_t> ended(3 + groups, 0);
  std::vector<Fixed> ended_revenue(3 + groups, 0);
  Fixed revenue = 0;
  uint64_t conversions = 0, nulls = 0;
  for (const GroupPath& p : paths) {
    const uint64_t weight = p.conversions + p.nulls;
    uint32_t state = kStartState;
    for (const uint32_t g : p.groups) {
      if (state == 3 + g) continue;  // a repeat
      step(state, 3 + g, weight);
      state = 3 + g;
    }
    step(state, kConversionState, p.conversions);
    step(state, kNullState, p.nulls);
    ended[state] += p.conversions;
    ended_revenue[state] += p.revenue;
    conversions += p.conversions;
    nulls += p.nulls;
    revenue += p.revenue;
  }
  std::sort(chain.transitions.begin(), chain.transitions.end(),
            [](const MarkovTransition& a, const MarkovTransition& b) {
              return a.from != b.from ? a.from < b.from : a.to < b.to;
            });
  for (uint32_t s = 0; s < 3 + groups; ++s) {
    chain.ended_conversions.push_back(static_cast<double>(ended[s]));
    chain.ended_value.push_back(FromFixed(ended_revenue[s], kRevenueScale));
  }
  chain.totals = PathOutcome{static_cast<double>(conversions), FromFixed(revenue, kRevenueScale),
                             static_cast<double>(nulls)};
  return chain;
}

// The paths' channel sets, sorted by their members, their outcomes summed in fixed point:
// the same for the same journeys in any order.
ChannelSets SortedChannelSets(std::span<const GroupPath> paths, uint32_t groups) {
  struct Sums {
    uint64_t conversions = 0, nulls = 0;
    Fixed revenue = 0;
  };
  FlatStringMap<uint32_t> ids;  // sorted groups → 1 + index in `sums`
  std::vector<std::vector<uint32_t>> members;
  std::vector<Sums> sums;
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
    Sums& s = sums[id - 1];
    s.conversions += p.conversions;
    s.nulls += p.nulls;
    s.revenue += p.revenue;
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
    learnt.chain = OrderOneChain(paths, channels);
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
