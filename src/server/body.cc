#include "server/body.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "common/strings.h"

namespace attrib::server {
namespace {

DecodedBody Error(BodyError e, std::string message) { return {e, std::move(message)}; }

// Inflates with zlib's window_bits (31: gzip, 15: zlib, −15: raw deflate).
DecodedBody Inflate(std::string_view body, int window_bits, size_t limit, std::string* out) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) {
    return Error(BodyError::kCorrupt, "the body could not be decompressed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  out->clear();
  // One byte over the limit tells "exactly at the limit" from "over it".
  out->resize(std::min<size_t>(limit + 1, std::max<size_t>(body.size() * 4, 4096)));
  size_t produced = 0;
  int rc = Z_OK;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    z.avail_out = static_cast<uInt>(out->size() - produced);
    rc = inflate(&z, Z_NO_FLUSH);
    produced = out->size() - z.avail_out;
    if (rc == Z_STREAM_END) {
      // gzip allows members back to back; a client never sends more than one.
      if (z.avail_in != 0) rc = Z_DATA_ERROR;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (produced > limit) break;
    if (z.avail_out == 0) {
      out->resize(std::min(limit + 1, out->size() * 2));
      continue;
    }
    if (z.avail_in == 0) {  // the input ended before the stream did
      rc = Z_DATA_ERROR;
      break;
    }
  }
  inflateEnd(&z);
  if (produced > limit) {
    return Error(BodyError::kTooLarge,
                 fmt::format("the decompressed body is over the limit of {} bytes", limit));
  }
  if (rc != Z_STREAM_END) {
    return Error(BodyError::kCorrupt,
                 "the body is not valid compressed data (truncated or corrupt)");
  }
  out->resize(produced);
  return {};
}

}  // namespace

DecodedBody DecodeBody(std::string_view encoding, std::string_view body, size_t limit,
                       std::string* out) {
  const std::string e = AsciiLowerCopy(TrimAscii(encoding));
  if (e.empty() || e == "identity") {
    if (body.size() > limit) {
      return Error(BodyError::kTooLarge,
                   fmt::format("the body is over the limit of {} bytes", limit));
    }
    out->assign(body);
    return {};
  }
  if (e == "gzip" || e == "x-gzip") return Inflate(body, 31, limit, out);
  if (e == "deflate") {
    // HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate: a zlib stream
    // starts with a header whose first two bytes are a multiple of 31.
    const bool zlib =
        body.size() >= 2 && (static_cast<uint8_t>(body[0]) & 0x0f) == 8 &&
        ((static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1])) % 31 == 0;
    return Inflate(body, zlib ? 15 : -15, limit, out);
  }
  return Error(BodyError::kUnsupportedEncoding,
               fmt::format("Content-Encoding \"{}\" is not supported: send gzip, deflate or "
                           "none",
                           std::string(encoding.substr(0, 64))));
}

}  // namespace attrib::server
