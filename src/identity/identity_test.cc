// Identity resolution: examples of each rule, and properties over random link sets drawn from
// small pools of ids so that components, shared devices and aliases actually form.
#include "identity/identity.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>

namespace attrib::identity {
namespace {

const uint64_t kA = AnonymousKey("device-a");
const uint64_t kB = AnonymousKey("device-b");
const uint64_t kC = AnonymousKey("device-c");
const uint64_t kU1 = UserKey("user-1");
const uint64_t kU2 = UserKey("user-2");
const uint64_t kU3 = UserKey("user-3");

Link Observed(uint64_t from, uint64_t user, Micros at) {
  return Link{from, user, at, LinkKind::kObserved};
}
Link Alias(uint64_t from, uint64_t user, Micros at) {
  return Link{from, user, at, LinkKind::kAlias};
}

TEST(IdentityKeys, NeverZeroAndNamespaced) {
  for (const std::string_view id : {"", "a", "user-1", "device-a", "0"}) {
    SCOPED_TRACE(id);
    EXPECT_NE(AnonymousKey(id), 0u);
    EXPECT_NE(UserKey(id), 0u);
    EXPECT_NE(AnonymousKey(id), UserKey(id));  // same text, different namespaces
    EXPECT_TRUE(IsUserKey(UserKey(id)));
    EXPECT_FALSE(IsUserKey(AnonymousKey(id)));
    EXPECT_EQ(AnonymousKey(id), AnonymousKey(std::string(id)));  // a function of the text
    EXPECT_EQ(UserKey(id), UserKey(std::string(id)));
  }
  EXPECT_NE(AnonymousKey("a"), AnonymousKey("b"));
  EXPECT_NE(UserKey("a"), UserKey("b"));
}

RC_GTEST_PROP(IdentityKeys, AnyTextGivesNonZeroKeysInTheirNamespace, (const std::string& id)) {
  const uint64_t anonymous = AnonymousKey(id);
  const uint64_t user = UserKey(id);
  RC_ASSERT(anonymous != 0u);
  RC_ASSERT(user != 0u);
  RC_ASSERT(!IsUserKey(anonymous));
  RC_ASSERT(IsUserKey(user));
}

TEST(IdentityGraph, IdentifyLinksAnonymousToUser) {
  const IdentityGraph graph({Observed(kA, kU1, 100)});
  EXPECT_EQ(graph.PersonOf(kA), kU1);
  EXPECT_EQ(graph.PersonOf(kU1), kU1);
  EXPECT_EQ(graph.linked_ids(), 2u);
  EXPECT_EQ(graph.refused_links(), 0u);
}

TEST(IdentityGraph, TwoDevicesOfOneUserAreOnePerson) {
  const IdentityGraph graph({Observed(kA, kU1, 100), Observed(kB, kU1, 200)});
  EXPECT_EQ(graph.PersonOf(kA), kU1);
  EXPECT_EQ(graph.PersonOf(kB), kU1);
  EXPECT_EQ(graph.PersonOf(kU1), kU1);
  EXPECT_EQ(graph.linked_ids(), 3u);
  EXPECT_EQ(graph.refused_links(), 0u);
}

TEST(IdentityGraph, NeverLinkedIdIsItsOwnPerson) {
  const IdentityGraph graph({Observed(kA, kU1, 100)});
  EXPECT_EQ(graph.PersonOf(kC), kC);
  EXPECT_EQ(graph.PersonOf(kU3), kU3);
  const IdentityGraph empty({});
  EXPECT_EQ(empty.PersonOf(kA), kA);
  EXPECT_EQ(empty.PersonOf(kU1), kU1);
  EXPECT_EQ(empty.linked_ids(), 0u);
  EXPECT_EQ(empty.refused_links(), 0u);
}

TEST(IdentityGraph, SelfLinkIsIgnored) {
  const IdentityGraph graph({Alias(kU1, kU1, 100)});
  EXPECT_EQ(graph.PersonOf(kU1), kU1);
  EXPECT_EQ(graph.linked_ids(), 0u);
}

TEST(IdentityGraph, AliasJoinsTwoUsersAndTheirDevices) {
  const uint64_t smallest = std::min(kU1, kU2);
  for (const bool alias_first : {false, true}) {
    SCOPED_TRACE(alias_first);
    std::vector<Link> links = {Observed(kA, kU1, 100), Observed(kB, kU2, 200),
                               Alias(kU1, kU2, alias_first ? 50 : 300)};
    const IdentityGraph graph(links);
    for (const uint64_t id : {kA, kB, kU1, kU2}) EXPECT_EQ(graph.PersonOf(id), smallest);
    EXPECT_EQ(graph.linked_ids(), 4u);
    EXPECT_EQ(graph.refused_links(), 0u);
    EXPECT_EQ(graph.PersonOf(kC), kC);
  }
}

TEST(IdentityGraph, PersonIsTheSmallestUserKeyOfTheComponent) {
  // Three users joined by aliases, with devices: the person key is the smallest user key, never
  // an anonymous key (even one that is numerically smaller).
  const IdentityGraph graph(
      {Alias(kU1, kU2, 10), Alias(kU3, kU2, 20), Observed(kA, kU3, 30), Observed(kB, kU1, 40)});
  const uint64_t smallest = std::min({kU1, kU2, kU3});
  for (const uint64_t id : {kA, kB, kU1, kU2, kU3}) EXPECT_EQ(graph.PersonOf(id), smallest);
  EXPECT_TRUE(IsUserKey(graph.PersonOf(kA)));
}

TEST(IdentityGraph, AliasFromAnAnonymousIdJoinsIt) {
  const IdentityGraph graph({Alias(kA, kU1, 10)});
  EXPECT_EQ(graph.PersonOf(kA), kU1);
  EXPECT_EQ(graph.refused_links(), 0u);
}

TEST(IdentityGraph, SharedDeviceStaysWithItsFirstUserWhateverTheInputOrder) {
  // device-a: user-1 logs in at t=100, user-2 at t=200. The users stay apart; the device stays
  // with user-1. Device-b belongs to user-2 alone.
  std::vector<Link> links = {Observed(kA, kU1, 100), Observed(kA, kU2, 200),
                             Observed(kB, kU2, 150)};
  std::sort(links.begin(), links.end(), [](const Link& a, const Link& b) {
    return std::tie(a.from, a.user, a.at) < std::tie(b.from, b.user, b.at);
  });
  do {
    const IdentityGraph graph(links);
    EXPECT_EQ(graph.PersonOf(kA), kU1);
    EXPECT_EQ(graph.PersonOf(kU1), kU1);
    EXPECT_EQ(graph.PersonOf(kU2), kU2);
    EXPECT_EQ(graph.PersonOf(kB), kU2);
    EXPECT_EQ(graph.refused_links(), 1u);
    EXPECT_EQ(graph.linked_ids(), 4u);
  } while (std::next_permutation(links.begin(), links.end(), [](const Link& a, const Link& b) {
    return std::tie(a.from, a.user, a.at) < std::tie(b.from, b.user, b.at);
  }));
}

TEST(IdentityGraph, SharedDeviceFollowsEventTimeNotInputOrder) {
  // user-2 was first on the device (t=50), though its link arrives last.
  const IdentityGraph graph({Observed(kA, kU1, 100), Observed(kA, kU2, 50)});
  EXPECT_EQ(graph.PersonOf(kA), kU2);
  EXPECT_EQ(graph.PersonOf(kU1), kU1);
  EXPECT_EQ(graph.refused_links(), 1u);
}

TEST(IdentityGraph, SharedDeviceNeverMergesUsersTransitively) {
  // Two shared devices crossing between two users: each stays with its first user.
  const IdentityGraph graph(
      {Observed(kA, kU1, 10), Observed(kB, kU2, 20), Observed(kA, kU2, 30), Observed(kB, kU1, 40)});
  EXPECT_EQ(graph.PersonOf(kA), kU1);
  EXPECT_EQ(graph.PersonOf(kB), kU2);
  EXPECT_NE(graph.PersonOf(kU1), graph.PersonOf(kU2));
  EXPECT_EQ(graph.refused_links(), 2u);
}

TEST(IdentityGraph, LaterAliasStillJoinsUsersOfASharedDevice) {
  const IdentityGraph graph(
      {Observed(kA, kU1, 10), Observed(kA, kU2, 20), Alias(kU2, kU1, 30), Observed(kB, kU2, 40)});
  const uint64_t smallest = std::min(kU1, kU2);
  for (const uint64_t id : {kA, kB, kU1, kU2}) EXPECT_EQ(graph.PersonOf(id), smallest);
  EXPECT_EQ(graph.refused_links(), 1u);  // the observed link at t=20, refused when it came
}

TEST(IdentityGraph, DuplicatedLinksAreHarmless) {
  const IdentityGraph once({Observed(kA, kU1, 100), Observed(kA, kU2, 200)});
  const IdentityGraph many({Observed(kA, kU2, 200), Observed(kA, kU1, 100), Observed(kA, kU2, 300),
                            Observed(kA, kU1, 100), Observed(kA, kU2, 200),
                            Observed(kA, kU1, 150)});
  for (const uint64_t id : {kA, kU1, kU2}) EXPECT_EQ(many.PersonOf(id), once.PersonOf(id));
  EXPECT_EQ(many.PersonOf(kA), kU1);
  EXPECT_EQ(many.refused_links(), 1u);  // one distinct refused link, however often it repeats
  EXPECT_EQ(many.linked_ids(), 3u);
}

TEST(IdentityGraph, DuplicateCountsAtItsEarliestTime) {
  // The device-a/user-2 link was first seen at t=50: user-2 was first on the device.
  const IdentityGraph graph(
      {Observed(kA, kU1, 100), Observed(kA, kU2, 200), Observed(kA, kU2, 50)});
  EXPECT_EQ(graph.PersonOf(kA), kU2);
  EXPECT_EQ(graph.refused_links(), 1u);
}

// Random links over 6 devices and 4 users, at times 0–19 (ties happen); one in five an alias
// (from a user or a device).
rc::Gen<std::vector<Link>> Links() {
  return rc::gen::container<std::vector<Link>>(rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(0, 10), rc::gen::inRange(0, 4), rc::gen::inRange(0, 20),
                     rc::gen::inRange(0, 5)),
      [](std::tuple<int, int, int, int> t) {
        const auto [from, user, at, kind] = t;
        const bool alias = kind == 0;
        // from 0–5: a device; 6–9: a user (only an alias links two users)
        const uint64_t from_key = from < 6 || !alias ? AnonymousKey(std::to_string(from % 6))
                                                     : UserKey(std::to_string(from - 6));
        return Link{from_key, UserKey(std::to_string(user)), at,
                    alias ? LinkKind::kAlias : LinkKind::kObserved};
      }));
}

std::vector<uint64_t> AllIds() {
  std::vector<uint64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(AnonymousKey(std::to_string(i)));
  for (int i = 0; i < 4; ++i) ids.push_back(UserKey(std::to_string(i)));
  return ids;
}

RC_GTEST_PROP(IdentityGraph, AnyPermutationGivesTheSamePeople, ()) {
  const std::vector<Link> links = *Links();
  std::vector<Link> shuffled = links;
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  // Duplicates of existing links, no earlier than the original, change nothing either.
  const size_t extra = *rc::gen::inRange<size_t>(0, links.size() + 1);
  for (size_t i = 0; i < extra; ++i) {
    Link copy = links[i];
    copy.at += *rc::gen::inRange(0, 5);
    shuffled.insert(shuffled.begin() + static_cast<ptrdiff_t>(rng() % (shuffled.size() + 1)), copy);
  }
  const IdentityGraph a(links);
  const IdentityGraph b(shuffled);
  for (const uint64_t id : AllIds()) RC_ASSERT(a.PersonOf(id) == b.PersonOf(id));
  RC_ASSERT(a.refused_links() == b.refused_links());
  RC_ASSERT(a.linked_ids() == b.linked_ids());
}

RC_GTEST_PROP(IdentityGraph, PeopleAreKeyedByTheirSmallestUser, ()) {
  const std::vector<Link> links = *Links();
  const IdentityGraph graph(links);
  std::map<uint64_t, uint64_t> smallest_user;  // person → its smallest user key
  for (const uint64_t id : AllIds()) {
    if (!IsUserKey(id)) continue;
    const uint64_t person = graph.PersonOf(id);
    auto [it, added] = smallest_user.emplace(person, id);
    if (!added) it->second = std::min(it->second, id);
  }
  for (const auto& [person, user] : smallest_user) RC_ASSERT(person == user);
  for (const Link& link : links) {  // a linked id's person is a user of its component
    RC_ASSERT(IsUserKey(graph.PersonOf(link.from)));
    RC_ASSERT(graph.PersonOf(graph.PersonOf(link.from)) == graph.PersonOf(link.from));
  }
}

RC_GTEST_PROP(IdentityGraph, WithoutAliasesEachDeviceStaysWithItsFirstUser, ()) {
  std::vector<Link> links = *Links();
  for (Link& link : links) {
    link.kind = LinkKind::kObserved;
    if (IsUserKey(link.from)) link.from = AnonymousKey("9");
  }
  const IdentityGraph graph(links);
  // Each device's first user: earliest link, ties to the smallest user key.
  std::map<uint64_t, std::pair<Micros, uint64_t>> first;
  std::set<std::pair<uint64_t, uint64_t>> distinct;
  for (const Link& link : links) {
    distinct.emplace(link.from, link.user);
    const auto candidate = std::make_pair(link.at, link.user);
    auto [it, added] = first.emplace(link.from, candidate);
    if (!added) it->second = std::min(it->second, candidate);
  }
  size_t refused = 0;
  for (const auto& [device, user] : distinct) refused += user != first[device].second;
  for (const auto& [device, at_user] : first) RC_ASSERT(graph.PersonOf(device) == at_user.second);
  for (const uint64_t id : AllIds()) {  // no two users are ever one person
    if (IsUserKey(id)) RC_ASSERT(graph.PersonOf(id) == id);
  }
  RC_ASSERT(graph.refused_links() == refused);
}

}  // namespace
}  // namespace attrib::identity
