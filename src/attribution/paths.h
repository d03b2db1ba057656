// A path table: journeys as sequences of channel ids, each row with how many of its journeys
// converted, their conversion value and how many did not convert. A row is one journey (raw)
// or many identical ones (aggregated, as ChannelAttribution's files are). The data-driven
// models learn from it; batch analysis fills it from the journeys it builds and `attrib paths`
// from a file (ingest/path_file.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace attrib {

// The most channels a path has: path files refuse longer rows, batch analysis keeps a longer
// journey's last ones.
inline constexpr size_t kMaxPathLength = 10'000;

struct PathOutcome {
  double conversions = 0;  // ≥ 0
  double value = 0;        // ≥ 0: the conversions' total value (revenue)
  double nulls = 0;        // ≥ 0: journeys that did not convert
};

// What a model gives one channel: its share of the conversions and of their value.
struct ChannelCredit {
  double conversions = 0;
  double value = 0;
};

class PathTable {
 public:
  // Appends a row; `channels` is not empty.
  void Add(std::span<const uint32_t> channels, const PathOutcome& outcome);

  size_t size() const { return outcomes_.size(); }
  std::span<const uint32_t> path(size_t row) const {
    return std::span(channels_.data() + begin_[row], begin_[row + 1] - begin_[row]);
  }
  const PathOutcome& outcome(size_t row) const { return outcomes_[row]; }
  // One more than the largest channel id in any row: results are indexed by channel id.
  uint32_t channel_count() const { return channel_count_; }
  // Sums over every row.
  const PathOutcome& totals() const { return totals_; }

 private:
  std::vector<uint32_t> channels_;     // every row's channels, back to back
  std::vector<uint64_t> begin_ = {0};  // row i is channels_[begin_[i], begin_[i + 1])
  std::vector<PathOutcome> outcomes_;
  PathOutcome totals_;
  uint32_t channel_count_ = 0;
};

// ChannelAttribution's heuristic_models over a path table: the first (last) channel of each
// row gets its conversions and value; linear gives each position 1/n of them, so a channel
// that appears twice in a path gets 2/n. Indexed by channel id.
struct PathHeuristics {
  std::vector<ChannelCredit> first_touch, last_touch, linear;
};
PathHeuristics CreditPathHeuristics(const PathTable& table);

}  // namespace attrib
