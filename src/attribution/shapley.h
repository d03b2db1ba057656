// Shapley-value attribution over the conversion-probability game (docs/models.md).
//
// v(S) is the conversion rate of the journeys whose set of channels is exactly S (0 where no
// journey has that set). A converting journey with channel set T gets the Shapley values of v
// restricted to the subsets of T, made non-negative and normalised to sum to 1 (uniform when
// all are zero); a channel's credit is the sum over converting journeys. The values are
// computed once per distinct channel set, exactly up to max_exact_channels channels and
// estimated from sampled orderings beyond, with a stated error bound.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "attrib/status.h"
#include "attribution/paths.h"

namespace attrib {

// The most channels one journey's set may have for exact values to be allowed: 2^24 subsets.
inline constexpr int kMaxExactShapleyChannels = 24;

struct ShapleyOptions {
  // Channel sets up to this size get exact values (2^n subsets each); larger ones sampled.
  int max_exact_channels = 16;
  // Orderings sampled per larger channel set (≥ 1); a set of t channels gets at most
  // 5,000,000 / t of them.
  uint32_t samples = 10'000;
  uint64_t seed = 1;  // of the sampling: same seed, same estimate
  Status Validate() const;
};

struct ShapleyResult {
  std::vector<ChannelCredit> credits;  // per channel id
  uint64_t exact_sets = 0;             // distinct channel sets of converting journeys, exact
  uint64_t sampled_sets = 0;           // … and estimated
  // For the sampled sets: with 95 % confidence every estimated Shapley value, all at once, is
  // within this of the exact one (Hoeffding's bound, union over all estimated values). It
  // bounds the values before negatives are cut and the rest normalised: a journey's shares
  // move by up to about max_error / v(T).
  double max_error = 0;
};

// The journeys by their set of channels, each set with its journeys' outcomes: what the
// Shapley models learn from.
struct ChannelSets {
  uint32_t channels = 0;              // one more than the largest channel id
  std::vector<uint32_t> members;      // every set's channels, sorted, back to back
  std::vector<uint32_t> begin = {0};  // set i is members[begin[i], begin[i + 1])
  std::vector<PathOutcome> outcomes;

  uint32_t size() const { return static_cast<uint32_t>(outcomes.size()); }
  std::span<const uint32_t> set(uint32_t i) const {
    return std::span(members.data() + begin[i], begin[i + 1] - begin[i]);
  }
  // Appends a set (its channels sorted and distinct, not a set already added).
  void Add(std::span<const uint32_t> channels, const PathOutcome& outcome);
};

// The sets of the rows that carry weight (conversions or nulls), in the order the rows first
// name them.
ChannelSets GroupChannelSets(const PathTable& paths);

Result<ShapleyResult> Shapley(const ChannelSets& sets, const ShapleyOptions& options);
Result<ShapleyResult> Shapley(const PathTable& paths, const ShapleyOptions& options);

// Zhao et al. (2018)'s simplified Shapley value: each converting journey's credit split
// equally among its distinct channels.
std::vector<ChannelCredit> ShapleySimplified(const ChannelSets& sets);
std::vector<ChannelCredit> ShapleySimplified(const PathTable& paths);

// The exact Shapley values of the game v on n players (v[mask], mask over the players, size
// 2^n, v[0] the empty coalition's), n ≤ kMaxExactShapleyChannels.
std::vector<double> ShapleyValues(std::span<const double> v, int n);

}  // namespace attrib
