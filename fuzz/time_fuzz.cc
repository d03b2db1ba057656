// Fuzzes the ISO 8601 timestamp parser: any bytes give a time or an error with a message, and a
// parsed time survives formatting and parsing again (to the millisecond that formatting keeps).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const attrib::Result<attrib::Micros> t = attrib::ParseIsoTime(text);
  if (!t.ok()) {
    if (t.status().message().empty()) std::abort();
    return 0;
  }
  const attrib::Micros ms = *t - ((*t % 1000) + 1000) % 1000;  // floor to the millisecond
  const attrib::Result<attrib::Micros> again = attrib::ParseIsoTime(attrib::FormatIsoTime(*t));
  if (!again.ok() || *again != ms) {
    std::fprintf(stderr, "time_fuzz: %lld does not round-trip\n", static_cast<long long>(*t));
    std::abort();
  }
  return 0;
}
