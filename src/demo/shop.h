// Whole Segment message streams of the demo shop (a small online clothes shop), as the browser
// SDK analytics.js would send them: persons with one or two devices, sessions entering from the
// channels of TrafficGenerator, page views, product and order tracks, logins (identify) that stitch
// devices together, aliases, skewed device clocks, batching and retries. One JSON object per
// line: a message or a {"batch":[…],"sentAt":…} envelope. Deterministic for a seed.
//
// Clock model of every message (true time t, device clock skew s, client delay d, latency l):
// originalTimestamp = t + s, sentAt = t + s + d, receivedAt = t + d + l, timestamp = t + l, so
// Segment's correction receivedAt − (sentAt − originalTimestamp) recovers timestamp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "attrib/clock.h"

namespace attrib::demo {

// 2026-11-01T00:00:00Z: where the demo's time window ends unless told otherwise.
inline constexpr Micros kDemoEnd = 1'793'491'200'000'000;

struct ShopOptions {
  std::string host = "shop.example";  // the shop's host
  uint64_t visitors = 10000;          // persons to simulate, >= 1
  int days = 30;                      // length of the time window, >= 1
  Micros end = kDemoEnd;              // the window is [end - days, end); every session starts
                                      // at least an hour before its end
};

class ShopGenerator {
 public:
  ShopGenerator(uint64_t seed, ShopOptions options = {});
  ~ShopGenerator();
  ShopGenerator(const ShopGenerator&) = delete;
  ShopGenerator& operator=(const ShopGenerator&) = delete;

  // Appends the next visitor's lines ('\n'-terminated) to `out`; false, appending nothing, once
  // every visitor has been written.
  bool NextVisitor(std::string* out);

 private:
  class Simulator;
  std::unique_ptr<Simulator> sim_;
};

}  // namespace attrib::demo
