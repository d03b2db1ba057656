// ISO 8601 timestamps <-> Micros (microseconds since the Unix epoch, UTC).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "attrib/clock.h"
#include "attrib/status.h"

namespace attrib {

// The range ISO 8601 text can express here: 0001-01-01T00:00:00Z … 9999-12-31T23:59:59.999999Z.
inline constexpr Micros kMinIsoTime = -62'135'596'800'000'000;
inline constexpr Micros kMaxIsoTime = 253'402'300'799'999'999;

// Parses "2026-05-01T12:30:00Z" and its usual variants: fractional seconds (to the microsecond;
// further digits are dropped), an offset ("+02:00", "-0500") or "Z", a space for the 'T', or a
// date alone (midnight). No zone means UTC. Errors name the problem.
Result<Micros> ParseIsoTime(std::string_view text);

// "2026-05-01T12:30:00.000Z" (milliseconds when they are not zero: "…00.250Z").
std::string FormatIsoTime(Micros t);

// Days are counted from 1970-01-01, UTC.
// "2026-05-01".
std::string FormatIsoDate(int32_t day);
// The Monday (ISO 8601's first day of a week) on or before `day`.
int32_t WeekStart(int32_t day);
// The first of `day`'s month.
int32_t MonthStart(int32_t day);

}  // namespace attrib
