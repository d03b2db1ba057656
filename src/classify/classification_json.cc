#include "classify/classification_json.h"

#include <cstdint>
#include <cstring>

#include "common/strings.h"

namespace attrib {
namespace {

// True when `s` can be written between quotes as it is: printable ASCII, no '"' or '\'.
// Eight bytes at a time; nearly every value is such a string.
bool PlainJson(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  constexpr uint64_t kLow7 = ~kHigh;
  const auto zero_bytes = [](uint64_t x) { return ~(((x & kLow7) + kLow7) | x | kLow7); };
  const auto plain = [&](uint64_t w) {
    const uint64_t bad = (w & kHigh) | zero_bytes(w & (0x60 * kOnes)) |  // >= 0x80, < 0x20
                         zero_bytes(w ^ ('"' * kOnes)) | zero_bytes(w ^ ('\\' * kOnes)) |
                         zero_bytes(w ^ (0x7F * kOnes));
    return bad == 0;
  };
  size_t i = 0;
  uint64_t w;
  for (; i + 8 <= s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    if (!plain(w)) return false;
  }
  if (i == s.size()) return true;
  w = 0x2020202020202020ULL;  // spaces pad the last partial word
  std::memcpy(&w, s.data() + i, s.size() - i);
  return plain(w);
}

void AppendValue(std::string_view value, std::string* out) {
  if (PlainJson(value)) {
    out->push_back('"');
    out->append(value);
    out->push_back('"');
  } else {
    AppendJsonString(out, value);
  }
}

void AppendNullable(std::string_view value, std::string* out) {
  if (value.empty()) {
    out->append("null");
  } else {
    AppendValue(value, out);
  }
}

}  // namespace

void AppendJson(const Classification& c, std::string* out) {
  // rule_id, confidence, channel and rules_version are identifiers: never escaped.
  out->append("{\"source\":");
  AppendValue(c.source, out);
  out->append(",\"medium\":");
  AppendValue(c.medium, out);
  out->append(",\"campaign\":");
  AppendNullable(c.campaign, out);
  out->append(",\"term\":");
  AppendNullable(c.term, out);
  out->append(",\"content\":");
  AppendNullable(c.content, out);
  out->append(",\"confidence\":\"");
  out->append(ToString(c.confidence));
  out->append("\",\"rule_id\":\"");
  out->append(c.rule_id);
  out->append("\",\"channel\":\"");
  out->append(ToString(c.channel));
  out->append("\",\"rules_version\":\"");
  out->append(c.rules_version);
  out->append("\"}");
}

}  // namespace attrib
