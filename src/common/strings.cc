#include "common/strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>

namespace attrib {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlongs
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  const auto b1 = static_cast<uint8_t>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    const auto b = static_cast<uint8_t>(s[i + k]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return len;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string_view TrimAsciiSlow(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsAsciiSpace(s[b])) ++b;
  while (e > b && IsAsciiSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool IsLowerAscii(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const auto clean = [](uint64_t w) {
    if (w & kHigh) return false;
    // With every byte below 0x80, these sums cannot carry into the next byte.
    const uint64_t at_least_a = w + (0x80 - 'A') * kOnes;
    const uint64_t above_z = w + (0x80 - 'Z' - 1) * kOnes;
    return (at_least_a & ~above_z & kHigh) == 0;
  };
  if (s.size() < 8) {
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x80 || (c >= 'A' && c <= 'Z')) return false;
    }
    return true;
  }
  uint64_t w;
  for (size_t i = 0; i + 8 <= s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    if (!clean(w)) return false;
  }
  std::memcpy(&w, s.data() + s.size() - 8, 8);  // the last bytes, overlapping
  return clean(w);
}

void AsciiLowerInPlace(std::string* s) {
  for (char& c : *s) c = AsciiLower(c);
}

void AsciiUpperInPlace(std::string* s) {
  for (char& c : *s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
}

std::string AsciiLowerCopy(std::string_view s) {
  std::string out(s);
  AsciiLowerInPlace(&out);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

void PercentDecodeAppend(std::string_view in, bool plus_is_space, std::string* out) {
  size_t run = 0;  // start of the bytes to copy as they are
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c != '%' && (c != '+' || !plus_is_space)) continue;
    out->append(in.data() + run, i - run);
    run = i + 1;
    if (c == '+') {
      out->push_back(' ');
      continue;
    }
    if (i + 2 < in.size()) {
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        run = i + 1;
        continue;
      }
    }
    out->push_back('%');  // not an escape: kept as it is, as browsers do
  }
  out->append(in.data() + run, in.size() - run);
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void CleanText(std::string* s) {
  // Printable ASCII throughout, eight bytes at a time: nothing to do.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  size_t k = 0;
  for (; k + 8 <= s->size(); k += 8) {
    uint64_t w;
    std::memcpy(&w, s->data() + k, 8);
    const uint64_t x = w ^ (0x7F * kOnes);
    if ((w | ((w - 0x20 * kOnes) & ~w) | ((x - kOnes) & ~x)) & kHigh) break;
  }
  if (k + 8 > s->size()) {
    bool printable = true;
    for (size_t i = k; i < s->size(); ++i) {
      const auto b = static_cast<uint8_t>((*s)[i]);
      printable &= b >= 0x20 && b < 0x7F;
    }
    if (printable) return;
  }
  bool clean = true;
  for (size_t i = 0; i < s->size();) {
    const auto b = static_cast<uint8_t>((*s)[i]);
    if (b < 0x20 || b == 0x7F) {
      clean = false;
      break;
    }
    const size_t n = Utf8SequenceLength(*s, i);
    if (n == 0) {
      clean = false;
      break;
    }
    i += n;
  }
  if (clean) return;
  std::string out;
  out.reserve(s->size() + 8);
  for (size_t i = 0; i < s->size();) {
    const auto b = static_cast<uint8_t>((*s)[i]);
    if (b < 0x20 || b == 0x7F) {
      out.push_back(' ');
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(*s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(*s, i, n);
      i += n;
    }
  }
  s->swap(out);
}

char* WriteJsonNumber(char* at, double v) {
  if (!std::isfinite(v)) return std::copy_n("null", 4, at);
  // Whole numbers and whole cents (counts, money) are common and take a fraction of the
  // general algorithm's time. Below 1e13 a double's spacing is under 0.004, so when the
  // double nearest to n/100 is v, no decimal with fewer digits is near enough to v to read
  // back as v: n/100 is then the shortest form, and fixed notation is what fmt uses there.
  if (std::abs(v) < 1e13 && !(v == 0 && std::signbit(v))) {
    const auto n = static_cast<int64_t>(std::round(v * 100));
    if (static_cast<double>(n) / 100 == v) {
      if (n < 0) *at++ = '-';
      const uint64_t abs = n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
      at = std::to_chars(at, at + 16, abs / 100).ptr;  // below 1e13: 13 digits at most
      if (const uint64_t cents = abs % 100; cents != 0) {
        *at++ = '.';
        *at++ = static_cast<char>('0' + cents / 10);
        if (cents % 10 != 0) *at++ = static_cast<char>('0' + cents % 10);
      }
      return at;
    }
  }
  return fmt::format_to_n(at, kMaxJsonNumber, "{}", v).out;
}

void AppendJsonNumber(std::string* out, double v) {
  char text[kMaxJsonNumber];
  out->append(text, WriteJsonNumber(text, v));
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b >= 0x20 && b < 0x80 && b != '"' && b != '\\') {
      ++i;
      continue;
    }
    if (b >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    out->append(s.data() + run, i - run);
    switch (b) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        if (b >= 0x80) {
          *out += kReplacement;
        } else {
          *out += "\\u00";
          out->push_back(kHex[b >> 4]);
          out->push_back(kHex[b & 15]);
        }
    }
    ++i;
    run = i;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

std::string CsvField(std::string_view s, bool defuse) {
  const bool formula =
      defuse && !s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos;
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) {
    return formula ? "'" + std::string(s) : std::string(s);
  }
  std::string out = formula ? "\"'" : "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace attrib
