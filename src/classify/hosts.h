// Host names as the classifier compares them: normalized (lower-case, IDNs in Unicode), matched
// against list patterns on dot boundaries only, and reduced to registrable domains with the
// Public Suffix List (libpsl's built-in copy, so results do not depend on the machine).
#pragma once

#include <string>
#include <string_view>

#include "attrib/status.h"

namespace attrib::classify {

// A host-list entry: "example.com" (that host and its subdomains), "=example.com" (that host
// only), "google.*" (under any ICANN public suffix: google.com, google.co.uk), or
// "android-app://com.example.app" (an Android app referrer).
struct HostPattern {
  std::string host;  // normalized; for "google.*" the part before ".*"; for apps the package
  bool exact = false;
  bool any_suffix = false;
  bool app = false;
};

Status ParseHostPattern(std::string_view text, HostPattern* out);

// Writes the normalized form of an already validated host: ASCII lower-cased, non-ASCII
// lower-cased as Unicode, punycode labels ("xn--bcher-kva") decoded to Unicode ("bücher"), a
// final dot dropped. False when the result is no host name: Unicode mapping can turn
// "a．．com" into "a..com".
bool NormalizeHost(std::string_view host, std::string* out);

// True when `suffix` is a public suffix under the ICANN section of the list ("com", "co.uk").
bool IsIcannPublicSuffix(std::string_view suffix);

// The registrable domain of a normalized host ("news.ycombinator.com" → "ycombinator.com"), or
// empty when it has none (an IP address, "localhost", a public suffix itself).
std::string RegistrableDomain(std::string_view host);

// The registrable domain without its public suffix ("ycombinator"); the host itself when it has
// no registrable domain.
std::string HostSlug(std::string_view host);

// True when two normalized hosts belong to one site: equal, or the same registrable domain.
bool SameSite(std::string_view a, std::string_view b);

}  // namespace attrib::classify
