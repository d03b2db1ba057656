// A request target's query string, read into parameters within the limits of limits.h.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "attrib/status.h"

namespace attrib::server {

// "a=1&b=x%20y" → {a: "1", b: "x y"}: names and values percent-decoded ('+' is a space). A name
// given twice is InvalidArgument; LimitExceeded names what is over kMaxParams or kMaxParamBytes.
Result<std::map<std::string, std::string>> ParseParams(std::string_view query);

}  // namespace attrib::server
