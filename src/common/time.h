// ISO 8601 timestamps <-> Micros (microseconds since the Unix epoch, UTC).
#pragma once

#include <string>
#include <string_view>

#include "attrib/clock.h"
#include "attrib/status.h"

namespace attrib {

// Parses "2026-05-01T12:30:00Z" and its usual variants: fractional seconds (to the microsecond;
// further digits are dropped), an offset ("+02:00", "-0500") or "Z", a space for the 'T', or a
// date alone (midnight). No zone means UTC. Errors name the problem.
Result<Micros> ParseIsoTime(std::string_view text);

// "2026-05-01T12:30:00.000Z" (milliseconds when they are not zero: "…00.250Z").
std::string FormatIsoTime(Micros t);

}  // namespace attrib
