#include "journey/journey.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/strings.h"

namespace attrib::journey {
namespace {

constexpr std::string_view kCountingNames[] = {"once_per_user", "once_per_session", "every_event"};

// A revenue value: a JSON number, or a number written in a string ("19.99").
std::optional<double> Amount(simdjson::dom::element e) {
  double d;
  if (!e.get_double().get(d)) return d;
  int64_t i;
  if (!e.get_int64().get(i)) return static_cast<double>(i);
  uint64_t u;
  if (!e.get_uint64().get(u)) return static_cast<double>(u);
  std::string_view s;
  if (e.get_string().get(s)) return std::nullopt;
  s = TrimAscii(s);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

}  // namespace

std::string_view ToString(Counting c) { return kCountingNames[static_cast<int>(c)]; }

std::optional<Counting> ParseCounting(std::string_view s) {
  return EnumByName<Counting>(s, kCountingNames);
}

Status ConversionOptions::Validate() const {
  if (events.empty())
    return Status::InvalidArgument("conversions.events must name at least one event");
  for (const std::string& e : events) {
    if (TrimAscii(e).empty())
      return Status::InvalidArgument("conversions.events: an empty event name");
  }
  if (lookback < kDay || lookback > 365 * kDay) {
    return Status::InvalidArgument(fmt::format(
        "conversions.lookback_days must be between 1 and 365, not {}", lookback / kDay));
  }
  for (const auto& [event, mode] : counting_by_event) {
    if (std::find(events.begin(), events.end(), event) == events.end()) {
      return Status::InvalidArgument(fmt::format(
          "conversions.counting_by_event: \"{}\" is not one of conversions.events", event));
    }
  }
  if (default_currency.empty()) {
    return Status::InvalidArgument("conversions.default_currency must not be empty");
  }
  return Status::Ok();
}

Counting ConversionOptions::CountingOf(std::string_view event) const {
  const auto it = counting_by_event.find(std::string(event));
  return it != counting_by_event.end() ? it->second : counting;
}

Revenue ExtractRevenue(simdjson::dom::object properties, const ConversionOptions& options) {
  Revenue r;
  for (const std::string& key : options.revenue_properties) {
    simdjson::dom::element e;
    if (properties[key].get(e)) continue;
    const std::optional<double> amount = Amount(e);
    if (amount && std::isfinite(*amount) && *amount >= 0 && *amount <= kMaxRevenue) {
      r.amount = *amount;
      break;
    }
  }
  std::string_view currency;
  if (properties[options.currency_property].get_string().get(currency) ||
      TrimAscii(currency).empty() || currency.size() > 16) {
    currency = options.default_currency;
  }
  r.currency = TrimAscii(currency);
  return r;
}

}  // namespace attrib::journey
