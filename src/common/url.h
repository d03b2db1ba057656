// A lenient URL splitter for what browsers and SDKs really send: mixed-case schemes and hosts,
// missing schemes ("www.example.com/x"), ports, user info, spaces and raw UTF-8 in paths, hash
// routing ("/#/page?utm_source=x"), "&amp;" in query strings. It never allocates and never
// reads out of bounds; what it cannot make sense of is an InvalidUrl error naming the problem.
#pragma once

#include <cstddef>
#include <string_view>

#include "attrib/status.h"

namespace attrib {

// Longer URLs are refused rather than scanned (browsers cap near 2 MB, analytics tools at a
// few KB; 16 KiB keeps every real campaign URL and bounds the work per event).
inline constexpr size_t kMaxUrlBytes = 16 * 1024;
// RFC 1035's limit on a host name, without a trailing dot.
inline constexpr size_t kMaxHostBytes = 253;

struct UrlParts {
  std::string_view scheme;          // as written; empty when absent
  std::string_view host;            // as written (case kept), without port, brackets or a final dot
  std::string_view port;            // digits only; empty when absent
  std::string_view path;            // from the first '/' after the host, up to '?' or '#'
  std::string_view query;           // after '?' up to '#'
  std::string_view fragment;        // after '#'
  std::string_view fragment_query;  // hash routing ("/#/landing?utm_source=x"): after its '?'
  std::string_view origin;  // everything up to the end of the authority ("https://a.com:8443")
  bool is_app = false;      // android-app://PACKAGE: `host` is the app's package name
};

// How much of a URL SplitUrl reads.
enum class UrlScope {
  kAll,       // everything, validated throughout
  kHostOnly,  // scheme and authority only (a referrer: its path and query are never read)
};

// Splits `url` (surrounding white space ignored) into `out`. An empty input is valid and gives
// empty parts. Errors: longer than kMaxUrlBytes, a control character, an invalid host (bad
// character, empty label, too long, bad UTF-8, unclosed or over-long IPv6 address), a bad port,
// or an authority marker ("http://") with no host — which kHostOnly accepts as "no host".
Status SplitUrl(std::string_view url, UrlParts* out, UrlScope scope = UrlScope::kAll);

// True when `url` (trimmed) starts with `origin` followed by the end of the authority: a URL on
// the same scheme, host and port, which therefore needs no second split.
bool SameOrigin(std::string_view url, std::string_view origin);

// Walks the `name=value` pairs of a query string, split on '&'. Names and values are raw
// (still percent-encoded); a pair without '=' has an empty value. Empty pairs are skipped.
class QueryIterator {
 public:
  explicit QueryIterator(std::string_view query) : rest_(query) {}
  bool Next(std::string_view* name, std::string_view* value);

 private:
  std::string_view rest_;
};

}  // namespace attrib
