#include "server/params.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "server/limits.h"

namespace attrib::server {

Result<std::map<std::string, std::string>> ParseParams(std::string_view query) {
  std::map<std::string, std::string> out;
  if (query.empty()) return out;
  for (std::string_view pair : Split(query, '&')) {
    if (pair.empty()) continue;
    if (out.size() == kMaxParams) {
      return Status::LimitExceeded(fmt::format("more than {} query parameters", kMaxParams));
    }
    const size_t eq = pair.find('=');
    std::string name, value;
    PercentDecodeAppend(pair.substr(0, eq), true, &name);
    if (eq != std::string_view::npos) PercentDecodeAppend(pair.substr(eq + 1), true, &value);
    if (value.size() > kMaxParamBytes || name.size() > kMaxParamBytes) {
      return Status::LimitExceeded(
          fmt::format("query parameter {} is over {} bytes", name.substr(0, 64), kMaxParamBytes));
    }
    // Which of two values was meant cannot be known: refused rather than one of them taken.
    if (!out.emplace(name, std::move(value)).second) {
      return Status::InvalidArgument(
          fmt::format("query parameter \"{}\" is given twice", name.substr(0, 64)));
    }
  }
  return out;
}

}  // namespace attrib::server
