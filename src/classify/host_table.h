// Matches a host against many host patterns at once (see HostPattern), on dot boundaries only:
// "facebook.com" matches "m.facebook.com" but never "facebook.com.evil.io" or "notfacebook.com".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "classify/hosts.h"
#include "common/flat_map.h"

namespace attrib::classify {

// What a pattern stands for: a condition it satisfies and the name it gives.
struct HostHit {
  uint16_t cond = 0;
  uint16_t name = 0;       // the entry's name (an index into Tables::names)
  uint16_t name_slot = 0;  // where the condition keeps its name for $match; kNoSlot: it has none
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
  template <class Emit>
  void MatchUnder(const FlatStringMap<std::vector<HostHit>>& map, std::string_view host,
                  Emit& emit) const;

  FlatStringMap<std::vector<HostHit>> plain_;  // "example.com", "=example.com"
  FlatStringMap<std::vector<HostHit>> wild_;   // "google" for "google.*"
  FlatStringMap<std::vector<HostHit>> apps_;   // package names
  std::vector<std::string> wild_last_labels_;  // the last label of every wild_ key
  bool single_label_keys_ = false;             // some key has no dot ("localhost")
};

template <class Emit>
void HostTable::MatchUnder(const FlatStringMap<std::vector<HostHit>>& map, std::string_view host,
                           Emit& emit) const {
  if (const auto* hits = map.Find(host)) {
    for (const HostHit& h : *hits) emit(h);
  }
  // Parent domains, longest first; a bare top-level label is looked up only if some entry is one.
  const size_t last_dot = single_label_keys_ ? host.size() : host.rfind('.');
  for (size_t dot = host.find('.'); dot < last_dot; dot = host.find('.', dot + 1)) {
    if (const auto* hits = map.Find(host.substr(dot + 1))) {
      for (const HostHit& h : *hits) {
        if (!h.exact_only) emit(h);
      }
    }
  }
}

template <class Emit>
void HostTable::Match(std::string_view host, bool app, Emit emit) const {
  if (host.empty()) return;
  if (app) {
    if (const auto* hits = apps_.Find(host)) {
      for (const HostHit& h : *hits) emit(h);
    }
    return;
  }
  if (!plain_.empty()) MatchUnder(plain_, host, emit);
  if (wild_.empty()) return;
  // "name.*": try the last one, two and three labels as the public suffix; libpsl is asked only
  // when the label before them is the last label of some pattern.
  size_t end = host.size();
  for (int k = 1; k <= 3; ++k) {
    const size_t dot = host.rfind('.', end - 1);
    if (dot == std::string_view::npos || dot == 0) return;
    const std::string_view prefix = host.substr(0, dot);
    const size_t label_start = prefix.rfind('.');
    const std::string_view last_label =
        label_start == std::string_view::npos ? prefix : prefix.substr(label_start + 1);
    for (const std::string& label : wild_last_labels_) {
      if (label == last_label) {
        if (IsIcannPublicSuffix(host.substr(dot + 1))) MatchUnder(wild_, prefix, emit);
        break;
      }
    }
    end = dot;
  }
}

}  // namespace attrib::classify
