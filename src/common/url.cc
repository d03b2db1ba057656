#include "common/url.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace attrib {
namespace {

bool IsSchemeChar(char c) {
  return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '+' || c == '-' || c == '.';
}

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
  return i == after_colon.size() || IsSlash(after_colon[i]) || after_colon[i] == '?' ||
         after_colon[i] == '#';
}

std::string DescribeByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7F) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02X}", b);
}

Status ValidateIpv6(std::string_view inner) {
  if (inner.empty()) return Status::InvalidUrl("empty IPv6 address in host");
  for (char c : inner) {
    const bool ok = IsAsciiDigit(c) || (AsciiLower(c) >= 'a' && AsciiLower(c) <= 'f') ||
                    c == ':' || c == '.';
    if (!ok) return Status::InvalidUrl(fmt::format("invalid character {} in IPv6 host", DescribeByte(c)));
  }
  return Status::Ok();
}

Status ValidateHostName(std::string_view host) {
  if (host.size() > kMaxHostBytes) {
    return Status::InvalidUrl(
        fmt::format("host is {} bytes, over the {}-byte limit", host.size(), kMaxHostBytes));
  }
  bool non_ascii = false;
  char prev = '.';
  for (char c : host) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80) {
      non_ascii = true;
    } else if (!(IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '-' || c == '_' || c == '.')) {
      return Status::InvalidUrl(
          fmt::format("invalid character {} in host \"{}\"", DescribeByte(c), host));
    }
    if (c == '.' && prev == '.') {
      return Status::InvalidUrl(fmt::format("empty label in host \"{}\"", host));
    }
    prev = c;
  }
  if (non_ascii && !IsValidUtf8(host)) return Status::InvalidUrl("host is not valid UTF-8");
  return Status::Ok();
}

// Splits an authority ("user@host:port") into host and port and validates both.
Status SplitAuthority(std::string_view authority, UrlParts* out) {
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidUrl("unclosed '[' in IPv6 host");
    host = authority.substr(1, close - 1);
    ATTRIB_RETURN_IF_ERROR(ValidateIpv6(host));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Status::InvalidUrl(fmt::format("unexpected {} after IPv6 host", DescribeByte(after.front())));
      }
      port = after.substr(1);
    }
  } else {
    if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "example.com."
    if (host.empty()) return Status::InvalidUrl("no host");
    ATTRIB_RETURN_IF_ERROR(ValidateHostName(host));
  }
  if (!port.empty()) {
    if (port.size() > 5) return Status::InvalidUrl(fmt::format("invalid port \"{}\"", port));
    unsigned value = 0;
    for (char c : port) {
      if (!IsAsciiDigit(c)) return Status::InvalidUrl(fmt::format("invalid port \"{}\"", port));
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return Status::InvalidUrl(fmt::format("invalid port \"{}\"", port));
  }
  out->host = host;
  out->port = port;
  return Status::Ok();
}

}  // namespace

Status SplitUrl(std::string_view url, UrlParts* out) {
  *out = UrlParts{};
  std::string_view s = TrimAscii(url);
  if (s.size() > kMaxUrlBytes) {
    return Status::LimitExceeded(
        fmt::format("url is {} bytes, over the {}-byte limit", s.size(), kMaxUrlBytes));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) {
      return Status::InvalidUrl(fmt::format("control character 0x{:02X} at byte {}", b, i));
    }
  }
  if (s.empty()) return Status::Ok();

  // Scheme.
  std::string_view rest = s;
  bool has_authority = false;
  if (IsAsciiAlpha(s[0])) {
    size_t j = 1;
    while (j < s.size() && IsSchemeChar(s[j])) ++j;
    if (j < s.size() && s[j] == ':' && !LooksLikePort(s.substr(j + 1))) {
      out->scheme = s.substr(0, j);
      rest = s.substr(j + 1);
      out->is_app = EqualsIgnoreCase(out->scheme, "android-app");
      const bool slashes = rest.size() >= 2 && IsSlash(rest[0]) && IsSlash(rest[1]);
      if (slashes || IsSpecialScheme(out->scheme)) {
        while (!rest.empty() && IsSlash(rest.front())) rest.remove_prefix(1);
        has_authority = true;
      }
    }
  }
  if (out->scheme.empty()) {
    if (rest.size() >= 2 && IsSlash(rest[0]) && IsSlash(rest[1])) {  // "//host/path"
      rest.remove_prefix(2);
      has_authority = true;
    } else if (!IsSlash(rest[0]) && rest[0] != '?' && rest[0] != '#') {  // "www.example.com/x"
      has_authority = true;
    }
  }

  if (has_authority) {
    size_t end = 0;
    while (end < rest.size() && !IsSlash(rest[end]) && rest[end] != '?' && rest[end] != '#') ++end;
    ATTRIB_RETURN_IF_ERROR(SplitAuthority(rest.substr(0, end), out));
    rest.remove_prefix(end);
  }

  // Path, query, fragment.
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
  if (out->query.empty()) {  // hash routing: "/#/landing?utm_source=x"
    const size_t q = out->fragment.find('?');
    if (q != std::string_view::npos) out->query = out->fragment.substr(q + 1);
  }
  return Status::Ok();
}

bool QueryIterator::Next(std::string_view* name, std::string_view* value) {
  while (!rest_.empty()) {
    const size_t amp = rest_.find('&');
    std::string_view pair = rest_.substr(0, amp);
    rest_ = amp == std::string_view::npos ? std::string_view() : rest_.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    *name = pair.substr(0, eq);
    *value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    return true;
  }
  return false;
}

}  // namespace attrib
