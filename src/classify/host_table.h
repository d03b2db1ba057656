// Matches a host against many host patterns at once (see HostPattern), on dot boundaries only:
// "facebook.com" matches "m.facebook.com" but never "facebook.com.evil.io" or "notfacebook.com".
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "classify/hosts.h"
#include "common/flat_map.h"
#include "common/url.h"

namespace attrib::classify {

// What a pattern stands for: a condition it satisfies and the name it gives.
struct HostHit {
  uint16_t cond = 0;
  uint16_t name = 0;        // the entry's name (an index into Tables::names)
  uint16_t name_slot = 0;   // where the condition keeps its name for $match; kNoSlot: it has none
  bool exact_only = false;  // "=host": only the host itself, not its subdomains
};
inline constexpr uint16_t kNoSlot = 0xFFFF;

class HostTable {
 public:
  void Add(const HostPattern& pattern, uint16_t cond, uint16_t name, uint16_t name_slot);
  bool empty() const { return plain_.empty() && wild_.empty() && apps_.empty(); }

  // Calls emit(const HostHit&) for every pattern `host` matches, the most specific first: the
  // host itself, then its parent domains, then "name.*" patterns. `host` is normalized; for
  // an app referrer it is the package name and `app` is true.
  template <class Emit>
  void Match(std::string_view host, bool app, Emit emit) const;

 private:
  // Hosts have at most this many labels worth looking at from the right.
  static constexpr int kMaxDots = 16;

  template <class Emit>
  void MatchUnder(const FlatStringMap<std::vector<HostHit>>& map, std::string_view host,
                  const uint16_t* dots, int n_dots, Emit& emit) const;

  FlatStringMap<std::vector<HostHit>> plain_;  // "example.com", "=example.com"
  FlatStringMap<std::vector<HostHit>> wild_;   // "google" for "google.*"
  FlatStringMap<std::vector<HostHit>> apps_;   // package names
  std::vector<std::string> wild_last_labels_;  // the last label of every wild_ key
  bool single_label_keys_ = false;             // some key has no dot ("localhost")
};

// Writes the positions of the '.' in `host` to `dots`, in order, and returns how many there are
// (at most `capacity`: later ones are dropped). Eight bytes at a time.
inline int FindDots(std::string_view host, uint16_t* dots, int capacity) {
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  int n = 0;
  const auto scan = [&](uint64_t w, size_t base, uint64_t keep) {
    const uint64_t x = w ^ 0x2E2E2E2E2E2E2E2EULL;                 // '.' bytes become zero
    uint64_t zero = ~(((x & kLow7) + kLow7) | x | kLow7) & keep;  // exactly the zero bytes
    while (zero && n < capacity) {
      dots[n++] = static_cast<uint16_t>(base + std::countr_zero(zero) / 8);
      zero &= zero - 1;
    }
  };
  size_t i = 0;
  for (; i + 8 <= host.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, host.data() + i, 8);
    scan(w, i, ~uint64_t{0});
  }
  if (i < host.size()) {
    uint64_t w = 0;
    std::memcpy(&w, host.data() + i, host.size() - i);
    scan(w, i, (uint64_t{1} << (8 * (host.size() - i))) - 1);
  }
  return n;
}

// `dots` are the positions of the dots in `host`, in order; a key matches `host` itself or the
// part after one of them.
template <class Emit>
void HostTable::MatchUnder(const FlatStringMap<std::vector<HostHit>>& map, std::string_view host,
                           const uint16_t* dots, int n_dots, Emit& emit) const {
  if (const auto* hits = map.Find(host)) {
    for (const HostHit& h : *hits) emit(h);
  }
  // Parent domains, longest first; a bare top-level label only if some key is one.
  const int parents = single_label_keys_ ? n_dots : n_dots - 1;
  for (int i = 0; i < parents; ++i) {
    if (const auto* hits = map.Find(host.substr(dots[i] + 1u))) {
      for (const HostHit& h : *hits) {
        if (!h.exact_only) emit(h);
      }
    }
  }
}

template <class Emit>
void HostTable::Match(std::string_view host, bool app, Emit emit) const {
  if (host.empty() || empty()) return;
  if (app) {
    if (const auto* hits = apps_.Find(host)) {
      for (const HostHit& h : *hits) emit(h);
    }
    return;
  }
  // The dots, left to right. Past kMaxDots only the rightmost labels are kept: no list entry is
  // that long.
  // A normalized host is a valid name: no empty labels, so at most one dot in two bytes.
  if (host.size() > kMaxHostBytes * 4) return;  // Unicode can be longer than its punycode
  uint16_t dots[kMaxHostBytes * 2 + 1];
  int n = FindDots(host, dots, static_cast<int>(std::size(dots)));
  if (n > kMaxDots) {
    const auto cut = static_cast<uint16_t>(dots[n - kMaxDots] + 1u);
    host = host.substr(cut);
    for (int k = 0; k < kMaxDots - 1; ++k) {
      dots[k] = static_cast<uint16_t>(dots[n - kMaxDots + 1 + k] - cut);
    }
    n = kMaxDots - 1;
  }
  if (!plain_.empty()) MatchUnder(plain_, host, dots, n, emit);
  if (wild_.empty()) return;
  // "name.*": try the last one, two and three labels as the public suffix; libpsl is asked only
  // when the label before them is the last label of some pattern.
  for (int k = 1; k <= 3 && k <= n; ++k) {
    const int d = n - k;  // the dot before the suffix
    const size_t label_start = d > 0 ? dots[d - 1] + 1u : 0;
    const std::string_view last_label = host.substr(label_start, dots[d] - label_start);
    for (const std::string& label : wild_last_labels_) {
      if (label == last_label) {
        if (IsIcannPublicSuffix(host.substr(dots[d] + 1u))) {
          MatchUnder(wild_, host.substr(0, dots[d]), dots, d, emit);
        }
        break;
      }
    }
  }
}

}  // namespace attrib::classify
