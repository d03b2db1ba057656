// Identity resolution: which anonymous ids (devices, browsers) and user ids belong to one person.
// identify, alias and any event carrying both ids link an anonymousId to a userId; the links
// form a graph whose connected components are people. The result depends only on the set of
// links, never on the order they arrive in (an SDK may stamp a userId on events it sends before
// the identify call).
//
// Shared devices: a browser used by two people who each log in is linked to two user ids. Such
// a link never merges two users: the anonymous id stays with the user it was linked to first
// (in event time), as Segment's identity-resolution rules do. Only an alias, which states that
// two ids are one person, joins two users.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "attrib/clock.h"
#include "common/u64_map.h"

namespace attrib::identity {

// Keys of ids in their namespace (an anonymousId and a userId with the same text are distinct
// nodes). Never 0.
uint64_t AnonymousKey(std::string_view anonymous_id);
uint64_t UserKey(std::string_view user_id);
inline bool IsUserKey(uint64_t key) { return key >> 63; }

enum class LinkKind : uint8_t {
  kObserved,  // identify, or an event carrying both ids
  kAlias,     // alias: previousId is the same person as userId
};

struct Link {
  uint64_t from = 0;  // an AnonymousKey, or for an alias also the UserKey of previousId
  uint64_t user = 0;  // a UserKey
  Micros at = 0;      // when the link was made (the message's time)
  LinkKind kind = LinkKind::kObserved;
};

class IdentityGraph {
 public:
  // Resolves `links` (any order, duplicates allowed) into people.
  explicit IdentityGraph(std::vector<Link> links);

  // The person an id belongs to: a key shared by every id of the person (its smallest user
  // key, else its smallest anonymous key). An id never linked is a person of its own.
  uint64_t PersonOf(uint64_t key) const {
    const uint64_t* p = person_.Find(key);
    return p ? *p : key;
  }

  size_t linked_ids() const { return person_.size(); }
  // Links that would have merged two users through a shared device, and were not followed.
  size_t refused_links() const { return refused_; }

 private:
  U64Map<uint64_t> person_;  // only ids that were linked
  size_t refused_ = 0;
};

}  // namespace attrib::identity
