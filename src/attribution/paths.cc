#include "attribution/paths.h"

#include <algorithm>
#include <cassert>

namespace attrib {

void PathTable::Add(std::span<const uint32_t> channels, const PathOutcome& outcome) {
  assert(!channels.empty());
  channels_.insert(channels_.end(), channels.begin(), channels.end());
  begin_.push_back(channels_.size());
  outcomes_.push_back(outcome);
  totals_.conversions += outcome.conversions;
  totals_.value += outcome.value;
  totals_.nulls += outcome.nulls;
  for (const uint32_t c : channels) channel_count_ = std::max(channel_count_, c + 1);
}

PathHeuristics CreditPathHeuristics(const PathTable& table) {
  const uint32_t n = table.channel_count();
  PathHeuristics out{std::vector<ChannelCredit>(n), std::vector<ChannelCredit>(n),
                     std::vector<ChannelCredit>(n)};
  const auto add = [](ChannelCredit& to, const PathOutcome& o, double share) {
    to.conversions += o.conversions * share;
    to.value += o.value * share;
  };
  for (size_t row = 0; row < table.size(); ++row) {
    const std::span<const uint32_t> path = table.path(row);
    const PathOutcome& o = table.outcome(row);
    add(out.first_touch[path.front()], o, 1.0);
    add(out.last_touch[path.back()], o, 1.0);
    const double share = 1.0 / static_cast<double>(path.size());
    for (const uint32_t c : path) add(out.linear[c], o, share);
  }
  return out;
}

}  // namespace attrib
