#include "classify/hosts.h"

#include <idn2.h>
#include <libpsl.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <unordered_map>

#include "common/strings.h"
#include "common/url.h"

namespace attrib::classify {
namespace {

const psl_ctx_t* Psl() {
  static const psl_ctx_t* const psl = psl_builtin();
  return psl;
}

// libpsl answers in about a microsecond; the same few suffixes and referrer hosts recur all
// day, so each thread remembers recent answers. Bounded: cleared when full.
constexpr size_t kPslCacheEntries = 4096;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <class V>
using Cache = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

template <class V, class F>
const V& Cached(Cache<V>* cache, std::string_view key, F compute) {
  auto it = cache->find(key);
  if (it != cache->end()) return it->second;
  if (cache->size() >= kPslCacheEntries) cache->clear();
  return cache->emplace(std::string(key), compute()).first->second;
}

}  // namespace

Status ParseHostPattern(std::string_view text, HostPattern* out) {
  *out = HostPattern{};
  std::string_view t = TrimAscii(text);
  if (StartsWithIgnoreCase(t, "android-app://")) {
    std::string_view package = t.substr(14);
    while (!package.empty() && package.back() == '/') package.remove_suffix(1);
    if (package.empty()) return Status::InvalidRules("android-app:// needs a package name");
    for (char c : package) {
      if (!(IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '.' || c == '_')) {
        return Status::InvalidRules("invalid character in app package \"" + std::string(package) +
                                    "\"");
      }
    }
    out->app = true;
    out->host = AsciiLowerCopy(package);
    return Status::Ok();
  }
  if (!t.empty() && t.front() == '=') {
    out->exact = true;
    t.remove_prefix(1);
  }
  if (t.size() >= 2 && t.substr(t.size() - 2) == ".*") {
    out->any_suffix = true;
    t.remove_suffix(2);
  }
  if (t.empty()) return Status::InvalidRules("empty host pattern");
  UrlParts parts;
  Status s = SplitUrl(t, &parts);
  if (!s.ok())
    return Status::InvalidRules("invalid host pattern \"" + std::string(t) + "\": " + s.message());
  if (parts.host != t) {
    return Status::InvalidRules("host pattern \"" + std::string(t) +
                                "\" must be a bare host (no scheme, port, path or query)");
  }
  if (!NormalizeHost(parts.host, &out->host)) {
    return Status::InvalidRules("host pattern \"" + std::string(t) + "\" is not a valid host name");
  }
  return Status::Ok();
}

bool NormalizeHost(std::string_view host, std::string* out) {
  out->assign(host);
  bool non_ascii = false;
  for (char& c : *out) {
    c = AsciiLower(c);
    non_ascii |= static_cast<unsigned char>(c) >= 0x80;
  }
  if (non_ascii) {  // UTS #46 mapping lower-cases Unicode ("BÜCHER" → "bücher") on the way
    char* ascii = nullptr;
    if (idn2_to_ascii_8z(out->c_str(), &ascii, IDN2_NONTRANSITIONAL) == IDN2_OK && ascii) {
      out->assign(ascii);
    }
    idn2_free(ascii);
  }
  if (out->find("xn--") != std::string::npos) {
    char* unicode = nullptr;
    if (idn2_to_unicode_8z8z(out->c_str(), &unicode, 0) == IDN2_OK && unicode) {
      out->assign(unicode);
    }
    idn2_free(unicode);
  }
  if (!out->empty() && out->back() == '.') out->pop_back();
  return !out->empty() && out->front() != '.' && out->find("..") == std::string::npos;
}

// An IPv4 or IPv6 address: libpsl would take "192.168.1.10" for a domain under ".10".
bool IsIpAddress(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

bool IsIcannPublicSuffix(std::string_view suffix) {
  thread_local Cache<bool> cache;
  return Cached(&cache, suffix, [&] {
    return psl_is_public_suffix2(Psl(), std::string(suffix).c_str(),
                                 PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE) != 0;
  });
}

std::string RegistrableDomain(std::string_view host) {
  if (IsIpAddress(host)) return std::string();
  thread_local Cache<std::string> cache;
  return Cached(&cache, host, [&] {
    const std::string copy(host);  // libpsl answers with a pointer into its input
    const char* rd = psl_registrable_domain(Psl(), copy.c_str());
    return rd ? std::string(rd) : std::string();
  });
}

std::string HostSlug(std::string_view host) {
  std::string rd = RegistrableDomain(host);
  const size_t dot = rd.find('.');
  if (rd.empty() || dot == 0) return std::string(host);
  rd.resize(std::min(dot, rd.size()));
  return rd;
}

bool SameSite(std::string_view a, std::string_view b) {
  if (SameBytes(a, b)) return true;
  if (a.empty() || b.empty()) return false;
  // A registrable domain has at least two labels, so hosts whose last two labels differ cannot
  // share one: compare from the end, and ask libpsl only past the second dot.
  size_t i = a.size(), j = b.size();
  int dots = 0;
  while (i > 0 && j > 0 && a[i - 1] == b[j - 1]) {
    --i;
    --j;
    if (a[i] == '.' && ++dots == 2) break;
  }
  const bool last_two_equal =
      dots == 2 || (i == 0 && (j == 0 || b[j - 1] == '.')) || (j == 0 && a[i - 1] == '.');
  if (!last_two_equal) return false;
  const std::string ra = RegistrableDomain(a);
  return !ra.empty() && ra == RegistrableDomain(b);
}

}  // namespace attrib::classify
