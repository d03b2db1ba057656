// Credits and revenue are summed in fixed point: integer addition is associative, so a sum does
// not depend on the order of its terms (threads, input order, days of stored aggregates), and
// batch analysis and the store, adding the same integers, print the same numbers.
#pragma once

#include <cmath>
#include <cstdint>

namespace attrib {

// One credit is rounded to 2^-32 of a conversion and one revenue credit to a millionth of the
// currency unit: each fits in 64 bits (credits are ≤ 1 and revenue ≤ journey::kMaxRevenue), and
// both are far below what any report prints. Sums of many are kept in 128 bits.
inline constexpr double kCreditScale = 0x1p40;
inline constexpr double kRevenueScale = 1e6;
using Fixed = __int128;

// Rounded to nearest.
inline int64_t ToFixed(double x, double scale) {
  return static_cast<int64_t>(std::nearbyint(x * scale));
}
inline double FromFixed(Fixed x, double scale) { return static_cast<double>(x) / scale; }

}  // namespace attrib
