#include "common/url.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "common/strings.h"

namespace attrib {
namespace {

// Byte classes, looked up once per byte: URLs are split on every event.
enum : uint8_t {
  kSchemeChar = 1,    // A-Z a-z 0-9 + - .
  kHostChar = 2,      // A-Z a-z 0-9 - . _ and every byte >= 0x80 (UTF-8, checked separately)
  kAuthorityEnd = 4,  // / \ ? #
  kControl = 8,       // < 0x20 and 0x7F
  kLabelChar = 16,    // A-Z a-z 0-9 - _: the bytes of most hosts, taken without a second look
};

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || c == '+' || c == '-' || c == '.') t[c] |= kSchemeChar;
    if (alnum || c == '-' || c == '.' || c == '_' || c >= 0x80) t[c] |= kHostChar;
    if (alnum || c == '-' || c == '_') t[c] |= kLabelChar;
    if (c == '/' || c == '\\' || c == '?' || c == '#') t[c] |= kAuthorityEnd;
    if (c < 0x20 || c == 0x7F) t[c] |= kControl;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClass = MakeClasses();

uint8_t ClassOf(char c) { return kClass[static_cast<unsigned char>(c)]; }
bool IsSlash(char c) { return c == '/' || c == '\\'; }

// Schemes whose URLs always have a host, so "https:example.com" and "https:///x.com" still name
// one (the WHATWG URL standard's "special" schemes).
bool IsSpecialScheme(std::string_view scheme) {
  return EqualsIgnoreCase(scheme, "http") || EqualsIgnoreCase(scheme, "https") ||
         EqualsIgnoreCase(scheme, "ws") || EqualsIgnoreCase(scheme, "wss") ||
         EqualsIgnoreCase(scheme, "ftp");
}

// "host:8080/..." and "host:8080" look like a scheme but are a host and port.
bool LooksLikePort(std::string_view after_colon) {
  size_t i = 0;
  while (i < after_colon.size() && IsAsciiDigit(after_colon[i])) ++i;
  if (i == 0) return false;
  return i == after_colon.size() || (ClassOf(after_colon[i]) & kAuthorityEnd);
}

std::string DescribeByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7F) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02X}", b);
}

Status ControlError(std::string_view s, size_t at) {
  return Status::InvalidUrl(
      fmt::format("control character 0x{:02X} at byte {}", static_cast<unsigned char>(s[at]), at));
}

// The position of the first ASCII control character (< 0x20 or 0x7F) at or after `from`, or
// npos. Eight bytes at a time.
size_t FindControl(std::string_view s, size_t from) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_control = [](uint64_t w) {
    const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;  // some byte < 0x20
    const uint64_t x = w ^ (0x7F * kOnes);
    return ((below_space | ((x - kOnes) & ~x & kHigh))) != 0;  // … or == 0x7F
  };
  size_t i = from;
  bool found = false;
  uint64_t w;
  for (; i + 8 <= s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    if (has_control(w)) {
      found = true;
      break;
    }
  }
  if (!found && i < s.size()) {
    if (s.size() - from >= 8) {  // the last bytes, as one overlapping word
      std::memcpy(&w, s.data() + s.size() - 8, 8);
      if (!has_control(w)) return std::string_view::npos;
    }
    found = true;
  }
  if (!found) return std::string_view::npos;
  for (; i < s.size(); ++i) {
    if (ClassOf(s[i]) & kControl) return i;
  }
  return std::string_view::npos;
}

// The longest textual IPv6 address: eight groups, or six and an IPv4 tail.
constexpr size_t kMaxIpv6Bytes = 45;

Status ValidateIpv6(std::string_view inner) {
  if (inner.empty()) return Status::InvalidUrl("empty IPv6 address in host");
  if (inner.size() > kMaxIpv6Bytes) {
    return Status::InvalidUrl(
        fmt::format("IPv6 host is {} bytes, over the {}-byte limit", inner.size(), kMaxIpv6Bytes));
  }
  for (char c : inner) {
    const bool ok =
        IsAsciiDigit(c) || (AsciiLower(c) >= 'a' && AsciiLower(c) <= 'f') || c == ':' || c == '.';
    if (!ok) {
      return Status::InvalidUrl(fmt::format("invalid character {} in IPv6 host", DescribeByte(c)));
    }
  }
  return Status::Ok();
}

Status HostError(std::string_view host) {
  if (host.size() > kMaxHostBytes) {
    return Status::InvalidUrl(
        fmt::format("host is {} bytes, over the {}-byte limit", host.size(), kMaxHostBytes));
  }
  char prev = '.';
  for (char c : host) {
    if (!(ClassOf(c) & kHostChar)) {
      return Status::InvalidUrl(
          fmt::format("invalid character {} in host \"{}\"", DescribeByte(c), host));
    }
    if (c == '.' && prev == '.') {
      return Status::InvalidUrl(fmt::format("empty label in host \"{}\"", host));
    }
    prev = c;
  }
  return Status::InvalidUrl("host is not valid UTF-8");
}

Status ValidatePort(std::string_view port) {
  unsigned value = 0;
  for (char c : port) {
    if (!IsAsciiDigit(c)) return Status::InvalidUrl(fmt::format("invalid port \"{}\"", port));
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return Status::InvalidUrl(fmt::format("invalid port \"{}\"", port));
  }
  return Status::Ok();
}

// Reads the authority that starts at s[begin] ("user@host:port", up to / \ ? # or the end)
// into `out`, and sets `*end_out` to where it stops. One pass; most bytes are label bytes and
// cost one table lookup. An empty host is an error unless `allow_empty`.
Status SplitAuthority(std::string_view s, size_t begin, bool allow_empty, UrlParts* out,
                      size_t* end_out) {
  const char* const data = s.data();
  const char* p = data + begin;
  const char* const limit = data + s.size();
  const char* host_begin = p;
  const char* colon = nullptr;
  bool clean = true;  // every host byte so far is a label byte or a '.' after a label byte
  bool non_ascii = false;
  char prev = '.';
  for (;;) {
    const char* const run = p;
    while (p < limit && (ClassOf(*p) & kLabelChar)) ++p;
    if (p != run) prev = p[-1];
    if (p == limit) break;
    const char c = *p;
    const uint8_t cls = ClassOf(c);
    if (cls & (kAuthorityEnd | kControl)) {
      if (cls & kControl) return ControlError(s, static_cast<size_t>(p - data));
      break;
    }
    if (c == '@') {  // user info ends: the host starts again
      host_begin = p + 1;
      colon = nullptr;
      clean = true;
      non_ascii = false;
      prev = '.';
      ++p;
      continue;
    }
    if (c == ':') {
      clean &= colon == nullptr;  // only the last ':' starts the port: the others are in the host
      colon = p;
    } else if (colon == nullptr) {  // a host byte
      if (c == '.') {
        clean &= prev != '.';
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        non_ascii = true;
      } else {
        clean = false;
      }
    }
    prev = c;
    ++p;
  }
  const size_t end = static_cast<size_t>(p - data);
  const size_t host_start = static_cast<size_t>(host_begin - data);
  const size_t colon_at = colon ? static_cast<size_t>(colon - data) : std::string_view::npos;
  *end_out = end;
  std::string_view host = s.substr(host_start, end - host_start);
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return Status::InvalidUrl("unclosed '[' in IPv6 host");
    std::string_view after = host.substr(close + 1);
    host = host.substr(1, close - 1);
    ATTRIB_RETURN_IF_ERROR(ValidateIpv6(host));
    if (!after.empty()) {
      if (after.front() != ':') {
        return Status::InvalidUrl(
            fmt::format("unexpected {} after IPv6 host", DescribeByte(after.front())));
      }
      port = after.substr(1);
    }
  } else {
    if (colon_at != std::string_view::npos) {
      port = s.substr(colon_at + 1, end - colon_at - 1);
      host = s.substr(host_start, colon_at - host_start);
    }
    if (!clean) return HostError(host);
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "example.com."
    if (host.empty() && !allow_empty) return Status::InvalidUrl("no host");
    if (host.size() > kMaxHostBytes || (non_ascii && !IsValidUtf8(host))) return HostError(host);
  }
  ATTRIB_RETURN_IF_ERROR(ValidatePort(port));
  out->host = host;
  out->port = port;
  return Status::Ok();
}

}  // namespace

Status SplitUrl(std::string_view url, UrlParts* out, UrlScope scope) {
  // Field by field: assigning a whole UrlParts{} compiles to a slow `rep stos`.
  out->scheme = out->host = out->port = out->path = out->query = out->fragment = {};
  out->fragment_query = out->origin = {};
  out->is_app = false;
  const std::string_view s = TrimAscii(url);
  if (s.size() > kMaxUrlBytes) {
    return Status::LimitExceeded(
        fmt::format("url is {} bytes, over the {}-byte limit", s.size(), kMaxUrlBytes));
  }
  if (s.empty()) return Status::Ok();

  // Scheme. "https://" and "http://" first: they are nearly all there is.
  size_t pos = 0;
  bool has_authority = false;
  bool empty_host_ok = scope == UrlScope::kHostOnly;  // a referrer without a host is none
  if (s.size() > 8 && (s[0] | 0x20) == 'h' && (s[1] | 0x20) == 't' && (s[2] | 0x20) == 't' &&
      (s[3] | 0x20) == 'p') {
    const size_t colon = (s[4] | 0x20) == 's' ? 5 : 4;
    if (s[colon] == ':' && s[colon + 1] == '/' && s[colon + 2] == '/' && s[colon + 3] != '/' &&
        s[colon + 3] != '\\') {
      out->scheme = s.substr(0, colon);
      pos = colon + 3;
      has_authority = true;
    }
  }
  if (pos == 0 && IsAsciiAlpha(s[0])) {
    const char* q = s.data() + 1;
    const char* const limit = s.data() + s.size();
    while (q < limit && (ClassOf(*q) & kSchemeChar)) ++q;
    const size_t j = static_cast<size_t>(q - s.data());
    if (j < s.size() && s[j] == ':' && !LooksLikePort(s.substr(j + 1))) {
      out->scheme = s.substr(0, j);
      out->is_app = EqualsIgnoreCase(out->scheme, "android-app");
      pos = j + 1;
      const bool slashes = pos + 1 < s.size() && IsSlash(s[pos]) && IsSlash(s[pos + 1]);
      if (IsSpecialScheme(out->scheme)) {  // any number of slashes, as browsers allow
        while (pos < s.size() && IsSlash(s[pos])) ++pos;
        has_authority = true;
      } else if (slashes) {  // exactly two: "file:///home/x" has an empty host
        pos += 2;
        has_authority = true;
        empty_host_ok = true;
      }
    }
  }
  if (pos == 0 && out->scheme.empty()) {
    if (s.size() >= 2 && IsSlash(s[0]) && IsSlash(s[1])) {  // "//host/path"
      pos = 2;
      has_authority = true;
    } else if (!(ClassOf(s[0]) & kAuthorityEnd)) {  // "www.example.com/x"
      has_authority = true;
    }
  }
  // The scheme's bytes were all printable; what follows is checked as it is read.
  if (has_authority) {
    ATTRIB_RETURN_IF_ERROR(SplitAuthority(s, pos, empty_host_ok, out, &pos));
    out->origin = s.substr(0, pos);
  } else if (pos > 0 && scope == UrlScope::kHostOnly) {
    pos = s.size();  // "mailto:…", "javascript:…": no host, and nothing else is read
  }
  if (scope == UrlScope::kHostOnly) return Status::Ok();

  // Path, query, fragment.
  if (const size_t at = FindControl(s, pos); at != std::string_view::npos) {
    return ControlError(s, at);
  }
  std::string_view rest = s.substr(pos);
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    out->fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
  }
  const size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    out->query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  out->path = rest;
  if (!out->fragment.empty()) {  // hash routing: "/#/landing?utm_source=x"
    const size_t q = out->fragment.find('?');
    if (q != std::string_view::npos) out->fragment_query = out->fragment.substr(q + 1);
  }
  return Status::Ok();
}

bool SameOrigin(std::string_view url, std::string_view origin) {
  if (origin.empty() || url.size() < origin.size() ||
      !SameBytes(url.substr(0, origin.size()), origin)) {
    return false;
  }
  return url.size() == origin.size() || (ClassOf(url[origin.size()]) & kAuthorityEnd);
}

bool QueryIterator::Next(std::string_view* name, std::string_view* value) {
  const char* p = rest_.data();
  const char* const end = p + rest_.size();
  while (p < end) {
    const char* const start = p;
    const char* eq = nullptr;
    while (p < end && *p != '&') {
      if (*p == '=' && eq == nullptr) eq = p;
      ++p;
    }
    const char* const pair_end = p;
    if (p < end) ++p;                 // the '&'
    if (pair_end == start) continue;  // "&&"
    rest_ = std::string_view(p, static_cast<size_t>(end - p));
    if (eq == nullptr) {
      *name = std::string_view(start, static_cast<size_t>(pair_end - start));
      *value = std::string_view();
    } else {
      *name = std::string_view(start, static_cast<size_t>(eq - start));
      *value = std::string_view(eq + 1, static_cast<size_t>(pair_end - eq - 1));
    }
    return true;
  }
  rest_ = std::string_view();
  return false;
}

}  // namespace attrib
