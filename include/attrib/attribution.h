// Attribution models: how one conversion's credit is shared among the touchpoints (sessions) of
// its journey. The eight heuristic models are pure per-journey rules (BLUEPRINT §6,
// docs/models.md); every model runs for every conversion. The data-driven models (markov,
// shapley, shapley_simplified) learn from every journey, converting or not, and credit channels
// over the whole data set (src/attribution/markov.h, shapley.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "attrib/clock.h"

namespace attrib {

// X(enumerator, stable name). The names are stored and served: never rename one.
#define ATTRIB_HEURISTIC_MODELS(X)     \
  X(kFirstTouch, "first_touch")        \
  X(kLastTouch, "last_touch")          \
  X(kLastNonDirect, "last_non_direct") \
  X(kLinear, "linear")                 \
  X(kTimeDecay, "time_decay")          \
  X(kUShaped, "u_shaped")              \
  X(kWShaped, "w_shaped")              \
  X(kParticipation, "participation")

#define ATTRIB_DATA_DRIVEN_MODELS(X) \
  X(kMarkov, "markov")               \
  X(kShapley, "shapley")             \
  X(kShapleySimplified, "shapley_simplified")

// The heuristic models first, in this order: Model(m) for m < kHeuristicModelCount.
enum class Model : uint8_t {
#define ATTRIB_X(name, text) name,
  ATTRIB_HEURISTIC_MODELS(ATTRIB_X) ATTRIB_DATA_DRIVEN_MODELS(ATTRIB_X)
#undef ATTRIB_X
};
inline constexpr int kHeuristicModelCount = 8;
inline constexpr int kModelCount = 11;
inline constexpr bool IsDataDriven(Model m) { return static_cast<int>(m) >= kHeuristicModelCount; }
std::string_view ToString(Model m);
std::optional<Model> ParseModel(std::string_view s);

// One touchpoint of a journey, as the models see it.
struct Touchpoint {
  uint32_t channel = 0;  // an id: touchpoints of one channel share it (participation)
  bool direct = false;   // the channel is direct or internal (last_non_direct skips it)
  Micros at = 0;         // when the session started
};

struct HeuristicOptions {
  double half_life_days = 7.0;  // time_decay: a touchpoint this much older weighs half; > 0
};

// Writes the credit of each touchpoint of one journey under `model`, a heuristic one, to `credits`
// (same size as `touchpoints`, which are ordered by `at`). Credits are unrounded and sum to 1
// (participation: 1 per distinct channel). An empty journey gets no credits.
void CreditJourney(Model model, std::span<const Touchpoint> touchpoints, Micros converted_at,
                   const HeuristicOptions& options, std::span<double> credits);

// Every heuristic model at once, as the pipeline credits a conversion: credits[m] receives
// model m's credits (Model's order), each span as long as `touchpoints`. Equal to calling
// CreditJourney for each model, in one pass.
void CreditJourneyAllModels(std::span<const Touchpoint> touchpoints, Micros converted_at,
                            const HeuristicOptions& options,
                            const std::span<double> (&credits)[kHeuristicModelCount]);

}  // namespace attrib
