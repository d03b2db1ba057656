// Fuzzes what the server reads below HTTP: a body under each Content-Encoding (never more than
// the limit decoded, whatever the bytes) and a query string (within its limits, or refused).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/body.h"
#include "server/limits.h"
#include "server/params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attrib::server;
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::string_view kEncodings[] = {"", "gzip", "deflate", "br"};
  // A small limit as well as the real one, so that fuzzed inputs reach it.
  const size_t limit = (data[0] & 0x80) != 0 ? 64 : kMaxBodyBytes;
  std::string out;
  const DecodedBody d = DecodeBody(kEncodings[data[0] & 3], bytes, limit, &out);
  if (d.error == BodyError::kNone && out.size() > limit) std::abort();
  if (d.error != BodyError::kNone && d.message.empty()) std::abort();

  attrib::Result<std::map<std::string, std::string>> params = ParseParams(bytes);
  if (params.ok()) {
    if (params->size() > kMaxParams) std::abort();
    for (const auto& [name, value] : *params) {
      if (name.size() > kMaxParamBytes || value.size() > kMaxParamBytes) std::abort();
    }
  }
  return 0;
}
