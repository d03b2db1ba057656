// Realistic synthetic web traffic for the demo shop: sessions that enter from a dozen channels
// with realistic shares (search, paid search, paid and organic social, email, referrals, AI
// assistants, Android apps, …), the URLs and referrers real browsers send for them (click ids,
// UTMs, link shims, sloppy tagging), followed by internal page views. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attrib/classify.h"
#include "common/rng.h"

namespace attrib::demo {

// One page view: what a browser reports, and the channel the generator meant.
struct PageView {
  std::string url;
  std::string referrer;
  // For an entry, the channel a careful analyst would name (an organic share that carries an
  // fbclid is organic social, though classifiers read it as paid); kInternal for the page views
  // after it.
  Channel channel = Channel::kInternal;
};

struct TrafficOptions {
  std::string host = "shop.example";  // the demo shop's host
  int max_internal_views = 6;         // page views after the entry, at most (uniform 0..max)
};

class TrafficGenerator {
 public:
  TrafficGenerator(uint64_t seed, TrafficOptions options = {});

  // Appends one session's page views (the entry first) to `out`.
  void NextSession(std::vector<PageView>* out);

 private:
  PageView Entry();
  std::string Page();
  std::string Url(const std::string& path, const std::string& query);

  Rng rng_;
  TrafficOptions options_;
};

}  // namespace attrib::demo
