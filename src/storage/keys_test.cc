#include "storage/keys.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace attrib::storage {
namespace {

bool Alphanumeric(std::string_view s) {
  for (const char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

TEST(Keys, WriteKeyShape) {
  const std::string key = NewWriteKey();
  EXPECT_EQ(key.size(), 32u);
  EXPECT_TRUE(Alphanumeric(key)) << key;
  EXPECT_FALSE(ReadKeyId(key).has_value());
}

TEST(Keys, ReadKeyShape) {
  const std::string key = NewReadKey();
  ASSERT_EQ(key.size(), 43u);
  EXPECT_EQ(key.substr(0, 3), "rk_");
  EXPECT_TRUE(Alphanumeric(key.substr(3))) << key;
  ASSERT_TRUE(ReadKeyId(key).has_value());
  EXPECT_EQ(*ReadKeyId(key), key.substr(0, 11));
}

TEST(Keys, EveryCharacterOfTheAlphabetIsDrawnAndNothingElse) {
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    for (const char c : NewWriteKey()) seen.insert(c);
    const std::string read = NewReadKey();
    for (const char c : read.substr(3)) seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 62u);
  for (const char c : seen) EXPECT_TRUE(Alphanumeric(std::string(1, c))) << c;
}

TEST(Keys, UniqueOverManyDraws) {
  std::set<std::string> write, read, ids;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    write.insert(NewWriteKey());
    const std::string key = NewReadKey();
    ids.insert(std::string(*ReadKeyId(key)));
    read.insert(key);
  }
  EXPECT_EQ(write.size(), size_t{kDraws});
  EXPECT_EQ(read.size(), size_t{kDraws});
  EXPECT_EQ(ids.size(), size_t{kDraws});
}

TEST(Keys, DrawnFromManyThreadsAtOnce) {
  std::vector<std::string> keys(4 * 500);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&keys, t] {
      for (int i = 0; i < 500; ++i) keys[t * 500 + i] = NewReadKey();
    });
  }
  for (std::thread& t : threads) t.join();
  const std::set<std::string> unique(keys.begin(), keys.end());
  EXPECT_EQ(unique.size(), keys.size());
}

TEST(Keys, ReadKeyIdRefusesOtherShapes) {
  const std::string good = "rk_ABCDefgh" + std::string(32, 'x');
  ASSERT_EQ(ReadKeyId(good), std::optional<std::string_view>("rk_ABCDefgh"));
  EXPECT_FALSE(ReadKeyId("").has_value());
  EXPECT_FALSE(ReadKeyId("rk_ABCDefgh").has_value());                    // the id alone
  EXPECT_FALSE(ReadKeyId(good.substr(0, 42)).has_value());               // one short
  EXPECT_FALSE(ReadKeyId(good + "x").has_value());                       // one long
  EXPECT_FALSE(ReadKeyId("wk_" + good.substr(3)).has_value());           // another prefix
  EXPECT_FALSE(ReadKeyId("RK_" + good.substr(3)).has_value());           // case matters
  EXPECT_FALSE(ReadKeyId("rk_ABCD-fgh" + good.substr(11)).has_value());  // not alphanumeric
  EXPECT_FALSE(ReadKeyId(good.substr(0, 42) + '\0').has_value());
  EXPECT_FALSE(ReadKeyId(good.substr(0, 42) + "\xc3").has_value());
  EXPECT_FALSE(ReadKeyId(NewWriteKey()).has_value());
}

TEST(Keys, HashIsBlake2b256OfTheWholeKey) {
  // BLAKE2b with a 32-byte digest, unkeyed, of "abc" (hashlib.blake2b(b"abc", digest_size=32)).
  const std::string hash = HashReadKey("abc");
  ASSERT_EQ(hash.size(), 32u);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const unsigned char c : hash) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  EXPECT_EQ(hex, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(Keys, HashNeverEqualsOrContainsTheKey) {
  for (int i = 0; i < 100; ++i) {
    const std::string key = NewReadKey();
    const std::string hash = HashReadKey(key);
    EXPECT_EQ(hash.size(), 32u);
    EXPECT_NE(hash, key);
    EXPECT_EQ(hash.find(key.substr(11)), std::string::npos);
    EXPECT_EQ(HashReadKey(key), hash);  // deterministic
  }
}

TEST(Keys, ReadKeyMatches) {
  const std::string key = NewReadKey();
  const std::string hash = HashReadKey(key);
  EXPECT_TRUE(ReadKeyMatches(key, hash));
  EXPECT_FALSE(ReadKeyMatches(NewReadKey(), hash));
  std::string other = key;
  other.back() = other.back() == 'a' ? 'b' : 'a';  // the last secret character
  EXPECT_FALSE(ReadKeyMatches(other, hash));
  EXPECT_FALSE(ReadKeyMatches(key.substr(0, 11), hash));  // the public id alone
  EXPECT_FALSE(ReadKeyMatches("", hash));
  // A stored hash of the wrong size never matches, not even its own prefix.
  EXPECT_FALSE(ReadKeyMatches(key, hash.substr(0, 31)));
  EXPECT_FALSE(ReadKeyMatches(key, hash + "x"));
  EXPECT_FALSE(ReadKeyMatches(key, ""));
  EXPECT_FALSE(ReadKeyMatches(key, key));
}

}  // namespace
}  // namespace attrib::storage
