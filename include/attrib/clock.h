// Time is a parameter: pure stages never read the system clock. The CLI and the server
// own a SystemClock and hand it (or a FakeClock in tests) to whatever needs "now".
#pragma once

#include <cstdint>

namespace attrib {

// Microseconds since the Unix epoch, UTC. The unit of every timestamp in attrib.
using Micros = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Micros Now() const override;
};

// A clock that stands still until told to move; for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Micros now = 0) : now_(now) {}
  Micros Now() const override { return now_; }
  void Set(Micros now) { now_ = now; }
  void Advance(Micros delta) { now_ += delta; }

 private:
  Micros now_;
};

}  // namespace attrib
