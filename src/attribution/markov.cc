#include "attribution/markov.h"

#include <fmt/format.h>

#include <algorithm>

#include "attribution/absorbing_chain.h"
#include "common/u64_map.h"

namespace attrib {
namespace {

// Interns the chain's states and counts its steps.
class ChainBuilder {
 public:
  ChainBuilder(int order, MarkovChain* chain) : bits_(64 / order), r_(*chain) {
    r_.states.resize(3);
  }

  // The state of up to `order` channels, each < MaxChannels().
  uint32_t State(std::span<const uint32_t> channels) {
    uint64_t key = 0;  // the channels + 1, side by side: distinct windows, distinct keys
    for (size_t i = 0; i < channels.size(); ++i) {
      if (i != 0) key <<= bits_;  // (bits_ < 64 when there are two or more)
      key |= uint64_t{channels[i]} + 1;
    }
    uint32_t& id = states_[MixBits(key)];  // states 0–2 are never looked up: 0 means new
    if (id == 0) {
      id = static_cast<uint32_t>(r_.states.size());
      r_.states.emplace_back(channels.begin(), channels.end());
    }
    return id;
  }

  void Step(uint32_t from, uint32_t to, double count) {
    if (!(count > 0)) return;
    // Never key 0: nothing steps into (start).
    uint32_t& i = steps_[MixBits((uint64_t{from} << 32) | to)];
    if (i == 0) {
      r_.transitions.push_back(MarkovTransition{from, to, 0, 0});
      i = static_cast<uint32_t>(r_.transitions.size());
    }
    r_.transitions[i - 1].count += count;
  }

  // Channel ids must stay below this for their windows to fit a key.
  static uint64_t MaxChannels(int order) {
    const int bits = 64 / order;
    return bits >= 33 ? uint64_t{UINT32_MAX} : (uint64_t{1} << bits) - 1;
  }

 private:
  const int bits_;
  MarkovChain& r_;
  U64Map<uint32_t> states_;  // MixBits(packed channels) → state id
  U64Map<uint32_t> steps_;   // MixBits(from, to) → 1 + index in r_.transitions
};

}  // namespace

Status MarkovOptions::Validate() const {
  if (order < 1 || order > kMaxMarkovOrder) {
    return Status::InvalidArgument(
        fmt::format("the Markov order must be between 1 and {}, not {}", kMaxMarkovOrder, order));
  }
  return Status::Ok();
}

void SortTransitions(std::vector<MarkovTransition>& transitions) {
  std::sort(transitions.begin(), transitions.end(),
            [](const MarkovTransition& a, const MarkovTransition& b) {
              return a.from != b.from ? a.from < b.from : a.to < b.to;
            });
}

Result<MarkovChain> LearnMarkovChain(const PathTable& paths, const MarkovOptions& options) {
  ATTRIB_RETURN_IF_ERROR(options.Validate());
  MarkovChain chain;
  chain.order = options.order;
  chain.channels = paths.channel_count();
  chain.totals = paths.totals();
  // A path visits the windows of `order` consecutive channels (a shorter path is one state),
  // from (start) to (conversion) for its conversions and to (null) for the rest.
  if (chain.channels > ChainBuilder::MaxChannels(options.order)) {
    return Status::LimitExceeded(fmt::format("a Markov chain of order {} takes at most {} channels",
                                             options.order,
                                             ChainBuilder::MaxChannels(options.order)));
  }
  const size_t k = static_cast<size_t>(options.order);
  ChainBuilder builder(options.order, &chain);
  std::vector<uint32_t> path;
  for (size_t row = 0; row < paths.size(); ++row) {
    const PathOutcome& o = paths.outcome(row);
    const double weight = o.conversions + o.nulls;
    if (!(weight > 0)) continue;
    path.clear();
    for (const uint32_t c : paths.path(row)) {
      if (options.keep_repeats || path.empty() || path.back() != c) path.push_back(c);
    }
    uint32_t state = kStartState;
    for (size_t i = 0; i == 0 || i + k <= path.size(); ++i) {
      const uint32_t next = builder.State(std::span(path).subspan(i, std::min(k, path.size())));
      builder.Step(state, next, weight);
      state = next;
    }
    builder.Step(state, kConversionState, o.conversions);
    builder.Step(state, kNullState, o.nulls);
    if (chain.ended_conversions.size() <= state) {
      chain.ended_conversions.resize(chain.states.size());
      chain.ended_value.resize(chain.states.size());
    }
    chain.ended_conversions[state] += o.conversions;
    chain.ended_value[state] += o.value;
  }
  chain.ended_conversions.resize(chain.states.size());
  chain.ended_value.resize(chain.states.size());
  SortTransitions(chain.transitions);
  return chain;
}

Result<MarkovResult> Markov(const PathTable& paths, const MarkovOptions& options) {
  ATTRIB_ASSIGN_OR_RETURN(MarkovChain chain, LearnMarkovChain(paths, options));
  return Markov(std::move(chain));
}

Result<MarkovResult> Markov(MarkovChain chain) {
  MarkovResult result;
  const uint32_t channels = chain.channels;
  result.removal_effect.assign(channels, 0.0);
  result.value_removal_effect.assign(channels, 0.0);
  result.credits.assign(channels, ChannelCredit{});
  result.states = std::move(chain.states);
  result.transitions = std::move(chain.transitions);
  const size_t k = static_cast<size_t>(chain.order);
  const std::vector<double>& ended_conversions = chain.ended_conversions;
  const std::vector<double>& ended_value = chain.ended_value;
  const auto state_count = static_cast<uint32_t>(result.states.size());
  std::vector<double> out(state_count, 0.0);
  for (const MarkovTransition& t : result.transitions) out[t.from] += t.count;
  for (MarkovTransition& t : result.transitions) t.probability = t.count / out[t.from];

  // 1. P(conversion) and the expected value from (start): the states' steps among
  //    themselves, what absorption into (conversion) pays, and each state's mean value.
  std::vector<AbsorbingChain::Step> steps;
  std::vector<double> reward(state_count, 0.0), value(state_count, 0.0);
  for (const MarkovTransition& t : result.transitions) {
    if (t.to == kConversionState) {
      reward[t.from] = t.probability;
      const double mean = ended_value[t.from] / ended_conversions[t.from];
      value[t.from] = t.probability * mean;
    } else if (t.to != kNullState) {
      steps.push_back(AbsorbingChain::Step{t.from, t.to, t.probability});
    }
  }
  AbsorbingChain solver(state_count, steps, std::move(reward), std::move(value));
  ATTRIB_ASSIGN_OR_RETURN(const AbsorbingChain::Outcome all, solver.Solve(kStartState, {}));
  result.conversion_probability = all.reward;
  result.expected_value = all.value;
  if (!(all.reward > 0)) return result;

  // 2. Removal effects. At order 1 a channel is one state s, and removing it loses the
  //    conversions of the journeys that reach s: P(reaching s) × P(converting from s) by the
  //    Markov property, where P(reaching s) = visits(s) / visits of s from s. Two solves and
  //    SelfVisits give every channel's. Otherwise (a higher order, or a cycle SelfVisits
  //    cannot cut) the channel's states are made dead ends, one solve per channel.
  std::vector<double> from_reward, from_value, self;
  if (k == 1) {
    ATTRIB_RETURN_IF_ERROR(solver.SolveFromEach(&from_reward, &from_value));
    self = solver.SelfVisits();
  }
  const std::vector<double>& visits = solver.visits();
  std::vector<std::vector<uint32_t>> states_of(channels);
  for (uint32_t s = kNullState + 1; s < state_count; ++s) {
    const std::vector<uint32_t>& in = result.states[s];
    for (size_t i = 0; i < in.size(); ++i) {
      if (std::find(in.begin(), in.begin() + static_cast<long>(i), in[i]) ==
          in.begin() + static_cast<long>(i)) {
        states_of[in[i]].push_back(s);
      }
    }
  }
  std::vector<bool> removed(state_count, false);
  double sum = 0, value_sum = 0;
  for (uint32_t c = 0; c < channels; ++c) {
    if (states_of[c].empty()) continue;
    AbsorbingChain::Outcome lost;  // what removing the channel loses
    if (const uint32_t s = states_of[c][0]; k == 1 && self[s] > 0) {
      const double reach = visits[s] / self[s];
      lost = {reach * from_reward[s], reach * from_value[s]};
    } else {
      for (const uint32_t t : states_of[c]) removed[t] = true;
      ATTRIB_ASSIGN_OR_RETURN(const AbsorbingChain::Outcome without,
                              solver.Solve(kStartState, removed));
      for (const uint32_t t : states_of[c]) removed[t] = false;
      lost = {all.reward - without.reward, all.value - without.value};
    }
    result.removal_effect[c] = std::clamp(lost.reward / all.reward, 0.0, 1.0);
    sum += result.removal_effect[c];
    if (all.value > 0) {
      result.value_removal_effect[c] = std::clamp(lost.value / all.value, 0.0, 1.0);
      value_sum += result.value_removal_effect[c];
    }
  }

  // 3. Credits in proportion to the removal effects.
  const PathOutcome& totals = chain.totals;
  for (uint32_t c = 0; c < channels; ++c) {
    if (sum > 0)
      result.credits[c].conversions = result.removal_effect[c] / sum * totals.conversions;
    if (value_sum > 0) {
      result.credits[c].value = result.value_removal_effect[c] / value_sum * totals.value;
    }
  }
  return result;
}

}  // namespace attrib
