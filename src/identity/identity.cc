#include "identity/identity.h"

#include <algorithm>
#include <tuple>

#include "common/flat_map.h"

namespace attrib::identity {

constexpr uint64_t kUserBit = uint64_t{1} << 63;

uint64_t AnonymousKey(std::string_view anonymous_id) {
  const uint64_t h = XXH3_64bits_withSeed(anonymous_id.data(), anonymous_id.size(), 1) & ~kUserBit;
  return h != 0 ? h : 1;
}

uint64_t UserKey(std::string_view user_id) {
  return XXH3_64bits_withSeed(user_id.data(), user_id.size(), 2) | kUserBit;
}

namespace {

// Union-find over dense node numbers, with each component's user count.
class Components {
 public:
  uint32_t Add(bool user) {
    parent_.push_back(static_cast<uint32_t>(parent_.size()));
    size_.push_back(1);
    has_user_.push_back(user);
    return parent_.back();
  }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];  // path halving
      x = parent_[x];
    }
    return x;
  }
  // Joins the components of a and b unless `protect` and both already hold a user.
  // Returns false when refused.
  bool Union(uint32_t a, uint32_t b, bool protect) {
    a = Find(a);
    b = Find(b);
    if (a == b) return true;
    if (protect && has_user_[a] && has_user_[b]) return false;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    has_user_[a] = has_user_[a] || has_user_[b];
    return true;
  }

 private:
  std::vector<uint32_t> parent_, size_;
  std::vector<bool> has_user_;
};

}  // namespace

IdentityGraph::IdentityGraph(std::vector<Link> links) {
  // Keep each distinct link once, at its earliest time; then follow them in time order so that
  // which user a shared device stays with does not depend on the input order.
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) {
    return std::tie(a.from, a.user, a.kind, a.at) < std::tie(b.from, b.user, b.kind, b.at);
  });
  links.erase(std::unique(links.begin(), links.end(),
                          [](const Link& a, const Link& b) {
                            return a.from == b.from && a.user == b.user && a.kind == b.kind;
                          }),
              links.end());
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) {
    return std::tie(a.at, a.kind, a.from, a.user) < std::tie(b.at, b.kind, b.from, b.user);
  });

  U64Map<uint32_t> node(links.size());
  std::vector<uint64_t> keys;
  Components components;
  const auto node_of = [&](uint64_t key) {
    uint32_t& n = node[key];
    if (n == 0) {
      components.Add(IsUserKey(key));
      keys.push_back(key);
      n = static_cast<uint32_t>(keys.size());  // 1-based: 0 means new
    }
    return n - 1;
  };
  for (const Link& link : links) {
    if (link.from == link.user) continue;
    const uint32_t a = node_of(link.from);
    const uint32_t b = node_of(link.user);
    if (!components.Union(a, b, link.kind == LinkKind::kObserved)) ++refused_;
  }

  // The person key: the component's smallest user key, else its smallest anonymous key.
  std::vector<uint64_t> best(keys.size(), 0);
  const auto better = [](uint64_t candidate, uint64_t current) {
    if (current == 0) return true;
    if (IsUserKey(candidate) != IsUserKey(current)) return IsUserKey(candidate);
    return candidate < current;
  };
  for (uint32_t n = 0; n < keys.size(); ++n) {
    uint64_t& b = best[components.Find(n)];
    if (better(keys[n], b)) b = keys[n];
  }
  person_.Reserve(keys.size());
  for (uint32_t n = 0; n < keys.size(); ++n) person_[keys[n]] = best[components.Find(n)];
}

}  // namespace attrib::identity
