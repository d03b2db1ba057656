// Conversions and journeys. Conversion events are configured by name; their revenue and
// currency come from the event's properties. Each counted conversion's journey is the person's
// sessions that started inside the lookback window before it (BLUEPRINT §6); the sessions after
// a person's last conversion form a non-converting journey, which the data-driven models need.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/clock.h"
#include "attrib/status.h"
#include "sessionize/sessionize.h"

namespace attrib::journey {

inline constexpr Micros kDay = 86'400'000'000;

// How many conversions of one kind count (seed 004 §3.1).
enum class Counting : uint8_t {
  kOncePerUser,     // only a person's first conversion of the kind (customer acquisition)
  kOncePerSession,  // at most one per session
  kEveryEvent,      // every conversion event (repeat purchases, lifetime value)
};
std::string_view ToString(Counting c);  // "once_per_user" | "once_per_session" | "every_event"
std::optional<Counting> ParseCounting(std::string_view s);

struct ConversionOptions {
  // Track events that are conversions.
  std::vector<std::string> events = {"Order Completed", "purchase", "Signed Up", "signup",
                                     "subscription_created"};
  // Properties holding the revenue, tried in order (a number, or a number in a string).
  std::vector<std::string> revenue_properties = {"revenue", "value", "total"};
  std::string currency_property = "currency";
  std::string default_currency = "USD";  // when the event names none
  Counting counting = Counting::kOncePerUser;
  std::map<std::string, Counting> counting_by_event;  // overrides `counting` per event name
  Micros lookback = 30 * kDay;  // sessions this long before a conversion are its journey

  // Problems named by their keys; counting_by_event may only name events of `events`.
  Status Validate() const;
  Counting CountingOf(std::string_view event) const;
};

// Larger amounts are not a real order (a price in cents of cents, a test value): ignored.
inline constexpr double kMaxRevenue = 1e12;

struct Revenue {
  double amount = 0;  // 0 when absent or not a finite number in [0, kMaxRevenue]
  std::string_view
      currency;  // as written, trimmed (callers compare it upper-cased); else the default
};

// The revenue and currency of a conversion event's properties.
Revenue ExtractRevenue(simdjson::dom::object properties, const ConversionOptions& options);

// One conversion event of a person.
struct Conversion {
  Micros at = 0;
  uint32_t kind = 0;  // the conversion event (an index into ConversionOptions::events)
  double revenue = 0;
  uint32_t currency = 0;  // an id of the currency's name
  uint64_t ref = 0;       // the caller's reference (PersonDeriver: ConversionRecord::ref)
};

// A journey: consecutive sessions of one person, the touchpoints of `conversion` (none: a
// non-converting journey).
struct Journey {
  std::span<const sessionize::Session> sessions;
  const Conversion* conversion = nullptr;
};

// Calls on_journey(const Journey&) for each counted conversion of one person, then once for
// the person's non-converting journey if there is one. `sessions` are ordered by start;
// `conversions` by time, without duplicates.
template <class OnJourney>
void BuildJourneys(std::span<const sessionize::Session> sessions,
                   std::span<const Conversion> conversions, const ConversionOptions& options,
                   std::span<const Counting> counting_by_kind, OnJourney on_journey);

// The same journeys again from what BuildJourneys left: the conversions that counted (by time)
// and when the person's last conversion event was, counted or not (none: nullopt), which is
// where the non-converting journey starts. How the store rebuilds a person's journeys under
// each conversion filter from the conversions it credited.
template <class OnJourney>
void BuildCountedJourneys(std::span<const sessionize::Session> sessions,
                          std::span<const Conversion> counted, std::optional<Micros> last_event,
                          const ConversionOptions& options, OnJourney on_journey);

}  // namespace attrib::journey

#include "journey/journey_inl.h"
