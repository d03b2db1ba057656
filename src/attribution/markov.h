// The Markov-chain model: credit by removal effect, computed exactly (docs/models.md).
//
// Journeys, converting and not, estimate an absorbing chain whose states are the last k
// channels seen (k-grams), plus (start), (conversion) and (null). A channel's removal effect
// is the share of the chain's conversion probability lost when every state containing it
// leads to (null) instead. The probabilities come from sparse linear solves (at order 1 three
// for all channels, else one per channel), not from simulated walks, so the answer is exact to
// rounding and the same on every run.
#pragma once

#include <cstdint>
#include <vector>

#include "attrib/status.h"
#include "attribution/paths.h"

namespace attrib {

inline constexpr int kMaxMarkovOrder = 4;

struct MarkovOptions {
  int order = 1;  // 1…kMaxMarkovOrder: a state is the last `order` channels
  // false: A > A > B is read as A > B before the windows are made (ChannelAttribution does
  // the same at order 1; above it merges repeated windows instead, docs/models.md)
  bool keep_repeats = false;
  Status Validate() const;
};

// The chain's special states; the k-gram states follow them.
inline constexpr uint32_t kStartState = 0;
inline constexpr uint32_t kConversionState = 1;
inline constexpr uint32_t kNullState = 2;

struct MarkovTransition {
  uint32_t from = 0;  // state ids
  uint32_t to = 0;
  double count = 0;        // journeys that took the step (a row counts its journeys)
  double probability = 0;  // count / every step out of `from`
};

struct MarkovResult {
  // P(conversion) from (start), and the expected conversion value: each conversion is worth
  // the mean value of the conversions whose path ended in the same state.
  double conversion_probability = 0;
  double expected_value = 0;
  std::vector<double> removal_effect;        // per channel id, in [0, 1]
  std::vector<double> value_removal_effect;  // the same for the expected value
  // Per channel id: removal_effect / Σ removal effects × all conversions (value alike).
  std::vector<ChannelCredit> credits;
  // The estimated chain: states[s] are the channels of state s (the special states have
  // none); transitions sorted by (from, to).
  std::vector<std::vector<uint32_t>> states;
  std::vector<MarkovTransition> transitions;
};

// What the model learns from the journeys before it solves: the chain's states and steps,
// and each state's conversions that ended there with their value.
struct MarkovChain {
  int order = 1;
  uint32_t channels = 0;  // one more than the largest channel id: results are indexed by them
  std::vector<std::vector<uint32_t>> states;  // the special states (no channels) first
  std::vector<MarkovTransition> transitions;  // counts, sorted by (from, to); probabilities 0
  std::vector<double> ended_conversions, ended_value;  // by state
  PathOutcome totals;                                  // of every journey
};

// Sorts a chain's transitions by (from, to), as MarkovChain keeps them.
void SortTransitions(std::vector<MarkovTransition>& transitions);

// The chain of the paths: states numbered as the paths first reach them. Rows whose journeys
// neither converted nor were counted as null carry no weight.
Result<MarkovChain> LearnMarkovChain(const PathTable& paths, const MarkovOptions& options);

// The removal effects and credits of a chain; with no conversion every removal effect is 0.
Result<MarkovResult> Markov(MarkovChain chain);

// Both steps.
Result<MarkovResult> Markov(const PathTable& paths, const MarkovOptions& options);

}  // namespace attrib
