// The eight heuristic models, exactly as BLUEPRINT §6 and docs/models.md define them.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <unordered_set>

#include "attrib/attribution.h"

namespace attrib {
namespace {

constexpr double kMicrosPerDay = 86'400'000'000.0;

void Only(size_t index, std::span<double> credits) {
  for (double& c : credits) c = 0.0;  // journeys are short: no memset call
  credits[index] = 1.0;
}

// Shares `total` equally among credits[first..last).
void Share(double total, size_t first, size_t last, std::span<double> credits) {
  const double each = total / static_cast<double>(last - first);
  for (size_t i = first; i < last; ++i) credits[i] = each;
}

void TimeDecay(std::span<const Touchpoint> tps, Micros converted_at, double half_life_days,
               std::span<double> credits) {
  // Weight 2^(-d/h), d in days before the conversion. Relative to the newest touchpoint, so
  // the largest weight is 1 and old journeys cannot underflow to 0/0.
  Micros newest = tps.front().at;
  for (const Touchpoint& t : tps) newest = std::max(newest, t.at);
  const double base_days =
      std::max<double>(0.0, static_cast<double>(converted_at - newest) / kMicrosPerDay);
  double sum = 0;
  for (size_t i = 0; i < tps.size(); ++i) {
    const double days =
        std::max<double>(0.0, static_cast<double>(converted_at - tps[i].at) / kMicrosPerDay);
    credits[i] = std::exp2(-(days - base_days) / half_life_days);
    sum += credits[i];
  }
  for (double& c : credits) c /= sum;
}

}  // namespace

std::string_view ToString(Model m) {
  switch (m) {
#define ATTRIB_X(name, text) \
  case Model::name:          \
    return text;
    ATTRIB_HEURISTIC_MODELS(ATTRIB_X)
    ATTRIB_DATA_DRIVEN_MODELS(ATTRIB_X)
#undef ATTRIB_X
  }
  return "first_touch";
}

std::optional<Model> ParseModel(std::string_view s) {
#define ATTRIB_X(name, text) \
  if (s == text) return Model::name;
  ATTRIB_HEURISTIC_MODELS(ATTRIB_X)
  ATTRIB_DATA_DRIVEN_MODELS(ATTRIB_X)
#undef ATTRIB_X
  return std::nullopt;
}

void CreditJourney(Model model, std::span<const Touchpoint> tps, Micros converted_at,
                   const HeuristicOptions& options, std::span<double> credits) {
  assert(credits.size() == tps.size() && !IsDataDriven(model));
  const size_t n = tps.size();
  if (n == 0) return;
  switch (model) {
    case Model::kFirstTouch:
      Only(0, credits);
      return;
    case Model::kLastTouch:
      Only(n - 1, credits);
      return;
    case Model::kLastNonDirect: {
      size_t pick = n - 1;  // all direct: the last
      for (size_t i = n; i-- > 0;) {
        if (!tps[i].direct) {
          pick = i;
          break;
        }
      }
      Only(pick, credits);
      return;
    }
    case Model::kLinear:
      Share(1.0, 0, n, credits);
      return;
    case Model::kTimeDecay:
      TimeDecay(tps, converted_at, options.half_life_days, credits);
      return;
    case Model::kUShaped:
      if (n <= 2) {
        Share(1.0, 0, n, credits);
      } else {
        credits[0] = credits[n - 1] = 0.4;
        Share(0.2, 1, n - 1, credits);
      }
      return;
    case Model::kWShaped:
      if (n <= 3) {
        Share(1.0, 0, n, credits);
      } else {
        const double other = 0.1 / static_cast<double>(n - 3);  // the n - 3 others share 0.1 …
        for (double& c : credits) c = other;
        credits[0] = credits[n / 2] = credits[n - 1] = 0.3;  // … first, middle and last get 0.3
      }
      return;
    case Model::kParticipation:
      if (n <= 32) {  // journeys are short: look back
        for (size_t i = 0; i < n; ++i) {
          bool first = true;
          for (size_t j = 0; j < i && first; ++j) first = tps[j].channel != tps[i].channel;
          credits[i] = first ? 1.0 : 0.0;
        }
      } else {
        thread_local std::unordered_set<uint32_t> seen;
        seen.clear();
        for (size_t i = 0; i < n; ++i) credits[i] = seen.insert(tps[i].channel).second ? 1.0 : 0.0;
      }
      return;
    case Model::kMarkov:  // not per journey
    case Model::kShapley:
    case Model::kShapleySimplified:
      return;
  }
}

void CreditJourneyAllModels(std::span<const Touchpoint> tps, Micros converted_at,
                            const HeuristicOptions& options,
                            const std::span<double> (&credits)[kHeuristicModelCount]) {
  const size_t n = tps.size();
  if (n == 0) return;
  const auto out = [&credits](Model m) { return credits[static_cast<int>(m)]; };
  size_t last_non_direct = n - 1;
  for (size_t i = n; i-- > 0;) {
    if (!tps[i].direct) {
      last_non_direct = i;
      break;
    }
  }
  const double linear = 1.0 / static_cast<double>(n);
  const double u_middle = n > 2 ? 0.2 / static_cast<double>(n - 2) : 0.0;
  const double w_other = n > 3 ? 0.1 / static_cast<double>(n - 3) : 0.0;
  for (size_t i = 0; i < n; ++i) {
    out(Model::kFirstTouch)[i] = i == 0 ? 1.0 : 0.0;
    out(Model::kLastTouch)[i] = i == n - 1 ? 1.0 : 0.0;
    out(Model::kLastNonDirect)[i] = i == last_non_direct ? 1.0 : 0.0;
    out(Model::kLinear)[i] = linear;
    const bool end = i == 0 || i == n - 1;
    out(Model::kUShaped)[i] = n <= 2 ? linear : end ? 0.4 : u_middle;
    out(Model::kWShaped)[i] = n <= 3 ? linear : (end || i == n / 2) ? 0.3 : w_other;
  }
  TimeDecay(tps, converted_at, options.half_life_days, out(Model::kTimeDecay));
  CreditJourney(Model::kParticipation, tps, converted_at, options, out(Model::kParticipation));
}

}  // namespace attrib
