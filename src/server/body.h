// Request bodies: Content-Encoding undone (gzip, deflate or none) within a size limit.
#pragma once

#include <string>
#include <string_view>

#include "attrib/status.h"

namespace attrib::server {

enum class BodyError { kNone, kUnsupportedEncoding, kTooLarge, kCorrupt };

struct DecodedBody {
  BodyError error = BodyError::kNone;
  std::string message;  // when error: a sentence naming the problem
};

// Decodes `body` sent with `encoding` (the Content-Encoding header: "", "identity", "gzip",
// "x-gzip" or "deflate", case-insensitive; zlib-wrapped or raw deflate both accepted) into
// `out`. More than `limit` decoded bytes is kTooLarge: inflating stops there.
DecodedBody DecodeBody(std::string_view encoding, std::string_view body, size_t limit,
                       std::string* out);

}  // namespace attrib::server
