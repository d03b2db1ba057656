#include "attribution/shapley.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

#include "common/flat_map.h"
#include "common/rng.h"

namespace attrib {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The channel sets, looked up by their members, and v.
class Game {
 public:
  explicit Game(const ChannelSets& sets) : sets_(sets) {
    zobrist_.resize(sets.channels);
    for (uint32_t c = 0; c < zobrist_.size(); ++c) zobrist_[c] = SplitMix(c);
    v_.resize(size());
    single_.assign(sets.channels, size());
    size_t slots = 16;
    while (slots * 2 < size() * 3) slots *= 2;  // at most two thirds full
    slots_.assign(slots, Slot{});
    mask_ = slots - 1;
    for (uint32_t s = 0; s < size(); ++s) {
      const PathOutcome& o = sets.outcomes[s];
      const double journeys = o.conversions + o.nulls;
      v_[s] = journeys > 0 ? o.conversions / journeys : 0.0;
      if (set_of(s).size() == 1) single_[set_of(s)[0]] = s;
      uint64_t h = 0;
      for (const uint32_t c : set_of(s)) h ^= zobrist_[c];
      size_t i = h & mask_;
      while (slots_[i].set != 0) i = (i + 1) & mask_;
      slots_[i] = Slot{static_cast<uint32_t>(h >> 32), s + 1};
    }
  }

  uint32_t size() const { return sets_.size(); }
  std::span<const uint32_t> set_of(uint32_t s) const { return sets_.set(s); }
  const PathOutcome& outcome(uint32_t s) const { return sets_.outcomes[s]; }
  uint64_t zobrist(uint32_t channel) const { return zobrist_[channel]; }
  double v(uint32_t s) const { return v_[s]; }
  uint32_t Single(uint32_t channel) const { return single_[channel]; }  // size() when none

  // The set whose members hash to `hash` (XOR of their zobrist values) and satisfy
  // `same(set)`; size() when none.
  template <class Same>
  uint32_t Find(uint64_t hash, Same same) const {
    const auto tag = static_cast<uint32_t>(hash >> 32);
    for (size_t i = hash & mask_; slots_[i].set != 0; i = (i + 1) & mask_) {
      if (slots_[i].tag == tag && same(set_of(slots_[i].set - 1))) return slots_[i].set - 1;
    }
    return size();
  }

 private:
  struct Slot {
    uint32_t tag = 0;  // the hash's high half
    uint32_t set = 0;  // 1 + the set; 0: empty
  };

  const ChannelSets& sets_;
  std::vector<uint64_t> zobrist_;  // a random 64-bit value per channel
  std::vector<double> v_;
  std::vector<uint32_t> single_;  // by channel: the set of it alone
  std::vector<Slot> slots_;       // open addressing by the hash's low bits
  size_t mask_ = 0;
};

// w[s] = s! (n − 1 − s)! / n!: the weight of a coalition of s others joined by one player.
std::vector<double> Weights(int n) {
  std::vector<double> w(static_cast<size_t>(n) + 1, 0.0);
  // w[0] = 1/n; w[s] = w[s − 1] · s / (n − s).
  w[0] = 1.0 / n;
  for (int s = 1; s < n; ++s) w[s] = w[s - 1] * s / (n - s);
  return w;  // w[n] = 0: no player joins the whole set
}

// The Shapley values of a game on n players from its coalitions' values v[mask] (masks over
// the players, v[0] not read): a coalition S of size s adds v(S)·w[s − 1] to each member's
// value and takes v(S)·w[s] from each other player's, w = Weights(n). `gain` is scratch.
void CoalitionValues(std::span<const double> v, std::span<const double> w,
                     std::vector<double>& gain, std::span<double> phi) {
  const auto masks = static_cast<uint32_t>(v.size());
  gain.resize(masks);
  // What every player loses, in two sums (even and odd masks) to halve the adds' chain.
  double lost_even = 0, lost_odd = v.size() > 1 ? v[1] * w[1] : 0.0;
  if (v.size() > 1) gain[1] = v[1] * (w[0] + w[1]);
  for (uint32_t mask = 2; mask < masks; mask += 2) {
    const int s = std::popcount(mask);  // and s + 1 for mask + 1
    lost_even += v[mask] * w[s];
    lost_odd += v[mask + 1] * w[s + 1];
    gain[mask] = v[mask] * (w[s - 1] + w[s]);
    gain[mask + 1] = v[mask + 1] * (w[s] + w[s + 1]);
  }
  const double lost = lost_even + lost_odd;
  // Each player's coalitions, block by block (no branch per coalition), in four sums.
  for (size_t i = 0; i < phi.size(); ++i) {
    const uint32_t bit = uint32_t{1} << i;
    double a = 0, b = 0, c = 0, d = 0;
    if (bit >= 4) {  // blocks of `bit` masks
      for (uint32_t high = bit; high < masks; high += 2 * bit) {
        for (uint32_t at = high; at < high + bit; at += 4) {
          a += gain[at];
          b += gain[at + 1];
          c += gain[at + 2];
          d += gain[at + 3];
        }
      }
    } else if (masks == 2) {  // one player
      a = gain[1];
    } else {  // masks 1, 3 | 5, 7 | … (bit 1) or 2, 3 | 6, 7 | … (bit 2)
      const uint32_t next = bit == 1 ? 2 : 1;
      for (uint32_t at = bit; at < masks; at += 4) {
        a += gain[at];
        b += gain[at + next];
      }
    }
    phi[i] = (a + b) + (c + d) - lost;
  }
}

// Marginal contributions evaluated per sampled set at most: a set of t channels gets
// min(samples, kMaxSampledSteps / t) orderings.
constexpr uint64_t kMaxSampledSteps = 5'000'000;

class Solver {
 public:
  Solver(const Game& game, const ShapleyOptions& options, ShapleyResult* result)
      : game_(game), options_(options), r_(*result) {
    weights_.resize(options.max_exact_channels + 1);
    for (int n = 1; n <= options.max_exact_channels; ++n) weights_[n] = Weights(n);
  }

  void Run() {
    std::vector<double> phi;
    for (uint32_t s = 0; s < game_.size(); ++s) {
      const PathOutcome& o = game_.outcome(s);
      if (!(o.conversions > 0)) continue;
      const std::span<const uint32_t> t = game_.set_of(s);
      phi.assign(t.size(), 0.0);
      if (static_cast<int>(t.size()) <= options_.max_exact_channels) {
        Exact(s, t, phi);
        ++r_.exact_sets;
      } else {
        Sampled(t, phi);
        ++r_.sampled_sets;
      }
      Credit(t, o, phi);
    }
    // Hoeffding's bound, with a union over every estimated value, at 95 %: each of the
    // `values` means of `samples` marginal contributions in [−max v, max v].
    const double values = static_cast<double>(sampled_players_);
    for (const auto& [max_v, samples] : sampled_) {
      r_.max_error = std::max(
          r_.max_error, 2 * max_v * std::sqrt(std::log(2.0 * values / 0.05) / (2.0 * samples)));
    }
  }

 private:
  // Every subset of t, looked up by its hash. The subsets of the channels t shares at its
  // start with the set before it were looked up then: sets in lexicographic order (as the
  // models learn them) share long prefixes, and a third or more of the lookups go.
  void Exact(uint32_t set, std::span<const uint32_t> t, std::span<double> phi) {
    const int n = static_cast<int>(t.size());
    size_t shared = 0;
    while (shared < t.size() && shared < previous_.size() && t[shared] == previous_[shared]) {
      ++shared;
    }
    previous_.assign(t.begin(), t.end());
    const uint32_t subsets = uint32_t{1} << n;
    hashes_.resize(subsets);
    values_.resize(subsets);
    hashes_[0] = 0;
    values_[0] = 0;
    for (uint32_t mask = uint32_t{1} << shared; mask < subsets; ++mask) {
      hashes_[mask] = hashes_[mask & (mask - 1)] ^ game_.zobrist(t[std::countr_zero(mask)]);
      const int size = std::popcount(mask);
      // A single channel by its number, t itself by its place; the others by their hash.
      const uint32_t found = size == 1 ? game_.Single(t[std::countr_zero(mask)])
                             : mask == subsets - 1
                                 ? set
                                 : game_.Find(hashes_[mask], [&](std::span<const uint32_t> s) {
                                     if (static_cast<int>(s.size()) != size) return false;
                                     size_t i = 0;  // s ⊆ {t[j] : j in mask}, both sorted
                                     for (uint32_t m = mask; m != 0; m &= m - 1) {
                                       if (s[i++] != t[std::countr_zero(m)]) return false;
                                     }
                                     return true;
                                   });
      values_[mask] = found == game_.size() ? 0.0 : game_.v(found);
    }
    CoalitionValues(values_, weights_[n], gain_, phi);
  }

  // Castro, Gómez & Tejada (2009): the mean marginal contribution over random orderings,
  // drawn from the seed and the set, so no set's estimate depends on the others.
  void Sampled(std::span<const uint32_t> t, std::span<double> phi) {
    const size_t n = t.size();
    uint64_t hash = 0;
    for (const uint32_t c : t) hash ^= game_.zobrist(c);
    Rng rng(options_.seed ^ hash);
    order_.resize(n);
    position_.assign(n, 0);
    // Fewer orderings for very large sets, so that no set costs more than kMaxSampledSteps.
    const uint64_t samples =
        std::max<uint64_t>(1, std::min<uint64_t>(options_.samples, kMaxSampledSteps / n));
    for (uint64_t k = 0; k < samples; ++k) {
      for (size_t i = 0; i < n; ++i) order_[i] = static_cast<uint32_t>(i);
      for (size_t i = n - 1; i > 0; --i) std::swap(order_[i], order_[rng.Below(i + 1)]);
      for (size_t i = 0; i < n; ++i) position_[order_[i]] = static_cast<uint32_t>(i);
      uint64_t hash = 0;
      double before = 0;
      for (size_t i = 0; i < n; ++i) {
        const uint32_t player = order_[i];
        hash ^= game_.zobrist(t[player]);
        const uint32_t found = game_.Find(hash, [&](std::span<const uint32_t> set) {
          if (set.size() != i + 1) return false;
          for (const uint32_t c : set) {  // every member among the first i + 1 of the order
            const auto at = std::lower_bound(t.begin(), t.end(), c);
            if (at == t.end() || *at != c || position_[at - t.begin()] > i) return false;
          }
          return true;
        });
        const double now = found == game_.size() ? 0.0 : game_.v(found);
        phi[player] += now - before;
        before = now;
      }
    }
    for (double& p : phi) p /= static_cast<double>(samples);
    // Each marginal contribution lies in [−max v, max v] over the subsets of t (v ≥ 0).
    double max_v = 0;
    for (uint32_t s = 0; s < game_.size(); ++s) {
      const std::span<const uint32_t> set = game_.set_of(s);
      if (set.size() <= n && std::includes(t.begin(), t.end(), set.begin(), set.end())) {
        max_v = std::max(max_v, game_.v(s));
      }
    }
    sampled_.emplace_back(max_v, static_cast<double>(samples));
    sampled_players_ += n;
  }

  // Negative values to 0, then shares summing to 1 (equal shares when nothing is left).
  void Credit(std::span<const uint32_t> t, const PathOutcome& o, std::span<double> phi) {
    double sum = 0;
    for (double& p : phi) {
      p = std::max(p, 0.0);
      sum += p;
    }
    for (size_t i = 0; i < t.size(); ++i) {
      const double share = sum > 0 ? phi[i] / sum : 1.0 / static_cast<double>(t.size());
      r_.credits[t[i]].conversions += share * o.conversions;
      r_.credits[t[i]].value += share * o.value;
    }
  }

  const Game& game_;
  const ShapleyOptions& options_;
  ShapleyResult& r_;
  std::vector<std::pair<double, double>> sampled_;  // per sampled set: max v, orderings
  uint64_t sampled_players_ = 0;                    // values estimated
  std::vector<std::vector<double>> weights_;        // Weights(n) by n
  std::vector<uint32_t> previous_;                  // the set Exact did last, whose
  std::vector<uint64_t> hashes_;                    // subsets these hold by mask: the hash
  std::vector<double> values_;                      // … and its v (0: not observed)
  std::vector<double> gain_;                        // CoalitionValues' scratch
  std::vector<uint32_t> order_, position_;
};

}  // namespace

Status ShapleyOptions::Validate() const {
  if (max_exact_channels < 1 || max_exact_channels > kMaxExactShapleyChannels) {
    return Status::InvalidArgument(
        fmt::format("shapley: the exact limit must be between 1 and {} channels, not {}",
                    kMaxExactShapleyChannels, max_exact_channels));
  }
  if (samples < 1) return Status::InvalidArgument("shapley: samples must be at least 1");
  return Status::Ok();
}

void ChannelSets::Add(std::span<const uint32_t> channels_of_set, const PathOutcome& outcome) {
  members.insert(members.end(), channels_of_set.begin(), channels_of_set.end());
  begin.push_back(static_cast<uint32_t>(members.size()));
  outcomes.push_back(outcome);
  if (!channels_of_set.empty()) channels = std::max(channels, channels_of_set.back() + 1);
}

ChannelSets GroupChannelSets(const PathTable& paths) {
  ChannelSets sets;
  FlatStringMap<uint32_t> ids;  // sorted channel ids → 1 + set index
  std::vector<uint32_t> set;
  for (size_t row = 0; row < paths.size(); ++row) {
    const PathOutcome& o = paths.outcome(row);
    if (!(o.conversions + o.nulls > 0)) continue;
    const std::span<const uint32_t> path = paths.path(row);
    set.assign(path.begin(), path.end());
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    uint32_t& id = ids[std::string_view(reinterpret_cast<const char*>(set.data()),
                                        set.size() * sizeof(uint32_t))];
    if (id == 0) {
      sets.Add(set, PathOutcome{});
      id = sets.size();
    }
    PathOutcome& sum = sets.outcomes[id - 1];
    sum.conversions += o.conversions;
    sum.value += o.value;
    sum.nulls += o.nulls;
  }
  sets.channels = paths.channel_count();
  return sets;
}

Result<ShapleyResult> Shapley(const ChannelSets& sets, const ShapleyOptions& options) {
  ATTRIB_RETURN_IF_ERROR(options.Validate());
  ShapleyResult result;
  result.credits.assign(sets.channels, ChannelCredit{});
  const Game game(sets);
  Solver(game, options, &result).Run();
  return result;
}

Result<ShapleyResult> Shapley(const PathTable& paths, const ShapleyOptions& options) {
  return Shapley(GroupChannelSets(paths), options);
}

std::vector<ChannelCredit> ShapleySimplified(const ChannelSets& sets) {
  std::vector<ChannelCredit> credits(sets.channels);
  for (uint32_t s = 0; s < sets.size(); ++s) {
    const PathOutcome& o = sets.outcomes[s];
    if (!(o.conversions > 0)) continue;
    const std::span<const uint32_t> set = sets.set(s);
    const double share = 1.0 / static_cast<double>(set.size());
    for (const uint32_t c : set) {
      credits[c].conversions += share * o.conversions;
      credits[c].value += share * o.value;
    }
  }
  return credits;
}

std::vector<ChannelCredit> ShapleySimplified(const PathTable& paths) {
  return ShapleySimplified(GroupChannelSets(paths));
}

std::vector<double> ShapleyValues(std::span<const double> v, int n) {
  assert(n >= 0 && n <= kMaxExactShapleyChannels && v.size() == (size_t{1} << n));
  std::vector<double> phi(static_cast<size_t>(n), 0.0);
  if (n == 0) return phi;
  std::vector<double> zeroed(v.begin(), v.end()), gain;
  for (double& x : zeroed) x -= v[0];  // v − v(∅) has the same values
  CoalitionValues(zeroed, Weights(n), gain, phi);
  return phi;
}

}  // namespace attrib
