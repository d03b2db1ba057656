// Small string helpers shared by every stage. All of them are ASCII-only on purpose: case and
// white space rules for URLs, parameter names and rule files are ASCII rules.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace attrib {

constexpr bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
constexpr bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The enumerator named `s`, where names[i] is the name of enumerator i; nullopt for none.
template <class E, size_t N>
std::optional<E> EnumByName(std::string_view s, const std::string_view (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

std::string_view TrimAsciiSlow(std::string_view s);
// `s` without leading and trailing ASCII white space.
inline std::string_view TrimAscii(std::string_view s) {
  if (s.empty() || (!IsAsciiSpace(s.front()) && !IsAsciiSpace(s.back()))) return s;
  return TrimAsciiSlow(s);
}
// True when `s` is ASCII with no upper-case letter (so lower-casing would not change it).
bool IsLowerAscii(std::string_view s);

// a == b for short strings without a library call: most strings compared on the hot path are a
// few dozen bytes.
inline bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.data() == b.data()) return true;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
void AsciiLowerInPlace(std::string* s);
void AsciiUpperInPlace(std::string* s);
std::string AsciiLowerCopy(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);

// A CSV field: quoted (with quotes doubled) when it holds a comma, a quote or a line break.
// With `defuse`, text a spreadsheet would run as a formula (starting = + - @, a tab or a
// carriage return) starts with an apostrophe: report cells hold values from tracked URLs.
std::string CsvField(std::string_view s, bool defuse = true);

// Splits on every occurrence of `sep`; "a||b" gives {"a", "", "b"}; "" gives {""}.
std::vector<std::string_view> Split(std::string_view s, char sep);

// Appends the percent-decoding of `in` to `out`. '+' becomes a space when `plus_is_space`
// (query strings). A '%' not followed by two hex digits is kept as it is, as browsers do.
void PercentDecodeAppend(std::string_view in, bool plus_is_space, std::string* out);

// Makes `s` safe to store and print: invalid UTF-8 sequences become U+FFFD and ASCII control
// characters become spaces. Valid text is left untouched (and costs one scan).
void CleanText(std::string* s);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Appends `s` as a JSON string literal (with quotes). `s` should be valid UTF-8; invalid bytes
// are written as U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string* out, std::string_view s);
// Appends `v` as a JSON number in its shortest exact form (`5`, `0.25`, `1e+21`), or `null`
// when it is not finite (JSON has no NaN or infinity).
void AppendJsonNumber(std::string* out, double v);
// The same written at `at`, which has room for kMaxJsonNumber bytes; returns the end.
inline constexpr size_t kMaxJsonNumber = 24;  // -2.2250738585072014e-308
char* WriteJsonNumber(char* at, double v);

}  // namespace attrib
